"""The weather API: reference stations (read by everyone signed in, written by platform admins;
institutions' own stations are tested in test_weather_ownership.py), temperature
uploads through the import service (all or nothing), and reading temperatures back by range."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from emc import journal
from emc.facilities.models import TemperatureReading, WeatherStation

TEMPS = "时间,气温(℃)\n2024-01-01 00:00,3.5\n2024-01-01 01:00,-1\n2024-01-01 02:00,0.25\n"


@pytest.fixture
def platform(login_as):
    return login_as("admin@platform.demo")


def _station(client, code="API1"):
    response = client.post("/api/v1/weather-stations", json={"code": code, "name": "接口测试站"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _upload(client, station_id, text, name="t.csv", **form):
    payload = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/api/v1/weather-stations/{station_id}/temperatures",
        data={"file": (io.BytesIO(payload), name), **form},
        content_type="multipart/form-data",
    )


def _count(db_session, station_id):
    return db_session.scalar(
        select(func.count())
        .select_from(TemperatureReading)
        .where(TemperatureReading.station_id == station_id)
    )


def test_platform_admin_creates_a_station_that_everyone_lists(platform, login_as, db_session):
    created = _station(platform)
    assert created["timezone"] == "Asia/Shanghai"
    (entry,) = journal.history(db_session, "weather_stations", created["id"])
    assert entry.action == "create"
    listed = login_as("viewer@esco.demo").get("/api/v1/weather-stations")
    assert listed.status_code == 200
    assert "API1" in [s["code"] for s in listed.get_json()]
    again = platform.post("/api/v1/weather-stations", json={"code": "API1", "name": "x"})
    assert again.status_code == 409 and "code" in again.get_json()["error"]["fields"]
    zone = platform.post(
        "/api/v1/weather-stations", json={"code": "API2", "name": "x", "timezone": "Mars/Base"}
    )
    assert zone.status_code == 422 and "timezone" in zone.get_json()["error"]["fields"]


@pytest.mark.parametrize("email", ["admin@school.demo", "energy@school.demo", "admin@esco.demo"])
def test_only_platform_admins_write_reference_stations(platform, login_as, db_session, email):
    station = _station(platform)
    other = login_as(email)
    assert _upload(other, station["id"], TEMPS).status_code == 403
    assert _count(db_session, station["id"]) == 0


def test_an_esco_adds_no_station(login_as):
    esco = login_as("admin@esco.demo")
    assert esco.post("/api/v1/weather-stations", json={"code": "X9", "name": "x"}).status_code == (
        403
    )


def test_upload_then_read_back_a_range_with_aware_times(platform, login_as, db_session):
    station = _station(platform)
    response = _upload(platform, station["id"], TEMPS)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["rows"] == 3 and body["replaced"] == 0
    assert body["first"] == "2023-12-31T16:00:00+00:00"
    reader = login_as("finance@school.demo")
    url = f"/api/v1/weather-stations/{station['id']}/temperatures"
    got = reader.get(url + "?start=2024-01-01T01:00:00%2B08:00&end=2024-01-01T03:00:00%2B08:00")
    assert got.status_code == 200, got.get_json()
    data = got.get_json()
    assert data["timezone"] == "Asia/Shanghai"
    assert data["temperatures"] == [
        {"start": "2024-01-01T01:00:00+08:00", "temperature_c": -1.0},
        {"start": "2024-01-01T02:00:00+08:00", "temperature_c": 0.25},
    ]
    # The same instant written in UTC selects the same rows.
    utc = reader.get(url + "?start=2023-12-31T17:00:00Z&limit=1").get_json()
    assert [t["temperature_c"] for t in utc["temperatures"]] == [-1.0]
    assert utc["next_start"] == "2024-01-01T02:00:00+08:00"


def test_naive_or_reversed_ranges_are_refused(platform):
    station = _station(platform)
    url = f"/api/v1/weather-stations/{station['id']}/temperatures"
    naive = platform.get(url + "?start=2024-01-01T00:00:00")
    assert naive.status_code == 422 and "start" in naive.get_json()["error"]["fields"]
    backwards = platform.get(url + "?start=2024-01-02T00:00:00Z&end=2024-01-01T00:00:00Z")
    assert backwards.status_code == 422 and "end" in backwards.get_json()["error"]["fields"]


def test_a_bad_row_imports_nothing_and_names_row_and_column(platform, db_session):
    station = _station(platform)
    bad = "time,temperature\n2024-01-01 00:00,1\n2024-01-01 01:00,hot\n2024-01-01 02:00,2\n"
    response = _upload(platform, station["id"], bad)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["row 3, column temperature"]
    assert _count(db_session, station["id"]) == 0


def test_overlap_is_409_unless_replace(platform, db_session):
    station = _station(platform)
    assert _upload(platform, station["id"], TEMPS).status_code == 201
    clash = _upload(platform, station["id"], TEMPS)
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "overlap"
    replaced = _upload(platform, station["id"], TEMPS, replace="true")
    assert replaced.status_code == 201 and replaced.get_json()["replaced"] == 3
    assert _count(db_session, station["id"]) == 3


def test_xlsx_upload(platform, db_session):
    station = _station(platform)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["timestamp", "temperature"])
    sheet.append(["2024-03-01 00:00", 10.5])
    sheet.append(["2024-03-01 01:00", 11])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(platform, station["id"], buffer.getvalue(), name="t.xlsx")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rows"] == 2 and _count(db_session, station["id"]) == 2


def test_unknown_station_is_404(platform, db_session):
    missing = (db_session.scalar(select(func.max(WeatherStation.id))) or 0) + 1000
    assert _upload(platform, missing, TEMPS).status_code == 404
    assert platform.get(f"/api/v1/weather-stations/{missing}/temperatures").status_code == 404


def test_openapi_documents_the_weather_factor_and_dry_run_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/weather-stations"]) >= {"get", "post"}
    assert set(paths["/api/v1/weather-stations/{station_id}/temperatures"]) >= {"get", "post"}
    assert set(paths["/api/v1/emission-factors"]) >= {"get", "post"}
    upload = paths["/api/v1/meters/{meter_id}/readings"]["post"]
    assert {"200", "201"} <= set(upload["responses"])
    assert "dry_run" in [p["name"] for p in upload.get("parameters", [])]

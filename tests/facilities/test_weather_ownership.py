"""Institutions' own weather stations: the institution writes them, the ESCOs on its projects read
them (never write), other tenants do not see them; a site uses a reference station or one of its
own institution's. Temperatures are uploaded on the station page with a check that writes
nothing, by the same rules as the API (all or nothing, problems by row and column)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from emc.auth.models import User
from emc.facilities.models import Site, TemperatureReading, WeatherStation

TEMPS = "时间,气温(℃)\n2024-01-01 00:00,3.5\n2024-01-01 01:00,-1\n2024-01-01 02:00,0.25\n"


def _own_station(client, code="OWN1"):
    response = client.post("/api/v1/weather-stations", json={"code": code, "name": "校园气象站"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _upload(client, url, text=TEMPS, name="t.csv", **form):
    return client.post(
        url,
        data={"file": (io.BytesIO(text.encode()), name), **form},
        content_type="multipart/form-data",
    )


def _count(db_session, station_id):
    return db_session.scalar(
        select(func.count())
        .select_from(TemperatureReading)
        .where(TemperatureReading.station_id == station_id)
    )


def test_an_institution_owns_its_station_and_its_escos_read_it(login_as, db_session):
    energy = login_as("energy@school.demo")
    station = _own_station(energy)
    school = db_session.get(WeatherStation, station["id"])
    assert station["organization_id"] == school.organization_id is not None
    api = f"/api/v1/weather-stations/{station['id']}/temperatures"
    assert _upload(energy, api).status_code == 201
    assert _count(db_session, station["id"]) == 3
    # The ESCO contracted on the school's project reads, never writes.
    esco = login_as("engineer@esco.demo")
    assert station["code"] in [s["code"] for s in esco.get("/api/v1/weather-stations").get_json()]
    assert len(esco.get(api).get_json()["temperatures"]) == 3
    assert _upload(esco, api, replace="true").status_code == 403
    assert esco.get(f"/weather-stations/{station['id']}").status_code == 200
    # Another ESCO and another institution do not see it at all.
    for email in ("engineer@esco2.demo", "energy@gym.demo"):
        other = login_as(email)
        assert other.get(api).status_code == 404
        assert station["code"] not in [
            s["code"] for s in other.get("/api/v1/weather-stations").get_json()
        ]
        assert other.get(f"/weather-stations/{station['id']}").status_code == 404
    # Finance reads but may not write.
    assert _upload(login_as("finance@school.demo"), api, replace="true").status_code == 403


def test_a_site_chooses_its_own_or_a_reference_station_but_not_anothers(login_as, db_session):
    energy = login_as("energy@school.demo")
    station = _own_station(energy)
    site = db_session.scalar(
        select(Site).where(Site.organization_id == station["organization_id"]).order_by(Site.id)
    )
    chose = energy.post(
        f"/sites/{site.id}/edit",
        data={"name": site.name, "weather_station_id": str(station["id"])},
    )
    assert chose.status_code == 302, chose.get_data(as_text=True)[:1500]
    db_session.refresh(site)
    assert site.weather_station_id == station["id"]
    assert "校园气象站" in energy.get(f"/sites/{site.id}").get_data(as_text=True)
    cleared = energy.post(
        f"/sites/{site.id}/edit", data={"name": site.name, "weather_station_id": ""}
    )
    assert cleared.status_code == 302
    db_session.refresh(site)
    assert site.weather_station_id is None
    gym = login_as("energy@gym.demo")
    gym_org = db_session.scalar(select(User.organization_id).where(User.email == "energy@gym.demo"))
    gym_site = db_session.scalar(select(Site).where(Site.organization_id == gym_org))
    refused = gym.patch(f"/api/v1/sites/{gym_site.id}", json={"weather_station_id": station["id"]})
    assert refused.status_code == 422
    assert "weather_station_id" in refused.get_json()["error"]["fields"]


def test_the_station_page_checks_a_file_without_writing_then_imports_it(login_as, db_session):
    energy = login_as("energy@school.demo")
    station = _own_station(energy)
    page = energy.get(f"/weather-stations/{station['id']}").get_data(as_text=True)
    assert "上传气温" in page and "仅检查，不导入" in page
    url = f"/weather-stations/{station['id']}/temperatures"
    check = _upload(energy, url + "?dry_run=true")
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and 'data-status="ok"' in html and "-1.0" in html
    assert _count(db_session, station["id"]) == 0
    bad = "时间,气温\n2024-01-01 00:00,1\n2024-01-01 01:00,热\n"
    shown = _upload(energy, url + "?dry_run=true", bad).get_data(as_text=True)
    assert 'data-status="invalid"' in shown and "row 3, column 气温" in shown
    refused = _upload(energy, url, bad)
    assert refused.status_code == 422 and "row 3, column 气温" in refused.get_data(as_text=True)
    assert _count(db_session, station["id"]) == 0
    done = _upload(energy, url)
    assert done.status_code == 302
    assert _count(db_session, station["id"]) == 3
    overlap = _upload(energy, url + "?dry_run=true").get_data(as_text=True)
    assert 'data-status="overlap"' in overlap
    assert _upload(energy, url).status_code == 409
    assert _upload(energy, url, replace="true").status_code == 302


def test_stations_are_listed_with_their_owner_in_chinese(login_as):
    energy = login_as("energy@school.demo")
    _own_station(energy, code="OWN2")
    html = energy.get("/weather-stations").get_data(as_text=True)
    assert "OWN2" in html and "参考站（平台维护）" in html
    created = energy.post("/weather-stations", data={"code": "OWN3", "name": "图书馆屋顶"})
    assert created.status_code == 302
    duplicate = energy.post("/weather-stations", data={"code": "OWN3", "name": "x"})
    assert duplicate.status_code == 409 and 'data-field="code"' in duplicate.get_data(as_text=True)
    assert (
        login_as("engineer@esco.demo")
        .post("/weather-stations", data={"code": "E1", "name": "x"})
        .status_code
        == 403
    )

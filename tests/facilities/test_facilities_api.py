"""The facilities JSON API and pages: CRUD, uploads (multipart and JSON), readings, aggregates,
quality, CSV export, and 404 for another tenant's meter everywhere."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from emc.facilities.models import Meter, Site


@pytest.fixture
def energy(login_as):
    return login_as("energy@school.demo")


def _create_meter(client, name="API表", **overrides):
    site = client.post("/api/v1/sites", json={"name": f"{name}场地", "region_code": "330100"})
    assert site.status_code == 201, site.get_json()
    body = {
        "site_id": site.get_json()["id"],
        "name": name,
        "carrier": "electricity",
        "unit": "千瓦时",
        "kind": "interval",
        "interval_minutes": 60,
        **overrides,
    }
    meter = client.post("/api/v1/meters", json=body)
    assert meter.status_code == 201, meter.get_json()
    return meter.get_json()


def _upload(client, meter_id, text, name="r.csv", **form):
    data = {"file": (io.BytesIO(text.encode()), name), **form}
    return client.post(
        f"/api/v1/meters/{meter_id}/readings", data=data, content_type="multipart/form-data"
    )


def test_sites_buildings_and_meters_crud(energy):
    meter = _create_meter(energy)
    assert meter["unit"] == "kWh" and meter["multiplier"] == "1.0000"
    site_id = meter["site_id"]
    patched = energy.patch(f"/api/v1/sites/{site_id}", json={"address": "凤起路 1 号"})
    assert patched.status_code == 200 and patched.get_json()["address"] == "凤起路 1 号"
    building = energy.post(
        "/api/v1/buildings",
        json={
            "site_id": site_id,
            "name": "实验楼",
            "floor_area_m2": "5200.5",
            "building_type": "school",
            "climate_zone": "hot_summer_cold_winter",
        },
    )
    assert building.status_code == 201 and building.get_json()["floor_area_m2"] == "5200.50"
    listed = energy.get(f"/api/v1/buildings?site_id={site_id}").get_json()
    assert [b["name"] for b in listed] == ["实验楼"]
    bad = energy.post(
        "/api/v1/meters",
        json={
            "site_id": site_id,
            "name": "坏表",
            "carrier": "water",
            "unit": "kWh",
            "kind": "billing",
        },
    )
    assert bad.status_code == 422
    assert "does not fit Water" in bad.get_json()["error"]["fields"]["unit"][0]
    assert energy.get(f"/api/v1/meters?site_id={site_id}").get_json()[0]["id"] == meter["id"]


def test_multipart_upload_then_read_back_with_aware_times(energy):
    meter = _create_meter(energy)
    text = "时间,用量(kWh),质量\n2024-05-01 00:00,1.5,\n2024-05-01 01:00,2.5,估算\n"
    response = _upload(energy, meter["id"], text)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["status"], body["rows"], body["unit"]) == ("applied", 2, "kWh")
    assert body["first"] == "2024-04-30T16:00:00+00:00"
    again = _upload(energy, meter["id"], text, name="again.csv")
    assert again.status_code == 201 and again.get_json()["status"] == "unchanged"
    readings = energy.get(
        f"/api/v1/meters/{meter['id']}/readings?start=2024-05-01T01:00:00%2B08:00"
    ).get_json()
    assert readings["unit"] == "kWh" and readings["timezone"] == "Asia/Shanghai"
    assert readings["readings"] == [
        {
            "start": "2024-05-01T01:00:00+08:00",
            "end": "2024-05-01T02:00:00+08:00",
            "value": "2.5",
            "quality": "estimated",
        }
    ]
    naive = energy.get(f"/api/v1/meters/{meter['id']}/readings?start=2024-05-01T01:00:00")
    assert naive.status_code == 422 and "start" in naive.get_json()["error"]["fields"]


def test_upload_problems_come_back_in_the_shared_error_shape(energy):
    meter = _create_meter(energy)
    text = "时间,用量\n2024-05-01 00:00,1\n2024-05-01 01:00,x\n2024-05-01 02:00,\n"
    response = _upload(energy, meter["id"], text)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_file"
    assert set(error["fields"]) == {"row 3, column 用量", "row 4, column 用量"}
    assert energy.get(f"/api/v1/meters/{meter['id']}/readings").get_json()["readings"] == []
    overlap = "时间,用量\n2024-05-01 00:00,1\n"
    assert _upload(energy, meter["id"], overlap).status_code == 201
    clash = _upload(energy, meter["id"], "时间,用量\n2024-05-01 00:00,2\n", name="b.csv")
    assert clash.status_code == 409
    assert clash.get_json()["error"]["fields"]["overlap"]["count"] == 1
    replaced = _upload(
        energy, meter["id"], "时间,用量\n2024-05-01 00:00,2\n", name="b.csv", replace="true"
    )
    assert replaced.status_code == 201 and replaced.get_json()["replaced_count"] == 1


def test_json_rows_upload_and_their_error_keys(energy):
    meter = _create_meter(energy)
    rows = [
        {"start": "2024-06-01T00:00:00+08:00", "value": "3.25"},
        {"start": "2024-06-01T01:00:00+08:00", "value": "4", "quality": "estimated"},
    ]
    ok = energy.post(f"/api/v1/meters/{meter['id']}/readings", json={"rows": rows})
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["rows"] == 2
    naive = energy.post(
        f"/api/v1/meters/{meter['id']}/readings",
        json={"rows": [{"start": "2024-06-02T00:00:00", "value": "1"}]},
    )
    assert naive.status_code == 422
    assert list(naive.get_json()["error"]["fields"]) == ["rows[0].start"]
    negative = energy.post(
        f"/api/v1/meters/{meter['id']}/readings",
        json={"rows": [{"start": "2024-06-03T00:00:00+08:00", "value": "-1"}]},
    )
    assert negative.status_code == 422
    assert list(negative.get_json()["error"]["fields"]) == ["rows[0].value"]


def test_aggregates_quality_and_a_csv_export_that_reads_back(energy):
    meter = _create_meter(energy)
    lines = ["时间,用量"] + [f"2024-07-{d:02d} {h:02d}:00,{d}" for d in (1, 2) for h in range(24)]
    assert _upload(energy, meter["id"], "\n".join(lines)).status_code == 201
    days = energy.get(f"/api/v1/meters/{meter['id']}/aggregates?period=day").get_json()
    assert days["unit"] == "kWh"
    assert days["totals"] == [
        {"period": "2024-07-01", "total": "24.0", "readings": 24},
        {"period": "2024-07-02", "total": "48.0", "readings": 24},
    ]
    months = energy.get(f"/api/v1/meters/{meter['id']}/aggregates?period=month").get_json()
    assert months["totals"] == [{"period": "2024-07-01", "total": "72.0", "readings": 48}]
    quality = energy.get(f"/api/v1/meters/{meter['id']}/quality").get_json()
    assert quality["readings"] == 48 and quality["gaps"] == []
    assert quality["coverage"] == [{"month": "2024-07-01", "readings": 48, "fraction": 0.0645}]
    export = energy.get(f"/api/v1/meters/{meter['id']}/readings.csv?format=iso")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeff")  # UTF-8 with a BOM, like every CSV export
    assert text.lstrip("\ufeff").splitlines()[:2] == [
        "timestamp,actual consumption(kWh),quality",
        "2024-07-01T00:00:00+08:00,1.0,measured",
    ]
    twin = _create_meter(energy, name="复制表")
    assert _upload(energy, twin["id"], text, name="export.csv").status_code == 201
    first = energy.get(f"/api/v1/meters/{meter['id']}/readings").get_json()["readings"]
    second = energy.get(f"/api/v1/meters/{twin['id']}/readings").get_json()["readings"]
    assert first == second


def test_another_institutions_meter_is_404_in_api_pages_downloads_and_uploads(
    energy, login_as, db_session
):
    meter = _create_meter(energy)
    hospital = login_as("energy@hospital.demo")
    mid = meter["id"]
    for url in (
        f"/api/v1/meters/{mid}",
        f"/api/v1/meters/{mid}/readings",
        f"/api/v1/meters/{mid}/aggregates?period=day",
        f"/api/v1/meters/{mid}/quality",
        f"/api/v1/meters/{mid}/readings.csv",
        f"/meters/{mid}",
        f"/sites/{meter['site_id']}",
    ):
        assert hospital.get(url).status_code == 404, url
    assert _upload(hospital, mid, "时间,用量\n2024-01-01 00:00,1\n").status_code == 404
    json_upload = hospital.post(f"/api/v1/meters/{mid}/readings", json={"rows": "nonsense"})
    assert json_upload.status_code == 404
    page_upload = hospital.post(
        f"/meters/{mid}/readings",
        data={"file": (io.BytesIO(b"x"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert page_upload.status_code == 404


def test_pages_show_sites_meters_chart_coverage_and_upload_results(energy, db_session):
    site = db_session.scalar(select(Site).where(Site.name == "一中本部校区"))
    meter = db_session.scalar(select(Meter).where(Meter.name == "总表 10kV"))
    page = energy.get("/sites").get_data(as_text=True)
    assert "一中本部校区" in page and "人民医院院区" not in page
    site_page = energy.get(f"/sites/{site.id}").get_data(as_text=True)
    assert "教学楼" in site_page and "总表 10kV" in site_page and "70,176" in site_page
    meter_page = energy.get(f"/meters/{meter.id}")
    html = meter_page.get_data(as_text=True)
    assert meter_page.status_code == 200
    assert "<svg" in html and 'class="daily-chart"' in html
    assert html.count('class="cell c4"') >= 700  # two years of complete days
    assert f"/api/v1/meters/{meter.id}/readings.csv" in html
    bad = energy.post(
        f"/meters/{meter.id}/readings",
        data={"file": (io.BytesIO("时间,用量\n2025-01-01 00:00,x\n".encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "第 2 行，“用量”列" in bad.get_data(as_text=True)
    good = energy.post(
        f"/meters/{meter.id}/readings",
        data={"file": (io.BytesIO("时间,用量\n2025-01-01 00:00,5\n".encode()), "ok.csv")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert "ok.csv" in energy.get(f"/meters/{meter.id}").get_data(as_text=True)
    clash = energy.post(
        f"/meters/{meter.id}/readings",
        data={"file": (io.BytesIO("时间,用量\n2024-12-31 23:00,5\n".encode()), "c.csv")},
        content_type="multipart/form-data",
    )
    assert clash.status_code == 409 and "重叠" in clash.get_data(as_text=True)


def test_an_end_before_the_start_is_the_catalogues_sentence_said_in_chinese(app):
    """The readings range's "must be after start" is the catalogue's field.after_start."""
    import marshmallow as ma
    from flask_babel import force_locale

    from emc.facilities.schemas import RangeQuery
    from emc.web.messages import say

    with pytest.raises(ma.ValidationError) as error:
        RangeQuery().load(
            {"start": "2025-01-02T00:00:00+08:00", "end": "2025-01-01T00:00:00+08:00"}
        )
    (message,) = error.value.messages["end"]
    assert message.code == "field.after_start"
    with app.test_request_context(), force_locale("zh_CN"):
        assert say(message) == "必须晚于开始时间"

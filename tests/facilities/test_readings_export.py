"""The readings CSV export: the upload template's format for people (Chinese headers, local
times, 实测/估算/替换, a bill's last day as its end), the machine format for API clients, and
both read back unchanged through an upload — to the same meter with replace, or a fresh one."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from emc.auth.models import User
from emc.demo import actor_for as actor
from emc.facilities import service
from emc.facilities.ingest import formats
from emc.facilities.models import MeterReading


def make_meter(session, who, *, name="导出表", **meter):
    site = service.create_site(session, who, name=f"{name}场所", region_code="330100")
    spec = {"carrier": "electricity", "unit": "kWh", "kind": "interval", "interval_minutes": 60}
    spec.update(meter)
    return service.create_meter(session, who, site_id=site.id, name=name, **spec)


def csv_bytes(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


@pytest.fixture
def energy(db_session):
    return actor(db_session, "energy@school.demo")


def stored(session, meter_id):
    return [
        (r.start_ts, r.end_ts, r.value, r.quality)
        for r in session.scalars(
            select(MeterReading)
            .where(MeterReading.meter_id == meter_id)
            .order_by(MeterReading.start_ts)
        )
    ]


def export(session, who, meter_id, style="local") -> str:
    _meter, lines = service.export_csv(session, who, meter_id, style=style)
    return "".join(lines)


def reads_back(session, who, meter, text: str, twin: str, **fresh) -> None:
    """``text`` uploaded over the meter's readings, and to a fresh meter, gives the same."""
    before = stored(session, meter.id)
    data = ("\ufeff" + text).encode()  # as downloaded: with the BOM
    service.import_readings(
        session, who, meter.id, io.BytesIO(data), filename="export.csv", replace=True
    )
    assert stored(session, meter.id) == before
    twin = make_meter(session, who, name=twin, **fresh)
    service.import_readings(session, who, twin.id, io.BytesIO(data), filename="export.csv")
    assert [r[1:] for r in stored(session, twin.id)] == [r[1:] for r in before]
    assert [r[0] for r in stored(session, twin.id)] == [r[0] for r in before]


def test_interval_export_speaks_the_templates_language_and_reads_back(db_session, energy):
    meter = make_meter(db_session, energy)
    text = "时间,用量(kWh),质量\n2024-07-01 00:00,28.31,实测\n2024-07-01 01:00,1.5,估算\n"
    text += "2024-07-01 02:00,2,已替换\n"  # the page's label of "replaced" is read too
    service.import_readings(db_session, energy, meter.id, csv_bytes(text), filename="a.csv")
    local = export(db_session, energy, meter.id)
    assert local.splitlines() == [
        "时间,实际用量(kWh),质量",
        "2024-07-01 00:00,28.31,实测",
        "2024-07-01 01:00,1.5,估算",
        "2024-07-01 02:00,2.0,替换",
    ]
    # The headers are the template's own words, the value's saying the multiplier is applied.
    assert local.splitlines()[0].startswith(formats.HEADERS["timestamp"][0] + ",")
    assert formats.EXPORT_VALUE[0] in local.splitlines()[0]
    reads_back(db_session, energy, meter, local, "中文副本")
    iso = export(db_session, energy, meter.id, style="iso")
    assert iso.splitlines()[:2] == [
        "timestamp,actual consumption(kWh),quality",
        "2024-07-01T00:00:00+08:00,28.31,measured",
    ]
    reads_back(db_session, energy, meter, iso, "机器副本")


def test_billing_export_writes_the_last_day_as_the_end_like_the_template(db_session, energy):
    spec = {"carrier": "natural_gas", "unit": "m³", "kind": "billing", "interval_minutes": None}
    meter = make_meter(db_session, energy, name="燃气表", **spec)
    text = "开始日期,结束日期,用量\n2024-01-01,2024-01-31,24500\n2024-02-01,2024-02-29,21800\n"
    service.import_readings(db_session, energy, meter.id, csv_bytes(text), filename="b.csv")
    local = export(db_session, energy, meter.id)
    assert local.splitlines() == [
        "开始日期,结束日期,实际用量(m³),质量",
        "2024-01-01,2024-01-31,24500.0,实测",
        "2024-02-01,2024-02-29,21800.0,实测",
    ]
    reads_back(db_session, energy, meter, local, "中文副本", **spec)
    iso = export(db_session, energy, meter.id, style="iso")
    assert (
        iso.splitlines()[1]
        == "2024-01-01T00:00:00+08:00,2024-02-01T00:00:00+08:00,24500.0,measured"
    )
    reads_back(db_session, energy, meter, iso, "机器副本", **spec)


def test_a_lone_bill_keeps_an_end_the_reader_cannot_mistake(db_session, energy):
    # One bill shows no sign of inclusive ends: the reader would take 2024-03-31 as exclusive
    # and lose a day, so the export writes the exclusive end with its time.
    spec = {"carrier": "natural_gas", "unit": "m³", "kind": "billing", "interval_minutes": None}
    meter = make_meter(db_session, energy, name="单张账单", **spec)
    text = "开始日期,结束日期,用量\n2024-03-01,2024-04-01 00:00,900\n"
    service.import_readings(db_session, energy, meter.id, csv_bytes(text), filename="c.csv")
    local = export(db_session, energy, meter.id)
    assert local.splitlines()[1] == "2024-03-01,2024-04-01 00:00,900.0,实测"
    reads_back(db_session, energy, meter, local, "副本", **spec)


def test_the_api_speaks_the_request_language_and_keeps_the_iso_format(login_as, db_session):
    client = login_as("energy@school.demo")
    site = client.post("/api/v1/sites", json={"name": "导出场所", "region_code": "330100"})
    body = {
        "site_id": site.get_json()["id"],
        "name": "导出表",
        "carrier": "electricity",
        "unit": "kWh",
        "kind": "interval",
        "interval_minutes": 60,
    }
    meter = client.post("/api/v1/meters", json=body).get_json()
    upload = client.post(
        f"/api/v1/meters/{meter['id']}/readings",
        data={"file": (io.BytesIO("时间,用量\n2024-07-01 00:00,1\n".encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201
    url = f"/api/v1/meters/{meter['id']}/readings.csv"
    zh = client.get(url).get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert zh == ["时间,实际用量(kWh),质量", "2024-07-01 00:00,1.0,实测"]
    iso = client.get(url + "?format=iso").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert iso == [
        "timestamp,actual consumption(kWh),quality",
        "2024-07-01T00:00:00+08:00,1.0,measured",
    ]
    assert client.get(url + "?format=excel").status_code == 422
    user = db_session.scalar(select(User).where(User.email == "energy@school.demo"))
    user.locale = "en"
    db_session.flush()
    english = client.get(url).get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert english[0] == "timestamp,actual consumption(kWh),quality"


@pytest.mark.parametrize("style", ["local", "iso"])
def test_a_meter_with_a_multiplier_reads_back_without_multiplying_twice(db_session, energy, style):
    # A CT meter (倍率 40): the upload multiplies what is read off the meter; the export holds
    # the consumption (实际用量), which must not be multiplied again, into this meter or into
    # one without a multiplier.
    meter = make_meter(db_session, energy, name="互感器表", multiplier=40)
    text = "时间,用量(kWh)\n2024-07-01 00:00,1.25\n2024-07-01 01:00,0.7\n"
    service.import_readings(db_session, energy, meter.id, csv_bytes(text), filename="ct.csv")
    assert [r[2] for r in stored(db_session, meter.id)] == [50.0, 28.0]
    reads_back(db_session, energy, meter, export(db_session, energy, meter.id, style), "无倍率")
    reads_back(
        db_session,
        energy,
        meter,
        export(db_session, energy, meter.id, style),
        "倍率200",
        multiplier=200,
    )


@pytest.mark.parametrize("style", ["local", "iso"])
def test_a_register_meters_export_reads_back_as_the_periods_between_reads(
    db_session, energy, style
):
    spec = {"kind": "register", "interval_minutes": None, "multiplier": 10}
    meter = make_meter(db_session, energy, name="抄表电表", **spec)
    text = (
        "时间,读数\n2024-07-01 00:00,1000.5\n2024-07-02 00:00,1012\n"
        "2024-07-03 00:00,1030.25\n2024-07-05 00:00,1041\n"
    )
    service.import_readings(db_session, energy, meter.id, csv_bytes(text), filename="reg.csv")
    assert [r[2] for r in stored(db_session, meter.id)] == [115.0, 182.5, 107.5]
    local = export(db_session, energy, meter.id, style)
    if style == "local":
        assert local.splitlines() == [
            "开始日期,结束日期,实际用量(kWh),质量",
            "2024-07-01,2024-07-01,115.0,实测",
            "2024-07-02,2024-07-02,182.5,实测",
            "2024-07-03,2024-07-04,107.5,实测",
        ]
    reads_back(db_session, energy, meter, local, "抄表副本", **spec)


def test_the_template_steps_as_the_meter_does(login_as):
    """The hourly template offered on a daily meter gave an error a row, and on a 15-minute
    meter a gap report; the meter page's template steps by the meter's interval."""
    client = login_as("energy@school.demo")
    daily = client.get("/readings/template-interval.csv?minutes=1440").get_data(as_text=True)
    assert daily.lstrip("\ufeff").splitlines()[1:3] == [
        "2026-01-01 00:00,12.5",
        "2026-01-02 00:00,11.8",
    ]
    quarter = client.get("/readings/template-interval.csv?minutes=15").get_data(as_text=True)
    assert quarter.splitlines()[2] == "2026-01-01 00:15,11.8"
    plain = client.get("/readings/template-interval.csv").get_data(as_text=True)
    assert plain.splitlines()[2] == "2026-01-01 01:00,11.8"


def test_a_per_row_unit_keeps_the_applied_multiplier_of_the_header(db_session, energy):
    meter = make_meter(db_session, energy, name="逐行单位表", multiplier=40)
    text = "时间,实际用量,单位\n2024-07-01 00:00,2,MWh\n2024-07-01 01:00,500,kWh\n"
    service.import_readings(db_session, energy, meter.id, csv_bytes(text), filename="u.csv")
    assert [r[2] for r in stored(db_session, meter.id)] == [2000.0, 500.0]

"""Implausible meter data is refused, row and column named, nothing written: register drops
that are no roll-over, non-finite or oversized values, date-only rows on interval meters."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emc.facilities.ingest import IngestError, MeterSpec, read_readings

HOURLY = MeterSpec(carrier="electricity", unit="kWh", kind="interval", interval_minutes=60)
RATED = MeterSpec(
    carrier="electricity", unit="kWh", kind="interval", interval_minutes=15, max_per_hour=400.0
)
BILLS = MeterSpec(carrier="electricity", unit="kWh", kind="billing", max_per_hour=100.0)
ROLLING = MeterSpec(carrier="electricity", unit="kWh", kind="register", rollover=100000.0)


def read(text, spec):
    reader = read_readings(io.BytesIO(text.encode()), filename="m.csv", spec=spec)
    return reader.read_all(), reader.summary


def problems(text, spec):
    reader = read_readings(io.BytesIO(text.encode()), filename="m.csv", spec=spec)
    with pytest.raises(IngestError) as err:
        reader.read_all()
    return [(p.code, p.row, p.column) for p in err.value.problems]


def test_a_small_register_drop_is_not_a_rollover():
    text = "timestamp,reading\n2024-01-01,50000\n2024-01-02,49900\n"
    assert problems(text, ROLLING) == [("register_decrease", 3, "reading")]


def test_a_drop_from_the_middle_of_the_range_to_zero_is_not_a_rollover():
    text = "timestamp,reading\n2024-01-01,50000\n2024-01-02,100\n"
    assert problems(text, ROLLING) == [("register_decrease", 3, "reading")]


def test_a_wrap_from_near_the_top_to_near_zero_is_a_rollover():
    batch, summary = read("timestamp,reading\n2024-01-01,99950\n2024-01-02,50\n", ROLLING)
    assert batch.value == [100.0]
    assert [w.code for w in summary.warnings] == ["rollover"]


def test_a_rollover_implying_more_than_the_meter_can_use_is_refused():
    spec = MeterSpec(
        carrier="electricity", unit="kWh", kind="register", rollover=100000.0, max_per_hour=10.0
    )
    # 99,000 → 5,000 implies 6,000 kWh in a day; the meter is rated 10 kWh/h (240 kWh a day).
    text = "timestamp,reading\n2024-01-01,99000\n2024-01-02,5000\n"
    assert problems(text, spec) == [("implausible_value", 3, "reading")]


@pytest.mark.parametrize("value", ["1e308", "inf", "nan", "1e13"])
def test_non_finite_or_absurd_values_are_refused(value):
    text = f"timestamp,value\n2024-01-01 00:00,1\n2024-01-01 01:00,{value}\n"
    found = problems(text, HOURLY)
    assert len(found) == 1 and found[0][1:] == (3, "value")
    assert found[0][0] in ("implausible_value", "non_finite")


def test_a_huge_value_in_a_bigger_unit_cannot_overflow():
    text = "timestamp,value\n2024-01-01 00:00,1e306\n"
    spec = MeterSpec(carrier="electricity", unit="kWh", kind="interval", interval_minutes=60)
    reader = read_readings(io.BytesIO(text.encode()), filename="m.csv", spec=spec, unit="MWh")
    with pytest.raises(IngestError) as err:
        reader.read_all()
    assert [(p.code, p.row) for p in err.value.problems] == [("implausible_value", 2)]


def test_a_value_above_the_rated_demand_times_the_interval_is_refused():
    # 400 kW for 15 minutes is at most 100 kWh.
    ok, _ = read("timestamp,value\n2024-01-01 00:00,100\n", RATED)
    assert ok.value == [100.0]
    assert problems("timestamp,value\n2024-01-01 00:00,100.5\n", RATED) == [
        ("implausible_value", 2, "value")
    ]


def test_a_bill_above_the_rated_demand_times_its_hours_is_refused():
    # 100 kW over January (744 h) is at most 74,400 kWh.
    assert read("start,end,value\n2024-01-01,2024-02-01,74400\n", BILLS)[0].value == [74400.0]
    assert problems("start,end,value\n2024-01-01,2024-02-01,80000\n", BILLS) == [
        ("implausible_value", 2, "value")
    ]


def test_date_only_rows_on_an_hourly_meter_are_refused():
    text = "timestamp,value\n2024-01-01 00:00,1\n2024-01-02,24\n"
    assert problems(text, HOURLY) == [("date_only", 3, "timestamp")]


def test_date_only_rows_on_a_daily_meter_are_fine():
    daily = MeterSpec(carrier="electricity", unit="kWh", kind="interval", interval_minutes=1440)
    batch, _ = read("timestamp,value\n2024-01-01,24\n2024-01-02,25\n", daily)
    assert batch.value == [24.0, 25.0]


@given(st.floats(allow_nan=True, allow_infinity=True).map(abs))
def test_every_stored_value_is_finite_and_bounded(value):
    text = f"timestamp,value\n2024-01-01 00:00,{value!r}\n"
    reader = read_readings(io.BytesIO(text.encode()), filename="m.csv", spec=RATED)
    try:
        batch = reader.read_all()
    except IngestError:
        return
    assert all(0 <= v <= 100 for v in batch.value)


def test_an_implausible_upload_writes_nothing(login_as):
    c = login_as("energy@school.demo")
    site = c.post("/api/v1/sites", json={"name": "合理性场地", "region_code": "330100"}).get_json()
    meter = c.post(
        "/api/v1/meters",
        json={
            "site_id": site["id"],
            "name": "合理性表",
            "carrier": "electricity",
            "unit": "kWh",
            "kind": "register",
            "rollover": "100000",
        },
    ).get_json()
    text = "时间,读数\n2024-05-01 00:00,50000\n2024-05-02 00:00,50100\n2024-05-03 00:00,50000\n"
    response = c.post(
        f"/api/v1/meters/{meter['id']}/readings",
        data={"file": (io.BytesIO(text.encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"row 4, column 读数"}
    assert c.get(f"/api/v1/meters/{meter['id']}/readings").get_json()["readings"] == []


def test_a_meters_rated_demand_bounds_its_uploads(login_as):
    c = login_as("energy@school.demo")
    site = c.post("/api/v1/sites", json={"name": "额定场地", "region_code": "330100"}).get_json()
    meter = c.post(
        "/api/v1/meters",
        json={
            "site_id": site["id"],
            "name": "额定表",
            "carrier": "electricity",
            "unit": "kWh",
            "kind": "interval",
            "interval_minutes": 60,
            "max_per_hour": "200",
        },
    )
    assert meter.status_code == 201 and meter.get_json()["max_per_hour"] == "200.000"
    meter_id = meter.get_json()["id"]
    text = "时间,用量\n2024-05-01 00:00,150\n2024-05-01 01:00,250\n"
    response = c.post(
        f"/api/v1/meters/{meter_id}/readings",
        data={"file": (io.BytesIO(text.encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"row 3, column 用量"}
    assert c.get(f"/api/v1/meters/{meter_id}/readings").get_json()["readings"] == []

"""The hourly (CalTRACK TOWT) M&V method end to end: interval readings summed to local hours in
SQL, the station's hourly temperatures, a frozen model, reports aggregated to days and months,
hourly data sufficiency (at least 90 % of the hours of each month)."""

from __future__ import annotations

import datetime as dt
import io
import random
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pypdf import PdfReader
from sqlalchemy import text
from test_mv_support import BASELINE, make_project, seen

from emc.facilities import service as facilities
from emc.facilities.models import Meter, Site
from emc.mv import data, engine
from emc.mv.models import MvMethod, ReportingFrequency
from emc.mv.service import compute, plans

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"
SAVING = 0.20
COOL_F75 = (75 - 32) * 5 / 9  # the CalTRACK 75 °F bin endpoint in °C
HEAT_F55 = (55 - 32) * 5 / 9  # the 55 °F endpoint


def hourly_truth(local: dt.datetime, temperature: float) -> float:
    """Known truth: 80 kWh in occupied hours (weekdays 08–18), 30 otherwise, plus 3 kWh/°C
    above 75 °F and 2 kWh/°C below 55 °F: exactly a TOWT shape."""
    occupied = local.weekday() < 5 and 8 <= local.hour < 18
    use = 80.0 if occupied else 30.0
    return use + 3.0 * max(0.0, temperature - COOL_F75) + 2.0 * max(0.0, HEAT_F55 - temperature)


def make_hourly(session, *, months: int = 1, gap: tuple[dt.date, dt.date] | None = None) -> dict:
    """The helper project with an hourly sub-meter (15-minute readings) following
    :func:`hourly_truth` on the station's temperatures; ``SAVING`` lower from 2024; readings of
    the local days ``gap`` left out."""
    ids = make_project(session, months=months, plan=False)
    site = session.get(Site, ids["site"])
    zone = ZoneInfo(site.timezone)
    meter = facilities.create_meter(
        session,
        ids["energy"],
        site_id=site.id,
        name=f"逐时分项 {ids['meter']}",
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=15,
    )
    start, end = BASELINE[0], data.add_months(BASELINE[1], months)
    readings = data.temperature_readings(session, site, start, end)
    hours = np.array(
        [
            np.datetime64(t.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None), "h")
            for t, _ in readings
        ]
    )
    grid, temps, _n = engine.interpolate_hourly_gaps(hours, [v for _, v in readings])
    rng = random.Random(ids["meter"])
    lines = ["时间,用电量(kWh)"]
    for h, t in zip(grid, temps, strict=True):
        utc = h.astype("datetime64[s]").astype(dt.datetime).replace(tzinfo=dt.UTC)
        local = utc.astimezone(zone).replace(tzinfo=None)
        if not start <= local.date() < end or not np.isfinite(t):
            continue
        if gap and gap[0] <= local.date() < gap[1]:
            continue
        use = hourly_truth(local, float(t)) * (1 + rng.gauss(0, 0.02))
        if local.date() >= BASELINE[1]:
            use *= 1 - SAVING
        for q in range(4):
            lines.append(f"{local + dt.timedelta(minutes=15 * q):%Y-%m-%d %H:%M},{use / 4:.4f}")
    facilities.import_readings(
        session,
        ids["energy"],
        meter.id,
        io.BytesIO("\n".join(lines).encode()),
        filename=f"h{meter.id}.csv",
        max_rows=None,
    )
    plans.put_plan(
        session,
        ids["engineer"],
        ids["project"],
        boundary=[{"meter_id": meter.id, "option": "C"}],
        method=MvMethod.HOURLY,
        baseline_start=BASELINE[0],
        baseline_end=BASELINE[1],
        reporting_frequency=ReportingFrequency.MONTHLY,
    )
    session.flush()
    return {**ids, "meter": meter.id}


def api(pid: int, tail: str = "") -> str:
    return f"/api/v1/projects/{pid}{tail}"


def test_hourly_inputs_sum_quarter_hours_to_local_hours_in_sql(db_session):
    ids = make_hourly(db_session, months=1)
    meter = db_session.get(Meter, ids["meter"])
    site = db_session.get(Site, meter.site_id)
    day = dt.date(2024, 1, 10)
    series = data.hourly_inputs(db_session, meter, site, day, day + dt.timedelta(days=1))
    assert len(series.dates) == 24
    # The first hour is local midnight of the Shanghai day: 16:00 UTC the day before.
    assert series.dates[0] == dt.datetime(2024, 1, 9, 16, 0)
    local = dt.datetime(2024, 1, 10, 9, 0)
    t = series.temperature[9]
    assert series.usage[9] == pytest.approx(hourly_truth(local, t) * (1 - SAVING), rel=0.1)
    assert series.complete and series.months == (("2024-01", 24, 24),)
    # An hour with one of its four readings missing is missing, never a partial total.
    db_session.execute(
        text("DELETE FROM meter_readings WHERE meter_id = :m AND start_ts = :s"),
        {
            "m": meter.id,
            "s": int(dt.datetime(2024, 1, 10, 9, 15, tzinfo=ZoneInfo(site.timezone)).timestamp()),
        },
    )
    series = data.hourly_inputs(db_session, meter, site, day, day + dt.timedelta(days=1))
    assert np.isnan(series.usage[9]) and np.isfinite(series.usage[8])
    assert series.months == (("2024-01", 24, 23),)


def test_hourly_baseline_and_report_recover_known_savings_through_the_api(db_session, login_as):
    ids = make_hourly(db_session, months=1)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    r = esco.post(api(pid, "/baselines"), json={})
    assert r.status_code == 201, r.get_data(as_text=True)
    b = r.get_json()
    entry = b["models"][0]
    assert b["method"] == "hourly"
    # CV(RMSE) passes; the G14 default NMBE limit (0.005 %) is an OLS property that the
    # neighbour-weighted TOWT fit meets or misses by noise, so it is not asserted here.
    assert entry["verdict"]["checks"]["cvrmse"] is True
    assert entry["model"]["schema"] == engine.HOURLY_MODEL_SCHEMA
    # The truth is a TOWT shape with 2 % noise: the fit is close.
    assert entry["statistics"]["cvrmse"] < 0.05
    assert abs(entry["statistics"]["nmbe"]) < 0.005
    assert [s["month"] for s in entry["sufficiency"]][0] == "2023-01"
    assert len(entry["sufficiency"]) == 12
    assert all(s["share"] >= 0.9 for s in entry["sufficiency"])
    # The frozen model predicts the truth from temperatures alone.
    model = engine.model_from_dict(entry["model"])
    zone = ZoneInfo("Asia/Shanghai")
    local = dt.datetime(2023, 7, 12, 14, 0)
    utc = np.array(
        [np.datetime64(local.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None), "s")]
    )
    assert model.predict(utc, [30.0])[0] == pytest.approx(hourly_truth(local, 30.0), rel=0.05)

    # The baseline page and approval sheet show the hourly model and its sufficiency.
    page = inst.get(f"/projects/{pid}/mv/baselines/{b['id']}")
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert 'data-testid="sufficiency"' in html and "2023-03" in html and "12 / 12" in html
    sheet = inst.get(api(pid, f"/baselines/{b['id']}.pdf?lang=en"))
    assert sheet.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    assert "(TOWT)" in text and "Hourly data sufficiency" in text and "100.0 %" in text
    r = inst.post(
        api(pid, f"/baselines/{b['id']}/approve"),
        json={"comment": "同意", "row_version": seen(inst, pid, f"/baselines/{b['id']}")},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    period = {"period_start": "2024-01-01", "period_end": "2024-02-01"}
    r = esco.post(api(pid, "/mv-reports"), json=period)
    assert r.status_code == 201, r.get_data(as_text=True)
    report = r.get_json()
    month = report["months"][0]
    assert month["month"] == "2024-01" and month["n_days"] == 31 and month["n_days_used"] == 31
    # Reporting use is 80 % of the truth, so avoided ≈ 20 % of the adjusted baseline.
    assert month["avoided"] == pytest.approx(SAVING * month["adjusted_baseline"], rel=0.05)
    assert month["reporting"] == pytest.approx((1 - SAVING) * month["adjusted_baseline"], rel=0.02)
    assert 0 < report["fsu_68"] < report["fsu_90"] < 0.1
    band = report["results"][0]["cumulative_band"][0]
    assert band["band_68"] == pytest.approx(report["fsu_68"] * month["avoided"], rel=1e-6)
    # The report's data fingerprint covers the reporting hours.
    meter = db_session.get(Meter, ids["meter"])
    inputs = compute.report_inputs(
        db_session,
        [{"meter_id": meter.id, "model": entry["model"]}],
        *map(dt.date.fromisoformat, (period["period_start"], period["period_end"])),
    )
    assert isinstance(inputs[0], data.HourlyInputs)
    assert data.fingerprint(inputs) == report["inputs_sha256"]


def test_hourly_baseline_with_a_month_under_90_percent_is_refused(db_session, login_as):
    # Five missing days of March: 624 of 744 hours (83.9 %).
    ids = make_hourly(db_session, months=1, gap=(dt.date(2023, 3, 10), dt.date(2023, 3, 15)))
    esco = login_as(ESCO)
    r = esco.post(api(ids["project"], "/baselines"), json={})
    assert r.status_code == 422, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == "insufficient_data"
    assert error["fields"]["data"] == ["2023-03: 624 of 744 hours (83.9%) have use and temperature"]
    r = esco.post(api(ids["project"], "/baselines"), json={"allow_insufficient": True})
    assert r.status_code == 201, r.get_data(as_text=True)
    codes = [w["code"] for w in r.get_json()["warnings"]]
    assert "insufficient_hours" in codes

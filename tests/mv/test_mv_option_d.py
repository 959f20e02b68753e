"""IPMVP Option D (calibrated simulation) through the API: simulation results uploaded as CSV
with the baseline proposal, the calibration judged per ASHRAE Guideline 14 against the meter
(NMBE ±5 % / CV(RMSE) 15 % monthly, ±10 % / 30 % hourly), savings = simulated baseline −
metered use with :func:`emc.mv.engine.option_d_savings`."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pypdf import PdfReader
from test_mv_hourly import make_hourly
from test_mv_support import BASELINE, make_project, seen

from emc.facilities.models import Meter, Site
from emc.mv import data
from emc.mv.models import MvMethod, ReportingFrequency
from emc.mv.service import plans

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"
SIMULATED_BASELINE = {"2024-01": 31000.0, "2024-02": 27500.0}


def api(pid: int, tail: str = "") -> str:
    return f"/api/v1/projects/{pid}{tail}"


def monthly_measured(session, meter_id: int, start, end) -> dict[str, float]:
    meter = session.get(Meter, meter_id)
    series = data.daily_inputs(session, meter, session.get(Site, meter.site_id), start, end)
    out: dict[str, float] = {}
    for d, u in zip(series.dates, series.usage, strict=True):
        out[d.strftime("%Y-%m")] = out.get(d.strftime("%Y-%m"), 0.0) + u
    return out


def csv_of(values: dict[str, float]) -> str:
    return "period,value,unit\n" + "".join(f"{k},{v!r},kWh\n" for k, v in values.items())


def monthly_project(session, factor: float) -> tuple[dict, dict[str, float]]:
    """The helper project (daily meter, 15 % savings from 2024) as option D, with a
    simulation that reads ``factor`` × the metered months of 2023."""
    ids = make_project(session, months=2, plan=False)
    plans.put_plan(
        session,
        ids["engineer"],
        ids["project"],
        boundary=[{"meter_id": ids["meter"], "option": "D"}],
        method=MvMethod.BILLING,
        baseline_start=BASELINE[0],
        baseline_end=BASELINE[1],
        reporting_frequency=ReportingFrequency.MONTHLY,
    )
    session.flush()
    measured = monthly_measured(session, ids["meter"], *BASELINE)
    simulation = {
        "meter_id": ids["meter"],
        "interval": "monthly",
        "calibration_csv": csv_of({k: v * factor for k, v in measured.items()}),
        "baseline_csv": csv_of(SIMULATED_BASELINE),
    }
    return {**ids, "simulation": simulation}, measured


def test_monthly_option_d_calibrates_and_reports_simulated_minus_metered(db_session, login_as):
    ids, measured = monthly_project(db_session, 1.02)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    # Without its simulation, an option D meter has no baseline.
    r = esco.post(api(pid, "/baselines"), json={})
    assert r.status_code == 422 and "simulations" in r.get_json()["error"]["fields"]
    r = esco.post(api(pid, "/baselines"), json={"simulations": [ids["simulation"]]})
    assert r.status_code == 201, r.get_data(as_text=True)
    b = r.get_json()
    cal = b["models"][0]["model"]["calibration"]
    # G14 with p = 1: NMBE = Σ(measured − simulated) / ((n − p) · mean measured).
    m = np.array(list(measured.values()))
    s = m * 1.02
    assert cal["n"] == 12 and cal["interval"] == "monthly"
    assert cal["nmbe"] == pytest.approx((m - s).sum() / (11 * m.mean()), rel=1e-9)
    assert cal["cvrmse"] == pytest.approx(np.sqrt(((m - s) ** 2).sum() / 11) / m.mean(), rel=1e-9)
    assert cal["calibrated"] is True and b["verdict_passed"] is True
    assert (cal["nmbe_limit"], cal["cvrmse_limit"]) == (0.05, 0.15)
    page = inst.get(f"/projects/{pid}/mv/baselines/{b['id']}").get_data(as_text=True)
    assert 'data-testid="calibration"' in page
    assert (
        inst.post(
            api(pid, f"/baselines/{b['id']}/approve"),
            json={"row_version": seen(inst, pid, f"/baselines/{b['id']}")},
        ).status_code
        == 200
    )

    period = {"period_start": "2024-01-01", "period_end": "2024-03-01"}
    r = esco.post(api(pid, "/mv-reports"), json=period)
    assert r.status_code == 201, r.get_data(as_text=True)
    report = r.get_json()
    metered = monthly_measured(db_session, ids["meter"], dt.date(2024, 1, 1), dt.date(2024, 3, 1))
    for row in report["months"]:
        assert row["adjusted_baseline"] == SIMULATED_BASELINE[row["month"]]
        assert row["reporting"] == pytest.approx(metered[row["month"]], rel=1e-12)
        assert row["avoided"] == pytest.approx(
            SIMULATED_BASELINE[row["month"]] - metered[row["month"]], rel=1e-12
        )
    d = report["results"][0]["savings"]["option_d"]
    assert d["reporting_basis"] == "measured" and d["calibration"]["calibrated"] is True
    assert d["savings"] == pytest.approx(sum(SIMULATED_BASELINE.values()) - sum(metered.values()))
    sheet = inst.get(api(pid, f"/mv-reports/{report['id']}.pdf?lang=en"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    assert "Calibrated (ASHRAE Guideline 14)" in text


def test_uncalibrated_simulation_fails_the_baseline_verdict(db_session, login_as):
    ids, _measured = monthly_project(db_session, 1.20)
    r = login_as(ESCO).post(
        api(ids["project"], "/baselines"), json={"simulations": [ids["simulation"]]}
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    b = r.get_json()
    cal = b["models"][0]["model"]["calibration"]
    # −20 % × 12 / 11 ≈ −21.8 % NMBE: beyond ±5 %.
    assert cal["nmbe"] == pytest.approx(-0.2 * 12 / 11, rel=1e-9)
    assert cal["nmbe_ok"] is False and cal["calibrated"] is False
    assert b["verdict_passed"] is False


def test_simulation_csv_errors_name_the_line(db_session, login_as):
    ids, _measured = monthly_project(db_session, 1.0)
    sim = {**ids["simulation"], "baseline_csv": "period,value,unit\n2024-01,31000,MWh\n"}
    r = login_as(ESCO).post(api(ids["project"], "/baselines"), json={"simulations": [sim]})
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["message_code"] == "mv.line_unit" and error["params"]["line"] == 2
    assert error["fields"]["baseline_csv"] == ["Line 2: the unit is MWh, the meter reads kWh."]


def test_hourly_option_d_uses_the_hourly_limits(db_session, login_as):
    ids = make_hourly(db_session, months=1)
    meter = db_session.get(Meter, ids["meter"])
    site = db_session.get(Site, meter.site_id)
    plans.put_plan(
        db_session,
        ids["engineer"],
        ids["project"],
        boundary=[{"meter_id": meter.id, "option": "D"}],
        method=MvMethod.HOURLY,
        baseline_start=BASELINE[0],
        baseline_end=BASELINE[1],
        reporting_frequency=ReportingFrequency.MONTHLY,
    )
    zone = ZoneInfo(site.timezone)

    def local(h):
        return h.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    base = data.hourly_inputs(db_session, meter, site, *BASELINE)
    # 8 % high: beyond the monthly ±5 % but within the hourly ±10 %.
    calibration = {local(h): u * 1.08 for h, u in zip(base.dates, base.usage, strict=True)}
    rep = data.hourly_inputs(db_session, meter, site, dt.date(2024, 1, 1), dt.date(2024, 2, 1))
    simulated = {local(h): 100.0 for h in rep.dates}
    sim = {
        "meter_id": meter.id,
        "interval": "hourly",
        "calibration_csv": csv_of(calibration),
        "baseline_csv": csv_of(simulated),
    }
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    r = esco.post(api(pid, "/baselines"), json={"simulations": [sim]})
    assert r.status_code == 201, r.get_data(as_text=True)
    b = r.get_json()
    cal = b["models"][0]["model"]["calibration"]
    assert cal["interval"] == "hourly" and cal["n"] == 8760
    assert cal["nmbe"] == pytest.approx(-0.08 * 8760 / 8759, rel=1e-6)
    assert cal["calibrated"] is True and (cal["nmbe_limit"], cal["cvrmse_limit"]) == (0.1, 0.3)
    assert (
        inst.post(
            api(pid, f"/baselines/{b['id']}/approve"),
            json={"row_version": seen(inst, pid, f"/baselines/{b['id']}")},
        ).status_code
        == 200
    )
    period = {"period_start": "2024-01-01", "period_end": "2024-02-01"}
    r = esco.post(api(pid, "/mv-reports"), json=period)
    assert r.status_code == 201, r.get_data(as_text=True)
    month = r.get_json()["months"][0]
    assert month["adjusted_baseline"] == 744 * 100.0
    assert month["reporting"] == pytest.approx(sum(rep.usage), rel=1e-12)
    assert month["n_days_used"] == 31

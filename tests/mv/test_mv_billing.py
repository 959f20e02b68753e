"""Bill meters under M&V (user walk: a monthly-bill meter could never get a baseline): the
billing method fits and reports on the meter's own bill periods; a bill meter under the daily
method is refused at plan time naming the method that fits bills; the sufficiency refusal is
said once, in Chinese; an adjustment not yet agreed is named as the report page lists it."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from test_mv_support import BASELINE, actor, make_project, signed_project, truth

from emc.errors import Conflict, Invalid
from emc.facilities import service as facilities
from emc.facilities.models import Meter, Site
from emc.mv import data, engine
from emc.mv.models import Baseline, MvMethod, ReportingFrequency
from emc.mv.service import baselines, plans, reports
from emc.mv.service.demo import demo_terms
from emc.web.messages import describe, say

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"
ZH = {"Accept-Language": "zh-CN"}


def _months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    while start < end:
        out.append((start, data.add_months(start, 1)))
        start = out[-1][1]
    return out


def bill_project(session, *, months: int = 3, method=MvMethod.BILLING) -> dict:
    """A signed project with a monthly-bill electricity meter: twelve bills of 2023 (the
    baseline) and ``months`` bills of 2024, 15 % lower, with the station's temperatures."""
    project, site, _daily = signed_project(
        session,
        name="账单表测量与验证",
        terms=demo_terms(),
        signed_on=dt.date(2023, 12, 1),
        meter_name="日分项（未用）",
    )
    energy = actor(session, INSTITUTION)
    meter = facilities.create_meter(
        session,
        energy,
        site_id=site.id,
        name="月度账单总表",
        carrier="electricity",
        unit="kWh",
        kind="billing",
        interval_minutes=None,
    )
    start, end = BASELINE[0], data.add_months(BASELINE[1], months)
    readings = data.temperature_readings(session, site, start, end)
    temps = engine.daily_temperature(
        [t for t, _ in readings], [v for _, v in readings], start, end
    ).temperature
    by_day = dict(zip(data.days(start, end), (float(t) for t in temps), strict=True))
    rng = random.Random(7)
    lines = ["开始日期,结束日期,用电量(kWh)"]
    for a, b in _months(start, end):
        use = sum(truth(by_day[d], d, 0.15) for d in data.days(a, b)) * (1 + rng.gauss(0, 0.01))
        lines.append(f"{a:%Y-%m-%d},{b - dt.timedelta(days=1):%Y-%m-%d},{use:.1f}")
    facilities.import_readings(
        session, energy, meter.id, io.BytesIO("\n".join(lines).encode()), filename="bills.csv"
    )
    plans.put_plan(
        session,
        actor(session, ESCO),
        project.id,
        boundary=[{"meter_id": meter.id, "option": "C"}],
        method=method,
        baseline_start=BASELINE[0],
        baseline_end=BASELINE[1],
        reporting_frequency=ReportingFrequency.MONTHLY,
    )
    session.flush()
    return {"project": project.id, "meter": meter.id, "site": site.id}


def test_the_bills_are_the_billing_periods_of_the_series(db_session):
    ids = bill_project(db_session, months=1)
    meter = db_session.get(Meter, ids["meter"])
    series = data.daily_inputs(db_session, meter, db_session.get(Site, meter.site_id), *BASELINE)
    assert series.billed and len(series.bills) == 12
    assert series.bills[0][:2] == (dt.date(2023, 1, 1), dt.date(2023, 2, 1))
    assert series.bills[-1][:2] == (dt.date(2023, 12, 1), dt.date(2024, 1, 1))
    assert len(series.billed_days()) == 365 and series.complete  # jobs draft on complete data


def test_a_year_of_monthly_bills_gives_an_approvable_baseline_through_the_page(
    db_session, login_as
):
    ids = bill_project(db_session, months=3)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    r = esco.post(f"/projects/{pid}/mv/baselines", data={}, headers=ZH)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    bid = int(r.headers["Location"].rstrip("/").split("/")[-1])
    baseline = db_session.get(Baseline, bid)
    (entry,) = baseline.models
    assert entry["model"]["method"] == "billing"
    # Twelve bills, each weighted by its days; the model recovers the known base load.
    assert entry["statistics"]["n"] == 12
    assert entry["model"]["intercept"] == pytest.approx(500, rel=0.1)
    assert baseline.verdict_passed is True
    r = inst.post(
        f"/projects/{pid}/mv/baselines/{bid}/approve", data={"comment": "同意", "row_version": "1"}
    )
    assert r.status_code == 302
    # The reporting side: January 2024 is one bill, 15 % lower than its adjusted baseline.
    report = reports.draft_report(
        db_session,
        actor(db_session, ESCO),
        pid,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    assert report.verdict["sufficiency"]["sufficient"] is True
    (month,) = report.months
    assert month["n_days_used"] == 31
    assert month["avoided"] == pytest.approx(0.15 * month["adjusted_baseline"], rel=0.2)


def test_the_service_fits_bills_with_the_billing_method(db_session):
    ids = bill_project(db_session, months=1)
    baseline = baselines.propose_baseline(db_session, actor(db_session, ESCO), ids["project"])
    assert baseline.verdict_passed is True
    assert baseline.models[0]["statistics"]["n"] == 12


def test_a_bill_meter_under_the_daily_method_is_refused_naming_the_meter_and_method(
    db_session, app
):
    with pytest.raises(Invalid) as refused:
        bill_project(db_session, method=MvMethod.DAILY)
    with app.test_request_context(headers=ZH):
        text = describe(refused.value)
    assert "月度账单总表" in text and "账单周期回归" in text
    assert "bill" not in text and "method" not in text


def test_insufficient_baseline_data_are_said_once_in_chinese(db_session, login_as):
    ids = make_project(db_session, months=1, plan=False)
    esco = login_as(ESCO)
    plans.put_plan(
        db_session,
        actor(db_session, ESCO),
        ids["project"],
        boundary=[{"meter_id": ids["meter"], "option": "C"}],
        method=MvMethod.DAILY,
        baseline_start=dt.date(2022, 1, 1),
        baseline_end=dt.date(2023, 1, 1),
        reporting_frequency=ReportingFrequency.MONTHLY,
    )
    db_session.flush()
    r = esco.post(f"/projects/{ids['project']}/mv/baselines", data={}, headers=ZH)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "CalTRACK" in html and "基准期数据不满足" in html
    assert "baseline days" not in html and "lack usage" not in html
    # The usage rule once; the combined use-or-temperature rule is not said beside it.
    assert html.count("天有用能数据") == 1
    assert "同时" not in html.split('data-testid="action-error"')[1].split("</div>")[0]


def test_accepting_with_an_adjustment_not_agreed_names_it_in_chinese(db_session, app, login_as):
    ids = make_project(db_session, months=1)
    esco, inst = actor(db_session, ESCO), actor(db_session, INSTITUTION)
    b = baselines.propose_baseline(db_session, esco, ids["project"])
    baselines.approve_baseline(db_session, inst, b.id, comment="同意", version=b.row_version)
    report = reports.draft_report(
        db_session,
        esco,
        ids["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    reports.add_adjustment(
        db_session, esco, report.id, meter_id=ids["meter"], reason="新增机房", amount="-1200"
    )
    report = reports.get_report(db_session, esco, report.id)
    report = reports.submit_report(db_session, esco, report.id, version=report.row_version)
    with pytest.raises(Conflict) as refused:
        reports.accept_report(db_session, inst, report.id, version=report.row_version)
    with app.test_request_context(headers=ZH):
        text = describe(refused.value)
        detail = say(refused.value.fields["adjustments"][0])
    assert "新增机房" in detail and db_session.get(Meter, ids["meter"]).name in detail
    assert "adjustment" not in text and "agreed" not in text
    # The report page names the adjustment's meter (not its id) and formats its amount.
    html = (
        login_as(ESCO)
        .get(f"/projects/{ids['project']}/mv/reports/{report.id}", headers=ZH)
        .get_data(as_text=True)
    )
    table = html.split('data-testid="adjustments"')[1].split("</table>")[0]
    assert db_session.get(Meter, ids["meter"]).name in table and "-1,200.0 kWh" in table

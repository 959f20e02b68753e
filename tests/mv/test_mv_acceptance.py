"""The G14 acceptance criteria: the NMBE default by method (why hourly differs), and plans
keep the criteria the parties agreed when the defaults or the method change."""

from __future__ import annotations

import numpy as np
from test_mv_support import BASELINE, make_project

from emc.mv import engine
from emc.mv.engine import hourly as towt
from emc.mv.models import DEFAULT_ACCEPTANCE, MvMethod, ReportingFrequency
from emc.mv.service import baselines, compute, plans


def _hours():
    """A year of hourly use with a TOWT shape, a temperature response and 10 % noise."""
    rng = np.random.default_rng(14)
    ts = np.datetime64("2022-12-31T16", "h") + np.arange(365 * 24)
    day = np.arange(ts.size) / 24
    temp = 15 + 10 * np.sin(2 * np.pi * (day - 100) / 365) + 3 * np.sin(2 * np.pi * day)
    hour = (np.arange(ts.size) + 8) % 24
    use = 20 + 10 * ((hour >= 8) & (hour < 18)) + 0.8 * np.maximum(temp - 20, 0)
    return ts, use * (1 + rng.normal(0, 0.1, ts.size)), temp


def test_hourly_in_sample_bias_comes_from_the_three_month_weighting(monkeypatch):
    ts, use, temp = _hours()
    weighted = engine.fit_hourly(ts, use, temp, timezone="Asia/Shanghai").statistics.nmbe
    # Each month's model is fitted on three months (neighbours weighted 0.5) and predicts only
    # its own: the residuals of its own hours need not sum to zero.
    assert 1e-7 < abs(weighted) < DEFAULT_ACCEPTANCE["nmbe_limit"] * 20
    monkeypatch.setattr(towt, "_NEIGHBOUR_WEIGHT", 0.0)
    own_only = engine.fit_hourly(ts, use, temp, timezone="Asia/Shanghai").statistics.nmbe
    assert abs(own_only) < 1e-12
    # A least-squares daily fit with an intercept has no in-sample bias at all.
    days = np.arange(np.datetime64("2023-01-01"), np.datetime64("2024-01-01"))
    daily_t = temp.reshape(-1, 24).mean(axis=1)
    daily = engine.fit_daily(days, use.reshape(-1, 24).sum(axis=1), daily_t)
    assert abs(daily.statistics.nmbe) < 1e-12


def test_nmbe_default_by_method_and_the_verdict():
    stats = {"cvrmse": 0.15, "nmbe": 0.001}
    daily = compute.verdict(stats, 1, None, plans.default_acceptance(MvMethod.DAILY))
    hourly = compute.verdict(stats, 1, None, plans.default_acceptance(MvMethod.HOURLY))
    assert daily["nmbe_limit"] == 0.00005 and daily["checks"]["nmbe"] is False
    assert hourly["nmbe_limit"] == 0.10 and hourly["checks"]["nmbe"] is True
    assert hourly["passed"] is True


def _put(session, ids, method, **kw):
    return plans.put_plan(
        session,
        ids["engineer"],
        ids["project"],
        boundary=[{"meter_id": ids["meter"], "option": "C"}],
        method=method,
        baseline_start=BASELINE[0],
        baseline_end=BASELINE[1],
        reporting_frequency=ReportingFrequency.MONTHLY,
        **kw,
    )


def test_plans_store_their_criteria_and_keep_agreed_ones(db_session):
    ids = make_project(db_session, months=1, plan=False)
    plan = _put(db_session, ids, MvMethod.HOURLY)
    assert plan.acceptance["nmbe_limit"] == 0.10
    # Switching method moves a criterion still at the old default to the new default...
    plan = _put(db_session, ids, MvMethod.DAILY, acceptance=dict(plan.acceptance))
    assert plan.acceptance["nmbe_limit"] == 0.00005
    # ...but an agreed value stays through later edits and method changes.
    plan = _put(db_session, ids, MvMethod.DAILY, acceptance={"nmbe_limit": 0.002})
    plan = _put(db_session, ids, MvMethod.HOURLY)
    assert plan.acceptance["nmbe_limit"] == 0.002
    # A plan written under the old single default (0.005 % for every method) keeps it.
    plan.acceptance = {**plan.acceptance, "nmbe_limit": 0.00005}
    db_session.flush()
    plan = _put(db_session, ids, MvMethod.HOURLY, acceptance={"fsu_limit": 0.4})
    assert plan.acceptance["nmbe_limit"] == 0.00005 and plan.acceptance["fsu_limit"] == 0.4


def test_a_baseline_keeps_the_criteria_it_was_proposed_with(db_session):
    ids = make_project(db_session, months=1, plan=False)
    _put(db_session, ids, MvMethod.DAILY, acceptance={"nmbe_limit": 0.001})
    baseline = baselines.propose_baseline(db_session, ids["engineer"], ids["project"])
    _put(db_session, ids, MvMethod.DAILY, acceptance={"nmbe_limit": 0.003})
    db_session.refresh(baseline)
    assert baseline.acceptance["nmbe_limit"] == 0.001
    assert baseline.models[0]["verdict"]["nmbe_limit"] == 0.001

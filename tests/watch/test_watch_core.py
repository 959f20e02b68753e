"""The pure cores of the watch: the CUSUM detector on known series, its invariants, the
forecasts' arithmetic, and their layering (numpy/scipy/stdlib only)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emc.mv.engine.events import cusum_events, design, savings_cusum, siegmund_arl
from emc.watch import forecast as fc

DAYS = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(200)]


def _series(step_at=None, size=0.0, seed=0, cv=0.05):
    rng = np.random.default_rng(seed)
    pred = np.full(200, 1000.0)
    actual = pred * (1 + rng.normal(0, cv, 200))
    if step_at is not None:
        actual[step_at:] += size * 1000.0
    return actual - pred, pred


def test_a_clean_step_is_found_on_its_day_with_its_size():
    resid, pred = _series(step_at=100, size=0.2)
    found, trace = cusum_events(DAYS, resid, sigma=50.0, rho=0.0, predicted=pred)
    assert len(found) == 1
    event = found[0]
    assert abs((event.start - DAYS[100]).days) <= 3
    assert event.change_per_day == pytest.approx(200, rel=0.1)
    assert event.change_percent == pytest.approx(20, abs=2)
    assert event.confidence > 0.99 and event.detected >= event.start
    assert trace.upper.shape == (200,)


def test_a_constant_level_is_never_an_event():
    resid, pred = _series()
    resid = resid - 150.0  # a 15 % saving from the first day
    assert cusum_events(DAYS, resid, sigma=50.0, predicted=pred)[0] == []


def test_missing_days_are_skipped_not_events():
    resid, pred = _series()
    resid[50:60] = np.nan
    assert cusum_events(DAYS, resid, sigma=50.0, predicted=pred)[0] == []


def test_the_design_threshold_meets_its_run_length():
    k, h = design(0.15, 0.3)
    assert siegmund_arl(k, h) >= 1000 > siegmund_arl(k, h - 0.1)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=-0.5, max_value=0.5))
def test_events_do_not_depend_on_a_constant_offset(seed, offset):
    resid, pred = _series(step_at=120, size=0.2, seed=seed)
    a = cusum_events(DAYS, resid, sigma=50.0, predicted=pred)[0]
    b = cusum_events(DAYS, resid + offset * 1000.0, sigma=50.0, predicted=pred)[0]
    assert [e.start for e in a] == [e.start for e in b]


def test_the_savings_cusum_is_centred():
    out = savings_cusum([1.0, 2.0, np.nan, 3.0])
    assert out[-1] == pytest.approx(0.0)


def test_the_savings_forecast_extrapolates_the_rate():
    f = fc.savings_forecast(
        savings_to_date=100.0,
        rate_savings=100.0,
        rate_baseline=1000.0,
        rate_days=100,
        baseline_to_date=1000.0,
        baseline_remaining=2000.0,
        days_remaining=200,
        cvrmse=0.1,
        n=365,
        p=3,
        rho=0.2,
    )
    assert f.value == pytest.approx(300.0)
    assert f.low < 300.0 < f.high
    assert f.probability_below(300.0) == pytest.approx(0.5)
    assert f.probability_below(f.high) == pytest.approx(0.95, abs=1e-9)


def test_last_years_months_scaled_by_year_to_date():
    f = fc.use_forecast_from_last_year(
        use_to_date=90.0, last_year_to_date=100.0, last_year_rest=200.0, monthly_ratios=[0.9, 0.9]
    )
    assert f.value == pytest.approx(270.0) and f.sigma == pytest.approx(0.0)


@pytest.mark.parametrize("name", ["forecast.py", "synthetic.py"])
def test_the_watch_cores_import_only_numerics(name):
    path = Path(__file__).resolve().parents[2] / "emc" / "watch" / name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module if node.module.startswith("emc") else node.module.split(".")[0])
    allowed = {"__future__", "math", "datetime", "dataclasses", "numpy", "scipy"}
    assert {n for n in names if not n.startswith("emc.mv.engine")} <= allowed

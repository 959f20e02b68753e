import json

import numpy as np
import pytest

from emc.mv.engine import (
    InvalidInputError,
    NonRoutineAdjustment,
    billing_savings,
    daily_savings,
    fit_daily,
    fsu,
    normalised_savings,
)


def hdd(t, bp):
    return np.maximum(bp - t, 0.0)


@pytest.fixture
def baseline(year, rng):
    d, t = year
    y = 100.0 + 5.0 * hdd(t, 15.0) + rng.normal(0, 4.0, t.size)
    return fit_daily(d, y, t)


def test_avoided_energy_is_adjusted_baseline_minus_reporting(baseline, make_year):
    d, t = make_year("2024-01-01", 366)
    base = baseline.predict(t)
    r = daily_savings(baseline, d, 0.9 * base, t)
    assert r.total_adjusted_baseline == pytest.approx(base.sum())
    assert r.total_reporting == pytest.approx(0.9 * base.sum())
    assert r.total_avoided == pytest.approx(0.1 * base.sum())
    assert r.cumulative[-1] == pytest.approx(r.total_avoided)
    months = r.by_month()
    assert len(months) == 12 and months[1]["n_days"] == 29
    assert sum(m["avoided"] for m in months) == pytest.approx(r.total_avoided)
    assert months[-1]["cumulative"] == pytest.approx(r.total_avoided)
    st = baseline.statistics
    expected = fsu(
        cvrmse=st.cvrmse,
        n=st.n,
        p=st.p,
        m=366,
        savings_fraction=0.1,
        rho=st.autocorrelation,
        confidence=0.9,
        interval="daily",
    )
    assert r.fsu_90 == pytest.approx(expected)
    assert r.fsu_68 < r.fsu_90
    json.dumps(r.to_dict(daily=True))


def test_missing_reporting_temperature_or_usage_counts_no_savings(baseline, make_year):
    d, t = make_year("2024-01-01", 31)
    t = t.copy()
    t[3] = np.nan
    u = baseline.predict(make_year("2024-01-01", 31)[1]) - 10.0
    u[7] = np.nan
    r = daily_savings(baseline, d, u, t)
    assert int(r.used.sum()) == 29
    assert r.total_avoided == pytest.approx(290.0)
    (w,) = [w for w in r.warnings if w.code == "reporting_days_without_savings"]
    assert w.data == {"n_days": 2, "n_missing_temperature": 1, "n_missing_usage": 1}
    assert r.by_day()[3]["adjusted_baseline"] is None


def test_non_routine_adjustments_amount_and_series(baseline, make_year):
    d, t = make_year("2024-01-01", 10)
    base = baseline.predict(t)
    extra = NonRoutineAdjustment("new wing occupied", series=[5.0] * 10)
    lump = NonRoutineAdjustment("server room moved in", amount=100.0)
    r = daily_savings(baseline, d, base + 5.0, t, adjustments=[extra, lump])
    assert r.total_non_routine == pytest.approx(150.0)
    assert r.total_avoided == pytest.approx(100.0)  # −50 routine + 150 adjustments
    assert r.to_dict()["adjustments"][1] == {
        "reason": "server room moved in",
        "amount": 100.0,
        "series": None,
    }
    with pytest.raises(InvalidInputError):
        NonRoutineAdjustment("", amount=1.0)
    with pytest.raises(InvalidInputError):
        NonRoutineAdjustment("both", amount=1.0, series=[1.0])
    with pytest.raises(InvalidInputError):
        daily_savings(baseline, d, base, t, adjustments=[NonRoutineAdjustment("x", series=[1.0])])


def test_rolling_twelve_months(baseline, make_year):
    d, t = make_year("2024-01-01", 731)  # January 2024 to December 2025: 24 months
    base = baseline.predict(t)
    r = daily_savings(baseline, d, base - 1.0, t)
    rolling = r.rolling_12_months()
    assert len(rolling) == 24 - 11
    assert rolling[0]["start_month"] == "2024-01" and rolling[0]["end_month"] == "2024-12"
    assert rolling[0]["avoided"] == pytest.approx(366.0)
    assert rolling[2]["avoided"] == pytest.approx(365.0)  # March 2024 to February 2025


def test_billing_savings_spread_periods_over_days(baseline, year):
    d, t = year
    s = np.arange("2023-01", "2024-01", dtype="datetime64[M]").astype("datetime64[D]")
    e = np.arange("2023-02", "2024-02", dtype="datetime64[M]").astype("datetime64[D]")
    pred = baseline.predict_periods(s, e, d, t)
    r = billing_savings(baseline, s, e, 0.8 * pred, d, t)
    assert r.dates.size == 365
    assert r.total_avoided == pytest.approx(0.2 * pred.sum())
    assert len(r.periods) == 12
    assert r.periods[0]["avoided"] == pytest.approx(0.2 * pred[0])
    assert r.by_month()[1]["avoided"] == pytest.approx(0.2 * pred[1])
    assert r.fsu_90 is not None


def test_normalised_savings(baseline):
    reporting = type(baseline)(**{**baseline.__dict__, "intercept": baseline.intercept - 10.0})
    tmy = np.linspace(-5.0, 30.0, 365)
    n = normalised_savings(baseline, reporting, tmy)
    assert n.savings == pytest.approx(3650.0)
    assert n.to_dict()["n_days"] == 365

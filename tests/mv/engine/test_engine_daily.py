import math

import numpy as np
import pytest

from emc.mv.engine import (
    DailyModel,
    FitOptions,
    InsufficientDataError,
    InvalidInputError,
    balance_point_grid,
    fit_billing,
    fit_daily,
)


def hdd(t, bp):
    return np.maximum(bp - t, 0.0)


def cdd(t, bp):
    return np.maximum(t - bp, 0.0)


def test_grid_covers_caltrack_range():
    f = balance_point_grid("F")
    assert f[0] == 30 and f[-1] == 90 and np.all(np.diff(f) == 1)
    c = balance_point_grid("C")
    assert c[0] == -1.0 and c[-1] == 32.0 and np.all(np.diff(c) == 0.5)
    with pytest.raises(InvalidInputError):
        balance_point_grid("K")


def test_hdd_only_recovered_exactly(year):
    d, t = year
    y = 100.0 + 5.0 * hdd(t, 15.0)
    m = fit_daily(d, y, t, options=FitOptions(forms=("intercept_only", "hdd_only")))
    assert m.form == "hdd_only"
    assert m.heating_balance_point == 15.0 and m.cooling_balance_point is None
    assert m.intercept == pytest.approx(100.0, abs=1e-9)
    assert m.beta_hdd == pytest.approx(5.0, abs=1e-12)
    assert m.beta_cdd is None
    assert m.statistics.r_squared == pytest.approx(1.0)
    assert m.statistics.cvrmse == pytest.approx(0.0, abs=1e-12)


def test_hdd_only_truth_wins_among_all_forms(year):
    d, t = year
    m = fit_daily(d, 100.0 + 5.0 * hdd(t, 15.0), t)
    # an exact fit: a cooling term adds nothing and adjusted R² cannot beat 1
    assert m.form == "hdd_only" and m.heating_balance_point == 15.0


def test_cdd_only_and_hdd_cdd_recovered_exactly(year):
    d, t = year
    m = fit_daily(d, 50.0 + 12.0 * cdd(t, 20.5), t)
    assert (m.form, m.cooling_balance_point) == ("cdd_only", 20.5)
    assert m.beta_cdd == pytest.approx(12.0, abs=1e-10)
    m = fit_daily(d, 300.0 + 12.0 * hdd(t, 15.0) + 20.0 * cdd(t, 22.0), t)
    assert (m.form, m.heating_balance_point, m.cooling_balance_point) == ("hdd_cdd", 15.0, 22.0)
    assert (m.intercept, m.beta_hdd, m.beta_cdd) == pytest.approx((300.0, 12.0, 20.0), abs=1e-9)
    assert m.n_parameters == 3


def test_noisy_truth_recovered_within_tolerance(year, rng):
    d, t = year
    y = 300.0 + 12.0 * hdd(t, 15.0) + 20.0 * cdd(t, 22.0) + rng.normal(0, 15.0, t.size)
    m = fit_daily(d, y, t)
    assert m.form == "hdd_cdd"
    assert abs(m.heating_balance_point - 15.0) <= 1.0
    assert abs(m.cooling_balance_point - 22.0) <= 1.0
    assert m.beta_hdd == pytest.approx(12.0, rel=0.1)
    assert m.beta_cdd == pytest.approx(20.0, rel=0.1)
    assert m.statistics.nmbe == pytest.approx(0.0, abs=1e-12)
    assert abs(m.statistics.autocorrelation) < 0.2


def _brute_force(y, w, t, grid, min_nonzero, min_total):
    """Reference: one weighted lstsq per candidate, CalTRACK rules in plain Python."""
    n = y.size
    sw = np.sqrt(w)
    sst = np.sum(w * (y - np.average(y, weights=w)) ** 2)
    best = ("intercept_only", None, None, 0.0)

    def enough(x):
        return (x > 0).sum() >= min_nonzero and (x * w).sum() >= min_total

    def fit(cols):
        x = np.column_stack([np.ones(n), *cols])
        b, *_ = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)
        sse = np.sum(w * (y - x @ b) ** 2)
        p = x.shape[1]
        return b, 1 - (sse / (n - p)) / (sst / (n - 1))

    for form in ("hdd_only", "cdd_only"):
        for bp in grid:
            x = hdd(t, bp) if form == "hdd_only" else cdd(t, bp)
            if not enough(x):
                continue
            b, r2 = fit([x])
            if b[1] > 0 and b[0] >= 0 and r2 > best[3]:
                best = (
                    form,
                    bp if form == "hdd_only" else None,
                    bp if form == "cdd_only" else None,
                    r2,
                )
    for tc in grid:
        for th in grid:
            if th > tc:
                continue
            xh, xc = hdd(t, th), cdd(t, tc)
            if not (enough(xh) and enough(xc)):
                continue
            b, r2 = fit([xh, xc])
            if b[1] > 0 and b[2] > 0 and b[0] >= 0 and r2 > best[3]:
                best = ("hdd_cdd", th, tc, r2)
    return best


def test_vectorised_grid_search_agrees_with_brute_force(year, rng):
    d, t = year
    grid = np.arange(4.0, 26.0, 1.0)
    opts = FitOptions(balance_points=tuple(grid))
    for y in (
        200 + 8 * hdd(t, 14.0) + 6 * cdd(t, 21.0) + rng.normal(0, 40, t.size),
        200 + 3 * cdd(t, 18.0) + rng.normal(0, 30, t.size),
        200 + rng.normal(0, 30, t.size),
    ):
        m = fit_daily(d, y, t, options=opts)
        form, th, tc, r2 = _brute_force(y, np.ones_like(y), t, grid, 10, 20 * 5 / 9)
        assert (m.form, m.heating_balance_point, m.cooling_balance_point) == (form, th, tc)
        if form != "intercept_only":
            assert m.statistics.adj_r_squared == pytest.approx(r2, abs=1e-10)


def test_negative_slope_never_qualifies(year):
    d, t = year
    m = fit_daily(d, 500.0 - 5.0 * hdd(t, 15.0), t)
    assert m.form in ("intercept_only", "cdd_only")
    assert m.beta_hdd is None


def test_degree_day_term_needs_ten_days(year):
    d, t = year
    hot = np.argsort(t)[-9:]  # only nine days above the cooling balance point
    tc = float(np.floor(np.sort(t)[-10] * 2) / 2 + 0.5)
    t2 = t.copy()
    t2[hot] = np.maximum(t2[hot], tc + 3.0)
    y = 100.0 + 50.0 * cdd(t2, tc)
    m = fit_daily(d, y, t2, options=FitOptions(balance_points=(tc,)))
    assert m.form == "intercept_only"
    m = fit_daily(d, y, t2, options=FitOptions(balance_points=(tc,), min_nonzero_days=9))
    assert m.form == "cdd_only"


def test_p_value_limit_is_off_by_default_and_can_be_set(year, rng):
    d, t = year
    y = 100.0 + 0.2 * hdd(t, 10.0) + rng.normal(0, 5.0, t.size)
    loose = fit_daily(d, y, t)
    strict = fit_daily(d, y, t, options=FitOptions(max_p_value=1e-6))
    assert loose.form != "intercept_only"
    assert strict.form == "intercept_only"


def test_constant_usage_gives_intercept_only(year):
    d, t = year
    m = fit_daily(d, np.full(t.size, 42.0), t)
    assert m.form == "intercept_only" and m.intercept == pytest.approx(42.0)
    assert math.isnan(m.statistics.r_squared) and m.statistics.cvrmse < 1e-12
    assert m.to_dict()["statistics"]["r_squared"] is None


def test_missing_days_are_excluded_and_counted(year):
    d, t = year
    y = 100.0 + 5.0 * hdd(t, 15.0)
    t2, y2 = t.copy(), y.copy()
    t2[:20] = np.nan
    y2[100:110] = np.nan
    m = fit_daily(d, y2, t2)
    assert m.statistics.n == 365 - 30
    assert m.beta_hdd == pytest.approx(5.0)


def test_predictions_propagate_missing_temperature(year):
    d, t = year
    m = fit_daily(d, 100.0 + 5.0 * hdd(t, 15.0), t)
    p = m.predict([10.0, np.nan, 20.0])
    assert p[0] == pytest.approx(125.0) and math.isnan(p[1]) and p[2] == pytest.approx(100.0)


def test_all_missing_temperature_is_insufficient(year):
    d, t = year
    with pytest.raises(InsufficientDataError) as exc:
        fit_daily(d, np.ones(t.size), np.full(t.size, np.nan))
    codes = {w.code for w in exc.value.warnings}
    assert "too_many_days_with_missing_temperature_data" in codes
    with pytest.raises(InsufficientDataError):
        fit_daily(d, np.ones(t.size), np.full(t.size, np.nan), allow_insufficient=True)


def test_empty_series(year):
    with pytest.raises(InvalidInputError):
        fit_daily([], [], [])
    with pytest.raises(InsufficientDataError):
        fit_daily([], [], [], start="2023-01-01", end="2024-01-01")


def test_one_month_is_insufficient_unless_allowed(year):
    d, t = year
    y = 100.0 + 5.0 * hdd(t, 15.0)
    with pytest.raises(InsufficientDataError) as exc:
        fit_daily(d[:31], y[:31], t[:31])
    assert [w.code for w in exc.value.warnings if w.disqualifying] == [
        "incorrect_number_of_total_days"
    ]
    m = fit_daily(d[:31], y[:31], t[:31], allow_insufficient=True)
    assert m.form == "hdd_only" and m.statistics.n == 31
    assert any(w.code == "incorrect_number_of_total_days" for w in m.warnings)


def test_leap_year_baseline_of_366_days(make_year):
    d, t = make_year("2024-01-01", 366)
    m = fit_daily(d, 100.0 + 5.0 * hdd(t, 15.0), t)
    assert m.statistics.n == 366 and not m.warnings
    d, t = make_year("2022-06-01", 366)  # no 29 February inside
    with pytest.raises(InsufficientDataError):
        fit_daily(d, 100.0 + 5.0 * hdd(t, 15.0), t)


def test_baseline_window_ignores_rows_outside(make_year):
    d, t = make_year("2022-12-01", 400)
    y = 100.0 + 5.0 * hdd(t, 15.0)
    m = fit_daily(d, y, t, start="2023-01-01", end="2024-01-01")
    assert m.statistics.n == 365


def test_input_validation(year):
    d, t = year
    with pytest.raises(InvalidInputError):
        fit_daily(d, t[:-1], t)
    with pytest.raises(InvalidInputError):
        fit_daily(np.concatenate([d[:-1], d[:1]]), t, t)
    with pytest.raises(InvalidInputError):
        fit_daily(d, t, t, temperature_unit="K")


def test_inputs_are_not_mutated(year):
    d, t = year
    y = 100.0 + 5.0 * hdd(t, 15.0)
    y[0] = 0.0
    y_copy, t_copy = y.copy(), t.copy()
    fit_daily(d[::-1], y[::-1], t[::-1], zeros_are_missing=True)
    assert np.array_equal(y, y_copy) and np.array_equal(t, t_copy)


def test_fahrenheit_fit_uses_one_degree_grid(year):
    d, t = year
    tf = t * 9 / 5 + 32
    m = fit_daily(d, 100.0 + 3.0 * hdd(tf, 59.0), tf, temperature_unit="F")
    assert m.temperature_unit == "F" and m.heating_balance_point == 59.0
    assert m.beta_hdd == pytest.approx(3.0)


def _monthly(d, daily):
    s = np.arange("2023-01", "2024-01", dtype="datetime64[M]").astype("datetime64[D]")
    e = np.arange("2023-02", "2024-02", dtype="datetime64[M]").astype("datetime64[D]")
    tot = np.array([daily[(d >= a) & (d < b)].sum() for a, b in zip(s, e, strict=True)])
    return s, e, tot


def test_billing_recovers_daily_truth_exactly(year):
    d, t = year
    s, e, tot = _monthly(d, 300.0 + 12.0 * hdd(t, 15.0) + 20.0 * cdd(t, 22.0))
    m = fit_billing(s, e, tot, d, t)
    assert m.method == "billing"
    assert (m.form, m.heating_balance_point, m.cooling_balance_point) == ("hdd_cdd", 15.0, 22.0)
    assert (m.intercept, m.beta_hdd, m.beta_cdd) == pytest.approx((300.0, 12.0, 20.0), abs=1e-8)
    assert m.statistics.n == 12
    assert np.allclose(m.predict_periods(s, e, d, t), tot)


def test_billing_drops_bad_periods_with_a_warning(year):
    d, t = year
    s, e, tot = _monthly(d, 100.0 + 5.0 * hdd(t, 15.0))
    # merge February into January: a 59-day bill
    s2 = np.delete(s, 1)
    e2 = np.delete(e, 0)
    tot2 = np.concatenate([[tot[0] + tot[1]], tot[2:]])
    with pytest.raises(InsufficientDataError):
        fit_billing(s2, e2, tot2, d, t)  # 59 days dropped → 16 % of the year missing
    m = fit_billing(s2, e2, tot2, d, t, bimonthly=True)
    assert m.statistics.n == 11 and not any(w.code == "billing_periods_dropped" for w in m.warnings)
    m = fit_billing(s2, e2, tot2, d, t, allow_insufficient=True)
    assert m.statistics.n == 10
    assert any(w.code == "billing_periods_dropped" for w in m.warnings)


def test_billing_rejects_overlaps(year):
    d, t = year
    s, e, tot = _monthly(d, 100.0 + 0 * t)
    e = e.copy()
    e[0] += 3
    with pytest.raises(InvalidInputError):
        fit_billing(s, e, tot, d, t)


def test_model_is_frozen(year):
    d, t = year
    m = fit_daily(d, 100.0 + 5.0 * hdd(t, 15.0), t)
    assert isinstance(m, DailyModel)
    with pytest.raises(AttributeError):
        m.intercept = 1.0  # type: ignore[misc]

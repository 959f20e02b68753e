import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emc.mv.engine import (
    InsufficientDataError,
    baseline_length_warnings,
    clean_billing_periods,
    daily_sufficiency,
    fit_daily,
    raise_if_insufficient,
)


def codes(ws, disqualifying=None):
    return {w.code for w in ws if disqualifying is None or w.disqualifying == disqualifying}


def test_ten_percent_missing_is_the_limit(year):
    d, t = year
    u = np.ones(t.size)
    u36, u37 = u.copy(), u.copy()
    u36[:36] = np.nan  # 329 valid ≥ 0.9 × 365 = 328.5
    u37[:37] = np.nan
    assert not codes(daily_sufficiency(d, u36, t, d[0], d[-1] + 1), True)
    assert codes(daily_sufficiency(d, u37, t, d[0], d[-1] + 1), True) == {
        "too_many_days_with_missing_data",
        "too_many_days_with_missing_meter_data",
    }


def test_absent_rows_count_as_missing(year):
    d, t = year
    keep = np.arange(t.size) % 5 != 0
    ws = daily_sufficiency(d[keep], np.ones(keep.sum()), t[keep], d[0], d[-1] + 1)
    assert "too_many_days_with_missing_data" in codes(ws, True)


def test_electricity_zeros_count_as_missing(year):
    d, t = year
    u = np.ones(t.size)
    u[:40] = 0.0
    assert not codes(daily_sufficiency(d, u, t, d[0], d[-1] + 1), True)
    ws = daily_sufficiency(d, u, t, d[0], d[-1] + 1, zeros_are_missing=True)
    assert "too_many_days_with_missing_meter_data" in codes(ws, True)
    assert "zero_usage_treated_as_missing" in codes(ws, False)
    with pytest.raises(InsufficientDataError):
        fit_daily(d, u, t, zeros_are_missing=True)


def test_negative_and_extreme_values(year):
    d, t = year
    u = np.ones(t.size) + (np.arange(t.size) % 3)
    u[5] = -1.0
    u[6] = 1000.0
    ws = daily_sufficiency(d, u, t, d[0], d[-1] + 1)
    assert codes(ws, True) == {"negative_meter_values"}
    assert codes(ws, False) == {"extreme_values_detected"}


def test_baseline_length():
    assert baseline_length_warnings("2023-01-01", "2024-01-01") == []
    assert baseline_length_warnings("2024-01-01", "2025-01-01") == []
    assert baseline_length_warnings("2024-01-01", "2024-12-31") == []  # 365 days in a leap year
    (w,) = baseline_length_warnings("2023-01-01", "2023-12-01")
    assert w.disqualifying and w.data["n_days_total"] == 334
    assert baseline_length_warnings("2022-03-01", "2023-03-02")  # 366 days, no 29 February


def test_billing_period_lengths():
    s = np.array(["2023-01-01", "2023-01-25", "2023-03-01", "2023-04-10"], "datetime64[D]")
    e = np.array(["2023-01-25", "2023-03-01", "2023-04-10", "2023-06-15"], "datetime64[D]")
    # 24, 35, 40, 66 days
    keep, ws = clean_billing_periods(s, e, np.ones(4))
    assert keep.tolist() == [False, True, False, False]
    assert ws[0].data["periods"][0] == {"start": "2023-01-01", "end": "2023-01-25", "days": 24}
    keep, _ = clean_billing_periods(s, e, np.ones(4), bimonthly=True)
    assert keep.tolist() == [False, True, True, True]


def test_raise_if_insufficient_attaches_all_warnings():
    ws = baseline_length_warnings("2023-01-01", "2023-02-01")
    with pytest.raises(InsufficientDataError) as exc:
        raise_if_insufficient(ws)
    assert exc.value.warnings == tuple(ws)
    raise_if_insufficient(ws, allow_insufficient=True)
    assert ws[0].to_dict()["code"] == "incorrect_number_of_total_days"


@given(
    st.lists(st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False), min_size=4, max_size=400)
)
def test_the_extreme_value_quartiles_are_numpys_percentiles(values):
    from emc.mv.engine.sufficiency import _quartiles

    x = np.array(values)
    assert _quartiles(x) == tuple(np.percentile(x, [25, 50, 75]))


def test_repeated_dates_are_found_without_np_unique():
    from emc.mv.engine._time import has_repeats

    days = np.arange("2024-01-01", "2024-03-01", dtype="datetime64[D]")
    assert not has_repeats(days)
    assert has_repeats(np.concatenate([days, days[5:6]]))

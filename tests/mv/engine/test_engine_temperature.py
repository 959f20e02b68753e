import numpy as np
import pytest

from emc.mv.engine import (
    InvalidInputError,
    celsius_to_fahrenheit,
    cooling_degree_days,
    daily_temperature,
    fahrenheit_to_celsius,
    heating_degree_days,
    interpolate_hourly_gaps,
)


def hours(start, n):
    return np.arange(np.datetime64(start, "h"), np.datetime64(start, "h") + n)


def test_units():
    assert fahrenheit_to_celsius(212.0) == pytest.approx(100.0)
    assert celsius_to_fahrenheit(-40.0) == pytest.approx(-40.0)
    assert np.allclose(fahrenheit_to_celsius(celsius_to_fahrenheit([1.5, 20.0])), [1.5, 20.0])


def test_degree_days_and_broadcasting():
    t = np.array([10.0, 15.0, 20.0, np.nan])
    assert np.array_equal(heating_degree_days(t, 15.0)[:3], [5.0, 0.0, 0.0])
    assert np.array_equal(cooling_degree_days(t, 15.0)[:3], [0.0, 0.0, 5.0])
    assert np.isnan(heating_degree_days(t, 15.0)[3])
    grid = heating_degree_days(t, np.array([[12.0], [18.0]]))
    assert grid.shape == (2, 4) and grid[1, 1] == 3.0


def test_gaps_up_to_six_hours_are_interpolated():
    v = np.arange(20, dtype=float)
    v[2:8] = np.nan  # six hours
    v[10:17] = np.nan  # seven hours
    grid, out, n = interpolate_hourly_gaps(hours("2024-01-01T00", 20), v)
    assert n == 6
    assert np.allclose(out[2:8], np.arange(2, 8))
    assert np.isnan(out[10:17]).all()
    assert grid[0] == np.datetime64("2024-01-01T00", "h")


def test_absent_hours_and_subhourly_readings():
    ts = np.array(["2024-01-01T00:00", "2024-01-01T00:30", "2024-01-01T03:00"], "datetime64[m]")
    grid, out, n = interpolate_hourly_gaps(ts, [1.0, 3.0, 8.0])
    assert grid.size == 4 and n == 2
    assert np.allclose(out, [2.0, 4.0, 6.0, 8.0])


def test_daily_means_need_more_than_half_the_hours():
    v = np.full(48, 10.0)
    v[24:36] = 20.0
    v[36:48] = np.nan  # day two: 12 known hours (not > 12), the gap too long to fill
    res = daily_temperature(hours("2024-01-01T00", 48), v, "2024-01-01", "2024-01-04")
    assert res.temperature[0] == 10.0
    assert np.isnan(res.temperature[1]) and np.isnan(res.temperature[2])
    assert res.n_missing_days == 2
    assert {w.code for w in res.warnings} == {"missing_temperature_days"}
    v[35] = np.nan
    v[36] = 20.0  # now 13 hours, with a one-hour gap interpolated
    res = daily_temperature(hours("2024-01-01T00", 48), v, "2024-01-01", "2024-01-03")
    assert res.temperature[1] == pytest.approx(20.0) and res.n_interpolated_hours == 1


def test_daily_means_input_is_recognised():
    d = np.array(["2024-01-01", "2024-01-02", "2024-01-04"], "datetime64[D]")
    res = daily_temperature(d, [1.0, 2.0, 4.0], "2024-01-01", "2024-01-05", unit="F")
    assert np.array_equal(res.temperature, [1.0, 2.0, np.nan, 4.0], equal_nan=True)
    with pytest.raises(InvalidInputError):
        daily_temperature(d, [1.0, 2.0, 4.0], "2024-01-01", "2024-01-05", unit="K")
    with pytest.raises(InvalidInputError):
        daily_temperature(d, [1.0, 2.0], "2024-01-01", "2024-01-05")

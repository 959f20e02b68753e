"""Outdoor temperature: units, degree days, gap filling and daily means.

Temperatures are in °C unless a function says otherwise; degree days are in the unit of the
temperatures they come from (°C·day or °F·day). Days are ``datetime64[D]``; periods are
half-open ``[start, end)``. Hourly series are on the site's local wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emc.mv.engine._time import as_day, as_minutes
from emc.mv.engine.errors import InvalidInputError, Warning

__all__ = [
    "DailyTemperature",
    "celsius_to_fahrenheit",
    "cooling_degree_days",
    "daily_temperature",
    "fahrenheit_to_celsius",
    "heating_degree_days",
    "interpolate_hourly_gaps",
]

#: CalTRACK 2.2.3.2: temperature gaps up to six hours are filled by linear interpolation.
MAX_INTERPOLATED_GAP_HOURS = 6
#: CalTRACK 2.2.2.3 (as eemeter 2.x): a day needs more than half of its hours to have a mean.
MIN_HOURLY_COVERAGE_PER_DAY = 0.5


def fahrenheit_to_celsius(t):
    """°F → °C, elementwise (arrays or scalars; ``nan`` stays ``nan``)."""
    return (np.asarray(t, dtype=float) - 32.0) * (5.0 / 9.0)


def celsius_to_fahrenheit(t):
    """°C → °F, elementwise."""
    return np.asarray(t, dtype=float) * (9.0 / 5.0) + 32.0


def heating_degree_days(temperature, balance_point):
    """HDD = max(balance_point − T, 0) per daily mean temperature T.

    ``balance_point`` may be an array of shape (k, 1) to get a (k, n) matrix for k candidate
    balance points at once. ``nan`` temperatures give ``nan``.
    """
    t = np.asarray(temperature, dtype=float)
    return np.maximum(np.asarray(balance_point, dtype=float) - t, 0.0)


def cooling_degree_days(temperature, balance_point):
    """CDD = max(T − balance_point, 0) per daily mean temperature T (see HDD for shapes)."""
    t = np.asarray(temperature, dtype=float)
    return np.maximum(t - np.asarray(balance_point, dtype=float), 0.0)


def _hourly_grid(timestamps, values) -> tuple[np.ndarray, np.ndarray]:
    ts = as_minutes(timestamps, "temperature timestamps")
    v = np.asarray(values, dtype=float)
    if ts.shape != v.shape or v.ndim != 1:
        raise InvalidInputError("temperature timestamps and values differ in length")
    ok = ~np.isnan(v)
    if not ok.any():
        return np.array([], dtype="datetime64[h]"), np.array([], dtype=float)
    hours = ts.astype("datetime64[h]")
    # Several readings within one hour (sub-hourly stations) are averaged into that hour.
    uniq, inv = np.unique(hours[ok], return_inverse=True)
    sums = np.bincount(inv, weights=v[ok])
    counts = np.bincount(inv)
    grid = np.arange(uniq[0], uniq[-1] + 1, dtype="datetime64[h]")
    out = np.full(grid.size, np.nan)
    out[(uniq - grid[0]).astype(int)] = sums / counts
    return grid, out


def interpolate_hourly_gaps(
    timestamps, values, *, max_gap_hours: int = MAX_INTERPOLATED_GAP_HOURS
) -> tuple[np.ndarray, np.ndarray, int]:
    """Put readings on an hourly grid and fill short gaps by linear interpolation.

    Readings are floored to the hour (several in one hour are averaged). Runs of at most
    ``max_gap_hours`` missing hours with readings on both sides are filled linearly; longer
    gaps, and the ends of the series, stay ``nan``.

    Returns ``(hours, temperature, n_filled)``: ``hours`` is a ``datetime64[h]`` array from the
    first to the last reading, ``n_filled`` the number of hours filled.

    Raises:
        InvalidInputError: lengths differ or timestamps are unreadable.
    """
    grid, out = _hourly_grid(timestamps, values)
    if grid.size == 0:
        return grid, out, 0
    missing = np.isnan(out)
    if not missing.any():
        return grid, out, 0
    idx = np.arange(out.size)
    known = ~missing
    # Run lengths of missing stretches: the distance between the surrounding known hours.
    prev_known = np.maximum.accumulate(np.where(known, idx, -1))
    next_known = np.minimum.accumulate(np.where(known, idx, out.size)[::-1])[::-1]
    gap = next_known - prev_known - 1
    fill = missing & (prev_known >= 0) & (next_known < out.size) & (gap <= max_gap_hours)
    filled = out.copy()
    if fill.any():
        filled[fill] = np.interp(idx[fill], idx[known], out[known])
    return grid, filled, int(fill.sum())


@dataclass(frozen=True)
class DailyTemperature:
    """Daily mean temperatures for the days of ``[start, end)``.

    ``temperature`` is ``nan`` on days without enough data. ``warnings`` count the interpolated
    hours and the missing days.
    """

    dates: np.ndarray
    temperature: np.ndarray
    n_interpolated_hours: int
    n_missing_days: int
    warnings: tuple[Warning, ...]


def _looks_daily(ts: np.ndarray) -> bool:
    if ts.size == 0:
        return False
    at_midnight = np.all(ts == ts.astype("datetime64[D]").astype("datetime64[m]"))
    if not at_midnight:
        return False
    if ts.size == 1:
        return True
    return bool(np.min(np.diff(np.sort(ts))) >= np.timedelta64(1, "D"))


def daily_temperature(
    timestamps,
    values,
    start,
    end,
    *,
    unit: str = "C",
    max_gap_hours: int = MAX_INTERPOLATED_GAP_HOURS,
    min_hourly_coverage: float = MIN_HOURLY_COVERAGE_PER_DAY,
) -> DailyTemperature:
    """Daily mean temperatures for ``[start, end)`` from hourly readings or daily means.

    Input whose timestamps are all at midnight and at least a day apart is taken as daily means
    and aligned to the dates. Otherwise readings are put on an hourly grid, gaps of at most
    ``max_gap_hours`` are interpolated, and a day's mean is the mean of its hours when more
    than ``min_hourly_coverage`` of its 24 hours are known (else ``nan``).

    ``unit`` (``"C"`` or ``"F"``) is the unit of ``values`` and of the result; it only labels the
    warnings — no conversion happens here.

    Raises:
        InvalidInputError: lengths differ, timestamps unreadable, ``end <= start`` or bad unit.
    """
    if unit not in ("C", "F"):
        raise InvalidInputError(f"temperature unit must be 'C' or 'F', got {unit!r}")
    d0, d1 = as_day(start, "start"), as_day(end, "end")
    if d1 <= d0:
        raise InvalidInputError(f"end {d1} must be after start {d0}")
    n_days = int((d1 - d0).astype(int))
    dates = np.arange(d0, d1, dtype="datetime64[D]")
    ts = as_minutes(timestamps, "temperature timestamps")
    v = np.asarray(values, dtype=float)
    if ts.shape != v.shape:
        raise InvalidInputError("temperature timestamps and values differ in length")
    n_filled = 0
    if _looks_daily(ts):
        days = ts.astype("datetime64[D]")
        out = np.full(n_days, np.nan)
        inside = (days >= d0) & (days < d1) & ~np.isnan(v)
        out[(days[inside] - d0).astype(int)] = v[inside]
    else:
        grid, hourly, n_filled_all = interpolate_hourly_gaps(ts, v, max_gap_hours=max_gap_hours)
        out = np.full(n_days, np.nan)
        if grid.size:
            h0 = d0.astype("datetime64[h]")
            pos = (grid - h0).astype(int)
            inside = (pos >= 0) & (pos < n_days * 24)
            block = np.full(n_days * 24, np.nan)
            block[pos[inside]] = hourly[inside]
            n_filled = int(n_filled_all)
            block = block.reshape(n_days, 24)
            counts = np.sum(~np.isnan(block), axis=1)
            sums = np.nansum(block, axis=1)
            enough = counts > 24 * min_hourly_coverage
            out[enough] = sums[enough] / counts[enough]
    n_missing = int(np.isnan(out).sum())
    warnings = []
    if n_filled:
        warnings.append(
            Warning(
                "temperature_gaps_interpolated",
                f"{n_filled} missing hours of temperature were filled by linear interpolation "
                f"(gaps of at most {max_gap_hours} h).",
                {"n_hours": n_filled, "max_gap_hours": max_gap_hours},
            )
        )
    if n_missing:
        warnings.append(
            Warning(
                "missing_temperature_days",
                f"{n_missing} of {n_days} days have no daily mean temperature.",
                {"n_days_missing": n_missing, "n_days": n_days, "unit": unit},
            )
        )
    return DailyTemperature(dates, out, n_filled, n_missing, tuple(warnings))

"""CalTRACK 2.0 data sufficiency for daily and billing baselines.

Every rule yields a :class:`~emc.mv.engine.errors.Warning`; the ones CalTRACK treats as
disqualifying carry ``disqualifying=True`` and make :func:`raise_if_insufficient` raise
:class:`~emc.mv.engine.errors.InsufficientDataError`. Codes follow OpenEEmeter 2.x's
``caltrack_sufficiency_criteria`` so that results can be compared line by line.

Baselines are half-open ``[start, end)`` of ``datetime64[D]``.
"""

from __future__ import annotations

import math

import numpy as np

from emc.messages import EngineWarningText, Joined, msg
from emc.mv.engine._time import as_day, is_leap_span, to_date
from emc.mv.engine.errors import InsufficientDataError, Warning

__all__ = [
    "MIN_FRACTION_VALID_DAYS",
    "baseline_length_warnings",
    "billing_sufficiency",
    "clean_billing_periods",
    "daily_sufficiency",
    "raise_if_insufficient",
]

#: CalTRACK 2.2.2: no more than 10 % of baseline days may be missing.
MIN_FRACTION_VALID_DAYS = 0.9
#: CalTRACK 2.2.3.4 billing cycle lengths, days.
MIN_BILL_DAYS, MAX_BILL_DAYS, MAX_BIMONTHLY_BILL_DAYS = 25, 35, 70


def baseline_length_warnings(start, end) -> list[Warning]:
    """Disqualifying warning unless ``[start, end)`` is 365 days (366 if it holds 29 February)."""
    d0, d1 = as_day(start), as_day(end)
    n = int((d1 - d0).astype(int))
    allowed = [365, 366] if n == 366 and is_leap_span(d0, d1) else [365]
    if n in allowed:
        return []
    return [
        Warning(
            "incorrect_number_of_total_days",
            f"The baseline spans {n} days; CalTRACK requires 365 (366 in a leap year).",
            {"n_days_total": n, "num_days": 365, "start": str(d0), "end": str(d1)},
            disqualifying=True,
        )
    ]


def _coverage_warnings(n_total: int, n_meter: int, n_temp: int, n_both: int) -> list[Warning]:
    out = []
    for code, what, n_valid in (
        ("too_many_days_with_missing_data", "usage or temperature", n_both),
        ("too_many_days_with_missing_meter_data", "usage", n_meter),
        ("too_many_days_with_missing_temperature_data", "temperature", n_temp),
    ):
        if n_total == 0 or n_valid < MIN_FRACTION_VALID_DAYS * n_total:
            out.append(
                Warning(
                    code,
                    f"{n_total - n_valid} of {n_total} baseline days lack {what}; "
                    f"at most {1 - MIN_FRACTION_VALID_DAYS:.0%} may be missing.",
                    {"n_valid_days": n_valid, "n_days_total": n_total},
                    disqualifying=True,
                )
            )
    return out


def _quartiles(values: np.ndarray) -> tuple[float, float, float]:
    """25th, 50th and 75th percentiles, exactly as ``np.percentile`` computes them (linear
    interpolation, its rounding-safe lerp). ``np.percentile`` itself imports ``numpy.ma``
    (about 0.1 s, a large part of a whole ``emc mv fit``)."""
    ordered = np.sort(values)
    out = []
    for q in (0.25, 0.5, 0.75):
        position = q * (ordered.size - 1)
        low = math.floor(position)
        high = min(low + 1, ordered.size - 1)
        t = position - low
        a, b = float(ordered[low]), float(ordered[high])
        out.append(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)
    return out[0], out[1], out[2]


def _value_warnings(values: np.ndarray) -> list[Warning]:
    out = []
    finite = values[np.isfinite(values)]
    n_negative = int((finite < 0).sum())
    if n_negative:
        out.append(
            Warning(
                "negative_meter_values",
                f"{n_negative} negative usage values (net metering with on-site generation?).",
                {"n_negative_meter_values": n_negative},
                disqualifying=True,
            )
        )
    if finite.size >= 4:
        q1, median, q3 = _quartiles(finite)
        limit = median + 3 * (q3 - q1)
        n_extreme = int((finite > limit).sum())
        if n_extreme:
            # CalTRACK 2.3.6: flagged for manual review, not removed.
            out.append(
                Warning(
                    "extreme_values_detected",
                    f"{n_extreme} usage values exceed median + 3 × IQR; review them.",
                    {
                        "n_extreme_values": n_extreme,
                        "extreme_value_limit": float(limit),
                        "max_value": float(finite.max()),
                    },
                )
            )
    return out


def daily_sufficiency(
    dates, usage, temperature, start, end, *, zeros_are_missing: bool = False
) -> list[Warning]:
    """CalTRACK sufficiency of daily usage and daily mean temperature over ``[start, end)``.

    ``dates`` are the rows inside the baseline (``datetime64[D]``); ``nan`` usage or temperature
    is missing, and so is zero usage when ``zeros_are_missing`` (electricity). Days of the
    baseline without a row count as missing too.
    """
    d0, d1 = as_day(start), as_day(end)
    n_total = int((d1 - d0).astype(int))
    u = np.asarray(usage, dtype=float)
    t = np.asarray(temperature, dtype=float)
    warnings = baseline_length_warnings(d0, d1)
    valid_u = np.isfinite(u)
    if zeros_are_missing:
        n_zero = int((u == 0).sum())
        valid_u &= u != 0
        if n_zero:
            warnings.append(
                Warning(
                    "zero_usage_treated_as_missing",
                    f"{n_zero} days with zero usage are treated as missing (electricity).",
                    {"n_days": n_zero},
                )
            )
    valid_t = np.isfinite(t)
    warnings += _coverage_warnings(
        n_total, int(valid_u.sum()), int(valid_t.sum()), int((valid_u & valid_t).sum())
    )
    warnings += _value_warnings(np.where(valid_u, u, np.nan))
    return warnings


def clean_billing_periods(
    starts, ends, usage, *, bimonthly: bool = False
) -> tuple[np.ndarray, list[Warning]]:
    """Keep mask of billing periods of acceptable length, and a warning for the others.

    CalTRACK 2.2.3.4: periods shorter than 25 days or longer than 35 days (70 when the meter is
    read bimonthly) are dropped.
    """
    s, e = np.asarray(starts, "datetime64[D]"), np.asarray(ends, "datetime64[D]")
    days = (e - s).astype(int)
    longest = MAX_BIMONTHLY_BILL_DAYS if bimonthly else MAX_BILL_DAYS
    keep = (days >= MIN_BILL_DAYS) & (days <= longest)
    warnings = []
    if not keep.all():
        dropped = [
            {"start": str(to_date(a)), "end": str(to_date(b)), "days": int(n)}
            for a, b, n in zip(s[~keep], e[~keep], days[~keep], strict=True)
        ]
        warnings.append(
            Warning(
                "billing_periods_dropped",
                f"{len(dropped)} billing periods shorter than {MIN_BILL_DAYS} or longer than "
                f"{longest} days were dropped.",
                {"periods": dropped, "min_days": MIN_BILL_DAYS, "max_days": longest},
            )
        )
    return keep, warnings


def billing_sufficiency(starts, ends, usage, temperature_ok, start, end) -> list[Warning]:
    """CalTRACK sufficiency of billing periods over the baseline ``[start, end)``.

    ``temperature_ok`` tells, per period, whether its temperature coverage is enough. A baseline
    day is valid when a kept period with usage (and temperature) covers it.
    """
    d0, d1 = as_day(start), as_day(end)
    n_total = int((d1 - d0).astype(int))
    s, e = np.asarray(starts, "datetime64[D]"), np.asarray(ends, "datetime64[D]")
    u = np.asarray(usage, dtype=float)
    ok_t = np.asarray(temperature_ok, dtype=bool)
    days = (e - s).astype(int)
    valid_u = np.isfinite(u)
    warnings = baseline_length_warnings(d0, d1)
    warnings += _coverage_warnings(
        n_total,
        int(days[valid_u].sum()),
        int(days[ok_t].sum()),
        int(days[valid_u & ok_t].sum()),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        warnings += _value_warnings(np.where(valid_u, u / np.maximum(days, 1), np.nan))
    return warnings


def raise_if_insufficient(warnings, allow_insufficient: bool = False) -> None:
    """Raise :class:`InsufficientDataError` if any warning is disqualifying.

    Raises:
        InsufficientDataError: a disqualifying warning is present and ``allow_insufficient``
            is false; the error carries all ``warnings``.
    """
    bad = [w for w in warnings if w.disqualifying]
    if bad and not allow_insufficient:
        # Each rule by its code and data, so that a page says it in the reader's language.
        problems = Joined(EngineWarningText(w.message, w.code, w.data) for w in bad)
        raise InsufficientDataError(msg("mv.engine.insufficient", problems=problems), warnings)

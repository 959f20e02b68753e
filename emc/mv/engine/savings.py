"""Avoided energy use (IPMVP Option C) from a daily or billing baseline model.

savings = adjusted baseline − reporting use + non-routine adjustments, where the adjusted
baseline is the baseline model evaluated on reporting-period temperatures. Everything is laid
out per reporting day (billing periods are spread evenly over their days), so that day, month,
period, cumulative and rolling-12-month views all add up to the same totals.

Energy is in the meter's unit; days are ``datetime64[D]``; periods half-open ``[start, end)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from emc.mv.engine._time import as_days, has_repeats, to_date
from emc.mv.engine.daily import DailyModel, billing_design
from emc.mv.engine.errors import InvalidInputError, Warning
from emc.mv.engine.stats import fsu as _fsu

__all__ = [
    "NonRoutineAdjustment",
    "NormalisedSavings",
    "SavingsResult",
    "billing_savings",
    "daily_savings",
    "normalised_savings",
]


@dataclass(frozen=True)
class NonRoutineAdjustment:
    """An agreed non-routine adjustment, added to the adjusted baseline.

    Positive when the reporting period's use rose for reasons outside the ECMs (more floor area,
    longer hours), so that the ESCO is not charged for it. Give either ``amount`` (energy over
    the whole reporting period, spread evenly over its days) or ``series`` (energy per reporting
    day, aligned with the reporting dates), and always a ``reason``.
    """

    reason: str
    amount: float | None = None
    series: tuple[float, ...] | None = None

    def __post_init__(self):
        if not self.reason or not self.reason.strip():
            raise InvalidInputError("a non-routine adjustment needs a reason")
        if (self.amount is None) == (self.series is None):
            raise InvalidInputError(f"adjustment {self.reason!r}: give an amount or a series")
        if self.series is not None:
            object.__setattr__(self, "series", tuple(float(v) for v in self.series))

    def per_day(self, n_days: int) -> np.ndarray:
        """Energy of this adjustment on each of ``n_days`` reporting days.

        Raises:
            InvalidInputError: the series length differs from ``n_days``, or it is not finite.
        """
        if self.amount is not None:
            return np.full(n_days, float(self.amount) / n_days) if n_days else np.zeros(0)
        s = np.asarray(self.series, dtype=float)
        if s.size != n_days or not np.all(np.isfinite(s)):
            raise InvalidInputError(
                f"adjustment {self.reason!r}: series must have {n_days} finite values"
            )
        return s

    def to_dict(self) -> dict:
        """JSON-safe dict."""
        return {
            "reason": self.reason,
            "amount": self.amount,
            "series": None if self.series is None else list(self.series),
        }


def _clean(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


@dataclass(frozen=True)
class SavingsResult:
    """Savings over a reporting period, per day and in total.

    Per-day arrays (length ``dates.size``): ``adjusted_baseline`` and ``reporting`` are ``nan``
    where unknown; a day counts (``used``) when both are known. ``avoided`` is the routine
    savings of used days (0 elsewhere) plus the day's non-routine adjustment, so that
    ``avoided.sum() == total_avoided``. Totals of baseline and reporting are over used days.
    ``fsu_68`` / ``fsu_90`` are fractional savings uncertainties (``None`` when undefined).
    """

    dates: np.ndarray
    adjusted_baseline: np.ndarray
    reporting: np.ndarray
    non_routine: np.ndarray
    used: np.ndarray
    avoided: np.ndarray
    total_adjusted_baseline: float
    total_reporting: float
    total_non_routine: float
    total_avoided: float
    fsu_68: float | None
    fsu_90: float | None
    periods: tuple[dict, ...] = ()
    adjustments: tuple[NonRoutineAdjustment, ...] = ()
    warnings: tuple[Warning, ...] = field(default=(), compare=False)

    @property
    def cumulative(self) -> np.ndarray:
        """Cumulative avoided energy at the end of each reporting day."""
        return np.cumsum(self.avoided)

    def by_day(self) -> list[dict]:
        """One dict per reporting day (``date`` ISO string, energies, ``cumulative``)."""
        cum = self.cumulative
        return [
            {
                "date": str(to_date(d)),
                "adjusted_baseline": _clean(b),
                "reporting": _clean(r),
                "non_routine": float(a),
                "avoided": float(s),
                "cumulative": float(c),
            }
            for d, b, r, a, s, c in zip(
                self.dates,
                self.adjusted_baseline,
                self.reporting,
                self.non_routine,
                self.avoided,
                cum,
                strict=True,
            )
        ]

    def by_month(self) -> list[dict]:
        """Calendar-month totals (``month`` as ``YYYY-MM``; partial months as they are)."""
        if self.dates.size == 0:
            return []
        months = self.dates.astype("datetime64[M]")
        uniq, inv = np.unique(months, return_inverse=True)
        u = self.used

        def sums(x):
            return np.bincount(inv, weights=np.where(u, x, 0.0), minlength=uniq.size)

        base, rep = sums(self.adjusted_baseline), sums(self.reporting)
        nra = np.bincount(inv, weights=self.non_routine, minlength=uniq.size)
        avoided = np.bincount(inv, weights=self.avoided, minlength=uniq.size)
        days = np.bincount(inv, minlength=uniq.size)
        used = np.bincount(inv, weights=u.astype(float), minlength=uniq.size)
        cum = np.cumsum(avoided)
        return [
            {
                "month": str(m),
                "adjusted_baseline": float(base[i]),
                "reporting": float(rep[i]),
                "non_routine": float(nra[i]),
                "avoided": float(avoided[i]),
                "cumulative": float(cum[i]),
                "n_days": int(days[i]),
                "n_days_used": int(used[i]),
            }
            for i, m in enumerate(uniq)
        ]

    def rolling_12_months(self) -> list[dict]:
        """Twelve-month moving totals, one per month that ends a run of 12 consecutive months.

        ``end_month`` names the window's last month; windows with a calendar gap are skipped.
        """
        months = self.by_month()
        out = []
        idx = [np.datetime64(m["month"], "M").astype(int) for m in months]
        for i in range(11, len(months)):
            if idx[i] - idx[i - 11] != 11:
                continue
            window = months[i - 11 : i + 1]
            out.append(
                {
                    "start_month": window[0]["month"],
                    "end_month": window[-1]["month"],
                    **{
                        k: float(sum(m[k] for m in window))
                        for k in ("adjusted_baseline", "reporting", "non_routine", "avoided")
                    },
                    "n_days_used": int(sum(m["n_days_used"] for m in window)),
                }
            )
        return out

    def to_dict(self, *, daily: bool = False) -> dict:
        """JSON-safe summary: totals, FSU, months, rolling 12 months, periods, warnings.

        With ``daily=True`` the per-day rows are included too.
        """
        out = {
            "start": str(to_date(self.dates[0])) if self.dates.size else None,
            "end": str(to_date(self.dates[-1] + 1)) if self.dates.size else None,
            "adjusted_baseline": self.total_adjusted_baseline,
            "reporting": self.total_reporting,
            "non_routine": self.total_non_routine,
            "avoided": self.total_avoided,
            "fsu_68": self.fsu_68,
            "fsu_90": self.fsu_90,
            "n_days": int(self.dates.size),
            "n_days_used": int(self.used.sum()),
            "by_month": self.by_month(),
            "rolling_12_months": self.rolling_12_months(),
            "periods": list(self.periods),
            "adjustments": [a.to_dict() for a in self.adjustments],
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if daily:
            out["by_day"] = self.by_day()
        return out


def _uncertainty(model: DailyModel, m: int, base: float, avoided_routine: float):
    st = model.statistics
    if m < 1 or st.n <= st.p or not math.isfinite(st.cvrmse) or base == 0:
        return None, None
    out = []
    for conf in (0.68, 0.90):
        v = _fsu(
            cvrmse=st.cvrmse,
            n=st.n,
            p=st.p,
            m=m,
            savings_fraction=avoided_routine / base,
            rho=st.autocorrelation,
            confidence=conf,
            interval="billing" if model.method == "billing" else "daily",
        )
        out.append(_clean(v))
    return out[0], out[1]


def _assemble(
    model: DailyModel,
    dates: np.ndarray,
    base: np.ndarray,
    rep: np.ndarray,
    adjustments,
    m_obs: int,
    warnings: list[Warning],
    periods: tuple[dict, ...] = (),
) -> SavingsResult:
    adjustments = tuple(adjustments)
    nra = np.zeros(dates.size)
    for adj in adjustments:
        nra = nra + adj.per_day(dates.size)
    used = np.isfinite(base) & np.isfinite(rep)
    n_unused = int((~used).sum())
    if n_unused:
        warnings.append(
            Warning(
                "reporting_days_without_savings",
                f"{n_unused} of {dates.size} reporting days lack usage or a prediction "
                "(missing temperature) and count no routine savings.",
                {
                    "n_days": n_unused,
                    "n_missing_temperature": int(np.isnan(base).sum()),
                    "n_missing_usage": int(np.isnan(rep).sum()),
                },
            )
        )
    routine = np.where(used, base - rep, 0.0)
    avoided = routine + nra
    tot_base = float(np.sum(np.where(used, base, 0.0)))
    tot_rep = float(np.sum(np.where(used, rep, 0.0)))
    fsu68, fsu90 = _uncertainty(model, m_obs, tot_base, float(routine.sum()))
    return SavingsResult(
        dates=dates,
        adjusted_baseline=base,
        reporting=rep,
        non_routine=nra,
        used=used,
        avoided=avoided,
        total_adjusted_baseline=tot_base,
        total_reporting=tot_rep,
        total_non_routine=float(nra.sum()),
        total_avoided=float(avoided.sum()),
        fsu_68=fsu68,
        fsu_90=fsu90,
        periods=periods,
        adjustments=adjustments,
        warnings=tuple(warnings),
    )


def daily_savings(
    model: DailyModel,
    dates,
    usage,
    temperature,
    *,
    adjustments=(),
    zeros_are_missing: bool = False,
) -> SavingsResult:
    """Savings of daily reporting data against a daily or billing baseline ``model``.

    ``dates`` one per reporting day (unique, consecutive days are not required), ``usage`` the
    energy used that day (``nan`` missing), ``temperature`` the day's mean temperature in the
    model's unit. FSU uses the reporting days with data as ``m``.

    Raises:
        InvalidInputError: lengths differ, duplicate dates, bad adjustments.
    """
    d = as_days(dates)
    u = np.asarray(usage, dtype=float)
    t = np.asarray(temperature, dtype=float)
    if not (d.shape == u.shape == t.shape) or d.ndim != 1:
        raise InvalidInputError("dates, usage and temperature must be 1-d and of equal length")
    if has_repeats(d):
        raise InvalidInputError("dates must be unique")
    order = np.argsort(d, kind="stable")
    d, u, t = d[order], u[order], t[order]
    if zeros_are_missing:
        u = np.where(u == 0, np.nan, u)
    base = model.predict(t)
    m = int((np.isfinite(base) & np.isfinite(u)).sum())
    return _assemble(model, d, base, u, adjustments, m, [])


def billing_savings(
    model: DailyModel,
    starts,
    ends,
    usage,
    temperature_dates,
    temperature,
    *,
    adjustments=(),
) -> SavingsResult:
    """Savings of billing-period reporting data against a daily or billing baseline ``model``.

    Each period ``[start, end)`` gets its adjusted baseline from
    :meth:`DailyModel.predict_periods`; period totals are spread evenly over the period's days
    for the daily and monthly views. FSU uses the number of periods with data as ``m``.
    Adjustment series are per reporting day (all days of all periods, in order).

    Raises:
        InvalidInputError: lengths differ, periods overlap or are empty, bad adjustments.
    """
    s, e = as_days(starts, "starts"), as_days(ends, "ends")
    u = np.asarray(usage, dtype=float)
    if not (s.shape == e.shape == u.shape) or s.ndim != 1:
        raise InvalidInputError("starts, ends and usage must be 1-d and of equal length")
    order = np.argsort(s, kind="stable")
    s, e, u = s[order], e[order], u[order]
    if np.any(e <= s) or np.any(s[1:] < e[:-1]):
        raise InvalidInputError("billing periods must be non-empty and must not overlap")
    design = billing_design(s, e, temperature_dates, temperature)
    pred = model.predict_periods(s, e, temperature_dates, temperature)
    days = design.days
    dates = np.repeat(s, days) + (
        np.arange(days.sum()) - np.repeat(np.cumsum(days) - days, days)
    ).astype("timedelta64[D]")
    base = np.repeat(pred / days, days)
    rep = np.repeat(u / days, days)
    ok = np.isfinite(pred) & np.isfinite(u)
    periods = tuple(
        {
            "start": str(to_date(a)),
            "end": str(to_date(b)),
            "adjusted_baseline": _clean(p),
            "reporting": _clean(r),
            "avoided": float(p - r) if k else None,
        }
        for a, b, p, r, k in zip(s, e, pred, u, ok, strict=True)
    )
    return _assemble(model, dates, base, rep, adjustments, int(ok.sum()), [], periods)


@dataclass(frozen=True)
class NormalisedSavings:
    """Normalised annual savings: both models evaluated on a typical year's temperatures."""

    baseline: float
    reporting: float
    savings: float
    n_days: int
    n_days_missing: int

    def to_dict(self) -> dict:
        """JSON-safe dict."""
        return {
            "baseline": self.baseline,
            "reporting": self.reporting,
            "savings": self.savings,
            "n_days": self.n_days,
            "n_days_missing": self.n_days_missing,
        }


def normalised_savings(
    baseline_model: DailyModel, reporting_model: DailyModel, typical_temperature
) -> NormalisedSavings:
    """Normalised savings on a typical year of daily mean temperatures (e.g. 365 TMY days).

    Both models must use the same temperature unit as ``typical_temperature``. Days with
    ``nan`` temperature are skipped by both models (counted in ``n_days_missing``).

    Raises:
        InvalidInputError: the models' temperature units differ.
    """
    if baseline_model.temperature_unit != reporting_model.temperature_unit:
        raise InvalidInputError("baseline and reporting models use different temperature units")
    t = np.asarray(typical_temperature, dtype=float)
    ok = np.isfinite(t)
    b = float(baseline_model.predict(t[ok]).sum())
    r = float(reporting_model.predict(t[ok]).sum())
    return NormalisedSavings(b, r, b - r, int(t.size), int((~ok).sum()))

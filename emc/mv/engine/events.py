"""Non-routine event detection: change points in the daily residuals of a baseline model.

A non-routine event (a new wing, a closed floor, a changed schedule) shows as a lasting step in
``residual = actual use − model prediction``. This module finds such steps with a two-sided
**tabular CUSUM** (Page 1954; Montgomery, *Introduction to Statistical Quality Control*, §9.1)
run on the residuals of one period at a time, so a period's own constant level — the ECM's
saving from the reporting period's first day, or a baseline fit's zero mean — is never an event.

How the CUSUM is set up (documented threshold, as the issue asks):

* **Self-starting reference.** The in-control level is the running mean of the residuals since
  the start of the current segment (Hawkins and Olwell 1998, *Cumulative Sum Charts*, §7.2): no
  level has to be assumed, and a step in a baseline fit (whose residuals straddle zero) is
  measured against the level before it. The first :data:`WARMUP_DAYS` days of a segment only
  build the reference, so a step inside them is not reported (it would be one for the model).
* **Prewhitening.** Daily residuals are autocorrelated; with the lag-1 autocorrelation ρ of the
  baseline residuals, ``z_t = ((e_t − m) − ρ (e_{t−1} − m)) / (σ √(1 − ρ²))`` are close to
  independent standard normals, for which CUSUM run lengths are known (a step of δσ in the
  residuals becomes a step of ``δ √((1 − ρ)/(1 + ρ))`` in z).
* **Relative residuals.** Savings and noise scale with use, so the chart runs on
  ``residual / prediction`` in units of the baseline's CV(RMSE).
* **Threshold.** ``S⁺ = max(0, S⁺ + z − k)``, ``S⁻ = max(0, S⁻ − z − k)``; an alarm when either
  exceeds ``h``. :func:`design` tunes both per meter to the change that matters,
  :data:`TARGET_CHANGE` (a 15 % step of use): ``k`` is half that step in z units and ``h`` the
  smallest threshold whose in-control average run length per side is :data:`ARL0_DAYS`
  (1,000 days, Siegmund's approximation), i.e. about 0.7 false alarms per meter-year for both
  sides. ``bench/watch.py`` measures detection and false alarms on synthetic CalTRACK-shaped
  series.
* **Start, size, confidence.** The event starts the day after the alarming side's CUSUM was
  last zero (the maximum-likelihood change point of the tabular CUSUM). Its size is the mean
  residual from the start to the next event (or the end) minus the mean over the segment
  before it; its confidence is ``1 − p`` of Welch's t-test of those two means with each
  sample size deflated by ``(1 − ρ)/(1 + ρ)`` for autocorrelation.

After an alarm the chart restarts at the event's start, so a second change later is found too.
Deterministic and pure: no I/O, inputs are not mutated.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from emc.mv.engine._time import as_days
from emc.mv.engine.errors import InvalidInputError

# The change the chart is designed to catch quickly (a fraction of the modelled use) and the
# in-control average run length of each side, in days.
TARGET_CHANGE = 0.15
ARL0_DAYS = 1000.0
WARMUP_DAYS = 14
# An alarm whose before/after means do not differ at this confidence is not reported (a CUSUM
# excursion of noise, or a step too small to matter).
MIN_CONFIDENCE = 0.95


def siegmund_arl(k: float, h: float, shift: float = 0.0) -> float:
    """Siegmund's approximation of a one-sided tabular CUSUM's average run length for a
    standard-normal series shifted by ``shift`` (reference ``k``, threshold ``h``)."""
    delta = shift - k
    b = h + 1.166
    if abs(delta) < 1e-9:
        return b * b
    return (math.exp(-2 * delta * b) + 2 * delta * b - 1) / (2 * delta * delta)


def design(cv: float, rho: float, *, change: float = TARGET_CHANGE, arl0: float = ARL0_DAYS):
    """``(k, h)`` of a chart tuned to a step of ``change`` (fraction of use) in prewhitened
    residuals of relative standard deviation ``cv`` and autocorrelation ``rho``: ``k`` is half
    the step in σ units and ``h`` the smallest threshold whose in-control run length per side
    reaches ``arl0`` days (Siegmund)."""
    rho = min(max(rho, 0.0), 0.95)
    shift = change / cv * math.sqrt((1.0 - rho) / (1.0 + rho))
    k = shift / 2.0
    lo, hi = 0.1, 50.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if siegmund_arl(k, mid) < arl0:
            lo = mid
        else:
            hi = mid
    return k, hi


@dataclass(frozen=True)
class SuspectedEvent:
    """A suspected non-routine event (疑似非常规事件).

    ``start``: first day of the change; ``detected``: the day the CUSUM crossed its threshold
    (the earliest day an online watch would have raised it). ``change_per_day`` is in the
    residuals' unit per day (positive: use went up against the model, i.e. savings fell);
    ``change_percent`` is that change as a percentage of the mean model prediction before the
    start; ``confidence`` in [0, 1].
    """

    start: dt.date
    detected: dt.date
    change_per_day: float
    change_percent: float | None
    confidence: float
    days_after: int

    def to_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "detected": self.detected.isoformat(),
            "change_per_day": round(self.change_per_day, 3),
            "change_percent": None
            if self.change_percent is None
            else round(self.change_percent, 2),
            "confidence": round(self.confidence, 3),
            "days_after": self.days_after,
        }


@dataclass(frozen=True)
class CusumTrace:
    """The chart's two sides per day (``nan`` on days without a residual), in σ units."""

    upper: np.ndarray
    lower: np.ndarray


def _welch_confidence(before: np.ndarray, after: np.ndarray, rho: float) -> float:
    if before.size < 2 or after.size < 2:
        return 0.0
    factor = (1.0 - rho) / (1.0 + rho)
    n1, n2 = max(before.size * factor, 1.0), max(after.size * factor, 1.0)
    v1, v2 = before.var(ddof=1) / n1, after.var(ddof=1) / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return 1.0 if after.mean() != before.mean() else 0.0
    t = (after.mean() - before.mean()) / se
    dof = (v1 + v2) ** 2 / (
        (v1**2 / max(n1 - 1, 1.0) if v1 else 0.0) + (v2**2 / max(n2 - 1, 1.0) if v2 else 0.0) or 1.0
    )
    from scipy import stats as sps  # ~0.5 s to import: load it with the first test, not the app

    p = 2.0 * float(sps.t.sf(abs(t), max(dof, 1.0)))
    return max(0.0, min(1.0, 1.0 - p))


def cusum_events(
    dates,
    residuals,
    *,
    sigma: float,
    rho: float = 0.0,
    predicted=None,
    k: float | None = None,
    h: float | None = None,
    warmup: int = WARMUP_DAYS,
    min_confidence: float = MIN_CONFIDENCE,
) -> tuple[list[SuspectedEvent], CusumTrace]:
    """Suspected events in one period's daily residuals (see the module for the method).

    Args:
        dates: one date per day, in order (consecutive days; gaps are allowed).
        residuals: actual − predicted use per day (``nan``: missing day, skipped).
        sigma: standard deviation of the daily residuals of the baseline fit (same unit),
            e.g. CV(RMSE) × mean daily use.
        rho: lag-1 autocorrelation of the baseline residuals (clipped to [0, 0.95]).
        predicted: the model's prediction per day, for ``change_percent`` (optional).

    Returns the events in time order and the CUSUM trace.

    Raises:
        InvalidInputError: lengths differ, sigma not positive.
    """
    d = as_days(dates)
    e = np.asarray(residuals, dtype=float)
    if d.shape != e.shape or e.ndim != 1:
        raise InvalidInputError("dates and residuals must be 1-d and of equal length")
    pred = None if predicted is None else np.asarray(predicted, dtype=float)
    if pred is not None and pred.shape != e.shape:
        raise InvalidInputError("predicted must have one value per day")
    if not (sigma > 0 and math.isfinite(sigma)):
        raise InvalidInputError(f"sigma must be positive, got {sigma!r}")
    rho = 0.0 if not math.isfinite(rho) else min(max(rho, 0.0), 0.95)
    x_all = e
    if pred is not None:
        # Savings and noise scale with use (a 10 % saving is 10 % in winter and in summer), so
        # the chart runs on residuals relative to the prediction, in units of CV(RMSE).
        level = float(np.nanmean(pred)) if np.isfinite(pred).any() else math.nan
        if math.isfinite(level) and level > 0:
            with np.errstate(invalid="ignore", divide="ignore"):
                x_all = np.where(pred > 0, e / pred, np.nan)
            sigma = sigma / level
    scale = sigma * math.sqrt(1.0 - rho * rho)
    if k is None or h is None:
        # Without a prediction the residuals are absolute: the design then assumes CV 15 %.
        k_d, h_d = design(sigma if pred is not None else TARGET_CHANGE, rho)
        k = k_d if k is None else k
        h = h_d if h is None else h
    n = e.size
    upper = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    alarms: list[tuple[int, int]] = []  # (start index, alarm index)
    # The recursion runs on Python floats: the same IEEE arithmetic as numpy's scalars, at a
    # fraction of the cost per day (the nightly watch runs it for every meter).
    xs = x_all.tolist()
    seg = 0
    t = 0
    while t < n:
        # Restart at ``seg``: the reference is the running mean of the segment's residuals.
        s_hi = s_lo = 0.0
        zero_hi = zero_lo = seg
        total, count = 0.0, 0
        prev = math.nan
        alarm = None
        for i in range(seg, n):
            x = xs[i]
            if not math.isfinite(x):
                prev = math.nan
                continue
            if count >= warmup and i >= t:
                m = total / count
                innovation = (x - m) - rho * (prev - m) if math.isfinite(prev) else None
                z = innovation / scale if innovation is not None else (x - m) / sigma
                s_hi = max(0.0, s_hi + z - k)
                s_lo = max(0.0, s_lo - z - k)
                if s_hi == 0.0:
                    zero_hi = i + 1
                if s_lo == 0.0:
                    zero_lo = i + 1
                upper[i], lower[i] = s_hi, s_lo
                if s_hi > h or s_lo > h:
                    alarm = (zero_hi if s_hi > h else zero_lo, i)
                    break
            else:
                upper[i], lower[i] = 0.0, 0.0
            total += x
            count += 1
            prev = x
        if alarm is None:
            break
        start, at = alarm
        start = min(start, at)
        alarms.append((start, at))
        seg = t = at + 1
    events = []
    bounds = [0] + [s for s, _ in alarms] + [n]
    for j, (start, at) in enumerate(alarms):
        before = e[bounds[j] : start]
        after = e[start : bounds[j + 2]]
        before, after = before[np.isfinite(before)], after[np.isfinite(after)]
        if before.size == 0 or after.size == 0:
            continue
        change = float(after.mean() - before.mean())
        percent = None
        if pred is not None:
            level = pred[bounds[j] : start]
            level = level[np.isfinite(level)]
            if level.size and level.mean() != 0:
                percent = 100.0 * change / float(level.mean())
        confidence = _welch_confidence(before, after, rho)
        if confidence < min_confidence:
            continue
        events.append(
            SuspectedEvent(
                start=d[start].astype(dt.date),
                detected=d[at].astype(dt.date),
                change_per_day=change,
                change_percent=percent,
                confidence=confidence,
                days_after=int(after.size),
            )
        )
    return events, CusumTrace(upper=upper, lower=lower)


def _refine(x: np.ndarray, lo: int, start: int, at: int) -> int:
    """The change point between the segment start ``lo`` and the alarm ``at``: the classic
    offline estimator ``argmax |Σ (x_i − x̄)|`` (Hinkley 1971) over ``[lo, at]``, which uses
    the days before the CUSUM's last zero too; ``start`` when there are too few days."""
    window = x[lo : at + 1]
    idx = np.flatnonzero(np.isfinite(window))
    if idx.size < 4:
        return start
    values = window[idx]
    c = np.cumsum(values - values.mean())
    k = int(np.argmax(np.abs(c[:-1])))
    return lo + int(idx[k + 1])


def savings_cusum(residuals) -> np.ndarray:
    """Cumulative sum of ``residual − mean residual`` (missing days add nothing): the classic
    CUSUM chart of a savings series, whose slope changes sign where performance changed."""
    e = np.asarray(residuals, dtype=float)
    ok = np.isfinite(e)
    if not ok.any():
        return np.zeros(e.size)
    centred = np.where(ok, e - e[ok].mean(), 0.0)
    return np.cumsum(centred)

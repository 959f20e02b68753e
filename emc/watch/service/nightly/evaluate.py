"""The nightly watch's numbers for one project, in numpy and without the database: the frozen
baseline models evaluated on the days seen (adjusted baseline, actual use, savings), the
expected trajectory, the uncertainty band, the CUSUM, the reporting-period events, the gaps
with the savings they cannot verify, and the shortfall forecast.

Day series are arrays over ``[start, today)``; ``nan`` marks a missing day. A "normal" table
holds a baseline model's use per calendar day on the baseline year's weather (see
:func:`emc.watch.service.common.normal_daily`), indexed by ``32 · month + day``, with 29 February
falling back to 28 February.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from emc.contracts.finance.periods import add_months, contract_year_of
from emc.energy import UnitError, float_factor
from emc.mv import engine
from emc.mv.engine.events import cusum_events, savings_cusum
from emc.mv.engine.stats import uncertainty_fraction
from emc.watch import forecast as fc
from emc.watch.models import EventScope, EventStatus
from emc.watch.service.common import normal_daily

# No shortfall forecast on fewer days of data than this.
MIN_FORECAST_DAYS = 30
_FEB28, _FEB29 = 32 * 2 + 28, 32 * 2 + 29


def day_range(start: dt.date, end: dt.date) -> np.ndarray:
    """The days of ``[start, end)`` as ``datetime64[D]``."""
    return np.arange(np.datetime64(start, "D"), np.datetime64(end, "D"))


def _calendar_index(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    return 32 * month + (days - months.astype("datetime64[D]")).astype(np.int64) + 1


def normal_table(entry: dict[str, Any]) -> np.ndarray:
    """The entry's normal-weather use per calendar day as a table (see the module), without
    the 29 February fallback (:func:`with_leap_day` adds it)."""
    table = np.full(32 * 13, np.nan)
    series = entry.get("series") or {}
    dates = series.get("dates") or []
    daily = len(dates) < 2 or dates[1] == _next_day(dates[0])
    if daily and dates:
        values = np.array(
            [np.nan if v is None else v for v in series.get("modelled") or []], dtype=float
        )
        days = np.array(dates[: values.size], dtype="datetime64[D]")
        keep = np.isfinite(values[: days.size])
        table[_calendar_index(days[keep])] = values[: days.size][keep]
    else:
        for (month, day), value in normal_daily(entry).items():
            table[32 * month + day] = value
    return table


def _next_day(iso: str) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=1)).isoformat()


def with_leap_day(table: np.ndarray) -> np.ndarray:
    """A copy of ``table`` whose 29 February, when unknown, is its 28 February."""
    table = table.copy()
    if not math.isfinite(table[_FEB29]):
        table[_FEB29] = table[_FEB28]
    return table


def normal_of(table: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The use of a :func:`with_leap_day` table on each of ``days``."""
    return table[_calendar_index(days)]


@dataclass
class MeterTrack:
    """One meter's part of a project's track: its baseline entry, use and prediction per day
    (meter units), the factor to the project's unit and its normal table."""

    entry: dict[str, Any]
    meter: Any
    use: np.ndarray
    predicted: np.ndarray
    factor: float
    normal: np.ndarray


@dataclass
class Track:
    """A project's days seen, in its unit (the first meter's): adjusted baseline, actual use
    and the days missing on any meter."""

    start: dt.date
    days: np.ndarray
    unit: str
    predicted: np.ndarray
    actual: np.ndarray
    missing: np.ndarray
    meters: list[MeterTrack]


def track(entries, meters, use, temps, start: dt.date, end: dt.date) -> Track | None:
    """Evaluate the frozen models of ``entries`` on ``[start, end)``. ``use`` and ``temps`` are
    ``(first day, {meter / station id: array from that day to end})``. None when no day or no
    meter."""
    n = (end - start).days
    if n <= 0:
        return None
    use_from, use = use[0], use[1]
    temps_from, temps = temps[0], temps[1]
    ui, ti = (start - use_from).days, (start - temps_from).days
    unit = None
    predicted = np.zeros(n)
    actual = np.zeros(n)
    missing = np.zeros(n, dtype=bool)
    per_meter = []
    nothing = np.full(n, np.nan)
    for entry in entries:
        meter = meters.get(int(entry["meter_id"]))
        if meter is None:
            continue
        unit = unit or meter.unit
        try:
            factor = float_factor(meter.unit, unit, meter.carrier)
        except UnitError:
            continue
        model = engine.model_from_dict(entry["model"])
        u = use[meter.id][ui:] if meter.id in use else nothing
        t = temps[meter.station_id][ti:] if meter.station_id in temps else nothing
        p = model.predict(t)
        missing |= ~np.isfinite(u) | ~np.isfinite(p)
        predicted += np.nan_to_num(p) * factor
        actual += np.nan_to_num(u) * factor
        per_meter.append(MeterTrack(entry, meter, u, p, factor, normal_table(entry)))
    if unit is None:
        return None
    predicted[missing] = np.nan
    actual[missing] = np.nan
    return Track(start, day_range(start, end), unit, predicted, actual, missing, per_meter)


def model_stats(entries) -> tuple[float, int, int, float]:
    """G14 inputs of the project's models, the largest model standing for all."""
    best = max(entries, key=lambda e: e["model"].get("intercept") or 0.0)
    st = best["statistics"]
    return (
        float(st.get("cvrmse") or math.nan),
        int(st.get("n") or 0),
        int(st.get("p") or 1),
        float(st.get("autocorrelation") or 0.0),
    )


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The ``[a, b)`` index runs where ``mask`` is true."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(
        zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True)
    )


def contract_year(terms, day: dt.date) -> tuple[int, dt.date, dt.date] | None:
    """``(year, start, end)`` of the contract year holding ``day`` (None outside the term)."""
    if terms is None:
        return None
    year = contract_year_of(terms.start_date, day)
    if year < 1 or year > terms.term_years:
        return None
    start = add_months(terms.start_date, 12 * (year - 1))
    return year, start, add_months(terms.start_date, 12 * year)


def combined_normal(tr: Track) -> np.ndarray:
    """The project's normal table in its unit; a calendar day missing from any meter's normal
    year is unknown for the project."""
    out = np.zeros(32 * 13)
    for m in tr.meters:
        out += m.normal * m.factor
    return with_leap_day(out)


@dataclass
class Progress:
    """Savings to date of a track against the expected trajectory."""

    savings: np.ndarray
    ok: np.ndarray
    expected: np.ndarray
    cum_savings: np.ndarray
    cum_expected: np.ndarray
    cum_base: np.ndarray
    band: np.ndarray
    cusum: np.ndarray
    annual: float | None
    year_normal: float


def progress(tr: Track, normal: np.ndarray, annual: float | None, cyear, stats) -> Progress:
    """Savings, expected savings (``annual`` spread over the normal year), cumulative sums, the
    G14 band around the cumulative savings and the CUSUM of the savings residual."""
    year_normal = math.nan
    if cyear is not None:
        year_normal = float(np.nansum(normal_of(normal, day_range(cyear[1], cyear[2]))))
    savings = tr.predicted - tr.actual
    if annual is not None and year_normal > 0:
        expected = annual * normal_of(normal, tr.days) / year_normal
    else:
        expected = np.full(tr.days.size, np.nan)
    ok = ~tr.missing
    cum_savings = np.cumsum(np.where(ok, savings, 0.0))
    cum_expected = np.cumsum(np.nan_to_num(expected))
    cum_base = np.cumsum(np.where(ok, tr.predicted, 0.0))
    cvrmse, n, p, rho = stats
    band = np.zeros(tr.days.size)
    if n > p and math.isfinite(cvrmse):
        # G14's fraction scales as 1/sqrt(m): evaluate it once, at m = 1.
        m_days = np.cumsum(ok)
        one = uncertainty_fraction(cvrmse=cvrmse, n=n, p=p, m=1, rho=max(rho, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            band = np.where(m_days >= 1, one / np.sqrt(np.maximum(m_days, 1)) * cum_base, 0.0)
    if np.isfinite(expected).any():
        cusum = np.cumsum(np.where(ok, savings - np.nan_to_num(expected), 0.0))
    else:
        cusum = savings_cusum(np.where(ok, savings, np.nan))
    return Progress(
        savings, ok, expected, cum_savings, cum_expected, cum_base, band, cusum, annual, year_normal
    )


def reporting_events(tr: Track) -> list[tuple[MeterTrack, list]]:
    """Suspected events per meter in the days seen (the period scanned on its own)."""
    out = []
    for m in tr.meters:
        st = m.entry["statistics"]
        if not st.get("cvrmse") or np.isfinite(m.predicted).sum() < 2 * 14:
            continue
        found, _ = cusum_events(
            tr.days,
            m.use - m.predicted,
            sigma=float(st["cvrmse"]) * float(np.nanmean(m.predicted)),
            rho=float(st.get("autocorrelation") or 0.0),
            predicted=m.predicted,
        )
        out.append((m, found))
    return out


def gaps(tr: Track, pr: Progress) -> list[dict[str, Any]]:
    """Each run of missing days with its adjusted baseline (the model where the weather is
    known, else the normal year) and the savings at risk at the expected savings fraction."""
    fraction = None
    if pr.annual is not None and pr.year_normal > 0:
        fraction = pr.annual / pr.year_normal
    elif pr.cum_base[-1] > 0:
        fraction = pr.cum_savings[-1] / pr.cum_base[-1]
    found = runs(tr.missing)
    if not found:
        return []
    value = np.zeros(tr.days.size)
    for m in tr.meters:
        value += (
            np.where(
                np.isfinite(m.predicted), m.predicted, normal_of(with_leap_day(m.normal), tr.days)
            )
            * m.factor
        )
    out = []
    for a, b in found:
        base = 0.0
        for v in value[a:b].tolist():
            base += v if math.isfinite(v) else 0.0
        out.append(
            {
                "start": str(tr.days[a]),
                "end": str(tr.days[b - 1] + 1),
                "days": b - a,
                "adjusted_baseline": round(base, 3),
                "at_risk": round(base * fraction, 3) if fraction is not None else None,
            }
        )
    return out


def accepted_in_year(accepted, meter_ids, year_start, before) -> tuple[float, float, int]:
    """Adjusted baseline and savings (meter units) of accepted reports in the contract year,
    ``accepted`` as ``(period_start, period_end, results)``."""
    base = saved = 0.0
    days = 0
    for period_start, period_end, results in accepted:
        if period_start < year_start or period_end > before:
            continue
        days += (period_end - period_start).days
        for r in results:
            if int(r.get("meter_id", -1)) in meter_ids:
                sd = r.get("savings") or {}
                base += float(sd.get("adjusted_baseline") or 0.0)
                saved += float(sd.get("avoided") or 0.0)
    return base, saved, days


def shortfall(
    tr: Track,
    pr: Progress,
    normal: np.ndarray,
    *,
    cyear,
    threshold: float,
    threshold_kind: str,
    stats,
    known,
    accepted,
    limit: float,
    today: dt.date,
) -> dict[str, Any]:
    """The contract year's savings forecast with the probability of ending below
    ``threshold`` (empty when there is too little to forecast on). ``known`` are the project's
    suspected events: the savings rate is measured since the latest reporting one."""
    if cyear is None or int(pr.ok.sum()) < MIN_FORECAST_DAYS:
        return {}
    _, ystart, yend = cyear
    in_year = (tr.days >= np.datetime64(ystart)) & (tr.days < np.datetime64(yend)) & pr.ok
    acc_base, acc_saved, _ = accepted_in_year(
        accepted, {m.meter.id for m in tr.meters}, ystart, tr.start
    )
    saved = acc_saved + float(pr.savings[in_year].sum())
    base_seen = acc_base + float(tr.predicted[in_year].sum())
    latest = [
        e.start_date
        for e in known
        if e.scope is EventScope.REPORTING
        and e.status is not EventStatus.DISMISSED
        and e.start_date >= tr.start
    ]
    since = max(latest) if latest else tr.days[0].astype(dt.date)
    rate_mask = in_year & (tr.days >= np.datetime64(since))
    if rate_mask.sum() < 14:
        rate_mask = in_year
    if not (rate_mask.sum() >= 1 and tr.predicted[rate_mask].sum() > 0):
        return {}
    remaining = day_range(today, yend) if yend > today else day_range(today, today)
    cvrmse, n, p, rho = stats
    f = fc.savings_forecast(
        savings_to_date=saved,
        rate_savings=float(pr.savings[rate_mask].sum()),
        rate_baseline=float(tr.predicted[rate_mask].sum()),
        rate_days=int(rate_mask.sum()),
        baseline_to_date=base_seen,
        baseline_remaining=float(np.nansum(normal_of(normal, remaining))),
        days_remaining=remaining.size,
        cvrmse=cvrmse,
        n=n,
        p=p,
        rho=rho,
    )
    short = (pr.savings - np.nan_to_num(pr.expected))[in_year]
    worst = np.argsort(short)[:5]
    in_days = tr.days[in_year]
    drivers = [
        {"date": str(in_days[i]), "shortfall": round(float(-short[i]), 3)}
        for i in sorted(worst)
        if short[i] < 0
    ]
    return {
        **f.to_dict(),
        "threshold": threshold,
        "threshold_kind": threshold_kind,
        "probability": f.probability_below(threshold),
        "limit": limit,
        "year_start": ystart.isoformat(),
        "year_end": yend.isoformat(),
        "rate_since": since.isoformat(),
        "drivers": drivers,
    }


def _clean(a) -> list[float | None]:
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), np.round(a, 3), None).tolist()


def series(tr: Track, pr: Progress) -> dict[str, list]:
    """The snapshot's chart series (rounded to 3 decimals, ``None`` for a missing day)."""
    return {
        "dates": np.datetime_as_string(tr.days).tolist(),
        "adjusted_baseline": _clean(tr.predicted),
        "actual": _clean(tr.actual),
        "savings": _clean(np.where(pr.ok, pr.savings, np.nan)),
        "expected": _clean(pr.expected),
        "cumulative_savings": _clean(pr.cum_savings),
        "cumulative_expected": _clean(pr.cum_expected) if np.isfinite(pr.expected).any() else [],
        "band_low": _clean(pr.cum_savings - pr.band),
        "band_high": _clean(pr.cum_savings + pr.band),
        "cusum": _clean(pr.cusum),
    }

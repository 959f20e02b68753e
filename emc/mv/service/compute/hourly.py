"""The hourly method (CalTRACK TOWT): baseline entry, savings and their FSU."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from emc.errors import Invalid
from emc.messages import EngineWarningText, msg
from emc.mv import data, engine
from emc.mv.engine import stats as mv_stats
from emc.mv.models import (
    MvPlan,
)
from emc.mv.service.compute.common import BoundaryMeter, clean_float, verdict

# --- hourly (CalTRACK TOWT) ----------------------------------------------------------------


def _daily_of_hours(series: data.HourlyInputs, values: np.ndarray, used: np.ndarray):
    """Local-day totals of hourly ``values`` over the ``used`` hours, ``nan`` for a day with
    no used hour, and the used hours per day."""
    dates = np.array(data.days(series.start, series.end), dtype="datetime64[D]")
    idx = (series.local_dates() - dates[0]).astype(int)
    totals = np.bincount(idx, weights=np.where(used, values, 0.0), minlength=dates.size)
    hours = np.bincount(idx, weights=used.astype(float), minlength=dates.size)
    return dates, np.where(hours > 0, totals, math.nan), hours


def hourly_entry(
    bm: BoundaryMeter, series: data.HourlyInputs, plan: MvPlan, allow_insufficient: bool
) -> dict[str, Any]:
    """Fit the CalTRACK hourly TOWT model on the meter's stored hours (CalTRACK sufficiency:
    at least 90 % of the hours of every month with use and temperature)."""
    short = series.insufficient_months()
    if short and not allow_insufficient:
        # Each month by the warning's code and data, said in the reader's language.
        months = [
            EngineWarningText(
                text,
                "insufficient_hours",
                {"month": month, "n_hours": n, "n_hours_with_data": k},
            )
            for text, (month, n, k) in zip(
                short,
                [m for m in series.months if not m[1] or m[2] / m[1] < data.HOURLY_SUFFICIENCY],
                strict=True,
            )
        ]
        raise Invalid(
            msg("mv.hourly_insufficient", meter=bm.meter.name),
            fields={"data": months},
            code="insufficient_data",
        )
    warnings = [w.to_dict() for w in series.warnings]
    warnings += [
        {
            "code": "insufficient_hours",
            "message": f"{month}: {k} of {n} hours ({(k / n if n else 0):.1%}) have use and"
            " temperature",
            "data": {"month": month, "n_hours": n, "n_hours_with_data": k},
            "disqualifying": True,
        }
        for month, n, k in series.months
        if not n or k / n < data.HOURLY_SUFFICIENCY
    ]
    ts, usage, temps = series.arrays()
    try:
        model = engine.fit_hourly(ts, usage, temps, timezone=series.timezone, temperature_unit="C")
    except engine.InsufficientDataError as exc:
        raise Invalid(
            msg("mv.insufficient_data", meter=bm.meter.name, problem=str(exc)),
            fields={"data": [str(exc)]},
            code="insufficient_data",
        ) from None
    except engine.InvalidInputError as exc:
        raise Invalid(
            msg("mv.meter_problem", meter=bm.meter.name, problem=str(exc)),
            fields={"data": [str(exc)]},
        ) from None
    predicted = model.predict(ts, temps)
    used = np.isfinite(predicted) & np.isfinite(usage)
    dates, observed, _h = _daily_of_hours(series, usage, used)
    _d, modelled, _h = _daily_of_hours(series, predicted, used)
    md = model.to_dict()
    statistics = md["statistics"] or {}
    return {
        **bm.identity(),
        "model": md,
        "statistics": statistics,
        "verdict": verdict(statistics, plan.reporting_frequency.months, None, plan.acceptance),
        "sufficiency": [
            {"month": m, "hours": n, "hours_used": k, "share": k / n if n else 0.0}
            for m, n, k in series.months
        ],
        "warnings": warnings + md["warnings"],
        "series": {
            "dates": [str(d) for d in dates],
            "observed": [clean_float(v) for v in observed],
            "modelled": [clean_float(v) for v in modelled],
        },
    }


def hourly_fsu(st, m: int, base: float, routine: float) -> tuple[float | None, float | None]:
    """FSU of hourly savings: G14 Annex B with the lag-1 autocorrelation of the hourly baseline
    residuals, ``n`` and ``p`` of the hourly fit, ``m`` reporting hours, and G14's Y = 1.26
    (the Sun–Balthazar polynomials are calibrated for daily and monthly data only)."""
    if st is None or m < 1 or st.n <= st.p or not math.isfinite(st.cvrmse) or not base:
        return None, None
    rho = st.autocorrelation if math.isfinite(st.autocorrelation) else 0.0
    out = []
    for conf in (0.68, 0.90):
        f = mv_stats.fsu(
            cvrmse=st.cvrmse,
            n=st.n,
            p=st.p,
            m=m,
            savings_fraction=routine / base,
            rho=rho,
            confidence=conf,
            interval="g14",
        )
        out.append(clean_float(f))
    return out[0], out[1]


def hourly_savings(model, series: data.HourlyInputs, adjustments) -> engine.SavingsResult:
    """Savings of a reporting period against an hourly TOWT ``model``: the adjusted baseline is
    predicted hour by hour from the period's temperatures, compared with the metered hours
    that have both a use and a prediction, and totalled per local day (non-routine
    adjustments are per day, as for the daily method). FSU per :func:`hourly_fsu`.

    Raises:
        engine.InvalidInputError: an adjustment series of the wrong length.
    """
    ts, usage, temps = series.arrays()
    predicted = model.predict(ts, temps)
    used_h = np.isfinite(predicted) & np.isfinite(usage)
    dates, base, hours = _daily_of_hours(series, predicted, used_h)
    _d, rep, _h = _daily_of_hours(series, usage, used_h)
    nra = np.zeros(dates.size)
    for adj in adjustments:
        nra = nra + adj.per_day(dates.size)
    used = hours > 0
    routine = np.where(used, base - rep, 0.0)
    tot_base = float(np.sum(np.where(used, base, 0.0)))
    tot_rep = float(np.sum(np.where(used, rep, 0.0)))
    fsu68, fsu90 = hourly_fsu(model.statistics, int(used_h.sum()), tot_base, float(routine.sum()))
    warnings = []
    missing = int(used_h.size - used_h.sum())
    if missing:
        warnings.append(
            engine.Warning(
                "reporting_hours_without_savings",
                f"{missing} of {used_h.size} reporting hours lack usage or a prediction "
                "(missing temperature) and count no routine savings.",
                {"n_hours": missing},
            )
        )
    return engine.SavingsResult(
        dates=dates,
        adjusted_baseline=base,
        reporting=rep,
        non_routine=nra,
        used=used,
        avoided=routine + nra,
        total_adjusted_baseline=tot_base,
        total_reporting=tot_rep,
        total_non_routine=float(nra.sum()),
        total_avoided=float((routine + nra).sum()),
        fsu_68=fsu68,
        fsu_90=fsu90,
        adjustments=tuple(adjustments),
        warnings=tuple(warnings),
    )


def hours_used_by_month(series: data.HourlyInputs, model) -> dict[str, int]:
    ts, usage, temps = series.arrays()
    used = np.isfinite(model.predict(ts, temps)) & np.isfinite(usage)
    months = series.local_dates().astype("datetime64[M]")
    out: dict[str, int] = {}
    for month, u in zip(months, used, strict=True):
        out[str(month)] = out.get(str(month), 0) + int(u)
    return out

"""Option A (key parameter measured, others stipulated): baseline entry and savings."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import labels
from emc.errors import Invalid
from emc.messages import msg
from emc.mv import data, engine
from emc.mv.models import MeasuredParameter, MvEvidenceFile, MvMeasurement, MvPlan
from emc.mv.service.compute.common import (
    OPTION_A_PARAMETERS,
    OPTION_A_SCHEMA,
    BoundaryMeter,
    clean_float,
)

# --- Option A (key parameter measured, others stipulated) ----------------------------------


def _stipulations(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The plan's stipulated values by name, checked against :data:`OPTION_A_PARAMETERS`.

    Raises:
        Invalid: a known parameter in another unit, or ``operating_hours_per_day`` missing.
    """
    out = {}
    for item in items:
        unit = OPTION_A_PARAMETERS.get(item["name"])
        if unit is not None and item["unit"] != unit:
            raise Invalid(
                msg("mv.stipulated_unit", name=item["name"], unit=unit, given=item["unit"]),
                fields={
                    "stipulated": [
                        msg("mv.stipulated_unit", name=item["name"], unit=unit, given=item["unit"])
                    ]
                },
            )
        out[item["name"]] = item
    if "operating_hours_per_day" not in out:
        raise Invalid(
            msg("mv.option_needs_stipulated_operating_hours"),
            fields={"stipulated": [msg("mv.operating_hours_per_day_h")]},
        )
    return out


def _measured_kw(name: str, usage: np.ndarray, hours_per_day: float) -> tuple[float, str]:
    """Mean demand while operating, from metered days: Σ kWh / (h/d × days with data)."""
    ok = np.isfinite(usage)
    n = int(ok.sum())
    if not n or not hours_per_day:
        return math.nan, labels.NO_METERED_DAY % {"meter": name}
    total = float(usage[ok].sum())
    kw = total / (hours_per_day * n)
    how = {"meter": name, "kwh": f"{total:.3f}", "days": n, "hours": f"{hours_per_day:g}"}
    return kw, labels.DERIVED_DEMAND % how


def measurements_of(
    session: Session, project_id: int, meter_id: int, parameter: MeasuredParameter
) -> list[dict[str, Any]]:
    """The project's measurements of ``parameter`` on a meter, oldest first, as the documents
    kept in baselines and reports (value as text, ``measured_at`` ISO, the evidence files'
    names and SHA-256)."""
    rows = session.scalars(
        select(MvMeasurement)
        .where(
            MvMeasurement.project_id == project_id,
            MvMeasurement.meter_id == meter_id,
            MvMeasurement.parameter == parameter,
        )
        .order_by(MvMeasurement.measured_at, MvMeasurement.id)
    ).all()
    files: dict[int, list[dict[str, str]]] = {m.id: [] for m in rows}
    if rows:
        for f in session.execute(
            select(MvEvidenceFile.measurement_id, MvEvidenceFile.filename, MvEvidenceFile.sha256)
            .where(MvEvidenceFile.measurement_id.in_(list(files)))
            .order_by(MvEvidenceFile.id)
        ):
            files[f.measurement_id].append({"filename": f.filename, "sha256": f.sha256})
    return [
        {
            "name": str(parameter),
            "value": str(m.value),
            "unit": m.unit,
            "basis": "measured",
            "measurement_id": m.id,
            "measured_at": m.measured_at.isoformat(),
            "method": m.method,
            "evidence": files[m.id],
        }
        for m in rows
    ]


def _measured_param(item: dict[str, Any]) -> engine.Measured:
    return engine.Measured(float(item["value"]), f"{item['method']} ({item['measured_at']})")


def reporting_measurement(
    measurements: list[dict[str, Any]], after: dt.date, before: dt.date, zone: str
) -> dict[str, Any] | None:
    """The newest measurement taken on a local day in ``[after, before)`` (post-retrofit, by
    the end of the month it is used for), or None."""
    tz = ZoneInfo(zone)
    chosen = None
    for m in measurements:
        day = dt.datetime.fromisoformat(m["measured_at"]).astimezone(tz).date()
        if after <= day < before:
            chosen = m
    return chosen


def option_a_entry(
    bm: BoundaryMeter,
    series: data.DailyInputs,
    plan: MvPlan,
    allow_insufficient: bool,
    measured: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Option A baseline of one meter: the stipulated values (each with its source) and the
    baseline demand: stipulated by the plan; else ``measured`` (the newest entered
    measurement, see :func:`measurements_of`); else derived from the meter over the baseline
    period (no more than 10 % of days missing, as CalTRACK asks of daily data)."""
    if bm.meter.unit != "kWh":
        raise Invalid(
            msg("mv.option_a_kwh", meter=bm.meter.name, unit=bm.meter.unit),
            fields={"boundary": [msg("mv.option_a_kwh", meter=bm.meter.name, unit=bm.meter.unit)]},
        )
    stip = _stipulations(plan.stipulated)
    hpd = float(stip["operating_hours_per_day"]["value"])
    _dates, usage, _t = series.arrays()
    missing = int((~np.isfinite(usage)).sum())
    warnings = []
    if "baseline_demand_kw" in stip:
        baseline_kw = {**stip["baseline_demand_kw"], "basis": "stipulated"}
    elif measured is not None:
        baseline_kw = dict(measured)
    else:
        if missing > 0.1 * usage.size:
            message = f"{missing} of {usage.size} baseline days have no metered use (limit 10 %)"
            if not allow_insufficient:
                raise Invalid(
                    msg("mv.insufficient_data", meter=bm.meter.name, problem=message),
                    fields={"data": [message]},
                    code="insufficient_data",
                )
            warnings.append(
                {
                    "code": "too_many_missing_days",
                    "message": message,
                    "data": {"n_missing": missing, "n_days": int(usage.size)},
                }
                | {"disqualifying": True}
            )
        kw, how = _measured_kw(bm.meter.name, usage, hpd)
        if not math.isfinite(kw):
            raise Invalid(
                msg("mv.no_metered_day", meter=bm.meter.name),
                fields={"data": [how]},
                code="insufficient_data",
            )
        baseline_kw = {
            "name": "baseline_demand_kw",
            "value": repr(kw),
            "unit": "kW",
            "basis": "measured",
            "method": how,
        }
    model = {
        "schema": OPTION_A_SCHEMA,
        "version": 1,
        "baseline_demand_kw": baseline_kw,
        "stipulated": [dict(item) for item in plan.stipulated],
    }
    daily = float(baseline_kw["value"]) * hpd
    return {
        **bm.identity(),
        "model": model,
        "statistics": {},
        # No regression, so no G14 statistics: the parties agree the stipulations instead.
        "verdict": {"passed": True, "checks": {}, "basis": "stipulated"},
        "warnings": [w.to_dict() for w in series.warnings] + warnings,
        "series": {
            "dates": [str(d) for d in series.dates],
            "observed": [clean_float(v) for v in usage],
            "modelled": [daily] * len(series.dates),
        },
    }


def _param(item: dict[str, Any]):
    if item.get("basis") == "measured":
        return engine.Measured(float(item["value"]), item.get("method", ""))
    return engine.Stipulated(float(item["value"]), item["source"])


def option_a_savings(
    entry: dict[str, Any],
    series: data.DailyInputs,
    adjustments,
    measurements: list[dict[str, Any]] = (),
    baseline_end: dt.date | None = None,
) -> dict[str, Any]:
    """Option A savings of a reporting period, month by month, with
    :func:`emc.mv.engine.option_a_savings`: baseline demand from the frozen baseline, reporting
    demand stipulated, else the newest entered ``measurements`` (``reporting_demand_kw``)
    taken from ``baseline_end`` up to the month's end, else derived from the meter in the
    month (Σ kWh / (h/d × days with data)); operating hours = stipulated h/d × days of the
    month; the interactive factor when stipulated. Non-routine adjustments are added per day.
    Returns the savings document of the report (as
    :meth:`emc.mv.engine.SavingsResult.to_dict`, plus ``option_a``: each month's breakdown with
    every parameter's basis and source, and ``reporting_measurement`` when one was used).

    Raises:
        Invalid: a parameter the engine refuses (named), or a bad adjustment series.
    """
    model = entry["model"]
    stip = _stipulations(model["stipulated"])
    hpd = float(stip["operating_hours_per_day"]["value"])
    rep_hpd = float(stip.get("reporting_operating_hours_per_day", {}).get("value", hpd))
    dates, usage, _t = series.arrays()
    try:
        nra = np.zeros(dates.size)
        for adj in adjustments:
            nra = nra + adj.per_day(dates.size)
    except engine.InvalidInputError as exc:
        raise Invalid(str(exc), fields={"adjustments": [str(exc)]}) from None
    months = dates.astype("datetime64[M]")
    by_month, breakdown, warnings = [], [], []
    cum = 0.0
    for m in np.unique(months):
        sel = months == m
        n_days = int(sel.sum())
        used = int(np.isfinite(usage[sel]).sum())
        hours = engine.Stipulated(hpd * n_days, stip["operating_hours_per_day"]["source"])
        kwargs: dict[str, Any] = {
            "baseline_demand_kw": _param(model["baseline_demand_kw"]),
            "operating_hours": hours,
        }
        month_end = data.add_months(dt.date.fromisoformat(f"{m}-01"), 1)
        entered = None
        if "reporting_demand_kw" not in stip:
            entered = reporting_measurement(
                list(measurements), baseline_end or dt.date.min, month_end, series.timezone
            )
        if "reporting_demand_kw" in stip:
            kwargs["reporting_demand_kw"] = _param(stip["reporting_demand_kw"])
        elif entered is not None:
            kwargs["reporting_demand_kw"] = _measured_param(entered)
        else:
            kw, how = _measured_kw(entry["meter_name"], usage[sel], rep_hpd)
            kwargs["reporting_demand_kw"] = engine.Measured(kw, how)
        if "reporting_operating_hours_per_day" in stip:
            kwargs["reporting_operating_hours"] = engine.Stipulated(
                rep_hpd * n_days, stip["reporting_operating_hours_per_day"]["source"]
            )
        if "interactive_factor" in stip:
            kwargs["interactive_factor"] = _param(stip["interactive_factor"])
        try:
            result = engine.option_a_savings(**kwargs)
        except engine.InvalidInputError as exc:
            raise Invalid(
                msg("mv.meter_problem", meter=m, problem=str(exc)),
                fields={"stipulated": [str(exc)]},
            ) from None
        if used < n_days and "reporting_demand_kw" not in stip and entered is None:
            warnings.append(
                {
                    "code": "reporting_days_missing",
                    "message": f"{m}: {n_days - used} of {n_days} days have no metered use; "
                    "the month's demand is measured on the other days",
                    "data": {"month": str(m), "n_missing": n_days - used, "n_days": n_days},
                    "disqualifying": False,
                }
            )
        month_nra = float(nra[sel].sum())
        avoided = result.savings_kwh + month_nra
        cum += avoided
        by_month.append(
            {
                "month": str(m),
                "adjusted_baseline": result.baseline_energy_kwh,
                "reporting": result.reporting_energy_kwh,
                "non_routine": month_nra,
                "avoided": avoided,
                "cumulative": cum,
                "n_days": n_days,
                "n_days_used": used,
            }
        )
        breakdown.append(
            {"month": str(m), **result.to_dict()}
            | ({"reporting_measurement": entered} if entered is not None else {})
        )
    return {
        "start": str(series.start),
        "end": str(series.end),
        "adjusted_baseline": sum(r["adjusted_baseline"] for r in by_month),
        "reporting": sum(r["reporting"] for r in by_month),
        "non_routine": float(nra.sum()),
        "avoided": cum,
        "fsu_68": None,
        "fsu_90": None,
        "n_days": int(dates.size),
        "n_days_used": int(np.isfinite(usage).sum()),
        "by_month": by_month,
        "rolling_12_months": [],
        "periods": [],
        "adjustments": [a.to_dict() for a in adjustments],
        "option_a": breakdown,
        "stipulated": model["stipulated"],
        "warnings": warnings,
    }

"""The computations behind baselines and reports, from stored data (no permission checks here:
the use cases in :mod:`.baselines` and :mod:`.reports` check first, then call these).

Per meter of the boundary: load :class:`~emc.mv.data.DailyInputs`, fit or evaluate with the
engine, and keep JSON-safe results. Money is valued at the contract price of the contract year
of each month (``base × (1 + escalation)^(year − 1)``, exact) and rounded to the fen once per
month and carrier with the finance core's :func:`~emc.contracts.finance.round_fen`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.contracts import finance
from emc.contracts.finance.periods import contract_year_of
from emc.contracts.finance.savings import price_in_year
from emc.contracts.models import Contract, EmcProject, terms_from_document
from emc.energy import FactorNotFound, UnitError, convert
from emc.errors import Conflict, Invalid
from emc.facilities.models import Meter, Site
from emc.mv import data, engine
from emc.mv.engine import stats as mv_stats
from emc.mv.models import (
    DEFAULT_ACCEPTANCE,
    IpmvpOption,
    MvMethod,
    MvPlan,
    MvReport,
    MvReportAdjustment,
    ReportStatus,
)

ENERGY_PLACES = Decimal("0.001")
TONNE_PLACES = Decimal("0.0001")
# Options whose savings come from metered data and a regression model (B: sub-meters of the
# retrofit; C: whole-facility meters). Option A (stipulated method: measured demand, stipulated
# hours) and option D (uploaded calibrated simulation) have their own paths below.
COMPUTED_OPTIONS = frozenset({IpmvpOption.B, IpmvpOption.C})
OPTION_D_SCHEMA = "emc.mv.option_d"
COMPUTED_METHODS = frozenset(
    {MvMethod.DAILY, MvMethod.BILLING, MvMethod.HOURLY, MvMethod.STIPULATED}
)
OPTION_A_SCHEMA = "emc.mv.option_a"
# Option A parameters read from the plan's stipulated values (name → unit); any other
# stipulated value is kept with the baseline as documentation.
OPTION_A_PARAMETERS = {
    "operating_hours_per_day": "h/d",
    "reporting_operating_hours_per_day": "h/d",
    "baseline_demand_kw": "kW",
    "reporting_demand_kw": "kW",
    "interactive_factor": "1",
}


def _clean(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def acceptance_of(criteria: dict[str, Any] | None) -> dict[str, float]:
    return {**DEFAULT_ACCEPTANCE, **(criteria or {})}


def verdict(
    statistics: dict[str, Any], months: float, fsu_68: float | None, criteria: dict[str, Any]
) -> dict[str, Any]:
    """G14 acceptance of one model under the plan's criteria (the G14 defaults unless the
    parties agreed others): CV(RMSE) by the length of post-retrofit data, |NMBE|, FSU at 68 %."""
    c = acceptance_of(criteria)
    if months < 12:
        cv_limit = c["cvrmse_limit_under_12_months"]
    elif months <= 60:
        cv_limit = c["cvrmse_limit_12_to_60_months"]
    else:
        cv_limit = c["cvrmse_limit_over_60_months"]
    cv = statistics.get("cvrmse")
    nmbe = statistics.get("nmbe")
    checks = {
        "cvrmse": cv is not None and math.isfinite(cv) and cv <= cv_limit,
        "nmbe": nmbe is not None and math.isfinite(nmbe) and abs(nmbe) <= c["nmbe_limit"],
        "fsu": None if fsu_68 is None else bool(fsu_68 < c["fsu_limit"]),
    }
    return {
        "passed": all(v is not False for v in checks.values()),
        "cvrmse_limit": cv_limit,
        "nmbe_limit": c["nmbe_limit"],
        "fsu_limit": c["fsu_limit"],
        "reporting_months": round(months, 2),
        "checks": checks,
    }


@dataclass(frozen=True)
class BoundaryMeter:
    meter: Meter
    site: Site
    option: IpmvpOption


def boundary(session: Session, plan: MvPlan) -> list[BoundaryMeter]:
    """The plan's meters with their sites, in the plan's order."""
    out = []
    for item in plan.boundary:
        meter = session.get(Meter, int(item["meter_id"]))
        if meter is None:
            raise Conflict(
                f"meter {item['meter_id']} of the M&V plan no longer exists",
                fields={"boundary": ["unknown meter"]},
            )
        out.append(
            BoundaryMeter(meter, session.get(Site, meter.site_id), IpmvpOption(item["option"]))
        )
    return out


def _monthly(dates, usage, temps):
    """Calendar-month billing periods of daily series: starts, ends, use (nan if any day lacks
    use)."""
    months = dates.astype("datetime64[M]")
    uniq = np.unique(months)
    starts = uniq.astype("datetime64[D]")
    ends = (uniq + 1).astype("datetime64[D]")
    totals = []
    for m in uniq:
        sel = months == m
        vals = usage[sel]
        totals.append(float(vals.sum()) if np.all(np.isfinite(vals)) else math.nan)
    return starts, ends, np.array(totals)


# --- baselines -----------------------------------------------------------------------------


def fit_baseline(
    session: Session,
    plan: MvPlan,
    *,
    allow_insufficient: bool = False,
    simulations: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[data.DailyInputs]]:
    """Fit one model per boundary meter on ``[plan.baseline_start, plan.baseline_end)``.

    Raises:
        Invalid: a method or option this workflow does not compute (``method`` /
            ``boundary``), or CalTRACK data sufficiency fails (``data``), naming the rules.
    """
    if plan.method not in COMPUTED_METHODS:
        raise Invalid(
            f"baselines are fitted from stored data for the daily, billing, hourly and "
            f"stipulated methods; the plan's method is {plan.method}",
            fields={"method": ["daily, billing, hourly or stipulated"]},
        )
    meters = boundary(session, plan)
    if not meters:
        raise Invalid("the M&V plan has no meters", fields={"boundary": ["add a meter"]})
    entries, inputs = [], []
    months = plan.reporting_frequency.months
    sims = {int(x["meter_id"]): x for x in simulations or []}
    for bm in meters:
        if bm.option is IpmvpOption.D:
            sim = sims.get(bm.meter.id)
            if sim is None:
                raise Invalid(
                    f"meter {bm.meter.name}: option D needs its simulation results",
                    fields={"simulations": [f"meter {bm.meter.id}: upload the simulation"]},
                )
            load = data.hourly_inputs if sim["interval"] == "hourly" else data.daily_inputs
            series = load(session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end)
            inputs.append(series)
            entries.append(_option_d_entry(bm, series, sim))
            continue
        if plan.method is MvMethod.STIPULATED or bm.option is IpmvpOption.A:
            if plan.method is not MvMethod.STIPULATED or bm.option is not IpmvpOption.A:
                raise Invalid(
                    f"meter {bm.meter.name}: option A goes with the stipulated method, and the "
                    "stipulated method with option A",
                    fields={"boundary": [f"meter {bm.meter.id}: option {bm.option}"]},
                )
            series = data.daily_inputs(
                session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end
            )
            inputs.append(series)
            entries.append(_option_a_entry(bm, series, plan, allow_insufficient))
            continue
        if bm.option not in COMPUTED_OPTIONS:
            raise Invalid(
                f"meter {bm.meter.name}: option {bm.option} is not computed from stored data "
                "(options B and C are)",
                fields={"boundary": [f"meter {bm.meter.id}: option {bm.option}"]},
            )
        if plan.method is MvMethod.HOURLY:
            series = data.hourly_inputs(
                session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end
            )
            inputs.append(series)
            entries.append(_fit_hourly_entry(bm, series, plan, allow_insufficient))
            continue
        series = data.daily_inputs(
            session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end
        )
        inputs.append(series)
        dates, usage, temps = series.arrays()
        try:
            if plan.method is MvMethod.DAILY:
                model = engine.fit_daily(
                    dates,
                    usage,
                    temps,
                    start=plan.baseline_start,
                    end=plan.baseline_end,
                    temperature_unit="C",
                    allow_insufficient=allow_insufficient,
                )
                chart_dates, observed, modelled = dates, usage, model.predict(temps)
            else:
                starts, ends, totals = _monthly(dates, usage, temps)
                model = engine.fit_billing(
                    starts,
                    ends,
                    totals,
                    dates,
                    temps,
                    start=plan.baseline_start,
                    end=plan.baseline_end,
                    temperature_unit="C",
                    allow_insufficient=allow_insufficient,
                )
                n_days = (ends - starts).astype(int)
                chart_dates = starts
                observed = totals / n_days
                modelled = model.predict_periods(starts, ends, dates, temps) / n_days
        except engine.InsufficientDataError as exc:
            rules = [w.message for w in exc.warnings if w.disqualifying] or [str(exc)]
            raise Invalid(
                f"meter {bm.meter.name}: the baseline data are insufficient: {exc}",
                fields={"data": rules},
                code="insufficient_data",
            ) from None
        except engine.InvalidInputError as exc:
            raise Invalid(f"meter {bm.meter.name}: {exc}", fields={"data": [str(exc)]}) from None
        md = model.to_dict()
        entries.append(
            {
                "meter_id": bm.meter.id,
                "meter_name": bm.meter.name,
                "carrier": str(bm.meter.carrier),
                "unit": bm.meter.unit,
                "option": str(bm.option),
                "model": md,
                "statistics": md["statistics"],
                "verdict": verdict(md["statistics"], months, None, plan.acceptance),
                "warnings": [w.to_dict() for w in series.warnings] + md["warnings"],
                "series": {
                    "dates": [str(d) for d in chart_dates],
                    "observed": [_clean(v) for v in observed],
                    "modelled": [_clean(v) for v in modelled],
                },
            }
        )
    return entries, inputs


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
                f"stipulated {item['name']} must be in {unit}, not {item['unit']}",
                fields={"stipulated": [f"{item['name']}: unit {unit}"]},
            )
        out[item["name"]] = item
    if "operating_hours_per_day" not in out:
        raise Invalid(
            "option A needs the stipulated operating hours per day (h/d) with their source",
            fields={"stipulated": ["operating_hours_per_day (h/d) is required for option A"]},
        )
    return out


def _measured_kw(name: str, usage: np.ndarray, hours_per_day: float) -> tuple[float, str]:
    """Mean demand while operating, from metered days: Σ kWh / (h/d × days with data)."""
    ok = np.isfinite(usage)
    n = int(ok.sum())
    if not n or not hours_per_day:
        return math.nan, f"meter {name}: no metered day"
    total = float(usage[ok].sum())
    kw = total / (hours_per_day * n)
    return kw, f"meter {name}: {total:.3f} kWh over {n} days / ({hours_per_day:g} h/d × {n} d)"


def _option_a_entry(
    bm: BoundaryMeter, series: data.DailyInputs, plan: MvPlan, allow_insufficient: bool
) -> dict[str, Any]:
    """Option A baseline of one meter: the stipulated values (each with its source) and the
    baseline demand, stipulated or measured from the meter over the baseline period (no more
    than 10 % of days missing, as CalTRACK asks of daily data)."""
    if bm.meter.unit != "kWh":
        raise Invalid(
            f"meter {bm.meter.name}: option A is computed in kWh; the meter reads {bm.meter.unit}",
            fields={"boundary": [f"meter {bm.meter.id}: unit {bm.meter.unit}"]},
        )
    stip = _stipulations(plan.stipulated)
    hpd = float(stip["operating_hours_per_day"]["value"])
    _dates, usage, _t = series.arrays()
    missing = int((~np.isfinite(usage)).sum())
    warnings = []
    if "baseline_demand_kw" in stip:
        baseline_kw = {**stip["baseline_demand_kw"], "basis": "stipulated"}
    else:
        if missing > 0.1 * usage.size:
            message = f"{missing} of {usage.size} baseline days have no metered use (limit 10 %)"
            if not allow_insufficient:
                raise Invalid(
                    f"meter {bm.meter.name}: the baseline data are insufficient: {message}",
                    fields={"data": [message]},
                    code="insufficient_data",
                )
            warnings.append(
                {"code": "too_many_missing_days", "message": message, "data": {}}
                | {"disqualifying": True}
            )
        kw, how = _measured_kw(bm.meter.name, usage, hpd)
        if not math.isfinite(kw):
            raise Invalid(
                f"meter {bm.meter.name}: no metered baseline day to measure the demand",
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
        "meter_id": bm.meter.id,
        "meter_name": bm.meter.name,
        "carrier": str(bm.meter.carrier),
        "unit": bm.meter.unit,
        "option": str(bm.option),
        "model": model,
        "statistics": {},
        # No regression, so no G14 statistics: the parties agree the stipulations instead.
        "verdict": {"passed": True, "checks": {}, "basis": "stipulated"},
        "warnings": [w.to_dict() for w in series.warnings] + warnings,
        "series": {
            "dates": [str(d) for d in series.dates],
            "observed": [_clean(v) for v in usage],
            "modelled": [daily] * len(series.dates),
        },
    }


def is_option_a(entry: dict[str, Any]) -> bool:
    return entry["model"].get("schema") == OPTION_A_SCHEMA


def _param(item: dict[str, Any]):
    if item.get("basis") == "measured":
        return engine.Measured(float(item["value"]), item.get("method", ""))
    return engine.Stipulated(float(item["value"]), item["source"])


def option_a_savings(
    entry: dict[str, Any], series: data.DailyInputs, adjustments
) -> dict[str, Any]:
    """Option A savings of a reporting period, month by month, with
    :func:`emc.mv.engine.option_a_savings`: baseline demand from the frozen baseline, reporting
    demand stipulated or measured from the meter in the month (Σ kWh / (h/d × days with
    data)), operating hours = stipulated h/d × days of the month, the interactive factor when
    stipulated. Non-routine adjustments are added per day. Returns the savings document of
    the report (as :meth:`emc.mv.engine.SavingsResult.to_dict`, plus ``option_a``: each
    month's breakdown with every parameter's basis and source).

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
        if "reporting_demand_kw" in stip:
            kwargs["reporting_demand_kw"] = _param(stip["reporting_demand_kw"])
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
            raise Invalid(f"option A, {m}: {exc}", fields={"stipulated": [str(exc)]}) from None
        if used < n_days and "reporting_demand_kw" not in stip:
            warnings.append(
                {
                    "code": "reporting_days_missing",
                    "message": f"{m}: {n_days - used} of {n_days} days have no metered use; "
                    "the month's demand is measured on the other days",
                    "data": {"month": str(m)},
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
        breakdown.append({"month": str(m), **result.to_dict()})
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


# --- Option D (calibrated simulation) ------------------------------------------------------


def parse_simulation_csv(text_: str, interval: str, unit: str, field: str) -> dict[str, float]:
    """``period,value,unit`` rows (a header line first) as {period: value}: periods are local
    months ``YYYY-MM`` (monthly) or hours ``YYYY-MM-DD HH:MM`` (hourly); the unit must be the
    meter's.

    Raises:
        Invalid: a malformed row, period, value or unit, or a repeated period (``field``).
    """
    rows = [r for r in csv.reader(io.StringIO(text_)) if r and any(c.strip() for c in r)]
    out: dict[str, float] = {}
    for i, row in enumerate(rows[1:], start=2):
        try:
            period, value, row_unit = (c.strip() for c in row)
            if interval == "monthly":
                period = dt.datetime.strptime(period, "%Y-%m").strftime("%Y-%m")
            else:
                period = dt.datetime.fromisoformat(period).strftime("%Y-%m-%d %H:%M")
            v = float(value)
            if not math.isfinite(v) or v < 0:
                raise ValueError("the value must be finite and not negative")
        except ValueError as exc:
            raise Invalid(
                f"{field}: line {i}: {exc}", fields={field: [f"line {i}: {exc}"]}
            ) from None
        if row_unit != unit:
            raise Invalid(
                f"{field}: line {i}: unit {row_unit}, the meter reads {unit}",
                fields={field: [f"line {i}: unit must be {unit}"]},
            )
        if period in out:
            raise Invalid(f"{field}: {period} repeated", fields={field: [f"{period} repeated"]})
        out[period] = v
    if not out:
        raise Invalid(f"{field}: no rows", fields={field: ["no rows"]})
    return out


def _measured_periods(series, interval: str) -> dict[str, float]:
    """Metered use per local month (a month with a missing day is left out) or per local hour
    (missing hours left out)."""
    if interval == "hourly":
        zone = ZoneInfo(series.timezone)
        return {
            h.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M"): u
            for h, u in zip(series.dates, series.usage, strict=True)
            if math.isfinite(u)
        }
    dates, usage, temps = series.arrays()
    starts, _ends, totals = _monthly(dates, usage, temps)
    return {
        str(s.astype("datetime64[M]")): float(v)
        for s, v in zip(starts, totals, strict=True)
        if math.isfinite(v)
    }


def _option_d_entry(bm: BoundaryMeter, series, sim: dict[str, Any]) -> dict[str, Any]:
    """Option D baseline of one meter: the simulation's calibration judged per ASHRAE G14
    against the meter over the baseline period (NMBE ±5 % / CV(RMSE) 15 % monthly; ±10 % /
    30 % hourly) and the simulated baseline frozen for the reporting periods."""
    interval, unit = sim["interval"], bm.meter.unit
    simulated = parse_simulation_csv(sim["calibration_csv"], interval, unit, "calibration_csv")
    baseline = parse_simulation_csv(sim["baseline_csv"], interval, unit, "baseline_csv")
    measured = _measured_periods(series, interval)
    periods = sorted(set(simulated) & set(measured))
    missing = sorted(set(simulated) - set(measured))
    try:
        calibration = engine.calibrate_simulation(
            [simulated[k] for k in periods], [measured[k] for k in periods], interval=interval
        )
    except engine.InvalidInputError as exc:
        raise Invalid(
            f"meter {bm.meter.name}: {exc}", fields={"calibration_csv": [str(exc)]}
        ) from None
    cd = calibration.to_dict()
    warnings = [w.to_dict() for w in series.warnings] + list(cd.pop("warnings"))
    if missing:
        warnings.append(
            {
                "code": "calibration_periods_without_data",
                "message": f"{len(missing)} simulated periods have no complete metered use and "
                "are left out of the calibration",
                "data": {"periods": missing[:24]},
                "disqualifying": False,
            }
        )
    return {
        "meter_id": bm.meter.id,
        "meter_name": bm.meter.name,
        "carrier": str(bm.meter.carrier),
        "unit": unit,
        "option": str(bm.option),
        "model": {
            "schema": OPTION_D_SCHEMA,
            "version": 1,
            "interval": interval,
            "unit": unit,
            "calibration": cd,
            "calibration_series": {
                "periods": periods,
                "simulated": [simulated[k] for k in periods],
                "measured": [measured[k] for k in periods],
            },
            "simulated_baseline": baseline,
        },
        "statistics": {
            "n": cd["n"],
            "p": cd["p"],
            "nmbe": cd["nmbe"],
            "cvrmse": cd["cvrmse"],
        },
        # G14 calibration limits, not the regression acceptance of options B and C.
        "verdict": {
            "passed": cd["calibrated"],
            "basis": "calibration",
            "interval": interval,
            "nmbe_limit": cd["nmbe_limit"],
            "cvrmse_limit": cd["cvrmse_limit"],
            "checks": {"nmbe": cd["nmbe_ok"], "cvrmse": cd["cvrmse_ok"]},
        },
        "warnings": warnings,
        "series": {
            "dates": periods,
            "observed": [measured[k] for k in periods],
            "modelled": [simulated[k] for k in periods],
        },
    }


def is_option_d(entry: dict[str, Any]) -> bool:
    return entry["model"].get("schema") == OPTION_D_SCHEMA


def option_d_savings(entry: dict[str, Any], series, adjustments) -> dict[str, Any]:
    """Option D savings of a reporting period with :func:`emc.mv.engine.option_d_savings`:
    the frozen simulated baseline minus the metered use, per month or hour with metered use,
    totalled per calendar month; non-routine adjustments per day. Returns the savings
    document of the report (plus ``option_d``: the engine's result with the calibration).

    Raises:
        Invalid: the simulated baseline lacks a reporting period (``simulations``), a bad
            adjustment series (``adjustments``).
    """
    model = entry["model"]
    interval = model["interval"]
    measured = _measured_periods(series, interval)
    days = data.days(series.start, series.end)
    if interval == "monthly":
        expected = sorted({d.strftime("%Y-%m") for d in days})
    else:
        zone = ZoneInfo(series.timezone)
        expected = [
            h.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")
            for h in series.dates
        ]
    lacking = [k for k in expected if k not in model["simulated_baseline"]]
    if lacking:
        raise Invalid(
            f"the simulated baseline has no value for {lacking[0]} "
            f"({len(lacking)} reporting periods lack one)",
            fields={"simulations": [f"no simulated baseline for {lacking[0]}"]},
        )
    used = [k for k in expected if k in measured]
    cs = model["calibration_series"]
    try:
        nra = np.zeros(len(days))
        for adj in adjustments:
            nra = nra + adj.per_day(len(days))
        result = engine.option_d_savings(
            calibration_simulated=cs["simulated"],
            calibration_measured=cs["measured"],
            simulated_baseline=[model["simulated_baseline"][k] for k in used] or [0.0],
            reporting=[measured[k] for k in used] or [0.0],
            reporting_basis="measured",
            interval=interval,
        )
    except engine.InvalidInputError as exc:
        raise Invalid(str(exc), fields={"adjustments": [str(exc)]}) from None
    by_month, cum = [], 0.0
    for month in sorted({k[:7] for k in expected}):
        keys = [k for k in used if k.startswith(month)]
        day_sel = [i for i, d in enumerate(days) if d.strftime("%Y-%m") == month]
        base = sum(model["simulated_baseline"][k] for k in keys)
        rep = sum(measured[k] for k in keys)
        month_nra = float(sum(nra[i] for i in day_sel))
        if interval == "monthly":
            n_used = len(day_sel) if keys else 0
        else:
            n_used = len({k[:10] for k in keys})
        avoided = base - rep + month_nra
        cum += avoided
        by_month.append(
            {
                "month": month,
                "adjusted_baseline": base,
                "reporting": rep,
                "non_routine": month_nra,
                "avoided": avoided,
                "cumulative": cum,
                "n_days": len(day_sel),
                "n_days_used": n_used,
            }
        )
    rd = result.to_dict()
    warnings = list(rd.pop("warnings"))
    if len(used) < len(expected):
        warnings.append(
            {
                "code": "reporting_periods_without_data",
                "message": f"{len(expected) - len(used)} of {len(expected)} reporting periods "
                "lack metered use and count no savings",
                "data": {},
                "disqualifying": False,
            }
        )
    return {
        "start": str(series.start),
        "end": str(series.end),
        "adjusted_baseline": sum(m["adjusted_baseline"] for m in by_month),
        "reporting": sum(m["reporting"] for m in by_month),
        "non_routine": float(nra.sum()),
        "avoided": cum,
        "fsu_68": None,
        "fsu_90": None,
        "n_days": len(days),
        "n_days_used": sum(m["n_days_used"] for m in by_month),
        "by_month": by_month,
        "rolling_12_months": [],
        "periods": [],
        "adjustments": [a.to_dict() for a in adjustments],
        "option_d": rd,
        "warnings": warnings,
    }


def is_hourly(entry: dict[str, Any]) -> bool:
    """Whether a baseline model entry holds an hourly TOWT model."""
    return entry["model"].get("schema") == engine.HOURLY_MODEL_SCHEMA


def baseline_inputs(
    session: Session, baseline_models: list[dict], start, end
) -> list[data.DailyInputs | data.HourlyInputs]:
    """The current stored series under a baseline's meters (for its fingerprint): hours for
    an hourly model, days otherwise."""
    out = []
    for entry in baseline_models:
        meter = session.get(Meter, entry["meter_id"])
        site = session.get(Site, meter.site_id)
        hourly = is_hourly(entry) or (is_option_d(entry) and entry["model"]["interval"] == "hourly")
        load = data.hourly_inputs if hourly else data.daily_inputs
        out.append(load(session, meter, site, start, end))
    return out


# --- hourly (CalTRACK TOWT) ----------------------------------------------------------------


def _daily_of_hours(series: data.HourlyInputs, values: np.ndarray, used: np.ndarray):
    """Local-day totals of hourly ``values`` over the ``used`` hours, ``nan`` for a day with
    no used hour, and the used hours per day."""
    dates = np.array(data.days(series.start, series.end), dtype="datetime64[D]")
    idx = (series.local_dates() - dates[0]).astype(int)
    totals = np.bincount(idx, weights=np.where(used, values, 0.0), minlength=dates.size)
    hours = np.bincount(idx, weights=used.astype(float), minlength=dates.size)
    return dates, np.where(hours > 0, totals, math.nan), hours


def _fit_hourly_entry(
    bm: BoundaryMeter, series: data.HourlyInputs, plan: MvPlan, allow_insufficient: bool
) -> dict[str, Any]:
    """Fit the CalTRACK hourly TOWT model on the meter's stored hours (CalTRACK sufficiency:
    at least 90 % of the hours of every month with use and temperature)."""
    short = series.insufficient_months()
    if short and not allow_insufficient:
        raise Invalid(
            f"meter {bm.meter.name}: the baseline data are insufficient: fewer than 90 % of "
            "the hours of a month have use and temperature",
            fields={"data": short},
            code="insufficient_data",
        )
    warnings = [w.to_dict() for w in series.warnings]
    warnings += [
        {"code": "insufficient_hours", "message": m, "data": {}, "disqualifying": True}
        for m in short
    ]
    ts, usage, temps = series.arrays()
    try:
        model = engine.fit_hourly(ts, usage, temps, timezone=series.timezone, temperature_unit="C")
    except engine.InsufficientDataError as exc:
        raise Invalid(
            f"meter {bm.meter.name}: the baseline data are insufficient: {exc}",
            fields={"data": [str(exc)]},
            code="insufficient_data",
        ) from None
    except engine.InvalidInputError as exc:
        raise Invalid(f"meter {bm.meter.name}: {exc}", fields={"data": [str(exc)]}) from None
    predicted = model.predict(ts, temps)
    used = np.isfinite(predicted) & np.isfinite(usage)
    dates, observed, _h = _daily_of_hours(series, usage, used)
    _d, modelled, _h = _daily_of_hours(series, predicted, used)
    md = model.to_dict()
    statistics = md["statistics"] or {}
    return {
        "meter_id": bm.meter.id,
        "meter_name": bm.meter.name,
        "carrier": str(bm.meter.carrier),
        "unit": bm.meter.unit,
        "option": str(bm.option),
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
            "observed": [_clean(v) for v in observed],
            "modelled": [_clean(v) for v in modelled],
        },
    }


def _hourly_fsu(st, m: int, base: float, routine: float) -> tuple[float | None, float | None]:
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
        out.append(_clean(f))
    return out[0], out[1]


def hourly_savings(model, series: data.HourlyInputs, adjustments) -> engine.SavingsResult:
    """Savings of a reporting period against an hourly TOWT ``model``: the adjusted baseline is
    predicted hour by hour from the period's temperatures, compared with the metered hours
    that have both a use and a prediction, and totalled per local day (non-routine
    adjustments are per day, as for the daily method). FSU per :func:`_hourly_fsu`.

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
    fsu68, fsu90 = _hourly_fsu(model.statistics, int(used_h.sum()), tot_base, float(routine.sum()))
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


def _hours_used_by_month(series: data.HourlyInputs, model) -> dict[str, int]:
    ts, usage, temps = series.arrays()
    used = np.isfinite(model.predict(ts, temps)) & np.isfinite(usage)
    months = series.local_dates().astype("datetime64[M]")
    out: dict[str, int] = {}
    for month, u in zip(months, used, strict=True):
        out[str(month)] = out.get(str(month), 0) + int(u)
    return out


# --- reports -------------------------------------------------------------------------------


def contract_terms(session: Session, project: EmcProject) -> finance.ContractTerms:
    contract = session.scalar(select(Contract).where(Contract.project_id == project.id))
    if contract is None:
        raise Conflict(
            "the project has no contract: savings cannot be valued",
            fields={"contract": ["missing"]},
        )
    return terms_from_document(contract.terms)


def _price(terms: finance.ContractTerms, carrier: str, day: dt.date):
    price = terms.price_for(carrier)
    if price is None:
        raise Conflict(
            f"the contract has no price for {carrier}: savings cannot be valued",
            fields={"price_basis": [f"no contract price for {carrier}"]},
        )
    year = max(1, contract_year_of(terms.start_date, day))
    return price, price_in_year(terms, carrier, year), year


def _to_price_unit(quantity: float, unit: str, price_unit: str, carrier: str) -> Decimal:
    q = Decimal(repr(quantity)).quantize(ENERGY_PLACES)
    try:
        return convert(q, unit, price_unit, carrier).quantize(ENERGY_PLACES)
    except UnitError as exc:
        raise Conflict(str(exc), fields={"price_basis": [str(exc)]}) from None


def _engine_adjustments(adjustments: list[MvReportAdjustment], meter_id: int):
    return [
        engine.NonRoutineAdjustment(
            reason=a.reason,
            amount=float(a.amount) if a.amount is not None else None,
            series=tuple(a.series) if a.series is not None else None,
        )
        for a in adjustments
        if a.meter_id == meter_id
    ]


def _cumulative_band(
    model, by_month: list[dict], hours_used: dict[str, int] | None = None
) -> list[dict]:
    """Cumulative avoided energy at each month end with its 68 % and 90 % uncertainty
    (``hours_used`` per month for an hourly model, whose ``m`` counts hours)."""
    st = model.statistics
    out, cum, base, used = [], 0.0, 0.0, 0
    for m in by_month:
        cum += m["avoided"]
        base += m["adjusted_baseline"]
        used += m["n_days_used"] if hours_used is None else hours_used.get(m["month"], 0)
        row = {"month": m["month"], "cumulative": cum, "band_68": None, "band_90": None}
        if hours_used is not None:
            if cum and base:
                f68, f90 = _hourly_fsu(st, used, base, cum)
                row["band_68"] = None if f68 is None else _clean(abs(f68 * cum))
                row["band_90"] = None if f90 is None else _clean(abs(f90 * cum))
            out.append(row)
            continue
        if used and base and st.n > st.p and math.isfinite(st.cvrmse) and cum:
            for conf, key in ((0.68, "band_68"), (0.90, "band_90")):
                f = mv_stats.fsu(
                    cvrmse=st.cvrmse,
                    n=st.n,
                    p=st.p,
                    m=used,
                    savings_fraction=cum / base,
                    rho=st.autocorrelation if math.isfinite(st.autocorrelation) else 0.0,
                    confidence=conf,
                    interval="billing" if model.method == "billing" else "daily",
                )
                row[key] = _clean(abs(f * cum))
        out.append(row)
    return out


@dataclass
class ReportFigures:
    results: list[dict[str, Any]]
    months: list[dict[str, Any]]
    carriers: list[dict[str, Any]]
    factors: list[dict[str, Any]]
    verdict: dict[str, Any]
    warnings: list[dict[str, Any]]
    savings_value: Decimal
    tce: Decimal
    tco2: Decimal
    fsu_68: float | None
    fsu_90: float | None
    inputs: list[data.DailyInputs]
    sha256: str


def report_inputs(
    session, baseline_models, start, end
) -> list[data.DailyInputs | data.HourlyInputs]:
    return baseline_inputs(session, baseline_models, start, end)


def compute_report(
    session: Session,
    project: EmcProject,
    baseline,
    start: dt.date,
    end: dt.date,
    adjustments: list[MvReportAdjustment],
) -> ReportFigures:
    """Savings of ``[start, end)`` against the frozen ``baseline``'s models, valued at the
    contract price, in tce and tCO2, with FSU, the G14 verdict and warnings.

    Raises:
        Conflict: no contract or no price for a carrier. Invalid: bad adjustment series.
    """
    terms = contract_terms(session, project)
    factors = data.factor_set(session)
    months_len = (end - start).days / (365.25 / 12)
    results, months, warnings, factor_rows = [], [], [], {}
    per_carrier: dict[str, dict[str, Any]] = {}
    verdicts, fsu_parts = [], []
    inputs = []
    for entry in baseline.models:
        meter = session.get(Meter, entry["meter_id"])
        site = session.get(Site, meter.site_id)
        hourly = is_hourly(entry)
        option_a, option_d = is_option_a(entry), is_option_d(entry)
        hourly_d = option_d and entry["model"]["interval"] == "hourly"
        load = data.hourly_inputs if hourly or hourly_d else data.daily_inputs
        series = load(session, meter, site, start, end)
        inputs.append(series)
        adj = _engine_adjustments(adjustments, meter.id)
        stipulated = option_a or option_d
        model = None if stipulated else engine.model_from_dict(entry["model"])
        dates, usage, temps = series.arrays()
        try:
            if stipulated:
                savings = None
            elif hourly:
                savings = hourly_savings(model, series, adj)
            elif model.method == "billing":
                starts, ends, totals = _monthly(dates, usage, temps)
                savings = engine.billing_savings(
                    model, starts, ends, totals, dates, temps, adjustments=adj
                )
            else:
                savings = engine.daily_savings(model, dates, usage, temps, adjustments=adj)
        except engine.InvalidInputError as exc:
            raise Invalid(str(exc), fields={"adjustments": [str(exc)]}) from None
        if option_a:
            sd = option_a_savings(entry, series, adj)
        elif option_d:
            sd = option_d_savings(entry, series, adj)
        else:
            sd = savings.to_dict()
        meter_warnings = [w.to_dict() for w in series.warnings] + sd.pop("warnings")
        for w in meter_warnings:
            warnings.append({**w, "meter_id": meter.id})
        meter_verdict = (
            dict(entry["verdict"])
            if stipulated
            else verdict(entry["statistics"], months_len, sd["fsu_68"], baseline.acceptance)
        )
        verdicts.append(meter_verdict["passed"])
        carrier = str(meter.carrier)
        value_total = Decimal("0.00")
        for m in sd["by_month"]:
            month_day = dt.date.fromisoformat(m["month"] + "-01")
            price, price_y, year = _price(terms, carrier, max(month_day, start))
            quantity = _to_price_unit(m["avoided"], meter.unit, price.unit, carrier)
            value = finance.round_fen(finance.money.exact(quantity) * price_y)
            value_total += value
            months.append(
                {
                    "meter_id": meter.id,
                    "meter_name": meter.name,
                    "unit": meter.unit,
                    **{
                        k: m[k]
                        for k in (
                            "month",
                            "adjusted_baseline",
                            "reporting",
                            "non_routine",
                            "avoided",
                            "cumulative",
                            "n_days",
                            "n_days_used",
                        )
                    },
                    "contract_year": year,
                    "price": str(finance.money.to_decimal(price_y)),
                    "price_unit": price.unit,
                    "value": str(value),
                }
            )
        avoided_q = Decimal(repr(sd["avoided"])).quantize(ENERGY_PLACES)
        tce_row = _account(
            factors, "tce", avoided_q, meter.unit, carrier, start.year, site, factor_rows
        )
        co2_row = _account(
            factors, "co2", avoided_q, meter.unit, carrier, start.year, site, factor_rows
        )
        price, _p, _y = _price(terms, carrier, start)
        acc = per_carrier.setdefault(
            carrier,
            {
                "carrier": carrier,
                "unit": price.unit,
                "avoided": Decimal("0.000"),
                "value": Decimal("0.00"),
                "tce": Decimal("0"),
                "tco2": Decimal("0"),
            },
        )
        acc["avoided"] += _to_price_unit(sd["avoided"], meter.unit, price.unit, carrier)
        acc["value"] += value_total
        acc["tce"] += tce_row
        acc["tco2"] += co2_row
        if sd["fsu_68"] is not None:
            fsu_parts.append((meter.unit, sd["avoided"], sd["fsu_68"], sd["fsu_90"]))
        results.append(
            {
                "meter_id": meter.id,
                "meter_name": meter.name,
                "carrier": carrier,
                "unit": meter.unit,
                "option": entry["option"],
                "savings": sd,
                "verdict": meter_verdict,
                "cumulative_band": (
                    [
                        {"month": m["month"], "cumulative": m["cumulative"]}
                        | {"band_68": None, "band_90": None}
                        for m in sd["by_month"]
                    ]
                    if stipulated
                    else _cumulative_band(
                        model,
                        sd["by_month"],
                        _hours_used_by_month(series, model) if hourly else None,
                    )
                ),
                "value": str(value_total),
                "tce": str(tce_row.quantize(TONNE_PLACES)),
                "tco2": str(co2_row.quantize(TONNE_PLACES)),
            }
        )
    carriers = [
        {
            **c,
            "avoided": str(c["avoided"]),
            "value": str(c["value"]),
            "tce": str(c["tce"].quantize(TONNE_PLACES)),
            "tco2": str(c["tco2"].quantize(TONNE_PLACES)),
        }
        for c in per_carrier.values()
    ]
    fsu68, fsu90 = _combined_fsu(fsu_parts)
    return ReportFigures(
        results=results,
        months=months,
        carriers=carriers,
        factors=list(factor_rows.values()),
        verdict={"passed": all(verdicts), "meters": [r["verdict"] for r in results]},
        warnings=warnings,
        savings_value=sum((c["value"] for c in per_carrier.values()), Decimal("0.00")),
        tce=sum((c["tce"] for c in per_carrier.values()), Decimal("0")).quantize(TONNE_PLACES),
        tco2=sum((c["tco2"] for c in per_carrier.values()), Decimal("0")).quantize(TONNE_PLACES),
        fsu_68=fsu68,
        fsu_90=fsu90,
        inputs=inputs,
        sha256=data.fingerprint(inputs),
    )


def _account(factors, kind, quantity, unit, carrier, year, site, seen) -> Decimal:
    try:
        fn = factors.to_tce if kind == "tce" else factors.to_co2
        accounted = fn(quantity, unit, carrier, year=year, region_code=site.region_code)
    except FactorNotFound as exc:
        raise Conflict(str(exc), fields={"factors": [str(exc)]}) from None
    f = accounted.factor
    if f is not None:
        key = (str(f.carrier), str(f.kind), f.variant, f.year, f.region)
        seen[key] = {
            "carrier": str(f.carrier),
            "kind": str(f.kind),
            "value": str(f.value),
            "unit": f.unit,
            "year": f.year,
            "scope": str(f.scope),
            "region": f.region,
            "variant": f.variant,
            "source": f.source,
            "stale": accounted.stale,
        }
    return accounted.amount


def _combined_fsu(parts) -> tuple[float | None, float | None]:
    """One meter: its FSU. Several meters in one unit: ΔE added in quadrature over the total
    savings. Mixed units: none (each meter's FSU is in its result)."""
    if not parts:
        return None, None
    if len(parts) == 1:
        return parts[0][2], parts[0][3]
    if len({p[0] for p in parts}) > 1:
        return None, None
    total = sum(p[1] for p in parts)
    if not total:
        return None, None
    out = []
    for i in (2, 3):
        if any(p[i] is None for p in parts):
            out.append(None)
            continue
        delta = math.sqrt(sum((p[i] * p[1]) ** 2 for p in parts))
        out.append(_clean(delta / abs(total)))
    return out[0], out[1]


def rolling_view(
    session: Session, project_id: int, months: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Twelve-month windows ending in each of ``months`` (this report's monthly rows), from the
    monthly rows of the project's accepted reports plus these; ``complete`` when all twelve
    months are known."""
    known: dict[tuple[int, str], dict] = {}
    accepted = session.scalars(
        select(MvReport)
        .where(MvReport.project_id == project_id, MvReport.status == ReportStatus.ACCEPTED)
        .order_by(MvReport.period_start, MvReport.version)
    )
    for report in accepted:
        for row in report.months:
            known[(row["meter_id"], row["month"])] = row
    for row in months:
        known[(row["meter_id"], row["month"])] = row
    out = []
    for row in months:
        end = dt.date.fromisoformat(row["month"] + "-01")
        window = [data.add_months(end, -k).strftime("%Y-%m") for k in range(11, -1, -1)]
        rows = [known.get((row["meter_id"], m)) for m in window]
        have = [r for r in rows if r is not None]
        out.append(
            {
                "meter_id": row["meter_id"],
                "unit": row["unit"],
                "start_month": window[0],
                "end_month": window[-1],
                "months_known": len(have),
                "complete": len(have) == 12,
                "adjusted_baseline": sum(r["adjusted_baseline"] for r in have),
                "reporting": sum(r["reporting"] for r in have),
                "avoided": sum(r["avoided"] for r in have),
                "value": str(sum((Decimal(r["value"]) for r in have), Decimal("0.00"))),
            }
        )
    return out


def group_by_meter(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["meter_id"]].append(row)
    return dict(out)

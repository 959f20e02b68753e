"""Option D (calibrated simulation): simulation CSV parsing, calibration and savings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from emc.errors import Invalid
from emc.messages import msg
from emc.mv import data, engine
from emc.mv.service.compute.common import OPTION_D_SCHEMA, BoundaryMeter, calendar_months

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
                msg("mv.line_problem", line=i, problem=str(exc)),
                fields={field: [msg("mv.line_problem", line=i, problem=str(exc))]},
            ) from None
        if row_unit != unit:
            raise Invalid(
                msg("mv.line_unit", line=i, unit=row_unit, meter_unit=unit),
                fields={field: [msg("mv.line_unit", line=i, unit=row_unit, meter_unit=unit)]},
            )
        if period in out:
            raise Invalid(
                msg("mv.period_repeated", period=str(period)),
                fields={field: [msg("mv.period_repeated", period=str(period))]},
            )
        out[period] = v
    if not out:
        raise Invalid(msg("mv.no_rows"), fields={field: [msg("mv.no_rows")]})
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
    starts, _ends, totals = calendar_months(dates, usage, temps)
    return {
        str(s.astype("datetime64[M]")): float(v)
        for s, v in zip(starts, totals, strict=True)
        if math.isfinite(v)
    }


def option_d_entry(bm: BoundaryMeter, series, sim: dict[str, Any]) -> dict[str, Any]:
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
            msg("mv.meter_problem", meter=bm.meter.name, problem=str(exc)),
            fields={"calibration_csv": [str(exc)]},
        ) from None
    cd = calibration.to_dict()
    warnings = [w.to_dict() for w in series.warnings] + list(cd.pop("warnings"))
    if missing:
        warnings.append(
            {
                "code": "calibration_periods_without_data",
                "message": f"{len(missing)} simulated periods have no complete metered use and "
                "are left out of the calibration",
                "data": {"periods": missing[:24], "n_periods": len(missing)},
                "disqualifying": False,
            }
        )
    return {
        **bm.identity(),
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
            msg("mv.simulation_lacks", period=str(lacking[0]), count=len(lacking)),
            fields={
                "simulations": [
                    msg("mv.simulation_lacks", period=str(lacking[0]), count=len(lacking))
                ]
            },
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
                "data": {"n_missing": len(expected) - len(used), "n_periods": len(expected)},
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

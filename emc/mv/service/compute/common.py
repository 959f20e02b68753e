"""Shared pieces of the M&V computations: constants, the G14 verdict, the plan's boundary."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from emc.errors import Conflict
from emc.facilities.models import Meter, Site
from emc.messages import msg
from emc.mv import engine
from emc.mv.models import (
    DEFAULT_ACCEPTANCE,
    IpmvpOption,
    MvMethod,
    MvPlan,
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
# The billing method's name as the plan page shows it (emc.labels), for messages that name it.
METHOD_BILLING_LABEL = "Billing-period regression"
# Option A parameters read from the plan's stipulated values (name → unit); any other
# stipulated value is kept with the baseline as documentation.
OPTION_A_PARAMETERS = {
    "operating_hours_per_day": "h/d",
    "reporting_operating_hours_per_day": "h/d",
    "baseline_demand_kw": "kW",
    "reporting_demand_kw": "kW",
    "interactive_factor": "1",
}


def clean_float(v: Any) -> float | None:
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

    def identity(self) -> dict[str, Any]:
        """The keys that open the meter's baseline model entry."""
        return {
            "meter_id": self.meter.id,
            "meter_name": self.meter.name,
            "carrier": str(self.meter.carrier),
            "unit": self.meter.unit,
            "option": str(self.option),
        }


def boundary(session: Session, plan: MvPlan) -> list[BoundaryMeter]:
    """The plan's meters with their sites, in the plan's order."""
    out = []
    for item in plan.boundary:
        meter = session.get(Meter, int(item["meter_id"]))
        if meter is None:
            raise Conflict(
                msg("mv.plan_meter_gone", meter=item["meter_id"]),
                fields={"boundary": [msg("mv.unknown_meter")]},
            )
        out.append(
            BoundaryMeter(meter, session.get(Site, meter.site_id), IpmvpOption(item["option"]))
        )
    return out


def calendar_months(dates, usage, temps):
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


def billing_periods(series):
    """The billing periods of a meter's series: its own bills (a billing meter, or a register
    meter read monthly), else the calendar months of its days (an interval meter)."""
    if getattr(series, "billed", False):
        return series.bill_arrays()
    dates, usage, temps = series.arrays()
    return calendar_months(dates, usage, temps)


def is_option_a(entry: dict[str, Any]) -> bool:
    return entry["model"].get("schema") == OPTION_A_SCHEMA


def is_option_d(entry: dict[str, Any]) -> bool:
    return entry["model"].get("schema") == OPTION_D_SCHEMA


def is_hourly(entry: dict[str, Any]) -> bool:
    """Whether a baseline model entry holds an hourly TOWT model."""
    return entry["model"].get("schema") == engine.HOURLY_MODEL_SCHEMA

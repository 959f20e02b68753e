"""Savings at risk from missing data: what a reporting period cannot verify, and the payment
line that carries it.

For each gap (a run of days without use or temperature) of each daily-model meter in a
report's period, the savings it cannot verify are the adjusted baseline of the missing days
(the frozen model on the day's temperature, or on the baseline year's weather for the same
calendar day when the temperature is missing too) times the expected savings fraction (the
contract's estimate over the baseline's normal year; without an estimate, the fraction the
report achieved on the days it has). The contract's watch settings say whether the parties may
fill those days by an agreed method (then the figure is pending, not lost) or whether they
stay unpaid. The figure is written onto the period's actual payment lines (``basis
["savings_at_risk"]``) when the report is accepted, so finance sees what was not paid and why.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.contracts import finance
from emc.contracts.finance.money import exact, round_fen
from emc.contracts.finance.periods import contract_year_of
from emc.contracts.finance.savings import price_in_year
from emc.contracts.models import Contract, EmcProject, PaymentLine
from emc.energy import UnitError, float_factor
from emc.mv import engine
from emc.mv.models import Baseline, MvReport
from emc.mv.service import compute
from emc.watch.service.common import (
    contract_terms,
    expected_annual,
    normal_daily,
    normal_on,
    settings_of,
)

ENERGY = Decimal("0.001")
FEN = Decimal("0.01")


def _runs(mask: list[bool]) -> list[tuple[int, int]]:
    out, i = [], 0
    while i < len(mask):
        if mask[i]:
            j = i
            while j < len(mask) and mask[j]:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def savings_at_risk(session: Session, project: EmcProject, report: MvReport) -> dict[str, Any]:
    """The gaps of a report's period and the savings they cannot verify (see the module).

    Returns ``{"policy", "fill_method", "gaps": [{"meter_id", "start", "end", "days",
    "adjusted_baseline", "at_risk", "unit"}], "by_carrier": [{"carrier", "unit", "quantity",
    "value"}], "total_value"}`` (quantities in the contract price unit, values in yuan).
    """
    baseline = session.get(Baseline, report.baseline_id)
    settings = settings_of(session, project.id)
    contract = session.scalar(select(Contract).where(Contract.project_id == project.id))
    terms, estimates = contract_terms(contract)
    entries = [e for e in baseline.models if (e.get("model") or {}).get("method") == "daily"]
    inputs = {
        i.meter_id: i
        for i in compute.report_inputs(session, entries, report.period_start, report.period_end)
    }
    year = contract_year_of(terms.start_date, report.period_start) if terms else 1
    gaps, by_carrier = [], {}
    for entry in entries:
        series = inputs.get(int(entry["meter_id"]))
        if series is None:
            continue
        model = engine.model_from_dict(entry["model"])
        usage = np.array(series.usage, dtype=float)
        temps = np.array(series.temperature, dtype=float)
        pred = model.predict(temps)
        missing = [
            not (math.isfinite(u) and math.isfinite(p)) for u, p in zip(usage, pred, strict=True)
        ]
        if not any(missing):
            continue
        normal = normal_daily(entry)
        year_normal = sum(normal.values())
        expected, guaranteed = expected_annual(
            terms, estimates, series.carrier, series.unit, max(year, 1)
        )
        annual = expected if expected is not None else guaranteed
        if annual is not None and year_normal > 0:
            fraction = annual / year_normal
        else:
            ok = ~np.array(missing)
            base = float(pred[ok].sum())
            fraction = float((pred[ok] - usage[ok]).sum()) / base if base > 0 else 0.0
        price = None
        price_unit = series.unit
        if terms is not None and terms.price_for(series.carrier) is not None:
            cp = terms.price_for(series.carrier)
            price_unit = cp.unit
            price = price_in_year(terms, series.carrier, max(year, 1))
        try:
            to_price_unit = float_factor(series.unit, price_unit, series.carrier)
        except UnitError:
            to_price_unit, price_unit = 1.0, series.unit
        for a, b in _runs(missing):
            base = 0.0
            for i in range(a, b):
                v = pred[i] if math.isfinite(pred[i]) else normal_on(normal, series.dates[i])
                base += v if math.isfinite(v) else 0.0
            at_risk = max(base * fraction, 0.0)
            gaps.append(
                {
                    "meter_id": series.meter_id,
                    "start": series.dates[a].isoformat(),
                    "end": (series.dates[b - 1] + dt.timedelta(days=1)).isoformat(),
                    "days": b - a,
                    "adjusted_baseline": str(Decimal(repr(float(base))).quantize(ENERGY)),
                    "at_risk": str(Decimal(repr(float(at_risk))).quantize(ENERGY)),
                    "unit": series.unit,
                }
            )
            acc = by_carrier.setdefault(
                series.carrier,
                {
                    "carrier": series.carrier,
                    "unit": price_unit,
                    "quantity": Decimal(0),
                    "price": price,
                },
            )
            acc["quantity"] += Decimal(repr(float(at_risk * to_price_unit))).quantize(ENERGY)
    carriers = []
    total = Decimal("0.00")
    for c in by_carrier.values():
        value = round_fen(exact(c["quantity"]) * c["price"]) if c["price"] is not None else None
        total += value or Decimal("0.00")
        carriers.append(
            {
                "carrier": c["carrier"],
                "unit": c["unit"],
                "quantity": str(c["quantity"]),
                "value": None if value is None else str(value),
            }
        )
    return {
        "policy": str(settings.missing_days),
        "fill_method": settings.fill_method,
        "gaps": gaps,
        "by_carrier": carriers,
        "total_value": str(total.quantize(FEN)),
    }


def carry_onto_lines(session: Session, project: EmcProject, report: MvReport) -> int:
    """Write the report's savings at risk onto the actual payment lines of its period
    (``basis["savings_at_risk"]``; an empty list of gaps is written too, so "nothing at
    risk" is stated, never implied). Returns the lines updated."""
    risk = savings_at_risk(session, project, report)
    lines = session.scalars(
        select(PaymentLine).where(
            PaymentLine.project_id == project.id,
            PaymentLine.source == finance.LineSource.ACTUAL,
            PaymentLine.period_start < report.period_end,
            PaymentLine.period_end > report.period_start,
        )
    ).all()
    for line in lines:
        line.basis = {**(line.basis or {}), "savings_at_risk": risk}
    session.flush()
    return len(lines)

"""Fixed fee lines: guarantee service fee, custody fee, O&M fee and their true-ups."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .lines import LineKind, LineSource, Party, ScheduleLine, basis_str, make_line
from .money import ZERO, exact, round_fen
from .periods import (
    Period,
    contract_periods,
    contract_year_of,
    term_end,
    year_fraction,
)
from .savings import band_value
from .terms import (
    ContractTerms,
    CustodyAdjustment,
    EnergyCostCustodyTerms,
    FloorAreaChange,
    GuaranteedSavingsTerms,
)

__all__ = [
    "custody_energy_cost",
    "custody_lines",
    "guarantee_fee_lines",
]


def guarantee_fee_lines(
    terms: ContractTerms, component: GuaranteedSavingsTerms, source: LineSource
) -> list[ScheduleLine]:
    """Service fee lines: the contract year's annual fee × the period's part of the year."""
    lines = []
    due_days = timedelta(days=terms.payment_due_days)
    for p in contract_periods(terms):
        annual = band_value(component.fees, p.contract_year, "annual_amount")
        fraction = year_fraction(terms.start_date, p.start, p.end)
        amount = round_fen(exact(annual) * fraction)
        if amount > 0:
            lines.append(
                make_line(
                    source=source,
                    component=component.label,
                    kind=LineKind.GUARANTEE_FEE,
                    year=p.contract_year,
                    start=p.start,
                    end=p.end,
                    due=p.end + due_days,
                    amount=amount,
                    basis={
                        "contract_year": p.contract_year,
                        "annual_fee": str(annual),
                        "year_fraction": basis_str(fraction),
                    },
                )
            )
    return lines


def _applies(adj: CustodyAdjustment, component: EnergyCostCustodyTerms) -> bool:
    return adj.component is None or adj.component == component.label


def _in_agreement_order(
    adjustments: tuple[CustodyAdjustment, ...], component: EnergyCostCustodyTerms
) -> list[CustodyAdjustment]:
    return sorted(
        (a for a in adjustments if _applies(a, component)),
        key=lambda a: (a.agreed_on, a.effective_date, a.reference),
    )


def _custody_rates(
    component: EnergyCostCustodyTerms, in_force: list[CustodyAdjustment], day: date
) -> tuple[Fraction, Fraction, Fraction]:
    """Annual (energy cost, custody fee, O&M fee) on ``day`` under the adjustments in force.

    Among adjustments of the same kind the latest effective date wins; on the same effective
    date the later agreement (``in_force`` is in agreement order) wins.
    """
    area = exact(component.floor_area_m2)
    prices = {b.carrier: exact(b.price_per_unit) for b in component.baseline}
    area_date: date | None = None
    price_date: dict[str, date] = {}
    for adj in in_force:
        if adj.effective_date > day:
            continue
        if isinstance(adj, FloorAreaChange):
            if area_date is None or adj.effective_date >= area_date:
                area, area_date = exact(adj.new_floor_area_m2), adj.effective_date
        elif adj.carrier not in price_date or adj.effective_date >= price_date[adj.carrier]:
            prices[adj.carrier], price_date[adj.carrier] = (
                exact(adj.new_price_per_unit),
                adj.effective_date,
            )
    area_factor = area / exact(component.floor_area_m2)
    energy = sum(
        (exact(b.annual_quantity) * prices[b.carrier] for b in component.baseline), Fraction(0)
    )
    energy *= area_factor
    return (
        energy,
        energy * exact(component.coefficient),
        exact(component.om_fee_annual) * area_factor,
    )


def _custody_period(
    start_date: date,
    component: EnergyCostCustodyTerms,
    in_force: list[CustodyAdjustment],
    p: Period,
) -> tuple[Fraction, Fraction, Fraction, list[dict[str, Any]]]:
    """Exact (energy cost, custody fee, O&M fee) of period ``p`` and its pieces for the basis."""
    cuts = sorted(
        {p.start, p.end}
        | {a.effective_date for a in in_force if p.start < a.effective_date < p.end}
    )
    energy = custody = om = Fraction(0)
    pieces = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        fraction = year_fraction(start_date, lo, hi)
        e, c, o = _custody_rates(component, in_force, lo)
        energy += e * fraction
        custody += c * fraction
        om += o * fraction
        pieces.append(
            {
                "from": lo.isoformat(),
                "to": hi.isoformat(),
                "year_fraction": basis_str(fraction),
                "annual_energy_cost": basis_str(e),
                "annual_custody_fee": basis_str(c),
                "annual_om_fee": basis_str(o),
            }
        )
    return energy, custody, om, pieces


def custody_lines(
    terms: ContractTerms,
    component: EnergyCostCustodyTerms,
    adjustments: tuple[CustodyAdjustment, ...],
    source: LineSource,
) -> list[ScheduleLine]:
    """Custody and O&M fee lines of every period, then one true-up per adjustment and fee kind.

    A period is billed under the adjustments agreed before its end. Adjustment j (in agreement
    order) corrects every period that ended on or before its agreement: the true-up is the sum
    of (fee under adjustments 1..j − fee under 1..j−1), each fee rounded as its line was, so
    billed lines plus true-ups equal the fees under all adjustments to the fen.
    """
    mine = _in_agreement_order(adjustments, component)
    periods = contract_periods(terms)
    due_days = timedelta(days=terms.payment_due_days)
    lines: list[ScheduleLine] = []

    def fees(p: Period, n_agreed: int) -> dict[LineKind, Decimal]:
        _, c, o, _pieces = _custody_period(terms.start_date, component, mine[:n_agreed], p)
        return {LineKind.CUSTODY_FEE: round_fen(c), LineKind.OM_FEE: round_fen(o)}

    for p in periods:
        # A period is billed under the adjustments agreed before it ends; later agreements reach
        # it only through a true-up line.
        n_agreed = sum(1 for a in mine if a.agreed_on < p.end)
        energy, custody, om, pieces = _custody_period(
            terms.start_date, component, mine[:n_agreed], p
        )
        basis = {
            "contract_year": p.contract_year,
            "coefficient": str(component.coefficient),
            "energy_cost": basis_str(energy),
            "adjustments": [a.reference for a in mine[:n_agreed] if a.effective_date < p.end],
            "pieces": pieces,
        }
        for kind, amount in (
            (LineKind.CUSTODY_FEE, round_fen(custody)),
            (LineKind.OM_FEE, round_fen(om)),
        ):
            if amount > 0:
                lines.append(
                    make_line(
                        source=source,
                        component=component.label,
                        kind=kind,
                        year=p.contract_year,
                        start=p.start,
                        end=p.end,
                        due=p.end + due_days,
                        amount=amount,
                        basis=basis,
                    )
                )

    end_of_term = term_end(terms.start_date, terms.term_years)
    for j, adj in enumerate(mine):
        closed = [p for p in periods if p.end <= adj.agreed_on]
        revisions = [(p, fees(p, j), fees(p, j + 1)) for p in closed]
        for kind in (LineKind.CUSTODY_FEE, LineKind.OM_FEE):
            rows, difference = [], ZERO
            for p, billed, revised in revisions:
                before, after = billed[kind], revised[kind]
                if after != before:
                    difference += after - before
                    rows.append(
                        {
                            "period_start": p.start.isoformat(),
                            "period_end": p.end.isoformat(),
                            "billed": str(before),
                            "revised": str(after),
                            "difference": str(after - before),
                        }
                    )
            if difference == 0:
                continue
            payer, payee = (
                (Party.INSTITUTION, Party.ESCO)
                if difference > 0
                else (Party.ESCO, Party.INSTITUTION)
            )
            start = date.fromisoformat(rows[0]["period_start"])
            end = date.fromisoformat(rows[-1]["period_end"])
            # Paid in the year it is agreed; an agreement after the term lands in the last year.
            last_day = end_of_term - timedelta(days=1)
            year = contract_year_of(terms.start_date, min(adj.agreed_on, last_day))
            lines.append(
                ScheduleLine(
                    key=f"{source}:{component.label}:{LineKind.TRUE_UP}:{kind}:{adj.reference}",
                    source=source,
                    component=component.label,
                    kind=LineKind.TRUE_UP,
                    contract_year=year,
                    period_start=start,
                    period_end=end,
                    due_date=adj.agreed_on + due_days,
                    payer=payer,
                    payee=payee,
                    amount=abs(difference),
                    basis={
                        "contract_year": year,
                        "fee_kind": str(kind),
                        "reference": adj.reference,
                        "agreed_on": adj.agreed_on.isoformat(),
                        "effective_date": adj.effective_date.isoformat(),
                        "net_to_esco": str(difference),
                        "periods": rows,
                    },
                )
            )
    return lines


def custody_energy_cost(
    terms: ContractTerms,
    component: EnergyCostCustodyTerms,
    adjustments: tuple[CustodyAdjustment, ...],
    period: Period,
) -> Fraction:
    """Exact baseline energy cost of ``period`` (before the custody coefficient), with every
    agreed adjustment applying to ``component`` taken into account."""
    mine = _in_agreement_order(adjustments, component)
    return _custody_period(terms.start_date, component, mine, period)[0]

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


def _allocate_years(periods: list[Period], exact_amounts: list[Fraction]) -> list[Decimal]:
    """Round each period's exact amount to the fen so that the lines of each contract year sum
    to the year's exact total rounded once: every period but the year's last is rounded on its
    own, the last takes the residue (the lease's rule for its last rent). Without this twelve
    monthly twelfths of 1,674,400.00 would bill 1,674,399.96."""
    out: list[Decimal] = [ZERO] * len(periods)
    by_year: dict[int, list[int]] = {}
    for i, p in enumerate(periods):
        by_year.setdefault(p.contract_year, []).append(i)
    for indices in by_year.values():
        total = round_fen(sum((exact_amounts[i] for i in indices), Fraction(0)))
        rounded = [round_fen(exact_amounts[i]) for i in indices[:-1]]
        last = total - sum(rounded, ZERO)
        if last < 0:
            # Fees of a fen or two a period: rounding each up would overshoot the year, so
            # round the running total instead (never negative, still exact for the year).
            cumulative, previous = Fraction(0), ZERO
            for i in indices:
                cumulative += exact_amounts[i]
                out[i] = round_fen(cumulative) - previous
                previous += out[i]
            continue
        for i, amount in zip(indices, [*rounded, last], strict=True):
            out[i] = amount
    return out


def guarantee_fee_lines(
    terms: ContractTerms, component: GuaranteedSavingsTerms, source: LineSource
) -> list[ScheduleLine]:
    """Service fee lines: the contract year's annual fee × the period's part of the year,
    allocated so that a year's lines sum exactly to its annual fee."""
    lines = []
    due_days = timedelta(days=terms.payment_due_days)
    periods = list(contract_periods(terms))
    annuals = [band_value(component.fees, p.contract_year, "annual_amount") for p in periods]
    fractions = [year_fraction(terms.start_date, p.start, p.end) for p in periods]
    amounts = _allocate_years(
        periods, [exact(a) * f for a, f in zip(annuals, fractions, strict=True)]
    )
    for p, annual, fraction, amount in zip(periods, annuals, fractions, amounts, strict=True):
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
    """Custody and O&M fee lines of every period, then one net true-up line per period that a
    back-dated agreement revised.

    Fees are allocated per contract year (:func:`_allocate_years`): a year's lines sum exactly
    to its annual fee. A period is billed under the adjustments agreed before its end. The
    adjustments agreed on one day correct every period that ended on or before that day: each
    such period gets one true-up line, the net of the custody and O&M fee differences (fee
    under the adjustments agreed up to that day − fee it was billed or last trued up at), with
    the detail per fee kind and adjustment in its basis. Billed lines plus true-ups equal the
    fees under all adjustments to the fen.
    """
    mine = _in_agreement_order(adjustments, component)
    periods = list(contract_periods(terms))
    due_days = timedelta(days=terms.payment_due_days)
    lines: list[ScheduleLine] = []
    cache: dict[int, dict[LineKind, list[Decimal]]] = {}

    def fees_under(n_agreed: int) -> dict[LineKind, list[Decimal]]:
        """Allocated fee of every period under the first ``n_agreed`` adjustments."""
        if n_agreed not in cache:
            custody, om = [], []
            for p in periods:
                _, c, o, _pieces = _custody_period(terms.start_date, component, mine[:n_agreed], p)
                custody.append(c)
                om.append(o)
            cache[n_agreed] = {
                LineKind.CUSTODY_FEE: _allocate_years(periods, custody),
                LineKind.OM_FEE: _allocate_years(periods, om),
            }
        return cache[n_agreed]

    billed_under: list[int] = []
    for i, p in enumerate(periods):
        # A period is billed under the adjustments agreed before it ends; later agreements reach
        # it only through a true-up line.
        n_agreed = sum(1 for a in mine if a.agreed_on < p.end)
        billed_under.append(n_agreed)
        energy, _custody, _om, pieces = _custody_period(
            terms.start_date, component, mine[:n_agreed], p
        )
        basis = {
            "contract_year": p.contract_year,
            "coefficient": str(component.coefficient),
            "energy_cost": basis_str(energy),
            "adjustments": [a.reference for a in mine[:n_agreed] if a.effective_date < p.end],
            "pieces": pieces,
        }
        allocated = fees_under(n_agreed)
        for kind in (LineKind.CUSTODY_FEE, LineKind.OM_FEE):
            amount = allocated[kind][i]
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
    # Adjustments agreed on the same day are one correction: group them by agreement date.
    days = sorted({a.agreed_on for a in mine})
    for day in days:
        upto = sum(1 for a in mine if a.agreed_on <= day)
        refs = [a.reference for a in mine if a.agreed_on == day]
        for i, p in enumerate(periods):
            if p.end > day or billed_under[i] >= upto:
                continue
            # What the period stood at before this day's agreements: billed, or trued up by an
            # earlier day's agreements.
            before_n = max(billed_under[i], sum(1 for a in mine if a.agreed_on < day))
            before, after = fees_under(before_n), fees_under(upto)
            rows, difference = [], ZERO
            for kind in (LineKind.CUSTODY_FEE, LineKind.OM_FEE):
                b, a = before[kind][i], after[kind][i]
                if a != b:
                    difference += a - b
                    rows.append(
                        {
                            "fee_kind": str(kind),
                            "billed": str(b),
                            "revised": str(a),
                            "difference": str(a - b),
                        }
                    )
            if not rows or difference == 0 and len(rows) == 1:
                continue
            payer, payee = (
                (Party.INSTITUTION, Party.ESCO)
                if difference >= 0
                else (Party.ESCO, Party.INSTITUTION)
            )
            # Paid in the year it is agreed; an agreement after the term lands in the last year.
            last_day = end_of_term - timedelta(days=1)
            year = contract_year_of(terms.start_date, min(day, last_day))
            lines.append(
                ScheduleLine(
                    key=f"{source}:{component.label}:{LineKind.TRUE_UP}:{day.isoformat()}:"
                    f"{p.start.isoformat()}:{p.end.isoformat()}",
                    source=source,
                    component=component.label,
                    kind=LineKind.TRUE_UP,
                    contract_year=year,
                    period_start=p.start,
                    period_end=p.end,
                    due_date=day + due_days,
                    payer=payer,
                    payee=payee,
                    amount=abs(difference),
                    basis={
                        "contract_year": year,
                        "references": refs,
                        "reference": refs[0] if len(refs) == 1 else ", ".join(refs),
                        "agreed_on": day.isoformat(),
                        "effective_dates": [
                            a.effective_date.isoformat() for a in mine if a.agreed_on == day
                        ],
                        "net_to_esco": str(difference),
                        "fees": rows,
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

"""Actual savings lines from accepted M&V results: per period, carried forward, reconciled.

:func:`settlement_lines` takes every accepted M&V result of a contract (in any order) and gives
the savings-driven lines of all of them, because two contract terms make a period's lines
depend on the periods before it:

* ``SharedSavingsTerms.negative_savings``: a period whose savings value is negative pays
  nothing; with ``carry_contract_year`` / ``carry_term`` the deficit is carried forward and
  set against the value of later periods (within the contract year, or over the whole term)
  before the ESCO's share is applied. Each line's basis shows the balance carried in and out.
* ``GuaranteedSavingsTerms.reconciliation = contract_year``: each period's shortfall or excess
  share is paid on account as before; once accepted results cover a whole contract year, one
  ``reconciliation`` line trues the year up to the annual guarantee: the annual shortfall or
  excess share (computed on the year's total savings) minus what the periods already paid.

* ``SharedSavingsTerms.annual_minimum`` / ``annual_cap`` reconciled per ``contract_year``: the
  periods pay their share on account; once the year is covered one ``share_reconciliation``
  line brings the year's total up to the minimum or down to the cap. Reconciled per
  ``period``, each period's share is held within its part of the year of the two bounds.

With the default terms (floor at zero, reconciled per period) every result's lines depend on
that result alone and are exactly those :func:`actual_lines` gave before these terms existed.

Each period is valued by :func:`~emc.contracts.finance.valuation.value_segments` (the report's
own monthly or daily savings, at the share and price in force on each day), or, for a result
without segments, its totals split by the part of the contract year each side covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from emc.messages import msg

from .lines import LineKind, LineSource, MvResult, Party, ScheduleLine, basis_str, make_line
from .money import ZERO, exact, money_context, round_fen
from .periods import add_months, year_fraction
from .savings import (
    _guarantee_amounts,
    band_value,
    carrier_order,
    check_savings_carrier,
    limit_share,
    limits_basis,
)
from .terms import (
    ContractTerms,
    GuaranteedSavingsTerms,
    NegativeSavings,
    Reconciliation,
    SavingsInputError,
    SharedSavingsTerms,
)
from .validation import validate_terms
from .valuation import ValuedPart, value_segments, value_totals

__all__ = ["actual_lines", "result_parts", "settlement_lines"]


@dataclass(frozen=True)
class _Parsed:
    result: MvResult
    parts: tuple[ValuedPart, ...]
    extra: dict[str, Any]
    due: date
    by_segments: bool


def result_parts(terms: ContractTerms, result: MvResult, path: str = "result") -> _Parsed:
    """Check one M&V result and value it per contract-year part (see module doc)."""
    if not isinstance(result.period_start, date) or not isinstance(result.period_end, date):
        raise SavingsInputError(f"{path}.period_start", msg("finance.period_start_end_must_dates"))
    if result.period_end <= result.period_start:
        raise SavingsInputError(f"{path}.period_end", msg("finance.must_after_period_start"))
    end_of_term = add_months(terms.start_date, 12 * terms.term_years)
    if result.period_start < terms.start_date or result.period_end > end_of_term:
        raise SavingsInputError(
            f"{path}.period_start", msg("finance.period_must_lie_within_contract")
        )
    if not isinstance(result.accepted_on, date):
        raise SavingsInputError(f"{path}.accepted_on", msg("finance.must_date"))
    if not isinstance(result.savings, tuple):
        raise SavingsInputError(f"{path}.savings", msg("finance.must_tuple"))
    segments = getattr(result, "segments", ())
    if not isinstance(segments, tuple):
        raise SavingsInputError(f"{path}.segments", msg("finance.must_tuple"))
    verified: dict[str, Fraction] = {}
    for i, q in enumerate(result.savings):
        qpath = f"{path}.savings[{i}]"
        check_savings_carrier(terms, q.carrier, q.unit, q.quantity, qpath)
        if q.carrier in verified:
            raise SavingsInputError(
                f"{qpath}.carrier", msg("finance.carrier_twice", carrier=q.carrier)
            )
        verified[q.carrier] = exact(q.quantity)
    verified = {c: verified[c] for c in carrier_order(terms, verified)}
    extra: dict[str, Any] = {
        "mv_period_start": result.period_start.isoformat(),
        "mv_period_end": result.period_end.isoformat(),
        "accepted_on": result.accepted_on.isoformat(),
    }
    if segments:
        parts = value_segments(
            terms, result.period_start, result.period_end, segments, path=f"{path}.segments"
        )
        # The segments are the breakdown of the totals: they must add up to them exactly, or
        # the report and the payment would be about different savings.
        sums: dict[str, Fraction] = {}
        for part in parts:
            for c, q in part.savings.items():
                sums[c] = sums.get(c, Fraction(0)) + q
        for c in set(sums) | set(verified):
            if sums.get(c, Fraction(0)) != verified.get(c, Fraction(0)):
                raise SavingsInputError(
                    f"{path}.segments",
                    msg(
                        "finance.segments_sum",
                        carrier=c,
                        total=basis_str(sums.get(c, Fraction(0))),
                        verified=basis_str(verified.get(c, Fraction(0))),
                    ),
                )
    else:
        parts = value_totals(terms, result.period_start, result.period_end, verified)
    due = result.accepted_on + timedelta(days=terms.payment_due_days)
    return _Parsed(result, parts, extra, due, bool(segments))


def _year_bounds(terms: ContractTerms, year: int) -> tuple[date, date]:
    return add_months(terms.start_date, 12 * (year - 1)), add_months(terms.start_date, 12 * year)


def _shared_line(
    terms: ContractTerms,
    component: SharedSavingsTerms,
    part: ValuedPart,
    head: dict[str, Any],
    due: date,
    carry_in: Fraction | None,
) -> tuple[ScheduleLine, Fraction | None]:
    """One shared-savings line; ``carry_in`` (≤ 0) is the deficit brought forward, or None
    when the contract floors each period at zero. Returns the line and the deficit carried out."""
    share = band_value(component.shares, part.contract_year, "share")
    units = {c: terms.price_for(c).unit for c in part.savings}
    rows = [
        {
            "carrier": c,
            "unit": units[c],
            "savings": basis_str(q),
            "price_per_unit": basis_str(part.prices[c]),
            "value": basis_str(q * part.prices[c]),
        }
        for c, q in part.savings.items()
    ]
    basis = {
        **head,
        "carriers": rows,
        "savings_value": basis_str(part.value),
        "savings_value_fen": str(part.value_fen),
        "esco_share": str(share),
    }
    carry_out = None
    if carry_in is None:
        # A period that lost energy pays the ESCO nothing; it never charges the ESCO.
        payable = max(part.value, Fraction(0))
    else:
        net = part.value + carry_in
        payable, carry_out = max(net, Fraction(0)), min(net, Fraction(0))
        basis.update(
            {
                "negative_savings": str(component.negative_savings),
                "carried_in": str(round_fen(carry_in)),
                "net_savings_value": basis_str(net),
                "carried_forward": str(round_fen(carry_out)),
            }
        )
    amount = payable * exact(share)
    if component.has_limits:
        if component.reconciliation is Reconciliation.PERIOD:
            fraction = year_fraction(terms.start_date, part.start, part.end)
            amount = limit_share(component, amount, fraction, basis)
        else:
            # Paid on account: the year-end share_reconciliation line applies the bounds.
            basis.update(limits_basis(component))
    line = make_line(
        source=LineSource.ACTUAL,
        component=component.label,
        kind=LineKind.SHARED_SAVINGS,
        year=part.contract_year,
        start=part.start,
        end=part.end,
        due=due,
        amount=round_fen(amount),
        basis=basis,
    )
    return line, carry_out


def _guarantee_lines(
    terms: ContractTerms,
    component: GuaranteedSavingsTerms,
    part: ValuedPart,
    head: dict[str, Any],
    due: date,
) -> list[ScheduleLine]:
    fraction = year_fraction(terms.start_date, part.start, part.end)
    return [
        make_line(
            source=LineSource.ACTUAL,
            component=label,
            kind=kind,
            year=part.contract_year,
            start=part.start,
            end=part.end,
            due=due,
            amount=amount,
            basis=basis,
        )
        for label, kind, amount, basis in _guarantee_amounts(
            terms, component, part.contract_year, fraction, part.savings, head
        )
    ]


def _net_paid_by_esco(lines: list[ScheduleLine]) -> Decimal:
    return sum((-line.signed_for(Party.ESCO) for line in lines), ZERO)


def _reconciliation_line(
    terms: ContractTerms,
    component: GuaranteedSavingsTerms,
    year: int,
    savings: dict[str, Fraction],
    interim: list[ScheduleLine],
    due: date,
) -> ScheduleLine | None:
    """The year-end true-up: annual shortfall / excess share on the year's total savings,
    less what the periods of the year paid on account. None when nothing is left to settle."""
    head = {"contract_year": year, "reconciliation": str(component.reconciliation)}
    ordered = {c: savings[c] for c in carrier_order(terms, savings)}
    annual = _guarantee_amounts(terms, component, year, Fraction(1), ordered, head)
    annual_net = sum(
        (amount if kind is LineKind.SHORTFALL else -amount for _l, kind, amount, _b in annual),
        ZERO,
    )
    paid = _net_paid_by_esco(interim)
    difference = annual_net - paid
    if difference == 0:
        return None
    annual_basis = annual[0][3] if annual else {**head}
    basis = {
        **head,
        "carriers": annual_basis.get("carriers", []),
        "annual_shortfall": str(
            sum((a for _l, k, a, _b in annual if k is LineKind.SHORTFALL), ZERO)
        ),
        "annual_excess_share": str(
            sum((a for _l, k, a, _b in annual if k is LineKind.EXCESS_SHARE), ZERO)
        ),
        "annual_net_paid_by_esco": str(annual_net),
        "paid_on_account_by_esco": str(paid),
        "net_to_institution": str(difference),
        "on_account": _on_account(interim),
    }
    return _year_end_line(
        terms, component.label, LineKind.RECONCILIATION, year, due, difference, basis
    )


def _on_account(interim: list[ScheduleLine]) -> list[dict[str, str]]:
    """The lines a year-end line trues up, as its basis lists them."""
    return [
        {
            "kind": str(line.kind),
            "period_start": line.period_start.isoformat(),
            "period_end": line.period_end.isoformat(),
            "amount": str(line.amount),
            "payer": str(line.payer),
        }
        for line in interim
    ]


def _year_end_line(
    terms: ContractTerms,
    label: str,
    kind: LineKind,
    year: int,
    due: date,
    to_institution: Decimal,
    basis: dict[str, Any],
) -> ScheduleLine:
    """A true-up over contract ``year``: the ESCO pays the institution ``to_institution``
    when it is positive, the institution pays the ESCO its absolute value otherwise."""
    start, end = _year_bounds(terms, year)
    payer, payee = (
        (Party.ESCO, Party.INSTITUTION) if to_institution > 0 else (Party.INSTITUTION, Party.ESCO)
    )
    return ScheduleLine(
        key=f"{LineSource.ACTUAL}:{label}:{kind}:{start.isoformat()}:{end.isoformat()}",
        source=LineSource.ACTUAL,
        component=label,
        kind=kind,
        contract_year=year,
        period_start=start,
        period_end=end,
        due_date=due,
        payer=payer,
        payee=payee,
        amount=abs(to_institution),
        basis=basis,
    )


def _share_reconciliation_line(
    terms: ContractTerms,
    component: SharedSavingsTerms,
    year: int,
    interim: list[ScheduleLine],
    due: date,
) -> ScheduleLine | None:
    """The year-end true-up of a shared-savings minimum or cap: the year's share paid on
    account, brought up to the annual minimum or down to the annual cap. None when the year's
    total is already within them."""
    paid = sum((line.amount for line in interim), ZERO)
    due_amount = paid
    if component.annual_minimum is not None:
        due_amount = max(due_amount, round_fen(component.annual_minimum))
    if component.annual_cap is not None:
        due_amount = min(due_amount, round_fen(component.annual_cap))
    difference = due_amount - paid
    if difference == 0:
        return None
    basis = {
        "contract_year": year,
        **limits_basis(component),
        "paid_on_account_to_esco": str(paid),
        "annual_share_due": str(due_amount),
        "net_to_esco": str(difference),
        "on_account": _on_account(interim),
    }
    # Up to the minimum the institution pays the ESCO; above the cap the ESCO pays back.
    return _year_end_line(
        terms, component.label, LineKind.SHARE_RECONCILIATION, year, due, -difference, basis
    )


def _year_end(component: object) -> bool:
    """Whether a component is trued up once its contract year is covered."""
    if isinstance(component, GuaranteedSavingsTerms):
        return component.reconciliation is Reconciliation.CONTRACT_YEAR
    if isinstance(component, SharedSavingsTerms):
        return component.has_limits and component.reconciliation is Reconciliation.CONTRACT_YEAR
    return False


@money_context
def settlement_lines(
    terms: ContractTerms, results: tuple[MvResult, ...]
) -> tuple[ScheduleLine, ...]:
    """Savings-driven lines of every accepted M&V result of a contract (``source=actual``).

    Results are settled in period order; their periods must not overlap. Shared savings: one
    line per contract-year part of each period (paid even when zero) = max(0, value + deficit
    carried in) × ESCO share of the year. Guaranteed savings: shortfall / excess-share lines
    per part, plus a ``reconciliation`` line per fully covered contract year when the terms
    reconcile per contract year. Lines fall due ``payment_due_days`` after their result's
    acceptance (a reconciliation line after the latest acceptance in the year). Raises
    :class:`ContractTermsError` / :class:`SavingsInputError` naming ``results[i]…``.
    """
    validate_terms(terms)
    if not isinstance(results, tuple):
        raise SavingsInputError("results", msg("finance.must_tuple"))
    parsed = [result_parts(terms, r, f"results[{i}]") for i, r in enumerate(results)]
    return _settle(terms, parsed)


def _settle(terms: ContractTerms, parsed: list[_Parsed]) -> tuple[ScheduleLine, ...]:
    order = sorted(range(len(parsed)), key=lambda i: parsed[i].result.period_start)
    for a, b in zip(order, order[1:], strict=False):
        if parsed[b].result.period_start < parsed[a].result.period_end:
            raise SavingsInputError(
                f"results[{b}].period_start", msg("finance.overlapping_results", other=a + 1)
            )
    lines: list[ScheduleLine] = []
    carry: dict[str, tuple[int, Fraction]] = {}
    covered: dict[tuple[str, int], int] = {}
    year_savings: dict[tuple[str, int], dict[str, Fraction]] = {}
    year_lines: dict[tuple[str, int], list[ScheduleLine]] = {}
    year_due: dict[tuple[str, int], date] = {}
    for i in order:
        p = parsed[i]
        for part in p.parts:
            head: dict[str, Any] = {"contract_year": part.contract_year, **p.extra}
            if len(p.parts) > 1:
                head["valued_by"] = "segments" if p.by_segments else "year_fraction"
                if not p.by_segments:
                    whole = year_fraction(
                        terms.start_date, p.result.period_start, p.result.period_end
                    )
                    head["allocation"] = basis_str(
                        year_fraction(terms.start_date, part.start, part.end) / whole
                    )
            for component in terms.components:
                if isinstance(component, SharedSavingsTerms):
                    policy = component.negative_savings
                    carry_in: Fraction | None = None
                    if policy is not NegativeSavings.FLOOR:
                        year, balance = carry.get(
                            component.label, (part.contract_year, Fraction(0))
                        )
                        if (
                            policy is NegativeSavings.CARRY_CONTRACT_YEAR
                            and year != part.contract_year
                        ):
                            balance = Fraction(0)
                        carry_in = balance
                    line, carry_out = _shared_line(terms, component, part, head, p.due, carry_in)
                    if carry_out is not None:
                        carry[component.label] = (part.contract_year, carry_out)
                    made = [line]
                elif isinstance(component, GuaranteedSavingsTerms):
                    made = _guarantee_lines(terms, component, part, head, p.due)
                else:
                    continue
                lines.extend(made)
                if _year_end(component):
                    key = (component.label, part.contract_year)
                    covered[key] = covered.get(key, 0) + (part.end - part.start).days
                    sums = year_savings.setdefault(key, {})
                    for c, q in part.savings.items():
                        sums[c] = sums.get(c, Fraction(0)) + q
                    year_lines.setdefault(key, []).extend(made)
                    year_due[key] = max(year_due.get(key, p.due), p.due)
    for component in terms.components:
        if not _year_end(component):
            continue
        for year in range(1, terms.term_years + 1):
            key = (component.label, year)
            start, end = _year_bounds(terms, year)
            if covered.get(key, 0) != (end - start).days:
                continue
            if isinstance(component, SharedSavingsTerms):
                line = _share_reconciliation_line(
                    terms, component, year, year_lines[key], year_due[key]
                )
            else:
                line = _reconciliation_line(
                    terms, component, year, year_savings[key], year_lines[key], year_due[key]
                )
            if line is not None:
                lines.append(line)
    return tuple(lines)


@money_context
def actual_lines(terms: ContractTerms, result: MvResult) -> tuple[ScheduleLine, ...]:
    """Savings-driven lines from one accepted M&V result, ``source=actual``.

    Shared savings: one line per component and contract-year part (paid even when zero, so the
    period is visibly settled) = max(0, Σ verified savings × contract price of the year) × ESCO
    share. Guaranteed savings: a shortfall line (ESCO pays) and/or an excess-share line when
    non-zero. A result spanning a contract-year boundary is cut at it: with ``segments`` each
    segment is valued in the year it falls in (split by days if it crosses the boundary);
    without, the totals are allocated by
    :func:`~emc.contracts.finance.periods.year_fraction`. Due ``payment_due_days`` after
    ``result.accepted_on``. Keys depend on the component, kind and period only, so a re-issued
    result for the same period replaces its lines on upsert. This is :func:`settlement_lines`
    of the one result (no carry-forward from or reconciliation with other periods). Raises
    :class:`ContractTermsError` / :class:`SavingsInputError`.
    """
    validate_terms(terms)
    return _settle(terms, [result_parts(terms, result)])

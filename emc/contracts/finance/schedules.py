"""Payment schedule lines for the five contract types.

Three generators, all pure and idempotent (same inputs → same lines, same keys):

* :func:`projected_schedule` — the whole term, from savings estimates (``source=projected``);
* :func:`actual_lines` — the savings-driven lines of one accepted M&V result (``source=actual``):
  shared savings, guarantee shortfall, excess share;
* :func:`contractual_lines` — the fixed obligations that do not wait for M&V
  (``source=actual``): guarantee service fee, custody fee, O&M fee, their true-ups, lease rent.

Every amount is rounded to the fen once, by ``round_fen``, from an exact intermediate; amounts
are never negative (the direction is in ``payer``/``payee``). Due dates: actual savings lines
fall due ``payment_due_days`` after the M&V acceptance date, every other line that many days
after its period end.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from .fees import custody_lines, guarantee_fee_lines
from .lease import lease_lines
from .lines import (
    LineKind,
    LineSource,
    MvResult,
    PeriodSavingsEstimate,
    SavingsEstimate,
    ScheduleLine,
    basis_str,
)
from .money import exact, money_context
from .periods import (
    contract_periods,
    split_by_contract_year,
    term_end,
    year_fraction,
)
from .savings import (
    SavingsCache,
    carrier_order,
    check_savings_carrier,
    period_savings,
    savings_lines,
)
from .terms import (
    ContractTerms,
    CustodyAdjustment,
    EnergyCostCustodyTerms,
    FinanceLeaseTerms,
    GuaranteedSavingsTerms,
    SavingsInputError,
)
from .validation import validate_adjustments, validate_terms

__all__ = [
    "actual_lines",
    "contractual_lines",
    "projected_schedule",
]


def _fixed_lines(
    terms: ContractTerms, adjustments: tuple[CustodyAdjustment, ...], source: LineSource
) -> list[ScheduleLine]:
    lines: list[ScheduleLine] = []
    for component in terms.components:
        if isinstance(component, GuaranteedSavingsTerms):
            lines.extend(guarantee_fee_lines(terms, component, source))
        elif isinstance(component, EnergyCostCustodyTerms):
            lines.extend(custody_lines(terms, component, adjustments, source))
        elif isinstance(component, FinanceLeaseTerms):
            lines.extend(lease_lines(terms, component, source))
    return lines


_KIND_ORDER = {kind: i for i, kind in enumerate(LineKind)}


def _sorted(lines: Iterable[ScheduleLine]) -> tuple[ScheduleLine, ...]:
    """Lines by period, then component label, then kind in ``LineKind`` declaration order."""
    return tuple(
        sorted(
            lines,
            key=lambda x: (x.period_start, x.period_end, x.component, _KIND_ORDER[x.kind], x.key),
        )
    )


@money_context
def contractual_lines(
    terms: ContractTerms, adjustments: tuple[CustodyAdjustment, ...] = ()
) -> tuple[ScheduleLine, ...]:
    """The fixed obligations of the whole term, ``source=actual``.

    Guarantee service fees (annual fee of the contract year × the part of the year in the
    period), custody and O&M fees (constant per period unless an agreed adjustment applies;
    pro-rated inside a period by effective date), true-up lines for back-dated adjustments
    (a period that ended on or before the agreement date was billed at the old fee; the
    difference is one line per adjustment and fee kind, due ``payment_due_days`` after the
    agreement; a decrease is paid by the ESCO) and lease rent. Sorted by period, component,
    kind. Raises :class:`ContractTermsError`.
    """
    validate_terms(terms)
    validate_adjustments(terms, adjustments, term_end(terms.start_date, terms.term_years))
    return _sorted(_fixed_lines(terms, adjustments, LineSource.ACTUAL))


@money_context
def projected_schedule(
    terms: ContractTerms,
    estimates: tuple[SavingsEstimate | PeriodSavingsEstimate, ...],
    adjustments: tuple[CustodyAdjustment, ...] = (),
) -> tuple[ScheduleLine, ...]:
    """Every line of the whole term as projected from savings estimates, ``source=projected``.

    Savings-driven lines (shared savings, shortfall, excess share) are computed per payment
    period from the estimated savings of that period exactly as :func:`actual_lines` would
    compute them from an M&V result for that period; fixed lines are those of
    :func:`contractual_lines`. All fall due ``payment_due_days`` after their period end.
    Raises :class:`ContractTermsError` / :class:`SavingsInputError`.
    """
    validate_terms(terms)
    validate_adjustments(terms, adjustments, term_end(terms.start_date, terms.term_years))
    periods = contract_periods(terms)
    savings = period_savings(terms, estimates, periods)
    due_days = timedelta(days=terms.payment_due_days)
    lines = _fixed_lines(terms, adjustments, LineSource.PROJECTED)
    # Equal savings in one contract year (every month of an annual estimate) give equal lines.
    cache: SavingsCache = {}
    for p in periods:
        lines.extend(
            savings_lines(
                terms,
                source=LineSource.PROJECTED,
                year=p.contract_year,
                start=p.start,
                end=p.end,
                due=p.end + due_days,
                savings=savings[p.index],
                extra_basis={},
                cache=cache,
            )
        )
    return _sorted(lines)


@money_context
def actual_lines(terms: ContractTerms, result: MvResult) -> tuple[ScheduleLine, ...]:
    """Savings-driven lines from one accepted M&V result, ``source=actual``.

    Shared savings: one line per component (paid even when zero, so the period is visibly
    settled) = max(0, Σ verified savings × contract price of the year) × ESCO share.
    Guaranteed savings: a shortfall line (ESCO pays) and/or an excess-share line when
    non-zero. A result spanning a contract-year boundary is cut at it, savings allocated by
    :func:`~emc.contracts.finance.periods.year_fraction`; each part is its own line. Due
    ``payment_due_days`` after ``result.accepted_on``. Keys depend on the component, kind and
    period only, so a re-issued result for the same period replaces its lines on upsert.
    Raises :class:`ContractTermsError` / :class:`SavingsInputError`.
    """
    validate_terms(terms)
    if not isinstance(result.period_start, date) or not isinstance(result.period_end, date):
        raise SavingsInputError("result.period_start", "period start and end must be dates")
    end_of_term = term_end(terms.start_date, terms.term_years)
    if result.period_end <= result.period_start:
        raise SavingsInputError("result.period_end", "must be after the period start")
    if result.period_start < terms.start_date or result.period_end > end_of_term:
        raise SavingsInputError(
            "result.period_start", "the period must lie within the contract term"
        )
    if not isinstance(result.accepted_on, date):
        raise SavingsInputError("result.accepted_on", "must be a date")
    if not isinstance(result.savings, tuple):
        raise SavingsInputError("result.savings", "must be a tuple")
    verified: dict[str, Fraction] = {}
    for i, q in enumerate(result.savings):
        path = f"result.savings[{i}]"
        check_savings_carrier(terms, q.carrier, q.unit, q.quantity, path)
        if q.carrier in verified:
            raise SavingsInputError(f"{path}.carrier", f"carrier {q.carrier!r} appears twice")
        verified[q.carrier] = exact(q.quantity)
    verified = {c: verified[c] for c in carrier_order(terms, verified)}

    due = result.accepted_on + timedelta(days=terms.payment_due_days)
    whole = year_fraction(terms.start_date, result.period_start, result.period_end)
    parts = split_by_contract_year(terms.start_date, result.period_start, result.period_end)
    lines: list[ScheduleLine] = []
    for year, start, end in parts:
        allocation = year_fraction(terms.start_date, start, end) / whole
        extra: dict[str, Any] = {
            "mv_period_start": result.period_start.isoformat(),
            "mv_period_end": result.period_end.isoformat(),
            "accepted_on": result.accepted_on.isoformat(),
        }
        if len(parts) > 1:
            extra["allocation"] = basis_str(allocation)
        lines.extend(
            savings_lines(
                terms,
                source=LineSource.ACTUAL,
                year=year,
                start=start,
                end=end,
                due=due,
                savings={c: q * allocation for c, q in verified.items()},
                extra_basis=extra,
            )
        )
    return _sorted(lines)

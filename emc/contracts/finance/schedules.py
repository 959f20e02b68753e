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
from datetime import timedelta

from .fees import custody_lines, guarantee_fee_lines
from .lease import lease_lines
from .lines import (
    KIND_ORDER,
    LineSource,
    PeriodSavingsEstimate,
    SavingsEstimate,
    ScheduleLine,
)
from .money import money_context
from .periods import (
    contract_periods,
    term_end,
    year_fraction,
)
from .savings import (
    SavingsCache,
    period_savings,
    savings_templates,
)
from .settlement import actual_lines, settlement_lines
from .terms import (
    ContractTerms,
    CustodyAdjustment,
    EnergyCostCustodyTerms,
    FinanceLeaseTerms,
    GuaranteedSavingsTerms,
)
from .validation import validate_adjustments, validate_terms

__all__ = [
    "actual_lines",
    "contractual_lines",
    "projected_schedule",
    "settlement_lines",
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


def _sorted(lines: Iterable[ScheduleLine]) -> tuple[ScheduleLine, ...]:
    """Lines by period, then component label, then kind in ``LineKind`` declaration order."""
    return tuple(
        sorted(
            lines,
            key=lambda x: (x.period_start, x.period_end, x.component, KIND_ORDER[x.kind], x.key),
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
    fixed = _fixed_lines(terms, adjustments, LineSource.PROJECTED)
    # Equal savings in one contract year (every month of an annual estimate) give equal lines.
    cache: SavingsCache = {}
    lines: list[ScheduleLine] = []
    source, start_date, no_basis = LineSource.PROJECTED, terms.start_date, {}
    for p in periods:
        # savings_lines, unrolled: this loop runs for every period of a portfolio.
        fraction = year_fraction(start_date, p.start, p.end)
        templates = savings_templates(
            terms, source, p.contract_year, fraction, savings[p.index], no_basis, cache
        )
        start, end, due = p.start, p.end, p.end + due_days
        start_text, end_text = p.iso
        lines.extend([t.line(start, end, due, start_text, end_text) for t in templates])
    # Savings lines come out period by period, each period's in schedule order: already sorted.
    return _sorted(fixed + lines) if fixed else tuple(lines)

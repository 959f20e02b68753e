"""Each party's economics: yearly cash flows, NPV, IRR, paybacks, sensitivity.

Time convention (documented because numpy-financial's ``npv`` is easy to misread): a party's
cash flows are a tuple indexed by contract year, ``flows[0]`` at signing (t = 0: investments)
and ``flows[k]`` the net of contract year k, treated as falling at the end of year k (t = k).
``npv(rate, flows) = Σ flows[k] / (1 + rate)^k`` — exactly ``numpy_financial.npv``, which puts
the first value at t = 0 (unlike a spreadsheet's NPV, which starts at t = 1). Lines count in the
contract year they are earned in (``ScheduleLine.contract_year``); the days between a period's
end and its due date are not discounted.

Signs: positive is money received by the party, negative money paid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from emc.messages import msg

from .fees import custody_energy_cost
from .lines import Party, PeriodSavingsEstimate, SavingsEstimate, ScheduleLine
from .money import (
    ZERO,
    decimal_from_float,
    exact,
    money_context,
    round_fen,
    round_rate,
    round_years,
)
from .periods import contract_periods, term_end
from .savings import period_savings, price_in_year
from .schedules import projected_schedule
from .terms import (
    ContractTerms,
    ContractTermsError,
    CostParty,
    CustodyAdjustment,
    EnergyCostCustodyTerms,
)
from .validation import validate_adjustments, validate_terms

__all__ = [
    "CashFlowItem",
    "ContractEconomics",
    "EconomicsAssumptions",
    "PartyEconomics",
    "SensitivityCase",
    "analyse_flows",
    "cost_items",
    "cumulative",
    "discounted_payback",
    "irr",
    "npv",
    "party_cash_flows",
    "projected_economics",
    "savings_value_by_year",
    "sensitivity",
    "simple_payback",
]


@dataclass(frozen=True)
class CashFlowItem:
    """A flow outside the payment schedule (investment, own costs, energy bills), in yuan.

    ``contract_year`` 0 is signing (t = 0); ``amount`` is signed from ``party``'s side.
    """

    party: Party
    contract_year: int
    amount: Decimal
    description: str


@dataclass(frozen=True)
class EconomicsAssumptions:
    """What the schedule does not know: who invests what, and each side's own yearly costs.

    ``extra`` adds anything else, e.g. for a finance lease the ESCO selling the equipment to the
    lessor: ``CashFlowItem(Party.ESCO, 0, principal, "equipment sold to lessor")``.
    """

    esco_investment: Decimal = ZERO
    institution_investment: Decimal = ZERO
    esco_annual_cost: Decimal = ZERO
    institution_annual_cost: Decimal = ZERO
    extra: tuple[CashFlowItem, ...] = ()


@dataclass(frozen=True)
class PartyEconomics:
    """One party's yearly flows (index 0 = signing) and the measures derived from them.

    ``npv`` in yuan (fen); ``irr`` a fraction per year (6 places) or None when undefined (no
    sign change, or no real root); paybacks in years (0.01), interpolated linearly inside the
    year, None if the cumulative flow never recovers.
    """

    party: Party
    cash_flows: tuple[Decimal, ...]
    cumulative: tuple[Decimal, ...]
    discounted_cumulative: tuple[Decimal, ...]
    npv: Decimal
    irr: Decimal | None
    simple_payback_years: Decimal | None
    discounted_payback_years: Decimal | None


@dataclass(frozen=True)
class ContractEconomics:
    """Both sides of a contract at ``discount_rate``; ``lines`` are the schedule used."""

    discount_rate: Decimal
    institution: PartyEconomics
    esco: PartyEconomics
    savings_value: tuple[Decimal, ...]
    lines: tuple[ScheduleLine, ...]
    # Each party's running costs from the terms (``ContractTerms.costs``), per year, as flows.
    costs: tuple[CashFlowItem, ...] = ()


@dataclass(frozen=True)
class SensitivityCase:
    """NPV / IRR of both parties with savings × ``savings_factor`` and prices × ``price_factor``."""

    name: str
    savings_factor: Decimal
    price_factor: Decimal
    institution_npv: Decimal
    institution_irr: Decimal | None
    esco_npv: Decimal
    esco_irr: Decimal | None


# --------------------------------------------------------------------------- measures


def _floats(flows: Sequence[Decimal]) -> list[float]:
    return [float(f) for f in flows]


@money_context
def npv(rate: Decimal, flows: Sequence[Decimal]) -> Decimal:
    """Net present value in yuan (fen) with ``flows[0]`` at t = 0 (numpy_financial.npv)."""
    # numpy is imported where it is used: the models import this package, and numpy was
    # a tenth of the web app's import time, before any page needed it.
    import numpy_financial as npf

    return round_fen(decimal_from_float(npf.npv(float(rate), _floats(flows))))


@money_context
def irr(flows: Sequence[Decimal]) -> Decimal | None:
    """Internal rate of return per period (fraction, 6 places), or None if undefined.

    Undefined: all flows of one sign (or zero), or no real positive root of the NPV polynomial.
    Where several rates exist, numpy_financial returns the one closest to zero.
    """
    if not any(f > 0 for f in flows) or not any(f < 0 for f in flows):
        return None
    import numpy as np
    import numpy_financial as npf

    with np.errstate(all="ignore"):
        value = npf.irr(_floats(flows))
    if not np.isfinite(value):
        return None
    return round_rate(decimal_from_float(value))


def cumulative(flows: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """Running sums: ``cumulative[k] = flows[0] + … + flows[k]``."""
    total, out = ZERO, []
    for f in flows:
        total += f
        out.append(total)
    return tuple(out)


def _payback(values: Sequence[Fraction]) -> Decimal | None:
    # Every year is looked at: a party that pays nothing at signing but pays more than it gets
    # later (its cumulative flow turns negative in year 3 and stays there) never pays back,
    # and a party without any cash flow has nothing to pay back either (None, never 0).
    running = Fraction(0)
    for k, v in enumerate(values):
        before, running = running, running + v
        if running < 0 or before >= 0:
            continue
        # Recovered during year k: interpolate linearly between t = k − 1 and t = k.
        t = (k - 1) + (-before) / v
        return round_years(Decimal(t.numerator) / Decimal(t.denominator))
    # Here the cumulative flow either never turned negative (0: nothing to recover) or turned
    # negative and stayed there.
    if running < 0 or not any(values):
        return None
    return round_years(Decimal(0))


@money_context
def simple_payback(flows: Sequence[Decimal]) -> Decimal | None:
    """Years until the cumulative flow first turns non-negative (0 if it is never negative),
    linear inside the year of recovery; None if it never recovers, or if every flow is zero
    (nothing to pay back)."""
    return _payback([exact(f) for f in flows])


@money_context
def discounted_payback(rate: Decimal, flows: Sequence[Decimal]) -> Decimal | None:
    """As :func:`simple_payback` on flows discounted to t = 0 (``flows[k] / (1 + rate)^k``)."""
    r = 1 + exact(rate)
    return _payback([exact(f) / r**k for k, f in enumerate(flows)])


@money_context
def analyse_flows(party: Party, flows: Sequence[Decimal], rate: Decimal) -> PartyEconomics:
    """All measures of one party's yearly flows (index 0 = signing) at annual ``rate``."""
    flows = tuple(flows)
    r = 1 + exact(rate)
    running, discounted = Fraction(0), []
    for k, f in enumerate(flows):
        running += exact(f) / r**k
        discounted.append(round_fen(running))
    return PartyEconomics(
        party=party,
        cash_flows=flows,
        cumulative=cumulative(flows),
        discounted_cumulative=tuple(discounted),
        npv=npv(rate, flows),
        irr=irr(flows),
        simple_payback_years=simple_payback(flows),
        discounted_payback_years=discounted_payback(rate, flows),
    )


# --------------------------------------------------------------------------- cash flows


def party_cash_flows(
    lines: Iterable[ScheduleLine], term_years: int, items: Iterable[CashFlowItem] = ()
) -> dict[Party, tuple[Decimal, ...]]:
    """Yearly net flows of every party (index 0 = signing, 1..term_years) from schedule lines
    (payer −, payee + in the line's contract year) and extra items. Raises
    :class:`ContractTermsError` for an item outside 0..term_years."""
    flows = {party: [ZERO] * (term_years + 1) for party in Party}
    for line in lines:
        flows[line.payer][line.contract_year] -= line.amount
        flows[line.payee][line.contract_year] += line.amount
    for i, item in enumerate(items):
        if not 0 <= item.contract_year <= term_years:
            raise ContractTermsError(
                f"items[{i}].contract_year", msg("finance.must_within_0_term_years")
            )
        flows[item.party][item.contract_year] += item.amount
    return {party: tuple(values) for party, values in flows.items()}


@money_context
def savings_value_by_year(
    terms: ContractTerms, estimates: tuple[SavingsEstimate | PeriodSavingsEstimate, ...]
) -> tuple[Decimal, ...]:
    """Estimated savings valued at the escalated contract prices, per contract year (index 0 is
    signing and always 0), each year rounded to the fen. Raises as :func:`projected_schedule`."""
    validate_terms(terms)
    periods = contract_periods(terms)
    savings = period_savings(terms, estimates, periods)
    values = [Fraction(0)] * (terms.term_years + 1)
    for p in periods:
        for carrier, quantity in savings[p.index].items():
            values[p.contract_year] += quantity * price_in_year(terms, carrier, p.contract_year)
    return tuple(round_fen(v) for v in values)


@money_context
def cost_items(terms: ContractTerms) -> tuple[CashFlowItem, ...]:
    """The running costs of ``terms.costs`` as yearly flows (negative, from the bearing party's
    side): ``annual_amount × (1 + escalation)^(k − first_year)`` in each year k of the cost,
    rounded to the fen per year."""
    items = []
    for cost in terms.costs:
        last = cost.last_year or terms.term_years
        party = Party.ESCO if cost.party is CostParty.ESCO else Party.INSTITUTION
        for year in range(cost.first_year, last + 1):
            amount = round_fen(
                exact(cost.annual_amount) * (1 + exact(cost.escalation)) ** (year - cost.first_year)
            )
            items.append(CashFlowItem(party, year, -amount, cost.description or str(cost.kind)))
    return tuple(items)


def _baseline_cost_by_year(
    terms: ContractTerms, adjustments: tuple[CustodyAdjustment, ...], price_factor: Fraction
) -> tuple[Decimal, ...]:
    values = [Fraction(0)] * (terms.term_years + 1)
    for component in terms.components:
        if isinstance(component, EnergyCostCustodyTerms):
            for p in contract_periods(terms):
                values[p.contract_year] += (
                    custody_energy_cost(terms, component, adjustments, p) * price_factor
                )
    return tuple(round_fen(v) for v in values)


def _scaled(
    terms: ContractTerms,
    estimates: tuple[SavingsEstimate | PeriodSavingsEstimate, ...],
    savings_factor: Decimal,
    price_factor: Decimal,
) -> tuple[ContractTerms, tuple[SavingsEstimate | PeriodSavingsEstimate, ...]]:
    prices = tuple(
        dataclasses.replace(p, base_price=p.base_price * price_factor) for p in terms.prices
    )
    scaled = tuple(
        dataclasses.replace(e, annual_quantity=e.annual_quantity * savings_factor)
        if isinstance(e, SavingsEstimate)
        else dataclasses.replace(e, quantity=e.quantity * savings_factor)
        for e in estimates
    )
    return dataclasses.replace(terms, prices=prices), scaled


def _economics(
    terms: ContractTerms,
    estimates: tuple[SavingsEstimate | PeriodSavingsEstimate, ...],
    assumptions: EconomicsAssumptions,
    adjustments: tuple[CustodyAdjustment, ...],
    savings_factor: Decimal,
    price_factor: Decimal,
) -> ContractEconomics:
    scenario, scaled = _scaled(terms, estimates, savings_factor, price_factor)
    lines = projected_schedule(scenario, scaled, adjustments)
    value = savings_value_by_year(scenario, scaled)
    n = terms.term_years
    items = [
        CashFlowItem(Party.ESCO, 0, -assumptions.esco_investment, "investment"),
        CashFlowItem(Party.INSTITUTION, 0, -assumptions.institution_investment, "investment"),
    ]
    custody = any(isinstance(c, EnergyCostCustodyTerms) for c in terms.components)
    bills = _baseline_cost_by_year(terms, adjustments, exact(price_factor)) if custody else None
    for year in range(1, n + 1):
        items.append(CashFlowItem(Party.ESCO, year, -assumptions.esco_annual_cost, "own costs"))
        items.append(
            CashFlowItem(Party.INSTITUTION, year, -assumptions.institution_annual_cost, "own costs")
        )
        if bills is None:
            items.append(CashFlowItem(Party.INSTITUTION, year, value[year], "savings value"))
        else:
            # Under custody the ESCO pays the energy bills (the baseline less what it saves) and
            # the institution no longer does.
            items.append(CashFlowItem(Party.INSTITUTION, year, bills[year], "energy bills avoided"))
            items.append(
                CashFlowItem(Party.ESCO, year, value[year] - bills[year], "energy bills paid")
            )
    items.extend(assumptions.extra)
    # Each party's running costs (O&M, M&V fees, insurance, monitoring): the same in every
    # sensitivity case, which moves savings and prices only.
    costs = cost_items(terms)
    items.extend(costs)
    flows = party_cash_flows(lines, n, items)
    return ContractEconomics(
        discount_rate=terms.discount_rate,
        institution=analyse_flows(Party.INSTITUTION, flows[Party.INSTITUTION], terms.discount_rate),
        esco=analyse_flows(Party.ESCO, flows[Party.ESCO], terms.discount_rate),
        savings_value=value,
        lines=lines,
        costs=costs,
    )


def _validate_assumptions(assumptions: EconomicsAssumptions) -> None:
    for name in (
        "esco_investment",
        "institution_investment",
        "esco_annual_cost",
        "institution_annual_cost",
    ):
        value = getattr(assumptions, name)
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise ContractTermsError(f"assumptions.{name}", msg("finance.must_decimal"))
        if value < 0:
            raise ContractTermsError(f"assumptions.{name}", msg("finance.negative"))
    for i, item in enumerate(assumptions.extra):
        if isinstance(item.amount, bool) or not isinstance(item.amount, Decimal | int):
            raise ContractTermsError(f"assumptions.extra[{i}].amount", msg("finance.must_decimal"))


@money_context
def projected_economics(
    terms: ContractTerms,
    estimates: tuple[SavingsEstimate | PeriodSavingsEstimate, ...],
    assumptions: EconomicsAssumptions = EconomicsAssumptions(),
    adjustments: tuple[CustodyAdjustment, ...] = (),
) -> ContractEconomics:
    """Institution and ESCO economics over the term from the projected schedule.

    Institution: − its investment at t = 0, + savings value (contract prices) each year, − what
    it pays under the schedule (+ what it receives, e.g. shortfalls; the lease purchase option
    is a scheduled line), − its own costs (``assumptions`` and the escalating
    ``terms.costs``). ESCO: − investment, + schedule receipts − payments, − own costs. With a custody component the
    savings accrue to the ESCO instead: the institution gains the baseline energy cost it no
    longer pays, the ESCO pays the bills (baseline cost − savings value). Lease rent goes to
    the lessor, who is not analysed. Raises :class:`ContractTermsError` /
    :class:`SavingsInputError`.
    """
    validate_terms(terms)
    validate_adjustments(terms, adjustments, term_end(terms.start_date, terms.term_years))
    _validate_assumptions(assumptions)
    return _economics(terms, estimates, assumptions, adjustments, Decimal(1), Decimal(1))


SENSITIVITY_CASES: tuple[tuple[str, Decimal, Decimal], ...] = (
    ("base", Decimal("1"), Decimal("1")),
    ("savings -20%", Decimal("0.8"), Decimal("1")),
    ("savings -10%", Decimal("0.9"), Decimal("1")),
    ("savings +10%", Decimal("1.1"), Decimal("1")),
    ("savings +20%", Decimal("1.2"), Decimal("1")),
    ("price -10%", Decimal("1"), Decimal("0.9")),
    ("price +10%", Decimal("1"), Decimal("1.1")),
)


@money_context
def sensitivity(
    terms: ContractTerms,
    estimates: tuple[SavingsEstimate | PeriodSavingsEstimate, ...],
    assumptions: EconomicsAssumptions = EconomicsAssumptions(),
    adjustments: tuple[CustodyAdjustment, ...] = (),
    cases: tuple[tuple[str, Decimal, Decimal], ...] = SENSITIVITY_CASES,
) -> tuple[SensitivityCase, ...]:
    """NPV and IRR of both parties for each ``(name, savings_factor, price_factor)`` case
    (default: base, savings ±10 %/±20 %, price ±10 %).

    A price case scales every contract price and the energy prices of the custody baseline
    bills, but not the custody fee, which only an agreed adjustment changes.
    """
    validate_terms(terms)
    validate_adjustments(terms, adjustments, term_end(terms.start_date, terms.term_years))
    _validate_assumptions(assumptions)
    out = []
    for name, savings_factor, price_factor in cases:
        result = _economics(
            terms, estimates, assumptions, adjustments, savings_factor, price_factor
        )
        out.append(
            SensitivityCase(
                name=name,
                savings_factor=savings_factor,
                price_factor=price_factor,
                institution_npv=result.institution.npv,
                institution_irr=result.institution.irr,
                esco_npv=result.esco.npv,
                esco_irr=result.esco.irr,
            )
        )
    return tuple(out)

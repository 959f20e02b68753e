"""Savings-driven lines: shared savings, guarantee shortfall and excess share.

Savings are valued at the contract price of the carrier escalated to the contract year, never
at the tariff of the day. Arithmetic is exact until the line amount is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from emc.messages import msg

from .lines import (
    KIND_ORDER,
    LineKind,
    LineSource,
    LineTemplate,
    PeriodSavingsEstimate,
    SavingsEstimate,
    ScheduleLine,
    basis_str,
)
from .money import escalated, exact, round_fen
from .periods import Period, year_fraction
from .terms import (
    ContractTerms,
    ContractTermsError,
    GuaranteedSavingsTerms,
    SavingsInputError,
    SharedSavingsTerms,
)
from .valuation import savings_value

__all__ = [
    "band_value",
    "carrier_order",
    "check_savings_carrier",
    "limit_share",
    "limits_basis",
    "period_savings",
    "price_in_year",
    "savings_lines",
    "savings_templates",
]


def band_value(bands: Iterable[Any], year: int, attr: str) -> Decimal:
    """The ``attr`` of the band (ShareBand / FeeBand) covering contract ``year``."""
    for band in bands:
        if band.first_year <= year <= band.last_year:
            return getattr(band, attr)
    raise AssertionError("validate_terms guarantees every year is covered")


def check_savings_carrier(
    terms: ContractTerms,
    carrier: str,
    unit: str,
    quantity: object,
    path: str,
    quantity_field: str = "quantity",
) -> None:
    """Check one savings quantity: a Decimal, of a priced carrier, in the price's unit.

    A carrier without a contract price is a gap in the terms (:class:`ContractTermsError` on
    ``prices``); a wrong unit or type is bad input (:class:`SavingsInputError` on ``path``).
    """
    if isinstance(quantity, bool) or not isinstance(quantity, Decimal | int):
        raise SavingsInputError(
            f"{path}.{quantity_field}", msg("finance.not_decimal", type=type(quantity).__name__)
        )
    price = terms.price_for(carrier)
    if price is None:
        raise ContractTermsError("prices", msg("finance.no_price", carrier=carrier, where=path))
    if unit != price.unit:
        raise SavingsInputError(
            f"{path}.unit",
            msg("finance.unit_mismatch", unit=unit, price_unit=price.unit),
        )


def price_in_year(terms: ContractTerms, carrier: str, year: int) -> Fraction:
    """Exact contract price of ``carrier`` in contract ``year``: base × (1 + escalation)^(year−1)."""
    price = terms.price_for(carrier)
    return escalated(price.base_price, price.escalation, year - 1)


def carrier_order(terms: ContractTerms, carriers: Iterable[str]) -> list[str]:
    """``carriers`` in the order of ``terms.prices``, so bases list carriers deterministically."""
    rank = {p.carrier: i for i, p in enumerate(terms.prices)}
    return sorted(carriers, key=lambda c: rank[c])


# One computed savings line before it is placed in a period: (component label, kind, amount,
# basis). Periods of one contract year with the same savings share their amounts.
_Amount = tuple[str, LineKind, Decimal, dict[str, Any]]
SavingsCache = dict[tuple[Any, ...], tuple[list[LineTemplate], object]]


def savings_lines(
    terms: ContractTerms,
    *,
    source: LineSource,
    year: int,
    start: date,
    end: date,
    due: date,
    savings: Mapping[str, Fraction],
    extra_basis: dict[str, Any],
    cache: SavingsCache | None = None,
) -> list[ScheduleLine]:
    """Savings-driven lines of every component for one segment inside one contract year.

    The amounts depend on the contract year, the segment's part of the year and the savings
    only, so a caller generating many periods of the same ``terms`` and ``extra_basis`` may
    pass one ``cache`` dict: equal inputs then reuse the exact amounts (and the basis)
    computed for an earlier period instead of recomputing them. The cache knows the savings
    quantities by identity (equal objects are not recognised, only the same ones): it pays
    when the caller passes the same objects for equal savings, as :func:`period_savings`
    gives them.
    """
    fraction = year_fraction(terms.start_date, start, end)
    templates = savings_templates(terms, source, year, fraction, savings, extra_basis, cache)
    start_text, end_text = start.isoformat(), end.isoformat()
    return [t.line(start, end, due, start_text, end_text) for t in templates]


def savings_templates(
    terms: ContractTerms,
    source: LineSource,
    year: int,
    fraction: Fraction,
    savings: Mapping[str, Fraction],
    extra_basis: dict[str, Any],
    cache: SavingsCache | None,
) -> list[LineTemplate]:
    """The lines of :func:`savings_lines` before they are placed in their segment (``fraction``:
    the segment's part of contract year ``year``), through ``cache`` as described there."""
    if cache is not None:
        # Integer parts and identities hash far faster than Fractions (equal Fractions have
        # equal parts; the same objects have the same values).
        key = (
            year,
            fraction.numerator,
            fraction.denominator,
            *[(c, id(q)) for c, q in savings.items()],
        )
        entry = cache.get(key)
        if entry is not None:
            return entry[0]
    # In schedule order (component label, then kind in declaration order), so that lines
    # placed period after period come out sorted.
    amounts = sorted(
        _savings_amounts(terms, year, fraction, savings, extra_basis),
        key=lambda a: (a[0], KIND_ORDER[a[1]]),
    )
    templates = [
        LineTemplate(
            source=source, component=label, kind=kind, year=year, amount=amount, basis=basis
        )
        for label, kind, amount, basis in amounts
    ]
    if cache is not None:
        # The entry holds what it is keyed by, so no id is reused while the cache lives.
        cache[key] = (templates, savings)
    return templates


def _savings_amounts(
    terms: ContractTerms,
    year: int,
    fraction: Fraction,
    savings: Mapping[str, Fraction],
    extra_basis: dict[str, Any],
) -> list[_Amount]:
    amounts: list[_Amount] = []
    units = {c: terms.price_for(c).unit for c in savings}
    order = carrier_order(terms, savings)
    head = {"contract_year": year, **extra_basis}

    for component in terms.components:
        if isinstance(component, SharedSavingsTerms):
            share = band_value(component.shares, year, "share")
            value, price_y = savings_value(terms, year, {c: savings[c] for c in order})
            rows = []
            for c in order:
                v = savings[c] * price_y[c]
                rows.append(
                    {
                        "carrier": c,
                        "unit": units[c],
                        "savings": basis_str(savings[c]),
                        "price_per_unit": basis_str(price_y[c]),
                        "value": basis_str(v),
                    }
                )
            # A period that lost energy pays the ESCO nothing; it never charges the ESCO.
            payable = max(value, Fraction(0)) * exact(share)
            basis = {
                **head,
                "carriers": rows,
                "savings_value": basis_str(value),
                "esco_share": str(share),
            }
            if component.has_limits:
                # A projection holds each period within its part of the annual minimum and cap
                # whatever the reconciliation: for savings spread evenly over the year (annual
                # estimates) that is exactly the annual bound.
                payable = limit_share(component, payable, fraction, basis)
            amount = round_fen(payable)
            amounts.append((component.label, LineKind.SHARED_SAVINGS, amount, basis))
        elif isinstance(component, GuaranteedSavingsTerms):
            amounts.extend(_guarantee_amounts(terms, component, year, fraction, savings, head))
    return amounts


def limit_share(
    component: SharedSavingsTerms, payable: Fraction, fraction: Fraction, basis: dict[str, Any]
) -> Fraction:
    """``payable`` (the ESCO's exact share of one period) held within ``fraction`` (the
    period's part of the contract year) of the component's annual minimum and cap; the bounds
    and the share before them are written into ``basis``."""
    low = (
        exact(component.annual_minimum) * fraction if component.annual_minimum is not None else None
    )
    high = exact(component.annual_cap) * fraction if component.annual_cap is not None else None
    bounded = payable
    if low is not None:
        bounded = max(bounded, low)
    if high is not None:
        bounded = min(bounded, high)
    basis.update(limits_basis(component))
    basis.update(
        {
            "share_before_limits": basis_str(payable),
            "minimum_for_period": None if low is None else basis_str(low),
            "cap_for_period": None if high is None else basis_str(high),
        }
    )
    return bounded


def limits_basis(component: SharedSavingsTerms) -> dict[str, Any]:
    """The annual minimum, cap and their reconciliation, as a line's basis shows them."""
    return {
        "annual_minimum": None
        if component.annual_minimum is None
        else str(component.annual_minimum),
        "annual_cap": None if component.annual_cap is None else str(component.annual_cap),
        "limits_reconciliation": str(component.reconciliation),
    }


def _guarantee_amounts(
    terms: ContractTerms,
    component: GuaranteedSavingsTerms,
    year: int,
    fraction: Fraction,
    savings: Mapping[str, Fraction],
    head: dict[str, Any],
) -> list[_Amount]:
    rows = []
    shortfall_value = excess_value = net_value = Fraction(0)
    for g in component.guarantees:
        price = price_in_year(terms, g.carrier, year)
        guaranteed = exact(g.quantity) * fraction
        verified = savings.get(g.carrier, Fraction(0))
        diff_value = (verified - guaranteed) * price
        net_value += diff_value
        shortfall_value += max(-diff_value, Fraction(0))
        excess_value += max(diff_value, Fraction(0))
        rows.append(
            {
                "carrier": g.carrier,
                "unit": g.unit,
                "guaranteed": basis_str(guaranteed),
                "verified": basis_str(verified),
                "price_per_unit": basis_str(price),
                "difference_value": basis_str(diff_value),
            }
        )
    if component.offset_carriers:
        shortfall_value = max(-net_value, Fraction(0))
        excess_value = max(net_value, Fraction(0))
    basis = {
        **head,
        "year_fraction": basis_str(fraction),
        "offset_carriers": component.offset_carriers,
        "carriers": rows,
        "unguaranteed_carriers": sorted(set(savings) - {g.carrier for g in component.guarantees}),
    }
    amounts: list[_Amount] = []
    shortfall = round_fen(shortfall_value)
    if shortfall > 0:
        amounts.append(
            (
                component.label,
                LineKind.SHORTFALL,
                shortfall,
                {**basis, "shortfall_value": basis_str(shortfall_value)},
            )
        )
    excess = round_fen(excess_value * exact(component.excess_share))
    if excess > 0:
        amounts.append(
            (
                component.label,
                LineKind.EXCESS_SHARE,
                excess,
                {
                    **basis,
                    "excess_value": basis_str(excess_value),
                    "excess_share": str(component.excess_share),
                },
            )
        )
    return amounts


def _check_estimate(quantity: Decimal | int, path: str) -> None:
    """An estimate is a forecast of savings: finite, not negative, and of a sane size (a
    negative estimate would project no payments at all rather than be refused)."""
    if isinstance(quantity, Decimal) and not quantity.is_finite():
        raise SavingsInputError(path, msg("finance.not_finite"))
    if quantity < 0:
        raise SavingsInputError(path, msg("finance.negative"))
    if quantity > _MAX_ESTIMATE:
        raise SavingsInputError(path, msg("finance.at_most", maximum=_MAX_ESTIMATE))


_MAX_ESTIMATE = Decimal("1e12")


def period_savings(
    terms: ContractTerms,
    estimates: tuple[SavingsEstimate | PeriodSavingsEstimate, ...],
    periods: tuple[Period, ...],
) -> dict[int, dict[str, Fraction]]:
    """Estimated savings per period index and carrier (exact), from ``estimates``.

    A :class:`PeriodSavingsEstimate` wins over a year-specific :class:`SavingsEstimate`, which
    wins over an every-year one; annual quantities are spread by ``year_fraction``. Raises
    :class:`SavingsInputError` / :class:`ContractTermsError` (carrier without a price).
    """
    if not isinstance(estimates, tuple):
        raise SavingsInputError("estimates", msg("finance.must_tuple"))
    starts = {p.start: p for p in periods}
    annual: dict[tuple[str, int | None], Fraction] = {}
    by_period: dict[tuple[date, str], Fraction] = {}
    for i, est in enumerate(estimates):
        path = f"estimates[{i}]"
        if isinstance(est, SavingsEstimate):
            check_savings_carrier(
                terms, est.carrier, est.unit, est.annual_quantity, path, "annual_quantity"
            )
            _check_estimate(est.annual_quantity, f"{path}.annual_quantity")
            year = est.contract_year
            if year is not None and (
                isinstance(year, bool)
                or not isinstance(year, int)
                or not 1 <= year <= terms.term_years
            ):
                raise SavingsInputError(
                    f"{path}.contract_year", msg("finance.must_contract_year_term")
                )
            if (est.carrier, year) in annual:
                raise SavingsInputError(
                    f"{path}.carrier", msg("finance.estimate_given_twice_for_carrier")
                )
            annual[est.carrier, year] = exact(est.annual_quantity)
        elif isinstance(est, PeriodSavingsEstimate):
            check_savings_carrier(terms, est.carrier, est.unit, est.quantity, path)
            _check_estimate(est.quantity, f"{path}.quantity")
            if est.period_start not in starts:
                raise SavingsInputError(
                    f"{path}.period_start", msg("finance.not_start_payment_period")
                )
            if (est.period_start, est.carrier) in by_period:
                raise SavingsInputError(
                    f"{path}.carrier", msg("finance.estimate_given_twice_for_carrier_2")
                )
            by_period[est.period_start, est.carrier] = exact(est.quantity)
        else:
            raise SavingsInputError(path, msg("finance.unknown_kind", type=type(est).__name__))
    carriers = carrier_order(terms, {c for c, _ in annual} | {c for _, c in by_period})
    result: dict[int, dict[str, Fraction]] = {}
    # Most periods are equal parts of a year: each annual quantity × part is computed once.
    spread: dict[tuple[str, int | None, int, int], Fraction] = {}
    for p in periods:
        fraction = year_fraction(terms.start_date, p.start, p.end)
        quantities: dict[str, Fraction] = {}
        for c in carriers:
            if (p.start, c) in by_period:
                quantities[c] = by_period[p.start, c]
                continue
            year = p.contract_year if (c, p.contract_year) in annual else None
            if (c, year) not in annual:
                continue
            key = (c, year, fraction.numerator, fraction.denominator)
            quantity = spread.get(key)
            if quantity is None:
                quantity = spread[key] = annual[c, year] * fraction
            quantities[c] = quantity
        result[p.index] = quantities
    return result

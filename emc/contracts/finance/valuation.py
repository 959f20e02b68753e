"""Valuing verified savings inside an M&V period: the one function the M&V report and the
payment lines both use, so that they agree to the fen on what the same kWh are worth.

An M&V period need not line up with contract years: a calendar-quarter report of a contract
that started on 1 February has January in one contract year and February–March in the next,
each with its own escalated price and ESCO share. The report knows its savings per month (and
per day where the model is daily); :func:`value_segments` places each of those segments in
the contract year it falls in and values it at that year's contract price. A segment that
itself crosses a contract-year boundary (a calendar month of a contract starting mid-month) is
split by days. Only an M&V result without segments (an API client that sends period totals)
falls back to splitting the totals by the part of the year each side covers.

Exact until rounded: a part's value is ``Σ quantity × price`` as a ``Fraction``; the report
shows ``round_fen`` of it, the payment line's basis carries the same rounded figure, and the
line amount is ``round_fen(max(value, 0) × share)`` of the same exact value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from emc.messages import msg

from .money import escalated, exact, money_context, round_fen
from .periods import split_by_contract_year, term_end, year_fraction
from .terms import ContractTerms, ContractTermsError, SavingsInputError

__all__ = [
    "SavingsSegment",
    "ValuedPart",
    "allocate_rounded",
    "savings_value",
    "value_segments",
    "value_totals",
]


@dataclass(frozen=True)
class SavingsSegment:
    """Verified savings of one carrier over ``[start, end)`` inside an M&V period (a day, a
    month or part of one), in the contract price's unit. Negative when energy was lost."""

    start: date
    end: date
    carrier: str
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class ValuedPart:
    """The part of an M&V period inside one contract year, with its savings and their value.

    ``savings`` and ``prices`` are exact, per carrier in the order of the contract prices;
    ``value`` is exact (``Σ savings × price``); ``value_fen`` is it rounded to the fen, the
    figure the report shows and the payment line's basis carries.
    """

    contract_year: int
    start: date
    end: date
    savings: dict[str, Fraction]
    prices: dict[str, Fraction]
    value: Fraction

    @property
    def value_fen(self) -> Decimal:
        return round_fen(self.value)


def savings_value(
    terms: ContractTerms, year: int, savings: Mapping[str, Fraction]
) -> tuple[Fraction, dict[str, Fraction]]:
    """Exact value of ``savings`` (carrier → quantity) at the contract prices of ``year``, and
    the prices used. Every savings valuation in the finance core goes through here."""
    prices: dict[str, Fraction] = {}
    value = Fraction(0)
    for carrier, quantity in savings.items():
        price = terms.price_for(carrier)
        prices[carrier] = escalated(price.base_price, price.escalation, year - 1)
        value += quantity * prices[carrier]
    return value, prices


def _carrier_rank(terms: ContractTerms) -> dict[str, int]:
    return {p.carrier: i for i, p in enumerate(terms.prices)}


def _parts(
    terms: ContractTerms,
    start: date,
    end: date,
    by_year: dict[tuple[int, date, date], dict[str, Fraction]],
) -> tuple[ValuedPart, ...]:
    rank = _carrier_rank(terms)
    out = []
    for (year, lo, hi), savings in sorted(by_year.items(), key=lambda kv: kv[0][1]):
        ordered = {c: savings[c] for c in sorted(savings, key=lambda c: rank[c])}
        value, prices = savings_value(terms, year, ordered)
        out.append(ValuedPart(year, lo, hi, ordered, prices, value))
    return tuple(out)


def _check_period(terms: ContractTerms, start: object, end: object, path: str) -> None:
    if not isinstance(start, date) or not isinstance(end, date):
        raise SavingsInputError(f"{path}.period_start", msg("finance.period_start_end_must_dates"))
    if end <= start:
        raise SavingsInputError(f"{path}.period_end", msg("finance.must_after_period_start"))
    if start < terms.start_date or end > term_end(terms.start_date, terms.term_years):
        raise SavingsInputError(
            f"{path}.period_start", msg("finance.period_must_lie_within_contract")
        )


def _check_quantity(terms: ContractTerms, carrier, unit, quantity, path: str) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, Decimal | int):
        raise SavingsInputError(
            f"{path}.quantity", msg("finance.not_decimal", type=type(quantity).__name__)
        )
    if isinstance(quantity, Decimal) and not quantity.is_finite():
        raise SavingsInputError(f"{path}.quantity", msg("finance.not_finite"))
    price = terms.price_for(carrier)
    if price is None:
        raise ContractTermsError("prices", msg("finance.no_price", carrier=carrier, where=path))
    if unit != price.unit:
        raise SavingsInputError(
            f"{path}.unit",
            msg("finance.unit_mismatch", unit=unit, price_unit=price.unit),
        )


@money_context
def value_segments(
    terms: ContractTerms,
    start: date,
    end: date,
    segments: Iterable[SavingsSegment],
    *,
    path: str = "segments",
) -> tuple[ValuedPart, ...]:
    """The M&V period ``[start, end)`` cut at contract-year boundaries, each part holding the
    savings of the segments inside it valued at that contract year's prices.

    A segment across a boundary is split in proportion to its days on each side (the share
    and price in force on each day). Parts are in date order; a part with no segment is
    omitted. Raises :class:`SavingsInputError` naming ``{path}[i].<field>`` for a segment
    outside the period, empty, of an unpriced carrier (ContractTermsError on ``prices``) or in
    the wrong unit.
    """
    _check_period(terms, start, end, "result")
    by_year: dict[tuple[int, date, date], dict[str, Fraction]] = {}
    bounds = {
        year: (lo, hi) for year, lo, hi in split_by_contract_year(terms.start_date, start, end)
    }
    for i, seg in enumerate(segments):
        spath = f"{path}[{i}]"
        if not isinstance(seg.start, date) or not isinstance(seg.end, date):
            raise SavingsInputError(f"{spath}.start", msg("finance.start_end_must_dates"))
        if seg.end <= seg.start:
            raise SavingsInputError(f"{spath}.end", msg("finance.must_after_segment_start"))
        if seg.start < start or seg.end > end:
            raise SavingsInputError(f"{spath}.start", msg("finance.segment_must_lie_within_period"))
        _check_quantity(terms, seg.carrier, seg.unit, seg.quantity, spath)
        quantity = exact(seg.quantity)
        days = (seg.end - seg.start).days
        for year, lo, hi in split_by_contract_year(terms.start_date, seg.start, seg.end):
            part = Fraction((hi - lo).days, days)
            key = (year, *bounds[year])
            slot = by_year.setdefault(key, {})
            slot[seg.carrier] = slot.get(seg.carrier, Fraction(0)) + quantity * part
    return _parts(terms, start, end, by_year)


@money_context
def value_totals(
    terms: ContractTerms, start: date, end: date, totals: Mapping[str, Fraction]
) -> tuple[ValuedPart, ...]:
    """Period totals without a breakdown (an API client's M&V result): allocated to each
    contract-year part by the part of the year it covers (:func:`year_fraction`)."""
    _check_period(terms, start, end, "result")
    whole = year_fraction(terms.start_date, start, end)
    by_year: dict[tuple[int, date, date], dict[str, Fraction]] = {}
    for year, lo, hi in split_by_contract_year(terms.start_date, start, end):
        allocation = year_fraction(terms.start_date, lo, hi) / whole
        by_year[year, lo, hi] = {c: q * allocation for c, q in totals.items()}
    return _parts(terms, start, end, by_year)


def allocate_rounded(exact_values: list[Fraction], total: Decimal) -> list[Decimal]:
    """Each value rounded to the fen, the last absorbing the residue so they sum to ``total``
    (the rounding rule of every schedule: the residue goes in the last period)."""
    if not exact_values:
        return []
    rounded = [round_fen(v) for v in exact_values[:-1]]
    return [*rounded, total - sum(rounded, Decimal("0.00"))]

"""Contract calendar: payment periods, contract years and exact year fractions.

Periods are half-open ``[start, end)``. Contract year k is ``[start + 12(k−1) months,
start + 12k months)``; months are added from the contract start (not chained), with the day
clamped to the month's end, so a contract starting on 31 January has periods starting on
28/29 February, 31 March, 30 April…

A part of a contract year is measured in contract months: a whole month counts 1/12 of a year
whatever its length, a partial month counts its days over that month's days. This makes a
monthly period exactly 1/12 of the annual amount and a quarter exactly 1/4, and pro-rates
anything shorter by days.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from .terms import ContractTerms, PaymentFrequency

__all__ = [
    "Period",
    "add_months",
    "contract_year_of",
    "contract_periods",
    "payment_periods",
    "split_by_contract_year",
    "term_end",
    "year_fraction",
]


@dataclass(frozen=True)
class Period:
    """One payment period ``[start, end)``; ``index`` is 0-based, ``contract_year`` 1-based."""

    index: int
    contract_year: int
    start: date
    end: date

    @functools.cached_property
    def iso(self) -> tuple[str, str]:
        """``(start, end)`` in ISO form, as line keys spell them (periods are shared: cached)."""
        return self.start.isoformat(), self.end.isoformat()


# Pure functions of immutable dates, called for every period of every schedule: memoised (a
# 10-year monthly term asks for the same few hundred month boundaries over and over).
@functools.lru_cache(maxsize=65536)
def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the last day of the target month."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start_date: date, term_years: int) -> date:
    """Exclusive end of a term of ``term_years`` starting on ``start_date``."""
    return add_months(start_date, 12 * term_years)


# Many contracts share a start month, term and frequency: their (immutable) periods are built
# once. The arguments are validated terms (a bounded term, a PaymentFrequency).
@functools.lru_cache(maxsize=4096)
def payment_periods(
    start_date: date, term_years: int, frequency: PaymentFrequency
) -> tuple[Period, ...]:
    """All payment periods of a term, in order; they tile ``[start_date, term_end)``."""
    step = frequency.months
    per_year = frequency.periods_per_year
    return tuple(
        Period(
            index=i,
            contract_year=i // per_year + 1,
            start=add_months(start_date, i * step),
            end=add_months(start_date, (i + 1) * step),
        )
        for i in range(term_years * per_year)
    )


def contract_periods(terms: ContractTerms) -> tuple[Period, ...]:
    """The payment periods of ``terms`` (contract start, term and payment frequency)."""
    return payment_periods(terms.start_date, terms.term_years, terms.payment_frequency)


def _month_index(start_date: date, day: date) -> int:
    """Index i of the contract month ``[start + i, start + i + 1)`` containing ``day``."""
    i = (day.year - start_date.year) * 12 + day.month - start_date.month
    while add_months(start_date, i) > day:
        i -= 1
    while add_months(start_date, i + 1) <= day:
        i += 1
    return i


def contract_year_of(start_date: date, day: date) -> int:
    """1-based contract year containing ``day`` (0 or less before the start)."""
    return _month_index(start_date, day) // 12 + 1


@functools.lru_cache(maxsize=65536)
def year_fraction(start_date: date, begin: date, end: date) -> Fraction:
    """Exact part of a year covered by ``[begin, end)``, in contract months / 12."""
    if end <= begin:
        return Fraction(0)
    total = Fraction(0)
    i = _month_index(start_date, begin)
    while True:
        m_start, m_end = add_months(start_date, i), add_months(start_date, i + 1)
        if m_start >= end:
            break
        lo, hi = max(begin, m_start), min(end, m_end)
        if hi > lo:
            total += Fraction((hi - lo).days, (m_end - m_start).days)
        i += 1
    return total / 12


def split_by_contract_year(
    start_date: date, begin: date, end: date
) -> tuple[tuple[int, date, date], ...]:
    """``[begin, end)`` cut at contract-year boundaries: ``(contract_year, start, end)`` parts."""
    parts = []
    lo = begin
    while lo < end:
        year = contract_year_of(start_date, lo)
        hi = min(end, add_months(start_date, 12 * year))
        parts.append((year, lo, hi))
        lo = hi
    return tuple(parts)

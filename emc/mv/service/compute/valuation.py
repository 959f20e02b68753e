"""Valuing a report's savings with the finance core's one valuation, month by month.

The report's own monthly (and, where the model is daily, daily) savings are the segments that
:func:`emc.contracts.finance.value_segments` values at the share and price in force on each
day; the acceptance hands the same segments to the payment lines, so the report and the
payment agree to the fen. A month a contract year starts in is cut at that day: by the model's
daily savings where it has them, by days otherwise (the finance core's rule).

Each month row's value is its exact value rounded, except that the last row of each
contract-year part takes the residue, so the rows add up to the part's value and the parts to
the report's savings value — the figure the payment lines carry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from emc.contracts import finance
from emc.contracts.finance.periods import add_months, split_by_contract_year

ENERGY_PLACES = Decimal("0.001")


@dataclass
class RowSegments:
    """The segments of one month row of one meter (one, or two where a contract year starts
    inside the month and the model has daily savings)."""

    index: int
    carrier: str
    segments: list[finance.SavingsSegment]


def month_bounds(month: str, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    first = dt.date.fromisoformat(month + "-01")
    return max(first, start), min(add_months(first, 1), end)


def row_segments(
    terms: finance.ContractTerms,
    index: int,
    month: str,
    start: dt.date,
    end: dt.date,
    carrier: str,
    price_unit: str,
    quantity: Decimal,
    daily: dict[dt.date, Decimal] | None,
) -> RowSegments:
    """Segments of one month row: ``quantity`` (price unit, 3 places) over the month's part of
    ``[start, end)``; cut at a contract-year start inside it when ``daily`` savings (price
    unit, per day) say how much fell on each side. The pieces add up to ``quantity``."""
    lo, hi = month_bounds(month, start, end)
    pieces = split_by_contract_year(terms.start_date, lo, hi)
    if len(pieces) == 1 or not daily:
        return RowSegments(
            index, carrier, [finance.SavingsSegment(lo, hi, carrier, price_unit, quantity)]
        )
    segments, running = [], Decimal("0.000")
    for k, (_year, a, b) in enumerate(pieces):
        if k == len(pieces) - 1:
            q = quantity - running
        else:
            q = sum((v for d, v in daily.items() if a <= d < b), Decimal("0")).quantize(
                ENERGY_PLACES
            )
            running += q
        segments.append(finance.SavingsSegment(a, b, carrier, price_unit, q))
    return RowSegments(index, carrier, segments)


def value_rows(
    terms: finance.ContractTerms,
    start: dt.date,
    end: dt.date,
    rows: list[RowSegments],
) -> tuple[tuple[finance.ValuedPart, ...], dict[int, list[dict[str, Any]]]]:
    """The report's contract-year parts (the payment's valuation) and, per month row, its
    pieces ``{contract_year, quantity, price, value}`` with values allocated so that the rows
    of each part add up to the part's value to the fen."""
    every = [s for r in rows for s in r.segments]
    parts = finance.value_segments(terms, start, end, every)
    # Each row's exact value per contract year, in row order.
    exact: dict[int, list[tuple[int, Fraction, Fraction, Fraction]]] = {}
    for r in rows:
        for part in finance.value_segments(terms, start, end, r.segments):
            q = part.savings[r.carrier]
            exact.setdefault(r.index, []).append(
                (part.contract_year, q, part.prices[r.carrier], part.value)
            )
    by_year: dict[int, list[tuple[int, int]]] = {}
    for index in sorted(exact):
        for k, (year, *_rest) in enumerate(exact[index]):
            by_year.setdefault(year, []).append((index, k))
    fen: dict[tuple[int, int], Decimal] = {}
    for part in parts:
        slots = by_year.get(part.contract_year, [])
        values = finance.allocate_rounded([exact[i][k][3] for i, k in slots], part.value_fen)
        fen.update(zip(slots, values, strict=True))
    pieces: dict[int, list[dict[str, Any]]] = {}
    for index, items in exact.items():
        pieces[index] = [
            {
                "contract_year": year,
                "quantity": str(finance.money.to_decimal(q).quantize(ENERGY_PLACES)),
                "price": str(finance.money.to_decimal(price)),
                "value": fen[index, k],
            }
            for k, (year, q, price, _v) in enumerate(items)
        ]
    return parts, pieces


def settlement_preview(
    terms: finance.ContractTerms,
    start: dt.date,
    end: dt.date,
    carriers: list[dict[str, Any]],
    segments: list[finance.SavingsSegment],
) -> list[dict[str, Any]]:
    """The payment lines this report's savings give on their own (as its acceptance would add
    them, before any carry-forward or year-end reconciliation with other periods)."""
    result = finance.MvResult(
        start,
        end,
        tuple(
            finance.EnergyQuantity(c["carrier"], c["unit"], Decimal(c["avoided"])) for c in carriers
        ),
        end,
        segments=tuple(segments),
    )
    return [
        {
            "contract_year": line.contract_year,
            "period_start": line.period_start.isoformat(),
            "period_end": line.period_end.isoformat(),
            "kind": str(line.kind),
            "payer": str(line.payer),
            "payee": str(line.payee),
            "amount": str(line.amount),
            "savings_value": line.basis.get("savings_value_fen"),
            # The exact value the share is applied to: the line is rounded once, at the end,
            # so it may differ by a fen from the rounded value times the share.
            "savings_value_exact": line.basis.get("savings_value"),
            "esco_share": line.basis.get("esco_share"),
        }
        for line in finance.actual_lines(terms, result)
    ]

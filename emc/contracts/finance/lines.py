"""Schedule lines and the inputs and outputs around them (pure data, no computation)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .money import CURRENCY, ZERO, to_decimal
from .terms import EnergyQuantity
from .valuation import SavingsSegment

__all__ = [
    "ComparisonRow",
    "LeaseInstalment",
    "LineKind",
    "LineSource",
    "MvResult",
    "Party",
    "PeriodSavingsEstimate",
    "SavingsEstimate",
    "LineTemplate",
    "ScheduleLine",
    "compare_projected_actual",
    "make_line",
    "total_amount",
]


class LineKind(StrEnum):
    SHARED_SAVINGS = "shared_savings"
    GUARANTEE_FEE = "guarantee_fee"
    SHORTFALL = "shortfall"
    EXCESS_SHARE = "excess_share"
    CUSTODY_FEE = "custody_fee"
    OM_FEE = "om_fee"
    TRUE_UP = "true_up"
    LEASE_RENT = "lease_rent"
    # The institution exercises the lease purchase option: it pays the residual value.
    LEASE_RESIDUAL = "lease_residual"
    # Year-end true-up of a guarantee reconciled per contract year (direction by sign).
    RECONCILIATION = "reconciliation"
    # Year-end true-up of a shared-savings annual minimum or cap (direction by sign).
    SHARE_RECONCILIATION = "share_reconciliation"


class Party(StrEnum):
    INSTITUTION = "institution"
    ESCO = "esco"
    LESSOR = "lessor"


class LineSource(StrEnum):
    PROJECTED = "projected"
    ACTUAL = "actual"


@dataclass(frozen=True)
class ScheduleLine:
    """One payment: ``payer`` owes ``payee`` ``amount`` yuan (≥ 0, in fen) by ``due_date``.

    ``key`` is unique within a contract and stable across regeneration:
    ``"{source}:{component}:{kind}:{period_start}:{period_end}"`` for period lines,
    ``"{source}:{component}:true_up:{fee kind}:{adjustment reference}"`` for true-ups.
    ``basis`` is a JSON-safe dict (str/int/bool/list/dict; Decimals as strings, dates ISO)
    explaining the computation. ``contract_year`` is the year the line is earned in (a true-up:
    the year it was agreed in).
    """

    key: str
    source: LineSource
    component: str
    kind: LineKind
    contract_year: int
    period_start: date
    period_end: date
    due_date: date
    payer: Party
    payee: Party
    amount: Decimal
    basis: dict[str, Any] = field(default_factory=dict, hash=False)
    currency: str = CURRENCY

    def signed_for(self, party: Party) -> Decimal:
        """``+amount`` if ``party`` receives it, ``−amount`` if it pays, 0 otherwise."""
        if party == self.payee:
            return self.amount
        if party == self.payer:
            return -self.amount
        return ZERO


@dataclass(frozen=True)
class SavingsEstimate:
    """Estimated annual savings of one carrier, for ``contract_year`` or (None) every year.

    Spread over payment periods in proportion to the part of the year each covers.
    """

    carrier: str
    unit: str
    annual_quantity: Decimal
    contract_year: int | None = None


@dataclass(frozen=True)
class PeriodSavingsEstimate:
    """Estimated savings of one carrier in the payment period starting on ``period_start``;
    takes precedence over a :class:`SavingsEstimate` for that period and carrier."""

    period_start: date
    carrier: str
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class MvResult:
    """An accepted M&V result: verified savings per carrier over ``[period_start, period_end)``.

    ``segments``: the report's own breakdown of those savings (per month, or per day), which
    values each part at the share and price in force when it was saved; they must add up to
    ``savings`` per carrier. Without segments the totals are split by time.
    """

    period_start: date
    period_end: date
    savings: tuple[EnergyQuantity, ...]
    accepted_on: date
    segments: tuple[SavingsSegment, ...] = ()


@dataclass(frozen=True)
class LeaseInstalment:
    """One lease rent payment, split into interest and principal (all yuan, in fen)."""

    number: int
    period_start: date
    period_end: date
    due_date: date
    opening_balance: Decimal
    rent: Decimal
    interest: Decimal
    principal: Decimal
    closing_balance: Decimal


@dataclass(frozen=True)
class ComparisonRow:
    """Projected vs actual net amount paid by the institution for one year, component, kind."""

    contract_year: int
    component: str
    kind: LineKind
    projected: Decimal
    actual: Decimal

    @property
    def variance(self) -> Decimal:
        """``actual − projected``."""
        return self.actual - self.projected


# Lines of one period and component are listed in the order the kinds are declared.
KIND_ORDER = {kind: i for i, kind in enumerate(LineKind)}

_DIRECTION: dict[LineKind, tuple[Party, Party]] = {
    LineKind.SHARED_SAVINGS: (Party.INSTITUTION, Party.ESCO),
    LineKind.GUARANTEE_FEE: (Party.INSTITUTION, Party.ESCO),
    LineKind.SHORTFALL: (Party.ESCO, Party.INSTITUTION),
    LineKind.EXCESS_SHARE: (Party.INSTITUTION, Party.ESCO),
    LineKind.CUSTODY_FEE: (Party.INSTITUTION, Party.ESCO),
    LineKind.OM_FEE: (Party.INSTITUTION, Party.ESCO),
    LineKind.LEASE_RENT: (Party.INSTITUTION, Party.LESSOR),
    LineKind.LEASE_RESIDUAL: (Party.INSTITUTION, Party.LESSOR),
}


def basis_str(x: Fraction | Decimal) -> str:
    """A JSON-safe string for a basis value (exact rationals shown to 34 digits)."""
    return str(to_decimal(x) if isinstance(x, Fraction) else x)


_SCALARS = frozenset({str, int, bool, float, type(None)})


def copy_basis(value: Any) -> Any:
    """A copy of a JSON-like basis (dicts, lists and immutable scalars), as ``copy.deepcopy``
    would make it but without its memo bookkeeping (this runs once per schedule line)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k: v if type(v) in _SCALARS else copy_basis(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else copy_basis(v) for v in value]
    if kind is tuple:
        return tuple(copy_basis(v) for v in value)
    if isinstance(value, dict | list):
        return copy.deepcopy(value)
    return value


def make_line(
    *,
    source: LineSource,
    component: str,
    kind: LineKind,
    year: int,
    start: date,
    end: date,
    due: date,
    amount: Decimal,
    basis: dict[str, Any],
) -> ScheduleLine:
    """A period line with the kind's fixed direction and the standard key."""
    template = LineTemplate(
        source=source, component=component, kind=kind, year=year, amount=amount, basis=basis
    )
    return template.line(start, end, due, start.isoformat(), end.isoformat())


class LineTemplate:
    """The parts of a period line that do not depend on the period: many periods of one
    contract year get equal amounts (a monthly twelfth of an annual estimate), and a 10-year
    monthly schedule of a portfolio is hundreds of thousands of such lines.

    :meth:`line` places the template in a period. Lines placed from one template share its
    ``basis`` dict (it is read-only, as the frozen line around it: nothing in emc mutates a
    line's basis, a change is a new dict); and they skip the frozen dataclass's field-by-field
    ``__init__``, which cost more than the arithmetic of the line.
    """

    __slots__ = ("_fields", "_prefix")

    def __init__(
        self,
        *,
        source: LineSource,
        component: str,
        kind: LineKind,
        year: int,
        amount: Decimal,
        basis: dict[str, Any],
    ) -> None:
        payer, payee = _DIRECTION[kind]
        self._prefix = f"{source}:{component}:{kind}:"
        self._fields = {
            "source": source,
            "component": component,
            "kind": kind,
            "contract_year": year,
            "payer": payer,
            "payee": payee,
            "amount": amount,
            "basis": copy_basis(basis),
            "currency": CURRENCY,
        }

    def line(
        self, start: date, end: date, due: date, start_text: str, end_text: str
    ) -> ScheduleLine:
        """The line of period ``[start, end)`` (``*_text``: the dates' ISO form, for the key)."""
        fields = {
            "key": f"{self._prefix}{start_text}:{end_text}",
            "period_start": start,
            "period_end": end,
            "due_date": due,
            **self._fields,
        }
        line = _new_object(ScheduleLine)
        # Exactly the instance dict ScheduleLine.__init__ would build (same fields, values).
        _set_attribute(line, "__dict__", fields)
        return line


_new_object = object.__new__
_set_attribute = object.__setattr__


def total_amount(lines: Iterable[ScheduleLine]) -> Decimal:
    """Sum of line amounts (each already in fen), in yuan."""
    return sum((line.amount for line in lines), ZERO)


def compare_projected_actual(
    projected: Iterable[ScheduleLine], actual: Iterable[ScheduleLine]
) -> tuple[ComparisonRow, ...]:
    """Projected vs actual, per contract year, component and kind, as net amounts paid by the
    institution (a shortfall the ESCO pays is negative). Rows sorted; a key present on one side
    only compares against zero."""
    totals: dict[tuple[int, str, LineKind], list[Decimal]] = {}
    for index, lines in enumerate((projected, actual)):
        for line in lines:
            # Net paid by the institution: what it pays minus what it receives.
            amount = -line.signed_for(Party.INSTITUTION)
            slot = totals.setdefault((line.contract_year, line.component, line.kind), [ZERO, ZERO])
            slot[index] += amount
    return tuple(
        ComparisonRow(contract_year=y, component=c, kind=k, projected=v[0], actual=v[1])
        for (y, c, k), v in sorted(totals.items())
    )

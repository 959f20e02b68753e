"""Money primitives: one rounding helper, one decimal context, float conversion at the edge.

Money is ``Decimal`` yuan. A payment line is rounded to the fen (0.01 yuan) exactly once, by
:func:`round_fen`, with ``ROUND_HALF_UP`` (四舍五入, the rule finance staff apply by hand). Totals
are sums of rounded lines, never rounded sums. Between the Decimal inputs and the rounded line
the arithmetic is exact (``Fraction``): escalation powers, 1/12 of an annual amount and day
pro-rating introduce no rounding of their own. Floats appear only where a formula needs
numpy-financial (lease annuity, NPV, IRR); their results come back through
:func:`decimal_from_float` before they are rounded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from fractions import Fraction
from typing import ParamSpec, TypeVar

__all__ = [
    "CURRENCY",
    "FEN",
    "MONEY_CONTEXT",
    "ZERO",
    "decimal_from_float",
    "escalated",
    "exact",
    "to_decimal",
    "money_context",
    "round_fen",
    "round_rate",
    "round_years",
]

CURRENCY = "CNY"
FEN = Decimal("0.01")
ZERO = Decimal("0")
_RATE_QUANTUM = Decimal("0.000001")
_YEARS_QUANTUM = Decimal("0.01")

# Intermediate products (quantity × escalated price × share) are carried at 34 significant
# digits, far beyond any fen, so the only rounding that reaches a line is round_fen. Fixing the
# context here keeps results independent of whatever the caller did to the thread's context.
MONEY_CONTEXT = Context(
    prec=34,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

P = ParamSpec("P")
R = TypeVar("R")


def money_context(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` under :data:`MONEY_CONTEXT` so results do not depend on the caller's context."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(MONEY_CONTEXT):
            return func(*args, **kwargs)

    return wrapper


def round_fen(x: Decimal | Fraction | int) -> Decimal:
    """Round an amount in yuan to the fen (0.01) with ROUND_HALF_UP (halves away from zero).

    This is the only place money is rounded. Besides ``Decimal`` it takes ``int`` and the exact
    ``Fraction`` intermediates the schedules compute with (a monthly share of an annual fee is
    annual × 1/12 exactly, so a true half fen is rounded up, never lost to a 0.0833… operand);
    both are rounded exactly. ``float`` is refused with ``TypeError``: it has already lost fen.
    """
    if isinstance(x, bool) or not isinstance(x, Decimal | Fraction | int):
        raise TypeError(f"money must be Decimal, not {type(x).__name__}")
    if isinstance(x, Fraction):
        q, r = divmod(abs(x.numerator) * 100, x.denominator)
        if 2 * r >= x.denominator:
            q += 1
        return Decimal(-q if x < 0 else q).scaleb(-2, context=MONEY_CONTEXT)
    return Decimal(x).quantize(FEN, rounding=ROUND_HALF_UP, context=MONEY_CONTEXT)


def exact(x: Decimal | int) -> Fraction:
    """The exact rational value of a Decimal, for intermediates that must not be rounded."""
    return Fraction(x)


# Contracts of a portfolio share a few prices and escalation rates, and every contract year of
# every one of them asks for its price: each distinct one is computed once.
@functools.lru_cache(maxsize=4096)
def escalated(base: Decimal, escalation: Decimal, years: int) -> Fraction:
    """Exact ``base × (1 + escalation)^years`` (a price or cost ``years`` after its first year)."""
    return exact(base) * (1 + exact(escalation)) ** years


def to_decimal(x: Fraction) -> Decimal:
    """A Decimal for display in a line's basis (34 significant digits; never for a payment)."""
    return MONEY_CONTEXT.divide(Decimal(x.numerator), Decimal(x.denominator))


def round_rate(x: Decimal) -> Decimal:
    """Round a rate (IRR, a fraction per year) to 6 decimal places, ROUND_HALF_UP."""
    return x.quantize(_RATE_QUANTUM, rounding=ROUND_HALF_UP, context=MONEY_CONTEXT)


def round_years(x: Decimal) -> Decimal:
    """Round a duration in years (payback) to 0.01 year, ROUND_HALF_UP."""
    return x.quantize(_YEARS_QUANTUM, rounding=ROUND_HALF_UP, context=MONEY_CONTEXT)


def decimal_from_float(x: float) -> Decimal:
    """Bring a numpy-financial result back into Decimal through its shortest repr.

    ``Decimal(str(x))`` rather than ``Decimal(x)``: the binary expansion of a float carries
    noise digits (0.1 → 0.1000000000000000055…) that would otherwise survive into the basis.
    """
    return Decimal(str(float(x)))

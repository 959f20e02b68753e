"""What the interval, billing and register readers share: column positions, limits, cells.

Rows must be in ascending time order. Meter systems export in order; a file that is not usually
comes from pasting exports together, where overlaps are the real danger — so a row that goes
back in time is an ``out_of_order`` error and an equal timestamp a ``duplicate`` naming both rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cells import Context, show
from .model import Code, Quality

__all__ = [
    "ABSOLUTE_MAX",
    "DAY",
    "ESTIMATED",
    "FAR_PAST",
    "MEASURED",
    "REPLACED",
    "Columns",
    "Limits",
    "cell",
    "is_blank",
    "order_problem",
    "plausible",
    "reading_limit",
]

FAR_PAST = -(1 << 62)  # "previous timestamp" before the first row; fits in int64
DAY = 86400
MEASURED = Quality.MEASURED.value
ESTIMATED = Quality.ESTIMATED.value
REPLACED = Quality.REPLACED.value
# No single reading may exceed this many of the meter's units, whatever the meter: far above any
# real building (10¹² kWh is a year of a large country's power), far below float overflow, so
# sums of readings stay finite.
ABSOLUTE_MAX = 1e12


@dataclass
class Columns:
    """Where each role's cells are: ``index[role]`` and the header text ``name[role]``."""

    index: dict[str, int]
    name: dict[str, str]


class Limits:
    """Row limit, batch size and progress reporting, shared by the readers."""

    def __init__(
        self,
        ctx: Context,
        header_row: int,
        max_rows: int | None,
        batch_size: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.ctx = ctx
        self.header_row = header_row
        self.last_row = header_row + max_rows if max_rows is not None else 1 << 62
        self.max_rows = max_rows
        self.batch_size = batch_size
        self.progress = progress

    def too_many(self) -> None:
        self.ctx.fatal(
            None,
            None,
            Code.TOO_MANY_ROWS,
            f"more than {self.max_rows} data rows (the limit for one upload); split the file",
            rows=self.max_rows,
        )

    def done(self, row_no: int) -> None:
        """Record (and report) that rows up to ``row_no`` have been read."""
        self.ctx.rows_read = row_no - self.header_row
        if self.progress is not None:
            self.progress(self.ctx.rows_read)


def cell(row: Any, index: int | None) -> Any:
    """The cell at ``index``, None if the row is short or there is no such column."""
    if index is None:
        return None
    try:
        return row[index]
    except IndexError:
        return None


def is_blank(row: Any) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def order_problem(
    ctx: Context, row_no: int, column: str, value: Any, t: int, prev_t: int, prev_row: int
) -> None:
    """Report a row whose time ``t`` is not after the previous row's ``prev_t``."""
    if t == prev_t:
        ctx.problem(
            row_no,
            column,
            Code.DUPLICATE,
            f"{show(value)} repeats the timestamp of row {prev_row}",
            cell=show(value),
            other_row=prev_row,
        )
    else:
        ctx.problem(
            row_no,
            column,
            Code.OUT_OF_ORDER,
            f"{show(value)} is earlier than row {prev_row} ({ctx.clock.local_text(prev_t)}"
            " local); rows must be in ascending time order",
            cell=show(value),
            other_row=prev_row,
        )


def reading_limit(ctx: Context, seconds: float) -> float:
    """The largest plausible reading over ``seconds``: the meter's rated rate times the hours,
    never above ``ABSOLUTE_MAX``."""
    rate = ctx.spec.max_per_hour
    if rate is None:
        return ABSOLUTE_MAX
    return min(ABSOLUTE_MAX, rate * seconds / 3600)


def plausible(ctx: Context, row_no: int, column: str, value: Any, x: float, seconds: float) -> bool:
    """Whether reading ``x`` (meter unit, over ``seconds``) is finite and within the meter's
    plausible maximum; reports an ``implausible_value`` problem naming row and column if not."""
    limit = reading_limit(ctx, seconds)
    if 0.0 <= x <= limit:
        return True
    rate = ctx.spec.max_per_hour
    unit = ctx.spec.unit
    if rate is not None and x <= ABSOLUTE_MAX:
        why = (
            f"more than the meter can record in {seconds / 3600:g} h"
            f" at its rated {rate:g} {unit}/h ({limit:g} {unit})"
        )
        params = {"hours": f"{seconds / 3600:g}", "rate": f"{rate:g}", "limit": f"{limit:g}"}
        code = Code.IMPLAUSIBLE_VALUE
    else:
        why = f"not a plausible reading (the limit is {ABSOLUTE_MAX:g} {unit} a reading)"
        params = {"limit": f"{ABSOLUTE_MAX:g}"}
        code = Code.IMPLAUSIBLE_VALUE
    ctx.problem(
        row_no,
        column,
        code,
        f"{show(value)} is {why}",
        cell=show(value),
        unit=unit,
        rated=rate is not None and x <= ABSOLUTE_MAX,
        **params,
    )
    return False

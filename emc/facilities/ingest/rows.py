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
]

FAR_PAST = -(1 << 62)  # "previous timestamp" before the first row; fits in int64
DAY = 86400
MEASURED = Quality.MEASURED.value
ESTIMATED = Quality.ESTIMATED.value
REPLACED = Quality.REPLACED.value


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
        )
    else:
        ctx.problem(
            row_no,
            column,
            Code.OUT_OF_ORDER,
            f"{show(value)} is earlier than row {prev_row} ({ctx.clock.local_text(prev_t)}"
            " local); rows must be in ascending time order",
        )

"""Billing and register readers: rows of periods and of cumulative register reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from .cells import Context, show
from .clock import NonexistentTime
from .model import Batch, Code
from .rows import (
    ESTIMATED,
    FAR_PAST,
    MEASURED,
    REPLACED,
    Columns,
    Limits,
    cell,
    is_blank,
    order_problem,
    plausible,
)

__all__ = ["inclusive_ends", "read_billing", "read_register"]

# A roll-over is believed only when the previous read is in the top tenth of the register's
# range and the new one in the bottom tenth: a register wraps by counting up through its
# largest value, so a drop from the middle of the range is a misread or a swapped meter.
ROLLOVER_BAND = 0.1
# A date without a time of day, as text: 2024-01-31, 2024/1/31, 2024.1.31.
_DATE_TEXT = re.compile(r"\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*")

# Register differences are rounded to this many decimals: readings are decimal numbers printed
# with a few decimals, and 12345.6 − 12345.1 in binary floating point is 0.5000000000018.
_DIFF_DECIMALS = 6


def read_billing(
    ctx: Context, rows: Iterator[Any], cols: Columns, limits: Limits
) -> Iterator[Batch]:
    """Billing rows ``start, end, value``, periods half-open ``[start, end)``: two monthly bills
    that share a boundary date (01-15 to 02-15, 02-15 to 03-15) are contiguous.

    A file whose bills show inclusive end dates instead — a bill that ends on the day it starts,
    or consecutive bills where each starts the day after the previous one ends (2024-01-01 to
    2024-01-31, 2024-02-01 to 2024-02-29), and no bill that starts on the previous one's end
    date — is read as the utility printed it: the end date is covered, the period ends at the
    next local midnight; an ``inclusive_ends`` warning says so. An ``end`` with a time of day is
    always the exclusive end instant. Periods are at least one day, ascending and not
    overlapping; uncovered time between bills is a ``gaps`` warning; a value above the meter's
    plausible maximum for the period is an error."""
    si, ei, vi = cols.index["start"], cols.index["end"], cols.index["value"]
    qi, ui = cols.index.get("quality"), cols.index.get("unit")
    sname, ename = cols.name["start"], cols.name["end"]
    clock = ctx.clock
    starts: list[int] = []
    ends: list[int] = []
    values: list[float] = []
    quals: list[str] = []
    prev_start, prev_end, prev_row, end_row = FAR_PAST, FAR_PAST, 0, 0
    row_no = limits.header_row
    # Bills are few (a row a month): read them all first to see which end convention the file
    # uses, then check them in order.
    rows = list(rows)
    inclusive = inclusive_ends(rows, si, ei)
    if inclusive:
        ctx.note(Code.INCLUSIVE_ENDS, limits.header_row + 1)

    def bound(value: Any, column: str, inclusive_end: bool) -> tuple[int, datetime] | None:
        parsed = ctx.timestamp(value, row_no, column)
        if parsed is None:
            return None
        epoch, has_time, local = parsed
        if local is None:
            local = datetime.fromtimestamp(epoch, clock.zone).replace(tzinfo=None)
        if has_time or not inclusive_end:
            return epoch, local
        local = local + timedelta(days=1)
        try:
            return clock.epoch(local)[0], local
        except NonexistentTime as exc:
            ctx.problem(row_no, column, Code.NONEXISTENT_TIME, f"the day after {show(value)} {exc}")
            return None

    for row in rows:
        row_no += 1
        if row_no > limits.last_row:
            limits.too_many()
        if is_blank(row):
            continue
        start = bound(cell(row, si), sname, inclusive_end=False)
        end = bound(cell(row, ei), ename, inclusive_end=inclusive)
        x = ctx.number(cell(row, vi), row_no, cols.name["value"])
        x_scale = ctx.scale
        if ui is not None:
            x_scale = ctx.unit_scale(cell(row, ui), row_no, cols.name["unit"])
        q = MEASURED if qi is None else ctx.quality(cell(row, qi), row_no, cols.name["quality"])
        if start is None or end is None:
            continue
        (s, s_local), (e, e_local) = start, end
        if e <= s:
            ctx.problem(
                row_no,
                ename,
                Code.BAD_PERIOD,
                f"end {show(row[ei])} is not after start {show(row[si])}",
                start=show(row[si]),
                end=show(row[ei]),
            )
            continue
        if e_local - s_local < timedelta(days=1):
            ctx.problem(
                row_no,
                ename,
                Code.SHORT_PERIOD,
                f"the period {show(row[si])} to {show(row[ei])} is shorter than one day",
                start=show(row[si]),
                end=show(row[ei]),
            )
            continue
        if s < prev_start:
            ctx.problem(
                row_no,
                sname,
                Code.OUT_OF_ORDER,
                f"{show(row[si])} starts before the bill in row {prev_row};"
                " bills must be in ascending order of start",
            )
            continue
        if s < prev_end:
            ctx.problem(
                row_no,
                sname,
                Code.OVERLAP,
                f"the period {show(row[si])} to {show(row[ei])} overlaps the bill in row {end_row}"
                f" (which ends {clock.local_text(prev_end)} local, exclusive)",
                start=show(row[si]),
                end=show(row[ei]),
                other_row=end_row,
                other_end=clock.local_text(prev_end),
            )
            continue
        if prev_row and s > prev_end:
            ctx.gap(prev_end, s, 1)
        # The period counts for order and overlap even if its value is bad.
        prev_start, prev_row = s, row_no
        if e > prev_end:
            prev_end, end_row = e, row_no
        if x is None or x_scale is None or q is None:
            continue
        if not plausible(ctx, row_no, cols.name["value"], row[vi], x * x_scale, e - s):
            continue
        starts.append(s)
        ends.append(e)
        values.append(x * x_scale)
        quals.append(q)
        if len(starts) >= limits.batch_size:
            yield _period_batch(ctx, starts, ends, values, quals)
            limits.done(row_no)
            starts, ends, values, quals = [], [], [], []
    if starts:
        yield _period_batch(ctx, starts, ends, values, quals)
    limits.done(row_no)


def _date_only(value: Any) -> date | None:
    """The date of a cell that holds a date and no time of day, else None (silently)."""
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and (m := _DATE_TEXT.fullmatch(value)) is not None:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return None


def inclusive_ends(rows: list[Any], si: int, ei: int) -> bool:
    """Whether the bills' date-only ends read as inclusive (see :func:`read_billing`)."""
    inclusive = half_open = False
    prev_end: date | None = None
    for row in rows:
        start, end = _date_only(cell(row, si)), _date_only(cell(row, ei))
        if start is None or end is None:
            prev_end = None
            continue
        if end == start:
            inclusive = True
        if prev_end is not None:
            if start == prev_end:
                half_open = True
            elif start == prev_end + timedelta(days=1):
                inclusive = True
        prev_end = end
    return inclusive and not half_open


def _period_batch(
    ctx: Context, starts: list[int], ends: list[int], values: list[float], quals: list[str]
) -> Batch:
    if ctx.first_start is None:
        ctx.first_start = starts[0]
    ctx.last_end = ends[-1] if ctx.last_end is None else max(ctx.last_end, max(ends))
    ctx.readings += len(starts)
    return Batch(starts, ends, values, quals)


# ------------------------------------------------------------------------------------ register


def read_register(
    ctx: Context, rows: Iterator[Any], cols: Columns, limits: Limits
) -> Iterator[Batch]:
    """Register reads ``timestamp, reading``: consecutive reads are differenced into the
    consumption of ``[t_prev, t)`` (reads need not be on a grid). A lower reading is a rollover
    when the meter has ``rollover`` set (``reading + rollover − previous``), else an error. A
    read with quality ``replaced`` is the first read of a new meter: it starts a new base and no
    consumption is attributed across it. A difference is ``estimated`` when either read is."""
    ti, ri = cols.index["timestamp"], cols.index["reading"]
    qi, ui = cols.index.get("quality"), cols.index.get("unit")
    tname, rname = cols.name["timestamp"], cols.name["reading"]
    rollover = ctx.spec.rollover
    multiplier = ctx.spec.multiplier
    # Readings are converted to the meter's unit before differencing; the multiplier applies to
    # the difference.
    unit_only = ctx.scale / multiplier
    starts: list[int] = []
    ends: list[int] = []
    values: list[float] = []
    quals: list[str] = []
    prev_t, prev_row = FAR_PAST, 0
    # The read consumption is measured from: (t, reading, unit factor, quality, row, cell).
    base: tuple[int, float, float, str, int, Any] | None = None
    row_no = limits.header_row
    for row in rows:
        row_no += 1
        if row_no > limits.last_row:
            limits.too_many()
        if is_blank(row):
            continue
        parsed = ctx.timestamp(cell(row, ti), row_no, tname, prev_t if prev_t != FAR_PAST else None)
        reading = ctx.number(cell(row, ri), row_no, rname, what="reading")
        factor = unit_only
        if ui is not None:
            factor = ctx.unit_scale(cell(row, ui), row_no, cols.name["unit"])
            factor = None if factor is None else factor / multiplier
        q = MEASURED if qi is None else ctx.quality(cell(row, qi), row_no, cols.name["quality"])
        if parsed is None:
            continue
        t = parsed[0]
        if t <= prev_t:
            order_problem(ctx, row_no, tname, row[ti], t, prev_t, prev_row)
            continue
        prev_t, prev_row = t, row_no
        if reading is None or factor is None or q is None:
            base = None  # no difference can be taken across an unreadable read
            continue
        if rollover is not None and reading >= rollover:
            ctx.problem(
                row_no,
                rname,
                Code.READING_EXCEEDS_ROLLOVER,
                f"reading {show(row[ri])} is not below the register's rollover value {rollover:g}",
                cell=show(row[ri]),
                rollover=f"{rollover:g}",
            )
            base = None
            continue
        if q == REPLACED:
            if base is not None:
                ctx.note(Code.METER_REPLACED, row_no)
            base = (t, reading, factor, MEASURED, row_no, row[ri])
            continue
        if base is None:
            base = (t, reading, factor, q, row_no, row[ri])
            continue
        b_t, b_reading, b_factor, b_q, b_row, b_cell = base
        diff = reading * factor - b_reading * b_factor
        if diff < 0:
            if rollover is None:
                ctx.problem(
                    row_no,
                    rname,
                    Code.REGISTER_DECREASE,
                    f"reading {show(row[ri])} is lower than the previous reading"
                    f" {show(b_cell)} in row {b_row}; if the meter was replaced,"
                    ' mark this row\'s quality "replaced"; if the register rolled over, set the'
                    " meter's rollover value",
                    cell=show(row[ri]),
                    other_row=b_row,
                )
                base = (t, reading, factor, q, row_no, row[ri])
                continue
            top, bottom = rollover * (1 - ROLLOVER_BAND), rollover * ROLLOVER_BAND
            if b_reading < top or reading > bottom:
                ctx.problem(
                    row_no,
                    rname,
                    Code.REGISTER_DECREASE,
                    f"reading {show(row[ri])} is lower than the previous reading {show(b_cell)}"
                    f" in row {b_row}, and is not a roll-over: a register of {rollover:g} wraps"
                    f" from at least {top:g} to at most {bottom:g}; if the meter was replaced,"
                    ' mark this row\'s quality "replaced"',
                    cell=show(row[ri]),
                    other_row=b_row,
                )
                base = (t, reading, factor, q, row_no, row[ri])
                continue
            diff += rollover * factor
            ctx.note(Code.ROLLOVER, row_no)
        if not plausible(
            ctx, row_no, rname, row[ri], round(diff, _DIFF_DECIMALS) * multiplier, t - b_t
        ):
            base = (t, reading, factor, q, row_no, row[ri])
            continue
        starts.append(b_t)
        ends.append(t)
        values.append(round(diff, _DIFF_DECIMALS) * multiplier)
        quals.append(ESTIMATED if ESTIMATED in (q, b_q) else MEASURED)
        base = (t, reading, factor, q, row_no, row[ri])
        if len(starts) >= limits.batch_size:
            yield _period_batch(ctx, starts, ends, values, quals)
            limits.done(row_no)
            starts, ends, values, quals = [], [], [], []
    if starts:
        yield _period_batch(ctx, starts, ends, values, quals)
    limits.done(row_no)

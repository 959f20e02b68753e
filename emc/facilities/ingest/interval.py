"""The interval reader: ``timestamp, value[, quality][, unit]`` rows into batches.

The timestamp is the interval start and must lie on the meter's local grid; gaps are warnings.

Speed is the point of this module (a year of 15-minute data is 35,040 rows; a building's
history is millions), so each row takes the first of these paths that applies:

1. Cached ISO parts: the timestamp is the cached epoch of its day part (``"2024-01-01"`` →
   local midnight) plus the cached seconds of its time part (``" 00:15"``), the value a plain
   ``float``. No function calls beyond that; about a microsecond a row with the CSV reader.
2. Cached parts of other ``date time`` spellings (``2024/1/1 0:15``) and Excel datetimes.
3. :func:`slow`: every rule, with a message for every problem in the row; it fills the caches.

(A column-at-a-time variant with numpy was measured and was slower than path 1.)

The caches only ever hold parts of timestamps that passed the full rules, and only for days
with a single UTC offset, so that a cached day part plus a cached time part always means the
instant the full parser would give.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from .cells import QUALITY_NAMES, Context, show
from .clock import Clock
from .model import Batch, Code
from .rows import (
    DAY,
    FAR_PAST,
    MEASURED,
    Columns,
    Limits,
    cell,
    is_blank,
    order_problem,
    plausible,
    reading_limit,
)

__all__ = ["read_interval"]

_INF = math.inf
# ISO text whose day part (first 10 characters) and time part (the rest) are cached: YYYY-MM-DD,
# a space or T, HH:MM and optional :SS, nothing else.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")
# Other "date time" text whose parts are cached separately, split at the first space.
_SPLITTABLE = re.compile(r"(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})( +\d{1,2}:\d{2}(?::\d{2})?)")


class _State:
    """Where reading has got to; shared by the paths, kept in locals inside the loops."""

    __slots__ = ("prev_row", "prev_t", "quals", "row_no", "starts", "values")

    def __init__(self, row_no: int) -> None:
        self.prev_t = FAR_PAST
        self.prev_row = 0
        self.row_no = row_no
        self.starts: list[int] = []
        self.values: list[float] = []
        self.quals: list[str] = []


def read_interval(
    ctx: Context, rows: Iterator[Any], cols: Columns, limits: Limits
) -> Iterator[Batch]:
    """Read interval rows; yields batches of at most ``limits.batch_size`` readings."""
    spec = ctx.spec
    minutes = spec.interval_minutes
    step = minutes * 60
    ti, vi = cols.index["timestamp"], cols.index["value"]
    qi, ui = cols.index.get("quality"), cols.index.get("unit")
    tname = cols.name["timestamp"]
    vname = cols.name["value"]
    # The largest plausible value of one interval (finite, so inf and overflow fail it too).
    limit = reading_limit(ctx, step)
    scale = ctx.scale
    clock = ctx.clock
    batch_size = limits.batch_size
    per_row = qi is not None or ui is not None
    days: dict[str, int] = {}
    times: dict[str, int] = {}
    days2: dict[str, int] = {}
    times2: dict[str, int] = {}
    qualities = {k: v.value for k, v in QUALITY_NAMES.items()}
    state = _State(limits.header_row)

    def quick_time(ts: Any) -> int | None:
        if type(ts) is str:
            i = ts.find(" ")
            if i > 0:
                base = days2.get(ts[:i])
                if base is not None:
                    seconds = times2.get(ts[i:])
                    if seconds is not None:
                        return base + seconds
        elif type(ts) is datetime and ts.tzinfo is None and not ts.microsecond:
            seconds = ts.hour * 3600 + ts.minute * 60 + ts.second
            if not seconds % step:
                base = clock.midnight(ts.date())
                if base is not None:
                    return base + seconds
        return None

    def slow(row: Any, row_no: int, after: int) -> tuple[int, float, str] | None:
        """Every rule for one row, reporting every problem in it; None if it has any."""
        ts = cell(row, ti)
        t = quick_time(ts)
        ok = True
        if t is None:
            if is_blank(row):
                return None
            parsed = ctx.timestamp(ts, row_no, tname, after if after != FAR_PAST else None)
            if parsed is None:
                ok = False
            elif not parsed[1] and step < DAY and isinstance(ts, str | date):
                # A date alone on a 15-minute or hourly meter: which interval is it? Storing it
                # as the day's first interval would put a day's use into one interval.
                ok = False
                ctx.problem(
                    row_no,
                    tname,
                    Code.DATE_ONLY,
                    f"{show(ts)} has no time of day; a {minutes}-minute meter needs the start"
                    " time of each interval",
                    cell=show(ts),
                    minutes=minutes,
                )
            else:
                t, _, local = parsed
                seconds = (
                    local.hour * 3600 + local.minute * 60 + local.second
                    if local is not None
                    else clock.local_seconds_of_day(t)
                )
                if seconds % step:
                    ok = False
                    _off_grid(ctx, row_no, tname, ts, minutes)
                elif local is not None and isinstance(ts, str):
                    _remember(clock, ts, local, seconds, days, times, days2, times2)
        x_scale = scale
        if ui is not None:
            x_scale = ctx.unit_scale(cell(row, ui), row_no, cols.name["unit"])
            ok = ok and x_scale is not None
        v = cell(row, vi)
        try:
            if type(v) is bool:
                raise TypeError
            x = float(v)
            if not 0.0 <= x < _INF:
                raise ValueError
        except (TypeError, ValueError):
            x = ctx.number(v, row_no, cols.name["value"])
        q = MEASURED
        if qi is not None:
            q = ctx.quality(cell(row, qi), row_no, cols.name["quality"])
        if not ok or x is None or q is None or x_scale is None:
            return None
        if not plausible(ctx, row_no, vname, v, x * x_scale, step):
            return None
        return t, x * x_scale, q

    def gap(prev_t: int, t: int) -> None:
        missing = round((t - prev_t) / step) - 1
        if missing > 0:
            ctx.gap(prev_t + step, t, missing)

    def by_row(rows: Iterable[Any]) -> Iterator[Batch]:
        """Row at a time, cached day and time parts first, :func:`slow` for anything else."""
        prev_t, prev_row, row_no = state.prev_t, state.prev_row, state.row_no
        starts, values, quals = state.starts, state.values, state.quals
        # Closure variables and bound methods as locals: the loop below runs once per row.
        days_, times_, scale_, step_, ti_, vi_ = days, times, scale, step, ti, vi
        add_start, add_value, limit_ = starts.append, values.append, limit
        # The batch size and row limit can only be reached at check_at or later: each row adds
        # at most one reading.
        check_at = row_no + min(batch_size - len(starts), limits.last_row - row_no + 1)
        for row in rows:
            row_no += 1
            try:
                ts = row[ti_]
                t = days_[ts[:10]] + times_[ts[10:]]
                x = float(row[vi_]) * scale_
                if not 0.0 <= x <= limit_ or ui is not None:
                    raise ValueError
                q = MEASURED if qi is None else qualities[row[qi]]
            except (KeyError, ValueError, TypeError, IndexError):
                parsed = slow(row, row_no, prev_t)
                if parsed is None:
                    continue
                t, x, q = parsed
            if t - prev_t != step_:
                if t <= prev_t:
                    order_problem(ctx, row_no, tname, cell(row, ti), t, prev_t, prev_row)
                    continue
                if prev_row:
                    gap(prev_t, t)
            prev_t, prev_row = t, row_no
            add_start(t)
            add_value(x)
            if per_row:
                quals.append(q)
            if row_no >= check_at:
                if row_no > limits.last_row:
                    limits.too_many()
                if len(starts) >= batch_size:
                    state.prev_t, state.prev_row, state.row_no = prev_t, prev_row, row_no
                    yield from flush()
                    starts, values, quals = state.starts, state.values, state.quals
                    add_start, add_value = starts.append, values.append
                check_at = row_no + min(batch_size - len(starts), limits.last_row - row_no + 1)
        state.prev_t, state.prev_row, state.row_no = prev_t, prev_row, row_no

    def flush(final: bool = False) -> Iterator[Batch]:
        while len(state.starts) >= batch_size or (final and state.starts):
            starts, values, quals = state.starts, state.values, state.quals
            if len(starts) > batch_size:  # only ever by a row's worth; hand over whole lists
                state.starts, state.values = starts[batch_size:], values[batch_size:]
                state.quals = quals[batch_size:]
                del starts[batch_size:], values[batch_size:], quals[batch_size:]
            else:
                state.starts, state.values, state.quals = [], [], []
            if not per_row:
                quals = [MEASURED] * len(starts)
            if ctx.first_start is None:
                ctx.first_start = starts[0]
            ctx.last_end = starts[-1] + step
            ctx.readings += len(starts)
            yield Batch(starts, None, values, quals)
            if not final:
                limits.done(state.row_no)

    yield from by_row(rows)
    yield from flush(final=True)
    limits.done(state.row_no)


def _off_grid(ctx: Context, row_no: int, column: str, value: Any, minutes: int) -> None:
    if minutes == DAY // 60:
        rule = "daily intervals start at local midnight"
    else:
        rule = f"interval starts are multiples of {minutes} minutes past local midnight"
    ctx.problem(
        row_no,
        column,
        Code.OFF_GRID,
        f"{show(value)} is not on the {minutes}-minute grid ({rule})",
        cell=show(value),
        minutes=minutes,
    )


def _remember(
    clock: Clock,
    text: str,
    local: datetime,
    seconds: int,
    days: dict[str, int],
    times: dict[str, int],
    days2: dict[str, int],
    times2: dict[str, int],
) -> None:
    """Cache the day and time parts of timestamp text that passed every rule, if its day has a
    single UTC offset (so that day part + time part always means the same instant)."""
    midnight = clock.midnight(local.date())
    if midnight is None:
        return
    if _ISO.fullmatch(text):
        days[text[:10]] = midnight
        times[text[10:]] = seconds
    elif (m := _SPLITTABLE.fullmatch(text)) is not None:
        days2[m.group(1)] = midnight
        times2[m.group(2)] = seconds

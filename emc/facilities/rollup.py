"""Daily totals of meter readings, kept in ``meter_daily_totals`` so that charts and M&V read
days, not 15-minute rows.

A row ``(meter_id, local_day, total, readings)`` holds the sum and count of the meter's readings
whose period **starts** on that local day of the meter's site (``local_day`` counts days from
1970-01-01), exactly what the raw aggregate :func:`raw_day_rows` returns for the day. The table
is written only here, inside the transaction that changes the readings:

* an upload owns ``[first, last)``, so each local day lying wholly inside it is written from
  the totals of the uploaded batches (:class:`DayTotals`, computed with numpy while parsing);
* the days at its edges, and the days of stored readings it replaced, are recomputed from the
  raw rows (:func:`refresh`), since they may also hold readings of earlier uploads;
* a change of a site's timezone moves every day boundary: :func:`rebuild` redoes its meters.

Reading (:func:`day_rows`) takes whole days from the table and the partial days at the ends of
a range from the raw rows, so it answers exactly as :func:`raw_day_rows` does (up to the order
in which floating-point values were added).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from emc.facilities.models import MeterDailyTotal

__all__ = [
    "DayTotals",
    "day_rows",
    "drifted",
    "fixed_offset",
    "midnight",
    "raw_day_rows",
    "rebuild",
    "refresh",
    "save",
]

DAY = 86400
_EPOCH_DAY = dt.date(1970, 1, 1)


def _utc(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def fixed_offset(zone_name: str, lo: int, hi: int) -> int | None:
    """The zone's UTC offset in seconds if it is the same throughout ``[lo, hi]``, else None.

    Checked at both ends and at every 1 January and 1 July in between, which catches DST and
    standard-offset changes (they happen at most twice a year).
    """
    zone = ZoneInfo(zone_name)
    instants = [lo, hi]
    for year in range(_utc(lo).year, _utc(hi).year + 1):
        for month in (1, 7):
            instants.append(int(dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp()))
    offsets = {
        int(dt.datetime.fromtimestamp(t, zone).utcoffset().total_seconds())
        for t in instants
        if lo <= t <= hi or t in (lo, hi)
    }
    return offsets.pop() if len(offsets) == 1 else None


def midnight(day: dt.date, zone: ZoneInfo) -> int:
    """Epoch seconds of the local midnight that starts ``day`` in ``zone``."""
    return int(dt.datetime.combine(day, dt.time(), zone).timestamp())


def _local_date(epoch: int, zone: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(epoch, zone).date()


def _whole_days(lo: int, hi: int, zone: ZoneInfo) -> tuple[int, int]:
    """``[first midnight ≥ lo, last midnight ≤ hi]`` as epochs (first > last: no whole day)."""
    day = _local_date(lo, zone)
    first = midnight(day, zone)
    if first < lo:
        first = midnight(day + dt.timedelta(days=1), zone)
    last = midnight(_local_date(hi, zone), zone)
    if last > hi:
        last = midnight(_local_date(hi, zone) - dt.timedelta(days=1), zone)
    return first, last


def raw_day_rows(
    session: Session, meter_id: int, zone: str, lo: int, hi: int
) -> list[tuple[dt.date, float, int]]:
    """(local day, total, readings) per day with readings in ``[lo, hi)``, from the raw rows."""
    if hi <= lo:
        return []
    offset = fixed_offset(zone, lo, hi)
    params = {"m": meter_id, "lo": lo, "hi": hi}
    if offset is not None:
        params["off"] = offset
        rows = session.execute(
            text(
                "SELECT (start_ts + :off) / 86400 AS d, sum(value), count(*) FROM meter_readings"
                " WHERE meter_id = :m AND start_ts >= :lo AND start_ts < :hi"
                " GROUP BY 1 ORDER BY 1"
            ),
            params,
        ).all()
        return [(_EPOCH_DAY + dt.timedelta(days=int(d)), float(t), int(n)) for d, t, n in rows]
    tz = ZoneInfo(zone)
    whole_hours = all(
        int(dt.datetime.fromtimestamp(t, tz).utcoffset().total_seconds()) % 3600 == 0
        for t in range(lo, hi, 30 * DAY)
    )
    params["b"] = 3600 if whole_hours else 900
    buckets = session.execute(
        text(
            "SELECT (start_ts / :b) * :b AS h, sum(value), count(*) FROM meter_readings"
            " WHERE meter_id = :m AND start_ts >= :lo AND start_ts < :hi"
            " GROUP BY 1 ORDER BY 1"
        ),
        params,
    ).all()
    days: dict[dt.date, list] = {}
    for h, t, n in buckets:
        day = dt.datetime.fromtimestamp(int(h), tz).date()
        acc = days.setdefault(day, [0.0, 0])
        acc[0] += float(t)
        acc[1] += int(n)
    return [(d, t, n) for d, (t, n) in sorted(days.items())]


def day_rows(
    session: Session, meter_id: int, zone: str, lo: int, hi: int
) -> list[tuple[dt.date, float, int]]:
    """(local day, total, readings) per day with readings in ``[lo, hi)``: whole days from the
    rollup table, the partial days at either end from the raw rows."""
    tz = ZoneInfo(zone)
    first, last = _whole_days(lo, hi, tz)
    if first >= last:
        return raw_day_rows(session, meter_id, zone, lo, hi)
    d0 = (_local_date(first, tz) - _EPOCH_DAY).days
    d1 = (_local_date(last, tz) - _EPOCH_DAY).days
    table = MeterDailyTotal.__table__
    stored = session.execute(
        select(table.c.local_day, table.c.total, table.c.readings)
        .where(table.c.meter_id == meter_id, table.c.local_day >= d0, table.c.local_day < d1)
        .order_by(table.c.local_day)
    ).all()
    middle = [(_EPOCH_DAY + dt.timedelta(days=d), float(t), int(n)) for d, t, n in stored]
    return (
        raw_day_rows(session, meter_id, zone, lo, first)
        + middle
        + raw_day_rows(session, meter_id, zone, last, hi)
    )


def drifted(session: Session, meter_id: int, zone: str, lo: int, hi: int) -> bool:
    """Whether the rollup of ``[lo, hi)`` disagrees with the raw rows: a count differs, or a
    total by more than floating-point summation order explains (relative 1e-9). Integrity
    checks (has the evidence under a baseline changed?) ask this, since a raw row changed
    around the services (a repair in the database) does not reach the rollup."""
    raw = raw_day_rows(session, meter_id, zone, lo, hi)
    rolled = day_rows(session, meter_id, zone, lo, hi)
    if [(d, n) for d, _t, n in raw] != [(d, n) for d, _t, n in rolled]:
        return True
    return any(
        abs(a - b) > 1e-9 * max(abs(a), abs(b), 1.0)
        for (_d, a, _n), (_e, b, _m) in zip(raw, rolled, strict=True)
    )


class DayTotals:
    """Totals per local day of the batches of one upload, accumulated with numpy."""

    def __init__(self, zone: str) -> None:
        self._zone = ZoneInfo(zone)
        self.totals: dict[int, list] = {}

    def add(self, start: Sequence[int], value: Sequence[float]) -> None:
        import numpy as np  # only where readings are uploaded: the web app starts without it

        """Add a batch (UTC epoch starts, values); starts are ascending."""
        if not len(start):
            return
        starts = np.asarray(start, dtype=np.int64)
        d0 = _local_date(int(starts[0]), self._zone) - dt.timedelta(days=1)
        d1 = _local_date(int(starts[-1]), self._zone) + dt.timedelta(days=2)
        n_days = (d1 - d0).days
        midnights = np.array(
            [midnight(d0 + dt.timedelta(days=i), self._zone) for i in range(n_days)],
            dtype=np.int64,
        )
        index = np.searchsorted(midnights, starts, side="right") - 1
        sums = np.bincount(index, weights=np.asarray(value, dtype=np.float64), minlength=n_days)
        counts = np.bincount(index, minlength=n_days)
        base = (d0 - _EPOCH_DAY).days
        for i in np.flatnonzero(counts):
            acc = self.totals.setdefault(base + int(i), [0.0, 0])
            acc[0] += float(sums[i])
            acc[1] += int(counts[i])


def refresh(session: Session, meter_id: int, zone: str, lo: int, hi: int) -> None:
    """Recompute from the raw rows every local day that ``[lo, hi)`` touches."""
    if hi <= lo:
        return
    tz = ZoneInfo(zone)
    day_lo = _local_date(lo, tz)
    day_hi = _local_date(hi - 1, tz) + dt.timedelta(days=1)
    lo, hi = midnight(day_lo, tz), midnight(day_hi, tz)
    table = MeterDailyTotal.__table__
    session.execute(
        delete(table).where(
            table.c.meter_id == meter_id,
            table.c.local_day >= (day_lo - _EPOCH_DAY).days,
            table.c.local_day < (day_hi - _EPOCH_DAY).days,
        )
    )
    rows = [
        {"meter_id": meter_id, "local_day": (d - _EPOCH_DAY).days, "total": t, "readings": n}
        for d, t, n in raw_day_rows(session, meter_id, zone, lo, hi)
    ]
    if rows:
        session.execute(insert(table), rows)


def save(
    session: Session,
    meter_id: int,
    zone: str,
    totals: DayTotals,
    lo: int,
    hi: int,
    changed: Sequence[tuple[int, int]] = (),
) -> None:
    """Write the totals of an upload that owns ``[lo, hi)``: its whole days from ``totals``,
    its partial edge days and the ``changed`` ranges (replaced readings) from the raw rows."""
    tz = ZoneInfo(zone)
    first, last = _whole_days(lo, hi, tz)
    table = MeterDailyTotal.__table__
    if first < last:
        d0 = (_local_date(first, tz) - _EPOCH_DAY).days
        d1 = (_local_date(last, tz) - _EPOCH_DAY).days
        session.execute(
            delete(table).where(
                table.c.meter_id == meter_id, table.c.local_day >= d0, table.c.local_day < d1
            )
        )
        rows = [
            {"meter_id": meter_id, "local_day": d, "total": t, "readings": n}
            for d, (t, n) in sorted(totals.totals.items())
            if d0 <= d < d1
        ]
        if rows:
            session.execute(insert(table), rows)
        edges = [(lo, first), (last, hi)]
    else:
        edges = [(lo, hi)]
    for a, b in [*edges, *changed]:
        refresh(session, meter_id, zone, a, b)


def rebuild(session: Session, meter_id: int, zone: str) -> None:
    """Recompute every day of a meter (after its site's timezone changed)."""
    bounds = session.execute(
        text("SELECT min(start_ts), max(start_ts) FROM meter_readings WHERE meter_id = :m"),
        {"m": meter_id},
    ).one()
    table = MeterDailyTotal.__table__
    session.execute(delete(table).where(table.c.meter_id == meter_id))
    if bounds[0] is not None:
        refresh(session, meter_id, zone, int(bounds[0]), int(bounds[1]) + 1)

"""Inputs of the nightly watch, loaded set-based: meters with their site's station and UTC
offset, the daily use of every meter and the daily mean temperature of every station from one
grouped SQL query per :data:`BATCH` ids (never a query per project or day), and the watch
records of a batch of projects (events, snapshot ids, accepted reports) in a few queries.

Days are numbered from 1970-01-01 in the meter's local (fixed-offset) time; a day series is a
numpy array over a half-open ``[start, end)`` with ``nan`` for a missing day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from emc.facilities.ingest import MeterKind
from emc.facilities.models import Meter, Site
from emc.facilities.rollup import fixed_offset
from emc.mv.models import MvReport, ReportStatus
from emc.watch.models import SuspectedEvent, WarningKind, WatchSnapshot, WatchWarning

DAY = 86400
EPOCH = dt.date(1970, 1, 1)
# Ids per grouped query, and projects per batch of the nightly run.
BATCH = 500

_USE_SQL = text(
    "SELECT meter_id, (start_ts + :off) / 86400 AS d, sum(value), count(*)"
    " FROM meter_readings WHERE meter_id IN :ids AND start_ts >= :lo AND start_ts < :hi"
    " GROUP BY meter_id, (start_ts + :off) / 86400"
).bindparams(bindparam("ids", expanding=True))
_TEMPERATURE_SQL = text(
    "SELECT station_id, (start_ts + :off) / 86400 AS d, avg(temperature_c), count(*)"
    " FROM temperature_readings WHERE station_id IN :ids AND start_ts >= :lo"
    " AND start_ts < :hi GROUP BY station_id, (start_ts + :off) / 86400"
).bindparams(bindparam("ids", expanding=True))


def _epoch(day: dt.date, offset: int) -> int:
    """The UTC instant (epoch seconds) of local midnight starting ``day`` at ``offset``."""
    return (day - EPOCH).days * DAY - offset


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def _grouped(session: Session, stmt, ids: list[int], offset: int, start: dt.date, end: dt.date):
    """Rows ``(id, day number, value, count)`` of ``stmt`` for ``ids``, :data:`BATCH` at a time."""
    for i in range(0, len(ids), BATCH):
        yield from session.execute(
            stmt,
            {
                "ids": ids[i : i + BATCH],
                "off": offset,
                "lo": _epoch(start, offset),
                "hi": _epoch(end, offset),
            },
        ).all()


def daily_use(
    session: Session, meters: list[tuple[int, int, int]], offset: int, start: dt.date, end: dt.date
) -> dict[int, dict[int, float]]:
    """Use per meter and local day number (days since 1970-01-01) over ``[start, end)`` for
    ``meters`` ``[(meter_id, readings expected per day or 0, ...)]`` of one UTC offset, in
    grouped queries of :data:`BATCH` meters. An interval meter's day with fewer readings than
    the day holds is left out (missing)."""
    expected = {m: n for m, n, _ in meters}
    out: dict[int, dict[int, float]] = defaultdict(dict)
    for meter_id, d, total, count in _grouped(
        session, _USE_SQL, sorted(expected), offset, start, end
    ):
        if count >= expected[meter_id]:
            out[meter_id][int(d)] = float(total)
    return out


def daily_temperatures(
    session: Session, stations: list[int], offset: int, start: dt.date, end: dt.date
) -> dict[int, dict[int, float]]:
    """Mean temperature (°C) per station and local day number over ``[start, end)``."""
    out: dict[int, dict[int, float]] = defaultdict(dict)
    for station, d, t, _count in _grouped(session, _TEMPERATURE_SQL, stations, offset, start, end):
        out[station][int(d)] = float(t)
    return out


def _day_arrays(rows, ids: list[int], start: dt.date, end: dt.date, minimum=None):
    """``{id: array over [start, end)}`` from grouped rows, ``nan`` where a day has no row (or
    fewer readings than ``minimum[id]``), scattered with numpy rather than row by row."""
    first, n = day_number(start), (end - start).days
    table = np.full((len(ids), n), np.nan)
    if rows:
        cols = list(zip(*rows, strict=True))
        who = np.asarray(cols[0], dtype=np.int64)
        day = np.asarray(cols[1], dtype=np.int64) - first
        value = np.asarray(cols[2], dtype=float)
        order = np.asarray(ids, dtype=np.int64)
        row = np.searchsorted(order, who)
        keep = (day >= 0) & (day < n)
        if minimum is not None:
            need = np.asarray([minimum[i] for i in ids], dtype=np.int64)
            keep &= np.asarray(cols[3], dtype=np.int64) >= need[row]
        table[row[keep], day[keep]] = value[keep]
    return {i: table[k] for k, i in enumerate(ids)}


def _grouped_raw(
    session: Session, sql: str, ids: list[int], offset: int, start: dt.date, end: dt.date
) -> np.ndarray:
    """As :func:`_grouped`, as one float array of shape (rows, 4), fetched on the driver's
    cursor: hundreds of thousands of rows a batch would otherwise each become a Row object.
    Every value in the SQL is an integer written by ``int()``, so the statement is complete
    without bound parameters and the same on every driver."""
    off, lo, hi = int(offset), _epoch(start, offset), _epoch(end, offset)
    parts = []
    cursor = session.connection().connection.cursor()
    try:
        for i in range(0, len(ids), BATCH):
            chunk = ",".join(str(int(x)) for x in ids[i : i + BATCH])
            cursor.execute(sql.format(off=off, lo=int(lo), hi=int(hi), ids=chunk))
            rows = cursor.fetchall()
            if rows:
                parts.append(np.array(rows, dtype=float))
    finally:
        cursor.close()
    return np.concatenate(parts) if parts else np.empty((0, 4))


_USE_RAW = (
    "SELECT meter_id, (start_ts + {off}) / 86400, sum(value), count(*) FROM meter_readings"
    " WHERE meter_id IN ({ids}) AND start_ts >= {lo} AND start_ts < {hi}"
    " GROUP BY meter_id, (start_ts + {off}) / 86400"
)
_TEMPERATURE_RAW = (
    "SELECT station_id, (start_ts + {off}) / 86400, avg(temperature_c), count(*)"
    " FROM temperature_readings WHERE station_id IN ({ids}) AND start_ts >= {lo}"
    " AND start_ts < {hi} GROUP BY station_id, (start_ts + {off}) / 86400"
)


def _day_arrays(rows: np.ndarray, ids: list[int], start: dt.date, end: dt.date, minimum=None):
    """``{id: array over [start, end)}`` from grouped rows ``(id, day, value, count)``, ``nan``
    where a day has no row (or fewer readings than ``minimum[id]``)."""
    first, n = day_number(start), (end - start).days
    table = np.full((len(ids), n), np.nan)
    if rows.size:
        row = np.searchsorted(np.asarray(ids, dtype=np.int64), rows[:, 0].astype(np.int64))
        day = rows[:, 1].astype(np.int64) - first
        keep = (day >= 0) & (day < n)
        if minimum is not None:
            need = np.asarray([minimum[i] for i in ids], dtype=float)
            keep &= rows[:, 3] >= need[row]
        table[row[keep], day[keep]] = rows[keep, 2]
    return {i: table[k] for k, i in enumerate(ids)}


def daily_use_arrays(
    session: Session, meters: list[MeterInfo], offset: int, start: dt.date, end: dt.date
) -> dict[int, np.ndarray]:
    """As :func:`daily_use`, one array per meter over ``[start, end)``."""
    ids = sorted({m.id for m in meters})
    per_day = {m.id: m.per_day for m in meters}
    return _day_arrays(
        _grouped_raw(session, _USE_RAW, ids, offset, start, end), ids, start, end, per_day
    )


def daily_temperature_arrays(
    session: Session, stations: list[int], offset: int, start: dt.date, end: dt.date
) -> dict[int, np.ndarray]:
    """As :func:`daily_temperatures`, one array per station over ``[start, end)``."""
    ids = sorted(set(stations))
    return _day_arrays(
        _grouped_raw(session, _TEMPERATURE_RAW, ids, offset, start, end), ids, start, end
    )


@dataclass(frozen=True)
class MeterInfo:
    """What the watch needs of a meter: its unit and carrier, its site's station and zone, and
    the readings a complete day holds (1 for a daily or register meter)."""

    id: int
    unit: str
    carrier: str
    station_id: int | None
    timezone: str
    per_day: int


def load_meters(session: Session, meter_ids: list[int]) -> dict[int, MeterInfo]:
    """The meters of ``meter_ids`` with their sites, :data:`BATCH` at a time."""
    out: dict[int, MeterInfo] = {}
    for i in range(0, len(meter_ids), BATCH):
        for meter, site in session.execute(
            select(Meter, Site)
            .join(Site, Site.id == Meter.site_id)
            .where(Meter.id.in_(meter_ids[i : i + BATCH]))
        ):
            step = (meter.interval_minutes or 0) * 60
            per_day = DAY // step if meter.kind is MeterKind.INTERVAL and step else 1
            out[meter.id] = MeterInfo(
                meter.id,
                meter.unit,
                str(meter.carrier),
                site.weather_station_id,
                site.timezone,
                per_day,
            )
    return out


def utc_offsets(meters, lo: dt.date, today: dt.date) -> dict[int, int]:
    """Each meter's fixed UTC offset over ``[lo, today)`` (a zone with DST falls back to its
    offset at the start)."""
    out: dict[int, int] = {}
    for m in meters:
        off = fixed_offset(m.timezone, _epoch(lo, 0), _epoch(today, 0))
        if off is None:
            zone = ZoneInfo(m.timezone)
            off = int(dt.datetime.combine(lo, dt.time(), zone).utcoffset().total_seconds())
        out[m.id] = off
    return out


@dataclass
class BatchRecords:
    """The watch records of a batch of projects: suspected events (ORM rows, updated in
    place), the ids of existing snapshots, and accepted reports as
    ``(period_start, period_end, results)``."""

    events: dict[int, list[SuspectedEvent]] = field(default_factory=dict)
    snapshot_ids: dict[int, int] = field(default_factory=dict)
    accepted: dict[int, list[tuple[dt.date, dt.date, list[dict[str, Any]]]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def batch_records(session: Session, project_ids: list[int]) -> BatchRecords:
    """Events, snapshot ids and accepted reports of ``project_ids`` in one query each."""
    out = BatchRecords(events={pid: [] for pid in project_ids})
    for row in session.scalars(
        select(SuspectedEvent)
        .where(SuspectedEvent.project_id.in_(project_ids))
        .order_by(SuspectedEvent.id)
    ):
        out.events[row.project_id].append(row)
    out.snapshot_ids = dict(
        session.execute(
            select(WatchSnapshot.project_id, WatchSnapshot.id).where(
                WatchSnapshot.project_id.in_(project_ids)
            )
        ).all()
    )
    for pid, lo, hi, results in session.execute(
        select(MvReport.project_id, MvReport.period_start, MvReport.period_end, MvReport.results)
        .where(MvReport.project_id.in_(project_ids), MvReport.status == ReportStatus.ACCEPTED)
        .order_by(MvReport.id)
    ):
        out.accepted[pid].append((lo, hi, results or []))
    return out


def warned_in(session: Session, month: str) -> set[str]:
    """Subjects already given a shortfall warning in ``month`` (``YYYY-MM``)."""
    return set(
        session.scalars(
            select(WatchWarning.subject_key).where(
                WatchWarning.kind == WarningKind.SHORTFALL, WatchWarning.month == month
            )
        )
    )

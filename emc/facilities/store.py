"""Bulk reads and writes of meter and temperature readings, inside the caller's transaction.

The ORM is the wrong tool for millions of rows, so readings go through the DBAPI connection
that the session's transaction already holds: PostgreSQL ``COPY … FROM STDIN (FORMAT BINARY)``
through psycopg 3, SQLite ``executemany`` on the raw sqlite3 cursor. Nothing here commits; a
caller that rolls back (or leaves a SAVEPOINT by an exception) undoes every row written.

Periods are half-open ``[start_ts, end_ts)`` in UTC epoch seconds; an interval meter's rows carry
``end_ts`` NULL and end at ``start_ts + interval_seconds``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = [
    "StoredRange",
    "delete_range",
    "iter_readings",
    "overlapping",
    "write_readings",
    "write_temperatures",
]

_COPY_READINGS = (
    "COPY meter_readings (meter_id, start_ts, end_ts, value, quality) FROM STDIN (FORMAT BINARY)"
)
_COPY_TYPES = ["int4", "int8", "int8", "float8", "varchar"]
_INSERT_READINGS = (
    "INSERT INTO meter_readings (meter_id, start_ts, end_ts, value, quality) VALUES (?, ?, ?, ?, ?)"
)


class DuplicateReading(Exception):
    """A reading with the same (meter, start) is already stored (a concurrent upload)."""


def _driver(session: Session):
    """The DBAPI connection of the session's current transaction, and the dialect name."""
    connection = session.connection()
    return connection.connection.driver_connection, connection.dialect.name


def write_readings(
    session: Session,
    meter_id: int,
    start: Sequence[int],
    end: Sequence[int] | None,
    value: Sequence[float],
    quality: Sequence[str],
) -> int:
    """Append readings of one meter (columnar, as :class:`~emc.facilities.ingest.Batch`).

    Returns the number of rows written.

    Raises:
        DuplicateReading: a row with the same (meter_id, start_ts) exists; the transaction (or
            the caller's SAVEPOINT) must then be rolled back.
    """
    if not start:
        return 0
    raw, dialect = _driver(session)
    ends = end if end is not None else repeat(None)
    rows = zip(repeat(meter_id), start, ends, value, quality, strict=False)
    if dialect == "postgresql":
        import psycopg

        try:
            with raw.cursor() as cursor, cursor.copy(_COPY_READINGS) as copy:
                copy.set_types(_COPY_TYPES)
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateReading(str(exc)) from exc
    else:
        import sqlite3

        cursor = raw.cursor()
        try:
            cursor.executemany(_INSERT_READINGS, rows)
        except sqlite3.IntegrityError as exc:
            raise DuplicateReading(str(exc)) from exc
        finally:
            cursor.close()
    return len(start)


def write_temperatures(
    session: Session, station_id: int, start: Sequence[int], temperature_c: Sequence[float]
) -> int:
    """Append temperatures of one station (°C at UTC epoch seconds ``start``)."""
    if not start:
        return 0
    raw, dialect = _driver(session)
    rows = zip(repeat(station_id), start, temperature_c, strict=False)
    if dialect == "postgresql":
        sql = "COPY temperature_readings (station_id, start_ts, temperature_c) FROM STDIN (FORMAT BINARY)"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types(["int4", "int8", "float8"])
            for row in rows:
                copy.write_row(row)
    else:
        cursor = raw.cursor()
        try:
            cursor.executemany(
                "INSERT INTO temperature_readings (station_id, start_ts, temperature_c)"
                " VALUES (?, ?, ?)",
                rows,
            )
        finally:
            cursor.close()
    return len(start)


@dataclass(frozen=True)
class StoredRange:
    """Stored readings overlapping a range: how many, and ``[first_ts, last_ts)``."""

    count: int
    first_ts: int | None
    last_ts: int | None


def _overlap_where(interval_seconds: int | None) -> str:
    # A stored period [s, e) overlaps [lo, hi) when s < hi and e > lo. For interval meters e is
    # s + interval, so the condition is on the key alone (an index range scan).
    if interval_seconds:
        return "meter_id = :m AND start_ts < :hi AND start_ts > :lo - :iv"
    return "meter_id = :m AND start_ts < :hi AND end_ts > :lo"


def _end_expr(interval_seconds: int | None) -> str:
    return "start_ts + :iv" if interval_seconds else "end_ts"


def overlapping(
    session: Session, meter_id: int, lo: int, hi: int, interval_seconds: int | None
) -> StoredRange:
    """Stored readings of ``meter_id`` that overlap ``[lo, hi)``."""
    row = session.execute(
        text(
            f"SELECT count(*), min(start_ts), max({_end_expr(interval_seconds)})"
            f" FROM meter_readings WHERE {_overlap_where(interval_seconds)}"
        ),
        {"m": meter_id, "lo": lo, "hi": hi, "iv": interval_seconds or 0},
    ).one()
    return StoredRange(int(row[0]), row[1], row[2])


def delete_range(
    session: Session,
    meter_id: int,
    lo: int,
    hi: int,
    interval_seconds: int | None,
    digest: hashlib._Hash | None = None,
) -> StoredRange:
    """Delete the stored readings of ``meter_id`` overlapping ``[lo, hi)``.

    When ``digest`` is given, the deleted rows are fed to it first, in time order, one line
    ``start,end,value,quality`` each (``end`` empty for interval meters, ``value`` as ``repr``),
    so that the journal can name exactly what was replaced.
    """
    params = {"m": meter_id, "lo": lo, "hi": hi, "iv": interval_seconds or 0}
    where = _overlap_where(interval_seconds)
    found = overlapping(session, meter_id, lo, hi, interval_seconds)
    if found.count == 0:
        return found
    if digest is not None:
        result = session.execute(
            text(
                "SELECT start_ts, end_ts, value, quality FROM meter_readings"
                f" WHERE {where} ORDER BY start_ts"
            ).execution_options(yield_per=20_000),
            params,
        )
        for s, e, v, q in result:
            digest.update(f"{s},{'' if e is None else e},{v!r},{q}\n".encode())
    session.execute(text(f"DELETE FROM meter_readings WHERE {where}"), params)
    return found


def iter_readings(
    session: Session,
    meter_id: int,
    lo: int | None = None,
    hi: int | None = None,
    *,
    chunk: int = 20_000,
    limit: int | None = None,
) -> Iterator[tuple[int, int | None, float, str]]:
    """Stored readings ``(start_ts, end_ts, value, quality)`` with ``lo <= start_ts < hi``, in
    time order, fetched in keyset-paginated chunks (each chunk its own short query)."""
    after = (lo - 1) if lo is not None else -(1 << 62)
    upper = hi if hi is not None else 1 << 62
    remaining = limit
    while remaining is None or remaining > 0:
        size = chunk if remaining is None else min(chunk, remaining)
        rows = session.execute(
            text(
                "SELECT start_ts, end_ts, value, quality FROM meter_readings"
                " WHERE meter_id = :m AND start_ts > :after AND start_ts < :hi"
                " ORDER BY start_ts LIMIT :n"
            ),
            {"m": meter_id, "after": after, "hi": upper, "n": size},
        ).all()
        if not rows:
            return
        for row in rows:
            yield tuple(row)
        after = rows[-1][0]
        if remaining is not None:
            remaining -= len(rows)
        if len(rows) < size:
            return

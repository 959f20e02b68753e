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
import queue
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat

from sqlalchemy import text
from sqlalchemy.orm import Session

from emc.facilities.ingest.model import Quality

__all__ = [
    "StoredRange",
    "delete_range",
    "iter_readings",
    "ReadingsWriter",
    "copy_rows",
    "next_stored",
    "overlapping",
    "write_readings",
    "write_temperatures",
]

_COPY_READINGS = (
    "COPY meter_readings (meter_id, start_ts, end_ts, value, quality) FROM STDIN (FORMAT BINARY)"
)
_INSERT_READINGS = (
    "INSERT INTO meter_readings (meter_id, start_ts, end_ts, value, quality) VALUES (?, ?, ?, ?, ?)"
)

# Only ever formatted with an int meter id and a value of Quality (no quotes, nothing else).
_INSERT_INTERVAL_READINGS = (
    "INSERT INTO meter_readings (meter_id, start_ts, end_ts, value, quality)"
    " VALUES ({meter_id}, ?, NULL, ?, '{quality}')"
)
_QUALITIES = frozenset(q.value for q in Quality)


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
    with ReadingsWriter(session, meter_id, pipelined=False) as writer:
        writer.write(start, end, value, quality)
    return len(start)


_PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension
_PG_TRAILER = b"\xff\xff"


def copy_rows(
    meter_id: int,
    start: Sequence[int],
    end: Sequence[int] | None,
    value: Sequence[float],
    quality: Sequence[str],
) -> bytes:
    """Rows of ``meter_readings`` in PostgreSQL's binary COPY format (no header or trailer),
    built a column at a time with numpy instead of a Python call per row.

    Each row is a field count (5) and, per field, a length and the big-endian value (length -1
    for NULL). The rows are grouped by the byte length of their quality (the only variable
    field); COPY does not care about row order.
    """
    import numpy as np

    n = len(start)
    starts = np.asarray(start, dtype=np.int64)
    values = np.asarray(value, dtype=np.float64)
    ends = None if end is None else np.asarray(end, dtype=np.int64)
    if n and quality.count(quality[0]) == n:  # the usual case: one quality, no array of strings
        kinds, qualities = [quality[0]], None
    else:
        qualities = np.asarray(quality, dtype=np.str_) if n else np.empty(0, dtype=np.str_)
        kinds = np.unique(qualities)
    parts = []
    for kind in kinds:
        chosen = slice(None) if len(kinds) == 1 else qualities == kind
        encoded = str(kind).encode()
        fields = [("count", ">i2"), ("len_meter", ">i4"), ("meter", ">i4")]
        fields += [("len_start", ">i4"), ("start", ">i8"), ("len_end", ">i4")]
        if ends is not None:
            fields.append(("end", ">i8"))
        fields += [("len_value", ">i4"), ("value", ">f8"), ("len_quality", ">i4")]
        fields.append(("quality", f"S{len(encoded)}"))
        rows = np.empty(n if len(kinds) == 1 else int(np.count_nonzero(chosen)), np.dtype(fields))
        rows["count"] = 5
        rows["len_meter"] = 4
        rows["meter"] = meter_id
        rows["len_start"] = 8
        rows["start"] = starts[chosen]
        if ends is not None:
            rows["len_end"] = 8
            rows["end"] = ends[chosen]
        else:
            rows["len_end"] = -1
        rows["len_value"] = 8
        rows["value"] = values[chosen]
        rows["len_quality"] = len(encoded)
        rows["quality"] = encoded
        parts.append(rows.tobytes())
    return b"".join(parts)


class ReadingsWriter:
    """One bulk write of a meter's readings that stays open across batches.

    On PostgreSQL a single ``COPY … (FORMAT BINARY)`` spans the whole upload; with
    ``pipelined`` its bytes are sent by psycopg's writer thread, so that the server inserts one
    batch while the caller parses the next (the client and the server each get a core). On
    SQLite, ``pipelined`` runs each batch's ``executemany`` in one worker thread (sqlite3 lets
    go of the GIL while it writes pages) for the same overlap. While the writer is open the
    session's connection belongs to it: run no other statement until it is closed.

    Raises (on :meth:`write` or on leaving the ``with`` block):
        DuplicateReading: a (meter_id, start_ts) already stored.
    """

    def __init__(self, session: Session, meter_id: int, *, pipelined: bool = True) -> None:
        self._raw, self._dialect = _driver(session)
        self._meter_id = meter_id
        self._pipelined = pipelined
        self._copying = None
        self._copy = None
        self._cursor = None
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.rows = 0

    def __enter__(self) -> ReadingsWriter:
        if self._dialect == "postgresql":
            from psycopg.copy import QueuedLibpqWriter

            self._cursor = self._raw.cursor()
            writer = QueuedLibpqWriter(self._cursor) if self._pipelined else None
            self._copying = self._cursor.copy(_COPY_READINGS, writer=writer)
            self._copy = self._copying.__enter__()
            self._copy.write(_PG_SIGNATURE)
        elif self._pipelined:
            self._queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=self._sqlite_worker, daemon=True)
            self._thread.start()
        return self

    def write(
        self,
        start: Sequence[int],
        end: Sequence[int] | None,
        value: Sequence[float],
        quality: Sequence[str],
    ) -> None:
        """Append one batch (columnar, as :class:`~emc.facilities.ingest.Batch`)."""
        if not len(start):
            return
        self.rows += len(start)
        if self._copy is not None:
            self._copy.write(copy_rows(self._meter_id, start, end, value, quality))
            return
        np = sys.modules.get("numpy")  # an array implies numpy is loaded; the app starts without
        if np is not None and isinstance(start, np.ndarray):  # sqlite3 binds Python numbers only
            start, value = start.tolist(), np.asarray(value).tolist()
        if self._queue is not None:
            if self._error is not None:
                raise self._error
            self._queue.put((start, end, value, quality))
        else:
            self._sqlite_write(start, end, value, quality)

    def _sqlite_write(self, start, end, value, quality) -> None:
        import sqlite3

        first = quality[0]
        if end is None and first in _QUALITIES and quality.count(first) == len(quality):
            # The usual batch (an interval meter, one quality): the meter, the NULL end and the
            # quality are written into the statement, so sqlite3 binds two values a row, not
            # five. Binding holds the interpreter lock, which the parser needs meanwhile.
            sql = _INSERT_INTERVAL_READINGS.format(meter_id=int(self._meter_id), quality=first)
            rows = zip(start, value, strict=False)
        else:
            ends = end if end is not None else repeat(None)
            sql = _INSERT_READINGS
            rows = zip(repeat(self._meter_id), start, ends, value, quality, strict=False)
        cursor = self._raw.cursor()
        try:
            cursor.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise DuplicateReading(str(exc)) from exc
        finally:
            cursor.close()

    def _sqlite_worker(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._sqlite_write(*item)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._copy is not None:
            import psycopg

            if exc is None:
                self._copy.write(_PG_TRAILER)
            try:
                self._copying.__exit__(exc_type, exc, tb)
            except psycopg.errors.UniqueViolation as error:
                raise DuplicateReading(str(error)) from error
            finally:
                self._cursor.close()
        elif self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            if exc is None and self._error is not None:
                raise self._error


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


def next_stored(session: Session, meter_id: int, lo: int, interval_seconds: int | None) -> int:
    """The start of the first stored reading of ``meter_id`` that ends after ``lo`` (a huge
    number if none): an upload starting at ``lo`` overlaps nothing stored as long as it ends
    at or before it, since stored periods do not overlap one another."""
    found = session.execute(
        text(
            "SELECT min(start_ts) FROM meter_readings WHERE meter_id = :m AND "
            + ("start_ts > :lo - :iv" if interval_seconds else "end_ts > :lo")
        ),
        {"m": meter_id, "lo": lo, "iv": interval_seconds or 0},
    ).scalar()
    return 1 << 62 if found is None else int(found)


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

"""Monthly partitions of ``meter_readings`` on PostgreSQL (SQLite keeps one table).

Migration 0016_scale makes ``meter_readings`` a table range-partitioned by ``start_ts`` (UTC
epoch seconds), one partition per UTC calendar month, named ``mYYYYMM`` in the schema
``meter_reading_months`` (kept out of the application schema, so the tables the models describe
are the only ones there), plus a default partition ``m_default`` that catches any reading whose
month has no partition yet.

:func:`ensure_partitions` (the scheduled job ``reading_partitions``) creates the partitions of
the current month and the next :data:`MONTHS_AHEAD`, and splits out of the default partition
every month it holds (an upload of old history lands there first). Each new month is created as a
plain table, filled with that month's rows moved out of the default partition, then attached:
PostgreSQL refuses a new partition whose rows still sit in the default one. Running it again
changes nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["MONTHS_AHEAD", "SCHEMA", "ensure_partitions", "month_bounds"]

SCHEMA = "meter_reading_months"
MONTHS_AHEAD = 3


def _month_start(year: int, month: int) -> int:
    return int(dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp())


def month_bounds(year: int, month: int) -> tuple[int, int]:
    """``[first, next first)`` of a UTC month as epoch seconds."""
    after = (year + 1, 1) if month == 12 else (year, month + 1)
    return _month_start(year, month), _month_start(*after)


def _existing(session: Session) -> set[str]:
    return set(
        session.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'meter_readings'"
            )
        )
    )


def _create(session: Session, year: int, month: int) -> None:
    name = f"{SCHEMA}.m{year:04d}{month:02d}"
    lo, hi = month_bounds(year, month)
    session.execute(text(f"CREATE TABLE {name} (LIKE meter_readings INCLUDING DEFAULTS)"))
    session.execute(
        text(
            f"WITH moved AS (DELETE FROM {SCHEMA}.m_default WHERE start_ts >= {lo}"
            f" AND start_ts < {hi} RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        )
    )
    session.execute(
        text(f"ALTER TABLE meter_readings ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})")
    )


def ensure_partitions(session: Session, today: dt.date, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create the missing monthly partitions (see the module); returns the names created.

    Does nothing on SQLite.
    """
    if session.get_bind().dialect.name != "postgresql":
        return []
    # One creator at a time: two schedulers racing would both find a month missing.
    session.execute(text("LOCK TABLE meter_readings IN SHARE ROW EXCLUSIVE MODE"))
    wanted = set()
    year, month = today.year, today.month
    for _ in range(ahead + 1):
        wanted.add((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    held = session.execute(
        text(
            f"SELECT DISTINCT date_part('year', to_timestamp(start_ts) AT TIME ZONE 'UTC'),"
            f" date_part('month', to_timestamp(start_ts) AT TIME ZONE 'UTC')"
            f" FROM {SCHEMA}.m_default"
        )
    ).all()
    wanted.update((int(y), int(m)) for y, m in held)
    existing = _existing(session)
    created = []
    for year, month in sorted(wanted):
        if f"m{year:04d}{month:02d}" not in existing:
            _create(session, year, month)
            created.append(f"m{year:04d}{month:02d}")
    return created

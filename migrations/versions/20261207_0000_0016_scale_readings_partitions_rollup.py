"""Readings at national scale: no per-row foreign key, monthly partitions, daily totals.

* ``meter_readings`` loses its foreign key to ``meters``: checking it on every row made bulk
  loads four times slower on PostgreSQL. An upload locks its meter row instead, and a meter with
  readings is never deleted (refused by the application; meters are retired).
* On PostgreSQL ``meter_readings`` becomes a table range-partitioned by ``start_ts`` with one
  partition per UTC month (schema ``meter_reading_months``, tables ``mYYYYMM``) and a default
  partition; the scheduled job ``reading_partitions`` keeps creating months ahead. Existing rows
  are copied over. SQLite keeps one (WITHOUT ROWID) table.
* ``meter_daily_totals`` holds each meter's sum and count of readings per local day of its site,
  computed here from the existing rows (per UTC quarter-hour in SQL, folded into local days
  with zoneinfo, so any timezone is right).

Revision ID: 0016_scale
Revises: 0017_factors (written beside 0016_settle and 0016_wf; they touch other tables)
Create Date: 2026-12-07 00:00
"""

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0016_scale"
down_revision = "0017_factors"
branch_labels = None
depends_on = None

SCHEMA = "meter_reading_months"
_COLUMNS = (
    "meter_id integer NOT NULL, start_ts bigint NOT NULL, end_ts bigint,"
    " value double precision NOT NULL, quality varchar(10) NOT NULL"
)


def _readings_table(name: str, foreign_key: bool) -> None:
    extra = []
    if foreign_key:
        extra.append(
            sa.ForeignKeyConstraint(
                ["meter_id"],
                ["meters.id"],
                name=op.f("fk_meter_readings_meter_id_meters"),
                ondelete="CASCADE",
            )
        )
    op.create_table(
        name,
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("start_ts", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_ts", sa.BigInteger(), nullable=True),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("quality", sa.String(length=10), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("meter_id", "start_ts", name=op.f("pk_meter_readings")),
        sqlite_with_rowid=False,
    )


def _sqlite_swap(foreign_key: bool) -> None:
    op.execute("ALTER TABLE meter_readings RENAME TO meter_readings_before")
    _readings_table("meter_readings", foreign_key)
    op.execute("INSERT INTO meter_readings SELECT * FROM meter_readings_before")
    op.execute("DROP TABLE meter_readings_before")


def _month_start(year: int, month: int) -> int:
    return int(dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp())


def _pg_partition(bind) -> None:
    op.execute("ALTER TABLE meter_readings RENAME TO meter_readings_before")
    op.execute(
        "ALTER TABLE meter_readings_before RENAME CONSTRAINT pk_meter_readings"
        " TO pk_meter_readings_before"
    )
    op.execute(
        f"CREATE TABLE meter_readings ({_COLUMNS},"
        " CONSTRAINT pk_meter_readings PRIMARY KEY (meter_id, start_ts))"
        " PARTITION BY RANGE (start_ts)"
    )
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.execute(f"CREATE TABLE {SCHEMA}.m_default PARTITION OF meter_readings DEFAULT")
    # Months of the existing rows and the current month with three ahead (the job's window).
    months = {
        (int(y), int(m))
        for y, m in bind.execute(
            sa.text(
                "SELECT DISTINCT date_part('year', to_timestamp(start_ts) AT TIME ZONE 'UTC'),"
                " date_part('month', to_timestamp(start_ts) AT TIME ZONE 'UTC')"
                " FROM meter_readings_before"
            )
        )
    }
    today = dt.datetime.now(dt.UTC)
    year, month = today.year, today.month
    for _ in range(4):
        months.add((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for year, month in sorted(months):
        after = (year + 1, 1) if month == 12 else (year, month + 1)
        op.execute(
            f"CREATE TABLE {SCHEMA}.m{year:04d}{month:02d} PARTITION OF meter_readings"
            f" FOR VALUES FROM ({_month_start(year, month)}) TO ({_month_start(*after)})"
        )
    op.execute("INSERT INTO meter_readings SELECT * FROM meter_readings_before")
    op.execute("DROP TABLE meter_readings_before")


def _fill_daily_totals(bind) -> None:
    totals = sa.table(
        "meter_daily_totals",
        sa.column("meter_id", sa.Integer),
        sa.column("local_day", sa.Integer),
        sa.column("total", sa.Double),
        sa.column("readings", sa.Integer),
    )
    meters = bind.execute(
        sa.text("SELECT m.id, s.timezone FROM meters m JOIN sites s ON s.id = m.site_id")
    ).all()
    epoch_day = dt.date(1970, 1, 1)
    for meter_id, zone_name in meters:
        zone = ZoneInfo(zone_name)
        days: dict[int, list] = {}
        buckets = bind.execute(
            sa.text(
                "SELECT (start_ts / 900) * 900, sum(value), count(*) FROM meter_readings"
                " WHERE meter_id = :m GROUP BY 1"
            ),
            {"m": meter_id},
        )
        for bucket, total, count in buckets:
            day = (dt.datetime.fromtimestamp(int(bucket), zone).date() - epoch_day).days
            acc = days.setdefault(day, [0.0, 0])
            acc[0] += float(total)
            acc[1] += int(count)
        if days:
            bind.execute(
                sa.insert(totals),
                [
                    {"meter_id": meter_id, "local_day": d, "total": t, "readings": n}
                    for d, (t, n) in sorted(days.items())
                ],
            )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _pg_partition(bind)
    else:
        _sqlite_swap(foreign_key=False)
    op.create_table(
        "meter_daily_totals",
        sa.Column("meter_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("local_day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "local_day", name=op.f("pk_meter_daily_totals")),
        sqlite_with_rowid=False,
    )
    _fill_daily_totals(bind)


def downgrade() -> None:
    op.drop_table("meter_daily_totals")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE meter_readings RENAME TO meter_readings_before")
        op.execute(
            "ALTER TABLE meter_readings_before RENAME CONSTRAINT pk_meter_readings"
            " TO pk_meter_readings_before"
        )
        _readings_table("meter_readings", foreign_key=True)
        op.execute("INSERT INTO meter_readings SELECT * FROM meter_readings_before")
        op.execute("DROP TABLE meter_readings_before")
        op.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    else:
        _sqlite_swap(foreign_key=True)

"""Sites, buildings, meters, meter readings, weather, and the emission-factor reference table.

Tenancy: a site belongs to one institution (``organization_id``, the tenant); buildings and meters
are scoped through their site. ESCOs see the sites linked to projects they are contracted on
(:class:`ProjectSite`). Visibility rules live in ``emc.auth.policy``.

Meter readings are the one table that grows without bound. They are keyed ``(meter_id,
start_ts)`` with no surrogate id, and instants are **BIGINT UTC epoch seconds**, not timestamps:
integers make bulk loading (COPY, executemany) and arithmetic in SQL (local days as
``(start_ts + offset) / 86400``) cheap and identical on PostgreSQL and SQLite, and they are the
natural key for range partitioning by time (and distribution by ``meter_id``) when a deployment
outgrows one server. Aware datetimes are produced at the edges (API, pages, CSV export) from the
site's IANA time zone. Periods are half-open ``[start_ts, end_ts)``; ``end_ts`` is NULL for
interval meters, whose end is ``start_ts + interval_minutes * 60``. ``value`` is consumption in
the meter's own unit (``meters.unit``), multiplier applied.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    event,
    select,
    text,
)
from sqlalchemy.orm import Mapped, aliased, column_property, mapped_column, relationship

from emc.auth.models import Organization, Region
from emc.db import Base, BigId, CreatedAt, UpdatedAt, UTCDateTime, intpk, str_enum
from emc.energy import Carrier
from emc.errors import Conflict
from emc.facilities.ingest import MeterKind
from emc.messages import msg

__all__ = [
    "Building",
    "BuildingType",
    "ClimateZone",
    "EmissionFactor",
    "Meter",
    "MeterKind",
    "MeterDailyTotal",
    "MeterReading",
    "ProjectSite",
    "ReadingUpload",
    "Site",
    "TemperatureReading",
    "UploadStatus",
    "WeatherStation",
]


class BuildingType(StrEnum):
    """Building use, as public-institution energy statistics break it out."""

    OFFICE = "office"
    SCHOOL = "school"
    UNIVERSITY = "university"
    HOSPITAL = "hospital"
    CULTURE = "culture"
    SPORTS = "sports"
    RESEARCH = "research"
    DORMITORY = "dormitory"
    DATA_CENTER = "data_center"
    OTHER = "other"


class ClimateZone(StrEnum):
    """Building thermal climate zones of GB 50176-2016 (民用建筑热工设计规范)."""

    SEVERE_COLD = "severe_cold"  # 严寒
    COLD = "cold"  # 寒冷
    HOT_SUMMER_COLD_WINTER = "hot_summer_cold_winter"  # 夏热冬冷
    HOT_SUMMER_WARM_WINTER = "hot_summer_warm_winter"  # 夏热冬暖
    MILD = "mild"  # 温和


class UploadStatus(StrEnum):
    APPLIED = "applied"  # its readings are the stored ones for its range
    SUPERSEDED = "superseded"  # a later upload replaced (part of) its range


class WeatherStation(Base):
    """A source of outdoor temperatures (a national weather station or a site's own sensor).

    ``organization_id`` None: platform reference data, read by everyone, written by the platform.
    Otherwise the institution that owns it (a sensor on its campus, a station it pays for): its
    admins and energy managers write it, and the ESCOs contracted on its projects read it.
    """

    __tablename__ = "weather_stations"

    id: Mapped[intpk]
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[CreatedAt]


class Site(Base):
    """A campus or address of one institution: the unit that has one time zone and one weather
    station."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    # IANA zone: file timestamps without an offset are local time here; days are local days.
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    weather_station_id: Mapped[int | None] = mapped_column(ForeignKey("weather_stations.id"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    organization: Mapped[Organization] = relationship(lazy="raise")
    region: Mapped[Region] = relationship(lazy="raise")
    weather_station: Mapped[WeatherStation | None] = relationship(lazy="raise")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (
        CheckConstraint("floor_area_m2 > 0", name="floor_area_positive"),
        UniqueConstraint("site_id", "name"),
    )

    id: Mapped[intpk]
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Gross floor area (建筑面积), the denominator of energy use intensity.
    floor_area_m2: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    building_type: Mapped[BuildingType] = mapped_column(str_enum(BuildingType, 20))
    year_built: Mapped[int | None]
    occupants: Mapped[int | None]
    climate_zone: Mapped[ClimateZone] = mapped_column(str_enum(ClimateZone, 30))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    site: Mapped[Site] = relationship(lazy="raise")


class Meter(Base):
    """A utility meter or sub-meter. ``unit`` is the canonical spelling of an
    :class:`emc.energy.Unit` that fits ``carrier``; readings are stored in it."""

    __tablename__ = "meters"
    __table_args__ = (
        CheckConstraint("multiplier > 0", name="multiplier_positive"),
        CheckConstraint(
            "kind <> 'interval' OR interval_minutes IS NOT NULL", name="interval_has_minutes"
        ),
        CheckConstraint("rollover IS NULL OR rollover > 0", name="rollover_positive"),
        UniqueConstraint("site_id", "name"),
    )

    id: Mapped[intpk]
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    carrier: Mapped[Carrier] = mapped_column(str_enum(Carrier, 20))
    unit: Mapped[str] = mapped_column(String(10))
    kind: Mapped[MeterKind] = mapped_column(str_enum(MeterKind, 10))
    interval_minutes: Mapped[int | None]
    # CT/PT ratio (倍率): every value read from a file is multiplied by it.
    multiplier: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(1))
    parent_meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id"))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    # Register meters: the count at which the register wraps to zero.
    rollover: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    # Rated capacity or maximum demand, in the meter's unit per hour (kW for kWh): no reading
    # may exceed it times the hours it covers. Unset: only the absolute ceiling applies.
    max_per_hour: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    # A meter taken out of service: its readings stay (evidence of baselines and reports) and
    # it takes no new ones. A meter is never deleted once it holds readings.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    retired_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    site: Mapped[Site] = relationship(lazy="raise")
    building: Mapped[Building | None] = relationship(lazy="raise")


@event.listens_for(Meter, "before_delete")
def _refuse_deleting_read_meter(_mapper, connection, meter: Meter) -> None:
    """A meter that holds readings is retired, never deleted: the readings are evidence, and
    ``meter_readings`` has no foreign key that would stop (or cascade) the delete."""
    held = connection.execute(
        text("SELECT 1 FROM meter_readings WHERE meter_id = :m LIMIT 1"), {"m": meter.id}
    ).first()
    if held is not None:
        raise Conflict(
            msg("facilities.meter_delete_has_readings", meter=meter.id),
            fields={"meter": [msg("facilities.meter_retire_not_delete")]},
            code="meter_has_readings",
        )


class MeterReading(Base):
    """One reading: consumption over ``[start_ts, end_ts)`` in the meter's unit (see module)."""

    __tablename__ = "meter_readings"
    # On SQLite the table is clustered by its key (no hidden rowid), as PostgreSQL range
    # scans on the primary-key index are.
    __table_args__ = {"sqlite_with_rowid": False}

    # No foreign key to meters: checking it costs a lookup per row, four times the bulk load
    # itself on PostgreSQL. Integrity holds another way: an upload holds its meter row locked
    # (FOR UPDATE) while it writes, and a meter that has readings is never deleted (retired
    # instead; refused on flush by _refuse_deleting_read_meter). On PostgreSQL the table is range
    # partitioned by month of start_ts (migration 0016_scale, emc.facilities.partitions).
    meter_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    start_ts: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    end_ts: Mapped[int | None] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Double)
    quality: Mapped[str] = mapped_column(String(10))


class MeterDailyTotal(Base):
    """Sum and count of a meter's readings starting on one local day of its site
    (``local_day``: days since 1970-01-01), kept by :mod:`emc.facilities.rollup`."""

    __tablename__ = "meter_daily_totals"
    __table_args__ = {"sqlite_with_rowid": False}

    meter_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    total: Mapped[float] = mapped_column(Double)
    readings: Mapped[int] = mapped_column(Integer)


class ReadingUpload(Base):
    """One applied upload of readings: what it was, who sent it, what it replaced.

    ``sha256`` of the uploaded bytes makes re-uploading the same file a no-op; ``first_ts`` /
    ``last_ts`` bound its readings as ``[first, last)`` UTC epoch seconds; the ``replaced_*``
    columns describe the stored readings it overwrote (count, range, sha256 of their values).
    """

    __tablename__ = "reading_uploads"
    __table_args__ = (Index("ix_reading_uploads_meter_sha256", "meter_id", "sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    first_ts: Mapped[int | None] = mapped_column(BigInteger)
    last_ts: Mapped[int | None] = mapped_column(BigInteger)
    source_unit: Mapped[str | None] = mapped_column(String(20))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    replaced_count: Mapped[int] = mapped_column(Integer, default=0)
    replaced_first_ts: Mapped[int | None] = mapped_column(BigInteger)
    replaced_last_ts: Mapped[int | None] = mapped_column(BigInteger)
    replaced_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[UploadStatus] = mapped_column(str_enum(UploadStatus, 12))
    # The reader's warnings (gaps, ambiguous local times …) as shown after the upload.
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)


class TemperatureReading(Base):
    """Outdoor dry-bulb temperature at ``start_ts`` (UTC epoch seconds), °C."""

    __tablename__ = "temperature_readings"
    __table_args__ = {"sqlite_with_rowid": False}

    station_id: Mapped[int] = mapped_column(
        ForeignKey("weather_stations.id", ondelete="CASCADE"), primary_key=True
    )
    start_ts: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    temperature_c: Mapped[float] = mapped_column(Double)


class ProjectSite(Base):
    """A site covered by an EMC project: the contracted ESCO sees its meters and readings."""

    __tablename__ = "project_sites"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class EmissionFactor(Base):
    """Standard-coal and CO2 factors as reference data, each with its source (DESIGN.md §5).

    Seeded by the migration with :data:`emc.energy.DEFAULT_FACTORS`; administrators add
    provincial grid factors, other calorific values and the yearly 等价值 as rows.

    Rows are never edited. A wrong value is corrected by a new row with the same key (carrier,
    kind, variant, scope, region, year) that ``supersedes`` it, with the reason; the old row
    stays as the evidence of what earlier audits and reports used. A row is corrected at most
    once (``supersedes_id`` is unique), so each key has one current row: the one nothing
    supersedes (``superseded_by_id`` None).
    """

    __tablename__ = "emission_factors"
    __table_args__ = (
        # One original row per key; corrections repeat the key (see the class). The index is
        # partial on both databases (migration 0001 and its successors build it so); only the
        # SQLite predicate is declared here, because naming a ``postgresql_`` option imports
        # the whole PostgreSQL dialect, about 25 ms of every start on the embedded database.
        # Alembic does not compare predicates; tests/test_models.py checks both databases.
        Index(
            "uq_emission_factors_original_key",
            "carrier",
            "kind",
            "variant",
            "scope",
            "region",
            "year",
            unique=True,
            sqlite_where=text("supersedes_id IS NULL"),
        ),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint(
            "supersedes_id IS NULL OR correction_reason IS NOT NULL",
            name="correction_has_reason",
        ),
    )

    id: Mapped[intpk]
    carrier: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    unit: Mapped[str] = mapped_column(String(20))
    year: Mapped[int | None]
    scope: Mapped[str] = mapped_column(String(12))
    region: Mapped[str | None] = mapped_column(String(20))
    variant: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(500))
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("emission_factors.id"), unique=True
    )
    correction_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[CreatedAt]


_correction = aliased(EmissionFactor, name="correction")
# The row that corrects this one, if any (read with every row: the table is small).
EmissionFactor.superseded_by_id = column_property(
    select(_correction.id)
    .where(_correction.supersedes_id == EmissionFactor.id)
    .correlate_except(_correction)
    .scalar_subquery()
)


class MeterColumnMap(Base):
    """How a meter's files name their columns, when the built-in header names do not cover them:
    header text → column role (``timestamp``, ``value``, ``reading``, ``unit`` …), and the unit
    of the values when the header does not say. Saved from the mapping page; every later upload
    of the meter is read with it (the built-in names still apply to other files)."""

    __tablename__ = "meter_column_maps"

    id: Mapped[intpk]
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"), unique=True)
    columns: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unit: Mapped[str | None] = mapped_column(String(20))
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

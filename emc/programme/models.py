"""Programme tracking: targets by region and window, annual energy statistics of institutions,
and nightly per-region snapshots for trend charts.

Targets belong to a region (GB/T 2260 code) and are written by the agency that set them
(``set_by_organization_id``); visibility is the region subtree of an agency plus the targets of
its ancestors (``emc.auth.policy``). Energy statistics belong to an institution (the tenant);
their carriers are scoped through them. Snapshots are aggregates, not tenant rows: they are read
only through the programme service, which checks the region against the agency's subtree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emc.auth.models import Organization
from emc.contracts.models import EmcProject
from emc.db import Base, BigId, CreatedAt, Energy, Money, UpdatedAt, intpk, str_enum

# The years a programme figure (a statistic, a target, a filter) may be about.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class Metric(StrEnum):
    """What a target measures: a number of signed EMC projects, or a reduction (percent) of
    energy or CO2 per m² of floor area against a base year."""

    PROJECTS = "projects"
    ENERGY_INTENSITY = "energy_intensity"
    CO2_INTENSITY = "co2_intensity"


class StatSource(StrEnum):
    """Where a figure of the annual statistics comes from. ``meters``: summed from the
    institution's meters (consumption) or its building register (floor area, occupants)."""

    ENTERED = "entered"
    IMPORTED = "imported"
    METERS = "meters"


class ProgrammeTarget(Base):
    """A target of one region over a window of calendar years ``[start_year, end_year]``."""

    __tablename__ = "programme_targets"
    __table_args__ = (
        UniqueConstraint("region_code", "metric", "start_year", "end_year"),
        CheckConstraint("end_year >= start_year", name="window_ordered"),
        CheckConstraint(
            "(metric = 'projects' AND project_count IS NOT NULL) OR "
            "(metric <> 'projects' AND reduction_pct IS NOT NULL AND base_year IS NOT NULL)",
            name="value_for_metric",
        ),
    )

    id: Mapped[intpk]
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    metric: Mapped[Metric] = mapped_column(str_enum(Metric, 20))
    start_year: Mapped[int]
    end_year: Mapped[int]
    # projects: how many projects signed in the window; intensities: the reduction in percent
    # (5.00 means −5 %) of the window's last year against base_year.
    project_count: Mapped[int | None]
    reduction_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    base_year: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(String(500))
    set_by_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    set_by: Mapped[Organization] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class InstitutionEnergyStat(Base):
    """One institution's energy statistics for one calendar year (公共机构能源资源消费统计).

    ``energy_tce`` and ``co2_t`` are the sums of the carriers' conversions with the reference
    factors of that year (stored so that regions aggregate with one SQL SUM).
    """

    __tablename__ = "institution_energy_stats"
    __table_args__ = (
        UniqueConstraint("organization_id", "year"),
        CheckConstraint("floor_area_m2 > 0", name="floor_area_positive"),
    )

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int]
    floor_area_m2: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    floor_area_source: Mapped[StatSource] = mapped_column(str_enum(StatSource, 10))
    occupants: Mapped[int | None]
    occupants_source: Mapped[StatSource | None] = mapped_column(str_enum(StatSource, 10))
    energy_tce: Mapped[Energy]
    co2_t: Mapped[Energy]
    # Notes on the factors used (e.g. an earlier or later year's grid factor).
    factor_notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    carriers: Mapped[list[InstitutionEnergyCarrier]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="InstitutionEnergyCarrier.id",
        back_populates="stat",
    )

    __mapper_args__ = {"version_id_col": version}


class InstitutionEnergyCarrier(Base):
    """Consumption of one carrier in one year's statistics, in its unit, with its source."""

    __tablename__ = "institution_energy_carriers"
    __table_args__ = (UniqueConstraint("stat_id", "carrier"),)

    id: Mapped[intpk]
    stat_id: Mapped[int] = mapped_column(
        ForeignKey("institution_energy_stats.id", ondelete="CASCADE"), index=True
    )
    carrier: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    unit: Mapped[str] = mapped_column(String(10))
    source: Mapped[StatSource] = mapped_column(str_enum(StatSource, 10))
    tce: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    co2_t: Mapped[Decimal] = mapped_column(Numeric(18, 6))

    stat: Mapped[InstitutionEnergyStat] = relationship(lazy="raise", back_populates="carriers")


class ProgrammeSnapshot(Base):
    """Aggregates of one region (national, province or city) as of one date, written nightly.

    ``region_code`` is a division code but not a foreign key: a city that has institutions but
    no row in ``regions`` still gets its aggregates. Counts follow the counting rule
    (``emc.programme.stats``) over all years up to ``snapshot_date``.
    """

    __tablename__ = "programme_snapshots"
    __table_args__ = (UniqueConstraint("snapshot_date", "region_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    snapshot_date: Mapped[dt.date] = mapped_column(Date, index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    projects_counted: Mapped[int]
    projects_listed: Mapped[int]
    custody_counted: Mapped[int]
    by_type: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    investment_total: Mapped[Money]
    investment_private: Mapped[Money]
    savings_tce: Mapped[Energy]
    savings_co2_t: Mapped[Energy]
    savings_cny: Mapped[Money]
    created_at: Mapped[CreatedAt]


class SummaryDimension(StrEnum):
    """What one row of ``programme_summaries`` breaks down (see :class:`ProgrammeSummary`)."""

    MONTH = "month"  # counted projects by month of signing
    TYPE = "type"  # counted projects by contract type ("none": no contract yet), by year
    SECTOR = "sector"  # counted projects by the institution's sector ("other"), by year
    INVESTOR = "investor"  # counted projects and their investment by investor, by year
    STATUS = "status"  # every listed project by status, all years
    TERMINATED_EARLY = "terminated_early"  # signed, terminated before operation: not counted
    SAVINGS = "savings"  # latest accepted M&V reports by year of period start


class ProgrammeSummary(Base):
    """Dashboard aggregates of the institutions of one region code (the institution's own code,
    not its ancestors'): a dashboard sums the rows of its subtree instead of scanning projects.

    Derived data, exact (integers and sums of decimals), never edited: the rows of a region are
    recomputed from the live tables with the counting rule in the same transaction as any
    change to what is counted (``emc.programme.summary``), and rebuilt whole nightly and by
    ``emc programme rebuild-summary``. ``year``/``month`` are 0 where a dimension has none.
    """

    __tablename__ = "programme_summaries"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    dimension: Mapped[SummaryDimension] = mapped_column(
        str_enum(SummaryDimension, 20), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(30), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Counted projects; listed projects (status); accepted reports (savings).
    projects: Mapped[int] = mapped_column(Integer)
    investment: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0.00"))
    tce: Mapped[Decimal] = mapped_column(Numeric(20, 4), default=Decimal(0))
    tco2: Mapped[Decimal] = mapped_column(Numeric(20, 4), default=Decimal(0))
    cny: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0.00"))


# The programme's project list (newest signing first, ``emc.programme.service.projects``) walks
# this index backwards instead of sorting every project of a region; declared here, beside the
# one query that needs it, on the contracts domain's table.
Index("ix_emc_projects_signed_on_id", EmcProject.signed_on, EmcProject.id)

# Keeps ``programme_summaries`` in step with every flush that changes what is counted; imported
# here so that any process that loads the models (web, scheduler, CLI, tests) maintains it.
from emc.programme import summary as _summary  # noqa: E402, F401

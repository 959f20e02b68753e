"""The savings watch: each project's latest persistence snapshot, suspected non-routine events,
shortfall and quota warnings, and the per-project and per-institution watch settings.

Snapshots are derived data (one row per project, replaced by the nightly job, so running it
twice on a day changes nothing). Events and warnings are records the parties act on: an event
is dismissed with a reason or converted into a non-routine adjustment proposal; a warning is
raised at most once per subject and month (unique ``(kind, subject_key, month)``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emc.db import Base, CreatedAt, UpdatedAt, intpk, str_enum


class EventScope(StrEnum):
    BASELINE = "baseline"
    REPORTING = "reporting"


class EventStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    CONVERTED = "converted"


class WarningKind(StrEnum):
    SHORTFALL = "shortfall"
    QUOTA = "quota"


class MissingDaysPolicy(StrEnum):
    # The contract lets the parties fill missing days by an agreed method.
    FILL_AGREED = "fill_agreed"
    # Missing days earn nothing: their savings stay unpaid.
    UNPAID = "unpaid"


class WatchSnapshot(Base):
    """A project's persistence tracking as of ``as_of`` (the last day with data is the day
    before). ``series``: ``{"dates", "adjusted_baseline", "actual", "savings", "expected",
    "cumulative_savings", "cumulative_expected", "band_low", "band_high", "cusum"}`` (lists,
    energy in ``unit``); ``forecast``: the shortfall forecast (see ``emc.watch.service``);
    ``gaps``: missing days with the savings they cannot verify."""

    __tablename__ = "watch_snapshots"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), unique=True
    )
    baseline_id: Mapped[int] = mapped_column(ForeignKey("baselines.id", ondelete="CASCADE"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    period_start: Mapped[dt.date] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(10))
    series: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    forecast: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[UpdatedAt]


class SuspectedEvent(Base):
    """A suspected non-routine event (疑似非常规事件) in one meter's baseline or reporting
    residuals. ``change_per_day`` in the meter's ``unit`` per day (positive: use went up
    against the model). Open until either party dismisses it with a reason or converts it into
    a non-routine adjustment proposal (``adjustment_id``)."""

    __tablename__ = "watch_events"
    __table_args__ = (UniqueConstraint("project_id", "meter_id", "scope", "start_date"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), index=True
    )
    baseline_id: Mapped[int] = mapped_column(ForeignKey("baselines.id", ondelete="CASCADE"))
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    scope: Mapped[EventScope] = mapped_column(str_enum(EventScope, 20))
    start_date: Mapped[dt.date] = mapped_column(Date)
    detected_on: Mapped[dt.date] = mapped_column(Date)
    change_per_day: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    change_percent: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(10))
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus, 20))
    reason: Mapped[str | None] = mapped_column(String(1000))
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_party: Mapped[str | None] = mapped_column(String(20))
    decided_at: Mapped[dt.datetime | None]
    adjustment_id: Mapped[int | None] = mapped_column(
        ForeignKey("mv_report_adjustments.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]

    # Both parties may act at once: one wins, the other gets a conflict.
    __mapper_args__ = {"version_id_col": version}


class WatchWarning(Base):
    """A shortfall warning of a project or a quota warning of an institution, for one month.

    ``subject_key`` is ``project:<id>`` or ``organization:<id>``; figures in ``unit``
    (savings in the meter's unit, quota use in kgce); ``details`` holds the drivers."""

    __tablename__ = "watch_warnings"
    __table_args__ = (UniqueConstraint("kind", "subject_key", "month"),)

    id: Mapped[intpk]
    kind: Mapped[WarningKind] = mapped_column(str_enum(WarningKind, 20))
    subject_key: Mapped[str] = mapped_column(String(60))
    month: Mapped[str] = mapped_column(String(7))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), index=True
    )
    forecast: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(10))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]


class WatchSettings(Base):
    """What a project's contract says for the watch: the shortfall probability that raises a
    warning (default 0.5, "more likely than not short") and what happens to missing days."""

    __tablename__ = "watch_settings"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), unique=True
    )
    shortfall_probability: Mapped[float] = mapped_column(Float, default=0.5)
    missing_days: Mapped[MissingDaysPolicy] = mapped_column(
        str_enum(MissingDaysPolicy, 20), default=MissingDaysPolicy.UNPAID
    )
    fill_method: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[UpdatedAt]


class QuotaWatchSettings(Base):
    """The share of its quota at which an institution is warned (default 0.95)."""

    __tablename__ = "watch_quota_settings"

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), unique=True)
    share: Mapped[float] = mapped_column(Float, default=0.95)
    updated_at: Mapped[UpdatedAt]

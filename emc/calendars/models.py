"""Calendars: statutory-holiday years entered by administrators, and institutions' term calendars.

China's statutory holidays and 调休 make-up workdays come from the ``chinesecalendar`` package
(:mod:`emc.calendars.statutory`). A :class:`StatutoryYear` row replaces the package for its year:
it is how a year the package does not know yet (the State Council publishes each schedule in the
autumn before) or a correction gets in. A :class:`TermCalendar` holds an institution's terms,
vacations and exam weeks; a city's schools can share one; a site uses at most one
(:class:`SiteTermCalendar`). Periods are half-open ``[start_date, end_date)``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emc.db import Base, CreatedAt, UpdatedAt, intpk, str_enum


class StatutoryKind(StrEnum):
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"


class TermPeriodKind(StrEnum):
    TERM = "term"
    VACATION = "vacation"
    EXAM = "exam"


class StatutoryYear(Base):
    """One year's State Council holiday schedule, entered by a platform administrator."""

    __tablename__ = "statutory_years"
    __table_args__ = (CheckConstraint("year BETWEEN 1990 AND 2100", name="year_range"),)

    id: Mapped[intpk]
    year: Mapped[int] = mapped_column(unique=True)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    days: Mapped[list[StatutoryDay]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="StatutoryDay.day"
    )


class StatutoryDay(Base):
    __tablename__ = "statutory_days"
    __table_args__ = (UniqueConstraint("statutory_year_id", "day"),)

    id: Mapped[intpk]
    statutory_year_id: Mapped[int] = mapped_column(
        ForeignKey("statutory_years.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[StatutoryKind] = mapped_column(str_enum(StatutoryKind, 20))
    name: Mapped[str] = mapped_column(String(100), default="")


class TermCalendar(Base):
    """An institution's academic calendar; ``shared`` lets the schools of its city use it."""

    __tablename__ = "term_calendars"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    # GB/T 2260 city code (xxxx00) of the owner when shared: the schools that may use it.
    city_code: Mapped[str] = mapped_column(String(6), index=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    periods: Mapped[list[TermPeriod]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="TermPeriod.start_date"
    )


class TermPeriod(Base):
    __tablename__ = "term_periods"
    __table_args__ = (CheckConstraint("end_date > start_date", name="period_order"),)

    id: Mapped[intpk]
    term_calendar_id: Mapped[int] = mapped_column(
        ForeignKey("term_calendars.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TermPeriodKind] = mapped_column(str_enum(TermPeriodKind, 20))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(100), default="")


class SiteTermCalendar(Base):
    """The term calendar a site follows (at most one)."""

    __tablename__ = "site_term_calendars"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    term_calendar_id: Mapped[int] = mapped_column(ForeignKey("term_calendars.id"), index=True)
    created_at: Mapped[CreatedAt]

"""Statutory holidays and 调休 make-up workdays: the package's years and the years platform
admins enter (a year entered here replaces the package's for that year)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from emc import journal
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import require
from emc.calendars.models import StatutoryDay, StatutoryKind, StatutoryYear
from emc.calendars.statutory import StatutoryCalendar, package_years, statutory_calendar
from emc.errors import Invalid, NotFound
from emc.messages import msg

log = logging.getLogger(__name__)

MIN_YEAR, MAX_YEAR = 1990, 2100


_STATUTORY_KINDS = {
    "holiday": StatutoryKind.HOLIDAY,
    "假日": StatutoryKind.HOLIDAY,
    "放假": StatutoryKind.HOLIDAY,
    "makeup_workday": StatutoryKind.MAKEUP_WORKDAY,
    "调休上班": StatutoryKind.MAKEUP_WORKDAY,
    "上班": StatutoryKind.MAKEUP_WORKDAY,
}


def _override_map(session: Session, years) -> dict[int, tuple[set, set]]:
    rows = session.scalars(
        select(StatutoryYear)
        .where(StatutoryYear.year.in_(list(years)))
        .options(selectinload(StatutoryYear.days))
    )
    out = {}
    for row in rows:
        hol = {d.day for d in row.days if d.kind is StatutoryKind.HOLIDAY}
        mk = {d.day for d in row.days if d.kind is StatutoryKind.MAKEUP_WORKDAY}
        out[row.year] = (hol, mk)
    return out


def statutory_for(session: Session, start: dt.date, end: dt.date) -> StatutoryCalendar:
    """Statutory holidays and 调休 days of ``[start, end)``: administrators' years first, then
    the package. Reference data, so no actor."""
    years = range(start.year, (end - dt.timedelta(days=1)).year + 1)
    return statutory_calendar(start, end, _override_map(session, years))


def statutory_years(session: Session) -> list[dict]:
    """Every year the package covers or an administrator entered, newest first, with its
    source (``package`` or ``override``) and counts. Reference data, readable by everyone."""
    first, last = package_years()
    entered = {
        y.year: y
        for y in session.scalars(select(StatutoryYear).options(selectinload(StatutoryYear.days)))
    }
    out = []
    for year in sorted(set(range(first, last + 1)) | set(entered), reverse=True):
        cal = statutory_for(session, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
        row = entered.get(year)
        out.append(
            {
                "year": year,
                "source": "override" if row else "package",
                "note": row.source if row else "",
                "holidays": len(cal.holidays),
                "makeup_workdays": len(cal.makeup_workdays),
            }
        )
    return out


def statutory_year_days(session: Session, year: int) -> dict:
    """One year's days: ``{"year", "source", "note", "days": [(date, kind, name)]}``."""
    row = session.scalars(
        select(StatutoryYear)
        .where(StatutoryYear.year == year)
        .options(selectinload(StatutoryYear.days))
    ).one_or_none()
    if row is not None:
        days = [(d.day, d.kind.value, d.name) for d in row.days]
        return {"year": year, "source": "override", "note": row.source, "days": days}
    cal = statutory_for(session, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    source = "none" if cal.unknown_years else "package"
    days = sorted(
        [(d, "holiday", "") for d in cal.holidays]
        + [(d, "makeup_workday", "") for d in cal.makeup_workdays]
    )
    return {"year": year, "source": source, "note": "", "days": days}


def parse_statutory_lines(year: int, text: str) -> list[tuple[dt.date, StatutoryKind, str]]:
    """``date,kind[,name]`` lines (kind ``holiday`` / ``makeup_workday`` or 放假 / 上班).

    Raises:
        Invalid: under ``days``, naming each bad line.
    """
    problems, out, seen = [], [], set()
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.lower().startswith("date"):
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        try:
            day = dt.date.fromisoformat(parts[0])
        except ValueError:
            problems.append(f"line {n}: not a date (YYYY-MM-DD)")
            continue
        kind = _STATUTORY_KINDS.get(parts[1].lower() if len(parts) > 1 else "")
        if kind is None:
            problems.append(f"line {n}: the kind must be holiday or makeup_workday")
            continue
        if day.year != year:
            problems.append(f"line {n}: the date is not in this year")
            continue
        if kind is StatutoryKind.MAKEUP_WORKDAY and day.weekday() < 5:
            problems.append(f"line {n}: a make-up workday is a Saturday or Sunday")
            continue
        if day in seen:
            problems.append(f"line {n}: the date is listed twice")
            continue
        seen.add(day)
        out.append((day, kind, parts[2] if len(parts) > 2 else ""))
    if problems:
        raise Invalid(msg("calendars.holiday_schedule_has_errors"), fields={"days": problems})
    if not out:
        raise Invalid(
            msg("calendars.holiday_schedule_empty"), fields={"days": [msg("calendars.list_days")]}
        )
    return sorted(out)


def set_statutory_year(
    session: Session, actor: Actor, *, year: int, source: str, lines: str
) -> StatutoryYear:
    """Enter (or replace) a year's statutory schedule; it replaces the package for that year.

    Raises:
        Forbidden: not a platform admin. Invalid: bad year, source or lines (``year``,
        ``source``, ``days``).
    """
    require(actor, Permission.PLATFORM_CALENDAR_MANAGE)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(
            msg("calendars.year_out_range"), fields={"year": [msg("calendars.1990_2100")]}
        )
    source = (source or "").strip()
    if not source:
        raise Invalid(
            msg("calendars.source_required"), fields={"source": [msg("calendars.name_notice")]}
        )
    days = parse_statutory_lines(year, lines)
    row = session.scalars(
        select(StatutoryYear)
        .where(StatutoryYear.year == year)
        .options(selectinload(StatutoryYear.days))
    ).one_or_none()
    before = None
    if row is None:
        row = StatutoryYear(year=year, source=source)
        session.add(row)
        session.flush()
        row_days = []
    else:
        before = {"source": row.source, "days": [(str(d.day), d.kind.value) for d in row.days]}
        row.source = source
        row_days = list(row.days)
        for d in row_days:
            session.delete(d)
        session.flush()
    for day, kind, name in days:
        session.add(StatutoryDay(statutory_year_id=row.id, day=day, kind=kind, name=name))
    session.flush()
    session.expire(row, ["days"])
    journal.record(
        session,
        actor,
        "statutory_year.set",
        row,
        organization_id=None,
        before=before,
        after={"source": source, "days": [(str(d), k.value) for d, k, _ in days]},
        summary=f"statutory holidays {year}",
    )
    log.info("statutory calendar %s set by %s", year, actor.label)
    return row


def delete_statutory_year(session: Session, actor: Actor, year: int) -> None:
    """Remove an administrator's year: the package applies again (if it knows the year).

    Raises:
        Forbidden: not a platform admin. NotFound: no entered year.
    """
    require(actor, Permission.PLATFORM_CALENDAR_MANAGE)
    row = session.scalars(select(StatutoryYear).where(StatutoryYear.year == year)).one_or_none()
    if row is None:
        raise NotFound(msg("calendars.no_statutory_year", year=year))
    journal.record(
        session,
        actor,
        "statutory_year.delete",
        row,
        organization_id=None,
        before={"source": row.source},
        summary=f"statutory holidays {year} removed",
    )
    session.delete(row)
    session.flush()

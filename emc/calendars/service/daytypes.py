"""The day type of every day of a site: statutory calendar plus the site's term calendar."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from emc.calendars.models import TermPeriodKind
from emc.calendars.service.statutory import statutory_for
from emc.calendars.service.terms import site_calendar


def site_day_types(session: Session, site_id: int, start: dt.date, end: dt.date) -> dict:
    """Every day of ``[start, end)`` of a site typed (the caller has loaded the site through
    the policy): ``{"dates": [date], "types": [str], "unknown_years": [int],
    "term_calendar": name | None}``. Vacation periods of the site's term calendar make
    vacation days; exam weeks and terms are ordinary days."""
    from emc.mv.engine.daytypes import (
        classify_days,  # numpy: only callers that type days
    )

    cal = statutory_for(session, start, end)
    term = site_calendar(session, site_id)
    vacation = []
    if term is not None:
        for p in term.periods:
            if p.kind is TermPeriodKind.VACATION:
                d = max(p.start_date, start)
                while d < min(p.end_date, end):
                    vacation.append(d)
                    d += dt.timedelta(days=1)
    n = (end - start).days
    dates = [start + dt.timedelta(days=i) for i in range(max(n, 0))]
    types = (
        classify_days(
            dates,
            holidays=sorted(cal.holidays),
            makeup_workdays=sorted(cal.makeup_workdays),
            vacation_days=vacation,
        ).tolist()
        if dates
        else []
    )
    return {
        "dates": dates,
        "types": types,
        "unknown_years": cal.unknown_years,
        "term_calendar": term.name if term else None,
    }


def day_types_at(session: Session, site_id: int, dates) -> list[str]:
    """The day type of each of ``dates`` (any order, gaps allowed) for a site."""
    days = [d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in dates]
    if not days:
        return []
    typed = site_day_types(session, site_id, min(days), max(days) + dt.timedelta(days=1))
    lookup = dict(zip(typed["dates"], typed["types"], strict=True))
    return [lookup[d] for d in days]

"""China's statutory holidays and 调休 make-up workdays, from the ``chinesecalendar`` package.

The State Council (国务院办公厅) publishes each year's schedule in the autumn before; the package
ships the published years (2004 onwards; see :func:`package_years`). Years it does not know yet
are entered by an administrator (:mod:`emc.calendars.service`) and passed here as ``overrides``:
a year present in ``overrides`` replaces the package's data for that year entirely.

Pure: no database, no Flask; the package is data only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["StatutoryCalendar", "package_years", "statutory_calendar"]


@dataclass(frozen=True)
class StatutoryCalendar:
    """Statutory holidays and make-up workdays over a span, with the years it had no data for."""

    holidays: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]
    sources: dict = field(default_factory=dict)  # year → "package" | "override" | "none"

    @property
    def unknown_years(self) -> list[int]:
        """Years of the span with neither package nor override data (weekdays only)."""
        return sorted(y for y, s in self.sources.items() if s == "none")


def _package():
    # Imported lazily: only calendar-aware code paths pay for it.
    from chinese_calendar import constants

    return constants


def package_years() -> tuple[int, int]:
    """First and last year the installed ``chinesecalendar`` package covers."""
    c = _package()
    return min(c.holidays).year, max(c.holidays).year


def statutory_calendar(start: dt.date, end: dt.date, overrides=None) -> StatutoryCalendar:
    """Holidays and 调休 workdays of ``[start, end)``.

    ``overrides`` maps a year to ``(holidays, makeup_workdays)`` (iterables of dates): that
    year's administrator-entered schedule, which replaces the package's. Make-up workdays are
    the package's working days that fall on a Saturday or Sunday.
    """
    overrides = overrides or {}
    c = _package()
    first, last = package_years()
    hol: set[dt.date] = set()
    mk: set[dt.date] = set()
    sources = {}
    for year in range(start.year, (end - dt.timedelta(days=1)).year + 1):
        if year in overrides:
            h, m = overrides[year]
            hol |= {d for d in h if d.year == year}
            mk |= {d for d in m if d.year == year}
            sources[year] = "override"
        elif first <= year <= last:
            hol |= {d for d in c.holidays if d.year == year}
            mk |= {d for d in c.workdays if d.year == year and d.weekday() >= 5}
            sources[year] = "package"
        else:
            sources[year] = "none"

    def inside(days):
        return frozenset(d for d in days if start <= d < end)

    return StatutoryCalendar(inside(hol), inside(mk), sources)

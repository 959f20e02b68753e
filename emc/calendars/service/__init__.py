"""Calendars: statutory years, term calendars, and the day type of every day of a site.

Who may do what:

- everyone signed in reads the statutory calendar; platform admins add or replace a year
  (``platform:calendar:manage``) — the package's years are used until a year is entered here;
- an institution's admins and energy managers keep its term calendars
  (``calendars:terms:manage``) and choose the one each of its sites follows; a calendar marked
  shared is visible to, and usable by, the institutions of the same city (GB/T 2260 xxxx00).

:func:`site_day_types` is what the M&V engine and the meter chart use: every day of
``[start, end)`` typed workday / weekend / holiday / makeup_workday / vacation from the
statutory calendar (package, or the administrators' year) and the site's term calendar.
"""

from emc.calendars.service.daytypes import day_types_at, site_day_types
from emc.calendars.service.statutory import (
    MAX_YEAR,
    MIN_YEAR,
    delete_statutory_year,
    parse_statutory_lines,
    set_statutory_year,
    statutory_for,
    statutory_year_days,
    statutory_years,
)
from emc.calendars.service.terms import (
    MAX_FILE_BYTES,
    TEMPLATE_HEADER,
    TEMPLATE_HEADER_ZH,
    assign_site,
    city_of,
    column_title,
    create_term_calendar,
    load_term_calendar,
    read_periods,
    replace_periods,
    set_shared,
    site_calendar,
    sites_using,
    template_csv,
    template_xlsx,
    term_calendar_query,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_YEAR",
    "MIN_YEAR",
    "TEMPLATE_HEADER",
    "TEMPLATE_HEADER_ZH",
    "assign_site",
    "city_of",
    "column_title",
    "create_term_calendar",
    "day_types_at",
    "delete_statutory_year",
    "load_term_calendar",
    "parse_statutory_lines",
    "read_periods",
    "replace_periods",
    "set_shared",
    "set_statutory_year",
    "site_calendar",
    "site_day_types",
    "sites_using",
    "statutory_for",
    "statutory_year_days",
    "statutory_years",
    "template_csv",
    "template_xlsx",
    "term_calendar_query",
]

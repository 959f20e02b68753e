"""Calendar API: statutory years (read; platform admins write), term calendars (read), and the
day type of every day of a site."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import login_required

from emc.auth.policy import load
from emc.calendars import service
from emc.calendars.schemas import (
    DayTypesOut,
    DayTypesQuery,
    StatutoryYearIn,
    StatutoryYearOut,
    TermCalendarOut,
)
from emc.errors import Invalid
from emc.facilities.models import Site
from emc.messages import msg
from emc.web.db import db
from emc.web.extensions import Blueprint, QueryPage
from emc.web.security import current_actor

blp = Blueprint(
    "calendars_api",
    __name__,
    url_prefix="/api/v1",
    description="Statutory holidays, 调休 make-up workdays, term calendars and day types",
)

MAX_DAYS = 366 * 30


def _year_payload(year: int) -> dict:
    info = service.statutory_year_days(db(), year)
    days = [{"date": d, "kind": k, "name": n} for d, k, n in info["days"]]
    return {**info, "days": days}


@blp.route("/calendars/statutory/<year:year>")
class StatutoryYear(MethodView):
    decorators = [login_required]

    @blp.response(200, StatutoryYearOut)
    def get(self, year):
        """A year's holidays and make-up workdays, from the package or an administrator."""
        return _year_payload(year)

    @blp.arguments(StatutoryYearIn)
    @blp.response(200, StatutoryYearOut)
    def post(self, data, year):
        """Enter or replace a year's schedule (platform admins); it replaces the package's."""
        lines = "\n".join(f"{d['date']},{d['kind']},{d['name']}" for d in data["days"])
        service.set_statutory_year(
            db(), current_actor(), year=year, source=data["source"], lines=lines
        )
        return _year_payload(year)


@blp.route("/calendars/terms")
class TermCalendars(MethodView):
    decorators = [login_required]

    @blp.response(200, TermCalendarOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Term calendars the user may see: its institution's and the city's shared ones."""
        from sqlalchemy.orm import selectinload

        from emc.calendars.models import TermCalendar

        query = service.term_calendar_query(current_actor())
        return query.options(selectinload(TermCalendar.periods)).order_by(TermCalendar.id)


@blp.route("/calendars/terms/<int:calendar_id>")
class TermCalendarItem(MethodView):
    decorators = [login_required]

    @blp.response(200, TermCalendarOut)
    def get(self, calendar_id):
        """One visible term calendar with its periods (``end_date`` exclusive)."""
        return service.load_term_calendar(db(), current_actor(), calendar_id)


@blp.route("/sites/<int:site_id>/day-types")
class SiteDayTypes(MethodView):
    decorators = [login_required]

    @blp.arguments(DayTypesQuery, location="query")
    @blp.response(200, DayTypesOut)
    def get(self, query, site_id):
        """Every day of ``[start, end)`` of a visible site: workday, weekend, holiday,
        makeup_workday or vacation."""
        site = load(db(), current_actor(), Site, site_id)
        days = (query["end"] - query["start"]).days
        if days <= 0 or days > MAX_DAYS:
            raise Invalid(
                msg("programme.bad_window"),
                fields={"end": [msg("calendars.after_start_at_most_30")]},
            )
        typed = service.site_day_types(db(), site.id, query["start"], query["end"])
        return {
            "site_id": site.id,
            "term_calendar": typed["term_calendar"],
            "unknown_years": typed["unknown_years"],
            "days": [
                {"date": d, "day_type": t}
                for d, t in zip(typed["dates"], typed["types"], strict=True)
            ],
        }

"""Pages: the statutory-holiday calendar (admins add years), term calendars (upload, share,
choose a site's), and the term-calendar template."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import func, select

from emc import exports
from emc.auth.models import Organization
from emc.auth.permissions import Permission, can
from emc.auth.policy import scoped
from emc.calendars import service
from emc.calendars.models import TermCalendar
from emc.calendars.statutory import package_years
from emc.errors import EmcError, Invalid
from emc.facilities.models import Site
from emc.web.args import int_arg, page_arg
from emc.web.db import db
from emc.web.forms import localise
from emc.web.messages import say
from emc.web.security import current_actor
from emc.web.templating import page_locale

bp = Blueprint("calendars", __name__)

PER_PAGE = 25


# Row and line problems of uploaded files and schedules: "row 3, column kind: <problem>".
_WHERE = re.compile(r"^(row|line) (\d+)(?:, column (\w+))?: (.+)$")
_PROBLEMS = (
    _l("not a date (YYYY-MM-DD)"),
    _l("the kind must be holiday or makeup_workday"),
    _l("the date is not in this year"),
    _l("a make-up workday is a Saturday or Sunday"),
    _l("the date is listed twice"),
    _l("term, vacation or exam"),
    _l("must be 学期, 考试 or 假期 (or term, exam, vacation)"),
    _l("before the start date"),
    _l("overlaps another vacation"),
    _l("missing column"),
    # The service's error messages (shown above the form).
    _l("the holiday schedule has errors"),
    _l("the holiday schedule is empty"),
    _l("year out of range"),
    _l("a source is required"),
    _l("the file is too large"),
    _l("not a readable XLSX file"),
    _l("not a UTF-8 CSV file"),
    _l("the file is empty"),
    _l("the header must name kind, start_date, end_date"),
    _l("the calendar file has errors"),
    _l("a name is required"),
    _l("a calendar with this name exists"),
    _l("day types go with the daily method"),
    _l("day types need the daily method"),
    _l("list the days"),
    _l("name the notice"),
    _l("at most 1 MB"),
    _l("save as UTF-8 CSV"),
    _l("save it again in Excel"),
    _l("no rows"),
    _l("1–200 characters"),
    _l("already used"),
    _l("1990–2100"),
)


def _localise_problem(message: str) -> str:
    match = _WHERE.match(message)
    if not match:
        return localise(message)
    kind, number, column, problem = match.groups()
    if column:
        return _(
            "Row %(row)s, column %(column)s: %(problem)s",
            row=number,
            column=service.column_title(column, chinese=page_locale() != "en"),
            problem=_(problem),
        )
    return _("Line %(line)s: %(problem)s", line=number, problem=_(problem))


def _errors_of(error: EmcError) -> dict:
    fields = {k: [_localise_problem(m) for m in v] for k, v in (error.fields or {}).items()}
    return {**fields, "_": [say(error.message)]}


@bp.get("/calendars")
@login_required
def index():
    actor = current_actor()
    session = db()
    page = page_arg()
    query = service.term_calendar_query(actor)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    calendars = list(
        session.scalars(
            query.order_by(TermCalendar.name, TermCalendar.id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    owners = {
        o.id: o
        for o in session.scalars(
            select(Organization).where(Organization.id.in_({c.organization_id for c in calendars}))
        )
    }
    first, last = package_years()
    return render_template(
        "calendars/index.html",
        years=service.statutory_years(session),
        package_first=first,
        package_last=last,
        calendars=calendars,
        owners=owners,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        may_manage_years=can(actor, Permission.PLATFORM_CALENDAR_MANAGE),
        may_manage_terms=can(actor, Permission.CALENDARS_TERMS_MANAGE),
        errors={},
        form={},
    )


@bp.route("/calendars/statutory/<year:year>", methods=["GET", "POST"])
@login_required
def statutory_year(year: int):
    """A year's statutory holidays and 调休 days; platform admins enter or replace the year."""
    actor = current_actor()
    session = db()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            service.set_statutory_year(
                session,
                actor,
                year=year,
                source=request.form.get("source", ""),
                lines=request.form.get("days", ""),
            )
            flash(_("Holiday schedule for %(year)s saved.", year=year), "success")
            return redirect(url_for("calendars.statutory_year", year=year))
        except Invalid as error:
            errors, status = _errors_of(error), error.status
    info = service.statutory_year_days(session, year)
    return render_template(
        "calendars/statutory_year.html",
        info=info,
        year=year,
        errors=errors,
        form=request.form,
        may_manage=can(actor, Permission.PLATFORM_CALENDAR_MANAGE),
    ), status


@bp.post("/calendars/statutory")
@login_required
def add_statutory_year():
    """The year form on the index page: go to that year's page to enter it."""
    year = int_arg("year", form=True)
    if year is None or not service.MIN_YEAR <= year <= service.MAX_YEAR:
        flash(_("Enter a year between 1990 and 2100."), "error")
        return redirect(url_for("calendars.index"))
    return redirect(url_for("calendars.statutory_year", year=year))


@bp.post("/calendars/statutory/<year:year>/delete")
@login_required
def delete_statutory_year(year: int):
    service.delete_statutory_year(db(), current_actor(), year)
    flash(_("The entered schedule for %(year)s was removed.", year=year), "success")
    return redirect(url_for("calendars.statutory_year", year=year))


@bp.post("/calendars/terms")
@login_required
def create_term_calendar():
    actor = current_actor()
    session = db()
    try:
        row = service.create_term_calendar(
            session,
            actor,
            name=request.form.get("name", ""),
            shared=request.form.get("shared") == "on",
        )
    except Invalid as error:
        for message in _errors_of(error).get("name", [say(error.message)]):
            flash(message, "error")
        return redirect(url_for("calendars.index"))
    flash(_("Term calendar created: upload its periods."), "success")
    return redirect(url_for("calendars.term_calendar", calendar_id=row.id))


def _render_term(calendar_id: int, errors: dict | None = None, status: int = 200):
    actor = current_actor()
    session = db()
    row = service.load_term_calendar(session, actor, calendar_id)
    owner = session.get(Organization, row.organization_id)
    own = row.organization_id == actor.organization_id
    using = service.sites_using(session, row.id)
    sites = list(
        session.scalars(
            scoped(actor, Site)
            .where(Site.organization_id == actor.organization_id)
            .order_by(Site.name)
        )
    )
    return render_template(
        "calendars/term_calendar.html",
        cal=row,
        owner=owner,
        own=own,
        may_edit=own and can(actor, Permission.CALENDARS_TERMS_MANAGE),
        may_assign=can(actor, Permission.CALENDARS_TERMS_MANAGE),
        sites=sites,
        using={s.id for s in sites if s.id in using},
        vacation_days=sum(
            (p.end_date - p.start_date).days for p in row.periods if p.kind.value == "vacation"
        ),
        errors=errors or {},
    ), status


@bp.get("/calendars/terms/<int:calendar_id>")
@login_required
def term_calendar(calendar_id: int):
    return _render_term(calendar_id)


@bp.post("/calendars/terms/<int:calendar_id>/periods")
@login_required
def upload_periods(calendar_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_term(calendar_id, {"file": [_("Choose a CSV or XLSX file.")]}, 422)
    try:
        row = service.replace_periods(
            db(), current_actor(), calendar_id, upload.stream, upload.filename
        )
    except Invalid as error:
        return _render_term(calendar_id, _errors_of(error), error.status)
    flash(_("Periods replaced from %(name)s.", name=upload.filename), "success")
    return redirect(url_for("calendars.term_calendar", calendar_id=row.id))


@bp.post("/calendars/terms/<int:calendar_id>/share")
@login_required
def share(calendar_id: int):
    service.set_shared(db(), current_actor(), calendar_id, request.form.get("shared") == "on")
    flash(_("Sharing updated."), "success")
    return redirect(url_for("calendars.term_calendar", calendar_id=calendar_id))


@bp.post("/calendars/terms/<int:calendar_id>/sites")
@login_required
def assign(calendar_id: int):
    """Make one of the actor's sites follow this calendar (or stop following it)."""
    actor = current_actor()
    site_id = int_arg("site_id", form=True)
    if site_id is None:
        return _render_term(calendar_id, {"site_id": [_("Choose a site.")]}, 422)
    follow = request.form.get("follow", "on") == "on"
    service.assign_site(db(), actor, site_id, calendar_id if follow else None)
    flash(_("Site calendar updated."), "success")
    return redirect(url_for("calendars.term_calendar", calendar_id=calendar_id))


@bp.get("/calendars/template.<any(csv, xlsx):fmt>")
@login_required
def template(fmt: str):
    # Chinese headers and kind words on a Chinese page; the upload takes either language.
    chinese = page_locale() != "en"
    if fmt == "csv":
        body, mime = service.template_csv(chinese=chinese), exports.CSV_TYPE
    else:
        body, mime = service.template_xlsx(chinese=chinese), exports.XLSX_TYPE
    # Sent like every other download (emc.exports): nosniff, never kept by a shared cache.
    return exports.Download(body, mime, f"term-calendar-template.{fmt}").response()

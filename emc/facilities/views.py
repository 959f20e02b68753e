"""Pages: sites, a site's buildings and meters, and a meter's data (upload, coverage, chart)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from emc.auth.models import Organization
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, require, scoped
from emc.energy import Carrier
from emc.errors import EmcError, NotFound
from emc.facilities import charts, service
from emc.facilities.api import upload_from_request
from emc.facilities.models import (
    Building,
    EmissionFactor,
    Meter,
    MeterKind,
    MeterReading,
    Site,
)
from emc.facilities.schemas import EmissionFactorCorrectionIn, EmissionFactorIn
from emc.facilities.service import factors as factor_service
from emc.web.db import db
from emc.web.forms import load_form, localise
from emc.web.security import current_actor

bp = Blueprint("facilities", __name__)

# 1-minute data over the longest detailed window (7 days) is 10,080 readings.
DETAIL_LIMIT = 20_000


@bp.get("/sites")
@login_required
def sites():
    actor = current_actor()
    session = db()
    rows = list(session.scalars(scoped(actor, Site).order_by(Site.organization_id, Site.name)))
    org_ids = {s.organization_id for s in rows}
    orgs = {
        o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    }
    meter_counts = dict(
        session.execute(
            select(Meter.site_id, func.count())
            .where(Meter.site_id.in_([s.id for s in rows]))
            .group_by(Meter.site_id)
        ).all()
    )
    return render_template(
        "facilities/sites.html", sites=rows, orgs=orgs, meter_counts=meter_counts
    )


@bp.get("/sites/<int:site_id>")
@login_required
def site(site_id: int):
    actor = current_actor()
    session = db()
    site = load(session, actor, Site, site_id)
    buildings = list(
        session.scalars(select(Building).where(Building.site_id == site.id).order_by(Building.name))
    )
    meters = list(
        session.scalars(select(Meter).where(Meter.site_id == site.id).order_by(Meter.name))
    )
    stats = {
        meter_id: (n, first, last)
        for meter_id, n, first, last in session.execute(
            select(
                MeterReading.meter_id,
                func.count(),
                func.min(MeterReading.start_ts),
                func.max(MeterReading.start_ts),
            )
            .where(MeterReading.meter_id.in_([m.id for m in meters]))
            .group_by(MeterReading.meter_id)
        )
    }
    return render_template(
        "facilities/site.html",
        site=site,
        org=session.get(Organization, site.organization_id),
        buildings=buildings,
        meters=meters,
        stats=stats,
        local=lambda ts: _local(ts, site.timezone),
    )


def _local(epoch: int | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, ZoneInfo(zone)).strftime(fmt)


def _meter_page(meter_id: int, *, errors=None, result=None, preview=None, status: int = 200):
    actor = current_actor()
    session = db()
    meter = load(session, actor, Meter, meter_id)
    site = session.get(Site, meter.site_id)
    report = service.quality_report(session, actor, meter.id)
    _m, _s, monthly = service.monthly_totals(session, actor, meter.id)
    win = charts.window(
        request.args.get("start"),
        request.args.get("end"),
        first=report.first,
        last=report.last,
        zone=site.timezone,
    )
    lo, hi = win.bounds(site.timezone)
    if win.detailed and meter.kind is MeterKind.INTERVAL:
        page = service.get_readings(session, actor, meter.id, start=lo, end=hi, limit=DETAIL_LIMIT)
        chart = charts.interval_chart_svg(page.rows, meter.unit, lo, hi, site.timezone)
    else:
        _m, _s, daily = service.daily_totals(session, actor, meter.id, start=lo, end=hi)
        chart = charts.daily_chart_svg(daily, meter.unit, (win.start, win.end))
    return render_template(
        "facilities/meter.html",
        meter=meter,
        site=site,
        building=session.get(Building, meter.building_id) if meter.building_id else None,
        report=report,
        monthly=monthly,
        chart=chart,
        window=win,
        detailed=win.detailed and meter.kind is MeterKind.INTERVAL,
        all_query=charts.all_query(report.first, report.last, site.timezone),
        uploads=service.list_uploads(session, actor, meter.id, limit=10),
        may_import=can(actor, Permission.FACILITIES_READINGS_IMPORT),
        errors=errors or {},
        result=result,
        preview=preview,
        local=lambda ts: _local(ts, site.timezone),
        zone=ZoneInfo(site.timezone),
    ), status


@bp.get("/meters/<int:meter_id>")
@login_required
def meter(meter_id: int):
    return _meter_page(meter_id)


@bp.post("/meters/<int:meter_id>/readings")
@login_required
def upload(meter_id: int):
    """The upload form of the meter page: the API's code path, results shown on the page.
    ``?dry_run=true`` (the "check" button) only checks the file and shows the preview."""
    dry_run = request.args.get("dry_run") == "true"
    kept = None
    try:
        # Kept server-side: the check's "import" button and the column mapping read it again.
        kept = mapping_views.keep_request_file(meter_id)
        result = upload_from_request(meter_id, dry_run=dry_run)
    except EmcError as error:
        if error.status == 404:
            raise
        if error.code == "unknown_header" and kept:
            return redirect(url_for("facilities.map_columns", meter_id=meter_id, sha256=kept))
        if kept and not dry_run:
            mapping_views.discard_kept(meter_id, kept)
        fields = {} if "overlap" in error.fields else mapping_views.localise_fields(error)
        errors = {"_": [mapping_views.headline(error)], **fields}
        return _meter_page(meter_id, errors=errors, status=error.status)
    if dry_run:
        if result.needs_mapping and kept:
            return redirect(url_for("facilities.map_columns", meter_id=meter_id, sha256=kept))
        return _meter_page(meter_id, preview=result)
    if kept:
        mapping_views.discard_kept(meter_id, kept)
    if result.status == "unchanged":
        flash(_("This file was already imported for this meter; nothing changed."), "info")
    else:
        flash(
            _(
                "%(rows)s readings imported (%(unit)s), %(replaced)s replaced.",
                rows=result.rows,
                unit=result.unit,
                replaced=result.replaced_count,
            ),
            "success",
        )
        for warning in result.warnings:
            flash(warning, "info")
    return redirect(url_for("facilities.meter", meter_id=meter_id))


@bp.route("/emission-factors", methods=["GET", "POST"])
@login_required
def emission_factors():
    """The reference factors; platform admins add rows (never edit them: see the service)."""
    actor = current_actor()
    session = db()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        require(actor, Permission.PLATFORM_FACTORS_MANAGE)
        data, errors = load_form(EmissionFactorIn())
        status = 422
        if not errors:
            try:
                row = factor_service.create_factor(session, actor, **data)
                flash(_("Factor #%(id)s added.", id=row.id), "success")
                return redirect(url_for("facilities.emission_factors"))
            except EmcError as error:
                errors = {**localise(error.fields), "_": [error.message]}
                status = error.status
    filters = {k: request.args.get(k) or None for k in ("carrier", "kind", "region")}
    year = request.args.get("year", "")
    rows = factor_service.list_factors(
        session, actor, **filters, year=int(year) if year.isdigit() else None
    )
    return render_template(
        "facilities/emission_factors.html",
        rows=rows,
        errors=errors,
        form=request.form,
        carriers=[c.value for c in Carrier],
        may_add=can(actor, Permission.PLATFORM_FACTORS_MANAGE),
    ), status


@bp.route("/emission-factors/<int:factor_id>/correct", methods=["GET", "POST"])
@login_required
def correct_emission_factor(factor_id: int):
    """Platform admins correct a wrong factor: a new row supersedes it (see the service)."""
    actor = current_actor()
    session = db()
    require(actor, Permission.PLATFORM_FACTORS_MANAGE)
    factor = session.get(EmissionFactor, factor_id)
    if factor is None:
        raise NotFound(f"no emission factor #{factor_id}")
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(EmissionFactorCorrectionIn())
        status = 422
        if not errors:
            try:
                row = factor_service.correct_factor(session, actor, factor_id, **data)
                flash(
                    _("Factor #%(old)s corrected by #%(new)s.", old=factor_id, new=row.id),
                    "success",
                )
                return redirect(url_for("facilities.emission_factors"))
            except EmcError as error:
                errors = {**localise(error.fields), "_": [error.message]}
                status = error.status
    return render_template(
        "facilities/emission_factor_correct.html", factor=factor, errors=errors, form=request.form
    ), status


# Registers the column-mapping and checked-import routes on ``bp`` (meter files as they come).
from emc.facilities import mapping_views  # noqa: E402

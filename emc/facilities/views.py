"""Pages: sites, a site's buildings and meters, and a meter's data (upload, coverage, chart)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup, escape
from sqlalchemy import func, select

from emc.auth.models import Organization
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, scoped
from emc.errors import EmcError
from emc.facilities import service
from emc.facilities.api import upload_from_request
from emc.facilities.models import Building, Meter, MeterReading, Site
from emc.facilities.service.analysis import Total
from emc.web.db import db
from emc.web.forms import localise
from emc.web.security import current_actor

bp = Blueprint("facilities", __name__)

CHART_DAYS = 366


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


def _meter_page(meter_id: int, *, errors=None, result=None, status: int = 200):
    actor = current_actor()
    session = db()
    meter = load(session, actor, Meter, meter_id)
    site = session.get(Site, meter.site_id)
    report = service.quality_report(session, actor, meter.id)
    _m, _s, monthly = service.monthly_totals(session, actor, meter.id)
    chart_from = None
    if report.last is not None:
        chart_from = max(report.first, report.last - dt.timedelta(days=CHART_DAYS))
    _m, _s, daily = service.daily_totals(session, actor, meter.id, start=chart_from)
    return render_template(
        "facilities/meter.html",
        meter=meter,
        site=site,
        building=session.get(Building, meter.building_id) if meter.building_id else None,
        report=report,
        monthly=monthly,
        chart=daily_chart_svg(daily, meter.unit),
        uploads=service.list_uploads(session, actor, meter.id, limit=10),
        may_import=can(actor, Permission.FACILITIES_READINGS_IMPORT),
        errors=errors or {},
        result=result,
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
    """The upload form of the meter page: the API's code path, results shown on the page."""
    try:
        result = upload_from_request(meter_id)
    except EmcError as error:
        if error.status == 404:
            raise
        fields = {} if "overlap" in error.fields else localise(error.fields)
        errors = {"_": [error.message], **fields}
        return _meter_page(meter_id, errors=errors, status=error.status)
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


def daily_chart_svg(totals: list[Total], unit: str, width: int = 960, height: int = 240) -> Markup:
    """Daily totals as an inline SVG bar chart (server-side, no script, no CDN)."""
    if not totals:
        return Markup("")
    left, right, top, bottom = 64, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = totals[0].period, totals[-1].period
    ndays = (last - first).days + 1
    peak = max(t.total for t in totals) or 1.0
    bar_w = plot_w / ndays
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f' class="daily-chart" aria-label="{escape(_("Daily totals"))} ({escape(unit)})">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"'
        ' stroke="#98a2b3"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#98a2b3"/>',
    ]
    for fraction in (0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11"'
            f' fill="#6b7785">{peak * fraction:,.0f}</text>'
        )
    for t in totals:
        x = left + (t.period - first).days * bar_w
        h = plot_h * max(t.total, 0.0) / peak
        parts.append(
            f'<rect x="{x:.2f}" y="{top + plot_h - h:.2f}" width="{max(bar_w - 0.3, 0.5):.2f}"'
            f' height="{h:.2f}" fill="#0b6e4f"><title>{t.period.isoformat()}: {t.total:,.1f}'
            f" {escape(unit)}</title></rect>"
        )
    parts.append(
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="#6b7785">{first.isoformat()}</text>'
    )
    parts.append(
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" font-size="11"'
        f' fill="#6b7785">{last.isoformat()}</text>'
    )
    parts.append(
        f'<text x="4" y="{top + 10}" font-size="11" fill="#6b7785">{escape(unit)}</text></svg>'
    )
    return Markup("".join(parts))

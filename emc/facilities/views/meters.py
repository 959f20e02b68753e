"""Pages: the meter list, creating, editing and retiring meters, a meter's data (upload with a
check, coverage, chart) and its upload history (who uploaded what, when).

The upload form runs the API's code path (:func:`emc.facilities.api.upload_from_request`), so
the write rights of :mod:`emc.facilities.service.rights` apply to pages and API alike.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import select

from emc import exports
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, require
from emc.energy import Carrier, Unit, UnitError, unit_for
from emc.errors import EmcError
from emc.facilities import charts, service
from emc.facilities.api import upload_from_request
from emc.facilities.ingest import formats
from emc.facilities.models import Building, Meter, MeterKind, Site
from emc.facilities.schemas import MeterIn, MeterPatch, MeterRetireIn
from emc.facilities.service import listing, rights
from emc.facilities.views.common import (
    bp,
    choices,
    load_with,
    local,
    patch_form,
    service_errors,
    submit_form,
)
from emc.web.args import int_arg, page_arg
from emc.web.db import db
from emc.web.forms import form_data
from emc.web.security import current_actor

# 1-minute data over the longest detailed window (7 days) is 10,080 readings.
DETAIL_LIMIT = 20_000
_NULLABLE = (
    "building_id",
    "interval_minutes",
    "parent_meter_id",
    "serial_number",
    "rollover",
    "max_per_hour",
)


def _units(carrier: Carrier) -> list[str]:
    """The units a meter of ``carrier`` may store its readings in."""
    fitting = []
    for unit in Unit:
        try:
            unit_for(carrier, unit)
        except UnitError:
            continue
        fitting.append(unit.value)
    return fitting


@bp.get("/meters")
@login_required
def meters():
    """The meters the user sees: search by name or serial number, filter by site, carrier and
    status (in service by default), paginated."""
    actor = current_actor()
    session = db()
    q = request.args.get("q", "").strip()
    site_id = int_arg("site_id")
    carrier = request.args.get("carrier") or None
    status = request.args.get("status") or "active"
    page = listing.meter_page(
        session,
        actor,
        q=q,
        site_id=site_id,
        carrier=carrier,
        status=status,
        page=page_arg(),
    )
    return render_template(
        "facilities/meters.html",
        page=page,
        q=q,
        site_id=site_id,
        carrier=carrier,
        status=status,
        carriers=list(Carrier),
        site_names=listing.site_names(session, actor),
        stats=listing.reading_stats(session, [m.id for m in page.items]),
    )


def _meter_form(site: Site, meter: Meter | None, form, errors, status: int = 200):
    session = db()
    return render_template(
        "facilities/meter_form.html",
        site=site,
        meter=meter,
        form=form,
        errors=errors,
        carriers=list(Carrier),
        units={c.value: _units(c) for c in Carrier},
        buildings=list(
            session.scalars(
                select(Building).where(Building.site_id == site.id).order_by(Building.name)
            )
        ),
        parents=list(
            session.scalars(
                select(Meter)
                .where(Meter.site_id == site.id, Meter.id != (meter.id if meter else -1))
                .order_by(Meter.name)
            )
        ),
        has_readings=bool(meter and listing.reading_stats(session, [meter.id])),
        **choices(),
    ), status


@bp.route("/sites/<int:site_id>/meters/new", methods=["GET", "POST"])
@login_required
def new_meter(site_id: int):
    """Add a meter to a site: carrier, unit, kind, interval, multiplier, building, parent."""
    actor = current_actor()
    session = db()
    site = load(session, actor, Site, site_id)
    require(actor, Permission.FACILITIES_MANAGE)

    def act(data: dict):
        meter = service.create_meter(session, actor, **data)
        flash(_("Meter %(name)s added.", name=meter.name), "success")
        return redirect(url_for("facilities.meter", meter_id=meter.id))

    done, errors, status = submit_form(MeterIn(), lambda: {**form_data(), "site_id": site.id}, act)
    if done is not None:
        return done
    form = (
        request.form
        if request.method == "POST"
        else {"building_id": request.args.get("building_id", "")}
    )
    return _meter_form(site, None, form, errors, status)


@bp.route("/meters/<int:meter_id>/edit", methods=["GET", "POST"])
@login_required
def edit_meter(meter_id: int):
    """Change a meter. Carrier, unit, kind and interval are fixed once it holds readings."""
    actor = current_actor()
    session = db()
    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_MANAGE)
    site = session.get(Site, meter.site_id)

    def act(data: dict):
        service.update_meter(session, actor, meter.id, **data)
        flash(_("Meter %(name)s saved.", name=meter.name), "success")
        return redirect(url_for("facilities.meter", meter_id=meter.id))

    done, errors, status = submit_form(MeterPatch(), lambda: patch_form(_NULLABLE), act)
    if done is not None:
        return done
    form = (
        request.form
        if request.method == "POST"
        else {
            "name": meter.name,
            "carrier": meter.carrier.value,
            "unit": meter.unit,
            "kind": meter.kind.value,
            "interval_minutes": meter.interval_minutes or "",
            "multiplier": meter.multiplier,
            "building_id": meter.building_id or "",
            "parent_meter_id": meter.parent_meter_id or "",
            "serial_number": meter.serial_number or "",
            "rollover": meter.rollover if meter.rollover is not None else "",
            "max_per_hour": meter.max_per_hour if meter.max_per_hour is not None else "",
        }
    )
    return _meter_form(site, meter, form, errors, status)


@bp.post("/meters/<int:meter_id>/retire")
@login_required
def retire_meter(meter_id: int):
    """Retire a meter (a reason is required): its readings stay, it takes no new ones."""
    actor = current_actor()
    session = db()
    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_MANAGE)
    data, errors = load_with(MeterRetireIn(), form_data())
    if not errors:
        try:
            service.retire_meter(session, actor, meter.id, reason=data["reason"])
            flash(_("Meter %(name)s retired. Its readings are kept.", name=meter.name), "success")
            return redirect(url_for("facilities.meter", meter_id=meter.id))
        except EmcError as error:
            return _meter_page(meter.id, retire_errors=service_errors(error), status=error.status)
    return _meter_page(meter.id, retire_errors=errors, status=422)


@bp.get("/meters/<int:meter_id>/uploads")
@login_required
def uploads(meter_id: int):
    """A meter's upload history: who uploaded which file when, what it replaced."""
    actor = current_actor()
    session = db()
    meter = load(session, actor, Meter, meter_id)
    site = session.get(Site, meter.site_id)
    page = listing.upload_page(session, actor, meter.id, page=page_arg())
    return render_template(
        "facilities/uploads.html",
        meter=meter,
        site=site,
        page=page,
        local=lambda ts: local(ts, site.timezone),
    )


def _meter_page(
    meter_id: int, *, errors=None, result=None, preview=None, retire_errors=None, status: int = 200
):
    actor = current_actor()
    session = db()
    meter = load(session, actor, Meter, meter_id)
    site = session.get(Site, meter.site_id)
    report = service.quality_report(session, actor, meter.id)
    may_import = can(actor, Permission.FACILITIES_READINGS_IMPORT)
    refusal = rights.writer_refusal(session, actor, meter) if may_import else None
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
        if meter.kind is MeterKind.BILLING:
            # Each bill over its days, not the whole bill on its first day.
            daily = service.bill_days(session, actor, meter.id, start=win.start, end=win.end)
        else:
            _m, _s, daily = service.daily_totals(session, actor, meter.id, start=lo, end=hi)
        from emc.calendars.service import site_day_types  # day types: emc.calendars

        typed = site_day_types(session, site.id, win.start, win.end)
        day_types = dict(zip(typed["dates"], typed["types"], strict=True))
        chart = charts.daily_chart_svg(daily, meter.unit, (win.start, win.end), day_types=day_types)
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
        uploads=listing.upload_page(session, actor, meter.id, per_page=5),
        may_import=may_import and refusal is None,
        import_refusal=_(refusal.message) if may_import and refusal is not None else None,
        may_manage=can(actor, Permission.FACILITIES_MANAGE),
        retire_errors=retire_errors or {},
        errors=errors or {},
        result=result,
        preview=preview,
        local=lambda ts: local(ts, site.timezone),
        zone=ZoneInfo(site.timezone),
        file_format=_file_format(meter),
    ), status


def _file_format(meter: Meter) -> dict:
    """What a readings file of this meter looks like, for the upload box's help: the columns it
    needs (the template's headers) and every header the reader takes for each of them. Words
    typed into a file come as ``<code>`` (they are the file's, whatever the page's language)."""
    kind = MeterKind(meter.kind)
    roles = (*formats.NEEDS[kind], *formats.OPTIONAL)
    return {
        "kind": kind.value,
        "needs": _codes(formats.HEADERS[r][0] for r in formats.NEEDS[kind]),
        "synonyms": [
            (
                formats.HEADERS[role][0],
                _codes(formats.synonyms(role)),
                _codes(formats.synonyms(role, chinese=False), ", "),
            )
            for role in roles
        ],
        "unit": _codes([formats.HEADERS["unit"][0]]),
        "quality": _codes([formats.HEADERS["quality"][0]]),
        "qualities": _codes(["实测", "估算", "替换"]),
        "example": _codes(["用量(kWh)"]),
        "export_value": _codes([formats.EXPORT_VALUE[0]]),
        "periods": _codes(
            [*(formats.HEADERS[r][0] for r in formats.NEEDS[MeterKind.BILLING][:2])]
            + [formats.EXPORT_VALUE[0]]
        ),
    }


def _codes(words, sep: str = "、") -> Markup:
    return Markup(sep).join(Markup("<code>{}</code>").format(w) for w in words)


@bp.get("/readings/template-<any(interval, register, billing):kind>.csv")
@login_required
def readings_template(kind: str):
    """A CSV template of meter readings for a meter of ``kind``: Chinese headers, example rows
    (``?minutes=``: an interval meter's interval, which the example rows step by)."""
    minutes = request.args.get("minutes", type=int)
    minutes = minutes if minutes is not None and 1 <= minutes <= 1440 else None
    return exports.Download(
        formats.template_csv(kind, minutes), exports.CSV_TYPE, f"readings-template-{kind}.csv"
    ).response()


@bp.get("/meters/<int:meter_id>")
@login_required
def meter(meter_id: int):
    return _meter_page(meter_id)


@bp.post("/meters/<int:meter_id>/readings")
@login_required
def upload(meter_id: int):
    """The upload form of the meter page: the API's code path, results shown on the page.
    ``?dry_run=true`` (the "check" button) only checks the file and shows the preview."""
    from emc.facilities.views import mapping as mapping_views  # it imports this module

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
        if result.status == "invalid" and kept:
            # Nothing can import a file with problems: it is not kept for an import button.
            mapping_views.discard_kept(meter_id, kept)
        return _meter_page(meter_id, preview=result)
    if kept:
        mapping_views.discard_kept(meter_id, kept)
    if result.status == "unchanged":
        flash(_("This file was already imported for this meter; nothing changed."), "info")
    else:
        flash(
            _(
                "%(rows)s readings imported (%(unit)s), %(replaced)s replaced.",
                rows=f"{result.rows:,}",
                unit=result.unit,
                replaced=f"{result.replaced_count:,}",
            ),
            "success",
        )
        from emc.facilities.views.mapping import say_problem  # (mapping imports this module)

        for warning in result.warnings:
            flash(say_problem(warning), "info")
    return redirect(url_for("facilities.meter", meter_id=meter_id))

"""Pages: weather stations (the reference ones and an institution's own), a station's
temperatures (summary, upload with a check that writes nothing), adding a station.

A site chooses its station on the site form (:mod:`.sites`). Who may write a station is
``emc.auth.policy.may_write_station``; the upload runs the service's import and preview.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from emc.auth.models import Organization, OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, may_write_station, require
from emc.errors import EmcError
from emc.facilities.api.common import form_upload
from emc.facilities.models import Site, WeatherStation
from emc.facilities.schemas import TemperatureUploadForm, WeatherStationIn
from emc.facilities.service import weather as weather_service
from emc.facilities.service.rights import FrozenReadings
from emc.facilities.views.common import bp, load_with, local, service_errors
from emc.web.db import db
from emc.web.forms import form_data, localise
from emc.web.messages import say
from emc.web.security import current_actor


def _stations_page(*, errors=None, form=None, status: int = 200):
    actor = current_actor()
    session = db()
    stations = weather_service.list_stations(session, actor)
    owners = {
        o.id: o
        for o in session.scalars(
            select(Organization).where(
                Organization.id.in_({s.organization_id for s in stations if s.organization_id})
            )
        )
    }
    institutions = []
    if actor.is_platform_admin:
        institutions = list(
            session.scalars(
                select(Organization)
                .where(Organization.kind == OrgKind.INSTITUTION)
                .order_by(Organization.name_zh)
            )
        )
    return render_template(
        "facilities/stations.html",
        stations=stations,
        owners=owners,
        summaries={s.id: weather_service.station_summary(session, s) for s in stations},
        may_add=can(actor, Permission.FACILITIES_WEATHER_MANAGE)
        and (actor.is_platform_admin or actor.org_kind is OrgKind.INSTITUTION),
        institutions=institutions,
        errors=errors or {},
        form=form or {},
        local=local,
    ), status


@bp.get("/weather-stations")
@login_required
def stations():
    """The stations the user sees: reference stations and those of their institution (or of
    the institutions whose projects their ESCO is contracted on)."""
    return _stations_page()


@bp.post("/weather-stations")
@login_required
def new_station():
    """Add a station: an institution's own, or (platform admins) a reference station."""
    actor = current_actor()
    require(actor, Permission.FACILITIES_WEATHER_MANAGE)
    data, errors = load_with(WeatherStationIn(), form_data())
    if errors:
        return _stations_page(errors=errors, form=request.form, status=422)
    try:
        station = weather_service.create_station(db(), actor, **data)
    except EmcError as error:
        return _stations_page(errors=service_errors(error), form=request.form, status=error.status)
    flash(_("Weather station %(name)s added.", name=station.name), "success")
    return redirect(url_for("facilities.station", station_id=station.id))


def _station_page(station_id: int, *, errors=None, preview=None, status: int = 200):
    actor = current_actor()
    session = db()
    station = load(session, actor, WeatherStation, station_id)
    count, first, last = weather_service.station_summary(session, station)
    recent = weather_service.temperatures(
        session, station, (last or 0) - 2 * 86400, (last or 0) + 1
    )
    sites = list(
        session.scalars(
            select(Site)
            .where(
                Site.weather_station_id == station.id, Site.organization_id == actor.organization_id
            )
            .order_by(Site.name)
        )
    )
    owner = session.get(Organization, station.organization_id) if station.organization_id else None
    return render_template(
        "facilities/station.html",
        station=station,
        owner=owner,
        count=count,
        first=first,
        last=last,
        recent=recent[-24:],
        sites=sites,
        may_write=may_write_station(actor, station),
        errors=errors or {},
        preview=preview,
        local=lambda ts: local(ts, station.timezone),
    ), status


@bp.get("/weather-stations/<int:station_id>")
@login_required
def station(station_id: int):
    """A station: how many temperatures it holds and over which period, the latest ones, the
    upload form for those who may write it."""
    return _station_page(station_id)


@bp.post("/weather-stations/<int:station_id>/temperatures")
@login_required
def upload_temperatures(station_id: int):
    """Upload a CSV/XLSX temperature file, all or nothing; ``?dry_run=true`` (the "check"
    button) parses and checks it and writes nothing."""
    actor = current_actor()
    session = db()
    station = load(session, actor, WeatherStation, station_id)
    dry_run = request.args.get("dry_run") == "true"
    try:
        form, upload = form_upload(TemperatureUploadForm())
        run = weather_service.preview_weather if dry_run else weather_service.import_weather
        result = run(
            session,
            actor,
            station.id,
            upload.stream,
            filename=upload.filename,
            replace=form["replace"],
        )
    except FrozenReadings as error:
        errors = {"_": [_(error.msgid, **error.params)]}
        return _station_page(station.id, errors=errors, status=error.status)
    except EmcError as error:
        if error.status in (403, 404):
            raise
        fields = {k: v for k, v in error.fields.items() if isinstance(v, list)}
        summary = (
            _("The file has problems: nothing was imported. Correct them and upload again.")
            if error.code == "invalid_file"
            else say(error.message)
        )
        errors = {"_": [summary], **localise(fields)}
        return _station_page(station.id, errors=errors, status=error.status)
    if dry_run:
        return _station_page(station.id, preview=result)
    flash(
        _(
            "%(rows)s temperatures imported, %(replaced)s replaced.",
            rows=result.rows,
            replaced=result.replaced,
        ),
        "success",
    )
    return redirect(url_for("facilities.station", station_id=station.id))

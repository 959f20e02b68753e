"""JSON API: sites, buildings, meters, reading uploads, readings, aggregates, quality, export."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from flask_login import login_required
from flask_smorest import Blueprint

from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.errors import Invalid
from emc.facilities import service
from emc.facilities.models import Building, Meter, Site
from emc.facilities.schemas import (
    AggregateQuery,
    AggregatesOut,
    BuildingIn,
    BuildingOut,
    BuildingPatch,
    DryRunQuery,
    EmissionFactorIn,
    EmissionFactorOut,
    EmissionFactorQuery,
    MeterIn,
    MeterOut,
    MeterPatch,
    PreviewOut,
    ProjectLinkIn,
    ProjectLinkOut,
    QualityOut,
    RangeQuery,
    ReadingsJsonIn,
    ReadingsOut,
    ReadingsQuery,
    ReadingsUploadForm,
    SiteIn,
    SiteOut,
    SitePatch,
    SiteQuery,
    TemperaturesOut,
    TemperaturesQuery,
    TemperatureUploadForm,
    TemperatureUploadOut,
    UploadOut,
    WeatherStationIn,
    WeatherStationOut,
)
from emc.facilities.service import factors as factor_service
from emc.facilities.service import preview
from emc.facilities.service import weather as weather_service
from emc.web.db import db
from emc.web.security import current_actor

blp = Blueprint(
    "facilities_api",
    __name__,
    url_prefix="/api/v1",
    description="Sites, buildings, meters and meter readings",
)


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"rows[3].start": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_"] = list(messages)
    else:
        flat[prefix or "_"] = [str(messages)]
    return flat


def max_upload_bytes() -> int:
    return current_app.config["EMC_SETTINGS"].max_upload_mb * 1024 * 1024


def upload_from_request(meter_id: int, *, dry_run: bool = False):
    """Run an upload from a multipart form (``file``, ``format``, ``unit``, ``replace``) or a
    JSON body (``rows``, ``replace``); shared by the API and the meter page. With ``dry_run``
    the same input is only checked (:mod:`emc.facilities.service.preview`): nothing is written
    and the :class:`~emc.facilities.service.preview.UploadPreview` is returned."""
    actor = current_actor()
    # Load first, so that another tenant's meter is 404 whatever was sent; then the permission,
    # so that a reader without it is 403 whatever was sent.
    load(db(), actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_READINGS_IMPORT)
    if request.is_json:
        try:
            data = ReadingsJsonIn().load(request.get_json(silent=True) or {})
        except ma.ValidationError as error:
            raise Invalid(
                "the readings are invalid", fields=flatten_messages(error.messages)
            ) from None
        if dry_run:
            return preview.preview_rows(
                db(), actor, meter_id, data["rows"], replace=data["replace"]
            )
        return service.import_rows(db(), actor, meter_id, data["rows"], replace=data["replace"])
    try:
        form = ReadingsUploadForm().load(request.form.to_dict())
    except ma.ValidationError as error:
        raise Invalid("the upload is invalid", fields=flatten_messages(error.messages)) from None
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("no file", fields={"file": ["choose a CSV or XLSX file to upload"]})
    run = preview.preview_readings if dry_run else service.import_readings
    return run(
        db(),
        actor,
        meter_id,
        upload.stream,
        filename=upload.filename,
        fmt=form["format"],
        unit=form["unit"],
        replace=form["replace"],
        max_bytes=max_upload_bytes(),
    )


def _number(value: float) -> str:
    return repr(round(value, 9))


# --- sites ---------------------------------------------------------------------------------


@blp.route("/sites")
class Sites(MethodView):
    decorators = [login_required]

    @blp.response(200, SiteOut(many=True))
    def get(self):
        """Sites the caller may see."""
        return list(db().scalars(scoped(current_actor(), Site).order_by(Site.id)))

    @blp.arguments(SiteIn)
    @blp.response(201, SiteOut)
    def post(self, data):
        """Create a site (institution admins and energy managers; platform admins)."""
        return service.create_site(db(), current_actor(), **data)


@blp.route("/sites/<int:site_id>")
class SiteItem(MethodView):
    decorators = [login_required]

    @blp.response(200, SiteOut)
    def get(self, site_id):
        return load(db(), current_actor(), Site, site_id)

    @blp.arguments(SitePatch)
    @blp.response(200, SiteOut)
    def patch(self, data, site_id):
        return service.update_site(db(), current_actor(), site_id, **data)


@blp.route("/sites/<int:site_id>/projects")
class SiteProjects(MethodView):
    decorators = [login_required]

    @blp.arguments(ProjectLinkIn)
    @blp.response(201, ProjectLinkOut)
    def post(self, data, site_id):
        """Declare that an EMC project covers the site (its ESCO then sees the meters)."""
        return service.link_project(db(), current_actor(), site_id, project_id=data["project_id"])


# --- buildings -----------------------------------------------------------------------------


@blp.route("/buildings")
class Buildings(MethodView):
    decorators = [login_required]

    @blp.arguments(SiteQuery, location="query")
    @blp.response(200, BuildingOut(many=True))
    def get(self, query):
        """Buildings the caller may see, optionally of one site."""
        stmt = scoped(current_actor(), Building)
        if "site_id" in query:
            stmt = stmt.where(Building.site_id == query["site_id"])
        return list(db().scalars(stmt.order_by(Building.id)))

    @blp.arguments(BuildingIn)
    @blp.response(201, BuildingOut)
    def post(self, data):
        return service.create_building(db(), current_actor(), **data)


@blp.route("/buildings/<int:building_id>")
class BuildingItem(MethodView):
    decorators = [login_required]

    @blp.response(200, BuildingOut)
    def get(self, building_id):
        return load(db(), current_actor(), Building, building_id)

    @blp.arguments(BuildingPatch)
    @blp.response(200, BuildingOut)
    def patch(self, data, building_id):
        return service.update_building(db(), current_actor(), building_id, **data)


# --- meters --------------------------------------------------------------------------------


@blp.route("/meters")
class Meters(MethodView):
    decorators = [login_required]

    @blp.arguments(SiteQuery, location="query")
    @blp.response(200, MeterOut(many=True))
    def get(self, query):
        """Meters the caller may see, optionally of one site."""
        stmt = scoped(current_actor(), Meter)
        if "site_id" in query:
            stmt = stmt.where(Meter.site_id == query["site_id"])
        return list(db().scalars(stmt.order_by(Meter.id)))

    @blp.arguments(MeterIn)
    @blp.response(201, MeterOut)
    def post(self, data):
        return service.create_meter(db(), current_actor(), **data)


@blp.route("/meters/<int:meter_id>")
class MeterItem(MethodView):
    decorators = [login_required]

    @blp.response(200, MeterOut)
    def get(self, meter_id):
        return load(db(), current_actor(), Meter, meter_id)

    @blp.arguments(MeterPatch)
    @blp.response(200, MeterOut)
    def patch(self, data, meter_id):
        return service.update_meter(db(), current_actor(), meter_id, **data)


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "format": {"type": "string", "enum": ["interval", "billing", "register"]},
                    "unit": {"type": "string"},
                    "replace": {"type": "boolean"},
                },
                "required": ["file"],
            }
        },
        "application/json": {"schema": ReadingsJsonIn},
    },
}


@blp.route("/meters/<int:meter_id>/readings")
class MeterReadings(MethodView):
    decorators = [login_required]

    @blp.arguments(ReadingsQuery, location="query")
    @blp.response(200, ReadingsOut)
    def get(self, query, meter_id):
        """Stored readings starting in ``[start, end)``, oldest first, at most ``limit``;
        ``next_start`` continues the list."""
        page = service.get_readings(
            db(),
            current_actor(),
            meter_id,
            start=query["start"],
            end=query["end"],
            limit=query["limit"],
        )
        zone = ZoneInfo(page.site.timezone)
        return {
            "meter_id": page.meter.id,
            "unit": page.meter.unit,
            "timezone": page.site.timezone,
            "readings": [
                {
                    "start": dt.datetime.fromtimestamp(s, zone),
                    "end": dt.datetime.fromtimestamp(e, zone),
                    "value": repr(v),
                    "quality": q,
                }
                for s, e, v, q in page.rows
            ],
            "next_start": page.next_start.astimezone(zone) if page.next_start else None,
        }

    @blp.doc(requestBody=_UPLOAD_BODY)
    @blp.arguments(DryRunQuery, location="query", as_kwargs=True)
    @blp.response(201, UploadOut)
    @blp.alt_response(
        200, schema=PreviewOut, description="dry_run=true: the check, nothing written"
    )
    def post(self, meter_id, dry_run=False):
        """Upload readings: a CSV/XLSX file (multipart ``file``) or JSON ``rows``; all or
        nothing. Problems come back under ``fields`` keyed ``row 17, column 时间`` (files) or
        ``rows[3].start`` (JSON); an overlap with stored readings is 409 unless ``replace``.
        Re-sending an already applied file answers 201 with status ``unchanged``.

        With ``?dry_run=true`` the same input is parsed and checked but nothing is written: 200
        with the summary (rows, first/last, unit conversion, gaps, the first 20 readings), every
        problem under ``problems`` and the overlap with stored readings (``ok`` false when the
        upload would be refused)."""
        if dry_run:
            checked = upload_from_request(meter_id, dry_run=True)
            return Response(
                json.dumps(PreviewOut().dump(checked), ensure_ascii=False),
                status=200,
                mimetype="application/json",
            )
        return upload_from_request(meter_id)


@blp.route("/meters/<int:meter_id>/aggregates")
class MeterAggregates(MethodView):
    decorators = [login_required]

    @blp.arguments(AggregateQuery, location="query")
    @blp.response(200, AggregatesOut)
    def get(self, query, meter_id):
        """Totals per local day or month of the site, in the meter's unit."""
        fn = service.daily_totals if query["period"] == "day" else service.monthly_totals
        meter, site, totals = fn(
            db(), current_actor(), meter_id, start=query["start"], end=query["end"]
        )
        return {
            "meter_id": meter.id,
            "unit": meter.unit,
            "timezone": site.timezone,
            "period": query["period"],
            "totals": [
                {"period": t.period, "total": _number(t.total), "readings": t.readings}
                for t in totals
            ],
        }


@blp.route("/meters/<int:meter_id>/quality")
class MeterQuality(MethodView):
    decorators = [login_required]

    @blp.response(200, QualityOut)
    def get(self, meter_id):
        """Coverage by month, gaps, runs of zeros and robust outliers."""
        report = service.quality_report(db(), current_actor(), meter_id)
        zone = ZoneInfo(report.site.timezone)

        def span(s):
            return {
                "start": s.start.astimezone(zone),
                "end": s.end.astimezone(zone),
                "readings": s.readings,
            }

        return {
            "meter_id": report.meter.id,
            "unit": report.meter.unit,
            "timezone": report.site.timezone,
            "readings": report.readings,
            "first": report.first.astimezone(zone) if report.first else None,
            "last": report.last.astimezone(zone) if report.last else None,
            "by_quality": report.by_quality,
            "coverage": [
                {"month": m.month, "readings": m.readings, "fraction": round(m.fraction, 4)}
                for m in report.coverage
            ],
            "gaps": [span(g) for g in report.gaps],
            "gap_seconds": report.gap_seconds,
            "zero_runs": [span(z) for z in report.zero_runs],
            "outliers": [
                {"period": o.period, "value": _number(o.value), "z": o.z} for o in report.outliers
            ],
        }


@blp.route("/meters/<int:meter_id>/readings.csv")
class MeterReadingsCsv(MethodView):
    decorators = [login_required]

    @blp.arguments(RangeQuery, location="query")
    @blp.response(200, content_type="text/csv", description="CSV that reads back unchanged")
    def get(self, query, meter_id):
        """The readings as CSV (local times with offset; the header carries the unit)."""
        meter, lines = service.export_csv(
            db(), current_actor(), meter_id, start=query["start"], end=query["end"]
        )
        return Response(
            stream_with_context(lines),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="meter-{meter.id}-readings.csv"'
            },
        )


# --- emission factors (reference data) -----------------------------------------------------


@blp.route("/emission-factors")
class EmissionFactors(MethodView):
    decorators = [login_required]

    @blp.arguments(EmissionFactorQuery, location="query")
    @blp.response(200, EmissionFactorOut(many=True))
    def get(self, query):
        """Standard-coal and CO2 factors, optionally by ``carrier``, ``kind`` (tce/co2),
        data ``year`` and ``region`` (province code or grid name)."""
        return factor_service.list_factors(db(), current_actor(), **query)

    @blp.arguments(EmissionFactorIn)
    @blp.response(201, EmissionFactorOut)
    def post(self, data):
        """Add a factor (platform admins). Stored factors are never changed: audits and reports
        record the factor they used, so a correction is a new row. A row with the same carrier,
        kind, variant, scope, region and year is 409."""
        return factor_service.create_factor(db(), current_actor(), **data)


# --- weather (reference data) --------------------------------------------------------------


@blp.route("/weather-stations")
class WeatherStations(MethodView):
    decorators = [login_required]

    @blp.response(200, WeatherStationOut(many=True))
    def get(self):
        """Every weather station (reference data, readable by everyone signed in)."""
        return weather_service.list_stations(db(), current_actor())

    @blp.arguments(WeatherStationIn)
    @blp.response(201, WeatherStationOut)
    def post(self, data):
        """Add a station (platform admins: stations are shared by the sites of every
        institution, so no institution writes them)."""
        return weather_service.create_station(db(), current_actor(), **data)


_TEMPERATURE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "replace": {"type": "boolean"},
                },
                "required": ["file"],
            }
        }
    },
}


@blp.route("/weather-stations/<int:station_id>/temperatures")
class StationTemperatures(MethodView):
    decorators = [login_required]

    @blp.arguments(TemperaturesQuery, location="query")
    @blp.response(200, TemperaturesOut)
    def get(self, query, station_id):
        """Temperatures (°C) starting in ``[start, end)`` (aware ISO 8601), oldest first, at most
        ``limit``; times in the station's zone; ``next_start`` continues the list."""
        page = weather_service.read_temperatures(
            db(),
            current_actor(),
            station_id,
            start=query["start"],
            end=query["end"],
            limit=query["limit"],
        )
        zone = ZoneInfo(page.station.timezone)
        return {
            "station_id": page.station.id,
            "timezone": page.station.timezone,
            "temperatures": [
                {"start": dt.datetime.fromtimestamp(s, zone), "temperature_c": t}
                for s, t in page.rows
            ],
            "next_start": page.next_start.astimezone(zone) if page.next_start else None,
        }

    @blp.doc(requestBody=_TEMPERATURE_BODY)
    @blp.response(201, TemperatureUploadOut)
    def post(self, station_id):
        """Upload a CSV/XLSX temperature file (multipart ``file``; platform admins), all or
        nothing: problems come back under ``fields`` keyed ``row 17, column 时间``; an overlap
        with stored temperatures is 409 unless ``replace``."""
        station = weather_service.station_by_id(db(), station_id)
        require(current_actor(), Permission.FACILITIES_WEATHER_MANAGE)
        try:
            form = TemperatureUploadForm().load(request.form.to_dict())
        except ma.ValidationError as error:
            raise Invalid(
                "the upload is invalid", fields=flatten_messages(error.messages)
            ) from None
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise Invalid("no file", fields={"file": ["choose a CSV or XLSX file to upload"]})
        return service.import_weather(
            db(),
            current_actor(),
            station.id,
            upload.stream,
            filename=upload.filename,
            replace=form["replace"],
        )

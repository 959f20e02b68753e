"""Weather stations (reference data and institutions' own) and their temperatures: list, add,
read, upload."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import login_required

from emc.errors import Conflict
from emc.facilities import service
from emc.facilities.api.common import blp, form_upload
from emc.facilities.schemas import (
    TemperaturesOut,
    TemperaturesQuery,
    TemperatureUploadForm,
    TemperatureUploadOut,
    WeatherStationIn,
    WeatherStationOut,
)
from emc.facilities.service import weather as weather_service
from emc.facilities.service.rights import FrozenReadings
from emc.web.db import db
from emc.web.security import current_actor


@blp.route("/weather-stations")
class WeatherStations(MethodView):
    decorators = [login_required]

    @blp.response(200, WeatherStationOut(many=True))
    def get(self):
        """The weather stations the caller sees: reference stations, its institution's own, and
        those of the institutions whose projects it is contracted on."""
        return weather_service.list_stations(db(), current_actor())

    @blp.arguments(WeatherStationIn)
    @blp.response(201, WeatherStationOut)
    def post(self, data):
        """Add a station: platform admins add reference stations (or one for a named
        institution); an institution's admins and energy managers add stations it owns."""
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
        """Upload a CSV/XLSX temperature file (multipart ``file``; the platform for reference
        stations, the owning institution's admins and energy managers for its own), all or
        nothing: problems come back under ``fields`` keyed ``row 17, column 时间``; an overlap
        with stored temperatures is 409 unless ``replace``."""
        weather_service.find_station(db(), station_id, current_actor())
        form, upload = form_upload(TemperatureUploadForm())
        try:
            return _import(station_id, form, upload)
        except FrozenReadings as error:
            raise Conflict(
                _(error.msgid, **error.params), fields=error.fields, code=error.code
            ) from None


def _import(station_id, form, upload):
    return service.import_weather(
        db(),
        current_actor(),
        station_id,
        upload.stream,
        filename=upload.filename,
        replace=form["replace"],
    )

"""marshmallow schemas for sites, buildings, meters, readings and their aggregates.

``*In`` load (unknown keys rejected), ``*Out`` dump an explicit field list. Energy goes out as a
string with its unit beside it; instants go in and out as aware ISO 8601 datetimes (out in the
site's time zone).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from flask_babel import gettext
from marshmallow import fields, validate

from emc.energy import Carrier
from emc.facilities.ingest import MeterKind
from emc.facilities.models import BuildingType, ClimateZone, UploadStatus
from emc.messages import msg
from emc.schemas import StrictSchema, text


def _optional_text(max_len: int) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=max_len))


class _BlankToNone:
    _blank_fields: tuple[str, ...] = ()

    @ma.post_load
    def _blank_to_none(self, data, **_):
        for key in self._blank_fields:
            if data.get(key) == "":
                data[key] = None
        return data


def _time_zone(value: str) -> None:
    """An IANA time zone name (checked here too, so a form shows it beside its other errors)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise ma.ValidationError(msg("facilities.not_a_time_zone", zone=value)) from None


def _year_built(value: int | None) -> None:
    from emc.facilities.service.sites import year_built_problem

    if (problem := year_built_problem(value)) is not None:
        raise ma.ValidationError(problem)


# --- sites ---------------------------------------------------------------------------------


class SiteIn(_BlankToNone, StrictSchema):
    _blank_fields = ("address",)

    organization_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    name = text(200, required=True)
    address = _optional_text(500)
    region_code = fields.String(
        required=True, validate=validate.Regexp(r"^\d{6}$", error="must be 6 digits")
    )
    # Checked by the service with the region, so the two unknowns are refused together.
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(min=1, max=64))
    weather_station_id = fields.Integer(load_default=None, allow_none=True, strict=False)


class SitePatch(_BlankToNone, StrictSchema):
    _blank_fields = ("address",)

    name = text(200)
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    region_code = fields.String(validate=validate.Regexp(r"^\d{6}$", error="must be 6 digits"))
    timezone = fields.String(validate=validate.Length(min=1, max=64))
    weather_station_id = fields.Integer(allow_none=True, strict=False)


class SiteOut(ma.Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    name = fields.String()
    address = fields.String(allow_none=True)
    region_code = fields.String()
    timezone = fields.String()
    weather_station_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class ProjectLinkIn(StrictSchema):
    project_id = fields.Integer(required=True, strict=False)


class ProjectLinkOut(ma.Schema):
    site_id = fields.Integer()
    project_id = fields.Integer()


# --- buildings -----------------------------------------------------------------------------


class BuildingIn(StrictSchema):
    site_id = fields.Integer(required=True, strict=False)
    name = text(200, required=True)
    floor_area_m2 = fields.Decimal(
        required=True, places=2, as_string=True, validate=validate.Range(min=0, min_inclusive=False)
    )
    building_type = fields.Enum(BuildingType, by_value=True, required=True)
    year_built = fields.Integer(
        load_default=None, allow_none=True, strict=False, validate=_year_built
    )
    occupants = fields.Integer(
        load_default=None, allow_none=True, strict=False, validate=validate.Range(min=0)
    )
    climate_zone = fields.Enum(ClimateZone, by_value=True, required=True)


class BuildingPatch(StrictSchema):
    name = text(200)
    floor_area_m2 = fields.Decimal(
        places=2, as_string=True, validate=validate.Range(min=0, min_inclusive=False)
    )
    building_type = fields.Enum(BuildingType, by_value=True)
    year_built = fields.Integer(allow_none=True, strict=False, validate=_year_built)
    occupants = fields.Integer(allow_none=True, strict=False, validate=validate.Range(min=0))
    climate_zone = fields.Enum(ClimateZone, by_value=True)


class BuildingOut(ma.Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    name = fields.String()
    floor_area_m2 = fields.Decimal(as_string=True)
    building_type = fields.Enum(BuildingType, by_value=True)
    year_built = fields.Integer(allow_none=True)
    occupants = fields.Integer(allow_none=True)
    climate_zone = fields.Enum(ClimateZone, by_value=True)
    created_at = fields.AwareDateTime()


class MeterRetireIn(StrictSchema):
    reason = text(500, required=True)


class SiteQuery(StrictSchema):
    site_id = fields.Integer(strict=False)


# --- meters --------------------------------------------------------------------------------


class MeterIn(StrictSchema):
    site_id = fields.Integer(required=True, strict=False)
    building_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    name = text(200, required=True)
    carrier = fields.Enum(Carrier, by_value=True, required=True)
    unit = text(20, required=True)
    kind = fields.Enum(MeterKind, by_value=True, required=True)
    interval_minutes = fields.Integer(
        load_default=None, allow_none=True, strict=False, validate=validate.Range(min=1, max=1440)
    )
    multiplier = fields.Decimal(
        load_default=None,
        allow_none=True,
        places=4,
        as_string=True,
        validate=validate.Range(min=0, min_inclusive=False),
    )
    parent_meter_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    serial_number = _optional_text(100)
    rollover = fields.Decimal(
        load_default=None,
        allow_none=True,
        places=3,
        as_string=True,
        validate=validate.Range(min=0, min_inclusive=False),
    )
    max_per_hour = fields.Decimal(
        load_default=None,
        allow_none=True,
        places=3,
        as_string=True,
        validate=validate.Range(min=0, min_inclusive=False),
        metadata={"description": "Rated capacity or maximum demand, meter unit per hour"},
    )

    @ma.post_load
    def _defaults(self, data, **_):
        if data.get("multiplier") is None:
            data.pop("multiplier", None)
        if data.get("serial_number") == "":
            data["serial_number"] = None
        return data


class MeterPatch(StrictSchema):
    building_id = fields.Integer(allow_none=True, strict=False)
    name = text(200)
    carrier = fields.Enum(Carrier, by_value=True)
    unit = text(20)
    kind = fields.Enum(MeterKind, by_value=True)
    interval_minutes = fields.Integer(
        allow_none=True, strict=False, validate=validate.Range(min=1, max=1440)
    )
    multiplier = fields.Decimal(
        places=4, as_string=True, validate=validate.Range(min=0, min_inclusive=False)
    )
    parent_meter_id = fields.Integer(allow_none=True, strict=False)
    serial_number = fields.String(allow_none=True, validate=validate.Length(max=100))
    rollover = fields.Decimal(
        allow_none=True,
        places=3,
        as_string=True,
        validate=validate.Range(min=0, min_inclusive=False),
    )
    max_per_hour = fields.Decimal(
        allow_none=True,
        places=3,
        as_string=True,
        validate=validate.Range(min=0, min_inclusive=False),
    )


class MeterOut(ma.Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    building_id = fields.Integer(allow_none=True)
    name = fields.String()
    carrier = fields.Enum(Carrier, by_value=True)
    unit = fields.String()
    kind = fields.Enum(MeterKind, by_value=True)
    interval_minutes = fields.Integer(allow_none=True)
    multiplier = fields.Decimal(as_string=True)
    parent_meter_id = fields.Integer(allow_none=True)
    serial_number = fields.String(allow_none=True)
    rollover = fields.Decimal(as_string=True, allow_none=True)
    max_per_hour = fields.Decimal(as_string=True, allow_none=True)
    retired_at = fields.AwareDateTime(allow_none=True)
    retired_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


# --- readings ------------------------------------------------------------------------------


class ReadingRowIn(StrictSchema):
    start = fields.AwareDateTime(required=True, default_timezone=None)
    end = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)
    value = fields.Decimal(required=True, allow_nan=False)
    quality = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))


class ReadingsJsonIn(StrictSchema):
    rows = fields.List(
        fields.Nested(ReadingRowIn), required=True, validate=validate.Length(min=1, max=100_000)
    )
    replace = fields.Boolean(load_default=False)


class ReadingsUploadForm(StrictSchema):
    """The non-file fields of a multipart upload (the file is the ``file`` part)."""

    format = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf([k.value for k in MeterKind])
    )
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    replace = fields.Boolean(load_default=False)
    csrf_token = fields.String(load_only=True)

    @ma.pre_load
    def _blank_to_none(self, data, **_):
        return {k: (None if v == "" else v) for k, v in data.items()}


class UploadOut(ma.Schema):
    status = fields.String()
    message = fields.String()
    upload_id = fields.Integer(attribute="upload.id")
    filename = fields.String(attribute="upload.filename")
    sha256 = fields.String(attribute="upload.sha256")
    rows = fields.Integer()
    unit = fields.String()
    first = fields.AwareDateTime(allow_none=True)
    last = fields.AwareDateTime(allow_none=True)
    replaced_count = fields.Integer()
    replaced_first = fields.AwareDateTime(allow_none=True)
    replaced_last = fields.AwareDateTime(allow_none=True)
    warnings = fields.List(fields.String())


class RangeQuery(StrictSchema):
    start = fields.AwareDateTime(load_default=None, default_timezone=None)
    end = fields.AwareDateTime(load_default=None, default_timezone=None)

    @ma.validates_schema
    def _ordered(self, data, **_):
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ma.ValidationError(msg("field.after_start"), "end")


class ExportQuery(RangeQuery):
    format = fields.String(
        load_default=None,
        validate=validate.OneOf(["local", "iso"]),
        metadata={
            "description": "``local``: the upload template's format (Chinese headers, local"
            " times without offset, 实测/估算/替换, a bill's end as its last day); ``iso``: the"
            " machine format (English headers, local times with their UTC offset, measured/"
            "estimated/replaced, exclusive ends). Default: ``iso`` when the request's language"
            " is English, else ``local``. Both read back unchanged through an upload."
        },
    )


class ReadingsQuery(RangeQuery):
    limit = fields.Integer(load_default=10_000, validate=validate.Range(min=1, max=100_000))


class AggregateQuery(RangeQuery):
    period = fields.String(required=True, validate=validate.OneOf(["day", "month"]))


class ReadingOut(ma.Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    value = fields.String()
    quality = fields.String()


class ReadingsOut(ma.Schema):
    meter_id = fields.Integer()
    unit = fields.String()
    timezone = fields.String()
    readings = fields.List(fields.Nested(ReadingOut))
    next_start = fields.AwareDateTime(allow_none=True)


class TotalOut(ma.Schema):
    period = fields.Date()
    total = fields.String()
    readings = fields.Integer()


class AggregatesOut(ma.Schema):
    meter_id = fields.Integer()
    unit = fields.String()
    timezone = fields.String()
    period = fields.String()
    totals = fields.List(fields.Nested(TotalOut))


class SpanOut(ma.Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    readings = fields.Integer()


class MonthCoverageOut(ma.Schema):
    month = fields.Date()
    readings = fields.Integer()
    fraction = fields.Float()


class OutlierOut(ma.Schema):
    period = fields.Date()
    value = fields.String()
    z = fields.Float()


class QualityOut(ma.Schema):
    meter_id = fields.Integer()
    unit = fields.String()
    timezone = fields.String()
    readings = fields.Integer()
    first = fields.AwareDateTime(allow_none=True)
    last = fields.AwareDateTime(allow_none=True)
    by_quality = fields.Dict(keys=fields.String(), values=fields.Integer())
    coverage = fields.List(fields.Nested(MonthCoverageOut))
    gaps = fields.List(fields.Nested(SpanOut))
    gap_seconds = fields.Integer()
    zero_runs = fields.List(fields.Nested(SpanOut))
    outliers = fields.List(fields.Nested(OutlierOut))


class UploadRecordOut(ma.Schema):
    id = fields.Integer()
    filename = fields.String()
    sha256 = fields.String()
    rows = fields.Integer()
    status = fields.Enum(UploadStatus, by_value=True)
    uploaded_at = fields.AwareDateTime()
    replaced_count = fields.Integer()


# --- emission factors (reference data) -----------------------------------------------------


class EmissionFactorIn(_BlankToNone, StrictSchema):
    """A new reference factor; the service checks that the fields fit each other."""

    _blank_fields = ("region", "variant")

    carrier = fields.String(required=True, validate=validate.OneOf([c.value for c in Carrier]))
    kind = fields.String(required=True, validate=validate.OneOf(["tce", "co2"]))
    unit = text(20, required=True)
    value = fields.Decimal(required=True, allow_nan=False)
    year = fields.Integer(load_default=None, allow_none=True, strict=False)
    scope = fields.String(
        required=True, validate=validate.OneOf(["national", "regional", "provincial"])
    )
    region = _optional_text(20)
    variant = _optional_text(20)
    source = text(500, required=True)


class EmissionFactorCorrectionIn(_BlankToNone, StrictSchema):
    """A correction of a stored factor: the right value (unit and source when they change too)
    and why the stored one is wrong; the key (carrier, kind, year, scope, region, variant) is the
    corrected row's."""

    _blank_fields = ("unit", "source")

    value = fields.Decimal(required=True, allow_nan=False)
    unit = _optional_text(20)
    source = _optional_text(500)
    reason = text(500, required=True)


class EmissionFactorQuery(_BlankToNone, StrictSchema):
    _blank_fields = ("carrier", "kind", "region")

    carrier = fields.String(validate=validate.Length(max=20))
    kind = fields.String(validate=validate.OneOf(["", "tce", "co2"]))
    year = fields.Integer(strict=False)
    region = fields.String(validate=validate.Length(max=20))
    current = fields.Boolean(metadata={"description": "only rows no correction supersedes"})


class EmissionFactorOut(ma.Schema):
    id = fields.Integer()
    carrier = fields.String()
    kind = fields.String()
    value = fields.Decimal(as_string=True)
    unit = fields.String()
    year = fields.Integer(allow_none=True)
    scope = fields.String()
    region = fields.String(allow_none=True)
    variant = fields.String(allow_none=True)
    source = fields.String()
    supersedes_id = fields.Integer(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True)
    correction_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


# --- weather --------------------------------------------------------------------------------


class WeatherStationIn(StrictSchema):
    code = text(20, required=True)
    name = text(200, required=True)
    timezone = fields.String(
        load_default="Asia/Shanghai", validate=[validate.Length(min=1, max=64), _time_zone]
    )
    # The owning institution; none for a platform reference station (platform admins only).
    organization_id = fields.Integer(load_default=None, allow_none=True, strict=False)


class WeatherStationOut(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    timezone = fields.String()
    organization_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class TemperatureUploadForm(StrictSchema):
    """The non-file fields of a temperature upload (the file is the ``file`` part)."""

    replace = fields.Boolean(load_default=False)
    csrf_token = fields.String(load_only=True)


class TemperatureUploadOut(ma.Schema):
    station_id = fields.Integer(attribute="station.id")
    rows = fields.Integer()
    first = fields.AwareDateTime()
    last = fields.AwareDateTime()
    replaced = fields.Integer()


class TemperaturesQuery(RangeQuery):
    limit = fields.Integer(load_default=10_000, validate=validate.Range(min=1, max=100_000))


class TemperatureOut(ma.Schema):
    start = fields.AwareDateTime()
    temperature_c = fields.Float()


class TemperaturesOut(ma.Schema):
    station_id = fields.Integer()
    timezone = fields.String()
    temperatures = fields.List(fields.Nested(TemperatureOut))
    next_start = fields.AwareDateTime(allow_none=True)


# --- upload preview (dry run) ----------------------------------------------------------------


class DryRunQuery(StrictSchema):
    dry_run = fields.Boolean(load_default=False)


class PreviewRowOut(ma.Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    value = fields.Float()
    quality = fields.String()


class GapOut(ma.Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()


class OverlapOut(ma.Schema):
    count = fields.Integer()
    first = fields.AwareDateTime(allow_none=True)
    last = fields.AwareDateTime(allow_none=True)


class PreviewOut(ma.Schema):
    """What an upload would do (``dry_run=true``); nothing was written."""

    dry_run = fields.Constant(True)
    status = fields.String()
    ok = fields.Boolean()
    meter_id = fields.Integer(attribute="meter.id")
    filename = fields.String()
    sha256 = fields.String()
    rows = fields.Integer()
    first = fields.AwareDateTime(allow_none=True)
    last = fields.AwareDateTime(allow_none=True)
    unit = fields.String()
    source_unit = fields.String(allow_none=True)
    converted = fields.Boolean()
    sample = fields.List(fields.Nested(PreviewRowOut))
    gap_count = fields.Integer()
    gaps = fields.List(fields.Nested(GapOut))
    warnings = fields.List(fields.String())
    problems = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    overlap = fields.Nested(OverlapOut, allow_none=True)
    already_imported = fields.Integer(allow_none=True)
    # Why the upload would be refused although the file is fine (a frozen period), in the
    # reader's language; None otherwise.
    frozen = fields.Function(
        lambda p: gettext(p.frozen.msgid, **p.frozen.params) if p.frozen else None,
        allow_none=True,
    )

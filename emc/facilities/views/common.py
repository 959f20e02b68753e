"""What the facilities pages share: the blueprint, labels of the enums, form helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import Blueprint, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from emc.audit.service.labels import BUILDING_TYPE_LABELS
from emc.errors import EmcError
from emc.facilities.ingest import MeterKind
from emc.facilities.models import BuildingType, ClimateZone
from emc.web.forms import form_data, localise
from emc.web.messages import say

bp = Blueprint("facilities", __name__)

CLIMATE_ZONE_LABELS = {
    ClimateZone.SEVERE_COLD: _l("Severe cold"),
    ClimateZone.COLD: _l("Cold"),
    ClimateZone.HOT_SUMMER_COLD_WINTER: _l("Hot summer, cold winter"),
    ClimateZone.HOT_SUMMER_WARM_WINTER: _l("Hot summer, warm winter"),
    ClimateZone.MILD: _l("Mild"),
}
METER_KIND_LABELS = {
    MeterKind.INTERVAL: _l("Interval meter"),
    MeterKind.BILLING: _l("Billing periods"),
    MeterKind.REGISTER: _l("Register (cumulative)"),
}


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "building_type_label": lambda t: _(BUILDING_TYPE_LABELS[BuildingType(t)]),
        "climate_zone_label": lambda z: CLIMATE_ZONE_LABELS[ClimateZone(z)],
        "meter_kind_label": lambda k: METER_KIND_LABELS[MeterKind(k)],
    }


def choices() -> dict[str, Any]:
    """The options of the enum selects, in declaration order."""
    return {
        "building_types": list(BuildingType),
        "climate_zones": list(ClimateZone),
        "meter_kinds": list(MeterKind),
    }


def local(epoch: int | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, ZoneInfo(zone)).strftime(fmt)


def patch_form(nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The edit form as a ``*Patch`` body: a blank optional input clears the field (None)."""
    data = form_data()
    for name in nullable:
        if name in request.form and request.form[name].strip() == "":
            data[name] = None
    return data


def load_with(schema: ma.Schema, data: dict[str, Any]) -> tuple[dict | None, dict]:
    """``schema.load(data)`` or (None, the localised errors by field)."""
    try:
        return schema.load(data), {}
    except ma.ValidationError as error:
        return None, localise(error.messages)


def service_errors(error: EmcError) -> dict[str, list[str]]:
    """A service error as form errors: its fields beside the inputs, its message on top."""
    fields = {k: v for k, v in error.fields.items() if isinstance(v, list)}
    if fields:
        return localise(fields)
    return {"_": [say(error.message)]}


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def page_args() -> dict[str, int]:
    return {"page": int_arg("page") or 1}

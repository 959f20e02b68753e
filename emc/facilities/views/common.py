"""What the facilities pages share: the blueprint, labels of the enums, form helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import Blueprint, request

from emc.errors import EmcError
from emc.facilities.ingest import MeterKind
from emc.facilities.models import BuildingType, ClimateZone
from emc.web.args import page_arg
from emc.web.forms import form_data, localise
from emc.web.labels import label
from emc.web.messages import say

bp = Blueprint("facilities", __name__)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        # The one registry (emc.labels), under the names the facilities templates use.
        "building_type_label": lambda t: label(t, BuildingType),
        "climate_zone_label": lambda z: label(z, ClimateZone),
        "meter_kind_label": lambda k: label(k, MeterKind),
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


def submit_form(
    schema: ma.Schema, payload: Callable[[], dict[str, Any]], act: Callable[[dict], Any]
) -> tuple[Any, dict, int]:
    """A form page's POST: load ``payload()`` with ``schema`` and ``act(data)`` (the service
    call, its flash and the redirect it returns). ``(redirect, {}, 302)`` when it succeeds;
    ``(None, errors, status)`` otherwise: 200 and no errors for a GET, 422 for bad input, the
    service error's own status with its fields beside the inputs."""
    if request.method != "POST":
        return None, {}, 200
    data, errors = load_with(schema, payload())
    if errors:
        return None, errors, 422
    try:
        return act(data), {}, 302
    except EmcError as error:
        return None, service_errors(error), error.status


def service_errors(error: EmcError) -> dict[str, list[str]]:
    """A service error as form errors: its fields beside the inputs, its message on top."""
    fields = {k: v for k, v in error.fields.items() if isinstance(v, list)}
    if fields:
        return localise(fields)
    return {"_": [say(error.message)]}


def page_args() -> dict[str, int]:
    return {"page": page_arg()}

"""marshmallow schemas of the watch's forms and API (``*In`` load, ``*Out`` dump)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from emc.schemas import StrictSchema, text
from emc.watch.models import MissingDaysPolicy


class EventDismissIn(StrictSchema):
    reason = text(1000, required=True)
    version = fields.Integer(strict=False, load_default=None)


class EventConvertIn(StrictSchema):
    # Optional: an empty reason is the default, so the length check starts at 0.
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
    amount = fields.Decimal(allow_nan=False, load_default=None, places=3)
    version = fields.Integer(strict=False, load_default=None)


class WatchSettingsIn(StrictSchema):
    shortfall_probability = fields.Float(
        required=True, allow_nan=False, validate=validate.Range(min=0.05, max=0.95)
    )
    missing_days = fields.Enum(MissingDaysPolicy, by_value=True, required=True)
    fill_method = text(500, load_default=None, allow_none=True)


class QuotaShareIn(StrictSchema):
    share = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0.5, max=1.0))


class EventOut(ma.Schema):
    id = fields.Integer()
    meter_id = fields.Integer()
    scope = fields.String()
    start = fields.Date(attribute="start_date")
    detected_on = fields.Date()
    change_per_day = fields.Decimal(as_string=True)
    change_percent = fields.Float(allow_none=True)
    confidence = fields.Float()
    unit = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    adjustment_id = fields.Integer(allow_none=True)
    version = fields.Integer()


class WatchOut(ma.Schema):
    project_id = fields.Integer()
    as_of = fields.Date()
    period_start = fields.Date()
    unit = fields.String()
    series = fields.Dict()
    forecast = fields.Dict()
    gaps = fields.List(fields.Dict())

"""Calendar API schemas: statutory years, term calendars, a site's day types."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from emc.schemas import StrictSchema


class StatutoryDayIn(StrictSchema):
    date = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["holiday", "makeup_workday"]))
    name = fields.String(load_default="", validate=validate.Length(max=100))


class StatutoryYearIn(StrictSchema):
    source = fields.String(required=True, validate=validate.Length(min=1, max=500))
    days = fields.List(
        fields.Nested(StatutoryDayIn), required=True, validate=validate.Length(min=1, max=400)
    )


class StatutoryDayOut(ma.Schema):
    date = fields.Date()
    kind = fields.String()
    name = fields.String()


class StatutoryYearOut(ma.Schema):
    year = fields.Integer()
    source = fields.String(metadata={"description": "package, override or none"})
    note = fields.String()
    days = fields.List(fields.Nested(StatutoryDayOut))


class TermPeriodOut(ma.Schema):
    kind = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(metadata={"description": "exclusive"})
    name = fields.String()


class TermCalendarOut(ma.Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    name = fields.String()
    shared = fields.Boolean()
    city_code = fields.String()
    periods = fields.List(fields.Nested(TermPeriodOut))


class DayTypesQuery(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True, metadata={"description": "exclusive"})


class DayTypeOut(ma.Schema):
    date = fields.Date()
    day_type = fields.String()


class DayTypesOut(ma.Schema):
    site_id = fields.Integer()
    term_calendar = fields.String(allow_none=True)
    unknown_years = fields.List(fields.Integer())
    days = fields.List(fields.Nested(DayTypeOut))

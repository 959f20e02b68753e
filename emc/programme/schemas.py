"""marshmallow schemas for programme targets, energy statistics, dashboards and project lists.

``*In`` load (unknown keys rejected; quantities as ``Decimal`` strings), ``*Out`` dump an
explicit field list, ``*Query`` filter lists.
"""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from emc.auth.models import Sector
from emc.contracts.finance import ContractType
from emc.contracts.models import ProjectStatus
from emc.energy import Carrier
from emc.messages import msg
from emc.programme.models import FIRST_YEAR, LAST_YEAR, Metric, StatSource
from emc.schemas import StrictSchema, text

YEAR = validate.Range(min=FIRST_YEAR, max=LAST_YEAR)


def _division_code(value: str) -> None:
    """A GB/T 2260 division code: six digits (the catalogue's sentence if not)."""
    if re.fullmatch(r"\d{6}", value) is None:
        raise ma.ValidationError(msg("programme.division_code"))


def _decimal(**kw) -> fields.Decimal:
    return fields.Decimal(as_string=True, allow_nan=False, **kw)


class TargetIn(StrictSchema):
    region_code = fields.String(required=True, validate=_division_code)
    metric = fields.Enum(Metric, by_value=True, required=True)
    start_year = fields.Integer(required=True, strict=False, validate=YEAR)
    end_year = fields.Integer(required=True, strict=False, validate=YEAR)
    project_count = fields.Integer(
        load_default=None, allow_none=True, strict=False, validate=validate.Range(min=0)
    )
    reduction_pct = _decimal(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=100)
    )
    base_year = fields.Integer(load_default=None, allow_none=True, strict=False, validate=YEAR)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TargetPatch(StrictSchema):
    project_count = fields.Integer(allow_none=True, strict=False, validate=validate.Range(min=0))
    reduction_pct = _decimal(allow_none=True, validate=validate.Range(min=0, max=100))
    base_year = fields.Integer(allow_none=True, strict=False, validate=YEAR)
    note = fields.String(allow_none=True, validate=validate.Length(max=500))
    version = fields.Integer(strict=False)


class TargetQuery(StrictSchema):
    region = fields.String(validate=_division_code)
    metric = fields.Enum(Metric, by_value=True)


class TargetOut(ma.Schema):
    id = fields.Integer()
    region_code = fields.String()
    metric = fields.Enum(Metric, by_value=True)
    start_year = fields.Integer()
    end_year = fields.Integer()
    project_count = fields.Integer(allow_none=True)
    reduction_pct = _decimal(allow_none=True)
    base_year = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    set_by_organization_id = fields.Integer()
    version = fields.Integer()
    updated_at = fields.AwareDateTime()


class StatCarrierIn(StrictSchema):
    carrier = fields.Enum(Carrier, by_value=True, required=True)
    quantity = _decimal(required=True, validate=validate.Range(min=0))
    unit = text(20, required=True)


class StatIn(StrictSchema):
    """Annual statistics entered by hand (or one row of an import)."""

    year = fields.Integer(required=True, strict=False, validate=YEAR)
    floor_area_m2 = _decimal(required=True, validate=validate.Range(min=0, min_inclusive=False))
    occupants = fields.Integer(
        load_default=None, allow_none=True, strict=False, validate=validate.Range(min=0)
    )
    carriers = fields.List(fields.Nested(StatCarrierIn), required=True)


class StatMetersIn(StrictSchema):
    year = fields.Integer(required=True, strict=False, validate=YEAR)


class StatQuery(StrictSchema):
    year = fields.Integer(strict=False, validate=YEAR)
    organization_id = fields.Integer(strict=False)


class StatCarrierOut(ma.Schema):
    carrier = fields.String()
    quantity = _decimal()
    unit = fields.String()
    source = fields.Enum(StatSource, by_value=True)
    tce = _decimal()
    co2_t = _decimal()


class StatOut(ma.Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    year = fields.Integer()
    floor_area_m2 = _decimal()
    floor_area_source = fields.Enum(StatSource, by_value=True)
    occupants = fields.Integer(allow_none=True)
    occupants_source = fields.Enum(StatSource, by_value=True, allow_none=True)
    energy_tce = _decimal()
    co2_t = _decimal()
    factor_notes = fields.List(fields.String())
    carriers = fields.List(fields.Nested(StatCarrierOut))
    version = fields.Integer()


class StatImportOut(ma.Schema):
    rows = fields.Integer()
    stats = fields.List(fields.Nested(StatOut))


class ProgrammeDashboardQuery(StrictSchema):
    region = fields.String(validate=_division_code)
    start_year = fields.Integer(strict=False, validate=YEAR)
    end_year = fields.Integer(strict=False, validate=YEAR)


class ProgrammeProjectQuery(ProgrammeDashboardQuery):
    status = fields.Enum(ProjectStatus, by_value=True)
    contract_type = fields.Enum(ContractType, by_value=True)
    sector = fields.Enum(Sector, by_value=True)
    year = fields.Integer(strict=False, validate=YEAR)
    counted = fields.Boolean()
    q = fields.String(validate=validate.Length(max=100))
    page = fields.Integer(strict=False, load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(
        strict=False, load_default=50, validate=validate.Range(min=1, max=500)
    )


class ProgrammeProjectOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    institution = fields.String()
    region_code = fields.String()
    sector = fields.String(allow_none=True)
    esco = fields.String(allow_none=True)
    status = fields.String()
    contract_type = fields.String(allow_none=True)
    signed_on = fields.Date(allow_none=True)
    counted = fields.Boolean()
    count_year = fields.Integer(allow_none=True)
    reason = fields.String()
    total_investment = _decimal(allow_none=True)
    investor = fields.String()


class ProgrammeProjectPageOut(ma.Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(ProgrammeProjectOut))


class ProgrammeSnapshotQuery(StrictSchema):
    region = fields.String(validate=_division_code)


class ProgrammeSnapshotOut(ma.Schema):
    snapshot_date = fields.Date()
    region_code = fields.String()
    projects_counted = fields.Integer()
    projects_listed = fields.Integer()
    custody_counted = fields.Integer()
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    investment_total = _decimal()
    investment_private = _decimal()
    savings_tce = _decimal()
    savings_co2_t = _decimal()
    savings_cny = _decimal()


class ProgrammeDashboardOut(ma.Schema):
    """The dashboard's data (see ``emc.programme.service.Dashboard``)."""

    region = fields.Dict()
    breadcrumb = fields.List(fields.Dict())
    window = fields.Dict()
    as_of = fields.String()
    counting_rule = fields.String()
    progress = fields.Dict()
    monthly = fields.List(fields.Dict())
    by_year = fields.List(fields.Dict())
    by_type = fields.List(fields.Dict())
    by_sector = fields.List(fields.Dict())
    by_status = fields.List(fields.Dict())
    children = fields.List(fields.Dict())
    savings = fields.Dict()
    investment = fields.Dict()
    intensity = fields.Dict()
    trend = fields.List(fields.Dict())
    baseline_overrides = fields.Integer()

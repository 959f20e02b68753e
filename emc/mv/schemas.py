"""marshmallow schemas of the M&V API and forms: ``*In`` load (unknown keys rejected),
``*Out`` dump an explicit field list. Money and tonnes as Decimal strings; statistics, energies
of the engine and FSU as numbers (they are floats in the engine and in the stored results)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from emc.messages import msg
from emc.mv.models import (
    BaselineModelKind,
    BaselineStatus,
    IpmvpOption,
    MeasuredParameter,
    MvMethod,
    Party,
    ReportingFrequency,
    ReportStatus,
)
from emc.schemas import StrictSchema, text


def _fraction(**kw) -> fields.Float:
    return fields.Float(validate=validate.Range(min=0, max=1), allow_nan=False, **kw)


class MvBoundaryItem(StrictSchema):
    meter_id = fields.Integer(required=True, strict=False)
    option = fields.Enum(IpmvpOption, by_value=True, required=True)


class MvStipulatedItem(StrictSchema):
    name = text(200, required=True)
    value = fields.Decimal(as_string=True, required=True, allow_nan=False)
    unit = text(40, required=True)
    source = text(1000, required=True)

    @ma.post_load
    def _text(self, data, **_):
        # Stored as JSON: keep the exact decimal as text.
        return {**data, "value": str(data["value"])}


class MvAcceptanceIn(StrictSchema):
    cvrmse_limit_under_12_months = _fraction()
    cvrmse_limit_12_to_60_months = _fraction()
    cvrmse_limit_over_60_months = _fraction()
    nmbe_limit = _fraction()
    fsu_limit = fields.Float(validate=validate.Range(min=0, max=10), allow_nan=False)


class MvPlanIn(StrictSchema):
    boundary = fields.List(
        fields.Nested(MvBoundaryItem),
        required=True,
        validate=validate.Length(min=1, max=50, error=msg("mv.boundary_meters")),
    )
    method = fields.Enum(MvMethod, by_value=True, required=True)
    baseline_start = fields.Date(required=True)
    baseline_end = fields.Date(required=True)
    reporting_frequency = fields.Enum(ReportingFrequency, by_value=True, required=True)
    stipulated = fields.List(fields.Nested(MvStipulatedItem), load_default=list)
    acceptance = fields.Nested(MvAcceptanceIn, load_default=None, allow_none=True)
    baseline_model = fields.Enum(BaselineModelKind, by_value=True, load_default=None)
    version = fields.Integer(load_default=None, allow_none=True, strict=False)


class MvPlanOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    boundary = fields.List(fields.Dict())
    method = fields.Enum(MvMethod, by_value=True)
    baseline_start = fields.Date()
    baseline_end = fields.Date()
    reporting_frequency = fields.Enum(ReportingFrequency, by_value=True)
    price_basis = fields.List(fields.Dict())
    stipulated = fields.List(fields.Dict())
    acceptance = fields.Dict()
    baseline_model = fields.Enum(BaselineModelKind, by_value=True)
    version = fields.Integer()
    updated_at = fields.AwareDateTime()


class SimulationIn(StrictSchema):
    """Option D: a meter's simulation results as CSV text ``period,value,unit`` (period a local
    month ``YYYY-MM`` or hour ``YYYY-MM-DD HH:MM``)."""

    meter_id = fields.Integer(required=True, strict=False)
    interval = fields.String(required=True, validate=validate.OneOf(["monthly", "hourly"]))
    # Kept byte for byte: stored as evidence with their hash.
    calibration_csv = text(2_000_000, trim=False, required=True)
    baseline_csv = text(2_000_000, trim=False, required=True)


class BaselineProposeIn(StrictSchema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    allow_insufficient = fields.Boolean(load_default=False)
    simulations = fields.List(fields.Nested(SimulationIn), load_default=list)


def _row_version() -> fields.Integer:
    # The row version the user saw (``row_version`` of the object read): a decision on a
    # changed object is refused with 409 instead of deciding something the user never saw.
    return fields.Integer(
        data_key="row_version", required=True, strict=False, validate=validate.Range(min=1)
    )


class MvVersionIn(StrictSchema):
    version = _row_version()


class MvDecisionIn(MvVersionIn):
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class BaselineApproveIn(MvDecisionIn):
    # Required (by the service) when the baseline fails G14 or lacks data; recorded with it.
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )


class MvCommentIn(MvVersionIn):
    comment = text(2000, required=True)


class MvReasonIn(MvVersionIn):
    reason = text(1000, required=True)


class BaselineModelOut(ma.Schema):
    meter_id = fields.Integer()
    meter_name = fields.String()
    carrier = fields.String()
    unit = fields.String()
    option = fields.String()
    model = fields.Dict()
    statistics = fields.Dict()
    verdict = fields.Dict()
    # Hourly method: hours and hours with use and temperature per baseline month.
    sufficiency = fields.List(fields.Dict())
    warnings = fields.List(fields.Dict())
    # Day-type model: the classic CalTRACK fit on the same data, for comparison.
    comparison = fields.Dict()


class MvEvidenceOut(ma.Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    sha256 = fields.String()
    size_bytes = fields.Integer()
    uploaded_by_user_id = fields.Integer(allow_none=True)
    uploaded_at = fields.AwareDateTime()


class BaselineOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    version = fields.Integer()
    row_version = fields.Integer()
    status = fields.Enum(BaselineStatus, by_value=True)
    reason = fields.String(allow_none=True)
    plan_version = fields.Integer()
    method = fields.Enum(MvMethod, by_value=True)
    start_date = fields.Date()
    end_date = fields.Date()
    acceptance = fields.Dict()
    models = fields.List(fields.Nested(BaselineModelOut))
    verdict_passed = fields.Boolean()
    sufficiency = fields.Dict(allow_none=True)
    override_reason = fields.String(allow_none=True)
    warnings = fields.List(fields.Dict())
    inputs_sha256 = fields.String()
    data_changed = fields.Boolean(dump_default=None, allow_none=True)
    proposed_by_user_id = fields.Integer(allow_none=True)
    proposed_at = fields.AwareDateTime()
    decided_by_user_id = fields.Integer(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_comment = fields.String(allow_none=True)
    supersedes_id = fields.Integer(allow_none=True)
    # Option D: the simulation results as uploaded (or as sent by the API, as CSV files).
    evidence = fields.List(fields.Nested(MvEvidenceOut), dump_default=list)


class MvMeasurementIn(StrictSchema):
    """An option A key parameter measured in the field (multipart: with its ``files``)."""

    meter_id = fields.Integer(required=True, strict=False)
    parameter = fields.Enum(MeasuredParameter, by_value=True, required=True)
    value = fields.Decimal(as_string=True, required=True, allow_nan=False, places=None)
    unit = text(10, required=True)
    measured_at = fields.AwareDateTime(required=True)
    method = text(1000, required=True)


class MvMeasurementOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    meter_id = fields.Integer()
    parameter = fields.Enum(MeasuredParameter, by_value=True)
    value = fields.Decimal(as_string=True)
    unit = fields.String()
    measured_at = fields.AwareDateTime()
    method = fields.String()
    entered_by_user_id = fields.Integer(allow_none=True)
    entered_by_party = fields.Enum(Party, by_value=True)
    created_at = fields.AwareDateTime()
    evidence = fields.List(fields.Nested(MvEvidenceOut), dump_default=list)


class MvReportDraftIn(StrictSchema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)


class MvAdjustmentIn(StrictSchema):
    meter_id = fields.Integer(required=True, strict=False)
    reason = text(1000, required=True)
    amount = fields.Decimal(as_string=True, load_default=None, allow_none=True, allow_nan=False)
    series = fields.List(fields.Float(allow_nan=False), load_default=None, allow_none=True)

    @ma.validates_schema
    def _one_of(self, data, **_):
        if (data.get("amount") is None) == (data.get("series") is None):
            raise ma.ValidationError("give an amount or a series", "amount")


class MvAdjustmentOut(ma.Schema):
    id = fields.Integer()
    row_version = fields.Integer()
    report_id = fields.Integer()
    meter_id = fields.Integer()
    reason = fields.String()
    amount = fields.Decimal(as_string=True, allow_none=True)
    series = fields.List(fields.Float(), allow_none=True)
    unit = fields.String()
    proposed_by_party = fields.Enum(Party, by_value=True)
    esco_agreed_at = fields.AwareDateTime(allow_none=True)
    institution_agreed_at = fields.AwareDateTime(allow_none=True)
    agreed = fields.Boolean()
    evidence = fields.List(fields.Nested(MvEvidenceOut), dump_default=list)


class MvReportOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    baseline_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    version = fields.Integer()
    row_version = fields.Integer()
    status = fields.Enum(ReportStatus, by_value=True)
    supersedes_id = fields.Integer(allow_none=True)
    revision_reason = fields.String(allow_none=True)
    results = fields.List(fields.Dict())
    months = fields.List(fields.Dict())
    carriers = fields.List(fields.Dict())
    factors = fields.List(fields.Dict())
    rolling = fields.List(fields.Dict())
    verdict = fields.Dict()
    warnings = fields.List(fields.Dict())
    savings_value = fields.Decimal(as_string=True)
    # The valuation the payment lines share: {"parts": per contract year, "lines": [...]}.
    valuation = fields.Dict(allow_none=True)
    # The approved baseline's G14 override reason, when it was approved failing.
    baseline_override_reason = fields.String(allow_none=True)
    tce_avoided = fields.Decimal(as_string=True)
    tco2_avoided = fields.Decimal(as_string=True)
    fsu_68 = fields.Float(allow_none=True)
    fsu_90 = fields.Float(allow_none=True)
    inputs_sha256 = fields.String()
    stale = fields.Boolean()
    stale_since = fields.AwareDateTime(allow_none=True)
    stale_message = fields.String(allow_none=True)
    submitted_at = fields.AwareDateTime(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_comment = fields.String(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    adjustments = fields.List(fields.Nested(MvAdjustmentOut), dump_default=list)
    created_at = fields.AwareDateTime()


class MvReportSummaryOut(ma.Schema):
    id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    version = fields.Integer()
    status = fields.Enum(ReportStatus, by_value=True)
    savings_value = fields.Decimal(as_string=True)
    tce_avoided = fields.Decimal(as_string=True)
    tco2_avoided = fields.Decimal(as_string=True)
    fsu_68 = fields.Float(allow_none=True)
    stale_since = fields.AwareDateTime(allow_none=True)

"""marshmallow schemas for energy audits, consumption rows, ECMs, proposals and quotas.

``*In`` load (unknown keys rejected; money and energy as ``Decimal`` strings, never rounded on
load), ``*Out`` dump an explicit field list.
"""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

from emc.audit.models import AuditStatus, ConsumptionSource, EcmCategory, EcmStatus, QuotaBasis
from emc.contracts.finance import ContractType, PaymentFrequency
from emc.energy import Carrier
from emc.facilities.models import BuildingType
from emc.messages import msg
from emc.schemas import StrictSchema, Trimmed


def _places(places: int):
    def check(value) -> None:
        if value is not None and value.as_tuple().exponent < -places:
            raise ma.ValidationError(msg("field.decimal_places", places=places))

    return check


def _decimal(places: int, **kw) -> fields.Decimal:
    return fields.Decimal(
        as_string=True,
        allow_nan=False,
        validate=[_places(places), validate.Range(min=0)],
        **kw,
    )


def _money(**kw) -> fields.Decimal:
    return _decimal(2, **kw)


def _energy(**kw) -> fields.Decimal:
    return _decimal(3, **kw)


_TITLE = validate.Length(min=1, max=200)


class AuditIn(StrictSchema):
    title = Trimmed(required=True, validate=_TITLE)
    auditor_organization_id = fields.Integer(required=True, strict=False)
    level = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=3))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    site_ids = fields.List(fields.Integer(strict=False), required=True)
    building_ids = fields.List(fields.Integer(strict=False), load_default=list)


class AuditPatch(StrictSchema):
    title = Trimmed(validate=_TITLE)
    auditor_organization_id = fields.Integer(strict=False)
    level = fields.Integer(strict=False, validate=validate.Range(min=1, max=3))
    period_start = fields.Date()
    period_end = fields.Date()
    site_ids = fields.List(fields.Integer(strict=False))
    building_ids = fields.List(fields.Integer(strict=False))
    occupants = fields.Integer(allow_none=True, strict=False, validate=validate.Range(min=1))
    building_type = fields.Enum(BuildingType, by_value=True, allow_none=True)
    data_centre_pue = fields.Decimal(
        as_string=True,
        allow_none=True,
        allow_nan=False,
        validate=[_places(3), validate.Range(min=1, max=10)],
    )
    end_use_split = fields.Dict(
        keys=fields.String(), values=fields.Decimal(allow_nan=False), allow_none=True
    )
    conclusions = fields.String(allow_none=True, validate=validate.Length(max=4000))


class AuditQuery(StrictSchema):
    status = fields.Enum(AuditStatus, by_value=True)


class AuditOut(ma.Schema):
    id = fields.Integer()
    row_version = fields.Integer()
    organization_id = fields.Integer()
    auditor_organization_id = fields.Integer()
    title = fields.String()
    level = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    region_code = fields.String()
    status = fields.Enum(AuditStatus, by_value=True)
    version = fields.Integer()
    previous_audit_id = fields.Integer(allow_none=True)
    revision_reason = fields.String(allow_none=True)
    review_comment = fields.String(allow_none=True)
    occupants = fields.Integer(allow_none=True)
    building_type = fields.Enum(BuildingType, by_value=True, allow_none=True)
    data_centre_pue = fields.Decimal(as_string=True, allow_none=True)
    end_use_split = fields.Dict(allow_none=True)
    conclusions = fields.String(allow_none=True)
    factor_snapshot = fields.Dict()
    submitted_at = fields.AwareDateTime(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    accepted_by_user_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class AuditVersionIn(StrictSchema):
    # The row version the user saw (``row_version`` of the audit read): a step on a changed
    # audit is refused with 409.
    version = fields.Integer(
        data_key="row_version", required=True, strict=False, validate=validate.Range(min=1)
    )


class ReturnIn(AuditVersionIn):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReviseIn(AuditVersionIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class BillRowIn(StrictSchema):
    carrier = fields.Enum(Carrier, by_value=True, required=True)
    unit = fields.String(required=True, validate=validate.Length(min=1, max=20))
    month = fields.Date(required=True)
    quantity = _energy(required=True)
    cost = _money(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class BillsIn(StrictSchema):
    rows = fields.List(fields.Nested(BillRowIn), required=True, validate=validate.Length(min=1))
    replace = fields.Boolean(load_default=False)


class ConsumptionOut(ma.Schema):
    id = fields.Integer()
    carrier = fields.Enum(Carrier, by_value=True)
    unit = fields.String()
    month = fields.Date()
    quantity = fields.Decimal(as_string=True)
    cost = fields.Decimal(as_string=True, allow_none=True)
    source = fields.Enum(ConsumptionSource, by_value=True)
    meter_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class AuditEcmIn(StrictSchema):
    name = Trimmed(required=True, validate=_TITLE)
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    category = fields.Enum(EcmCategory, by_value=True, required=True)
    affected_carriers = fields.List(fields.Enum(Carrier, by_value=True), load_default=list)
    savings_carrier = fields.Enum(Carrier, by_value=True, load_default=None, allow_none=True)
    savings_quantity = _energy(load_default=None, allow_none=True)
    savings_unit = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=20)
    )
    savings_tce = _energy(load_default=None, allow_none=True)
    savings_tco2 = _energy(load_default=None, allow_none=True)
    savings_money = _money(load_default=None, allow_none=True)
    investment = _money(load_default=None, allow_none=True)
    recommended_contract_type = fields.Enum(
        ContractType, by_value=True, load_default=None, allow_none=True
    )

    @ma.post_load
    def _carriers_as_text(self, data, **_):
        # Stored as JSON: the carrier values, not enum members.
        if "affected_carriers" in data:
            data["affected_carriers"] = [c.value for c in data["affected_carriers"]]
        return data


class AuditEcmPatch(AuditEcmIn):
    name = Trimmed(validate=_TITLE)
    description = fields.String(validate=validate.Length(max=2000))
    category = fields.Enum(EcmCategory, by_value=True)
    affected_carriers = fields.List(fields.Enum(Carrier, by_value=True))
    savings_carrier = fields.Enum(Carrier, by_value=True, allow_none=True)
    savings_quantity = _energy(allow_none=True)
    savings_unit = fields.String(allow_none=True, validate=validate.Length(max=20))
    savings_tce = _energy(allow_none=True)
    savings_tco2 = _energy(allow_none=True)
    savings_money = _money(allow_none=True)
    investment = _money(allow_none=True)
    recommended_contract_type = fields.Enum(ContractType, by_value=True, allow_none=True)
    status = fields.Enum(EcmStatus, by_value=True)


class AuditEcmOut(ma.Schema):
    id = fields.Integer()
    audit_id = fields.Integer()
    position = fields.Integer()
    name = fields.String()
    description = fields.String()
    category = fields.Enum(EcmCategory, by_value=True)
    affected_carriers = fields.List(fields.String())
    savings_carrier = fields.Enum(Carrier, by_value=True, allow_none=True)
    savings_quantity = fields.Decimal(as_string=True, allow_none=True)
    savings_unit = fields.String(allow_none=True)
    savings_tce = fields.Decimal(as_string=True, allow_none=True)
    savings_tco2 = fields.Decimal(as_string=True, allow_none=True)
    savings_money = fields.Decimal(as_string=True, allow_none=True)
    investment = fields.Decimal(as_string=True, allow_none=True)
    payback_years = fields.Method("_payback")
    recommended_contract_type = fields.Enum(ContractType, by_value=True, allow_none=True)
    status = fields.Enum(EcmStatus, by_value=True)
    project_id = fields.Integer(allow_none=True)

    def _payback(self, ecm):
        from emc.audit.indicators import rounded, simple_payback

        value = rounded(simple_payback(ecm.investment, ecm.savings_money), 2)
        return None if value is None else str(value)


class ProposalIn(StrictSchema):
    ecm_ids = fields.List(
        fields.Integer(strict=False), required=True, validate=validate.Length(min=1)
    )
    name = Trimmed(load_default=None, allow_none=True, validate=_TITLE)
    esco_organization_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    contract_type = fields.Enum(ContractType, by_value=True, load_default=None, allow_none=True)


class CustodyIn(StrictSchema):
    """An energy-cost custody contract from an audit: the baseline comes from the audit."""

    start_date = fields.Date(required=True)
    term_years = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=30))
    coefficient = fields.Decimal(
        as_string=True,
        allow_nan=False,
        required=True,
        validate=[_places(4), validate.Range(min=0, max=1, min_inclusive=False)],
    )
    om_fee_annual = _money(load_default=Decimal("0.00"))
    payment_frequency = fields.Enum(
        PaymentFrequency, by_value=True, load_default=PaymentFrequency.QUARTERLY
    )
    payment_due_days = fields.Integer(
        load_default=30, strict=False, validate=validate.Range(min=0, max=365)
    )
    discount_rate = fields.Decimal(
        as_string=True,
        allow_nan=False,
        load_default=Decimal("0.06"),
        validate=[_places(4), validate.Range(min=0, max=1)],
    )
    ecm_ids = fields.List(fields.Integer(strict=False), load_default=None, allow_none=True)
    name = Trimmed(load_default=None, allow_none=True, validate=_TITLE)
    esco_organization_id = fields.Integer(load_default=None, allow_none=True, strict=False)


class ProposalOut(ma.Schema):
    project_id = fields.Integer(attribute="id")
    name = fields.String()
    status = fields.String(attribute="status.value")
    ecms = fields.List(fields.Dict())


class FiguresQuery(StrictSchema):
    tce_variant = fields.String(validate=validate.OneOf(["calorific", "generation"]))


class ImportOut(ma.Schema):
    bill_rows = fields.Integer()
    ecms = fields.Integer()
    replaced_ecms = fields.Integer()


class QuotaIn(StrictSchema):
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
    building_type = fields.Enum(BuildingType, by_value=True, required=True)
    basis = fields.Enum(QuotaBasis, by_value=True, load_default=QuotaBasis.PER_AREA)
    year = fields.Integer(required=True, strict=False, validate=validate.Range(min=2000, max=2100))
    constraint_value = _energy(required=True)
    baseline_value = _energy(required=True)
    guide_value = _energy(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=500))


class QuotaQuery(StrictSchema):
    region_code = fields.String(validate=validate.Regexp(r"^\d{6}$"))
    building_type = fields.Enum(BuildingType, by_value=True)


class QuotaOut(ma.Schema):
    id = fields.Integer()
    region_code = fields.String()
    building_type = fields.Enum(BuildingType, by_value=True)
    basis = fields.Enum(QuotaBasis, by_value=True)
    year = fields.Integer()
    constraint_value = fields.Decimal(as_string=True)
    baseline_value = fields.Decimal(as_string=True)
    guide_value = fields.Decimal(as_string=True)
    source = fields.String()
    organization_id = fields.Integer()
    created_at = fields.AwareDateTime()

"""marshmallow schemas for projects, contracts, amendments and payment lines.

``*In`` load (unknown keys rejected; money as ``Decimal`` strings), ``*Out`` dump an explicit
field list. The terms document itself is checked field by field by the finance core in the
service (its errors name the path inside ``terms``), so here it is only required to be an
object.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from emc.contracts import finance
from emc.contracts.documents import terms_description
from emc.contracts.models import (
    AmendmentStatus,
    CustodyAdjustmentKind,
    Investor,
    LineStatus,
    ProjectStatus,
)
from emc.messages import msg
from emc.schemas import StrictSchema, text


def _in_fen(value) -> None:
    if value is not None and value.as_tuple().exponent < -2:
        raise ma.ValidationError(msg("finance.whole_fen"))


def _money(validate=None, **kw) -> fields.Decimal:
    # Never rounds on load: an amount with more than two decimals is refused, not changed.
    validators = [_in_fen] + ([validate] if validate else [])
    return fields.Decimal(as_string=True, allow_nan=False, validate=validators, **kw)


class EcmIn(StrictSchema):
    name = text(200, required=True)
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    investment = _money(load_default=None, allow_none=True, validate=validate.Range(min=0))


class ProjectIn(StrictSchema):
    name = text(200, required=True)
    esco_organization_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    investor = fields.Enum(Investor, by_value=True, load_default=Investor.ESCO)
    total_investment = _money(load_default=None, allow_none=True, validate=validate.Range(min=0))


def _row_version(**kw) -> fields.Integer:
    # The row version the user saw (``row_version`` of the object read): a change of an object
    # that has changed since is refused with 409 instead of overwriting what the user never saw.
    return fields.Integer(
        data_key="row_version", required=True, strict=False, validate=validate.Range(min=1), **kw
    )


class ProjectPatch(StrictSchema):
    version = _row_version()
    name = text(200)
    esco_organization_id = fields.Integer(allow_none=True, strict=False)
    status = fields.Enum(ProjectStatus, by_value=True)
    termination_reason = fields.String(allow_none=True, validate=validate.Length(max=500))
    signed_on = fields.Date(allow_none=True)
    works_accepted_on = fields.Date(allow_none=True)
    operation_start_on = fields.Date(allow_none=True)
    term_end_on = fields.Date(allow_none=True)
    investor = fields.Enum(Investor, by_value=True)
    total_investment = _money(allow_none=True, validate=validate.Range(min=0))
    ecms = fields.List(fields.Nested(EcmIn))

    @ma.post_load
    def _json_safe_ecms(self, data, **_):
        # ECMs are stored as JSON: keep their money as text, never as float.
        for ecm in data.get("ecms", []):
            if ecm.get("investment") is not None:
                ecm["investment"] = str(ecm["investment"])
        return data


class ProjectTransitionIn(StrictSchema):
    """One step of a project's life (``emc.workflow.tables.PROJECT``) with the dates it records."""

    version = _row_version()
    signed_on = fields.Date(load_default=None, allow_none=True)
    works_accepted_on = fields.Date(load_default=None, allow_none=True)
    operation_start_on = fields.Date(load_default=None, allow_none=True)
    term_end_on = fields.Date(load_default=None, allow_none=True)
    termination_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )


class ProjectAmendmentIn(StrictSchema):
    """An amendment of a signed project's parties, dates or investment (both parties agree)."""

    version = _row_version()
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    esco_organization_id = fields.Integer(strict=False)
    signed_on = fields.Date()
    works_accepted_on = fields.Date(allow_none=True)
    operation_start_on = fields.Date(allow_none=True)
    term_end_on = fields.Date(allow_none=True)
    investor = fields.Enum(Investor, by_value=True)
    total_investment = _money(allow_none=True, validate=validate.Range(min=0))


class RowVersionIn(StrictSchema):
    version = _row_version()


class RejectIn(RowVersionIn):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ProjectQuery(StrictSchema):
    status = fields.Enum(ProjectStatus, by_value=True)


class ProjectOut(ma.Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    esco_organization_id = fields.Integer(allow_none=True)
    name = fields.String()
    status = fields.Enum(ProjectStatus, by_value=True)
    termination_reason = fields.String(allow_none=True)
    signed_on = fields.Date(allow_none=True)
    works_accepted_on = fields.Date(allow_none=True)
    operation_start_on = fields.Date(allow_none=True)
    term_end_on = fields.Date(allow_none=True)
    total_investment = _money(allow_none=True)
    investor = fields.Enum(Investor, by_value=True)
    ecms = fields.List(fields.Dict())
    institution_signed_by_user_id = fields.Integer(allow_none=True)
    institution_signed_at = fields.AwareDateTime(allow_none=True)
    esco_signed_by_user_id = fields.Integer(allow_none=True)
    esco_signed_at = fields.AwareDateTime(allow_none=True)
    row_version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SavingsEstimateIn(StrictSchema):
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=50))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=20))
    annual_quantity = fields.Decimal(as_string=True, required=True, allow_nan=False)
    contract_year = fields.Integer(load_default=None, allow_none=True)

    @ma.post_load
    def _stored_form(self, data, **_):
        # Stored as JSON: the quantity stays exact as text.
        return {**data, "annual_quantity": str(data["annual_quantity"])}


class ContractIn(StrictSchema):
    terms = fields.Dict(required=True, metadata={"description": terms_description()})
    savings_estimates = fields.List(fields.Nested(SavingsEstimateIn), load_default=list)
    reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=1000)
    )
    # The contract version the client edited (0 before there is a contract): a stale edit is
    # refused with 409 instead of overwriting someone else's change.
    version = fields.Integer(
        load_default=None, allow_none=True, strict=False, validate=validate.Range(min=0)
    )


class AmendmentOut(ma.Schema):
    id = fields.Integer()
    number = fields.Integer()
    reason = fields.String()
    status = fields.Enum(AmendmentStatus, by_value=True)
    terms_before = fields.Dict()
    terms_after = fields.Dict()
    base_version = fields.Integer()
    proposed_by_user_id = fields.Integer()
    institution_agreed_by_user_id = fields.Integer(allow_none=True)
    institution_agreed_at = fields.AwareDateTime(allow_none=True)
    esco_agreed_by_user_id = fields.Integer(allow_none=True)
    esco_agreed_at = fields.AwareDateTime(allow_none=True)
    incoming_esco_organization_id = fields.Integer(allow_none=True)
    incoming_esco_agreed_by_user_id = fields.Integer(allow_none=True)
    incoming_esco_agreed_at = fields.AwareDateTime(allow_none=True)
    project_changes = fields.Dict()
    decision_comment = fields.String(allow_none=True)
    row_version = fields.Integer()
    created_at = fields.AwareDateTime()


class ContractOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    contract_type = fields.Enum(finance.ContractType, by_value=True)
    terms = fields.Dict(metadata={"description": terms_description()})
    savings_estimates = fields.List(fields.Dict())
    version = fields.Integer()
    updated_at = fields.AwareDateTime()
    amendments = fields.List(fields.Nested(AmendmentOut))
    proposed_amendment = fields.Nested(AmendmentOut, allow_none=True)


def _exact(places: int, validate=None, **kw) -> fields.Decimal:
    # Never rounds on load: a value with more decimals than are stored is refused.
    def at_most(value) -> None:
        if value is not None and value.as_tuple().exponent < -places:
            raise ma.ValidationError(msg("field.decimal_places", places=places))

    validators = [at_most] + ([validate] if validate else [])
    return fields.Decimal(as_string=True, allow_nan=False, validate=validators, **kw)


class CustodyPriceIn(StrictSchema):
    """One carrier's new unit price (yuan per baseline unit) in an energy price change."""

    carrier = fields.String(required=True, validate=validate.Length(min=1, max=50))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=20))
    new_price_per_unit = _exact(6, required=True, validate=validate.Range(min=0))


def _no_colon(value: str) -> None:
    # The catalogue's sentence (a Text, said in the reader's language), as the finance core says it.
    if ":" in value:
        raise ma.ValidationError(msg("finance.must_not_contain_part_line"))


class CustodyAdjustmentIn(StrictSchema):
    """A proposed custody fee adjustment: a floor area change (``new_floor_area_m2``) or an
    energy price change (``prices``), from ``effective_date``, with a reference and a reason."""

    kind = fields.Enum(CustodyAdjustmentKind, by_value=True, required=True)
    # Part of the true-up lines' keys, hence no ':'.
    reference = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=40),
            _no_colon,
        ],
    )
    effective_date = fields.Date(required=True)
    new_floor_area_m2 = _exact(
        2,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False),
    )
    prices = fields.List(fields.Nested(CustodyPriceIn), load_default=list)
    component = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=100)
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))

    @ma.validates_schema
    def _one_kind(self, data, **_):
        kind = data.get("kind")
        if kind is CustodyAdjustmentKind.FLOOR_AREA:
            if data.get("new_floor_area_m2") is None:
                raise ma.ValidationError(
                    "required for a floor area change", field_name="new_floor_area_m2"
                )
            if data.get("prices"):
                raise ma.ValidationError("only for an energy price change", field_name="prices")
        elif kind is CustodyAdjustmentKind.ENERGY_PRICE:
            if not data.get("prices"):
                raise ma.ValidationError(
                    "at least one carrier's new price is required", field_name="prices"
                )
            if data.get("new_floor_area_m2") is not None:
                raise ma.ValidationError(
                    "only for a floor area change", field_name="new_floor_area_m2"
                )


class CustodyAdjustmentOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    contract_id = fields.Integer()
    number = fields.Integer()
    kind = fields.Enum(CustodyAdjustmentKind, by_value=True)
    reference = fields.String()
    effective_date = fields.Date()
    new_floor_area_m2 = fields.Decimal(as_string=True, allow_none=True)
    prices = fields.List(fields.Dict())
    component = fields.String(allow_none=True)
    reason = fields.String()
    status = fields.Enum(AmendmentStatus, by_value=True)
    agreed_on = fields.Date(allow_none=True)
    proposed_by_user_id = fields.Integer()
    institution_agreed_by_user_id = fields.Integer(allow_none=True)
    institution_agreed_at = fields.AwareDateTime(allow_none=True)
    esco_agreed_by_user_id = fields.Integer(allow_none=True)
    esco_agreed_at = fields.AwareDateTime(allow_none=True)
    decision_comment = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime()


class LineQuery(StrictSchema):
    source = fields.Enum(finance.LineSource, by_value=True)


class PaymentLineOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    key = fields.String()
    source = fields.Enum(finance.LineSource, by_value=True)
    kind = fields.Enum(finance.LineKind, by_value=True)
    component = fields.String()
    contract_year = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    due_on = fields.Date()
    payer = fields.Enum(finance.Party, by_value=True)
    payee = fields.Enum(finance.Party, by_value=True)
    amount = _money()
    basis = fields.Dict()
    status = fields.Enum(LineStatus, by_value=True)
    hold_reason = fields.String(allow_none=True)
    prepared_by_user_id = fields.Integer(allow_none=True)
    approved_by_user_id = fields.Integer(allow_none=True)
    paid_by_user_id = fields.Integer(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    payment_reference = fields.String(allow_none=True)
    version = fields.Integer()


class RegenerationOut(ma.Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    removed = fields.Integer()
    conflicts = fields.List(fields.String())


class VersionIn(StrictSchema):
    version = fields.Integer(required=True, strict=False, validate=validate.Range(min=1))


class PayIn(VersionIn):
    paid_on = fields.Date(required=True)
    payment_reference = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CustodyRejectIn(VersionIn):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class HoldIn(VersionIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))

"""What the domains' marshmallow schemas share: the strict base (a load refuses unknown keys,
and every number is bounded to what the database can hold), the bounded text field, the one
error envelope, and how decimals and errors appear in the OpenAPI document."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from apispec import BasePlugin
from marshmallow import fields, validate

from emc.errors import NotFound
from emc.messages import msg

# The INTEGER column range (PostgreSQL int4, and SQLite's safe range for the same schema):
# every integer a request carries, in a path, a query or a body, lies inside it.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
# Decimal amounts: below 10^12 in size (Numeric(14, 2) money holds up to 999,999,999,999.99)
# and at most 12 decimal places; anything beyond is a typo or an attack, never a quantity.
DECIMAL_MAX_DIGITS = 12
DECIMAL_MAX_PLACES = 12
# Decimals travel as JSON strings (exact, unlike binary floats): "12", "-0.5", "1.25E+3".
DECIMAL_PATTERN = r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$"


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "_ids"))


def _id_in_range(value) -> None:
    # An id beyond the column range cannot exist: answer as for any missing row (404), never
    # let it reach the database, where it overflows.
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        raise NotFound(msg("schemas.no_such_record"))


def _decimal_in_range(value) -> None:
    if value is None or not isinstance(value, Decimal) or not value.is_finite():
        return
    # adjusted() and as_tuple() never overflow, whatever the exponent ("1e999999999").
    if not value.is_zero() and value.adjusted() >= DECIMAL_MAX_DIGITS:
        raise ma.ValidationError("must be less than 1,000,000,000,000 in size")
    if value.as_tuple().exponent < -DECIMAL_MAX_PLACES:
        raise ma.ValidationError("has too many decimal places")


def _has_bounds(field: fields.Field) -> bool:
    # Both ends: a Range(min=1) alone still lets 10**20 through to an OFFSET, which overflows.
    ranges = [v for v in field.validators if isinstance(v, validate.Range)]
    return any(r.min is not None for r in ranges) and any(r.max is not None for r in ranges)


def bound_numbers(name: str, field: fields.Field) -> None:
    """Give an Integer or Decimal field (or a list of them) the database's bounds, in place.

    Ids out of range raise NotFound (404); other integers get a documented Range (422).
    """
    if isinstance(field, fields.List):
        bound_numbers(name, field.inner)
        return
    # A schema instance's fields are shallow copies of the class's: build new validator lists
    # (never append to the shared one), once per field object.
    if getattr(field, "_emc_bounded", False):
        return
    if isinstance(field, fields.Integer):
        validators = list(field.validators)
        if _is_id(name):
            validators.insert(0, _id_in_range)
        if not _has_bounds(field):
            validators.append(validate.Range(min=INT_MIN, max=INT_MAX))
        field.validators = validators
    elif isinstance(field, fields.Decimal):
        field.validators = [*field.validators, _decimal_in_range]
    field._emc_bounded = True


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        bound_numbers(field_name, field_obj)


class Trimmed(fields.String):
    """Text without its surrounding whitespace; text that is nothing but whitespace is refused,
    as an empty text is (a name of three spaces names nothing). Names and titles of every
    domain (projects, sites, buildings, meters, audits, organisations, users) are ``Trimmed``,
    so the pages and the API refuse a blank one alike."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        stripped = super()._deserialize(value, attr, data, **kwargs).strip()
        if not stripped:
            raise ma.ValidationError(msg("schemas.blank"))
        return stripped


def text(max_len: int, *, trim: bool = True, **kw) -> fields.String:
    """A :class:`Trimmed` string of 1 to ``max_len`` characters (a ``validate`` in ``kw``
    replaces that check). ``trim=False`` keeps the text exactly as sent: a document whose
    bytes are evidence (its hash is recorded) is never altered."""
    kw.setdefault("validate", validate.Length(min=1, max=max_len))
    return Trimmed(**kw) if trim else fields.String(**kw)


# --- the error envelope and the OpenAPI document ---------------------------------------------


class ErrorBody(ma.Schema):
    code = fields.String(
        required=True, metadata={"description": "Stable machine code, e.g. not_found, invalid"}
    )
    message = fields.String(required=True, metadata={"description": "Localised explanation"})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.Raw(),
        required=True,
        metadata={"description": "Field, row or column → messages; empty when none applies"},
    )
    message_code = fields.String(
        required=True,
        metadata={
            "description": "The catalogue code the message was said from (emc.messages), e.g."
            " workflow.stale; the kind (code) where the message has none"
        },
    )
    params = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        required=True,
        metadata={"description": "The named values of the message (ids, versions, states …)"},
    )


class ErrorEnvelope(ma.Schema):
    """Every API error, whatever the status:
    ``{"error": {"code", "message", "fields", "message_code", "params"}}``."""

    error = fields.Nested(ErrorBody, required=True)


def decimal2properties(self, field: fields.Field, **kwargs) -> dict:
    """apispec attribute function: a Decimal is a string with a decimal pattern (that is how
    it is sent), and bounds written as Decimals become numbers or, on a string, extensions."""
    ret = kwargs["ret"]
    bounds = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
    if isinstance(field, fields.Decimal):
        ret["type"] = "string"
        ret["format"] = "decimal"
        ret["pattern"] = DECIMAL_PATTERN
        for key in bounds:
            if key in ret:
                ret[f"x-{key}"] = str(ret.pop(key))
    else:
        for key in bounds:
            if isinstance(ret.get(key), Decimal):
                value = ret[key]
                ret[key] = int(value) if value == value.to_integral_value() else float(value)
    return {}


class ErrorResponsesPlugin(BasePlugin):
    """Documents the error envelope as the default response of every operation, including
    those without a documented success body (file downloads, redirects)."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if isinstance(operation, dict):
                operation.setdefault("responses", {}).setdefault("default", "DEFAULT_ERROR")

"""marshmallow schemas for organisations, users, regions, tokens and the journal.

``*In`` load (unknown keys rejected), ``*Out`` dump an explicit field list so a new column is
never exposed by accident. HTML forms load the same ``*In`` schemas.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from emc.auth.models import OrgKind, Role, Sector
from emc.schemas import StrictSchema, text


class OrganizationIn(StrictSchema):
    kind = fields.Enum(OrgKind, by_value=True, required=True)
    name_zh = text(200, required=True)
    name_en = fields.String(validate=validate.Length(max=200), load_default=None, allow_none=True)
    region_code = fields.String(
        required=True, validate=validate.Regexp(r"^\d{6}$", error="must be 6 digits")
    )
    sector = fields.Enum(Sector, by_value=True, load_default=None, allow_none=True)
    credit_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"^[0-9A-HJ-NPQRTUWXY]{18}$", error="must be an 18-character unified social credit code"
        ),
    )

    @ma.post_load
    def _blank_to_none(self, data, **_):
        for key in ("name_en", "credit_code"):
            if data.get(key) == "":
                data[key] = None
        return data


class OrganizationPatch(OrganizationIn):
    is_active = fields.Boolean()

    class Meta:
        unknown = ma.RAISE
        exclude = ("kind",)


class OrganizationOut(ma.Schema):
    id = fields.Integer()
    kind = fields.Enum(OrgKind, by_value=True)
    name_zh = fields.String()
    name_en = fields.String(allow_none=True)
    region_code = fields.String()
    sector = fields.Enum(Sector, by_value=True, allow_none=True)
    credit_code = fields.String(allow_none=True)
    is_active = fields.Boolean()
    created_at = fields.AwareDateTime()


class OrganizationQuery(StrictSchema):
    kind = fields.Enum(OrgKind, by_value=True)
    region_code = fields.String(validate=validate.Regexp(r"^\d{6}$", error="must be 6 digits"))


class UserIn(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    display_name = text(200, required=True)
    organization_id = fields.Integer(required=True, strict=False)
    role = fields.Enum(Role, by_value=True, required=True)
    locale = fields.String(load_default="zh_CN", validate=validate.OneOf(["zh_CN", "en"]))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class UserPatch(StrictSchema):
    display_name = text(200)
    role = fields.Enum(Role, by_value=True)
    locale = fields.String(validate=validate.OneOf(["zh_CN", "en"]))
    is_active = fields.Boolean()


class UserOut(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    organization_id = fields.Integer()
    role = fields.Enum(Role, by_value=True)
    locale = fields.String()
    is_active = fields.Boolean()
    created_at = fields.AwareDateTime()


class RegionIn(StrictSchema):
    code = fields.String(
        required=True, validate=validate.Regexp(r"^\d{6}$", error="must be 6 digits")
    )
    name_zh = text(100, required=True)
    name_en = fields.String(validate=validate.Length(max=100), load_default=None, allow_none=True)


class RegionOut(ma.Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String(allow_none=True)
    level = fields.String()


class LoginIn(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    next = fields.String(load_default=None, allow_none=True)


class PasswordChangeIn(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    confirm_password = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @ma.validates_schema
    def _confirmed(self, data, **_):
        if data.get("new_password") != data.get("confirm_password"):
            raise ma.ValidationError("does not match the new password", "confirm_password")


class TokenIn(StrictSchema):
    name = text(100, required=True)
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)


class TokenOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    expires_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_used_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class JournalQuery(StrictSchema):
    object_type = fields.String(required=True, validate=validate.OneOf(["organizations", "users"]))
    object_id = fields.Integer(required=True)


class JournalOut(ma.Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_label = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    summary = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class MeOut(ma.Schema):
    user = fields.Nested(UserOut)
    organization = fields.Nested(OrganizationOut)
    permissions = fields.List(fields.String())

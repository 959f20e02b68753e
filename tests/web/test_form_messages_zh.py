"""Form errors read as Chinese: marshmallow's built-in validation messages (Range, Length, OneOf …,
formatted with their values before they reach us) are said from the catalogue with those values
as params, once, in ``emc.web.messages.say``; every form that shows them is Chinese with bad input.
"""

from __future__ import annotations

import re

import marshmallow as ma
import pytest
from flask_babel import force_locale
from marshmallow import fields, validate

from emc.audit import service as audits
from emc.messages import VALIDATION_PATTERNS, validation_text
from emc.web.messages import say
from tests.audit.test_audit_service import actor

# marshmallow's own sentences (and a Python repr of a typed value), as they leaked before.
ENGLISH = re.compile(
    r"Must be|Length must|Longer than|Shorter than|Not a valid|Missing data|is not a decimal"
    r"|does not exist|must be |One or more|'[^']*' is"
)


def _errors(html: str) -> dict[str, str]:
    """The field errors on a page: field name → its messages as text."""
    return {
        name: re.sub(r"<[^>]+>", " ", body)
        for name, body in re.findall(
            r'<ul class="field-errors" data-field="([^"]+)">(.*?)</ul>', html, re.S
        )
    }


def _zh(html: str) -> str:
    """The form errors and flashes of a page, as text."""
    parts = [*_errors(html).values()]
    parts += re.findall(r'<div class="flash flash-error"[^>]*>(.*?)</div>\s*(?:<|$)', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", p) for p in parts)


class _Every(ma.Schema):
    """A field per kind of built-in validator."""

    ge_le = fields.Integer(validate=validate.Range(min=1, max=30))
    gt_le = fields.Decimal(validate=validate.Range(min=0, max=1, min_inclusive=False))
    ge_lt = fields.Integer(validate=validate.Range(min=0, max=10, max_inclusive=False))
    gt_lt = fields.Integer(
        validate=validate.Range(min=0, max=10, min_inclusive=False, max_inclusive=False)
    )
    ge = fields.Integer(validate=validate.Range(min=2000))
    gt = fields.Integer(validate=validate.Range(min=0, min_inclusive=False))
    le = fields.Integer(validate=validate.Range(max=5))
    lt = fields.Integer(validate=validate.Range(max=5, max_inclusive=False))
    between = fields.String(validate=validate.Length(min=2, max=4))
    longer = fields.String(validate=validate.Length(max=2))
    shorter = fields.String(validate=validate.Length(min=3))
    equal = fields.String(validate=validate.Length(equal=3))
    same = fields.String(validate=validate.Equal("x"))
    one_of = fields.String(validate=validate.OneOf(["programme_officer", "viewer"]))
    only = fields.List(fields.String(), validate=validate.ContainsOnly(["a"]))
    none_of = fields.List(fields.String(), validate=validate.ContainsNoneOf(["a"]))
    number = fields.Decimal()
    integer = fields.Integer()
    day = fields.Date()
    needed = fields.String(required=True)


BAD = {
    "ge_le": -3, "gt_le": "2", "ge_lt": 10, "gt_lt": 0, "ge": 1900, "gt": 0, "le": 6, "lt": 5,
    "between": "x", "longer": "xxx", "shorter": "x", "equal": "x", "same": "y",
    "one_of": "auditor", "only": ["b"], "none_of": ["a"], "number": "abc", "integer": "1.5",
    "day": "2026-13-01",
}  # fmt: skip


def test_every_built_in_validation_message_is_said_in_chinese_with_its_values(app):
    with pytest.raises(ma.ValidationError) as error:
        _Every().load(BAD)
    messages = {k: v[0] for k, v in error.value.messages.items()}
    assert set(messages) == {*BAD, "needed"}
    with app.test_request_context(), force_locale("zh_CN"):
        said = {k: say(v) for k, v in messages.items()}
    assert said["ge_le"] == "必须在 1 至 30 之间。"
    assert said["gt_le"] == "必须大于 0 且小于或等于 1。"
    assert said["ge"] == "必须大于或等于 2000。"
    assert said["between"] == "长度必须在 2 至 4 之间。"
    # The choices are codes (programme_officer): never shown.
    assert said["one_of"] == "不是允许的取值" and "programme_officer" not in said["one_of"]
    english = {k: v for k, v in said.items() if re.search(r"[A-Za-z]{3,}", v)}
    assert not english, english
    # In English the message stays marshmallow's (the choices aside).
    with app.test_request_context(), force_locale("en"):
        assert say(messages["ge_le"]) == messages["ge_le"]


def test_every_validation_pattern_has_its_catalogue_sentence():
    for code, pattern in VALIDATION_PATTERNS.items():
        sample = pattern % {n: "7" for n in re.findall(r"%\((\w+)\)s", pattern)}
        text = validation_text(sample)
        assert text is not None and text.code == code, (code, sample)
    assert validation_text("must be 6 digits") is None


@pytest.fixture
def hospital_audit(db_session):
    (audit,) = audits.list_audits(db_session, actor(db_session, "admin@hospital.demo"))
    return audit


def test_each_form_with_bad_input_is_chinese(login_as, db_session, hospital_audit):
    """The forms of the user walk, each with bad input, in zh: no English remains (the terms
    form: tests/contracts/test_contracts_forms.py)."""
    admin = login_as("admin@hospital.demo")
    custody = admin.post(
        f"/audits/{hospital_audit.id}/custody-contract",
        data={"start_date": "2027-01-01", "term_years": "-3", "coefficient": "2",
              "om_fee_annual": "-100"},
    )  # fmt: skip
    assert custody.status_code == 422
    text = _zh(custody.get_data(as_text=True))
    assert "必须在 1 至 30 之间" in text and "必须大于 0 且小于或等于 1" in text
    assert not ENGLISH.search(text), text

    officer = login_as("officer@national.demo")
    window = officer.get("/programme?start_year=1900")
    assert window.status_code == 422
    html = window.get_data(as_text=True)
    assert "必须在 2000 至 2100 之间" in _errors(html)["start_year"]
    assert not ENGLISH.search(_zh(html))

    stats = login_as("energy@hospital.demo").post(
        "/programme/stats",
        data={"year": "1999", "floor_area_m2": "-1", "quantity_electricity": "-100"},
    )
    assert stats.status_code == 422
    assert not ENGLISH.search(_zh(stats.get_data(as_text=True)))

    user = login_as("admin@platform.demo").post(
        "/admin/users",
        data={"email": "x@esco2.demo", "display_name": "  ", "role": "programme_officer",
              "organization_id": "999999", "password": "short"},
    )  # fmt: skip
    assert user.status_code == 422
    assert not ENGLISH.search(_zh(user.get_data(as_text=True)))

"""Bad input gets a clear error naming the field, and nothing is written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from emc.auth.models import Organization, User


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "kind": "institution",
                "name_zh": "甲",
                "region_code": "330100",
                "sector": "school",
                "evil": 1,
            },
            "evil",
        ),
        (
            {"kind": "institution", "name_zh": 42, "region_code": "330100", "sector": "school"},
            "name_zh",
        ),
        (
            {
                "kind": "institution",
                "name_zh": "x" * 201,
                "region_code": "330100",
                "sector": "school",
            },
            "name_zh",
        ),
        (
            {"kind": "institution", "name_zh": "甲", "region_code": "33010", "sector": "school"},
            "region_code",
        ),
        ({"kind": "castle", "name_zh": "甲", "region_code": "330100"}, "kind"),
        ({"kind": "institution", "name_zh": "甲", "region_code": "330100"}, "sector"),
        (
            {
                "kind": "institution",
                "name_zh": "杭州市第一中学",
                "region_code": "330100",
                "sector": "school",
            },
            "name_zh",
        ),
        (
            {"kind": "institution", "name_zh": "甲", "region_code": "339999", "sector": "school"},
            "region_code",
        ),
        ({"name_zh": "甲", "region_code": "330100"}, "kind"),
    ],
)
def test_organization_api_names_the_bad_field_and_writes_nothing(login_as, db_session, body, field):
    c = login_as("admin@platform.demo")
    before = _count(db_session, Organization)
    response = c.post("/api/v1/organizations", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"], response.json
    assert _count(db_session, Organization) == before


def test_form_errors_are_shown_next_to_the_field_in_chinese(login_as, db_session):
    c = login_as("admin@platform.demo")
    response = c.post(
        "/admin/organizations", data={"kind": "institution", "name_zh": "", "region_code": "330100"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-field="name_zh"' in page
    assert "Missing data for required field." not in page  # translated, not marshmallow's English


def test_org_admin_cannot_create_a_user_in_another_tenant_by_forging_the_id(login_as, db_session):
    c = login_as("admin@school.demo")
    esco = db_session.scalar(
        select(Organization).where(Organization.name_zh == "绿能节能服务有限公司")
    )
    before = _count(db_session, User)
    body = {
        "email": "mole@example.org",
        "display_name": "内鬼",
        "organization_id": esco.id,
        "role": "admin",
        "password": "long-enough-pass",
    }
    api = c.post("/api/v1/users", json=body)
    assert api.status_code == 422 and api.json["error"]["fields"] == {
        "organization_id": ["unknown organisation"]
    }
    form = c.post("/admin/users", data=body)
    assert form.status_code == 422 and 'data-field="organization_id"' in form.get_data(as_text=True)
    missing = c.post("/api/v1/users", json={**body, "organization_id": 999999})
    assert missing.json["error"]["fields"] == api.json["error"]["fields"]
    assert _count(db_session, User) == before


def test_role_must_fit_the_organisation_kind(login_as, db_session):
    c = login_as("admin@school.demo")
    me = db_session.scalar(select(User).where(User.email == "admin@school.demo"))
    response = c.post(
        "/api/v1/users",
        json={
            "email": "x@example.org",
            "display_name": "X",
            "organization_id": me.organization_id,
            "role": "engineer",
            "password": "long-enough-pass",
        },
    )
    assert response.status_code == 422 and "role" in response.json["error"]["fields"]


def test_an_esco_admin_is_offered_only_esco_roles_and_told_in_chinese(login_as, db_session):
    c = login_as("admin@esco2.demo")
    page = c.get("/admin/users").get_data(as_text=True)
    form = page[page.index('name="role"') : page.index("</select>", page.index('name="role"'))]
    offered = set(re.findall(r'<option value="([a-z_]+)"', form))
    assert offered == {"admin", "engineer", "viewer"}
    me = db_session.scalar(select(User).where(User.email == "admin@esco2.demo"))
    posted = c.post(
        "/admin/users",
        data={
            "email": "po@esco2.demo",
            "display_name": "专员",
            "organization_id": me.organization_id,
            "role": "programme_officer",
            "password": "long-enough-pass-2026",
        },
    )
    html = posted.get_data(as_text=True)
    assert posted.status_code == 422 and "该角色不适用于此类机构" in html
    assert "does not exist" not in html and "programme_officer&#39;" not in html


def test_blank_display_names_are_refused_and_names_are_stripped(login_as, db_session):
    c = login_as("admin@school.demo")
    me = db_session.scalar(select(User).where(User.email == "admin@school.demo"))
    body = {
        "email": "blank@example.org",
        "display_name": "   ",
        "organization_id": me.organization_id,
        "role": "viewer",
        "password": "long-enough-pass-2026",
    }
    api = c.post("/api/v1/users", json=body)
    assert api.status_code == 422 and "display_name" in api.json["error"]["fields"]
    ok = c.post("/api/v1/users", json={**body, "display_name": "  王老师 "})
    assert ok.status_code == 201 and ok.json["display_name"] == "王老师"


def test_duplicate_email_is_refused_case_insensitively(login_as, db_session):
    c = login_as("admin@school.demo")
    me = db_session.scalar(select(User).where(User.email == "admin@school.demo"))
    response = c.post(
        "/api/v1/users",
        json={
            "email": "Viewer@School.demo",
            "display_name": "X",
            "organization_id": me.organization_id,
            "role": "viewer",
            "password": "long-enough-pass",
        },
    )
    assert response.status_code == 422 and "email" in response.json["error"]["fields"]


def test_non_numeric_ids_in_urls_are_not_found(login_as):
    c = login_as("admin@platform.demo")
    assert c.get("/api/v1/organizations/abc").status_code == 404
    assert c.get("/api/v1/journal?object_type=organizations&object_id=abc").status_code == 422


def test_users_cannot_demote_or_deactivate_themselves(login_as, db_session):
    c = login_as("admin@school.demo")
    me = db_session.scalar(select(User).where(User.email == "admin@school.demo"))
    response = c.patch(f"/api/v1/users/{me.id}", json={"role": "viewer"})
    assert response.status_code == 422


def test_openapi_document_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            assert path in documented, path
    assert "bearer" in spec["components"]["securitySchemes"]

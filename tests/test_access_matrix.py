"""The access matrix: every role × every route × own / other organisation → expected status.

Rows are written out by hand (not derived from the policy), so a change in who may do what shows
up here as a failing row. ``test_every_route_has_a_row`` walks ``app.url_map``: a new route
without a row fails the suite.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from emc.auth.models import ApiToken, Organization, User

ROLES = {
    "anon": None,
    "platform": "admin@platform.demo",
    "agency": "officer@zhejiang.demo",
    "agency_admin": "admin@zhejiang.demo",
    "inst_admin": "admin@school.demo",
    "energy": "energy@school.demo",
    "finance": "finance@school.demo",
    "viewer": "viewer@school.demo",
    "esco_admin": "admin@esco.demo",
    "engineer": "engineer@esco.demo",
    "auditor_admin": "admin@auditor.demo",
    "auditor": "auditor@auditor.demo",
}
ADMINS = {"platform", "agency_admin", "inst_admin", "esco_admin", "auditor_admin"}
SIGNED_IN = [r for r in ROLES if r != "anon"]


def expect(default: int, anon: int | None = None, **by_role: int) -> dict[str, int]:
    table = {role: default for role in SIGNED_IN}
    table.update(by_role)
    if anon is not None:
        table["anon"] = anon
    return table


def only(roles, yes: int, no: int, anon: int) -> dict[str, int]:
    table = {role: (yes if role in roles else no) for role in SIGNED_IN}
    table["anon"] = anon
    return table


_seq = itertools.count()


def _org_body():
    n = next(_seq)
    return {"kind": "institution", "name_zh": f"矩阵测试学校{n}", "region_code": "330100", "sector": "school"}


def _user_body(ctx):
    n = next(_seq)
    role = "admin"
    return {
        "email": f"matrix{n}@example.org", "display_name": f"矩阵{n}", "organization_id": ctx["own_org"],
        "role": role, "password": "a-long-password-1",
    }


# (method, rule, url-builder, body-builder or None, kind 'form'|'json'|None, expectations)
ROWS = [
    ("GET", "/", lambda c: "/", None, None, expect(200, anon=302)),
    ("POST", "/locale", lambda c: "/locale", lambda c: {"locale": "en"}, "form", expect(302, anon=302)),
    ("GET", "/healthz", lambda c: "/healthz", None, None, expect(200, anon=200)),
    ("GET", "/login", lambda c: "/login", None, None, expect(200, anon=200)),
    ("POST", "/login", lambda c: "/login", lambda c: {"email": "nobody@x.org", "password": "wrong"}, "form", expect(401, anon=401)),
    ("POST", "/logout", lambda c: "/logout", lambda c: {}, "form", expect(302, anon=302)),
    ("GET", "/account/password", lambda c: "/account/password", None, None, expect(200, anon=302)),
    ("POST", "/account/password", lambda c: "/account/password",
     lambda c: {"current_password": "wrong-one-xx", "new_password": "n" * 12, "confirm_password": "n" * 12}, "form",
     expect(422, anon=302)),
    ("GET", "/account/tokens", lambda c: "/account/tokens", None, None, expect(200, anon=302)),
    ("POST", "/account/tokens", lambda c: "/account/tokens", lambda c: {"name": "ci"}, "form", expect(201, anon=302)),
    ("POST", "/account/tokens/<int:token_id>/revoke", lambda c: f"/account/tokens/{c['own_token']}/revoke",
     lambda c: {}, "form", expect(302, anon=302)),
    ("POST", "/account/tokens/<int:token_id>/revoke", lambda c: f"/account/tokens/{c['other_token']}/revoke",
     lambda c: {}, "form", expect(404, anon=302)),
    ("GET", "/admin/organizations", lambda c: "/admin/organizations", None, None, only({"platform"}, 200, 403, 302)),
    ("POST", "/admin/organizations", lambda c: "/admin/organizations", lambda c: _org_body(), "form",
     only({"platform"}, 302, 403, 302)),
    ("GET", "/admin/organizations/<int:org_id>", lambda c: f"/admin/organizations/{c['own_org']}", None, None,
     expect(200, anon=302)),
    ("GET", "/admin/organizations/<int:org_id>", lambda c: f"/admin/organizations/{c['other_org']}", None, None,
     only({"platform"}, 200, 404, 302)),
    # An agency reads the institutions of its region subtree.
    ("GET", "/admin/organizations/<int:org_id>", lambda c: f"/admin/organizations/{c['region_org']}", None, None,
     only({"platform", "agency", "agency_admin"}, 200, 404, 302)),
    ("POST", "/admin/organizations/<int:org_id>", lambda c: f"/admin/organizations/{c['own_org']}",
     lambda c: {"name_zh": f"改名{next(_seq)}", "region_code": c["own_region"], "is_active": "on"}, "form",
     only({"platform"}, 302, 403, 302)),
    ("POST", "/admin/organizations/<int:org_id>", lambda c: f"/admin/organizations/{c['other_org']}",
     lambda c: {"name_zh": f"改名{next(_seq)}", "region_code": "330100"}, "form",
     only({"platform"}, 302, 404, 302)),
    ("GET", "/admin/users", lambda c: "/admin/users", None, None, only(ADMINS, 200, 403, 302)),
    ("POST", "/admin/users", lambda c: "/admin/users", _user_body, "form", only(ADMINS, 302, 403, 302)),
    ("GET", "/admin/users/<int:user_id>", lambda c: f"/admin/users/{c['own_user']}", None, None, expect(200, anon=302)),
    ("GET", "/admin/users/<int:user_id>", lambda c: f"/admin/users/{c['colleague']}", None, None,
     only(ADMINS, 200, 404, 302)),
    ("GET", "/admin/users/<int:user_id>", lambda c: f"/admin/users/{c['other_user']}", None, None,
     only({"platform"}, 200, 404, 302)),
    ("POST", "/admin/users/<int:user_id>", lambda c: f"/admin/users/{c['colleague']}",
     lambda c: {"display_name": "新名字", "role": c["colleague_role"], "locale": "en", "is_active": "on"}, "form",
     only(ADMINS, 302, 404, 302)),
    ("POST", "/admin/users/<int:user_id>", lambda c: f"/admin/users/{c['other_user']}",
     lambda c: {"display_name": "新名字", "role": "engineer", "is_active": "on"}, "form",
     only({"platform"}, 302, 404, 302)),
    ("GET", "/api/v1/me", lambda c: "/api/v1/me", None, None, expect(200, anon=401)),
    ("GET", "/api/v1/organizations", lambda c: "/api/v1/organizations", None, None, expect(200, anon=401)),
    ("POST", "/api/v1/organizations", lambda c: "/api/v1/organizations", lambda c: _org_body(), "json",
     only({"platform"}, 201, 403, 401)),
    ("GET", "/api/v1/organizations/<int:org_id>", lambda c: f"/api/v1/organizations/{c['own_org']}", None, None,
     expect(200, anon=401)),
    ("GET", "/api/v1/organizations/<int:org_id>", lambda c: f"/api/v1/organizations/{c['other_org']}", None, None,
     only({"platform"}, 200, 404, 401)),
    ("GET", "/api/v1/organizations/<int:org_id>", lambda c: f"/api/v1/organizations/{c['region_org']}", None, None,
     only({"platform", "agency", "agency_admin"}, 200, 404, 401)),
    ("PATCH", "/api/v1/organizations/<int:org_id>", lambda c: f"/api/v1/organizations/{c['own_org']}",
     lambda c: {"name_en": "Renamed"}, "json", only({"platform"}, 200, 403, 401)),
    ("PATCH", "/api/v1/organizations/<int:org_id>", lambda c: f"/api/v1/organizations/{c['other_org']}",
     lambda c: {"name_en": "Renamed"}, "json", only({"platform"}, 200, 404, 401)),
    ("GET", "/api/v1/users", lambda c: "/api/v1/users", None, None, expect(200, anon=401)),
    ("POST", "/api/v1/users", lambda c: "/api/v1/users", _user_body, "json", only(ADMINS, 201, 403, 401)),
    ("GET", "/api/v1/users/<int:user_id>", lambda c: f"/api/v1/users/{c['own_user']}", None, None, expect(200, anon=401)),
    ("GET", "/api/v1/users/<int:user_id>", lambda c: f"/api/v1/users/{c['other_user']}", None, None,
     only({"platform"}, 200, 404, 401)),
    ("PATCH", "/api/v1/users/<int:user_id>", lambda c: f"/api/v1/users/{c['colleague']}",
     lambda c: {"display_name": "改"}, "json", only(ADMINS, 200, 404, 401)),
    ("PATCH", "/api/v1/users/<int:user_id>", lambda c: f"/api/v1/users/{c['other_user']}",
     lambda c: {"display_name": "改"}, "json", only({"platform"}, 200, 404, 401)),
    ("GET", "/api/v1/regions", lambda c: "/api/v1/regions", None, None, expect(200, anon=401)),
    ("POST", "/api/v1/regions", lambda c: "/api/v1/regions",
     lambda c: {"code": f"3301{next(_seq) % 90 + 10:02d}", "name_zh": "测试区"}, "json",
     only({"platform"}, 201, 403, 401)),
    ("GET", "/api/v1/journal", lambda c: f"/api/v1/journal?object_type=organizations&object_id={c['own_org']}",
     None, None, expect(200, anon=401)),
    ("GET", "/api/v1/journal", lambda c: f"/api/v1/journal?object_type=organizations&object_id={c['other_org']}",
     None, None, only({"platform"}, 200, 404, 401)),
    ("GET", "/api/v1/openapi.json", lambda c: "/api/v1/openapi.json", None, None, expect(200, anon=200)),
    ("GET", "/api/docs", lambda c: "/api/docs", None, None, expect(200, anon=200)),
    ("GET", "/static/<path:filename>", lambda c: "/static/emc.css", None, None, expect(200, anon=200)),
    ("GET", "/static/swagger-ui/<path:filename>", lambda c: "/static/swagger-ui/swagger-ui.css", None, None,
     expect(200, anon=200)),
]

# Routes that exist but are not user actions (none yet).
NOT_IN_MATRIX: set[tuple[str, str]] = set()


def _context(session, role: str) -> dict:
    email = ROLES[role] or "viewer@school.demo"
    me = session.scalar(select(User).where(User.email == email))
    own_org = session.get(Organization, me.organization_id)
    colleague = session.scalar(
        select(User).where(User.organization_id == me.organization_id, User.id != me.id).order_by(User.id)
    ) or session.scalar(select(User).where(User.email == "viewer@esco.demo"))
    other_user = session.scalar(select(User).where(User.email == "engineer@esco2.demo"))
    other_org = session.get(Organization, other_user.organization_id)
    region_org = session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    if own_org.id == region_org.id:
        region_org = session.scalar(select(Organization).where(Organization.name_zh == "杭州市人民医院"))
    own_token = ApiToken(user_id=me.id, name="mine", prefix="emc_mine", token_hash=f"{me.id:064d}")
    other_token = ApiToken(user_id=other_user.id, name="theirs", prefix="emc_theirs", token_hash="f" * 64)
    session.add_all([own_token, other_token])
    session.flush()
    return {
        "own_org": own_org.id, "own_region": own_org.region_code, "other_org": other_org.id,
        "region_org": region_org.id, "own_user": me.id, "colleague": colleague.id,
        "colleague_role": colleague.role.value, "other_user": other_user.id,
        "own_token": own_token.id, "other_token": other_token.id,
    }


CASES = [
    pytest.param(row, role, id=f"{row[0]} {row[2]({k: 'X' for k in ('own_org','other_org','region_org','own_user','colleague','other_user','own_token','other_token')})} {role}")
    for row in ROWS
    for role in ROLES
]


@pytest.mark.parametrize(("row", "role"), CASES)
def test_access(row, role, app, demo, db_session, client):
    method, _rule, url_of, body_of, kind, expected = row
    ctx = _context(db_session, role)
    if ROLES[role]:
        assert client.login(ROLES[role]).status_code == 302
    url = url_of(ctx)
    body = body_of(ctx) if body_of else None
    if method == "GET":
        response = client.get(url)
    elif method == "PATCH":
        response = client.patch(url, json=body)
    elif kind == "json":
        response = client.post(url, json=body)
    else:
        response = client.post(url, data=body)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]


def test_every_route_has_a_row(app):
    covered = {(m, rule) for m, rule, *_ in ROWS} | NOT_IN_MATRIX
    missing = []
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, rule.rule) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert missing == [], f"routes without an access-matrix row: {missing}"


def test_every_role_has_an_expectation_in_every_row():
    for row in ROWS:
        assert set(row[5]) == set(ROLES), row[:2]

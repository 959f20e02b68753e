"""Logging in and out, CSRF, the failed-login rate limit, sessions, and API tokens."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from emc import clock
from emc.auth import service
from emc.auth.models import ApiToken, Organization, User
from emc.demo import actor_for as _actor
from emc.journal import JournalEntry


def test_login_then_home_then_logout(client, demo):
    response = client.login("energy@school.demo")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "杭州市第一中学" in home.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, demo):
    wrong_password = client.login("energy@school.demo", "not-the-password")
    unknown_user = client.login("nobody@school.demo", "not-the-password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "错误" in wrong_password.get_data(as_text=True) or "Wrong" in wrong_password.get_data(
        as_text=True
    )


def test_inactive_user_cannot_log_in(client, demo, db_session):
    user = db_session.scalar(select(User).where(User.email == "viewer@school.demo"))
    user.is_active = False
    db_session.flush()
    assert client.login("viewer@school.demo").status_code == 401


def test_login_redirect_target_must_be_on_this_site(client, demo):
    client._refresh_csrf()
    response = client.post(
        "/login",
        data={
            "email": "energy@school.demo",
            "password": "emc-demo-2026",
            "next": "https://evil.example/x",
        },
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_is_httponly_and_samesite(client, demo):
    response = client.login("energy@school.demo")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_rejected_and_changes_nothing(login_as, db_session):
    c = login_as("admin@platform.demo")
    before = db_session.scalar(select(Organization.id).where(Organization.name_zh == "无令牌学校"))
    response = c.post(
        "/admin/organizations",
        data={
            "kind": "institution",
            "name_zh": "无令牌学校",
            "region_code": "330100",
            "sector": "school",
        },
        csrf=False,
    )
    assert response.status_code == 400
    assert before is None
    assert (
        db_session.scalar(select(Organization.id).where(Organization.name_zh == "无令牌学校"))
        is None
    )


def test_json_api_with_session_cookie_needs_the_csrf_header(login_as):
    c = login_as("admin@platform.demo")
    body = {"kind": "esco", "name_zh": "某节能公司", "region_code": "330100"}
    assert c.post("/api/v1/organizations", json=body, csrf=False).status_code == 400
    assert c.post("/api/v1/organizations", json=body).status_code == 201


def test_repeated_failed_logins_are_rate_limited_with_a_clear_message(client, demo):
    statuses = [client.login("energy@school.demo", "wrong-password").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    page = client.login("energy@school.demo").get_data(as_text=True)
    assert "稍后" in page or "wait" in page


def test_successful_logins_do_not_count_toward_the_limit(app, demo):
    from tests.conftest import Client

    for _ in range(7):
        assert Client(app).login("energy@school.demo").status_code == 302


def test_expired_session_asks_to_log_in_again(app, login_as):
    app.permanent_session_lifetime = dt.timedelta(seconds=1)
    c = login_as("energy@school.demo")
    assert c.get("/").status_code == 200
    time.sleep(2.1)
    response = c.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_logs_out_other_sessions(app, login_as):
    first = login_as("viewer@school.demo")
    second = login_as("viewer@school.demo")
    response = first.post(
        "/account/password",
        data={
            "current_password": "emc-demo-2026",
            "new_password": "a-new-password-9",
            "confirm_password": "a-new-password-9",
        },
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302


def test_password_change_names_the_bad_field(login_as):
    c = login_as("viewer@school.demo")
    response = c.post(
        "/account/password",
        data={
            "current_password": "emc-demo-2026",
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    assert response.status_code == 422
    assert 'data-field="new_password"' in response.get_data(as_text=True)


# --- API tokens ------------------------------------------------------------------------------


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_token_created_on_the_settings_page_is_shown_once_and_stored_hashed(login_as, db_session):
    c = login_as("engineer@esco.demo")
    page = c.post("/account/tokens", data={"name": "metering system"})
    assert page.status_code == 201
    text = page.get_data(as_text=True)
    secret = text.split('data-testid="new-token">')[1].split("<")[0]
    assert secret.startswith("emc_")
    token = db_session.scalar(select(ApiToken).where(ApiToken.name == "metering system"))
    assert secret not in (token.token_hash, token.prefix) and len(token.token_hash) == 64
    assert secret not in c.get("/account/tokens").get_data(as_text=True)
    me = c.http.get("/api/v1/me", headers=_bearer(secret))
    assert me.status_code == 200 and me.json["user"]["email"] == "engineer@esco.demo"


@pytest.fixture
def esco_token(db_session, demo):
    actor = _actor(db_session, "engineer@esco.demo")
    token, secret = service.create_token(db_session, actor, name="t")
    db_session.flush()
    return token, secret, actor


def test_valid_token_authenticates_api_calls_without_csrf(app, esco_token):
    _token, secret, _actor_ = esco_token
    http = app.test_client()
    assert http.get("/api/v1/me", headers=_bearer(secret)).status_code == 200
    # Writes by token need no CSRF token (no cookies, so no cross-site risk); permissions still apply.
    response = http.post(
        "/api/v1/organizations",
        json={"kind": "esco", "name_zh": "x", "region_code": "330100"},
        headers=_bearer(secret),
    )
    assert response.status_code == 403


def test_revoked_token_is_refused(app, db_session, esco_token):
    token, secret, actor = esco_token
    service.revoke_token(db_session, actor, token.id)
    db_session.flush()
    response = app.test_client().get("/api/v1/me", headers=_bearer(secret))
    assert response.status_code == 401
    assert response.json["error"]["message"] == "token revoked"


def test_expired_token_is_refused(app, db_session, esco_token):
    token, secret, _ = esco_token
    token.expires_at = clock.now() - dt.timedelta(seconds=1)
    db_session.flush()
    response = app.test_client().get("/api/v1/me", headers=_bearer(secret))
    assert response.status_code == 401 and response.json["error"]["message"] == "token expired"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer not-a-token", "malformed token"),
        ("Bearer emc_" + "x" * 43, "unknown token"),
        ("Bearer ", "malformed token"),
    ],
)
def test_malformed_or_unknown_token_is_refused(app, demo, header, reason):
    response = app.test_client().get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"] == {
        "code": "unauthorized",
        "message": reason,
        "fields": {},
        "message_code": "unauthorized",
        "params": {},
    }


def test_token_of_another_tenant_cannot_read_this_tenants_objects(app, db_session, esco_token):
    _, secret, _ = esco_token
    school = db_session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    response = app.test_client().get(f"/api/v1/organizations/{school.id}", headers=_bearer(secret))
    assert response.status_code == 404


def test_token_expiry_must_be_in_the_future(db_session, demo):
    actor = _actor(db_session, "engineer@esco.demo")
    with pytest.raises(service.Invalid) as error:
        service.create_token(
            db_session, actor, name="old", expires_at=clock.now() - dt.timedelta(days=1)
        )
    assert "expires_at" in error.value.fields


def test_a_cookie_riding_along_with_a_bad_token_does_not_authenticate(login_as):
    c = login_as("admin@platform.demo")
    response = c.http.get("/api/v1/me", headers={"Authorization": "Bearer emc_" + "y" * 43})
    assert response.status_code == 401


# --- journal ---------------------------------------------------------------------------------


def test_every_change_is_journaled_with_before_and_after(login_as, db_session):
    c = login_as("admin@platform.demo")
    created = c.post(
        "/api/v1/organizations",
        json={"kind": "esco", "name_zh": "记录测试公司", "region_code": "330100"},
    )
    org_id = created.json["id"]
    c.patch(f"/api/v1/organizations/{org_id}", json={"name_en": "Journal Test Co"})
    entries = list(
        db_session.scalars(
            select(JournalEntry)
            .where(
                JournalEntry.object_type == "organizations", JournalEntry.object_id == str(org_id)
            )
            .order_by(JournalEntry.id)
        )
    )
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[0].actor_label == "admin@platform.demo"
    assert entries[1].before == {"name_en": None} and entries[1].after == {
        "name_en": "Journal Test Co"
    }
    history = c.get(f"/api/v1/journal?object_type=organizations&object_id={org_id}").json
    assert [h["action"] for h in history] == ["create", "update"]
    page = c.get(f"/admin/organizations/{org_id}").get_data(as_text=True)
    assert "Journal Test Co" in page


def test_journal_refuses_updates_and_deletes(db_session, demo):
    entry = db_session.scalars(select(JournalEntry).limit(1)).one()
    entry.summary = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db_session.flush()
    db_session.rollback()


def test_journal_is_append_only_in_the_database_too(db_session, demo):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("UPDATE journal_entries SET summary = 'x'"))
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM journal_entries"))


@pytest.mark.parametrize("who", ["user", "organisation"])
def test_a_token_or_session_of_a_deactivated_user_or_organisation_stops_working(
    app, db_session, esco_token, login_as, who
):
    """Both principals (token and cookie) are read per request, so deactivating the user or
    their organisation ends access at once."""
    token, secret, actor = esco_token
    page = login_as("engineer@esco.demo")
    assert app.test_client().get("/api/v1/me", headers=_bearer(secret)).status_code == 200
    assert page.get("/").status_code == 200
    if who == "user":
        db_session.get(User, actor.user_id).is_active = False
    else:
        db_session.get(Organization, actor.organization_id).is_active = False
    db_session.flush()
    response = app.test_client().get("/api/v1/me", headers=_bearer(secret))
    assert response.status_code == 401
    assert response.json["error"]["message"] == "token owner inactive"
    assert page.get("/").status_code == 302  # back to the login page

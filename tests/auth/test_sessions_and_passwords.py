"""Sessions end server-side, tokens die with a logout or a password change, failed logins are limited per
account and per address, and passwords follow the rules."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from emc import clock
from emc.auth import passwords, service
from emc.auth.models import ApiToken, User
from emc.demo import actor_for
from emc.errors import Invalid
from tests.conftest import Client

NEW_PASSWORD = "violet-harbour-lantern-42"


def _cookie(client: Client) -> str:
    return client.http.get_cookie("session").value


def _replay(app, cookie: str) -> int:
    """A fresh browser that presents a copied session cookie: the status of the home page."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/").status_code


def test_a_cookie_replayed_after_logout_is_dead(app, login_as):
    c = login_as("energy@school.demo")
    cookie = _cookie(c)
    assert _replay(app, cookie) == 200
    assert c.post("/logout").status_code == 302
    assert _replay(app, cookie) == 302


def test_logout_ends_the_users_other_sessions_too(app, login_as):
    first = login_as("energy@school.demo")
    second = login_as("energy@school.demo")
    first.post("/logout")
    assert second.get("/").status_code == 302


def test_a_cookie_replayed_after_a_password_change_is_dead(app, login_as):
    c = login_as("viewer@school.demo")
    cookie = _cookie(c)
    response = c.post(
        "/account/password",
        data={
            "current_password": "emc-demo-2026",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert c.get("/").status_code == 200  # the browser that changed it carries on
    assert _replay(app, cookie) == 302


def test_a_token_stops_working_after_a_password_change(app, login_as, db_session):
    actor = actor_for(db_session, "engineer@esco.demo")
    _token, secret = service.create_token(db_session, actor, name="bms")
    db_session.flush()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    c = login_as("engineer@esco.demo")
    c.post(
        "/account/password",
        data={
            "current_password": "emc-demo-2026",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    response = app.test_client().get("/api/v1/me", headers=bearer)
    assert response.status_code == 401
    assert response.json["error"]["message"] == "token revoked"


def test_a_token_stops_working_after_logout(app, login_as, db_session):
    actor = actor_for(db_session, "engineer@esco.demo")
    _token, secret = service.create_token(db_session, actor, name="bms")
    db_session.flush()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    c = login_as("engineer@esco.demo")
    assert c.post("/logout").status_code == 302
    response = app.test_client().get("/api/v1/me", headers=bearer)
    assert response.status_code == 401
    assert response.json["error"]["message"] == "token revoked"


def test_token_use_is_recorded_at_most_once_a_minute(app, db_session, demo):
    actor = actor_for(db_session, "engineer@esco.demo")
    token, secret = service.create_token(db_session, actor, name="bms")
    db_session.flush()
    bearer = {"Authorization": f"Bearer {secret}"}
    http = app.test_client()
    assert http.get("/api/v1/me", headers=bearer).status_code == 200
    db_session.expire_all()
    first = db_session.get(ApiToken, token.id).last_used_at
    assert first is not None
    assert http.get("/api/v1/me", headers=bearer).status_code == 200
    db_session.expire_all()
    assert db_session.get(ApiToken, token.id).last_used_at == first
    now = clock.now()
    assert not service.record_token_use(db_session, token.id, first + dt.timedelta(seconds=30))
    assert service.record_token_use(db_session, token.id, now + dt.timedelta(minutes=2))


def _attempt(app, email: str, password: str, address: str) -> int:
    c = Client(app)
    c.http.environ_base["REMOTE_ADDR"] = address
    return c.login(email, password).status_code


def test_failed_logins_spread_over_addresses_are_limited_per_account(app, demo):
    statuses = [
        _attempt(app, "energy@school.demo", "wrong-password", f"10.0.0.{i % 3 + 1}")
        for i in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    # The account limit holds another account and other addresses untouched.
    assert _attempt(app, "viewer@school.demo", "emc-demo-2026", "10.0.0.9") == 302


def test_a_lockout_ends_when_its_window_ends(app, demo, monkeypatch):
    import limits.storage.memory as memory

    now = [1_000_000.0]

    class FakeTime:
        @staticmethod
        def time():
            return now[0]

    monkeypatch.setattr(memory, "time", FakeTime)
    for i in range(10):
        assert _attempt(app, "energy@school.demo", "wrong-password", f"10.1.0.{i}") == 401
    assert _attempt(app, "energy@school.demo", "emc-demo-2026", "10.1.1.1") == 429
    now[0] += 15 * 60 + 1  # the account window (10 per 15 minutes) has passed
    assert _attempt(app, "energy@school.demo", "emc-demo-2026", "10.1.1.1") == 302


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-pw-1", passwords.TOO_SHORT),
        (" " * 12, passwords.TOO_COMMON),
        ("aaaaaaaaaaaa", passwords.TOO_COMMON),
        ("password1234", passwords.TOO_COMMON),
        ("qwertyuiop123", passwords.TOO_COMMON),
        ("someone@school.org", passwords.PERSONAL),
        ("Zhang Weiming", passwords.PERSONAL),
        ("hangzhou first middle school", passwords.PERSONAL),
    ],
)
def test_weak_or_personal_passwords_are_refused(password, problem):
    found = passwords.problems(
        password,
        user_inputs=("someone@school.org", "Zhang Weiming", "Hangzhou First Middle School"),
    )
    assert found == [problem]


def test_a_passphrase_is_accepted():
    assert passwords.problems(NEW_PASSWORD, user_inputs=("someone@school.org",)) == []


def test_the_demo_password_is_refused_in_production_only(monkeypatch):
    assert passwords.problems(passwords.DEMO_PASSWORD) == []
    monkeypatch.setenv("EMC_ENV", "production")
    assert passwords.problems(passwords.DEMO_PASSWORD) == [passwords.DEMO_REFUSED]


def test_creating_a_user_with_their_email_as_password_names_the_field(db_session, demo):
    admin = actor_for(db_session, "admin@platform.demo")
    org_id = actor_for(db_session, "energy@school.demo").organization_id
    with pytest.raises(Invalid) as refused:
        service.create_user(
            db_session,
            admin,
            email="new.person@school.demo",
            display_name="新用户",
            organization_id=org_id,
            role="viewer",
            password="new.person@school.demo",
        )
    assert refused.value.fields == {"password": [passwords.PERSONAL]}
    assert db_session.scalar(select(User).where(User.email == "new.person@school.demo")) is None


def test_password_change_form_explains_a_weak_password_in_chinese(login_as):
    c = login_as("viewer@school.demo")
    response = c.post(
        "/account/password",
        data={
            "current_password": "emc-demo-2026",
            "new_password": "password1234",
            "confirm_password": "password1234",
        },
    )
    assert response.status_code == 422
    assert "too common" not in response.get_data(as_text=True)

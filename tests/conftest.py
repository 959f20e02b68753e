"""Fixtures: settings → engine (migrated once per run) → db_session per test inside a
transaction rolled back at the end → app built on that connection → clients logged in by role.

Every database test runs on SQLite, and also on PostgreSQL when EMC_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.orm import Session, sessionmaker

from emc import migrate
from emc.app import create_app
from emc.config import Settings, normalise_database_url
from emc.db import make_engine
from emc.web.extensions import limiter
from tests.databases import WORKER, drop_postgres, postgres_database, reset_postgres

PG_URL = os.environ.get("EMC_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'emc-test.sqlite3'}"
    url = normalise_database_url(PG_URL)
    if not WORKER:
        reset_postgres(url)
        return url
    own = postgres_database(url, "")
    request.addfinalizer(lambda: drop_postgres(url, own))
    return own


@pytest.fixture(scope="session")
def engine(database_url):
    """The migrated test database, with the demo organisations and users committed once.

    Each test then runs inside a transaction that is rolled back, so it sees the demo data and
    leaves nothing behind.
    """
    from emc import demo as demo_data
    from emc.db import make_session_factory, unit_of_work

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with unit_of_work(make_session_factory(engine)) as session:
        demo_data.build(session)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    with engine.connect() as conn:
        trans = conn.begin()
        yield conn
        trans.rollback()


@pytest.fixture
def session_factory(connection) -> sessionmaker[Session]:
    # Commits inside the app release SAVEPOINTs; the outer transaction is rolled back at the end.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db_session(session_factory) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789",
        instance_path=tmp_path / "instance",
        testing=True,
        login_rate_limit="5 per minute",
    )


@pytest.fixture
def app(settings, session_factory):
    app = create_app(settings, session_factory=session_factory)
    limiter.reset()
    return app


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client:
    """A test client that logs in through the login form and carries the CSRF token on writes."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self.csrf: str | None = None

    def _refresh_csrf(self) -> str:
        page = self.http.get("/login")
        match = _CSRF.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the login page"
        self.csrf = match.group(1)
        return self.csrf

    def login(self, email: str, password: str = "emc-demo-2026"):
        response = self.http.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": self._refresh_csrf()},
        )
        if response.status_code == 302:
            # Login clears the session, so fetch a fresh token for the next writes.
            page = self.http.get("/account/tokens")
            self.csrf = _CSRF.search(page.get_data(as_text=True)).group(1)
        return response

    def get(self, url, **kw):
        # buffered: read and close file responses at once (warnings are errors here).
        return self.http.get(url, buffered=True, **kw)

    def post(self, url, data=None, json=None, csrf=True, **kw):
        if self.csrf is None:
            self._refresh_csrf()
        if json is not None:
            headers = kw.pop("headers", {})
            if csrf:
                headers = {"X-CSRFToken": self.csrf, **headers}
            return self.http.post(url, json=json, headers=headers, **kw)
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.http.post(url, data=data, **kw)

    def patch(self, url, json=None, csrf=True, **kw):
        headers = kw.pop("headers", {})
        if csrf:
            headers = {"X-CSRFToken": self.csrf or self._refresh_csrf(), **headers}
        return self.http.patch(url, json=json, headers=headers, **kw)


@pytest.fixture
def demo(db_session):
    """The demo organisations and users (committed once per run by ``engine``)."""
    from emc import demo as demo_data

    return demo_data


@pytest.fixture
def client(app) -> Client:
    return Client(app)


@pytest.fixture
def login_as(app, demo):
    """``login_as("finance@school.demo")`` → a Client logged in as that demo user."""

    def _login(email: str) -> Client:
        c = Client(app)
        response = c.login(email)
        assert response.status_code == 302, f"login as {email} failed: {response.status_code}"
        return c

    return _login


def pytest_configure(config):
    from emc.auth import service

    # scrypt at full cost takes ~80 ms a hash; the suite hashes thousands of times.
    service.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


# CI runs the property tests derandomised: the same examples every run, so a red CI means the
# code changed, not the dice. Elsewhere hypothesis keeps exploring (and saves what it finds).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

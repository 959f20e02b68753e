"""Application-level behaviour: error pages in both languages, SQLite pragmas, settings."""

from __future__ import annotations

from sqlalchemy import text

from emc.db import make_engine


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_unexpected_errors_give_a_500_page_and_json_without_details(app, caplog):
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @app.get("/api/v1/boom")
    def api_boom():
        raise RuntimeError("secret internals")

    http = app.test_client()
    page = http.get("/boom", headers={"Accept-Language": "en"})
    assert page.status_code == 500 and "secret internals" not in page.get_data(as_text=True)
    api = http.get("/api/v1/boom")
    assert api.status_code == 500
    assert api.json["error"]["code"] == "internal_error"
    assert "secret internals" in caplog.text  # logged for the operator, not shown to the user


def test_not_found_page_in_chinese_and_english(app):
    http = app.test_client()
    zh = http.get("/no-such-page", headers={"Accept-Language": "zh-CN"})
    en = http.get("/no-such-page", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 404
    assert "Not found" in en.get_data(as_text=True)
    assert "Not found" not in zh.get_data(as_text=True)


def test_api_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200


# --- security headers, access log ------------------------------------------------------------


def test_pages_carry_the_security_headers_and_private_pages_are_not_stored(login_as):
    c = login_as("energy@school.demo")
    page = c.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert page.headers["Cache-Control"] == "no-store"


def test_api_answers_carry_the_security_headers_and_are_not_stored(login_as):
    c = login_as("energy@school.demo")
    for response in (c.get("/api/v1/me"), c.get("/api/v1/projects/999999999")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_the_login_page_is_protected_from_framing_too(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_template_carries_an_inline_script_or_event_handler():
    import re

    from emc import paths

    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    offenders = [
        str(path.relative_to(paths.TEMPLATES_DIR))
        for path in paths.TEMPLATES_DIR.rglob("*.html")
        if inline.search(path.read_text()) or handler.search(path.read_text())
    ]
    assert offenders == []


def test_the_api_docs_page_starts_swagger_from_a_static_script(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/static/js/swagger_init.js" in page and "SwaggerUIBundle(" not in page


def test_every_request_writes_one_access_log_line(login_as, caplog):
    import logging

    c = login_as("energy@school.demo")
    with caplog.at_level(logging.INFO, logger="emc.access"):
        response = c.get("/api/v1/me", headers={"X-Request-ID": "abc-123"})
    lines = [r for r in caplog.records if r.name == "emc.access"]
    assert len(lines) == 1
    record = lines[0]
    assert response.headers["X-Request-ID"] == "abc-123"
    assert (record.request_id, record.method, record.path, record.status) == (
        "abc-123",
        "GET",
        "/api/v1/me",
        200,
    )
    assert record.user_id is not None and record.duration_ms >= 0
    assert record.getMessage().startswith("request_id=abc-123 user_id=")


def test_a_forged_request_id_is_replaced(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="emc.access"):
        response = client.get("/login", headers={"X-Request-ID": "x injected=line"})
    assert "injected" not in response.headers["X-Request-ID"]
    assert "injected" not in caplog.text


# --- SQLite under concurrency, the error handler ------------------------------------------------


def test_sqlite_writers_take_the_lock_up_front_and_readers_do_not(tmp_path):
    import sqlite3

    from emc.db import read_only_transactions

    path = tmp_path / "lock.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT 1"))  # a writing unit of work holds the write lock at once
        try:
            other.execute("BEGIN IMMEDIATE")
            locked = False
        except sqlite3.OperationalError:
            locked = True
    assert locked
    with read_only_transactions(), engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT 1"))  # a reader leaves the write lock free
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()
    engine.dispose()


def test_the_error_page_renders_after_a_failed_flush(app, login_as):
    import contextlib

    from sqlalchemy.exc import IntegrityError

    from emc.auth.models import User
    from emc.web.db import db

    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        session = db()
        existing = session.scalar(text("SELECT email FROM users LIMIT 1"))
        session.add(
            User(
                email=existing,
                display_name="x",
                password_hash="x",
                organization_id=1,
                role="viewer",
            )
        )
        # The session now needs a rollback; the handler must not trip over it.
        with contextlib.suppress(IntegrityError):
            session.flush()
        raise RuntimeError("after a failed flush")

    app.add_url_rule("/boom-flush", "boom_flush", broken)
    app.add_url_rule("/api/v1/boom-flush", "api_boom_flush", broken)
    c = login_as("energy@school.demo")
    page = c.get("/boom-flush")
    assert page.status_code == 500 and page.content_type.startswith("text/html")
    api = c.get("/api/v1/boom-flush")
    assert api.status_code == 500 and api.json["error"]["code"] == "internal_error"

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

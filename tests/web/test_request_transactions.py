"""Reading requests on PostgreSQL run in autocommit; writing ones in one transaction."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy.orm import sessionmaker

from emc.app import create_app
from emc.web.db import db


def _app(settings, engine):
    app = create_app(settings, session_factory=sessionmaker(bind=engine, expire_on_commit=False))
    app.config["WTF_CSRF_ENABLED"] = False

    @app.route("/_isolation", methods=["GET", "POST"])
    def isolation():
        raw = db().connection().connection.dbapi_connection
        return jsonify(autocommit=bool(getattr(raw, "autocommit", False)))

    return app


def test_reading_requests_on_postgresql_skip_the_transaction_and_writes_keep_it(settings, engine):
    http = _app(settings, engine).test_client()
    read = http.get("/_isolation").get_json()["autocommit"]
    write = http.post("/_isolation").get_json()["autocommit"]
    assert read is (engine.dialect.name == "postgresql")
    assert write is False
    # The pooled connection went back to transactions for the next user.
    with engine.connect() as conn:
        assert not getattr(conn.connection.dbapi_connection, "autocommit", False)

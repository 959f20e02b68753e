"""The request's database session: one per request, committed once after it.

A response with status < 400 commits; anything else — an error page, a validation failure, an
exception — rolls back, so each user action is one transaction and nothing is half-written.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session


def db() -> Session:
    """The current request's session (created on first use)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["emc.session_factory"]()
    return g.db_session


def _finish(session: Session) -> None:
    # A streamed body (a CSV download) may have read after the commit: end that read, release
    # the connection.
    session.rollback()
    session.close()


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit(response):
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
            # Close when the body has been sent, not at teardown: with stream_with_context the
            # request tears down before a streamed body is generated from this same session.
            response.call_on_close(lambda: _finish(session))
        return response

    @app.teardown_request
    def _close(_exc):
        # Only reached with a session when after_request did not run (an unhandled exception).
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            _finish(session)

"""The request's database session: one per request, committed once after it.

A response with status < 400 commits; anything else — an error page, a validation failure, an
exception — rolls back, so each user action is one transaction and nothing is half-written.

GET, HEAD and OPTIONS requests only read: on SQLite their transactions start deferred (readers
never wait in WAL mode), on PostgreSQL they run in autocommit (no BEGIN/COMMIT round trips);
every other method takes the write lock up front (``emc.db``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from flask import Flask, current_app, g, request
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from emc.db import reset_read_only, set_read_only

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db() -> Session:
    """The current request's session (created on first use)."""
    if "db_session" not in g:
        session = current_app.extensions["emc.session_factory"]()
        if request.method in SAFE_METHODS and _autocommit_reads(session):
            # A reading request on PostgreSQL runs without BEGIN and COMMIT: two round trips
            # of four for a typical list. Each statement still sees committed data, as under
            # READ COMMITTED inside a transaction; the connection's isolation level is reset
            # when it goes back to the pool.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        g.db_session = session
    return g.db_session


def _autocommit_reads(session: Session) -> bool:
    bind = session.get_bind()
    # Only a session on the engine itself: a test's session joined to an outer transaction
    # keeps that transaction.
    return isinstance(bind, Engine) and bind.dialect.name == "postgresql"


def after_session(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the request's transaction has ended and given its connection back
    (or at the end of the request if it had none): work in a transaction of its own, such as noting a
    token's use, then never needs a second pooled connection while the first is held, which
    with as many busy threads as pooled connections would wait for ever."""
    g.setdefault("emc_after_session", []).append(callback)


def _run_all(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 — best effort, after the answer was decided
            log.warning("post-request callback failed", exc_info=True)


def rollback_request_session() -> None:
    """Roll back the request's session if it has one: an error page must not render on a
    session whose transaction failed (that raises PendingRollbackError)."""
    session: Session | None = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 — a dead connection: start afresh on a new session
            log.warning("rollback of the request session failed", exc_info=True)
            g.pop("db_session", None)
            _finish(session)


def _finish(session: Session) -> None:
    # A streamed body (a CSV download) may have read after the commit: end that read, release
    # the connection.
    try:
        session.rollback()
    finally:
        session.close()


def init_app(app: Flask) -> None:
    @app.before_request
    def _mark_read_only():
        g.read_only_token = set_read_only(request.method in SAFE_METHODS)

    @app.after_request
    def _commit(response):
        session: Session | None = g.pop("db_session", None)
        callbacks = g.pop("emc_after_session", [])
        if session is None:
            _run_all(callbacks)
        else:
            if response.status_code < 400:
                try:
                    session.commit()
                except (IntegrityError, OperationalError) as error:
                    # A race lost at commit time (a unique key taken meanwhile, the write lock
                    # not obtained within the busy timeout): nothing was written; say so.
                    session.rollback()
                    _finish(session)
                    _run_all(callbacks)
                    log.warning("commit failed on %s %s: %s", request.method, request.path, error)
                    from emc.web.errors import error_response

                    status = 409 if isinstance(error, IntegrityError) else 503
                    return _as_response(error_response(status))
            else:
                session.rollback()
            # Close when the body has been sent, not at teardown: with stream_with_context the
            # request tears down before a streamed body is generated from this same session.
            # The commit (or rollback) gave the connection back to the pool: the callbacks'
            # own transactions do not hold a second one.
            _run_all(callbacks)
            response.call_on_close(lambda: _finish(session))
        return response

    @app.teardown_request
    def _close(_exc):
        # Only reached with a session when after_request did not run (an unhandled exception).
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            _finish(session)
        _run_all(g.pop("emc_after_session", []))
        token = g.pop("read_only_token", None)
        if token is not None:
            # A token set in another context (a copied one) has nothing to undo here.
            with contextlib.suppress(ValueError):
                reset_read_only(token)


def _as_response(result):
    from flask import make_response

    return make_response(result)

"""Security headers on every response, and one structured access-log line per request.

Registered first in ``create_app``, so these after-request hooks run last and see the final
response, whatever a later hook (the commit) turned it into.
"""

from __future__ import annotations

import logging
import os
import time

from flask import Flask, g, request

access_log = logging.getLogger("emc.access")

# No inline script anywhere (scripts are static files), so script-src needs no 'unsafe-inline'
# and no nonce. Styles may be inline (a few pages carry a <style> block); styles cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        # The approve and pay forms must never be framed (click-jacking).
        "frame-ancestors 'none'",
    )
)

STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

_STATIC_HEADERS_LOWER = tuple((name.lower(), name, value) for name, value in STATIC_HEADERS.items())

# A request id from a trusted proxy is kept only if it looks like one (no log injection).
_REQUEST_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _authenticated() -> bool:
    # Flask-Login keeps the loaded user in g: looking there never triggers a new query.
    user = g.get("_login_user")
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _request_id() -> str:
    given = request.headers.get("X-Request-ID", "")
    if 0 < len(given) <= 64 and set(given) <= _REQUEST_ID_CHARS:
        return given
    return os.urandom(8).hex()


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        g.request_id = _request_id()

    @app.after_request
    def _secure(response):
        # One look at the headers a view set (a download sets nosniff itself), then the rest
        # added: a setdefault per header scanned them twice each.
        headers = response.headers
        present = {key.lower() for key, _value in headers}
        for lower, name, value in _STATIC_HEADERS_LOWER:
            if lower not in present:
                headers.add(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if _authenticated() or request.path.startswith("/api/"):
            # Private pages and API answers are never kept by a browser or a shared cache.
            response.headers["Cache-Control"] = "no-store"
            response.headers.add("Vary", "Cookie")
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        _log_access(response)
        return response


def _log_access(response) -> None:
    started = g.get("request_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started is not None else -1.0
    user = g.get("_login_user")
    user_id = getattr(getattr(user, "actor", None), "user_id", None)
    # One line, key=value, values without spaces: greppable, and parseable by any log shipper.
    # The path is logged without its query string (it may carry personal data).
    access_log.info(
        "request_id=%s user_id=%s method=%s path=%s status=%s duration_ms=%.1f",
        g.get("request_id", "-"),
        user_id if user_id is not None else "-",
        request.method,
        request.path.replace(" ", "%20").replace("\n", "%0A").replace("\r", "%0D"),
        response.status_code,
        duration_ms,
        extra={
            "request_id": g.get("request_id"),
            "user_id": user_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration_ms, 1),
        },
    )

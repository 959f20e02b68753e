"""One mapping from errors to responses: JSON under ``/api/``, a localised page elsewhere.

JSON shape (every API error): ``{"error": {"code": "...", "message": "...", "fields": {...},
"message_code": "...", "params": {...}}}``: ``code`` is the kind of error clients branch on,
``message`` the sentence in the request's language, ``message_code`` and ``params`` the
catalogue entry (:mod:`emc.messages`) it was said from. Pages show the sentence and each field
as "label: message" (:mod:`emc.web.messages`), never a field's internal name or a dict.
"""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from emc.errors import EmcError
from emc.messages import params_json
from emc.web.db import rollback_request_session
from emc.web.messages import field_sentences, say
from emc.web.security import is_api_request

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Please log in."),
        403: _("You may not do this."),
        404: _("Not found: the page or record does not exist, or you may not see it."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state of the record."),
        413: _("The upload is too large."),
        422: _("Some fields are invalid."),
        429: _("Too many attempts. Please wait and try again."),
        500: _("Something went wrong on our side. The error has been logged."),
        503: _("The service is busy. Please try again in a moment."),
    }


def _clean_fields(fields):
    """Field keys as strings (a multipart part without a usable name arrives as None, and a
    None key beside string keys cannot be sorted into JSON), values as JSON-able text."""
    if isinstance(fields, dict):
        return {("_" if k is None else str(k)): _clean_fields(v) for k, v in fields.items()}
    if isinstance(fields, list | tuple):
        return [_clean_fields(v) for v in fields]
    if fields is None or isinstance(fields, str | int | float | bool):
        return fields
    return str(fields)


def error_response(
    status: int,
    code: str | None = None,
    message: str | None = None,
    fields=None,
    *,
    message_code: str = "",
    params=None,
):
    """The one error answer: the JSON envelope under ``/api/``, the localised page elsewhere.

    It never fails: the request's session is rolled back first (a failed flush would otherwise
    make the page's own queries raise), and if the page itself cannot render, a bare page with
    the same status is sent instead.
    """
    rollback_request_session()
    code = code or _CODES.get(status, "error")
    try:
        details = field_sentences(fields) if fields and not is_api_request() else []
        message = say(message) if message else _messages().get(status, "")
    except Exception:  # noqa: BLE001 — no locale machinery (error before it was set up)
        details = []
        message = str(message or "")
    fields = _clean_fields(fields) if fields else None
    if is_api_request():
        body = {
            "error": {
                "code": code,
                "message": str(message),
                "fields": fields or {},
                "message_code": message_code or code,
                "params": params_json(params or {}),
            }
        }
        response = jsonify(body)
        response.status_code = status
        return response
    try:
        return make_response(
            render_template(
                "error.html", status=status, code=code, message=message, details=details
            ),
            status,
        )
    except Exception:  # noqa: BLE001 — the error page must not itself become a text/plain 500
        log.exception("the error page for %s failed to render", status)
        rollback_request_session()
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p>"
        return make_response(body, status, {"Content-Type": "text/html; charset=utf-8"})


def unauthorized_response():
    if is_api_request():
        reason = g.get("token_rejected")
        return error_response(
            401,
            "unauthorized",
            reason or _("Authentication required: log in or send a bearer token."),
        )
    return redirect(
        url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    )


def _webargs_fields(error: HTTPException) -> dict:
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors") or {}
    # webargs nests by location ({"json": {...}}); one level is enough for clients.
    flat: dict = {}
    for location, value in messages.items() if isinstance(messages, dict) else ():
        if isinstance(value, dict):
            flat.update(value)
        else:
            flat[location] = value
    return flat


def init_app(app: Flask) -> None:
    @app.errorhandler(EmcError)
    def _domain(error: EmcError):
        return error_response(
            error.status,
            error.code,
            error.message,
            error.fields,
            message_code=error.message_code,
            params=error.params,
        )

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return error_response(
            400,
            "csrf",
            _(
                "The form has expired or is missing its security token. Reload the page and try again."
            ),
        )

    @app.errorhandler(RateLimitExceeded)
    def _rate(error: RateLimitExceeded):
        return error_response(
            429, "rate_limited", _("Too many failed attempts. Please wait a minute and try again.")
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        fields = _webargs_fields(error) if status == 422 else None
        message = None
        if status == 422:
            message = _("Some fields are invalid.")
        return error_response(status, fields=fields, message=message)

    @app.errorhandler(InternalServerError)
    def _internal(error: InternalServerError):
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.exception(
                "unhandled error on %s %s", request.method, request.path, exc_info=original
            )
        return error_response(500)

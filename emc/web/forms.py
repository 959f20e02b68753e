"""HTML forms load the same marshmallow ``*In`` schemas as the API, so rules exist once."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request

from emc.web.messages import say

# Form-only keys that the schemas must not see.
_FORM_KEYS = {"csrf_token", "submit"}


def form_data(keep_blank: tuple[str, ...] = ()) -> dict[str, Any]:
    """``request.form`` as a dict: blank optional inputs dropped, CSRF token removed."""
    data = {}
    for key, value in request.form.items():
        if key in _FORM_KEYS:
            continue
        if value == "" and key not in keep_blank:
            continue
        data[key] = value
    return data


def load_form(schema: ma.Schema, data: dict[str, Any] | None = None) -> tuple[dict | None, dict]:
    """Load the form through ``schema``; return (data, {}) or (None, errors by field)."""
    try:
        return schema.load(form_data() if data is None else data), {}
    except ma.ValidationError as error:
        return None, localise(error.messages)


def localise(messages: Any) -> Any:
    """Translate messages field by field: marshmallow's standard messages (they are in the
    catalog) and the services' catalogue messages (:func:`emc.web.messages.say`)."""
    if isinstance(messages, dict):
        return {k: localise(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [localise(m) for m in messages]
    if isinstance(messages, str):
        return say(messages)
    return messages

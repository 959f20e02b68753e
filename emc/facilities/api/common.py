"""The facilities API blueprint and the helpers its routes share: loading a body or an upload
form (marshmallow's errors as :class:`~emc.errors.Invalid`), the upload size limit."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, request
from werkzeug.datastructures import FileStorage

from emc.errors import Invalid
from emc.messages import msg
from emc.web.extensions import Blueprint

blp = Blueprint(
    "facilities_api",
    __name__,
    url_prefix="/api/v1",
    description="Sites, buildings, meters and meter readings",
)


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"rows[3].start": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_"] = list(messages)
    else:
        flat[prefix or "_"] = [str(messages)]
    return flat


def load_or_invalid(schema: ma.Schema, data: Any, message: str) -> Any:
    """``schema.load(data)``; marshmallow's errors become :class:`Invalid` with ``message`` and
    the messages flattened under ``fields``."""
    try:
        return schema.load(data)
    except ma.ValidationError as error:
        raise Invalid(message, fields=flatten_messages(error.messages)) from None


def form_upload(form_schema: ma.Schema) -> tuple[dict[str, Any], FileStorage]:
    """The multipart form of an upload, loaded with ``form_schema``, and its ``file``: a bad
    form, then a missing file, is :class:`Invalid`."""
    form = load_or_invalid(form_schema, request.form.to_dict(), "the upload is invalid")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid(
            msg("audit.no_file"), fields={"file": [msg("facilities.choose_csv_xlsx_file_upload")]}
        )
    return form, upload


def max_upload_bytes() -> int:
    return current_app.config["EMC_SETTINGS"].max_upload_mb * 1024 * 1024

"""Rendering of stored messages in one reader's language (no Flask: pages, API and e-mail).

Parameters are JSON values. A parameter that must itself be translated is written
``{"msgid": "...", "params": {...}}``; a list shown one line per item is
``{"msgid": "...", "each": [{...}, ...]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from emc.i18n import translate

log = logging.getLogger(__name__)


def render_text(locale: str, msgid: str, params: Mapping[str, Any]) -> str:
    """``msgid`` translated into ``locale`` with ``params`` (themselves rendered) filled in."""
    return _text(locale, msgid, params)


def _param(locale: str, value: Any) -> Any:
    if isinstance(value, dict) and "msgid" in value:
        if "each" in value:
            return "\n".join(_text(locale, value["msgid"], item) for item in value["each"])
        return _text(locale, value["msgid"], value.get("params") or {})
    return value


def _text(locale: str, msgid: str, params: Mapping[str, Any]) -> str:
    if not msgid:
        return ""
    values = {k: _param(locale, v) for k, v in params.items()}
    try:
        return translate(locale, msgid, **values)
    except (KeyError, TypeError, ValueError):
        # A stored message whose translation lost a placeholder must still be readable.
        log.warning("notification msgid %r could not be formatted with %r", msgid, values)
        return msgid

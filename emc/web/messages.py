"""Saying a catalogue message (:mod:`emc.messages`) in the page's language.

The one place where an error's code and params become a sentence for a reader: the error page,
the flashes and the form errors of every domain, and the API envelope's ``message``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext

from emc.errors import EmcError
from emc.messages import CATALOGUE, FIELD, EngineWarningText, Joined, Text, validation_text


def say(message: Any) -> str:
    """``message`` in the page's language: a :class:`Text` from the catalogue by its code and
    params (params said in turn), one of marshmallow's formatted validation messages
    (:func:`emc.messages.validation_text`) likewise, a bare msgid through the catalog; anything
    else as text."""
    if isinstance(message, Joined):
        return gettext("; ").join(s for s in (say(p) for p in message.parts) if s)
    if isinstance(message, str) and (known := validation_text(message)) is not None:
        message = known  # marshmallow's formatted messages, by the catalogue's sentences
    if isinstance(message, EngineWarningText):
        from emc.web.labels import mv_warning

        return mv_warning({"code": message.code, "data": message.params, "message": str(message)})
    if isinstance(message, Text):
        template = CATALOGUE.get(message.key) if message.code else None
        if template is not None:
            params = {k: say(v) if isinstance(v, Text) else v for k, v in message.params.items()}
            try:  # formatted here even without params, so that "%%" is always a "%"
                return gettext(template) % params
            except (KeyError, TypeError, ValueError):  # a translation whose params do not fit
                return str(message)
        return gettext(str(message)) if str(message) else ""
    if isinstance(message, str):
        return gettext(message) if message else message
    return "" if message is None else str(message)


def say_all(messages: Any) -> Any:
    """Every message in a list or dict (marshmallow's nesting, ``fields``) said."""
    if isinstance(messages, Mapping):
        return {k: say_all(v) for k, v in messages.items()}
    if isinstance(messages, list | tuple):
        return [say_all(m) for m in messages]
    return say(messages)


_ROW_COLUMN = re.compile(r"row (\d+), column (.+)")
_ROW = re.compile(r"row (\d+)")
_COLUMN = re.compile(r"column (.+)")
_INDEXED = re.compile(r"(.+?)\[(\d+)\](?:\.(.+))?")


def field_label(key: Any) -> str:
    """A field's name (or a file problem's place: ``row 17, column 时间``) in the page's
    language; ``""`` for a key that has no label (the message then stands alone)."""
    key = "" if key is None else str(key)
    if m := _ROW_COLUMN.fullmatch(key):
        return gettext("row %(row)s, column %(column)s", row=m.group(1), column=m.group(2))
    if m := _ROW.fullmatch(key):
        return gettext("row %(row)s", row=m.group(1))
    if m := _COLUMN.fullmatch(key):
        return gettext("column %(column)s", column=m.group(1))
    if key in FIELD:
        return gettext(FIELD[key])
    if m := _INDEXED.fullmatch(key):  # bands[1].share → 第 2 项的分成比例
        inner = field_label(m.group(3) or m.group(1))
        if inner:
            return gettext("item %(n)s, %(field)s", n=int(m.group(2)) + 1, field=inner)
    return ""


def field_sentences(fields: Mapping[str, Any] | None) -> list[str]:
    """``fields`` as sentences, one per field: "原因：必填" (never a dict's repr)."""
    out: list[str] = []
    for key, messages in (fields or {}).items():
        if isinstance(messages, Mapping):  # marshmallow nests by index or by sub-field
            out.extend(field_sentences({f"{key}.{k}": v for k, v in messages.items()}))
            continue
        items = messages if isinstance(messages, list | tuple) else [messages]
        said = [s for s in (say(m) if not isinstance(m, Mapping) else "" for m in items) if s]
        nested = [m for m in items if isinstance(m, Mapping)]
        for inner in nested:
            out.extend(field_sentences({f"{key}.{k}": v for k, v in inner.items()}))
        if not said:
            continue
        label = field_label(key)
        text = gettext("; ").join(said)
        out.append(gettext("%(field)s: %(problem)s", field=label, problem=text) if label else text)
    return out


_VERSION_FIELDS = frozenset({"version", "row_version"})


def describe(error: EmcError) -> str:
    """An error as one line for a flash: its sentence, then its fields' sentences."""
    head = say(error.message)
    # A stale version is the sentence itself ("changed since you opened it"); the version
    # numbers the API's field gives are row counters that a page never shows.
    fields = (
        {k: v for k, v in error.fields.items() if k not in _VERSION_FIELDS}
        if head
        else error.fields
    )
    rest = [s for s in field_sentences(fields) if s != head]
    if not rest:
        return head
    return gettext("%(message)s (%(details)s)", message=head, details=gettext("; ").join(rest))


def form_errors(error: EmcError) -> dict[str, list[str]]:
    """An error as form errors: each field's messages said, the sentence on top (``_``)."""
    fields = {k: say_all(v) for k, v in error.fields.items() if isinstance(v, list)}
    head = say(error.message)
    if head and all(head not in v for v in fields.values()):
        fields.setdefault("_", []).insert(0, head)
    return fields

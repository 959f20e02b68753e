"""The errors services raise; one handler (``emc.web.errors``) maps them to HTTP.

Services never import Flask, so they cannot ``abort()``: they raise these instead, and the view
or API layer turns them into a page or the shared JSON error shape
``{"error": {"code": ..., "message": ..., "fields": {...}, "message_code": ..., "params": {...}}}``.

The message is a catalogue :class:`~emc.messages.Text` (``msg("baseline.revision_reason")``):
English as a string, and a ``message_code`` with ``params`` that the web layer says in the
reader's language. ``code`` stays the kind of error API clients branch on (``conflict``,
``separation_of_duties`` …).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emc.messages import Text


class EmcError(Exception):
    """Base of all domain errors. ``fields`` maps a field path to a list of messages."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, fields: Mapping[str, Any] | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        if code is not None:
            self.code = code

    @property
    def message_code(self) -> str:
        """The catalogue code of the message (``""`` for a sentence outside the catalogue)."""
        return self.message.key if isinstance(self.message, Text) else ""

    @property
    def params(self) -> dict[str, Any]:
        """The named values the message's sentence is made from."""
        return dict(self.message.params) if isinstance(self.message, Text) else {}


class NotFound(EmcError):
    """The object does not exist *or the actor may not see it*: the two are never told apart."""

    status = 404
    code = "not_found"


class Forbidden(EmcError):
    """The actor sees the object but may not perform this action on it."""

    status = 403
    code = "forbidden"


class Conflict(EmcError):
    """The action clashes with the current state: a stale version, a duplicate, a wrong state."""

    status = 409
    code = "conflict"


class Invalid(EmcError):
    """The input is wrong; ``fields`` names each bad field with its messages."""

    status = 422
    code = "invalid"

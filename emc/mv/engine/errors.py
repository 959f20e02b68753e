"""Typed errors and data-quality warnings of the M&V engine.

Warnings are data, not :mod:`warnings` module messages: every fit, sufficiency check and savings
computation returns them so that a service can store them beside the result and show them to
both parties (the OpenEEmeter habit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = [
    "InsufficientDataError",
    "InvalidInputError",
    "MVError",
    "MVWarning",
    "ModelFormatError",
    "Warning",
]


def _json_safe(value):
    # Warning data travels into JSON documents and database columns: nan/inf become None,
    # numpy scalars become Python numbers, tuples become lists.
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if hasattr(value, "item"):  # numpy scalar
        return _json_safe(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


@dataclass(frozen=True)
class Warning:  # noqa: A001 - the engine's own warning record, not the builtin category
    """A data-quality or modelling remark.

    ``code`` is a stable snake_case identifier (e.g. ``too_many_days_with_missing_data``),
    ``message`` an English sentence for people, ``data`` JSON-safe details (counts, limits,
    dates as ISO strings). ``disqualifying`` marks problems that make a baseline unusable
    under CalTRACK unless the caller explicitly accepts insufficient data.
    """

    code: str
    message: str
    data: dict = field(default_factory=dict)
    disqualifying: bool = False

    def to_dict(self) -> dict:
        """JSON-safe dict with keys ``code``, ``message``, ``data``, ``disqualifying``."""
        return {
            "code": self.code,
            "message": self.message,
            "data": _json_safe(self.data),
            "disqualifying": self.disqualifying,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Warning:
        """Inverse of :meth:`to_dict`."""
        return cls(
            code=str(data["code"]),
            message=str(data["message"]),
            data=dict(data.get("data") or {}),
            disqualifying=bool(data.get("disqualifying", False)),
        )


#: Alias that does not shadow the builtin when imported by name.
MVWarning = Warning


class MVError(Exception):
    """Base class of all errors raised by :mod:`emc.mv.engine`."""


class InvalidInputError(MVError, ValueError):
    """Arguments are malformed: mismatched lengths, unsorted or duplicate dates, bad units."""


class ModelFormatError(MVError, ValueError):
    """A serialised model dict cannot be read (unknown version or method, missing keys)."""


class InsufficientDataError(MVError):
    """The data fail a disqualifying CalTRACK sufficiency rule.

    ``warnings`` holds every warning found (disqualifying and not), so that the caller can show
    all problems at once. Pass ``allow_insufficient=True`` to the fitting function to fit anyway.
    """

    def __init__(self, message: str, warnings: tuple[Warning, ...] | list[Warning] = ()):
        super().__init__(message)
        self.warnings = tuple(warnings)

"""The one source of the current time.

Everything that needs "now" calls :func:`now`, so tests can pin the clock and no naive datetime
ever enters the system.
"""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """Return the current instant as a timezone-aware UTC datetime."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Pin :func:`now` to ``at`` (aware), or release it with ``None``. For tests and replays."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    _frozen = at.astimezone(UTC) if at is not None else None

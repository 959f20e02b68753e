"""The journal: append-only change history of every record (who, when, what, before/after).

Not to be confused with energy *audits* (``emc.audit``). Services call :func:`record` in the same
transaction as the change, so a change and its history entry land together or not at all. The
table refuses UPDATE and DELETE at the database level (triggers in the migration) and in the ORM.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Select, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from emc import clock
from emc.db import Base, BigId, UTCDateTime

if TYPE_CHECKING:
    from emc.auth.actor import Actor


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=clock.now)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Kept as text too, so history stays readable if the user is later renamed or removed.
    actor_label: Mapped[str] = mapped_column(String(254))
    # The tenant that owns the object, for scoping who may read this history.
    organization_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


@event.listens_for(JournalEntry, "before_update")
@event.listens_for(JournalEntry, "before_delete")
def _append_only(_mapper, _connection, target: JournalEntry) -> None:
    raise RuntimeError(f"journal entry {target.id} is append-only")


def jsonable(value: Any) -> Any:
    """Make a snapshot value JSON-safe without losing precision (Decimal and datetimes as text)."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj: Any, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The named attributes of ``obj`` as a JSON-safe dict (never secrets: list fields explicitly)."""
    return {name: jsonable(getattr(obj, name)) for name in fields}


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    obj: Any,
    *,
    organization_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
    object_type: str | None = None,
) -> JournalEntry:
    """Append one history entry for ``obj`` in the current transaction.

    ``obj`` must have been flushed (it needs its id). ``actor`` None means the system (a job).
    Only changed keys are kept when both ``before`` and ``after`` are given.
    """
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    entry = JournalEntry(
        at=clock.now(),
        actor_user_id=actor.user_id if actor else None,
        actor_label=actor.label if actor else "system",
        organization_id=organization_id,
        action=action,
        object_type=object_type or obj.__tablename__,
        object_id=str(obj.id),
        summary=summary[:500],
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
    )
    session.add(entry)
    return entry


def add_created(
    session: Session,
    actor: Actor | None,
    obj: Any,
    *,
    fields: tuple[str, ...] | list[str],
    organization_id: int | None,
) -> None:
    """Add the new ``obj``, flush (it gets its id), and :func:`record` its ``"create"`` with the
    :func:`snapshot` of ``fields``."""
    session.add(obj)
    session.flush()
    record(
        session,
        actor,
        "create",
        obj,
        organization_id=organization_id,
        after=snapshot(obj, fields),
    )


def apply_update(
    session: Session,
    actor: Actor | None,
    obj: Any,
    changes: Mapping[str, Any],
    *,
    before: dict[str, Any],
    fields: tuple[str, ...] | list[str],
    organization_id: int | None,
    summary: str = "",
) -> None:
    """Set ``changes`` on ``obj``, flush, and :func:`record` the ``"update"`` from ``before``
    (the :func:`snapshot` of ``fields`` taken before the caller's checks) to the new snapshot;
    ``summary`` names the object where its history is shown with others'."""
    for key, value in changes.items():
        setattr(obj, key, value)
    session.flush()
    record(
        session,
        actor,
        "update",
        obj,
        organization_id=organization_id,
        before=before,
        after=snapshot(obj, fields),
        summary=summary,
    )


def history_query(object_type: str, object_id: Any) -> Select:
    """The entries of one object, oldest first, as a statement (the API pages it). Callers
    check that the actor may see the object."""
    return (
        select(JournalEntry)
        .where(JournalEntry.object_type == object_type, JournalEntry.object_id == str(object_id))
        .order_by(JournalEntry.at, JournalEntry.id)
    )


def histories(session: Session, objects: Mapping[str, Sequence[Any]]) -> list[JournalEntry]:
    """Entries of several objects (``{object_type: [ids]}``: an audit and its measures), oldest
    first, in one list. Callers check that the actor may see every object."""
    from sqlalchemy import and_, or_

    clauses = [
        and_(JournalEntry.object_type == kind, JournalEntry.object_id.in_([str(i) for i in ids]))
        for kind, ids in objects.items()
        if ids
    ]
    if not clauses:
        return []
    stmt = select(JournalEntry).where(or_(*clauses)).order_by(JournalEntry.at, JournalEntry.id)
    return list(session.scalars(stmt))


def history(session: Session, object_type: str, object_id: Any) -> list[JournalEntry]:
    """Entries for one object, oldest first. Callers check that the actor may see the object."""
    return list(session.scalars(history_query(object_type, object_id)))

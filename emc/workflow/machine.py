"""The one function that performs every workflow transition (DESIGN.md §8).

:func:`transition` loads the object through the policy (another tenant's object is 404), checks
the permission, the acting side (separation of duties), the version the user saw (optimistic
lock), the source state and the object's own rules, records a party's consent where both must
consent, applies the change and flushes it as an UPDATE conditional on the version read. That
UPDATE is the single point where concurrent requests are decided: on PostgreSQL the second
writer waits for the first to commit and then matches no row; on SQLite the database's write
lock refuses it. Only the winner goes on to its side effects, its journal entry and its
workflow event (from which notifications come); every loser gets a :class:`StaleConflict`
(409) that says what the object is now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from emc import clock, journal
from emc.auth.actor import Actor
from emc.auth.permissions import can
from emc.auth.policy import load, require
from emc.errors import Conflict, Forbidden
from emc.messages import action as action_word
from emc.messages import machine as machine_word
from emc.messages import msg, term
from emc.messages import state as state_word
from emc.workflow.events import WorkflowEvent, emit
from emc.workflow.tables import Consent, Machine, Side, Transition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parties:
    """Who is who for one object: the tenant (journal), the contracting parties, the auditor,
    the organisation that proposed it, and what to call it in messages."""

    organization_id: int
    institution_id: int | None
    esco_id: int | None = None
    auditor_id: int | None = None
    proposer_org_id: int | None = None
    project_id: int | None = None
    name: str = ""
    # The ESCO an amendment would hand the project to: a party of that amendment only.
    incoming_esco_id: int | None = None

    @classmethod
    def of_project(cls, project: Any, **extra: Any) -> Parties:
        """The parties of an object that belongs to ``project`` (an ``EmcProject``): the
        institution (also the tenant) and the ESCO, named after the project."""
        return cls(
            organization_id=project.organization_id,
            institution_id=project.organization_id,
            esco_id=project.esco_organization_id,
            project_id=project.id,
            name=project.name,
            **extra,
        )

    @property
    def contracting(self) -> set[int]:
        """The organisations whose consent the object needs (incoming ESCO included)."""
        return {self.institution_id, self.esco_id, self.incoming_esco_id} - {None}


@dataclass(frozen=True)
class Binding:
    """A :class:`Machine` bound to its table: how to find the parties of a row, which fields
    the journal keeps, where the state and the lock version live, and the object's page."""

    machine: Machine
    model: type
    parties: Callable[[Session, Any], Parties]
    fields: tuple[str, ...]
    state_attr: str | None = "status"
    version_attr: str = "row_version"
    state_of: Callable[[Any], str] | None = None
    link: Callable[[Any], str] | None = None

    def state(self, obj: Any) -> str:
        if self.state_of is not None:
            return self.state_of(obj)
        return str(getattr(obj, self.state_attr))


class StaleConflict(Conflict):
    """Someone changed the object since the user loaded it (or at the same moment). ``state``
    and ``version`` are the object's current ones, for a page to say what changed."""

    def __init__(self, message: str, *, state: str | None, version: int | None, what: str):
        super().__init__(
            message,
            fields={"version": [msg("workflow.stale_field", version=version)]},
        )
        self.state, self.version, self.what = state, version, what


def _side_ok(actor: Actor, parties: Parties, side: Side) -> bool:
    org = actor.organization_id
    contracting = parties.contracting
    if side is Side.INSTITUTION:
        return org == parties.institution_id
    if side is Side.ESCO:
        return parties.esco_id is not None and org == parties.esco_id
    if side is Side.AUDITOR:
        return parties.auditor_id is not None and org == parties.auditor_id
    if side is Side.EITHER:
        return org in contracting
    if side is Side.PROPOSER:
        return org == parties.proposer_org_id
    return org in contracting and org != parties.proposer_org_id  # Side.OTHER


def _consent(actor: Actor, parties: Parties, obj: Any, consent: Consent) -> bool:
    """Record the acting party's consent; True once every party needed has consented (both
    contracting parties, and the incoming ESCO when the object names one)."""
    if actor.organization_id == parties.institution_id:
        prefix, party = consent.institution, "institution"
    elif parties.esco_id is not None and actor.organization_id == parties.esco_id:
        prefix, party = consent.esco, "esco"
    else:
        prefix, party = consent.incoming, "incoming_esco"
    if prefix is None:  # _side_ok admits no one else
        raise Forbidden(msg("forbidden"), code="separation_of_duties")
    if getattr(obj, f"{prefix}_by_user_id") is not None:
        raise Conflict(
            msg("workflow.already_agreed", party=party),
            fields={f"{prefix}_by_user_id": [msg("workflow.already_recorded")]},
            code="already_agreed",
        )
    setattr(obj, f"{prefix}_by_user_id", actor.user_id)
    setattr(obj, f"{prefix}_at", clock.now())
    needed = [consent.institution, consent.esco]
    if consent.incoming is not None and parties.incoming_esco_id is not None:
        needed.append(consent.incoming)
    return all(getattr(obj, f"{p}_by_user_id") is not None for p in needed)


def _current(session: Session, binding: Binding, obj_id: int) -> tuple[str | None, int | None]:
    """The object's state and version as committed now (read after a lost race)."""
    model = binding.model
    columns = [getattr(model, binding.version_attr)]
    if binding.state_attr:
        columns.append(getattr(model, binding.state_attr))
    row = session.execute(select(*columns).where(model.__mapper__.primary_key[0] == obj_id)).first()
    if row is None:
        return None, None
    state = (
        str(row[1].value if hasattr(row[1], "value") else row[1]) if binding.state_attr else None
    )
    return state, row[0]


def _lost(session: Session, binding: Binding, obj: Any, action: str) -> StaleConflict:
    with session.no_autoflush:
        state, version = _current(session, binding, obj.id)
    what = binding.machine.name
    return StaleConflict(
        msg(
            "workflow.lost_race",
            what=machine_word(what),
            state=state_word(state),
            version=version,
            action=action_word(action),
        ),
        state=state,
        version=version,
        what=what,
    )


def claim(session: Session, binding: Binding, obj: Any, action: str) -> None:
    """Lock the object's row for this transaction if it still has the version read: an
    ``UPDATE ... SET row_version = row_version WHERE id = :id AND row_version = :seen`` (a
    portable ``SELECT ... FOR UPDATE`` that also checks the version). Call it before changing
    the object. On PostgreSQL a concurrent claimant waits for the winner to commit and then
    matches no row; on SQLite the database's write lock refuses it. Inside a savepoint, so the
    request's transaction stays usable to report the loss.

    Raises:
        StaleConflict: another request changed (or is changing) the object.
    """
    model = binding.model
    version_col = getattr(model, binding.version_attr)
    seen = getattr(obj, binding.version_attr)
    stmt = (
        update(model)
        .where(model.__mapper__.primary_key[0] == obj.id, version_col == seen)
        .values({binding.version_attr: version_col})
        .execution_options(synchronize_session=False)
    )
    try:
        with session.begin_nested():
            matched = session.execute(stmt).rowcount
    except OperationalError as error:
        # SQLite: another writer holds (or has just used) the database's write lock.
        text = str(error.orig).lower()
        if "locked" not in text and "busy" not in text:
            raise
        what = binding.machine.name
        raise StaleConflict(
            msg("workflow.busy", what=machine_word(what), action=action_word(action)),
            state=None,
            version=None,
            what=what,
        ) from None
    if matched != 1:
        raise _lost(session, binding, obj, action)


def flush(session: Session, binding: Binding, obj: Any, action: str) -> None:
    """Flush the change of a claimed object (its UPDATE is conditional on the version too)."""
    try:
        session.flush()
    except StaleDataError:
        raise _lost(session, binding, obj, action) from None


def transition(
    session: Session,
    actor: Actor,
    binding: Binding,
    action: str,
    obj_id: int,
    *,
    version: int | None,
    check: Callable[[Any, Parties], None] | None = None,
    stage: Callable[[Any], None] | None = None,
    apply: Callable[[Any], None] | None = None,
    effects: Callable[[Any], None] | None = None,
    summary: str = "",
    params: dict[str, Any] | None = None,
    obj: Any = None,
) -> Any:
    """Perform ``action`` of ``binding``'s machine on object ``obj_id`` for ``actor``.

    ``version`` is the lock version the user saw (None only for trusted internal callers: the
    conditional UPDATE still decides races). ``check(obj, parties)`` raises for the object's own
    rules before anything changes; ``stage(obj)`` records what every call of the step records
    (a signatory's date, even before the other party signs); ``apply(obj)`` changes the row (it runs once the transition
    completes: for a consent transition, once both parties have consented); ``effects(obj)``
    runs only for the winner, after the conditional UPDATE (other rows: payment lines,
    superseded versions). Then the journal entry and the workflow event.

    Raises:
        NotFound: not visible. Forbidden: permission or side (``separation_of_duties``).
        StaleConflict: ``version`` is stale, or another request won the race.
        Conflict: the transition is not allowed from the current state.
    """
    machine = binding.machine
    step: Transition = machine.get(action)
    if obj is None:
        obj = load(session, actor, binding.model, obj_id)
    parties = binding.parties(session, obj)
    permissions = step.permission if isinstance(step.permission, tuple) else (step.permission,)
    if not any(can(actor, p) for p in permissions):
        require(actor, permissions[0])
    if step.side is not None and not _side_ok(actor, parties, step.side):
        raise Forbidden(
            msg("workflow.separation_of_duties", rule=term(step.rule)),
            code="separation_of_duties",
        )
    seen = getattr(obj, binding.version_attr)
    state = binding.state(obj)
    if version is not None and version != seen:
        raise StaleConflict(
            msg(
                "workflow.stale",
                what=machine_word(machine.name),
                seen=version,
                version=seen,
                state=state_word(state),
                action=action_word(action),
            ),
            state=state,
            version=seen,
            what=machine.name,
        )
    if state not in step.sources:
        raise Conflict(
            msg(
                "workflow.wrong_state",
                what=machine_word(machine.name),
                state=state_word(state),
                action=action_word(action),
            ),
            fields={
                "status": [msg("workflow.must_be_one_of", states=", ".join(sorted(step.sources)))]
            },
        )
    if check is not None:
        check(obj, parties)
    before = journal.snapshot(obj, binding.fields)
    claim(session, binding, obj, action)
    complete = True
    if step.consent is not None:
        complete = _consent(actor, parties, obj, step.consent)
    if stage is not None:
        stage(obj)
    if complete:
        if step.target is not None and binding.state_attr:
            setattr(obj, binding.state_attr, type(getattr(obj, binding.state_attr))(step.target))
        if apply is not None:
            apply(obj)
    flush(session, binding, obj, action)
    if complete and effects is not None:
        effects(obj)
    after_state = binding.state(obj)
    journal.record(
        session,
        actor,
        action,
        obj,
        organization_id=parties.organization_id,
        before=before,
        after=journal.snapshot(obj, binding.fields),
        summary=summary or f"{machine.name} {action}" + ("" if complete else " (one party of two)"),
    )
    event = WorkflowEvent(
        kind=step.event if complete else f"{step.event}_partly",
        machine=machine.name,
        action=action,
        object_id=obj.id,
        state_before=state,
        state=after_state,
        version=getattr(obj, binding.version_attr),
        actor=actor,
        parties=parties,
        link=binding.link(obj) if binding.link else None,
        params={"name": parties.name, **(params or {})},
        obj=obj,
    )
    emit(session, event)
    log.info("%s %s %s by %s", machine.name, obj.id, action, actor.label)
    return obj


def created(session: Session, actor: Actor, binding: Binding, obj: Any, **params: Any) -> None:
    """Emit the creation event of an object born in its machine's initial state (a proposal,
    a draft): its creator has journalled it already."""
    machine = binding.machine
    if machine.created_event is None:
        return
    parties = binding.parties(session, obj)
    emit(
        session,
        WorkflowEvent(
            kind=machine.created_event,
            machine=machine.name,
            action="create",
            object_id=obj.id,
            state_before=None,
            state=binding.state(obj),
            version=getattr(obj, binding.version_attr),
            actor=actor,
            parties=parties,
            link=binding.link(obj) if binding.link else None,
            params={"name": parties.name, **params},
            obj=obj,
        ),
    )

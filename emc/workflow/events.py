"""Workflow events: what happened to which object, by whom; listeners turn them into
notifications (and, later, anything else that reacts to a step: to-do lists read state)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from emc.auth.actor import Actor

if TYPE_CHECKING:
    from emc.workflow.machine import Parties


@dataclass(frozen=True)
class WorkflowEvent:
    """One completed transition (or a creation). ``kind`` is the table's event name
    (``baseline_approved``; ``<event>_partly`` when one party of two has consented)."""

    kind: str
    machine: str
    action: str
    object_id: int
    state_before: str | None
    state: str
    version: int
    actor: Actor
    parties: Parties
    link: str | None
    params: dict[str, Any] = field(default_factory=dict)
    obj: Any = None

    @property
    def dedupe_key(self) -> str:
        """One per object, transition and version: a retried step never notifies twice."""
        return f"wf:{self.machine}:{self.object_id}:{self.kind}:{self.version}"


Listener = Callable[[Session, WorkflowEvent], None]
_LISTENERS: list[Listener] = []
_MUTED: ContextVar[bool] = ContextVar("workflow_events_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Emit no events inside the block: demo builders replay history, which is nobody's turn."""
    token = _MUTED.set(True)
    try:
        yield
    finally:
        _MUTED.reset(token)


def listen(listener: Listener) -> Listener:
    """Register ``listener`` (called in the transaction of the transition, after the journal)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def emit(session: Session, event: WorkflowEvent) -> None:
    if _MUTED.get():
        return
    for listener in list(_LISTENERS):
        listener(session, event)

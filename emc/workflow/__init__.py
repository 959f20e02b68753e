"""One guarded workflow mechanism for every object with a life (DESIGN.md §8).

:mod:`.tables` holds each object's states and transitions as data; :func:`transition` performs
every transition (policy load, optimistic lock, permission, side, source state, consent, the
change, the journal, the event); :mod:`.events` carries the events and :mod:`.notify` turns them
into notifications for the party whose turn it is.
"""

from __future__ import annotations

from emc.workflow import notify as _notify  # noqa: F401 - registers the notification listener
from emc.workflow.events import WorkflowEvent, emit, listen, muted
from emc.workflow.machine import (
    Binding,
    Parties,
    StaleConflict,
    claim,
    created,
    flush,
    transition,
)
from emc.workflow.tables import MACHINES, Consent, Machine, Side, Transition, event_kinds

__all__ = [
    "MACHINES",
    "Binding",
    "Consent",
    "Machine",
    "Parties",
    "Side",
    "StaleConflict",
    "Transition",
    "WorkflowEvent",
    "claim",
    "created",
    "emit",
    "flush",
    "event_kinds",
    "listen",
    "muted",
    "transition",
]

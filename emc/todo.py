"""待办: the actions waiting for one user, gathered from every domain.

A to-do is derived from the state of the records (a proposed baseline waits for the institution,
a prepared payment line for a second finance user, ...), never stored: when the state moves on,
the to-do is gone. Each domain contributes one *source*, a function ``(session, actor) ->
iterable of Todo``, named in :data:`SOURCE_MODULES` and registered with :func:`todo_source`.
A source returns only what this actor may act on (it starts from a scoped query and checks the
permission and the separation-of-duty rule, so a preparer never sees "approve" for their line).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.i18n import N_


@dataclass(frozen=True)
class Todo:
    """One action waiting for the actor.

    ``kind`` is a stable key (``"baseline.approve"``); ``title`` an English msgid with
    ``%(name)s`` placeholders filled from ``params`` and translated when shown; ``link`` the
    page where the action is taken; ``object_key`` identifies the record (``"baseline:12"``).
    """

    kind: str
    title: str
    link: str
    object_key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    due_on: dt.date | None = None
    project_id: int | None = None


TodoSource = Callable[[Session, Actor], Iterable[Todo]]

# Modules whose import registers a source (one line per domain; keep sorted).
SOURCE_MODULES: tuple[str, ...] = (
    "emc.audit.todos",
    "emc.contracts.todos",
    "emc.mv.todos",
    "emc.watch.todos",
)

# What each kind of to-do is called where they are counted (English msgids; a source with a
# new kind adds its label here, else it is counted as "Other tasks").
KIND_LABELS: dict[str, str] = {
    "plan.propose": N_("M&V plans and baselines to propose"),
    "baseline.approve": N_("Baselines to approve"),
    "report.draft": N_("M&V reports to draft"),
    "report.decide": N_("M&V reports to accept or dispute"),
    "report.submit": N_("Draft M&V reports to submit"),
    "report.revise": N_("Disputed M&V reports to revise"),
    "adjustment.agree": N_("Non-routine adjustments to agree"),
    "data.missing": N_("Meter data missing for next month's report"),
    "project.sign": N_("Projects to sign"),
    "line.prepare": N_("Payment lines to prepare"),
    "line.approve": N_("Payment lines to approve"),
    "line.pay": N_("Payment lines to pay"),
    "amendment.agree": N_("Contract amendments to agree"),
    "custody.agree": N_("Custody fee adjustments to agree"),
    "audit.decide": N_("Energy audits to accept or return"),
    "audit.work": N_("Energy audits to record and submit"),
    "audit.revise": N_("Returned energy audits to revise"),
    "watch.event": N_("Suspected non-routine events to review"),
    "watch.shortfall": N_("Savings shortfall warnings"),
    "watch.quota": N_("Energy quota warnings"),
}
OTHER_KIND_LABEL = N_("Other tasks")

_SOURCES: list[TodoSource] = []
_loaded = False


def todo_source(fn: TodoSource) -> TodoSource:
    """Register ``fn`` as a to-do source (a decorator, used at import of a SOURCE_MODULES entry)."""
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def _load_sources() -> None:
    global _loaded
    if not _loaded:
        for name in SOURCE_MODULES:
            importlib.import_module(name)
        _loaded = True


def todos_for(session: Session, actor: Actor) -> list[Todo]:
    """Every to-do of ``actor``, soonest due first, then by kind and record."""
    _load_sources()
    items = [item for source in _SOURCES for item in source(session, actor)]
    far = dt.date.max
    return sorted(items, key=lambda t: (t.due_on or far, t.kind, t.object_key))


def counts_by_kind(items: Iterable[Todo]) -> dict[str, int]:
    """How many to-dos of each kind, in the order kinds first appear."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts

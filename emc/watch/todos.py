"""The watch's to-dos: suspected events waiting for a party's decision, shortfall warnings of a
project not yet acknowledged, and an institution's quota warning of the month."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.models import OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import scope_condition
from emc.contracts.models import EmcProject
from emc.i18n import N_
from emc.todo import Todo, todo_source
from emc.watch.models import EventStatus, SuspectedEvent, WarningKind, WatchWarning


def _party_projects(actor: Actor):
    """The projects on which the actor acts for a party (ESCO proposers, institution
    approvers), as a condition on ``EmcProject``."""
    conditions = []
    if can(actor, Permission.MV_PROPOSE) and actor.org_kind is OrgKind.ESCO:
        conditions.append(EmcProject.esco_organization_id == actor.organization_id)
    if can(actor, Permission.MV_APPROVE) and actor.org_kind is OrgKind.INSTITUTION:
        conditions.append(EmcProject.organization_id == actor.organization_id)
    return or_(*conditions) if conditions else None


@todo_source
def watch_todos(session: Session, actor: Actor) -> Iterator[Todo]:
    parties = _party_projects(actor)
    if parties is not None:
        visible = scope_condition(actor, EmcProject)
        rows = session.execute(
            select(SuspectedEvent, EmcProject.name)
            .join(EmcProject, EmcProject.id == SuspectedEvent.project_id)
            .where(SuspectedEvent.status == EventStatus.OPEN, visible, parties)
            .order_by(SuspectedEvent.start_date)
        ).all()
        for event, name in rows:
            yield Todo(
                kind="watch.event",
                title=N_("Decide on the suspected non-routine event of %(project)s from %(start)s"),
                link=f"/projects/{event.project_id}/watch#event-{event.id}",
                object_key=f"watch_event:{event.id}",
                params={"project": name, "start": event.start_date.isoformat()},
                project_id=event.project_id,
            )
        warnings = session.execute(
            select(WatchWarning, EmcProject.name)
            .join(EmcProject, EmcProject.id == WatchWarning.project_id)
            .where(
                WatchWarning.kind == WarningKind.SHORTFALL,
                WatchWarning.acknowledged_at.is_(None),
                visible,
                parties,
            )
            .order_by(WatchWarning.month)
        ).all()
        for warning, name in warnings:
            yield Todo(
                kind="watch.shortfall",
                title=N_("Review the savings shortfall warning of %(project)s (%(month)s)"),
                link=f"/projects/{warning.project_id}/watch",
                object_key=f"watch_warning:{warning.id}",
                params={"project": name, "month": warning.month},
                project_id=warning.project_id,
            )
    if actor.org_kind is OrgKind.INSTITUTION and can(actor, Permission.MV_APPROVE):
        for warning in session.scalars(
            select(WatchWarning)
            .where(
                WatchWarning.kind == WarningKind.QUOTA,
                WatchWarning.organization_id == actor.organization_id,
                WatchWarning.acknowledged_at.is_(None),
            )
            .order_by(WatchWarning.month)
        ):
            yield Todo(
                kind="watch.quota",
                title=N_("Act on the energy quota warning for %(month)s"),
                link=f"/watch/quota/{warning.organization_id}",
                object_key=f"watch_warning:{warning.id}",
                params={"month": warning.month},
            )

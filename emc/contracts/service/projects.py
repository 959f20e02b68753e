"""EMC projects: list, read, create (the institution's draft) and update / move along the
status graph."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.contracts.models import (
    PROJECT_TRANSITIONS,
    EmcProject,
    ProjectStatus,
)
from emc.contracts.service._common import PROJECT_FIELDS, contract_of, log
from emc.errors import Conflict, Invalid


def list_projects(
    session: Session, actor: Actor, *, status: ProjectStatus | None = None
) -> list[EmcProject]:
    """The projects ``actor`` may see, newest first; optionally only those in ``status``."""
    require(actor, Permission.CONTRACTS_READ)
    stmt = scoped(actor, EmcProject)
    if status is not None:
        stmt = stmt.where(EmcProject.status == status)
    return list(session.scalars(stmt.order_by(EmcProject.id.desc())))


def get_project(session: Session, actor: Actor, project_id: int) -> EmcProject:
    """One visible project (NotFound otherwise)."""
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_READ)
    return project


def _check_esco(session: Session, esco_id: int | None) -> None:
    if esco_id is None:
        return
    org = session.get(Organization, esco_id)
    if org is None or org.kind is not OrgKind.ESCO or not org.is_active:
        raise Invalid(
            "unknown ESCO", fields={"esco_organization_id": ["must be an active ESCO organisation"]}
        )


def create_project(session: Session, actor: Actor, **data: Any) -> EmcProject:
    """Create a draft project of the actor's institution (institution admin / energy manager).

    ``data`` has been loaded by ``ProjectIn``; the tenant is always the actor's organisation.
    """
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    _check_esco(session, data.get("esco_organization_id"))
    project = EmcProject(
        organization_id=actor.organization_id, status=ProjectStatus.DRAFT, ecms=[], **data
    )
    session.add(project)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        project,
        organization_id=project.organization_id,
        after=journal.snapshot(project, PROJECT_FIELDS),
    )
    log.info("project %s created by %s", project.id, actor.label)
    return project


def update_project(session: Session, actor: Actor, project_id: int, **changes: Any) -> EmcProject:
    """Change a project's fields or move its status along :data:`PROJECT_TRANSITIONS`.

    Contracting needs a contract and ``signed_on``; terminating needs ``termination_reason``.
    Raises Conflict for a move the status graph does not allow.
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    before = journal.snapshot(project, PROJECT_FIELDS)
    _check_esco(session, changes.get("esco_organization_id"))
    new_status = changes.get("status", project.status)
    if new_status != project.status:
        if new_status not in PROJECT_TRANSITIONS[project.status]:
            raise Conflict(
                f"a {project.status} project cannot become {new_status}",
                fields={"status": [f"not allowed from {project.status}"]},
            )
        merged = {**before, **changes}
        if new_status is ProjectStatus.TERMINATED and not merged.get("termination_reason"):
            raise Invalid(
                "a termination needs a reason",
                fields={"termination_reason": ["required when terminating"]},
            )
        if new_status is ProjectStatus.CONTRACTED:
            if contract_of(session, project.id) is None:
                raise Conflict(
                    "set the contract terms before contracting", fields={"status": ["no contract"]}
                )
            if not merged.get("signed_on"):
                raise Invalid(
                    "a contracted project needs its signing date",
                    fields={"signed_on": ["required when contracted"]},
                )
            if merged.get("esco_organization_id") is None:
                raise Invalid(
                    "a contracted project needs its ESCO",
                    fields={"esco_organization_id": ["required when contracted"]},
                )
    for key, value in changes.items():
        setattr(project, key, value)
    session.flush()
    journal.record(
        session,
        actor,
        "update",
        project,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(project, PROJECT_FIELDS),
    )
    return project

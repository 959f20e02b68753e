"""Helpers shared by the M&V use cases: loading a project, and which party the actor is."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from emc import clock
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.contracts.models import EmcProject
from emc.errors import Forbidden
from emc.messages import msg
from emc.mv.models import Party

# Dates of acceptance and "today" for reminders are those of the institutions (China).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_today() -> dt.date:
    return clock.now().astimezone(LOCAL_ZONE).date()


def project_for(session: Session, actor: Actor, project_id: int) -> EmcProject:
    """A visible project (NotFound otherwise) that the actor may read M&V of (Forbidden)."""
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.MV_READ)
    return project


def esco_side(actor: Actor, project: EmcProject) -> None:
    """Only the project's contracted ESCO (its admins and engineers) proposes and submits."""
    require(actor, Permission.MV_PROPOSE)
    if (
        project.esco_organization_id is None
        or actor.organization_id != project.esco_organization_id
    ):
        raise Forbidden(
            msg("mv.separation_duties_only_project_s"),
            code="separation_of_duties",
        )


def institution_side(actor: Actor, project: EmcProject) -> None:
    """Only the project's institution (its admins and energy managers) approves and accepts."""
    require(actor, Permission.MV_APPROVE)
    if actor.organization_id != project.organization_id:
        raise Forbidden(
            msg("mv.separation_duties_only_project_s_2"),
            code="separation_of_duties",
        )


def party_of(actor: Actor, project: EmcProject) -> Party:
    """The party the actor acts for on this project (either side), or Forbidden."""
    if actor.organization_id == project.organization_id:
        require(actor, Permission.MV_APPROVE)
        return Party.INSTITUTION
    if actor.organization_id == project.esco_organization_id:
        require(actor, Permission.MV_PROPOSE)
        return Party.ESCO
    raise Forbidden(msg("mv.only_contracting_parties_act_project"))

"""The watch settings a contract sets: shortfall probability, missing days, quota share."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.models import Organization
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.errors import Forbidden
from emc.messages import msg
from emc.watch.models import QuotaWatchSettings, WatchSettings
from emc.watch.service.common import project_for

FIELDS = ("shortfall_probability", "missing_days", "fill_method")


def save_settings(session: Session, actor: Actor, project_id: int, **data) -> WatchSettings:
    """The institution's contract manager records what the contract says for the watch.

    Raises:
        Forbidden: not a contract manager of the project's institution.
    """
    project = project_for(session, actor, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    if actor.organization_id != project.organization_id:
        raise Forbidden(msg("watch.only_project_s_institution_records"))
    row = session.scalar(select(WatchSettings).where(WatchSettings.project_id == project.id))
    before = journal.snapshot(row, FIELDS) if row is not None else None
    if row is None:
        row = WatchSettings(project_id=project.id)
        session.add(row)
    row.shortfall_probability = data["shortfall_probability"]
    row.missing_days = data["missing_days"]
    row.fill_method = data.get("fill_method")
    session.flush()
    journal.record(
        session,
        actor,
        "update" if before else "create",
        row,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(row, FIELDS),
    )
    return row


def save_quota_share(
    session: Session, actor: Actor, organization_id: int, *, share: float
) -> QuotaWatchSettings:
    """An institution's admin or energy manager sets the share of its quota that warns."""
    org = load(session, actor, Organization, organization_id)
    require(actor, Permission.MV_APPROVE)
    if actor.organization_id != org.id:
        raise Forbidden(msg("watch.only_institution_sets_own_warning"))
    row = session.scalar(
        select(QuotaWatchSettings).where(QuotaWatchSettings.organization_id == org.id)
    )
    before = {"share": row.share} if row is not None else None
    if row is None:
        row = QuotaWatchSettings(organization_id=org.id)
        session.add(row)
    row.share = share
    session.flush()
    journal.record(
        session, actor, "update", row, organization_id=org.id, before=before, after={"share": share}
    )
    return row

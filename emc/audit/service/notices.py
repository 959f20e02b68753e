"""Workflow notifications to the other party of an audit (submission, acceptance, return)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.audit.models import EnergyAudit
from emc.auth.models import Organization, Role, User
from emc.i18n import N_
from emc.notifications.service import notify


def _users(
    session: Session, organization_id: int, roles: Iterable[Role] | None = None
) -> list[User]:
    stmt = select(User).where(User.organization_id == organization_id, User.is_active)
    if roles is not None:
        stmt = stmt.where(User.role.in_(list(roles)))
    return list(session.scalars(stmt.order_by(User.id)))


def _notify(session: Session, audit: EnergyAudit, event: str, **params: Any) -> None:
    """Tell the other party of a workflow step: a submission goes to the institution's admins
    and energy managers, an acceptance or return to every user of the auditor organisation.

    Each message is deduplicated by the step (a submission or return by its moment, the
    acceptance once per audit version), so a retried step never notifies twice.
    """
    names = {
        o.id: o.name_zh
        for o in session.scalars(
            select(Organization).where(
                Organization.id.in_([audit.organization_id, audit.auditor_organization_id])
            )
        )
    }
    params = {
        "title": audit.title,
        "version": audit.version,
        "institution": names.get(audit.organization_id, ""),
        "auditor": names.get(audit.auditor_organization_id, ""),
        **params,
    }
    if event == "submitted":
        users = _users(session, audit.organization_id, (Role.ADMIN, Role.ENERGY_MANAGER))
        key = f"audit-submitted:{audit.id}:{audit.submitted_at.isoformat()}"
        subject = N_("Energy audit submitted for review: %(title)s")
        body = N_(
            "%(auditor)s submitted version %(version)s of the energy audit %(title)s. "
            "Review it, then accept it or return it with comments."
        )
    elif event == "accepted":
        users = _users(session, audit.auditor_organization_id)
        key = f"audit-accepted:{audit.id}"
        subject = N_("Energy audit accepted: %(title)s")
        body = N_("%(institution)s accepted version %(version)s of the energy audit %(title)s.")
    else:
        users = _users(session, audit.auditor_organization_id)
        key = f"audit-returned:{audit.id}:{params.pop('at')}"
        subject = N_("Energy audit returned: %(title)s")
        body = N_(
            "%(institution)s returned version %(version)s of the energy audit %(title)s with "
            "comments: %(comment)s"
        )
    notify(
        session,
        users,
        kind=f"audit_{event}",
        dedupe_key=key,
        subject=subject,
        body=body,
        link=f"/audits/{audit.id}",
        params=params,
    )

"""To-dos of energy audits: the institution accepts or returns a submitted audit; the auditor
works on one commissioned (draft) or returned to it."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from emc.audit.models import AuditStatus, EnergyAudit
from emc.auth.actor import Actor
from emc.auth.models import OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import scoped
from emc.i18n import N_
from emc.todo import Todo, todo_source


@todo_source
def audit_todos(session: Session, actor: Actor) -> Iterator[Todo]:
    if actor.org_kind is OrgKind.INSTITUTION and can(actor, Permission.AUDITS_COMMISSION):
        stmt = scoped(actor, EnergyAudit).where(
            EnergyAudit.organization_id == actor.organization_id,
            EnergyAudit.status == AuditStatus.SUBMITTED,
        )
        kind, title = "audit.decide", N_("Accept or return the energy audit %(title)s")
    elif actor.org_kind is OrgKind.AUDITOR and can(actor, Permission.AUDITS_RECORD):
        stmt = scoped(actor, EnergyAudit).where(
            EnergyAudit.auditor_organization_id == actor.organization_id,
            EnergyAudit.status.in_([AuditStatus.DRAFT, AuditStatus.RETURNED]),
        )
        kind, title = "audit.work", N_("Record and submit the energy audit %(title)s")
    else:
        return
    for audit in session.scalars(stmt.order_by(EnergyAudit.id)):
        returned = audit.status is AuditStatus.RETURNED
        yield Todo(
            kind="audit.revise" if returned else kind,
            title=N_("Revise and resubmit the returned energy audit %(title)s")
            if returned
            else title,
            link=f"/audits/{audit.id}",
            object_key=f"audit:{audit.id}",
            params={"title": audit.title},
        )

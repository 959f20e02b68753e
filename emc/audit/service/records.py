"""Shared ground of the audit services: the field lists journaled, loading an audit
through the policy, its scope, the factor snapshot and its consumption rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from emc import clock
from emc.audit import indicators as ind
from emc.audit.models import (
    EDITABLE_STATUSES,
    AuditBuilding,
    AuditConsumption,
    AuditSite,
    AuditStatus,
    EcmStatus,
    EnergyAudit,
)
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.errors import Conflict, Invalid
from emc.facilities.models import Building, Site
from emc.facilities.service.factors import current_factors
from emc.messages import Text, msg, term
from emc.messages import state as state_word

AUDIT_FIELDS = (
    "organization_id",
    "auditor_organization_id",
    "title",
    "level",
    "period_start",
    "period_end",
    "region_code",
    "status",
    "version",
    "previous_audit_id",
    "revision_reason",
    "review_comment",
    "occupants",
    "building_type",
    "data_centre_pue",
    "end_use_split",
    "conclusions",
    "submitted_at",
    "accepted_at",
    "accepted_by_user_id",
)
ECM_FIELDS = (
    "name",
    "description",
    "category",
    "affected_carriers",
    "savings_carrier",
    "savings_quantity",
    "savings_unit",
    "savings_tce",
    "savings_tco2",
    "savings_money",
    "investment",
    "recommended_contract_type",
    "status",
    "project_id",
)
QUOTA_FIELDS = (
    "region_code",
    "building_type",
    "basis",
    "year",
    "constraint_value",
    "baseline_value",
    "guide_value",
    "source",
    "organization_id",
)
# Commissioning details the institution sets; technical details the auditor records.
COMMISSION_FIELDS = frozenset(
    {
        "title",
        "level",
        "period_start",
        "period_end",
        "auditor_organization_id",
        "site_ids",
        "building_ids",
    }
)
RECORD_FIELDS = frozenset(
    {"occupants", "building_type", "data_centre_pue", "end_use_split", "conclusions"}
)
# ECM lifecycle after acceptance: the institution decides (never back to proposed once used).
ECM_TRANSITIONS = {
    EcmStatus.PROPOSED: frozenset({EcmStatus.ACCEPTED, EcmStatus.DISCARDED}),
    EcmStatus.ACCEPTED: frozenset({EcmStatus.IMPLEMENTED, EcmStatus.DISCARDED}),
    EcmStatus.IMPLEMENTED: frozenset(),
    EcmStatus.DISCARDED: frozenset({EcmStatus.PROPOSED}),
}
MAX_BASE_YEARS = 3


def _invalid(field: str, message: str, *, text: str | None = None) -> Invalid:
    # The field's message is the error's sentence too (said in the reader's language above the
    # form); never "field_name: …", which would put the internal field name on the page.
    said = message if isinstance(message, Text) else term(message)
    return Invalid(text or said, fields={field: [said]})


def audits_query(actor: Actor, *, status: AuditStatus | None = None) -> Select:
    """The audits ``actor`` may see, newest first (institution: its own; auditor: those it was
    commissioned for; agency: its region subtree; platform: all), as a statement."""
    require(actor, Permission.AUDITS_READ)
    stmt = scoped(actor, EnergyAudit)
    if status is not None:
        stmt = stmt.where(EnergyAudit.status == status)
    return stmt.order_by(EnergyAudit.id.desc())


def list_audits(
    session: Session, actor: Actor, *, status: AuditStatus | None = None
) -> list[EnergyAudit]:
    """The audits ``actor`` may see, newest first (see :func:`audits_query`)."""
    return list(session.scalars(audits_query(actor, status=status)))


def get_audit(session: Session, actor: Actor, audit_id: int) -> EnergyAudit:
    """One visible audit (NotFound otherwise)."""
    audit = load(session, actor, EnergyAudit, audit_id)
    require(actor, Permission.AUDITS_READ)
    return audit


def _editable(audit: EnergyAudit) -> None:
    if audit.status not in EDITABLE_STATUSES:
        if audit.status is AuditStatus.ACCEPTED:
            raise Conflict(
                msg("audit.accepted_audit_immutable_start_revision"),
                fields={"status": [msg("audit.accepted_audits_cannot_changed")]},
            )
        raise Conflict(
            msg("audit.not_editable", state=state_word(audit.status)),
            fields={"status": [msg("audit.not_editable_state")]},
        )


def _for_auditor(session: Session, actor: Actor, audit_id: int) -> EnergyAudit:
    audit = load(session, actor, EnergyAudit, audit_id)
    require(actor, Permission.AUDITS_RECORD)
    _editable(audit)
    return audit


def scope_of(session: Session, audit: EnergyAudit) -> tuple[list[Site], list[Building]]:
    """The audit's sites, and the buildings in scope (the listed ones, or else every building
    of its sites). Callers have loaded the audit through the policy."""
    sites = list(
        session.scalars(
            select(Site)
            .join(AuditSite, AuditSite.site_id == Site.id)
            .where(AuditSite.audit_id == audit.id)
            .order_by(Site.name)
        )
    )
    listed = select(AuditBuilding.building_id).where(AuditBuilding.audit_id == audit.id)
    buildings = list(
        session.scalars(select(Building).where(Building.id.in_(listed)).order_by(Building.name))
    )
    if not buildings:
        buildings = list(
            session.scalars(
                select(Building)
                .where(Building.site_id.in_([s.id for s in sites]))
                .order_by(Building.name)
            )
        )
    return sites, buildings


def _factor_snapshot(session: Session, region_code: str) -> dict[str, Any]:
    # The factors in force: a corrected factor's superseded row is left out.
    factors = current_factors(session)
    return ind.snapshot_of(factors, region_code=region_code, taken_at=clock.now())


def _scope_ids(session: Session, audit_id: int) -> dict[str, list[int]]:
    return {
        "site_ids": sorted(
            session.scalars(select(AuditSite.site_id).where(AuditSite.audit_id == audit_id))
        ),
        "building_ids": sorted(
            session.scalars(
                select(AuditBuilding.building_id).where(AuditBuilding.audit_id == audit_id)
            )
        ),
    }


def scope_ids(session: Session, audit: EnergyAudit) -> dict[str, list[int]]:
    """The site and building ids listed in the scope of an audit the caller has loaded."""
    return _scope_ids(session, audit.id)


def _consumption(session: Session, audit_id: int) -> list[AuditConsumption]:
    return list(
        session.scalars(
            select(AuditConsumption)
            .where(AuditConsumption.audit_id == audit_id)
            .order_by(
                AuditConsumption.carrier,
                AuditConsumption.month,
                AuditConsumption.source,
                AuditConsumption.id,
            )
        )
    )


def _rows(rows: Iterable[AuditConsumption]) -> list[ind.Row]:
    return [
        ind.Row(r.carrier.value, r.unit, r.month, r.quantity, r.cost, r.source.value) for r in rows
    ]

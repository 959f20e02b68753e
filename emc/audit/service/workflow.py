"""Commissioning an audit, changing it, and its workflow: submit, accept, return, revise."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from emc import clock, journal, workflow
from emc.audit import indicators as ind
from emc.audit.models import (
    AuditBuilding,
    AuditConsumption,
    AuditEcm,
    AuditSite,
    AuditStatus,
    EcmStatus,
    EnergyAudit,
)
from emc.audit.service.ecms import list_ecms
from emc.audit.service.labels import END_USE_LABELS
from emc.audit.service.records import (
    AUDIT_FIELDS,
    COMMISSION_FIELDS,
    ECM_FIELDS,
    MAX_BASE_YEARS,
    RECORD_FIELDS,
    _consumption,
    _editable,
    _factor_snapshot,
    _for_auditor,
    _invalid,
    _scope_ids,
)
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, require
from emc.errors import Conflict
from emc.facilities.models import Building, Site
from emc.i18n import N_
from emc.messages import msg, term
from emc.messages import state as state_word
from emc.workflow import tables

log = logging.getLogger(__name__)


_CHINA = ZoneInfo("Asia/Shanghai")


def _check_period(start: dt.date, end: dt.date) -> None:
    if start.month != 1 or start.day != 1 or end.month != 1 or end.day != 1:
        raise _invalid("period_start", N_("the base period is whole calendar years"))
    years = end.year - start.year
    if not 1 <= years <= MAX_BASE_YEARS:
        raise _invalid("period_end", N_("the base period is one to three calendar years"))
    # The institutions' day (China): a base period that has not begun has nothing to audit.
    today = clock.now().astimezone(_CHINA).date()
    if start > today:
        raise _invalid("period_start", msg("audit.period_not_begun", today=today.isoformat()))


def _check_auditor(session: Session, auditor_id: int) -> None:
    org = session.get(Organization, auditor_id)
    if org is None or org.kind is not OrgKind.AUDITOR or not org.is_active:
        raise _invalid("auditor_organization_id", N_("must be an active audit body"))


def _set_scope(
    session: Session,
    actor: Actor,
    audit: EnergyAudit,
    site_ids: Sequence[int],
    building_ids: Sequence[int],
) -> None:
    if not site_ids:
        raise _invalid("site_ids", N_("name at least one site"))
    sites = []
    for site_id in dict.fromkeys(site_ids):
        site = session.get(Site, site_id)
        # Only the institution's own sites: another tenant's site is "unknown", never "forbidden".
        if site is None or site.organization_id != audit.organization_id:
            raise _invalid("site_ids", N_("unknown site"))
        sites.append(site)
    buildings = []
    for building_id in dict.fromkeys(building_ids):
        building = session.get(Building, building_id)
        if building is None or building.site_id not in {s.id for s in sites}:
            raise _invalid("building_ids", N_("must be a building of a site in scope"))
        buildings.append(building)
    session.execute(delete(AuditSite).where(AuditSite.audit_id == audit.id))
    session.execute(delete(AuditBuilding).where(AuditBuilding.audit_id == audit.id))
    session.add_all(AuditSite(audit_id=audit.id, site_id=s.id) for s in sites)
    session.add_all(AuditBuilding(audit_id=audit.id, building_id=b.id) for b in buildings)
    session.flush()


def _audit_state(session: Session, audit: EnergyAudit) -> dict[str, Any]:
    return {**journal.snapshot(audit, AUDIT_FIELDS), **_scope_ids(session, audit.id)}


def create_audit(
    session: Session,
    actor: Actor,
    *,
    title: str,
    auditor_organization_id: int,
    level: int,
    period_start: dt.date,
    period_end: dt.date,
    site_ids: Sequence[int],
    building_ids: Sequence[int] = (),
) -> EnergyAudit:
    """Commission an audit of the actor's institution by an audit body (admin, energy manager).

    The base period ``[period_start, period_end)`` is one to three whole calendar years. The
    scope is sites of the institution and, optionally, some of their buildings.

    Raises:
        Forbidden: not an institution admin or energy manager. Invalid: bad period, unknown
            auditor organisation, site or building.
    """
    require(actor, Permission.AUDITS_COMMISSION)
    _check_period(period_start, period_end)
    _check_auditor(session, auditor_organization_id)
    org = session.get(Organization, actor.organization_id)
    audit = EnergyAudit(
        organization_id=org.id,
        auditor_organization_id=auditor_organization_id,
        title=title,
        level=level,
        period_start=period_start,
        period_end=period_end,
        region_code=org.region_code,
        status=AuditStatus.DRAFT,
        version=1,
        factor_snapshot=_factor_snapshot(session, org.region_code),
    )
    session.add(audit)
    session.flush()
    _set_scope(session, actor, audit, site_ids, building_ids)
    journal.record(
        session,
        actor,
        "create",
        audit,
        organization_id=audit.organization_id,
        after=_audit_state(session, audit),
    )
    log.info("audit %s commissioned by %s", audit.id, actor.label)
    return audit


def update_audit(session: Session, actor: Actor, audit_id: int, **changes: Any) -> EnergyAudit:
    """Change an editable audit: commissioning details (institution) or the auditor's details.

    Raises:
        NotFound / Forbidden: as usual, Forbidden also for a field of the other party.
        Conflict: the audit is not draft or returned. Invalid: bad values.
    """
    audit = load(session, actor, EnergyAudit, audit_id)
    wanted = set(changes)
    require(actor, Permission.AUDITS_READ)
    if wanted & COMMISSION_FIELDS:
        require(actor, Permission.AUDITS_COMMISSION)
    if wanted & RECORD_FIELDS:
        require(actor, Permission.AUDITS_RECORD)
    if not wanted and not can(actor, Permission.AUDITS_COMMISSION):
        require(actor, Permission.AUDITS_RECORD)
    _editable(audit)
    if "auditor_organization_id" in changes and audit.status is not AuditStatus.DRAFT:
        raise Conflict(
            msg("audit.auditor_changed_only_before_first"),
            fields={"auditor_organization_id": [msg("audit.not_editable_state")]},
        )
    before = _audit_state(session, audit)
    start = changes.get("period_start", audit.period_start)
    end = changes.get("period_end", audit.period_end)
    _check_period(start, end)
    if "auditor_organization_id" in changes:
        _check_auditor(session, changes["auditor_organization_id"])
    if "end_use_split" in changes and changes["end_use_split"] is not None:
        try:
            split = ind.check_end_use_split(changes["end_use_split"])
        except ind.SplitError as error:
            params = dict(error.params)
            if params.get("use") in END_USE_LABELS:
                params["use"] = term(END_USE_LABELS[params["use"]])
            raise _invalid("end_use_split", msg(error.code, **params)) from None
        changes["end_use_split"] = {k: str(v) for k, v in split.items()}
    scope = {k: changes.pop(k) for k in ("site_ids", "building_ids") if k in changes}
    for key, value in changes.items():
        setattr(audit, key, value)
    if scope:
        current = _scope_ids(session, audit.id)
        _set_scope(
            session,
            actor,
            audit,
            scope.get("site_ids", current["site_ids"]),
            scope.get("building_ids", current["building_ids"] if "site_ids" not in scope else []),
        )
    session.flush()
    journal.record(
        session,
        actor,
        "update",
        audit,
        organization_id=audit.organization_id,
        before=before,
        after=_audit_state(session, audit),
    )
    return audit


def _audit_parties(_session: Session, audit: EnergyAudit) -> workflow.Parties:
    return workflow.Parties(
        organization_id=audit.organization_id,
        institution_id=audit.organization_id,
        auditor_id=audit.auditor_organization_id,
        name=audit.title,
    )


AUDIT = workflow.Binding(
    tables.AUDIT,
    EnergyAudit,
    _audit_parties,
    AUDIT_FIELDS,
    link=lambda a: f"/audits/{a.id}",
)


def _transition(
    session: Session,
    actor: Actor,
    audit: EnergyAudit,
    action: str,
    version: int | None,
    summary: str = "",
    **values: Any,
) -> EnergyAudit:
    """One audit transition through :func:`emc.workflow.transition` (table ``AUDIT``)."""

    def apply(row: EnergyAudit) -> None:
        for key, value in values.items():
            setattr(row, key, value)

    names = {
        org_id: name
        for org_id, name in session.execute(
            select(Organization.id, Organization.name_zh).where(
                Organization.id.in_([audit.organization_id, audit.auditor_organization_id])
            )
        )
    }
    return workflow.transition(
        session,
        actor,
        AUDIT,
        action,
        audit.id,
        version=version,
        apply=apply,
        summary=summary,
        obj=audit,
        # What the notifications of the step (emc.workflow.notify) name.
        params={
            "title": audit.title,
            "version": audit.version,
            "institution": names.get(audit.organization_id, ""),
            "auditor": names.get(audit.auditor_organization_id, ""),
            "comment": values.get("review_comment") or "",
        },
    )


def submit_audit(
    session: Session, actor: Actor, audit_id: int, *, version: int | None = None
) -> EnergyAudit:
    """The auditor submits a draft or returned audit for the institution's review; the factor
    set of the moment is recorded in it.

    Raises:
        Conflict: not draft or returned. Invalid: no consumption recorded.
    """
    audit = _for_auditor(session, actor, audit_id)
    has_rows = session.scalar(
        select(AuditConsumption.id).where(AuditConsumption.audit_id == audit.id).limit(1)
    )
    if has_rows is None:
        raise _invalid("consumption", N_("record the energy consumption before submitting"))
    _transition(
        session,
        actor,
        audit,
        "submit",
        version,
        submitted_at=clock.now(),
        factor_snapshot=_factor_snapshot(session, audit.region_code),
    )
    return audit


def _for_review(
    session: Session, actor: Actor, audit_id: int, version: int | None = None
) -> EnergyAudit:
    audit = load(session, actor, EnergyAudit, audit_id)
    require(actor, Permission.AUDITS_COMMISSION)
    # A stale version is told as such (by the workflow) rather than as a wrong state.
    stale = version is not None and version != audit.row_version
    if audit.status is not AuditStatus.SUBMITTED and not stale:
        raise Conflict(
            msg("audit.only_submitted_reviewed", state=state_word(audit.status)),
            fields={"status": [msg("audit.not_submitted")]},
        )
    return audit


def accept_audit(
    session: Session, actor: Actor, audit_id: int, *, version: int | None = None
) -> EnergyAudit:
    """The institution accepts a submitted audit; from now on it is immutable."""
    audit = _for_review(session, actor, audit_id, version)
    _transition(
        session,
        actor,
        audit,
        "accept",
        version,
        accepted_at=clock.now(),
        accepted_by_user_id=actor.user_id,
        review_comment=None,
    )
    return audit


def return_audit(
    session: Session, actor: Actor, audit_id: int, *, comment: str, version: int | None = None
) -> EnergyAudit:
    """The institution returns a submitted audit to the auditor with comments."""
    if not comment or not comment.strip():
        raise _invalid("comment", N_("say what needs to change"))
    audit = _for_review(session, actor, audit_id, version)
    _transition(session, actor, audit, "return", version, comment, review_comment=comment)
    return audit


def revise_audit(
    session: Session, actor: Actor, audit_id: int, *, reason: str, version: int | None = None
) -> EnergyAudit:
    """Start a new version of an accepted audit (institution or auditor), with a reason.

    The new version is a draft copying scope, consumption and ECMs (not their project links);
    the accepted version stays as it was.

    Raises:
        Conflict: the audit is not accepted, or a newer version already exists.
        Invalid: no reason.
    """
    audit = load(session, actor, EnergyAudit, audit_id)
    if not (can(actor, Permission.AUDITS_RECORD) or can(actor, Permission.AUDITS_COMMISSION)):
        require(actor, Permission.AUDITS_RECORD)
    if not reason or not reason.strip():
        raise _invalid("reason", N_("give the reason for the revision"))
    if audit.status is not AuditStatus.ACCEPTED:
        raise Conflict(
            msg("audit.only_accepted_audit_revised"), fields={"status": [msg("audit.not_accepted")]}
        )
    newer = session.scalar(
        select(EnergyAudit.id).where(EnergyAudit.previous_audit_id == audit.id).limit(1)
    )
    if newer is not None:
        raise Conflict(
            msg("audit.newer_version", version=newer),
            fields={"status": [msg("audit.newer_version_exists")]},
        )
    # Claim the accepted version (its lock version moves): two revisions at once make one.
    _transition(
        session, actor, audit, "revise", version, f"revision: {reason}", updated_at=clock.now()
    )
    copy = EnergyAudit(
        **{
            k: getattr(audit, k)
            for k in AUDIT_FIELDS
            if k
            not in (
                "status",
                "version",
                "previous_audit_id",
                "revision_reason",
                "review_comment",
                "submitted_at",
                "accepted_at",
                "accepted_by_user_id",
            )
        },
        status=AuditStatus.DRAFT,
        version=audit.version + 1,
        previous_audit_id=audit.id,
        revision_reason=reason,
        factor_snapshot=_factor_snapshot(session, audit.region_code),
    )
    session.add(copy)
    session.flush()
    scope = _scope_ids(session, audit.id)
    session.add_all(AuditSite(audit_id=copy.id, site_id=s) for s in scope["site_ids"])
    session.add_all(AuditBuilding(audit_id=copy.id, building_id=b) for b in scope["building_ids"])
    for row in _consumption(session, audit.id):
        session.add(
            AuditConsumption(
                audit_id=copy.id,
                **{
                    k: getattr(row, k)
                    for k in ("carrier", "unit", "month", "quantity", "cost", "source")
                },
                meter_id=row.meter_id,
                note=row.note,
            )
        )
    for ecm in list_ecms(session, actor, audit.id):
        session.add(
            AuditEcm(
                audit_id=copy.id,
                position=ecm.position,
                **{k: getattr(ecm, k) for k in ECM_FIELDS if k not in ("status", "project_id")},
                status=EcmStatus.PROPOSED,
            )
        )
    session.flush()
    journal.record(
        session,
        actor,
        "revise",
        copy,
        organization_id=copy.organization_id,
        after=_audit_state(session, copy),
        summary=f"version {copy.version} of audit {audit.id}: {reason}",
    )
    return copy

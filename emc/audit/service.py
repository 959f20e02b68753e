"""Use cases of energy audits: commissioning, the auditor's data, review, revisions, accounts,
indicators against quotas, ECMs and the project proposals made from them, and quotas.

Each function takes ``(session, actor, ...)``, loads through the scoped loader first (another
tenant's audit is 404), then checks the permission (403), flushes but never commits, and journals
what it changed. Who does what: the institution (admin, energy manager) commissions an audit
naming the auditor organisation, accepts or returns it, and turns ECMs into a proposal; the
auditor records scope details, consumption and ECMs and submits; agencies read the audits of
their region subtree and maintain quotas for it.

An audit is editable while draft or returned; submitted waits for review; accepted is immutable
and is changed only by a new version (:func:`revise_audit`). The factor set is recorded in the
audit when it is commissioned and again at each submission, and never after acceptance.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from emc import clock, journal
from emc.audit import accounts as workbook
from emc.audit import indicators as ind
from emc.audit.models import (
    EDITABLE_STATUSES,
    AuditBuilding,
    AuditConsumption,
    AuditEcm,
    AuditSite,
    AuditStatus,
    ConsumptionSource,
    EcmCategory,
    EcmStatus,
    EnergyAudit,
    EnergyQuota,
    QuotaBasis,
)
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, Region, Role, User
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, require, scoped
from emc.auth.regions import subtree_prefix
from emc.contracts import service as contracts
from emc.contracts.finance import (
    BaselineCarrierCost,
    ContractTerms,
    ContractType,
    EnergyCostCustodyTerms,
    PaymentFrequency,
)
from emc.contracts.models import EmcProject, ProjectStatus, terms_to_document
from emc.energy import Carrier, Factor, FactorNotFound, UnitError, unit_for
from emc.errors import Conflict, Invalid
from emc.facilities import service as facilities
from emc.facilities.models import Building, BuildingType, EmissionFactor, Meter, Site
from emc.i18n import N_
from emc.notifications.models import Notification
from emc.notifications.service import notify

log = logging.getLogger(__name__)

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
    return Invalid(text or f"{field}: {message}", fields={field: [message]})


# --- loading ------------------------------------------------------------------------------------


def list_audits(
    session: Session, actor: Actor, *, status: AuditStatus | None = None
) -> list[EnergyAudit]:
    """The audits ``actor`` may see, newest first (institution: its own; auditor: those it was
    commissioned for; agency: its region subtree; platform: all)."""
    require(actor, Permission.AUDITS_READ)
    stmt = scoped(actor, EnergyAudit)
    if status is not None:
        stmt = stmt.where(EnergyAudit.status == status)
    return list(session.scalars(stmt.order_by(EnergyAudit.id.desc())))


def get_audit(session: Session, actor: Actor, audit_id: int) -> EnergyAudit:
    """One visible audit (NotFound otherwise)."""
    audit = load(session, actor, EnergyAudit, audit_id)
    require(actor, Permission.AUDITS_READ)
    return audit


def _editable(audit: EnergyAudit) -> None:
    if audit.status not in EDITABLE_STATUSES:
        if audit.status is AuditStatus.ACCEPTED:
            raise Conflict(
                "an accepted audit is immutable: start a revision (a new version with a reason)",
                fields={"status": [N_("accepted audits cannot be changed")]},
            )
        raise Conflict(
            f"a {audit.status} audit cannot be changed",
            fields={"status": [N_("not editable in this state")]},
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


# --- factors ------------------------------------------------------------------------------------


def _factor_snapshot(session: Session, region_code: str) -> dict[str, Any]:
    factors = [
        Factor(
            carrier=row.carrier,
            kind=row.kind,
            value=Decimal(row.value),
            unit=row.unit,
            year=row.year,
            scope=row.scope,
            region=row.region,
            variant=row.variant,
            source=row.source,
        )
        for row in session.scalars(select(EmissionFactor).order_by(EmissionFactor.id))
    ]
    return ind.snapshot_of(factors, region_code=region_code, taken_at=clock.now())


# --- commissioning and workflow -----------------------------------------------------------------


def _check_period(start: dt.date, end: dt.date) -> None:
    if start.month != 1 or start.day != 1 or end.month != 1 or end.day != 1:
        raise _invalid("period_start", N_("the base period is whole calendar years"))
    years = end.year - start.year
    if not 1 <= years <= MAX_BASE_YEARS:
        raise _invalid("period_end", N_("the base period is one to three calendar years"))


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
            raise _invalid("site_ids", N_("unknown site"), text=f"unknown site {site_id!r}")
        sites.append(site)
    buildings = []
    for building_id in dict.fromkeys(building_ids):
        building = session.get(Building, building_id)
        if building is None or building.site_id not in {s.id for s in sites}:
            raise _invalid(
                "building_ids",
                N_("must be a building of a site in scope"),
                text=f"building {building_id!r} is not on a site in scope",
            )
        buildings.append(building)
    session.execute(delete(AuditSite).where(AuditSite.audit_id == audit.id))
    session.execute(delete(AuditBuilding).where(AuditBuilding.audit_id == audit.id))
    session.add_all(AuditSite(audit_id=audit.id, site_id=s.id) for s in sites)
    session.add_all(AuditBuilding(audit_id=audit.id, building_id=b.id) for b in buildings)
    session.flush()


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
            "the auditor is changed only before the first submission",
            fields={"auditor_organization_id": [N_("not editable in this state")]},
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
        except ValueError as error:
            raise _invalid("end_use_split", str(error)) from None
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


def _transition(
    session: Session,
    actor: Actor,
    audit: EnergyAudit,
    to: AuditStatus,
    action: str,
    summary: str = "",
    **values: Any,
) -> EnergyAudit:
    before = journal.snapshot(audit, AUDIT_FIELDS)
    audit.status = to
    for key, value in values.items():
        setattr(audit, key, value)
    session.flush()
    journal.record(
        session,
        actor,
        action,
        audit,
        organization_id=audit.organization_id,
        before=before,
        after=journal.snapshot(audit, AUDIT_FIELDS),
        summary=summary,
    )
    log.info("audit %s %s by %s", audit.id, action, actor.label)
    return audit


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


def submit_audit(session: Session, actor: Actor, audit_id: int) -> EnergyAudit:
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
        AuditStatus.SUBMITTED,
        "submit",
        submitted_at=clock.now(),
        factor_snapshot=_factor_snapshot(session, audit.region_code),
    )
    _notify(session, audit, "submitted")
    return audit


def _for_review(session: Session, actor: Actor, audit_id: int) -> EnergyAudit:
    audit = load(session, actor, EnergyAudit, audit_id)
    require(actor, Permission.AUDITS_COMMISSION)
    if audit.status is not AuditStatus.SUBMITTED:
        raise Conflict(
            f"only a submitted audit is reviewed (this one is {audit.status})",
            fields={"status": [N_("not submitted")]},
        )
    return audit


def accept_audit(session: Session, actor: Actor, audit_id: int) -> EnergyAudit:
    """The institution accepts a submitted audit; from now on it is immutable."""
    audit = _for_review(session, actor, audit_id)
    _transition(
        session,
        actor,
        audit,
        AuditStatus.ACCEPTED,
        "accept",
        accepted_at=clock.now(),
        accepted_by_user_id=actor.user_id,
        review_comment=None,
    )
    _notify(session, audit, "accepted")
    return audit


def return_audit(session: Session, actor: Actor, audit_id: int, *, comment: str) -> EnergyAudit:
    """The institution returns a submitted audit to the auditor with comments."""
    if not comment or not comment.strip():
        raise _invalid("comment", N_("say what needs to change"))
    audit = _for_review(session, actor, audit_id)
    _transition(
        session, actor, audit, AuditStatus.RETURNED, "return", comment, review_comment=comment
    )
    _notify(session, audit, "returned", comment=comment, at=clock.now().isoformat())
    return audit


def revise_audit(session: Session, actor: Actor, audit_id: int, *, reason: str) -> EnergyAudit:
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
        raise Conflict("only an accepted audit is revised", fields={"status": [N_("not accepted")]})
    newer = session.scalar(
        select(EnergyAudit.id).where(EnergyAudit.previous_audit_id == audit.id).limit(1)
    )
    if newer is not None:
        raise Conflict(
            f"audit {audit.id} already has a newer version ({newer})",
            fields={"status": [N_("a newer version exists")]},
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


# --- consumption --------------------------------------------------------------------------------


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


def list_consumption(session: Session, actor: Actor, audit_id: int) -> list[AuditConsumption]:
    """The audit's consumption rows, by carrier and month."""
    audit = get_audit(session, actor, audit_id)
    return _consumption(session, audit.id)


def _row_state(row: AuditConsumption) -> dict[str, Any]:
    return journal.snapshot(
        row, ("carrier", "unit", "month", "quantity", "cost", "source", "meter_id", "note")
    )


def add_bills(
    session: Session,
    actor: Actor,
    audit_id: int,
    rows: Sequence[dict[str, Any]],
    *,
    replace: bool = False,
) -> list[AuditConsumption]:
    """Record consumption from bills (the auditor): rows of ``carrier``, ``unit``, ``month``
    (any day of it), ``quantity``, optional ``cost`` and ``note``. ``replace`` drops the
    audit's earlier bill rows first.

    Raises:
        Invalid: naming ``rows[i].field`` for every bad row; nothing is written then.
    """
    audit = _for_auditor(session, actor, audit_id)
    problems: dict[str, list[str]] = {}
    lines = []
    for i, row in enumerate(rows):
        month = dt.date(row["month"].year, row["month"].month, 1)
        if not audit.period_start <= month < audit.period_end:
            problems[f"rows[{i}].month"] = [N_("outside the base period")]
        try:
            unit = unit_for(row["carrier"], row["unit"]).value
        except (UnitError, ValueError) as error:
            problems[f"rows[{i}].unit"] = [str(error)]
            continue
        lines.append(
            workbook.ConsumptionLine(
                Carrier(row["carrier"]).value,
                unit,
                month,
                row["quantity"],
                row.get("cost"),
                "bill",
                row.get("note"),
            )
        )
    if problems:
        raise Invalid("the consumption rows are invalid; nothing was recorded", fields=problems)
    return _write_bills(session, actor, audit, lines, replace=replace)


def _write_bills(
    session: Session,
    actor: Actor,
    audit: EnergyAudit,
    lines: Iterable[workbook.ConsumptionLine],
    *,
    replace: bool,
) -> list[AuditConsumption]:
    removed = 0
    if replace:
        removed = session.execute(
            delete(AuditConsumption).where(
                AuditConsumption.audit_id == audit.id,
                AuditConsumption.source == ConsumptionSource.BILL,
            )
        ).rowcount
    created = [
        AuditConsumption(
            audit_id=audit.id,
            carrier=Carrier(line.carrier),
            unit=line.unit,
            month=line.month,
            quantity=line.quantity,
            cost=line.cost,
            source=ConsumptionSource.BILL,
            note=line.note,
        )
        for line in lines
    ]
    session.add_all(created)
    session.flush()
    journal.record(
        session,
        actor,
        "record_bills",
        audit,
        organization_id=audit.organization_id,
        after={"rows": [_row_state(r) for r in created], "replaced_rows": removed},
        summary=f"{len(created)} bill rows" + (f", {removed} replaced" if replace else ""),
    )
    return created


def consumption_from_meters(
    session: Session, actor: Actor, audit_id: int
) -> list[AuditConsumption]:
    """Take monthly totals of the stored meters of the sites in scope (the auditor).

    Main meters only (sub-meters would count their use twice), restricted to the buildings in
    scope when some are listed (meters on no building count with their site). Months are the
    site's local calendar months within the base period. Replaces the audit's earlier meter
    rows; a meter without readings in the period adds nothing.
    """
    audit = _for_auditor(session, actor, audit_id)
    sites, buildings = scope_of(session, audit)
    listed = set(
        session.scalars(select(AuditBuilding.building_id).where(AuditBuilding.audit_id == audit.id))
    )
    meters = session.scalars(
        select(Meter)
        .where(Meter.site_id.in_([s.id for s in sites]), Meter.parent_meter_id.is_(None))
        .order_by(Meter.id)
    )
    zones = {s.id: s.timezone for s in sites}
    removed = session.execute(
        delete(AuditConsumption).where(
            AuditConsumption.audit_id == audit.id,
            AuditConsumption.source == ConsumptionSource.METER,
        )
    ).rowcount
    created = []
    for meter in meters:
        if listed and meter.building_id is not None and meter.building_id not in listed:
            continue
        zone = ZoneInfo(zones[meter.site_id])
        start = dt.datetime.combine(audit.period_start, dt.time(), zone)
        end = dt.datetime.combine(audit.period_end, dt.time(), zone)
        _m, _s, totals = facilities.monthly_totals(session, actor, meter.id, start=start, end=end)
        for total in totals:
            created.append(
                AuditConsumption(
                    audit_id=audit.id,
                    carrier=meter.carrier,
                    unit=meter.unit,
                    month=total.period,
                    quantity=Decimal(repr(round(total.total, 3))),
                    cost=None,
                    source=ConsumptionSource.METER,
                    meter_id=meter.id,
                    note=meter.name[:200],
                )
            )
    session.add_all(created)
    session.flush()
    journal.record(
        session,
        actor,
        "record_meters",
        audit,
        organization_id=audit.organization_id,
        after={"meter_rows": len(created), "replaced_rows": removed},
        summary=f"{len(created)} monthly meter totals",
    )
    return created


# --- ECMs ---------------------------------------------------------------------------------------


def list_ecms(session: Session, actor: Actor, audit_id: int) -> list[AuditEcm]:
    audit = get_audit(session, actor, audit_id)
    return list(
        session.scalars(
            select(AuditEcm)
            .where(AuditEcm.audit_id == audit.id)
            .order_by(AuditEcm.position, AuditEcm.id)
        )
    )


def _ecm_of(session: Session, audit: EnergyAudit, ecm_id: int) -> AuditEcm:
    ecm = session.get(AuditEcm, ecm_id)
    if ecm is None or ecm.audit_id != audit.id:
        raise _invalid("ecm_id", N_("unknown measure"), text=f"unknown ECM {ecm_id!r}")
    return ecm


def _complete_savings(audit: EnergyAudit, values: dict[str, Any]) -> dict[str, Any]:
    """Check the savings unit against its carrier and fill tce / tCO2 from the audit's factors
    where they are not given."""
    quantity, carrier = values.get("savings_quantity"), values.get("savings_carrier")
    if quantity is None:
        return values
    if carrier is None or not values.get("savings_unit"):
        raise _invalid("savings_unit", N_("an energy saving needs its carrier and unit"))
    try:
        values["savings_unit"] = unit_for(carrier, values["savings_unit"]).value
    except UnitError as error:
        raise _invalid("savings_unit", str(error)) from None
    factors = ind.factor_set_from_snapshot(audit.factor_snapshot)
    year = audit.period_end.year - 1
    for key, convert in (("savings_tce", factors.to_tce), ("savings_tco2", factors.to_co2)):
        if values.get(key) is None:
            try:
                amount = convert(
                    quantity,
                    values["savings_unit"],
                    carrier,
                    year=year,
                    region_code=audit.region_code,
                ).amount
            except FactorNotFound:
                continue
            values[key] = ind.rounded(amount, 3)
    return values


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    # Enum members, whether the caller passed members or their values.
    for key, kind in (
        ("category", EcmCategory),
        ("savings_carrier", Carrier),
        ("recommended_contract_type", ContractType),
        ("status", EcmStatus),
    ):
        if values.get(key) is not None:
            try:
                values[key] = kind(values[key])
            except ValueError:
                raise _invalid(key, N_("unknown value")) from None
    if "affected_carriers" in values:
        values["affected_carriers"] = [Carrier(c).value for c in values["affected_carriers"] or []]
    return values


def add_ecm(session: Session, actor: Actor, audit_id: int, **data: Any) -> AuditEcm:
    """The auditor adds an ECM to an editable audit (tce / tCO2 computed when omitted)."""
    audit = _for_auditor(session, actor, audit_id)
    data = _complete_savings(audit, _typed(dict(data)))
    position = 1 + (
        session.scalar(
            select(AuditEcm.position)
            .where(AuditEcm.audit_id == audit.id)
            .order_by(AuditEcm.position.desc())
            .limit(1)
        )
        or 0
    )
    ecm = AuditEcm(audit_id=audit.id, position=position, status=EcmStatus.PROPOSED, **data)
    session.add(ecm)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        ecm,
        organization_id=audit.organization_id,
        after=journal.snapshot(ecm, ECM_FIELDS),
    )
    return ecm


def update_ecm(
    session: Session, actor: Actor, audit_id: int, ecm_id: int, **changes: Any
) -> AuditEcm:
    """Change an ECM: its content (the auditor, audit editable) or its status (the institution,
    any time: proposed → accepted → implemented, or discarded).

    Raises:
        Conflict: content of a non-editable audit, or a status move not allowed.
    """
    audit = load(session, actor, EnergyAudit, audit_id)
    changes = _typed(dict(changes))
    status = changes.pop("status", None)
    if changes or status is None:
        require(actor, Permission.AUDITS_RECORD)
        _editable(audit)
    if status is not None:
        require(actor, Permission.AUDITS_COMMISSION)
    ecm = _ecm_of(session, audit, ecm_id)
    if status is not None and status != ecm.status and status not in ECM_TRANSITIONS[ecm.status]:
        raise Conflict(
            f"a {ecm.status} measure cannot become {status}",
            fields={"status": [N_("not allowed from the current status")]},
        )
    before = journal.snapshot(ecm, ECM_FIELDS)
    if changes:
        merged = {k: getattr(ecm, k) for k in ECM_FIELDS if k.startswith("savings_")}
        merged.update(changes)
        for key in ("savings_tce", "savings_tco2"):
            if key not in changes and {"savings_quantity", "savings_carrier"} & set(changes):
                merged[key] = None
        changes = {**changes, **_complete_savings(audit, merged)}
    for key, value in changes.items():
        setattr(ecm, key, value)
    if status is not None:
        ecm.status = status
    session.flush()
    journal.record(
        session,
        actor,
        "update",
        ecm,
        organization_id=audit.organization_id,
        before=before,
        after=journal.snapshot(ecm, ECM_FIELDS),
    )
    return ecm


def create_proposal(
    session: Session,
    actor: Actor,
    audit_id: int,
    *,
    ecm_ids: Sequence[int],
    name: str | None = None,
    esco_organization_id: int | None = None,
    contract_type: ContractType | None = None,
) -> EmcProject:
    """Turn ECMs of an accepted audit into an EMC project proposal (institution admin, energy
    manager), through the contracts service: a project of the audit's institution with the
    ECMs (and, in each, the suggested contract type, the audit and its baseline period),
    their total investment, moved from draft to proposed. The ECMs become accepted and point at
    the project.

    The suggested contract type is ``contract_type`` or else the most frequent recommendation
    among the ECMs (no contract is created: terms come later, in the contracts domain).

    Raises:
        Conflict: the audit is not accepted, or an ECM is discarded, implemented or already in
            a project. Invalid: no ECMs, or one that is not this audit's.
    """
    audit = load(session, actor, EnergyAudit, audit_id)
    require(actor, Permission.AUDITS_COMMISSION)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    if audit.status is not AuditStatus.ACCEPTED:
        raise Conflict(
            "proposals are made from accepted audits", fields={"status": [N_("not accepted")]}
        )
    if not ecm_ids:
        raise _invalid("ecm_ids", N_("select at least one measure"))
    ecms = [_ecm_of(session, audit, i) for i in dict.fromkeys(ecm_ids)]
    for ecm in ecms:
        if ecm.project_id is not None or ecm.status not in (
            EcmStatus.PROPOSED,
            EcmStatus.ACCEPTED,
        ):
            raise Conflict(
                f"ECM {ecm.id} is {ecm.status}"
                + (f" and already in project {ecm.project_id}" if ecm.project_id else ""),
                fields={"ecm_ids": [N_("already used or not selectable")]},
            )
    if contract_type is None:
        votes = Counter(e.recommended_contract_type for e in ecms if e.recommended_contract_type)
        contract_type = votes.most_common(1)[0][0] if votes else None
    investments = [e.investment for e in ecms if e.investment is not None]
    project = contracts.create_project(
        session,
        actor,
        name=name or f"{audit.title}：节能改造",
        esco_organization_id=esco_organization_id,
        total_investment=sum(investments, Decimal("0.00")) if investments else None,
    )
    entries = [_proposal_entry(audit, ecm, contract_type) for ecm in ecms]
    contracts.update_project(
        session, actor, project.id, ecms=entries, status=ProjectStatus.PROPOSED
    )
    for ecm in ecms:
        before = journal.snapshot(ecm, ECM_FIELDS)
        ecm.project_id = project.id
        ecm.status = EcmStatus.ACCEPTED
        session.flush()
        journal.record(
            session,
            actor,
            "propose",
            ecm,
            organization_id=audit.organization_id,
            before=before,
            after=journal.snapshot(ecm, ECM_FIELDS),
            summary=f"project {project.id}",
        )
    return project


def custody_baseline(session: Session, actor: Actor, audit_id: int) -> list[ind.BaselineLine]:
    """The baseline energy cost a custody contract takes from the audit's accounts (per carrier:
    annual quantity, cost and price = cost / quantity over the base period).

    Raises:
        Invalid: a carrier whose base-period cost is incomplete (``consumption``).
    """
    audit = get_audit(session, actor, audit_id)
    rows = _consumption(session, audit.id)
    years = audit.period_end.year - audit.period_start.year
    accounts = ind.account(
        _rows(rows),
        ind.factor_set_from_snapshot(audit.factor_snapshot),
        region_code=audit.region_code,
        years=years,
    )
    try:
        lines = ind.custody_baseline(_rows(rows), accounts)
    except ind.MissingCost as error:
        raise _invalid(
            "consumption",
            N_("the base-period energy cost is incomplete: record the cost from the bills"),
            text=str(error),
        ) from None
    if not lines:
        raise _invalid("consumption", N_("the base period has no energy cost"))
    return lines


def _custody_field(path: str) -> str:
    for prefix in ("terms.components[0].", "terms."):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def create_custody_contract(
    session: Session,
    actor: Actor,
    audit_id: int,
    *,
    start_date: dt.date,
    term_years: int,
    coefficient: Decimal,
    om_fee_annual: Decimal = Decimal("0.00"),
    payment_frequency: PaymentFrequency = PaymentFrequency.QUARTERLY,
    payment_due_days: int = 30,
    discount_rate: Decimal = Decimal("0.06"),
    ecm_ids: Sequence[int] | None = None,
    name: str | None = None,
    esco_organization_id: int | None = None,
) -> EmcProject:
    """From an accepted audit flagged as a custody candidate, an EMC project proposal with an
    energy-cost custody (能源费用托管型) contract (institution admin, energy manager).

    The contract's baseline energy cost is the audit's (:func:`custody_baseline`), its floor
    area that of the buildings in scope; coefficient, O&M fee and the common terms come from
    the caller; the terms are validated by the finance core through the contracts service.
    The project holds ``ecm_ids`` (by default the free measures recommending custody, else all
    free measures), which become accepted, as in :func:`create_proposal`.

    Raises:
        Conflict: the audit is not accepted or not a custody candidate, or a measure is used.
        Invalid: no measure to carry, no floor area or an incomplete base-period cost, or
            terms the finance core rejects (``terms.components[0].coefficient``).
    """
    audit = load(session, actor, EnergyAudit, audit_id)
    require(actor, Permission.AUDITS_COMMISSION)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    if audit.status is not AuditStatus.ACCEPTED:
        raise Conflict(
            "custody contracts are made from accepted audits",
            fields={"status": [N_("not accepted")]},
        )
    f = figures(session, actor, audit.id)
    if not f.custody_flags:
        raise Conflict(
            "the audit does not flag the institution as a custody candidate",
            fields={"status": [N_("not a candidate for energy-cost custody")]},
        )
    area = sum((b.floor_area_m2 for b in f.buildings), Decimal(0))
    if area <= 0:
        raise _invalid("floor_area_m2", N_("the buildings in scope have no floor area"))
    lines = custody_baseline(session, actor, audit.id)
    if ecm_ids is None:
        free = [
            e
            for e in list_ecms(session, actor, audit.id)
            if e.project_id is None and e.status in (EcmStatus.PROPOSED, EcmStatus.ACCEPTED)
        ]
        chosen = [
            e for e in free if e.recommended_contract_type is ContractType.ENERGY_COST_CUSTODY
        ]
        ecm_ids = [e.id for e in chosen or free]
    if not ecm_ids:
        raise _invalid("ecm_ids", N_("no measure is left to carry out under the contract"))
    terms = ContractTerms(
        contract_type=ContractType.ENERGY_COST_CUSTODY,
        term_years=term_years,
        start_date=start_date,
        payment_frequency=PaymentFrequency(payment_frequency),
        payment_due_days=payment_due_days,
        discount_rate=discount_rate,
        components=(
            EnergyCostCustodyTerms(
                baseline=tuple(
                    BaselineCarrierCost(
                        carrier=line.carrier,
                        unit=line.unit,
                        annual_quantity=line.annual_quantity,
                        price_per_unit=line.price_per_unit,
                    )
                    for line in lines
                ),
                coefficient=coefficient,
                floor_area_m2=area,
                om_fee_annual=om_fee_annual,
            ),
        ),
    )
    # Checked before anything is written, so bad terms leave no project behind; the finance
    # core's paths are mapped onto the form's fields (coefficient, term_years, ...).
    try:
        contracts.check_terms(terms_to_document(terms), [])
    except Invalid as error:
        raise Invalid(
            error.message,
            fields={
                _custody_field(path): messages for path, messages in (error.fields or {}).items()
            },
        ) from None
    project = create_proposal(
        session,
        actor,
        audit.id,
        ecm_ids=ecm_ids,
        name=name or f"{audit.title}：能源费用托管",
        esco_organization_id=esco_organization_id,
        contract_type=ContractType.ENERGY_COST_CUSTODY,
    )
    contracts.set_contract_terms(session, actor, project.id, terms=terms_to_document(terms))
    journal.record(
        session,
        actor,
        "custody_contract",
        audit,
        organization_id=audit.organization_id,
        after={
            "project_id": project.id,
            "baseline": [
                {
                    "carrier": line.carrier,
                    "unit": line.unit,
                    "annual_quantity": str(line.annual_quantity),
                    "annual_cost": str(line.annual_cost),
                    "price_per_unit": str(line.price_per_unit),
                }
                for line in lines
            ],
        },
        summary=f"project {project.id}",
    )
    return project


def _proposal_entry(
    audit: EnergyAudit, ecm: AuditEcm, contract_type: ContractType | None
) -> dict[str, Any]:
    # Stored as the project's JSON ECM list: money and energy as text, never float.
    def text(value):
        return None if value is None else str(value)

    return {
        "name": ecm.name,
        "description": ecm.description,
        "investment": text(ecm.investment),
        "category": ecm.category.value,
        "annual_savings_tce": text(ecm.savings_tce),
        "annual_savings_tco2": text(ecm.savings_tco2),
        "annual_savings_money": text(ecm.savings_money),
        "suggested_contract_type": contract_type.value if contract_type else None,
        "audit_id": audit.id,
        "audit_ecm_id": ecm.id,
        "baseline_period_start": audit.period_start.isoformat(),
        "baseline_period_end": audit.period_end.isoformat(),
    }


# --- accounts, indicators, quotas ---------------------------------------------------------------


@dataclass(frozen=True)
class AuditFigures:
    """Everything the pages, the API and the report show about an audit's figures."""

    audit: EnergyAudit
    sites: list[Site]
    buildings: list[Building]
    rows: list[AuditConsumption]
    accounts: ind.Accounts
    indicators: ind.Indicators
    building_type: BuildingType | None
    quota: EnergyQuota | None
    comparison: ind.QuotaComparison | None
    custody_flags: list[str]
    generation_available: bool
    data_centre: bool


def _rows(rows: Iterable[AuditConsumption]) -> list[ind.Row]:
    return [
        ind.Row(r.carrier.value, r.unit, r.month, r.quantity, r.cost, r.source.value) for r in rows
    ]


def figures(
    session: Session, actor: Actor, audit_id: int, *, variant: str | None = None
) -> AuditFigures:
    """The audit's accounts and indicators, computed with the factor set recorded in it.

    ``variant`` ``generation`` shows electricity at 等价值 when the recorded set has that factor
    (else Invalid); the default is 当量值.
    """
    audit = get_audit(session, actor, audit_id)
    factors = ind.factor_set_from_snapshot(audit.factor_snapshot)
    generation = ind.has_generation_factor(factors)
    if variant not in (None, "calorific", "generation"):
        raise _invalid("tce_variant", N_("must be calorific or generation"))
    if variant == "generation" and not generation:
        raise _invalid("tce_variant", N_("no generation-equivalent factor is recorded"))
    sites, buildings = scope_of(session, audit)
    rows = _consumption(session, audit.id)
    years = audit.period_end.year - audit.period_start.year
    accounts = ind.account(
        _rows(rows), factors, region_code=audit.region_code, years=years, variant=variant
    )
    area = sum((b.floor_area_m2 for b in buildings), Decimal(0)) or None
    people = audit.occupants
    if people is None:
        counted = [b.occupants for b in buildings if b.occupants is not None]
        people = sum(counted) if counted else None
    split = {k: Decimal(v) for k, v in (audit.end_use_split or {}).items()}
    indicators = ind.indicators(accounts, floor_area_m2=area, occupants=people, end_use_split=split)
    building_type = audit.building_type or _dominant_type(buildings)
    quota, comparison = None, None
    if building_type is not None:
        for basis, value in (
            (QuotaBasis.PER_AREA, indicators.kgce_per_m2),
            (QuotaBasis.PER_PERSON, indicators.kgce_per_person),
        ):
            if value is None:
                continue
            quota = find_quota(
                session, audit.region_code, building_type, basis, audit.period_end.year - 1
            )
            if quota is not None:
                comparison = ind.compare_quota(value, _quota(quota))
                break
    data_centre = audit.data_centre_pue is not None or any(
        b.building_type is BuildingType.DATA_CENTER for b in buildings
    )
    flags = ind.custody_flags(
        annual_tce=accounts.annual_tce,
        comparison=comparison,
        data_centre=data_centre,
        pue=audit.data_centre_pue,
    )
    return AuditFigures(
        audit=audit,
        sites=sites,
        buildings=buildings,
        rows=rows,
        accounts=accounts,
        indicators=indicators,
        building_type=building_type,
        quota=quota,
        comparison=comparison,
        custody_flags=flags,
        generation_available=generation,
        data_centre=data_centre,
    )


def _dominant_type(buildings: Sequence[Building]) -> BuildingType | None:
    areas: Counter = Counter()
    for b in buildings:
        areas[b.building_type] += b.floor_area_m2
    return areas.most_common(1)[0][0] if areas else None


def _quota(row: EnergyQuota) -> ind.Quota:
    return ind.Quota(
        basis=row.basis.value,
        constraint_value=row.constraint_value,
        baseline_value=row.baseline_value,
        guide_value=row.guide_value,
        region_code=row.region_code,
        building_type=row.building_type.value,
        year=row.year,
        source=row.source,
    )


def find_quota(
    session: Session, region_code: str, building_type: BuildingType, basis: QuotaBasis, year: int
) -> EnergyQuota | None:
    """The quota that applies: the most specific region (city, then province, then national)
    with a row for the type and basis, and there the latest year not after ``year``."""
    candidates = [region_code, region_code[:2] + "0000", "000000"]
    for code in dict.fromkeys(candidates):
        quota = session.scalar(
            select(EnergyQuota)
            .where(
                EnergyQuota.region_code == code,
                EnergyQuota.building_type == building_type,
                EnergyQuota.basis == basis,
                EnergyQuota.year <= year,
            )
            .order_by(EnergyQuota.year.desc())
            .limit(1)
        )
        if quota is not None:
            return quota
    return None


def list_quotas(
    session: Session,
    actor: Actor,
    *,
    region_code: str | None = None,
    building_type: BuildingType | None = None,
) -> list[EnergyQuota]:
    """Quotas (reference data every signed-in user may read), optionally filtered."""
    require(actor, Permission.ORG_READ)
    stmt = scoped(actor, EnergyQuota)
    if region_code:
        stmt = stmt.where(EnergyQuota.region_code == region_code)
    if building_type:
        stmt = stmt.where(EnergyQuota.building_type == building_type)
    return list(
        session.scalars(
            stmt.order_by(EnergyQuota.region_code, EnergyQuota.building_type, EnergyQuota.year)
        )
    )


def create_quota(session: Session, actor: Actor, **data: Any) -> EnergyQuota:
    """An agency (admin, programme officer) adds a quota for a region of its subtree; the
    platform admin for any region.

    Raises:
        Forbidden: no quota permission. Invalid: a region outside the subtree or unknown,
            values out of order. Conflict: a quota for the same region, type, basis and year.
    """
    require(actor, Permission.AUDITS_QUOTAS_MANAGE)
    code = data["region_code"]
    if session.get(Region, code) is None:
        raise _invalid("region_code", N_("unknown region"))
    prefix = subtree_prefix(actor.region_code)
    if not actor.is_platform_admin and not code.startswith(prefix):
        raise _invalid("region_code", N_("outside your region"))
    if not data["guide_value"] <= data["baseline_value"] <= data["constraint_value"]:
        raise _invalid("baseline_value", N_("guide value ≤ baseline value ≤ constraint value"))
    duplicate = session.scalar(
        select(EnergyQuota.id).where(
            EnergyQuota.region_code == code,
            EnergyQuota.building_type == data["building_type"],
            EnergyQuota.basis == data["basis"],
            EnergyQuota.year == data["year"],
        )
    )
    if duplicate is not None:
        raise Conflict(
            "a quota for this region, building type, basis and year exists",
            fields={"year": [N_("already has a quota")]},
        )
    quota = EnergyQuota(organization_id=actor.organization_id, **data)
    session.add(quota)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        quota,
        organization_id=actor.organization_id,
        after=journal.snapshot(quota, QUOTA_FIELDS),
    )
    return quota


# --- workbook -----------------------------------------------------------------------------------


def workbook_lines(
    figures_: AuditFigures, ecms: Sequence[AuditEcm]
) -> tuple[list[workbook.ConsumptionLine], list[workbook.EcmLine]]:
    """The audit's rows for the workbook, with each row's tce and tCO2 (recorded factors)."""
    audit = figures_.audit
    factors = ind.factor_set_from_snapshot(audit.factor_snapshot)
    lines = []
    for r in figures_.rows:
        tce = co2 = None
        try:
            tce = factors.to_tce(
                r.quantity, r.unit, r.carrier, year=r.month.year, region_code=audit.region_code
            ).amount
            co2 = factors.to_co2(
                r.quantity, r.unit, r.carrier, year=r.month.year, region_code=audit.region_code
            ).amount
        except FactorNotFound:
            pass
        lines.append(
            workbook.ConsumptionLine(
                r.carrier.value,
                r.unit,
                r.month,
                r.quantity,
                r.cost,
                r.source.value,
                r.note,
                ind.rounded(tce, 3),
                ind.rounded(co2, 3),
            )
        )
    ecm_lines = [
        workbook.EcmLine(
            name=e.name,
            category=e.category.value,
            description=e.description,
            affected_carriers=tuple(e.affected_carriers or ()),
            savings_carrier=e.savings_carrier.value if e.savings_carrier else None,
            savings_quantity=e.savings_quantity,
            savings_unit=e.savings_unit,
            savings_tce=e.savings_tce,
            savings_tco2=e.savings_tco2,
            savings_money=e.savings_money,
            investment=e.investment,
            recommended_contract_type=(
                e.recommended_contract_type.value if e.recommended_contract_type else None
            ),
            payback_years=ind.rounded(ind.simple_payback(e.investment, e.savings_money), 1),
        )
        for e in ecms
    ]
    return lines, ecm_lines


def export_workbook(session: Session, actor: Actor, audit_id: int) -> bytes:
    """The audit's consumption and ECMs as the XLSX template (filled in), for anyone who may
    read the audit; the auditor fills it in and uploads it with :func:`import_workbook`."""
    data = figures(session, actor, audit_id)
    lines, ecm_lines = workbook_lines(data, list_ecms(session, actor, audit_id))
    return workbook.write_workbook(lines, ecm_lines, title=data.audit.title)


def import_workbook(session: Session, actor: Actor, audit_id: int, stream: IO[bytes]) -> dict:
    """Import a filled-in template (the auditor): it replaces the audit's bill rows and ECMs.

    Every row is validated first; if any problem is found nothing is written and Invalid lists
    each one under ``fields`` keyed ``"<sheet>!<column><row>"``.
    """
    audit = _for_auditor(session, actor, audit_id)
    result = workbook.read_workbook(
        stream, period_start=audit.period_start, period_end=audit.period_end
    )
    if result.problems:
        fields: dict[str, list[str]] = {}
        for problem in result.problems:
            fields.setdefault(problem.key, []).append(str(problem))
        raise Invalid(
            f"the workbook has {len(result.problems)} problem(s); nothing was imported",
            fields=fields,
        )
    ecms = []
    for line in result.ecms:
        values = {
            "name": line.name,
            "category": line.category,
            "description": line.description,
            "affected_carriers": list(line.affected_carriers),
            "savings_carrier": Carrier(line.savings_carrier) if line.savings_carrier else None,
            "savings_quantity": line.savings_quantity,
            "savings_unit": line.savings_unit,
            "savings_tce": line.savings_tce,
            "savings_tco2": line.savings_tco2,
            "savings_money": line.savings_money,
            "investment": line.investment,
            "recommended_contract_type": (
                ContractType(line.recommended_contract_type)
                if line.recommended_contract_type
                else None
            ),
        }
        ecms.append(_complete_savings(audit, values))
    bills = _write_bills(session, actor, audit, result.consumption, replace=True)
    removed = session.execute(delete(AuditEcm).where(AuditEcm.audit_id == audit.id)).rowcount
    for position, values in enumerate(ecms, start=1):
        session.add(
            AuditEcm(audit_id=audit.id, position=position, status=EcmStatus.PROPOSED, **values)
        )
    session.flush()
    journal.record(
        session,
        actor,
        "import_ecms",
        audit,
        organization_id=audit.organization_id,
        after={"ecms": len(ecms), "replaced_ecms": removed},
        summary=f"{len(ecms)} ECMs from the workbook",
    )
    return {"bill_rows": len(bills), "ecms": len(ecms), "replaced_ecms": removed}


# --- labels and the report ----------------------------------------------------------------------

# English msgids, translated per reader (pages: gettext; PDF: emc.i18n.translate).
CARRIER_LABELS = {
    Carrier.ELECTRICITY: N_("Electricity"),
    Carrier.NATURAL_GAS: N_("Natural gas"),
    Carrier.DISTRICT_HEAT: N_("District heat"),
    Carrier.COAL: N_("Raw coal"),
    Carrier.DIESEL: N_("Diesel"),
    Carrier.GASOLINE: N_("Gasoline"),
    Carrier.LPG: N_("LPG"),
    Carrier.FUEL_OIL: N_("Fuel oil"),
    Carrier.WATER: N_("Water"),
    Carrier.PV_GENERATION: N_("On-site PV generation"),
}
CATEGORY_LABELS = {
    "lighting": N_("Lighting"),
    "hvac": N_("HVAC"),
    "heat_pump": N_("Heat pump"),
    "envelope": N_("Building envelope"),
    "pv": N_("Photovoltaics"),
    "controls": N_("Controls"),
    "kitchen_electrification": N_("Kitchen electrification"),
    "data_centre": N_("Data centre"),
    "other": N_("Other measure"),
}
STATUS_LABELS = {
    AuditStatus.DRAFT: N_("Draft"),
    AuditStatus.SUBMITTED: N_("Submitted"),
    AuditStatus.ACCEPTED: N_("Accepted"),
    AuditStatus.RETURNED: N_("Returned"),
}
ECM_STATUS_LABELS = {
    EcmStatus.PROPOSED: N_("Proposed"),
    EcmStatus.ACCEPTED: N_("Accepted"),
    EcmStatus.IMPLEMENTED: N_("Implemented"),
    EcmStatus.DISCARDED: N_("Discarded"),
}
CONTRACT_LABELS = {
    ContractType.SHARED_SAVINGS: N_("Shared savings"),
    ContractType.GUARANTEED_SAVINGS: N_("Guaranteed savings"),
    ContractType.ENERGY_COST_CUSTODY: N_("Energy-cost custody"),
    ContractType.FINANCE_LEASE: N_("Finance lease"),
    ContractType.HYBRID: N_("Hybrid"),
}
LEVEL_LABELS = {
    1: N_("Level 1: walk-through"),
    2: N_("Level 2: survey and analysis"),
    3: N_("Level 3: detailed"),
}
QUOTA_LEVEL_LABELS = {
    "above_constraint": N_("above the constraint value (约束值)"),
    "above_baseline": N_("above the baseline value (基准值)"),
    "within_baseline": N_("within the baseline value (基准值)"),
    "meets_guide": N_("meets the guide value (引导值)"),
}
FLAG_LABELS = {
    "above_baseline_over_500_tce": N_(
        "Energy use is above the quota's baseline value and over 500 tce a year: a candidate "
        "for energy-cost custody."
    ),
    "data_centre_pue_over_1_4": N_(
        "A data centre runs at a PUE above 1.4: a candidate for energy-cost custody."
    ),
}
END_USE_LABELS = {
    "lighting_sockets": N_("Lighting and sockets"),
    "hvac": N_("HVAC"),
    "power": N_("Power"),
    "special": N_("Special uses"),
}
BUILDING_TYPE_LABELS = {
    BuildingType.OFFICE: N_("Office"),
    BuildingType.SCHOOL: N_("School"),
    BuildingType.UNIVERSITY: N_("University"),
    BuildingType.HOSPITAL: N_("Hospital"),
    BuildingType.CULTURE: N_("Culture"),
    BuildingType.SPORTS: N_("Sports"),
    BuildingType.RESEARCH: N_("Research"),
    BuildingType.DORMITORY: N_("Dormitory"),
    BuildingType.DATA_CENTER: N_("Data centre"),
    BuildingType.OTHER: N_("Other"),
}


def indicator_rows(f: AuditFigures, tr) -> list[tuple[str, str, str, str]]:
    """(label, value, unit, against quota) rows of the indicator table; ``tr`` translates."""
    i = f.indicators

    def q(value, places):
        return "" if value is None else f"{ind.rounded(value, places):,}"

    def pct(value):
        return "" if value is None else f"{ind.rounded(value * 100, 1)}%"

    quota_text = {"per_area": "", "per_person": ""}
    if f.comparison is not None:
        quota = f.comparison.quota
        quota_text[quota.basis] = (
            f"{tr(QUOTA_LEVEL_LABELS[f.comparison.level])} "
            f"({quota.guide_value} / {quota.baseline_value} / {quota.constraint_value})"
        )
    rows = [
        (tr(N_("Annual energy use")), q(i.annual_tce, 3), "tce/a", ""),
        (tr(N_("Annual CO2 emissions")), q(i.annual_tco2, 3), "tCO2/a", ""),
        (tr(N_("Energy per floor area")), q(i.kgce_per_m2, 2), "kgce/m²·a", quota_text["per_area"]),
        (
            tr(N_("Energy per person")),
            q(i.kgce_per_person, 2),
            "kgce/人·a",
            quota_text["per_person"],
        ),
        (tr(N_("CO2 per floor area")), q(i.kgco2_per_m2, 2), "kgCO2/m²·a", ""),
        (tr(N_("Electricity share")), pct(i.electricity_share), "", ""),
        (tr(N_("Coal share")), pct(i.coal_share), "", ""),
    ]
    for use, tce in i.end_use_tce.items():
        rows.append((tr(END_USE_LABELS[use]), q(tce, 3), "tce/a", ""))
    return rows


def report_pdf(session: Session, actor: Actor, audit_id: int, *, locale: str = "zh_CN") -> bytes:
    """The audit report as PDF (Chinese by default), for anyone who may read the audit."""
    from emc.i18n import translate
    from emc.reports import audit_pdf

    def tr(message: str) -> str:
        return translate(locale, message)

    f = figures(session, actor, audit_id)
    audit = f.audit
    ecms = list_ecms(session, actor, audit.id)
    orgs = {
        o.id: o
        for o in session.scalars(
            select(Organization).where(
                Organization.id.in_([audit.organization_id, audit.auditor_organization_id])
            )
        )
    }
    sites = {s.id: s.name for s in f.sites}
    last = audit.period_end - dt.timedelta(days=1)
    report = audit_pdf.AuditReport(
        title=audit.title,
        institution=orgs[audit.organization_id].display_name(locale),
        auditor=orgs[audit.auditor_organization_id].display_name(locale),
        level=tr(LEVEL_LABELS[audit.level]),
        period=f"{audit.period_start:%Y-%m} – {last:%Y-%m}",
        status=tr(STATUS_LABELS[audit.status]),
        version=audit.version,
        generated_at=clock.now(),
        scope=[
            (
                sites.get(b.site_id, ""),
                b.name,
                tr(BUILDING_TYPE_LABELS[b.building_type]),
                f"{b.floor_area_m2:,}",
            )
            for b in f.buildings
        ],
        structure=[
            (tr(CARRIER_LABELS[Carrier(c.carrier)]), c.tce)
            for c in f.accounts.by_carrier.values()
            if c.tce > 0
        ],
        carriers=[
            (
                tr(CARRIER_LABELS[Carrier(c.carrier)]),
                f"{ind.rounded(c.quantity, 1):,} {c.unit}",
                c.tce,
                c.tco2,
                c.cost,
            )
            for c in f.accounts.by_carrier.values()
        ],
        months=[(f"{m:%Y-%m}", tce) for m, (tce, _co2) in f.accounts.by_month.items()],
        indicators=indicator_rows(f, tr),
        flags=[tr(FLAG_LABELS[flag]) for flag in f.custody_flags],
        ecms=[
            audit_pdf.EcmRow(
                name=e.name,
                category=tr(CATEGORY_LABELS[e.category.value]),
                savings_tce=e.savings_tce,
                savings_tco2=e.savings_tco2,
                savings_money=e.savings_money,
                investment=e.investment,
                payback_years=ind.simple_payback(e.investment, e.savings_money),
                contract_type=(
                    tr(CONTRACT_LABELS[e.recommended_contract_type])
                    if e.recommended_contract_type
                    else ""
                ),
                status=tr(ECM_STATUS_LABELS[e.status]),
            )
            for e in ecms
        ],
        conclusions=audit.conclusions or "",
        factor_note=tr(N_("Factors recorded in the audit on %(date)s (tce: calorific value)."))
        % {"date": str(audit.factor_snapshot.get("taken_at", ""))[:10]},
    )
    return audit_pdf.build(report, locale)


# --- demo data ----------------------------------------------------------------------------------


# Demo tariffs (yuan per canonical unit) of the hospital's energy bills.
DEMO_TARIFFS = {
    Carrier.ELECTRICITY: Decimal("0.72"),
    Carrier.NATURAL_GAS: Decimal("3.85"),
    Carrier.WATER: Decimal("4.10"),
}


def build_demo_audits(session: Session, *, custody: bool = False) -> None:
    """Accepted 2024 audits of the demo school and hospital (their meters, ECMs; the hospital
    also its energy bills), and Zhejiang energy quotas; called by ``emc.demo.build`` after the
    facilities. With ``custody`` the hospital's audit, flagged as a custody candidate, leads
    to a project proposal with an energy-cost custody contract (``emc demo`` only: the test
    suite assumes no projects)."""

    def actor(email: str) -> Actor:
        user = session.scalar(select(User).where(User.email == email))
        user.organization = session.get(Organization, user.organization_id)
        return Actor.of(user)

    agency = actor("officer@zhejiang.demo")
    source = "浙江省公共机构能耗定额（演示数据）"
    for building_type, guide, baseline, constraint in (
        (BuildingType.SCHOOL, "8", "12", "16"),
        (BuildingType.HOSPITAL, "28", "35", "48"),
        (BuildingType.OFFICE, "12", "16", "22"),
    ):
        create_quota(
            session,
            agency,
            region_code="330000",
            building_type=building_type,
            basis=QuotaBasis.PER_AREA,
            year=2022,
            guide_value=Decimal(guide),
            baseline_value=Decimal(baseline),
            constraint_value=Decimal(constraint),
            source=source,
        )
    auditor = actor("auditor@auditor.demo")
    auditor_org = auditor.organization_id
    plans = {
        "energy@school.demo": (
            "杭州市第一中学 2024 年度能源审计",
            [
                (
                    "教学楼 LED 照明改造",
                    "lighting",
                    "electricity",
                    "180000",
                    "115000.00",
                    "260000.00",
                    ContractType.SHARED_SAVINGS,
                ),
                (
                    "空调群控与变频改造",
                    "hvac",
                    "electricity",
                    "240000",
                    "150000.00",
                    "620000.00",
                    ContractType.GUARANTEED_SAVINGS,
                ),
                (
                    "食堂燃气灶电气化",
                    "kitchen_electrification",
                    "natural_gas",
                    "12000",
                    "42000.00",
                    "180000.00",
                    ContractType.SHARED_SAVINGS,
                ),
            ],
        ),
        "energy@hospital.demo": (
            "杭州市人民医院 2024 年度能源审计",
            [
                (
                    "锅炉改空气源热泵",
                    "heat_pump",
                    "natural_gas",
                    "90000",
                    "310000.00",
                    "2400000.00",
                    ContractType.ENERGY_COST_CUSTODY,
                ),
                (
                    "屋顶光伏 300 kWp",
                    "pv",
                    "electricity",
                    "300000",
                    "240000.00",
                    "1050000.00",
                    ContractType.ENERGY_COST_CUSTODY,
                ),
            ],
        ),
    }
    for email, (title, ecms) in plans.items():
        institution = actor(email)
        site_ids = list(
            session.scalars(
                select(Site.id).where(Site.organization_id == institution.organization_id)
            )
        )
        audit = create_audit(
            session,
            institution,
            title=title,
            auditor_organization_id=auditor_org,
            level=2,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2025, 1, 1),
            site_ids=site_ids,
        )
        meter_rows = consumption_from_meters(session, auditor, audit.id)
        if email == "energy@hospital.demo":
            # The hospital's bills: the metered use at the tariffs paid, so the accounts carry
            # the base-period energy cost that a custody contract takes as its baseline.
            add_bills(
                session,
                auditor,
                audit.id,
                [
                    {
                        "carrier": r.carrier,
                        "unit": r.unit,
                        "month": r.month,
                        "quantity": r.quantity,
                        "cost": (r.quantity * DEMO_TARIFFS[r.carrier]).quantize(Decimal("0.01")),
                        "note": "能源费账单",
                    }
                    for r in meter_rows
                    if r.carrier in DEMO_TARIFFS
                ],
            )
        for name, category, carrier, quantity, money, investment, contract in ecms:
            unit = "kWh" if carrier == "electricity" else "m³"
            add_ecm(
                session,
                auditor,
                audit.id,
                name=name,
                category=category,
                description="",
                affected_carriers=[carrier],
                savings_carrier=Carrier(carrier),
                savings_quantity=Decimal(quantity),
                savings_unit=unit,
                savings_money=Decimal(money),
                investment=Decimal(investment),
                recommended_contract_type=contract,
            )
        update_audit(
            session,
            auditor,
            audit.id,
            conclusions="基准期能耗数据取自计量表逐月汇总；建议优先实施回收期短的措施。",
        )
        submit_audit(session, auditor, audit.id)
        accept_audit(session, institution, audit.id)
        if custody and email == "energy@hospital.demo":
            esco = session.scalar(
                select(Organization.id).where(Organization.name_zh == "绿能节能服务有限公司")
            )
            create_custody_contract(
                session,
                actor("admin@hospital.demo"),
                audit.id,
                start_date=dt.date(2025, 7, 1),
                term_years=8,
                coefficient=Decimal("0.95"),
                om_fee_annual=Decimal("180000.00"),
                esco_organization_id=esco,
            )
    # The demo's workflow notifications are history already read about: never e-mailed.
    session.execute(
        update(Notification)
        .where(Notification.kind.like("audit_%"), Notification.emailed_at.is_(None))
        .values(emailed_at=clock.now())
    )

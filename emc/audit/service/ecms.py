"""Energy conservation measures (ECMs) of an audit and the project proposals made from them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal
from emc.audit import indicators as ind
from emc.audit.models import AuditEcm, AuditStatus, EcmCategory, EcmStatus, EnergyAudit
from emc.audit.service.records import (
    ECM_FIELDS,
    ECM_TRANSITIONS,
    _editable,
    _for_auditor,
    _invalid,
    get_audit,
)
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.contracts import service as contracts
from emc.contracts.finance import ContractType
from emc.contracts.models import EmcProject, ProjectStatus
from emc.energy import Carrier, FactorNotFound, UnitError, unit_for
from emc.errors import Conflict
from emc.i18n import N_
from emc.messages import msg
from emc.messages import state as state_word


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
        raise _invalid("ecm_id", N_("unknown measure"))
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
    journal.add_created(
        session, actor, ecm, fields=ECM_FIELDS, organization_id=audit.organization_id
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
            msg("audit.ecm_wrong_state", state=state_word(ecm.status), target=state_word(status)),
            fields={"status": [msg("audit.not_allowed_from_current_status")]},
        )
    before = journal.snapshot(ecm, ECM_FIELDS)
    if changes:
        merged = {k: getattr(ecm, k) for k in ECM_FIELDS if k.startswith("savings_")}
        merged.update(changes)
        for key in ("savings_tce", "savings_tco2"):
            if key not in changes and {"savings_quantity", "savings_carrier"} & set(changes):
                merged[key] = None
        changes = {**changes, **_complete_savings(audit, merged)}
    if status is not None:
        changes["status"] = status
    journal.apply_update(
        session,
        actor,
        ecm,
        changes,
        before=before,
        fields=ECM_FIELDS,
        organization_id=audit.organization_id,
        summary=ecm.name,  # the audit's history names the measure
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
            msg("audit.proposals_made_from_accepted_audits"),
            fields={"status": [msg("audit.not_accepted")]},
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
                msg("audit.ecm_not_selectable", ecm=ecm.id, state=state_word(ecm.status)),
                fields={"ecm_ids": [msg("audit.already_used_not_selectable")]},
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
            summary=ecm.name,  # the audit's history names the measure; project_id changed
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

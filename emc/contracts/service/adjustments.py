"""Agreed custody fee adjustments (能源费用托管型: agreed changes such as floor area or energy
price): propose one with a reference and a reason, record each party's agreement, and hand the
agreed ones to the finance core when a schedule is regenerated.

A custody fee stays constant unless an adjustment both parties agreed to applies; the finance
core (``finance.fees.custody_lines``) re-prices the periods after the effective date and trues
up the periods already billed before the agreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import clock, journal, workflow
from emc.auth.actor import Actor
from emc.auth.models import User
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.contracts import finance
from emc.contracts.models import (
    SIGNED_STATUSES,
    AmendmentStatus,
    CustodyAdjustmentKind,
    CustodyFeeAdjustment,
    EmcProject,
    ProjectStatus,
)
from emc.contracts.service._adjustment_rules import (
    check_key_length,
    check_shape,
    check_with_core,
    custody_terms,
    to_finance,
)
from emc.contracts.service._common import add_numbered, chunks, contract_of
from emc.errors import Conflict, Invalid, NotFound
from emc.messages import msg, record
from emc.messages import state as state_word
from emc.workflow import tables

# The date of an agreement is the institutions' (China), as for M&V acceptance.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

ADJUSTMENT_FIELDS = (
    "number",
    "kind",
    "reference",
    "effective_date",
    "new_floor_area_m2",
    "prices",
    "component",
    "reason",
    "status",
    "agreed_on",
)


def _local_today() -> dt.date:
    return clock.now().astimezone(LOCAL_ZONE).date()


def _agreed_rows(session: Session, project_ids: list[int]) -> list[CustodyFeeAdjustment]:
    rows: list[CustodyFeeAdjustment] = []
    for chunk in chunks(project_ids):
        rows.extend(
            session.scalars(
                select(CustodyFeeAdjustment).where(
                    CustodyFeeAdjustment.project_id.in_(chunk),
                    CustodyFeeAdjustment.status == AmendmentStatus.AGREED,
                )
            )
        )
    # Agreement order: the date both had agreed, then the later of the two agreements.
    rows.sort(
        key=lambda a: (
            a.agreed_on,
            max(a.institution_agreed_at, a.esco_agreed_at),
            a.number,
        )
    )
    return rows


def agreed_adjustments(
    session: Session, project_ids: Iterable[int]
) -> dict[int, tuple[finance.CustodyAdjustment, ...]]:
    """The finance core's adjustments agreed by both parties, per project, in agreement order
    (projects without any are absent). Read in one query per chunk of ids, for schedule
    regeneration; the caller has already loaded the projects through the scoped loader."""
    out: dict[int, tuple[finance.CustodyAdjustment, ...]] = {}
    for row in _agreed_rows(session, list(project_ids)):
        out[row.project_id] = out.get(row.project_id, ()) + to_finance(row)
    return out


def check_terms_fit_adjustments(
    session: Session, project_id: int, terms: finance.ContractTerms
) -> None:
    """Invalid (naming ``custody_adjustments[i].<field>``) if new terms for a project would no
    longer compute with its agreed custody fee adjustments (e.g. an amendment dropping the
    custody component, renaming it, or removing a repriced carrier from the baseline)."""
    agreed = agreed_adjustments(session, [project_id]).get(project_id, ())
    if not agreed:
        return
    try:
        finance.contractual_lines(terms, agreed)
    except finance.FinanceInputError as error:
        path = "custody_adjustments" + error.field.removeprefix("adjustments")
        raise Invalid(
            msg("contracts.terms_no_longer_fit_adjustments"),
            fields={path: [error.message]},
        ) from None


def list_custody_adjustments(
    session: Session, actor: Actor, project_id: int
) -> list[CustodyFeeAdjustment]:
    """A visible project's custody fee adjustments (proposed and agreed), oldest first."""
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_READ)
    stmt = scoped(actor, CustodyFeeAdjustment).where(CustodyFeeAdjustment.project_id == project.id)
    return list(session.scalars(stmt.order_by(CustodyFeeAdjustment.number)))


def propose_custody_adjustment(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    kind: CustodyAdjustmentKind | str,
    reference: str,
    effective_date: dt.date,
    reason: str,
    new_floor_area_m2: Decimal | None = None,
    prices: list[dict[str, Any]] | None = None,
    component: str | None = None,
) -> CustodyFeeAdjustment:
    """Propose an agreed-change adjustment of a signed custody contract's fees.

    ``kind`` ``floor_area`` needs ``new_floor_area_m2`` (m²); ``energy_price`` needs
    ``prices``: ``[{"carrier", "unit", "new_price_per_unit": Decimal}]`` in yuan per baseline
    unit. Both apply from ``effective_date`` (inside the term) once both parties agree
    (:func:`agree_custody_adjustment`). Invalid (422) naming the field for a contract without a
    custody component, a reference already used, or values the finance core refuses; Conflict
    if the project is not signed or is closed.
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    kind = CustodyAdjustmentKind(kind)
    contract = contract_of(session, project.id)
    terms = custody_terms(contract)
    assert contract is not None
    if project.status not in SIGNED_STATUSES:
        raise Conflict(msg("contracts.contract_not_signed_yet_change"))
    if project.status in (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED):
        raise Conflict(msg("contracts.custody_not_adjustable", state=state_word(project.status)))
    if not reason or not reason.strip():
        raise Invalid(
            msg("contracts.custody_fee_adjustment_needs_reason"),
            fields={"reason": [msg("field.required")]},
        )
    prices = [
        {
            "carrier": p["carrier"],
            "unit": p["unit"],
            "new_price_per_unit": str(p["new_price_per_unit"]),
        }
        for p in (prices or [])
    ]
    check_shape(kind, new_floor_area_m2, prices)
    if new_floor_area_m2 is not None:
        new_floor_area_m2 = Decimal(new_floor_area_m2)
        if new_floor_area_m2.as_tuple().exponent < -2:
            raise Invalid(
                msg("contracts.floor_area_stored_two_decimal"),
                fields={"new_floor_area_m2": [msg("contracts.at_most_2_decimal_places")]},
            )
        new_floor_area_m2 = new_floor_area_m2.quantize(Decimal("0.01"))
    existing = session.scalars(
        select(CustodyFeeAdjustment).where(CustodyFeeAdjustment.contract_id == contract.id)
    ).all()
    for other in existing:
        if other.reference == reference:
            raise Invalid(
                msg("contracts.reference_used", reference=reference, number=other.number),
                fields={"reference": [msg("finance.reference_used", other=other.number)]},
            )
    adjustment = CustodyFeeAdjustment(
        project_id=project.id,
        contract_id=contract.id,
        number=max((o.number for o in existing), default=0) + 1,
        kind=kind,
        reference=reference,
        effective_date=effective_date,
        new_floor_area_m2=new_floor_area_m2,
        prices=prices,
        component=component or None,
        reason=reason.strip(),
        status=AmendmentStatus.PROPOSED,
        proposed_by_user_id=actor.user_id,
    )
    candidate = to_finance(adjustment, _local_today())
    check_key_length(terms, candidate)
    agreed = tuple(a for row in _agreed_rows(session, [project.id]) for a in to_finance(row))
    check_with_core(terms, agreed, candidate, prices)
    add_numbered(session, adjustment, "custody fee adjustment")
    journal.record(
        session,
        actor,
        "propose",
        adjustment,
        organization_id=project.organization_id,
        after={name: getattr(adjustment, name) for name in ADJUSTMENT_FIELDS},
        summary=f"custody adjustment {adjustment.number} ({kind}) proposed: {adjustment.reason}",
    )
    workflow.created(session, actor, CUSTODY_ADJUSTMENT, adjustment)
    return adjustment


def _adjustment_parties(session: Session, adjustment: CustodyFeeAdjustment) -> workflow.Parties:
    project = session.get(EmcProject, adjustment.project_id)
    proposer = session.get(User, adjustment.proposed_by_user_id)
    return workflow.Parties.of_project(
        project, proposer_org_id=proposer.organization_id if proposer is not None else None
    )


CUSTODY_ADJUSTMENT = workflow.Binding(
    tables.CUSTODY_ADJUSTMENT,
    CustodyFeeAdjustment,
    _adjustment_parties,
    ADJUSTMENT_FIELDS + ("decision_comment",),
    version_attr="version",
    link=lambda a: f"/projects/{a.project_id}/custody-adjustments",
)


def _adjustment_of(
    session: Session, actor: Actor, project_id: int, adjustment_id: int
) -> tuple[EmcProject, CustodyFeeAdjustment]:
    project = load(session, actor, EmcProject, project_id)
    adjustment = load(session, actor, CustodyFeeAdjustment, adjustment_id)
    if adjustment.project_id != project.id:
        raise NotFound(msg("not_found", what=record("CustodyAdjustment"), id=adjustment_id))
    return project, adjustment


def agree_custody_adjustment(
    session: Session,
    actor: Actor,
    project_id: int,
    adjustment_id: int,
    *,
    version: int | None = None,
) -> CustodyFeeAdjustment:
    """Record one party's agreement (an admin of the institution or of the contracted ESCO);
    once both have agreed it applies from its effective date, agreed on today's date (the
    institutions' calendar). Regenerating the schedule then re-prices the later periods and
    adds true-up lines for the periods already billed. ``version`` is the adjustment's version
    the user saw. Conflict if already agreed by that party, stale, or if the agreed
    adjustments would no longer compute with the current terms."""
    project, adjustment = _adjustment_of(session, actor, project_id, adjustment_id)
    fresh = version is None or version == adjustment.version
    if adjustment.status is AmendmentStatus.AGREED and fresh:
        raise Conflict(msg("contracts.custody_fee_adjustment_has_already"))
    if project.status in (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED):
        raise Conflict(msg("contracts.custody_not_adjustable", state=state_word(project.status)))

    def apply(row: CustodyFeeAdjustment) -> None:
        contract = contract_of(session, project.id)
        try:
            terms = custody_terms(contract)
        except Invalid as error:
            raise Conflict(
                msg("contracts.changed_since_adjustment", problem=error.message)
            ) from None
        today = _local_today()
        with session.no_autoflush:
            others = [r for r in _agreed_rows(session, [project.id]) if r.id != row.id]
        agreed = tuple(a for r in others for a in to_finance(r))
        try:
            check_with_core(terms, agreed, to_finance(row, today), row.prices)
        except Invalid as error:
            raise Conflict(
                msg("contracts.changed_since_adjustment", problem=error.message),
                fields=error.fields,
            ) from None
        row.agreed_on = today

    return workflow.transition(
        session,
        actor,
        CUSTODY_ADJUSTMENT,
        "agree",
        adjustment.id,
        version=version,
        apply=apply,
        summary=f"custody adjustment {adjustment.number} agreed by {actor.org_kind}",
        obj=adjustment,
    )


def reject_custody_adjustment(
    session: Session,
    actor: Actor,
    project_id: int,
    adjustment_id: int,
    *,
    comment: str,
    version: int | None = None,
) -> CustodyFeeAdjustment:
    """The party that did not propose a custody fee adjustment rejects it, with a comment."""
    _project, adjustment = _adjustment_of(session, actor, project_id, adjustment_id)

    def check(_row, _parties) -> None:
        if not (comment or "").strip():
            raise Invalid(
                msg("mv.rejection_needs_comment"), fields={"comment": [msg("field.required")]}
            )

    def apply(row: CustodyFeeAdjustment) -> None:
        row.decision_comment = comment.strip()

    return workflow.transition(
        session,
        actor,
        CUSTODY_ADJUSTMENT,
        "reject",
        adjustment.id,
        version=version,
        check=check,
        apply=apply,
        params={"comment": (comment or "").strip()},
        obj=adjustment,
    )


def withdraw_custody_adjustment(
    session: Session,
    actor: Actor,
    project_id: int,
    adjustment_id: int,
    *,
    version: int | None = None,
) -> CustodyFeeAdjustment:
    """The proposing party withdraws a proposed custody fee adjustment."""
    _project, adjustment = _adjustment_of(session, actor, project_id, adjustment_id)
    return workflow.transition(
        session,
        actor,
        CUSTODY_ADJUSTMENT,
        "withdraw",
        adjustment.id,
        version=version,
        obj=adjustment,
    )

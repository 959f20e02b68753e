"""To-dos of contracts: payment lines to prepare, approve (never one the user prepared) and pay;
contract amendments and custody fee adjustments to agree; proposed projects to sign."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.models import OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import scoped
from emc.contracts.finance import LineSource
from emc.contracts.models import (
    AmendmentStatus,
    Contract,
    ContractAmendment,
    CustodyFeeAdjustment,
    EmcProject,
    LineStatus,
    PaymentLine,
    ProjectStatus,
)
from emc.contracts.service.contracts import stale_amendments
from emc.i18n import N_
from emc.mv.service._common import local_today
from emc.todo import Todo, todo_source

# Finance prepares a scheduled line once it falls due within this many days (or is overdue).
PREPARE_AHEAD_DAYS = 60


def _line_params(line: PaymentLine, project: str) -> dict:
    return {"project": project, "amount": f"{line.amount:,.2f}", "due": line.due_on.isoformat()}


@todo_source
def payment_todos(session: Session, actor: Actor) -> Iterator[Todo]:
    """Finance: lines to prepare (due within 60 days or overdue), to approve (prepared by
    someone else: separation of duties), and to pay (approved)."""
    wanted = []
    if can(actor, Permission.CONTRACTS_PAYMENT_PREPARE):
        wanted.append(
            (PaymentLine.status == LineStatus.SCHEDULED)
            & (PaymentLine.due_on <= local_today() + dt.timedelta(days=PREPARE_AHEAD_DAYS))
            # A 0.00 line (a period that saved nothing) asks for no payment.
            & (PaymentLine.amount != 0)
        )
    if can(actor, Permission.CONTRACTS_PAYMENT_APPROVE):
        wanted.append(
            (PaymentLine.status == LineStatus.PREPARED)
            & (PaymentLine.prepared_by_user_id != actor.user_id)
        )
    if can(actor, Permission.CONTRACTS_PAYMENT_PAY):
        wanted.append(PaymentLine.status == LineStatus.APPROVED)
    if not wanted or actor.org_kind is not OrgKind.INSTITUTION:
        return
    condition = wanted[0]
    for extra in wanted[1:]:
        condition = condition | extra
    stmt = (
        scoped(actor, PaymentLine)
        .add_columns(EmcProject.name)
        .join(EmcProject, EmcProject.id == PaymentLine.project_id)
        .where(
            EmcProject.organization_id == actor.organization_id,
            PaymentLine.source == LineSource.ACTUAL,
            condition,
        )
        .order_by(PaymentLine.due_on, PaymentLine.id)
    )
    titles = {
        LineStatus.SCHEDULED: (
            "line.prepare",
            N_("Prepare payment: %(project)s, %(amount)s yuan due %(due)s"),
        ),
        LineStatus.PREPARED: (
            "line.approve",
            N_("Approve payment: %(project)s, %(amount)s yuan due %(due)s"),
        ),
        LineStatus.APPROVED: (
            "line.pay",
            N_("Pay and record payment: %(project)s, %(amount)s yuan due %(due)s"),
        ),
    }
    for line, project in session.execute(stmt):
        kind, title = titles[line.status]
        yield Todo(
            kind=kind,
            title=title,
            link=f"/finance/queue?view=mine&project={line.project_id}",
            object_key=f"payment-line:{line.id}",
            params=_line_params(line, project),
            due_on=line.due_on,
            project_id=line.project_id,
        )


@todo_source
def agreement_todos(session: Session, actor: Actor) -> Iterator[Todo]:
    """Contract amendments and custody fee adjustments waiting for this party's agreement
    (proposed by someone else: a proposer is not asked to agree to their own proposal), and
    ESCO swaps waiting for the incoming ESCO's."""
    if not can(actor, Permission.CONTRACTS_CONTRACT_AGREE):
        return
    if actor.org_kind is OrgKind.INSTITUTION:
        own, amend_mine, custody_mine = (
            EmcProject.organization_id,
            ContractAmendment.institution_agreed_by_user_id,
            CustodyFeeAdjustment.institution_agreed_by_user_id,
        )
    elif actor.org_kind is OrgKind.ESCO:
        own, amend_mine, custody_mine = (
            EmcProject.esco_organization_id,
            ContractAmendment.esco_agreed_by_user_id,
            CustodyFeeAdjustment.esco_agreed_by_user_id,
        )
    else:
        return
    projects = (
        scoped(actor, EmcProject)
        .where(own == actor.organization_id)
        .with_only_columns(EmcProject.id)
    )
    waiting = session.execute(
        select(ContractAmendment, EmcProject.id, EmcProject.name)
        .join(Contract, Contract.id == ContractAmendment.contract_id)
        .join(EmcProject, EmcProject.id == Contract.project_id)
        .where(
            EmcProject.id.in_(projects),
            ContractAmendment.status == AmendmentStatus.PROPOSED,
            amend_mine.is_(None),
            ContractAmendment.proposed_by_user_id != actor.user_id,
        )
        .order_by(ContractAmendment.id)
    ).all()
    stale = stale_amendments(session, [row[0] for row in waiting])
    for amendment, project_id, name in waiting:
        yield Todo(
            kind="amendment.agree",
            # Drafted against a contract or project that has changed since: only rejected now.
            title=N_("Agree to contract amendment no. %(number)s of %(project)s")
            if amendment.id not in stale
            else N_("Contract amendment no. %(number)s of %(project)s is out of date: reject it"),
            # Amendments of the project's own fields are decided on its life page.
            link=f"/projects/{project_id}/life"
            if amendment.project_changes
            else f"/projects/{project_id}",
            object_key=f"amendment:{amendment.id}",
            params={"number": amendment.number, "project": name},
            project_id=project_id,
        )
    if actor.org_kind is OrgKind.ESCO:
        # An ESCO swap waits for the incoming ESCO too, which does not see the project yet.
        for amendment, name in session.execute(
            scoped(actor, ContractAmendment)
            .join(Contract, Contract.id == ContractAmendment.contract_id)
            .join(EmcProject, EmcProject.id == Contract.project_id)
            .where(
                ContractAmendment.incoming_esco_organization_id == actor.organization_id,
                ContractAmendment.status == AmendmentStatus.PROPOSED,
                ContractAmendment.incoming_esco_agreed_by_user_id.is_(None),
            )
            .add_columns(EmcProject.name)
            .order_by(ContractAmendment.id)
        ):
            yield Todo(
                kind="amendment.agree",
                title=N_("Agree to take over %(project)s (contract amendment no. %(number)s)"),
                link=f"/amendments/{amendment.id}",
                object_key=f"amendment:{amendment.id}",
                params={"number": amendment.number, "project": name},
            )
    for adjustment, name in session.execute(
        select(CustodyFeeAdjustment, EmcProject.name)
        .join(EmcProject, EmcProject.id == CustodyFeeAdjustment.project_id)
        .where(
            EmcProject.id.in_(projects),
            CustodyFeeAdjustment.status == AmendmentStatus.PROPOSED,
            custody_mine.is_(None),
            CustodyFeeAdjustment.proposed_by_user_id != actor.user_id,
        )
        .order_by(CustodyFeeAdjustment.id)
    ):
        yield Todo(
            kind="custody.agree",
            title=N_("Agree to custody fee adjustment %(reference)s of %(project)s"),
            link=f"/projects/{adjustment.project_id}",
            object_key=f"custody-adjustment:{adjustment.id}",
            params={"reference": adjustment.reference, "project": name},
            due_on=adjustment.effective_date,
            project_id=adjustment.project_id,
        )


@todo_source
def signing_todos(session: Session, actor: Actor) -> Iterator[Todo]:
    """A proposed project waits for the signature of each party that has not signed yet: the
    institution's project managers, the contracted ESCO's admins (who agree contracts)."""
    if actor.org_kind is OrgKind.INSTITUTION:
        if not can(actor, Permission.CONTRACTS_PROJECT_MANAGE):
            return
        mine = (EmcProject.organization_id == actor.organization_id) & (
            EmcProject.institution_signed_at.is_(None)
        )
    elif actor.org_kind is OrgKind.ESCO:
        if not can(actor, Permission.CONTRACTS_CONTRACT_AGREE):
            return
        mine = (EmcProject.esco_organization_id == actor.organization_id) & (
            EmcProject.esco_signed_at.is_(None)
        )
    else:
        return
    stmt = (
        scoped(actor, EmcProject)
        .where(EmcProject.status == ProjectStatus.PROPOSED, mine)
        .order_by(EmcProject.id)
    )
    for project in session.scalars(stmt):
        yield Todo(
            kind="project.sign",
            title=N_("Sign the project: %(project)s"),
            params={"project": project.name},
            link=f"/projects/{project.id}/life",
            object_key=f"project:{project.id}",
            project_id=project.id,
        )

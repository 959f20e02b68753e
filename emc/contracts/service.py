"""Use cases for EMC projects, contracts, amendments and payment schedules.

Each function takes ``(session, actor, *, ...)``, loads through the scoped loader first (another
tenant's object is 404), then checks the permission (403), flushes but never commits, and
journals what it changed. Money is ``Decimal`` yuan throughout; the finance core computes every
amount and names the offending field of bad terms, which is mapped onto ``Invalid.fields``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from emc import clock, journal
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.contracts import finance
from emc.contracts.models import (
    LOCKED_STATUSES,
    PROJECT_TRANSITIONS,
    SIGNED_STATUSES,
    AmendmentStatus,
    Contract,
    ContractAmendment,
    EmcProject,
    Investor,
    LineStatus,
    PaymentLine,
    ProjectStatus,
    estimates_from_document,
    terms_from_document,
    terms_to_document,
)
from emc.errors import Conflict, Forbidden, Invalid, NotFound

log = logging.getLogger(__name__)

PROJECT_FIELDS = (
    "organization_id",
    "esco_organization_id",
    "name",
    "status",
    "termination_reason",
    "signed_on",
    "works_accepted_on",
    "operation_start_on",
    "term_end_on",
    "total_investment",
    "investor",
    "ecms",
)
LINE_FIELDS = (
    "status",
    "version",
    "amount",
    "due_on",
    "hold_reason",
    "prepared_by_user_id",
    "approved_by_user_id",
    "paid_by_user_id",
    "paid_on",
    "payment_reference",
)
# Line attributes that come from the finance core; regeneration compares and sets these.
_COMPUTED = (
    "source",
    "kind",
    "component",
    "contract_year",
    "period_start",
    "period_end",
    "due_on",
    "payer",
    "payee",
    "amount",
    "basis",
)
# Fixed obligations (not waiting for M&V) are regenerated with the projected schedule.
_FIXED_KINDS = frozenset(
    {
        finance.LineKind.GUARANTEE_FEE,
        finance.LineKind.CUSTODY_FEE,
        finance.LineKind.OM_FEE,
        finance.LineKind.TRUE_UP,
        finance.LineKind.LEASE_RENT,
    }
)


# --- projects ------------------------------------------------------------------------------


def list_projects(
    session: Session, actor: Actor, *, status: ProjectStatus | None = None
) -> list[EmcProject]:
    """The projects ``actor`` may see, newest first; optionally only those in ``status``."""
    require(actor, Permission.CONTRACTS_READ)
    stmt = scoped(actor, EmcProject)
    if status is not None:
        stmt = stmt.where(EmcProject.status == status)
    return list(session.scalars(stmt.order_by(EmcProject.id.desc())))


def get_project(session: Session, actor: Actor, project_id: int) -> EmcProject:
    """One visible project (NotFound otherwise)."""
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_READ)
    return project


def _check_esco(session: Session, esco_id: int | None) -> None:
    if esco_id is None:
        return
    org = session.get(Organization, esco_id)
    if org is None or org.kind is not OrgKind.ESCO or not org.is_active:
        raise Invalid(
            "unknown ESCO", fields={"esco_organization_id": ["must be an active ESCO organisation"]}
        )


def create_project(session: Session, actor: Actor, **data: Any) -> EmcProject:
    """Create a draft project of the actor's institution (institution admin / energy manager).

    ``data`` has been loaded by ``ProjectIn``; the tenant is always the actor's organisation.
    """
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    _check_esco(session, data.get("esco_organization_id"))
    project = EmcProject(
        organization_id=actor.organization_id, status=ProjectStatus.DRAFT, ecms=[], **data
    )
    session.add(project)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        project,
        organization_id=project.organization_id,
        after=journal.snapshot(project, PROJECT_FIELDS),
    )
    log.info("project %s created by %s", project.id, actor.label)
    return project


def update_project(session: Session, actor: Actor, project_id: int, **changes: Any) -> EmcProject:
    """Change a project's fields or move its status along :data:`PROJECT_TRANSITIONS`.

    Contracting needs a contract and ``signed_on``; terminating needs ``termination_reason``.
    Raises Conflict for a move the status graph does not allow.
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    before = journal.snapshot(project, PROJECT_FIELDS)
    _check_esco(session, changes.get("esco_organization_id"))
    new_status = changes.get("status", project.status)
    if new_status != project.status:
        if new_status not in PROJECT_TRANSITIONS[project.status]:
            raise Conflict(
                f"a {project.status} project cannot become {new_status}",
                fields={"status": [f"not allowed from {project.status}"]},
            )
        merged = {**before, **changes}
        if new_status is ProjectStatus.TERMINATED and not merged.get("termination_reason"):
            raise Invalid(
                "a termination needs a reason",
                fields={"termination_reason": ["required when terminating"]},
            )
        if new_status is ProjectStatus.CONTRACTED:
            if _contract_of(session, project.id) is None:
                raise Conflict(
                    "set the contract terms before contracting", fields={"status": ["no contract"]}
                )
            if not merged.get("signed_on"):
                raise Invalid(
                    "a contracted project needs its signing date",
                    fields={"signed_on": ["required when contracted"]},
                )
            if merged.get("esco_organization_id") is None:
                raise Invalid(
                    "a contracted project needs its ESCO",
                    fields={"esco_organization_id": ["required when contracted"]},
                )
    for key, value in changes.items():
        setattr(project, key, value)
    session.flush()
    journal.record(
        session,
        actor,
        "update",
        project,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(project, PROJECT_FIELDS),
    )
    return project


# --- contracts -----------------------------------------------------------------------------


def _contract_of(session: Session, project_id: int) -> Contract | None:
    return session.scalar(select(Contract).where(Contract.project_id == project_id))


def get_contract(session: Session, actor: Actor, project_id: int) -> Contract:
    """The contract of a visible project (NotFound if none yet)."""
    project = get_project(session, actor, project_id)
    contract = _contract_of(session, project.id)
    if contract is None:
        raise NotFound(f"project {project.id} has no contract yet")
    return contract


def list_amendments(session: Session, actor: Actor, contract: Contract) -> list[ContractAmendment]:
    """Amendments of a contract the actor has loaded, oldest first."""
    stmt = scoped(actor, ContractAmendment).where(ContractAmendment.contract_id == contract.id)
    return list(session.scalars(stmt.order_by(ContractAmendment.number)))


def _finance_error(error: finance.FinanceInputError) -> Invalid:
    if isinstance(error, finance.SavingsInputError) and error.field.startswith("estimates"):
        path = "savings_estimates" + error.field[len("estimates") :]
    else:
        path = f"terms.{error.field}"
    return Invalid(f"invalid contract terms: {error}", fields={path: [error.message]})


def check_terms(
    document: dict[str, Any], estimates: list[dict[str, Any]]
) -> tuple[finance.ContractTerms, tuple[finance.SavingsEstimate, ...]]:
    """Decode and validate a terms document and savings estimates with the finance core.

    Raises Invalid whose ``fields`` name the bad value (``terms.components[0].shares[1].share``,
    ``savings_estimates[0].unit``).
    """
    try:
        terms = terms_from_document(document)
        parsed = estimates_from_document(estimates)
        finance.validate_terms(terms)
        # The estimates must fit the terms (priced carriers, units, years).
        finance.projected_schedule(terms, parsed)
    except finance.FinanceInputError as error:
        raise _finance_error(error) from None
    return terms, parsed


def set_contract_terms(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    terms: dict[str, Any],
    savings_estimates: list[dict[str, Any]] | None = None,
    reason: str | None = None,
) -> tuple[Contract, ContractAmendment | None]:
    """Set the terms of an unsigned contract, or propose an amendment to a signed one.

    Before signing, the terms are replaced (the contract version goes up). After signing, an
    amendment with ``reason`` is recorded with the terms before and after; it applies once
    both parties' admins agree (:func:`agree_amendment`). Returns (contract, amendment or None).
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    parsed, _ = check_terms(terms, savings_estimates or [])
    document = terms_to_document(parsed)
    estimates = list(savings_estimates or [])
    contract = _contract_of(session, project.id)
    if project.status not in SIGNED_STATUSES:
        if contract is None:
            contract = Contract(project_id=project.id, contract_type=parsed.contract_type, terms={})
            session.add(contract)
            before = None
        else:
            before = {"terms": contract.terms, "savings_estimates": contract.savings_estimates}
        contract.contract_type = parsed.contract_type
        contract.terms = document
        contract.savings_estimates = estimates
        session.flush()
        journal.record(
            session,
            actor,
            "set_terms",
            contract,
            organization_id=project.organization_id,
            before=before,
            after={"terms": document, "savings_estimates": estimates},
        )
        return contract, None
    if project.status in (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED):
        raise Conflict(f"a {project.status} project's contract cannot be amended")
    if not reason:
        raise Invalid(
            "an amendment to a signed contract needs a reason",
            fields={"reason": ["required for an amendment"]},
        )
    number = len(list_amendments(session, actor, contract)) + 1
    amendment = ContractAmendment(
        contract_id=contract.id,
        number=number,
        reason=reason,
        terms_before=contract.terms,
        terms_after=document,
        estimates_after=estimates,
        base_version=contract.version,
        proposed_by_user_id=actor.user_id,
    )
    session.add(amendment)
    session.flush()
    journal.record(
        session,
        actor,
        "propose",
        amendment,
        organization_id=project.organization_id,
        before={"terms": contract.terms},
        after={"terms": document, "reason": reason},
    )
    return contract, amendment


def agree_amendment(
    session: Session, actor: Actor, project_id: int, amendment_id: int
) -> ContractAmendment:
    """Record one party's agreement (an admin of the institution or of the ESCO); once both
    have agreed, the new terms replace the contract's. Conflict if the contract changed since
    the amendment was drafted."""
    project = load(session, actor, EmcProject, project_id)
    amendment = load(session, actor, ContractAmendment, amendment_id)
    contract = _contract_of(session, project.id)
    if contract is None or amendment.contract_id != contract.id:
        raise NotFound(f"amendment {amendment_id} not found")
    require(actor, Permission.CONTRACTS_CONTRACT_AGREE)
    if amendment.status is AmendmentStatus.AGREED:
        raise Conflict("this amendment has already been agreed by both parties")
    now = clock.now()
    if actor.organization_id == project.organization_id:
        if amendment.institution_agreed_by_user_id is not None:
            raise Conflict("the institution has already agreed to this amendment")
        amendment.institution_agreed_by_user_id, amendment.institution_agreed_at = (
            actor.user_id,
            now,
        )
    elif actor.organization_id == project.esco_organization_id:
        if amendment.esco_agreed_by_user_id is not None:
            raise Conflict("the ESCO has already agreed to this amendment")
        amendment.esco_agreed_by_user_id, amendment.esco_agreed_at = actor.user_id, now
    else:
        raise Forbidden("only the contracting parties agree to an amendment")
    applied = False
    if amendment.institution_agreed_by_user_id and amendment.esco_agreed_by_user_id:
        if contract.version != amendment.base_version:
            raise Conflict(
                "the contract has changed since this amendment was drafted: propose it again"
            )
        before = {"terms": contract.terms, "savings_estimates": contract.savings_estimates}
        amendment.status = AmendmentStatus.AGREED
        contract.terms = amendment.terms_after
        contract.contract_type = finance.ContractType(amendment.terms_after["contract_type"])
        contract.savings_estimates = amendment.estimates_after
        applied = True
    session.flush()
    journal.record(
        session,
        actor,
        "agree",
        amendment,
        organization_id=project.organization_id,
        summary=f"amendment {amendment.number} agreed by {actor.org_kind}",
    )
    if applied:
        journal.record(
            session,
            actor,
            "amend",
            contract,
            organization_id=project.organization_id,
            before=before,
            after={"terms": contract.terms, "savings_estimates": contract.savings_estimates},
            summary=f"amendment {amendment.number}: {amendment.reason}",
        )
    return amendment


# --- schedules -----------------------------------------------------------------------------


@dataclass
class UpsertReport:
    """What an upsert of schedule lines did; ``conflicts`` are keys of approved or paid lines
    the new computation would change (left untouched, for finance to resolve)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    conflicts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "conflicts": list(self.conflicts),
        }


def line_values(line: finance.ScheduleLine) -> dict[str, Any]:
    """The stored attributes of a finance-core line."""
    return {
        "key": line.key,
        "source": line.source,
        "kind": line.kind,
        "component": line.component,
        "contract_year": line.contract_year,
        "period_start": line.period_start,
        "period_end": line.period_end,
        "due_on": line.due_date,
        "payer": line.payer,
        "payee": line.payee,
        "amount": line.amount,
        "basis": line.basis,
    }


def _upsert(
    session: Session,
    project: EmcProject,
    lines: Iterable[finance.ScheduleLine],
    replaces: Callable[[PaymentLine], bool],
) -> UpsertReport:
    """Insert new keys, update changed unlocked lines, remove unlocked lines ``replaces`` says
    this computation owns but no longer produces. Approved and paid lines are never altered."""
    report = UpsertReport()
    existing = {
        line.key: line
        for line in session.scalars(select(PaymentLine).where(PaymentLine.project_id == project.id))
    }
    new_rows = []
    seen = set()
    for line in lines:
        values = line_values(line)
        seen.add(line.key)
        row = existing.get(line.key)
        if row is None:
            new_rows.append(
                {**values, "project_id": project.id, "status": LineStatus.SCHEDULED, "version": 1}
            )
            continue
        if all(getattr(row, name) == values[name] for name in _COMPUTED):
            report.unchanged += 1
            continue
        if row.status in LOCKED_STATUSES:
            report.conflicts.append(line.key)
            continue
        for name in _COMPUTED:
            setattr(row, name, values[name])
        if row.status is LineStatus.PREPARED:
            # The amount changed after preparation: it must be prepared again.
            row.status, row.prepared_by_user_id, row.prepared_at = LineStatus.SCHEDULED, None, None
        report.updated += 1
    for key, row in existing.items():
        if key in seen or not replaces(row):
            continue
        if row.status in LOCKED_STATUSES:
            report.conflicts.append(key)
        else:
            session.delete(row)
            report.removed += 1
    if new_rows:
        session.execute(insert(PaymentLine), new_rows)
        report.created = len(new_rows)
    session.flush()
    return report


def _contract_inputs(
    session: Session, project: EmcProject
) -> tuple[finance.ContractTerms, tuple[finance.SavingsEstimate, ...]]:
    contract = _contract_of(session, project.id)
    if contract is None:
        raise Conflict("the project has no contract terms yet", fields={"contract": ["missing"]})
    try:
        return terms_from_document(contract.terms), estimates_from_document(
            contract.savings_estimates
        )
    except finance.FinanceInputError as error:
        raise _finance_error(error) from None


def regenerate_schedule(session: Session, actor: Actor, project_id: int) -> UpsertReport:
    """(Re)generate the projected schedule and the contractual fixed lines of the whole term.

    Idempotent: the same contract gives the same keys and amounts, so a second run changes
    nothing. Lines already approved or paid are never altered; the keys the new computation
    would change are reported in ``conflicts``.
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    terms, estimates = _contract_inputs(session, project)
    try:
        lines = finance.projected_schedule(terms, estimates) + finance.contractual_lines(terms)
    except finance.FinanceInputError as error:
        raise _finance_error(error) from None
    report = _upsert(
        session,
        project,
        lines,
        lambda row: row.source is finance.LineSource.PROJECTED or row.kind in _FIXED_KINDS,
    )
    journal.record(
        session,
        actor,
        "regenerate_schedule",
        project,
        organization_id=project.organization_id,
        after=report.as_dict(),
        summary=f"{report.created} created, {report.updated} updated, "
        f"{report.removed} removed, {len(report.conflicts)} conflicts",
    )
    return report


def record_actual_savings(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    period_start: dt.date,
    period_end: dt.date,
    savings: list[dict[str, Any]],
    accepted_on: dt.date,
) -> UpsertReport:
    """Add the actual payment lines of an accepted M&V result over ``[period_start, period_end)``.

    ``savings``: ``[{"carrier", "unit", "quantity": Decimal}]`` verified savings per carrier,
    in the unit of the contract price. A re-issued result for the same period replaces its
    unlocked lines (same keys); approved or paid lines are reported as conflicts.
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    terms, _ = _contract_inputs(session, project)
    result = finance.MvResult(
        period_start=period_start,
        period_end=period_end,
        savings=tuple(
            finance.EnergyQuantity(s["carrier"], s["unit"], Decimal(s["quantity"])) for s in savings
        ),
        accepted_on=accepted_on,
    )
    try:
        lines = finance.actual_lines(terms, result)
    except finance.FinanceInputError as error:
        path = error.field.removeprefix("result.")
        key = path if path != error.field else f"terms.{path}"
        raise Invalid(f"invalid M&V result: {error}", fields={key: [error.message]}) from None
    keys = {line.key for line in lines}
    report = _upsert(session, project, lines, lambda row: False)
    journal.record(
        session,
        actor,
        "record_actual",
        project,
        organization_id=project.organization_id,
        after={
            "period_start": period_start,
            "period_end": period_end,
            "accepted_on": accepted_on,
            "lines": sorted(keys),
            **report.as_dict(),
        },
    )
    return report


def list_lines(
    session: Session, actor: Actor, project_id: int, *, source: finance.LineSource | None = None
) -> list[PaymentLine]:
    """A visible project's schedule lines by due date, period and key."""
    project = get_project(session, actor, project_id)
    stmt = scoped(actor, PaymentLine).where(PaymentLine.project_id == project.id)
    if source is not None:
        stmt = stmt.where(PaymentLine.source == source)
    return list(
        session.scalars(
            stmt.order_by(PaymentLine.period_start, PaymentLine.due_on, PaymentLine.key)
        )
    )


def get_line(session: Session, actor: Actor, line_id: int) -> PaymentLine:
    """One visible payment line (NotFound otherwise)."""
    line = load(session, actor, PaymentLine, line_id)
    require(actor, Permission.CONTRACTS_READ)
    return line


def finance_queue(session: Session, actor: Actor) -> list[PaymentLine]:
    """Actual lines that need a finance action (scheduled, prepared, approved or on hold)."""
    require(actor, Permission.CONTRACTS_PAYMENT_PREPARE)
    stmt = scoped(actor, PaymentLine).where(
        PaymentLine.source == finance.LineSource.ACTUAL,
        PaymentLine.status.in_(
            [LineStatus.SCHEDULED, LineStatus.PREPARED, LineStatus.APPROVED, LineStatus.ON_HOLD]
        ),
    )
    return list(session.scalars(stmt.order_by(PaymentLine.due_on, PaymentLine.id)))


# --- the payment workflow ------------------------------------------------------------------


def _transition(
    session: Session,
    actor: Actor,
    line_id: int,
    *,
    version: int,
    permission: Permission,
    allowed: frozenset[LineStatus],
    action: str,
    apply: Callable[[PaymentLine], None],
) -> PaymentLine:
    line = load(session, actor, PaymentLine, line_id)
    require(actor, permission)
    if line.source is not finance.LineSource.ACTUAL:
        raise Conflict("projected lines are the forecast: only actual lines are paid")
    if version != line.version:
        raise Conflict(
            f"this payment line has changed since you loaded it (version {version}, now "
            f"{line.version}, status {line.status}): reload and check before you {action} it",
            fields={"version": [f"stale: the current version is {line.version}"]},
        )
    if line.status not in allowed:
        raise Conflict(
            f"a {line.status} line cannot be {action}d",
            fields={"status": [f"must be one of {', '.join(sorted(allowed))}"]},
        )
    before = journal.snapshot(line, LINE_FIELDS)
    apply(line)
    try:
        # The UPDATE is conditional on the version read: a concurrent change makes it miss.
        session.flush()
    except StaleDataError:
        raise Conflict(
            f"this payment line was changed by someone else at the same time: reload before you "
            f"{action} it",
            fields={"version": ["stale"]},
        ) from None
    project = session.get(EmcProject, line.project_id)
    journal.record(
        session,
        actor,
        action,
        line,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(line, LINE_FIELDS),
        summary=f"{line.key} {line.amount}",
    )
    log.info("payment line %s %s by %s", line.id, action, actor.label)
    return line


def prepare_line(session: Session, actor: Actor, line_id: int, *, version: int) -> PaymentLine:
    """Finance prepares a scheduled actual line for payment (records the preparer)."""

    def apply(line: PaymentLine) -> None:
        line.status, line.prepared_by_user_id, line.prepared_at = (
            LineStatus.PREPARED,
            actor.user_id,
            clock.now(),
        )

    return _transition(
        session,
        actor,
        line_id,
        version=version,
        permission=Permission.CONTRACTS_PAYMENT_PREPARE,
        allowed=frozenset({LineStatus.SCHEDULED}),
        action="prepare",
        apply=apply,
    )


def approve_line(session: Session, actor: Actor, line_id: int, *, version: int) -> PaymentLine:
    """A second finance user approves a prepared line. Forbidden to the user who prepared it
    (separation of duties); Conflict if ``version`` is stale (so a line is approved once)."""

    def apply(line: PaymentLine) -> None:
        if line.prepared_by_user_id == actor.user_id:
            raise Forbidden(
                "separation of duties: you prepared this payment line, so another finance "
                "user must approve it",
                code="separation_of_duties",
            )
        line.status, line.approved_by_user_id, line.approved_at = (
            LineStatus.APPROVED,
            actor.user_id,
            clock.now(),
        )

    return _transition(
        session,
        actor,
        line_id,
        version=version,
        permission=Permission.CONTRACTS_PAYMENT_APPROVE,
        allowed=frozenset({LineStatus.PREPARED}),
        action="approve",
        apply=apply,
    )


def pay_line(
    session: Session,
    actor: Actor,
    line_id: int,
    *,
    version: int,
    paid_on: dt.date,
    payment_reference: str,
) -> PaymentLine:
    """Record the payment of an approved line (bank reference and value date). A stale
    ``version`` is a Conflict, so a line is never paid twice."""

    def apply(line: PaymentLine) -> None:
        line.status, line.paid_on, line.payment_reference, line.paid_by_user_id = (
            LineStatus.PAID,
            paid_on,
            payment_reference,
            actor.user_id,
        )

    return _transition(
        session,
        actor,
        line_id,
        version=version,
        permission=Permission.CONTRACTS_PAYMENT_PAY,
        allowed=frozenset({LineStatus.APPROVED}),
        action="pay",
        apply=apply,
    )


def hold_line(
    session: Session, actor: Actor, line_id: int, *, version: int, reason: str
) -> PaymentLine:
    """Put an unpaid actual line on hold with a reason (e.g. an M&V dispute)."""

    def apply(line: PaymentLine) -> None:
        line.status, line.hold_reason = LineStatus.ON_HOLD, reason

    return _transition(
        session,
        actor,
        line_id,
        version=version,
        permission=Permission.CONTRACTS_PAYMENT_PREPARE,
        allowed=frozenset({LineStatus.SCHEDULED, LineStatus.PREPARED, LineStatus.APPROVED}),
        action="hold",
        apply=apply,
    )


def release_line(session: Session, actor: Actor, line_id: int, *, version: int) -> PaymentLine:
    """Release a hold. A line that had been prepared returns to ``prepared`` and any earlier
    approval is withdrawn (the held amount must be approved afresh); otherwise ``scheduled``."""

    def apply(line: PaymentLine) -> None:
        line.status = LineStatus.PREPARED if line.prepared_by_user_id else LineStatus.SCHEDULED
        line.approved_by_user_id, line.approved_at, line.hold_reason = None, None, None

    return _transition(
        session,
        actor,
        line_id,
        version=version,
        permission=Permission.CONTRACTS_PAYMENT_PREPARE,
        allowed=frozenset({LineStatus.ON_HOLD}),
        action="release",
        apply=apply,
    )


# --- economics -----------------------------------------------------------------------------

HALF = Decimal("0.5")


def economics_assumptions(
    project: EmcProject, terms: finance.ContractTerms
) -> finance.EconomicsAssumptions:
    """Who invests what, from the project: ``total_investment`` falls on the ``investor`` at
    signing (t = 0). ``shared``: half each (an odd fen falls on the institution). ``lessor``: the ESCO builds the measures and sells
    the equipment to the lessor for the lease principal (received at t = 0); the lessor is not
    analysed. No own running costs are known to the platform, so none are assumed."""
    total = project.total_investment or Decimal("0.00")
    investor = project.investor
    esco = institution = Decimal("0.00")
    extra: list[finance.CashFlowItem] = []
    if investor is Investor.ESCO or investor is Investor.LESSOR:
        esco = total
    elif investor is Investor.INSTITUTION:
        institution = total
    else:
        esco = (total * HALF).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        institution = total - esco
    if investor is Investor.LESSOR:
        for component in terms.components:
            if isinstance(component, finance.FinanceLeaseTerms):
                extra.append(
                    finance.CashFlowItem(
                        finance.Party.ESCO, 0, component.principal, "equipment sold to lessor"
                    )
                )
    return finance.EconomicsAssumptions(
        esco_investment=esco, institution_investment=institution, extra=tuple(extra)
    )


@dataclass
class ProjectEconomics:
    """A project's projected economics, sensitivity and projected vs actual by contract year."""

    assumptions: finance.EconomicsAssumptions
    result: finance.ContractEconomics
    cases: tuple[finance.SensitivityCase, ...]
    # [{"contract_year", "projected", "actual"}]: net paid by the institution under the
    # schedule (projected lines vs actual lines), a sum of the stored fen-rounded lines.
    by_year: list[dict[str, Any]]


def _net_paid_by_institution(line: PaymentLine) -> Decimal:
    if line.payer is finance.Party.INSTITUTION:
        return line.amount
    if line.payee is finance.Party.INSTITUTION:
        return -line.amount
    return Decimal("0.00")


def project_economics(session: Session, actor: Actor, project_id: int) -> ProjectEconomics:
    """NPV, IRR and paybacks of the institution and the ESCO from the contract terms and the
    project's investment, the sensitivity table, and the stored schedule by contract year.
    Conflict if the project has no contract terms; Invalid naming the field for bad terms."""
    project = get_project(session, actor, project_id)
    terms, estimates = _contract_inputs(session, project)
    assumptions = economics_assumptions(project, terms)
    try:
        result = finance.projected_economics(terms, estimates, assumptions)
        cases = finance.sensitivity(terms, estimates, assumptions)
    except finance.FinanceInputError as error:
        raise _finance_error(error) from None
    years: dict[int, dict[str, Any]] = {
        y: {"contract_year": y, "projected": Decimal("0.00"), "actual": Decimal("0.00")}
        for y in range(1, terms.term_years + 1)
    }
    for line in list_lines(session, actor, project.id):
        row = years.setdefault(
            line.contract_year,
            {
                "contract_year": line.contract_year,
                "projected": Decimal("0.00"),
                "actual": Decimal("0.00"),
            },
        )
        row[line.source.value] += _net_paid_by_institution(line)
    return ProjectEconomics(
        assumptions=assumptions,
        result=result,
        cases=cases,
        by_year=[years[y] for y in sorted(years)],
    )

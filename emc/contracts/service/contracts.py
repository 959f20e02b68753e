"""Contract terms and amendments: set the terms before signing, propose an amendment with a
reason after, and record each party's agreement (both apply it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import clock, journal, workflow
from emc.auth.actor import Actor
from emc.auth.models import User
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, require, require_amendment_proposer, scoped
from emc.contracts import finance
from emc.contracts.documents import decode_terms_all
from emc.contracts.models import (
    SIGNED_STATUSES,
    AmendmentStatus,
    Contract,
    ContractAmendment,
    EmcProject,
    Investor,
    ProjectStatus,
    estimates_from_document,
    terms_from_document,
    terms_to_document,
)
from emc.contracts.service._common import (
    PROJECT_FIELDS,
    add_numbered,
    contract_of,
    finance_error,
)
from emc.contracts.service.adjustments import check_terms_fit_adjustments
from emc.contracts.service.projects import (
    CONSENT_FIELDS,
    PROJECT,
    _check_esco,
    _date_order,
    _stale,
    get_project,
)
from emc.errors import Conflict, Invalid, NotFound
from emc.i18n import N_
from emc.messages import msg, record
from emc.messages import state as state_word
from emc.workflow import tables

_CLOSED = (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED)


def get_contract(session: Session, actor: Actor, project_id: int) -> Contract:
    """The contract of a visible project (NotFound if none yet)."""
    project = get_project(session, actor, project_id)
    contract = contract_of(session, project.id)
    if contract is None:
        raise NotFound(msg("contracts.no_contract_yet", project=project.id))
    return contract


def list_amendments(session: Session, actor: Actor, contract: Contract) -> list[ContractAmendment]:
    """Amendments of a contract the actor has loaded, oldest first."""
    stmt = scoped(actor, ContractAmendment).where(ContractAmendment.contract_id == contract.id)
    return list(session.scalars(stmt.order_by(ContractAmendment.number)))


def check_terms(
    document: dict[str, Any], estimates: list[dict[str, Any]]
) -> tuple[finance.ContractTerms, tuple[finance.SavingsEstimate, ...]]:
    """Decode and validate a terms document and savings estimates with the finance core.

    Raises Invalid whose ``fields`` name the bad value (``terms.components[0].shares[1].share``,
    ``savings_estimates[0].unit``).
    """
    # Every bad field at once (a form shows them all after one submit): the document's bad
    # leaves, then what validation finds in the rest of it.
    terms, problems = decode_terms_all(document)
    found = list(problems)
    try:
        parsed = estimates_from_document(estimates)
    except finance.FinanceInputError as error:
        found.extend(finance.each_error(error))
    if terms is not None:
        try:
            finance.validate_terms(terms, tolerant=bool(problems))
        except finance.FinanceInputError as error:
            bad = [p.field for p in problems]
            found.extend(e for e in finance.each_error(error) if not _related(e.field, bad))
    try:
        if found:
            raise finance.ContractTermsErrors(found)
        # The estimates must fit the terms (priced carriers, units, years).
        finance.projected_schedule(terms, parsed)
    except finance.FinanceInputError as error:
        raise finance_error(error) from None
    return terms, parsed


def _related(path: str, others: list[str]) -> bool:
    # A check of a value that did not decode (or of what holds it) repeats its decoding error.
    return any(
        path == o or path.startswith((f"{o}.", f"{o}[")) or o.startswith((f"{path}.", f"{path}["))
        for o in others
    )


def set_contract_terms(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    terms: dict[str, Any],
    savings_estimates: list[dict[str, Any]] | None = None,
    reason: str | None = None,
    version: int | None = None,
) -> tuple[Contract, ContractAmendment | None]:
    """Set the terms of an unsigned contract, or propose an amendment to a signed one.

    Before signing, the institution's project managers replace the terms (the contract version
    goes up). After signing, either party proposes (the institution's project managers, the
    contracted ESCO's admins): an amendment with ``reason`` is recorded with the terms before
    and after; it applies once both parties' admins agree (:func:`agree_amendment`), and a
    proposer who may agree has agreed by proposing. ``version``, when given, is the
    contract version the caller edited (0: no contract yet); Conflict, nothing written, if
    the contract has changed since. Returns (contract, amendment or None).
    """
    project = load(session, actor, EmcProject, project_id)
    if project.status in SIGNED_STATUSES and project.status not in _CLOSED:
        require_amendment_proposer(actor, project)  # either party proposes
    else:  # draft terms; a closed project's managers learn its state below (409)
        require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    contract = contract_of(session, project.id)
    current = contract.version if contract is not None else 0
    if version is not None and version != current:
        raise Conflict(
            msg("contracts.terms_stale", seen=version, version=current),
            fields={"version": [msg("workflow.stale_field", version=current)]},
        )
    parsed, _ = check_terms(terms, savings_estimates or [])
    document = terms_to_document(parsed)
    estimates = list(savings_estimates or [])
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
    if project.status in _CLOSED:
        raise Conflict(msg("contracts.not_amendable", state=state_word(project.status)))
    check_terms_fit_adjustments(session, project.id, parsed)
    if not reason:
        raise Invalid(
            msg("contracts.amendment_signed_contract_needs_reason"),
            fields={"reason": [msg("contracts.required_for_amendment")]},
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
    _proposer_agrees(actor, project, amendment)
    add_numbered(session, amendment, "amendment")
    journal.record(
        session,
        actor,
        "propose",
        amendment,
        organization_id=project.organization_id,
        before={"terms": contract.terms},
        after={"terms": document, "reason": reason},
    )
    workflow.created(session, actor, AMENDMENT, amendment)
    return contract, amendment


def stale_amendments(session: Session, amendments: Iterable[ContractAmendment]) -> set[int]:
    """Ids of the proposed amendments that can no longer be agreed, only rejected or withdrawn
    and proposed again: drafted against a contract version that has changed since (another
    amendment applied), or, for a project amendment, against project values that have moved
    since (the checks :func:`agree_amendment` makes). The caller has already loaded the
    amendments within the actor's scope."""
    proposed = [a for a in amendments if a.status is AmendmentStatus.PROPOSED]
    if not proposed:
        return set()
    contracts = {
        row.id: row
        for row in session.execute(
            select(Contract.id, Contract.version, Contract.project_id).where(
                Contract.id.in_({a.contract_id for a in proposed})
            )
        )
    }
    projects = {
        p.id: p
        for p in session.scalars(
            select(EmcProject).where(EmcProject.id.in_({c.project_id for c in contracts.values()}))
        )
    }
    stale = set()
    for a in proposed:
        contract = contracts.get(a.contract_id)
        if contract is None or contract.version != a.base_version:
            stale.add(a.id)
            continue
        project = projects.get(contract.project_id)
        if project is not None and _moved_since(project, a):
            stale.add(a.id)
    return stale


def _moved_since(project: EmcProject, amendment: ContractAmendment) -> list[str]:
    """The project fields a project amendment was proposed against that have changed since."""
    expected = _project_values((amendment.project_changes or {}).get("before", {}))
    return [k for k, v in expected.items() if getattr(project, k) != v]


def _proposer_agrees(actor: Actor, project: EmcProject, amendment: ContractAmendment) -> None:
    """A proposer who may agree to contracts agrees by proposing: only the other party (and an
    incoming ESCO) is left to agree. A project manager without that right leaves their own
    side's agreement to its admins."""
    if not can(actor, Permission.CONTRACTS_CONTRACT_AGREE):
        return
    side = "institution" if actor.organization_id == project.organization_id else "esco"
    setattr(amendment, f"{side}_agreed_by_user_id", actor.user_id)
    setattr(amendment, f"{side}_agreed_at", clock.now())


def _amendment_parties(session: Session, amendment: ContractAmendment) -> workflow.Parties:
    contract = session.get(Contract, amendment.contract_id)
    project = session.get(EmcProject, contract.project_id)
    proposer = session.get(User, amendment.proposed_by_user_id)
    return workflow.Parties.of_project(
        project,
        proposer_org_id=proposer.organization_id if proposer is not None else None,
        incoming_esco_id=amendment.incoming_esco_organization_id,
    )


AMENDMENT = workflow.Binding(
    tables.AMENDMENT,
    ContractAmendment,
    _amendment_parties,
    ("number", "status", "reason", "project_changes", "decision_comment"),
    # Its own page: every party sees it there (an incoming ESCO sees no more of the project).
    link=lambda a: f"/amendments/{a.id}",
)


def _amendment_of(
    session: Session, actor: Actor, project_id: int, amendment_id: int
) -> tuple[EmcProject, Contract, ContractAmendment]:
    # Through the amendment: an incoming ESCO sees it without seeing its project.
    amendment = load(session, actor, ContractAmendment, amendment_id)
    contract = session.get(Contract, amendment.contract_id)
    if contract is None or contract.project_id != project_id:
        raise NotFound(msg("not_found", what=record("ContractAmendment"), id=amendment_id))
    return session.get(EmcProject, project_id), contract, amendment


def get_amendment(
    session: Session, actor: Actor, amendment_id: int
) -> tuple[EmcProject, ContractAmendment]:
    """A visible amendment and its project (whose name and parties the amendment page shows:
    an incoming ESCO sees no more of the project than that). NotFound if not visible."""
    amendment = load(session, actor, ContractAmendment, amendment_id)
    contract = session.get(Contract, amendment.contract_id)
    return session.get(EmcProject, contract.project_id), amendment


def _project_values(changes: dict[str, Any]) -> dict[str, Any]:
    """A project amendment's stored values (JSON) as the project's attribute values."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if value is None:
            out[name] = None
        elif name.endswith("_on"):
            out[name] = dt.date.fromisoformat(value)
        elif name == "total_investment":
            out[name] = Decimal(value)
        elif name == "investor":
            out[name] = Investor(value)
        else:
            out[name] = value
    return out


def propose_project_amendment(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    reason: str,
    version: int | None = None,
    **changes: Any,
) -> ContractAmendment:
    """Propose a change of a signed project's own consent fields (ESCO, dates, investment,
    investor: :data:`emc.contracts.service.CONSENT_FIELDS`) as a contract amendment. Either
    party proposes (the institution's project managers, the ESCO's admins: a proposer who may
    agree agrees by proposing); it applies once both parties agree (:func:`agree_amendment`)
    and, when it swaps the ESCO, the incoming ESCO too, as long as the project still has the
    values it was proposed against. ``version`` is the project's row version the user saw.

    Raises:
        Conflict: the project is not signed (edit it directly) or is closed; stale version.
        Invalid: no reason, no change, an unknown field, an inactive or non-ESCO organisation.
    """
    project = load(session, actor, EmcProject, project_id)
    require_amendment_proposer(actor, project)
    _stale(project, version)
    if project.status not in SIGNED_STATUSES:
        raise Conflict(
            msg("contracts.project_not_signed_yet_edit"),
            fields={"status": [msg("contracts.not_signed_edit_project_instead")]},
        )
    if project.status in (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED):
        raise Conflict(msg("contracts.not_amendable", state=state_word(project.status)))
    unknown = sorted(set(changes) - set(CONSENT_FIELDS))
    if unknown:
        raise Invalid(
            msg("contracts.only_project_s_parties_dates"),
            fields={k: [N_("not changed by an amendment")] for k in unknown},
        )
    changed = {k: v for k, v in changes.items() if getattr(project, k) != v}
    if not changed:
        raise Invalid(
            msg("contracts.amendment_changes_nothing"),
            fields={"reason": [msg("contracts.change_at_least_one_value")]},
        )
    if not (reason or "").strip():
        raise Invalid(
            msg("contracts.amendment_needs_reason"),
            fields={"reason": [msg("contracts.required_for_amendment")]},
        )
    if "esco_organization_id" in changed:
        if changed["esco_organization_id"] is None:
            raise Invalid(
                msg("contracts.signed_project_keeps_esco"),
                fields={"esco_organization_id": [msg("contracts.choose_new_esco")]},
            )
        _check_esco(session, changed["esco_organization_id"])
    _date_order(
        {
            k: changed.get(k, getattr(project, k))
            for k in ("signed_on", "works_accepted_on", "operation_start_on", "term_end_on")
        }
    )
    contract = contract_of(session, project.id)
    if contract is None:
        raise Conflict(
            msg("contracts.project_has_no_contract"),
            fields={"status": [msg("contracts.no_contract")]},
        )
    amendment = ContractAmendment(
        contract_id=contract.id,
        number=len(list_amendments(session, actor, contract)) + 1,
        reason=reason.strip(),
        terms_before=contract.terms,
        terms_after=contract.terms,
        estimates_after=contract.savings_estimates,
        base_version=contract.version,
        proposed_by_user_id=actor.user_id,
        project_changes={
            "before": {k: journal.jsonable(getattr(project, k)) for k in changed},
            "after": {k: journal.jsonable(v) for k, v in changed.items()},
        },
        incoming_esco_organization_id=changed.get("esco_organization_id"),
    )
    _proposer_agrees(actor, project, amendment)
    add_numbered(session, amendment, "amendment")
    journal.record(
        session,
        actor,
        "propose",
        amendment,
        organization_id=project.organization_id,
        before=amendment.project_changes["before"],
        after={**amendment.project_changes["after"], "reason": amendment.reason},
    )
    workflow.created(session, actor, AMENDMENT, amendment)
    return amendment


def agree_amendment(
    session: Session,
    actor: Actor,
    project_id: int,
    amendment_id: int,
    *,
    version: int | None = None,
) -> ContractAmendment:
    """Record one party's agreement (the institution's or the ESCO's admin, or the incoming
    ESCO's of an ESCO swap); once every party needed has agreed, the new terms replace the
    contract's and the project changes it carries apply.
    ``version`` is the amendment's row version the user saw. Conflict if the contract or the
    project changed since the amendment was drafted, or it is no longer proposed."""
    project, contract, amendment = _amendment_of(session, actor, project_id, amendment_id)
    if amendment.status is AmendmentStatus.AGREED and (
        version is None or version == amendment.row_version
    ):
        raise Conflict(msg("contracts.amendment_has_already_been_agreed"))
    before: dict[str, Any] = {}

    def apply(row: ContractAmendment) -> None:
        if contract.version != row.base_version:
            raise Conflict(msg("contracts.contract_has_changed_since_amendment"))
        try:
            # A custody fee adjustment agreed since the proposal must still compute.
            check_terms_fit_adjustments(session, project.id, terms_from_document(row.terms_after))
        except Invalid as error:
            raise Conflict(
                msg("contracts.propose_amendment_again", problem=error.message)
            ) from None
        moved = _moved_since(project, row)
        if moved:
            raise Conflict(
                msg("contracts.project_has_changed_since_amendment"),
                fields={k: [N_("changed since the amendment was proposed")] for k in moved},
            )
        before.update(terms=contract.terms, savings_estimates=contract.savings_estimates)

    def effects(row: ContractAmendment) -> None:
        if row.terms_after != contract.terms or row.estimates_after != contract.savings_estimates:
            contract.terms = row.terms_after
            contract.contract_type = finance.ContractType(row.terms_after["contract_type"])
            contract.savings_estimates = row.estimates_after
            session.flush()
            journal.record(
                session,
                actor,
                "amend",
                contract,
                organization_id=project.organization_id,
                before=before,
                after={"terms": contract.terms, "savings_estimates": contract.savings_estimates},
                summary=f"amendment {row.number}: {row.reason}",
            )
        after = _project_values((row.project_changes or {}).get("after", {}))
        if after:
            previous = journal.snapshot(project, PROJECT_FIELDS)
            workflow.claim(session, PROJECT, project, "amend")
            for name, value in after.items():
                setattr(project, name, value)
            workflow.flush(session, PROJECT, project, "amend")
            journal.record(
                session,
                actor,
                "amend",
                project,
                organization_id=project.organization_id,
                before=previous,
                after=journal.snapshot(project, PROJECT_FIELDS),
                summary=f"amendment {row.number}: {row.reason}",
            )

    return workflow.transition(
        session,
        actor,
        AMENDMENT,
        "agree",
        amendment.id,
        version=version,
        apply=apply,
        effects=effects,
        summary=f"amendment {amendment.number} agreed by {actor.org_kind}",
        obj=amendment,
    )


def reject_amendment(
    session: Session,
    actor: Actor,
    project_id: int,
    amendment_id: int,
    *,
    comment: str,
    version: int | None = None,
) -> ContractAmendment:
    """A party that did not propose an amendment (an incoming ESCO included) rejects it, with
    a comment; it never applies. Conflict unless proposed (or stale)."""
    _project, _contract, amendment = _amendment_of(session, actor, project_id, amendment_id)

    def check(_row, _parties) -> None:
        if not (comment or "").strip():
            raise Invalid(
                msg("mv.rejection_needs_comment"), fields={"comment": [msg("field.required")]}
            )

    def apply(row: ContractAmendment) -> None:
        row.decision_comment = comment.strip()

    return workflow.transition(
        session,
        actor,
        AMENDMENT,
        "reject",
        amendment.id,
        version=version,
        check=check,
        apply=apply,
        params={"comment": (comment or "").strip()},
        obj=amendment,
    )


def withdraw_amendment(
    session: Session,
    actor: Actor,
    project_id: int,
    amendment_id: int,
    *,
    version: int | None = None,
) -> ContractAmendment:
    """The proposing party withdraws a proposed amendment; it never applies."""
    _project, _contract, amendment = _amendment_of(session, actor, project_id, amendment_id)
    return workflow.transition(
        session, actor, AMENDMENT, "withdraw", amendment.id, version=version, obj=amendment
    )

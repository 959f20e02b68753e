"""Contract terms and amendments: set the terms before signing, propose an amendment with a
reason after, and record each party's agreement (both apply it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from emc import clock, journal
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.contracts import finance
from emc.contracts.models import (
    SIGNED_STATUSES,
    AmendmentStatus,
    Contract,
    ContractAmendment,
    EmcProject,
    ProjectStatus,
    estimates_from_document,
    terms_from_document,
    terms_to_document,
)
from emc.contracts.service._common import add_numbered, contract_of, finance_error
from emc.contracts.service.adjustments import check_terms_fit_adjustments
from emc.contracts.service.projects import get_project
from emc.errors import Conflict, Forbidden, Invalid, NotFound


def get_contract(session: Session, actor: Actor, project_id: int) -> Contract:
    """The contract of a visible project (NotFound if none yet)."""
    project = get_project(session, actor, project_id)
    contract = contract_of(session, project.id)
    if contract is None:
        raise NotFound(f"project {project.id} has no contract yet")
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
    try:
        terms = terms_from_document(document)
        parsed = estimates_from_document(estimates)
        finance.validate_terms(terms)
        # The estimates must fit the terms (priced carriers, units, years).
        finance.projected_schedule(terms, parsed)
    except finance.FinanceInputError as error:
        raise finance_error(error) from None
    return terms, parsed


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

    Before signing, the terms are replaced (the contract version goes up). After signing, an
    amendment with ``reason`` is recorded with the terms before and after; it applies once
    both parties' admins agree (:func:`agree_amendment`). ``version``, when given, is the
    contract version the caller edited (0: no contract yet); Conflict, nothing written, if
    the contract has changed since. Returns (contract, amendment or None).
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    contract = contract_of(session, project.id)
    current = contract.version if contract is not None else 0
    if version is not None and version != current:
        raise Conflict(
            f"the contract terms have changed since you opened them (version {version}, now "
            f"{current}): reload and make your change again",
            fields={"version": [f"stale: the current version is {current}"]},
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
    if project.status in (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED):
        raise Conflict(f"a {project.status} project's contract cannot be amended")
    check_terms_fit_adjustments(session, project.id, parsed)
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
    return contract, amendment


def agree_amendment(
    session: Session, actor: Actor, project_id: int, amendment_id: int
) -> ContractAmendment:
    """Record one party's agreement (an admin of the institution or of the ESCO); once both
    have agreed, the new terms replace the contract's. Conflict if the contract changed since
    the amendment was drafted."""
    project = load(session, actor, EmcProject, project_id)
    amendment = load(session, actor, ContractAmendment, amendment_id)
    contract = contract_of(session, project.id)
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
        try:
            # A custody fee adjustment agreed since the proposal must still compute.
            check_terms_fit_adjustments(
                session, project.id, terms_from_document(amendment.terms_after)
            )
        except Invalid as error:
            raise Conflict(f"{error.message}: propose the amendment again") from None
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

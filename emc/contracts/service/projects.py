"""EMC projects: list, read, create (the institution's draft), edit (freely before signing; a
signed project's parties, dates and investment only by an agreed amendment) and move along
their life through the one workflow transition (``emc.workflow.tables.PROJECT``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from emc import journal, workflow
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind
from emc.auth.permissions import Permission
from emc.auth.policy import derived, load, require, scoped
from emc.contracts.models import (
    SIGNED_STATUSES,
    EmcProject,
    ProjectStatus,
)
from emc.contracts.service._common import PROJECT_FIELDS, contract_of, log
from emc.contracts.service.payments import local_today
from emc.errors import Conflict, Invalid
from emc.messages import action as action_word
from emc.messages import field as field_word
from emc.messages import machine as machine_word
from emc.messages import msg
from emc.messages import state as state_word
from emc.workflow import tables


def projects_query(actor: Actor, *, status: ProjectStatus | None = None) -> Select:
    """The projects ``actor`` may see, newest first, optionally only those in ``status``, as a
    statement (the API pages it)."""
    require(actor, Permission.CONTRACTS_READ)

    def build(stmt: Select) -> Select:
        if status is not None:
            stmt = stmt.where(EmcProject.status == status)
        return stmt.order_by(EmcProject.id.desc())

    return derived(scoped(actor, EmcProject), ("projects", status), build)


def list_projects(
    session: Session, actor: Actor, *, status: ProjectStatus | None = None
) -> list[EmcProject]:
    """The projects ``actor`` may see, newest first; optionally only those in ``status``."""
    return list(session.scalars(projects_query(actor, status=status)))


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
            msg("contracts.unknown_esco"),
            fields={"esco_organization_id": [msg("contracts.must_active_esco_organisation")]},
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


# A signed project's parties, dates and investment change only through a contract amendment
# that both parties agree (DESIGN.md §8); drafts and proposals are edited freely.
CONSENT_FIELDS = (
    "esco_organization_id",
    "signed_on",
    "works_accepted_on",
    "operation_start_on",
    "term_end_on",
    "total_investment",
    "investor",
)
# Values a transition records (its dates, a termination's reason) rather than edits.
TRANSITION_VALUES = {
    "propose": (),
    "withdraw": (),
    "sign": ("signed_on",),
    "start_works": (),
    "start_operation": ("works_accepted_on", "operation_start_on"),
    "complete": ("term_end_on",),
    "terminate": ("termination_reason",),
}
ACTION_FOR_STATUS = {
    ProjectStatus.PROPOSED: "propose",
    ProjectStatus.DRAFT: "withdraw",
    ProjectStatus.CONTRACTED: "sign",
    ProjectStatus.IMPLEMENTING: "start_works",
    ProjectStatus.OPERATING: "start_operation",
    ProjectStatus.COMPLETED: "complete",
    ProjectStatus.TERMINATED: "terminate",
}
_SIGNATURES = (
    "institution_signed_by_user_id",
    "institution_signed_at",
    "esco_signed_by_user_id",
    "esco_signed_at",
)


def _clear_signatures(project: EmcProject) -> None:
    """Clear both signatures and the signing date derived from them (an unsigned project's
    ``signed_on`` is the date of the one signature given so far, or None)."""
    for name in _SIGNATURES:
        setattr(project, name, None)
    project.signed_on = None


def _project_parties(_session: Session, project: EmcProject) -> workflow.Parties:
    return workflow.Parties.of_project(project, proposer_org_id=project.organization_id)


PROJECT = workflow.Binding(
    tables.PROJECT,
    EmcProject,
    _project_parties,
    PROJECT_FIELDS + _SIGNATURES[::2],
    link=lambda p: f"/projects/{p.id}",
)


def consent_required(fields: list[str]) -> Conflict:
    """The refusal of a unilateral change of a signed project's consent fields."""
    return Conflict(
        msg("contracts.consent_required"),
        fields={f: [msg("contracts.consent_required_field")] for f in fields},
        code="consent_required",
    )


def _stale(project: EmcProject, version: int | None) -> None:
    if version is not None and version != project.row_version:
        raise workflow.StaleConflict(
            msg(
                "workflow.stale",
                what=machine_word("project"),
                seen=version,
                version=project.row_version,
                state=state_word(project.status),
                action=action_word("edit"),
            ),
            state=str(project.status),
            version=project.row_version,
            what="project",
        )


def update_project(
    session: Session, actor: Actor, project_id: int, *, version: int | None = None, **changes: Any
) -> EmcProject:
    """Change a project's fields, or move it along its life (``status``: see
    :func:`move_project`, to which the transition's dates go).

    ``version`` is the row version the user saw (the API and pages always send it). A draft or
    proposal is edited freely (an edit of a proposal clears signatures already given: they
    were for other terms). A signed project's :data:`CONSENT_FIELDS` change only through an
    agreed amendment (:func:`emc.contracts.service.propose_project_amendment`).

    Raises:
        StaleConflict: ``version`` is stale or another change won. Conflict (``consent_required``,
            naming the fields): a unilateral change of a signed project. Invalid: bad values.
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    _stale(project, version)
    new_status = changes.pop("status", project.status)
    action = None
    params: dict[str, Any] = {}
    if new_status != project.status:
        action = ACTION_FOR_STATUS[ProjectStatus(new_status)]
        if action == "propose" and project.status is not ProjectStatus.DRAFT:
            raise Conflict(
                msg(
                    "contracts.project_wrong_state",
                    state=state_word(project.status),
                    target=state_word(new_status),
                ),
                fields={"status": [msg("audit.not_allowed_from_current_status")]},
            )
        params = {k: changes.pop(k) for k in TRANSITION_VALUES[action] if k in changes}
    edits = {k: v for k, v in changes.items() if getattr(project, k) != v}
    if edits:
        _edit(session, actor, project, edits)
    if action is not None:
        project = move_project(session, actor, project.id, action, version=None, **params)
    return project


def _edit(session: Session, actor: Actor, project: EmcProject, edits: dict[str, Any]) -> None:
    if project.status in SIGNED_STATUSES:
        refused = [k for k in CONSENT_FIELDS if k in edits]
        if refused:
            raise consent_required(refused)
    _check_esco(session, edits.get("esco_organization_id"))
    before = journal.snapshot(project, PROJECT_FIELDS)
    workflow.claim(session, PROJECT, project, "edit")
    for key, value in edits.items():
        setattr(project, key, value)
    if project.status is ProjectStatus.PROPOSED and (
        project.institution_signed_by_user_id or project.esco_signed_by_user_id
    ):
        # The signatures were given to what the proposal said before this edit.
        _clear_signatures(project)
    workflow.flush(session, PROJECT, project, "edit")
    journal.record(
        session,
        actor,
        "update",
        project,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(project, PROJECT_FIELDS),
    )


DATE_ORDER = ("signed_on", "works_accepted_on", "operation_start_on", "term_end_on")


def date_order_errors(values: dict[str, Any]) -> dict[str, list]:
    """Every date of ``values`` that is before a date its field must follow (signing, works
    accepted, operation start, term end), each naming the latest such date: "cannot be before
    the signing date 2023-12-22"."""
    errors: dict[str, list] = {}
    known = [(k, values[k]) for k in DATE_ORDER if values.get(k) is not None]
    for i, (later, b) in enumerate(known):
        earlier = [(k, a) for k, a in known[:i] if b < a]
        if earlier:
            name, date = max(earlier, key=lambda pair: pair[1])
            errors[later] = [
                msg("contracts.not_before_date", earlier=field_word(name), date=date.isoformat())
            ]
    return errors


def _date_order(values: dict[str, Any]) -> None:
    """Refuse dates out of order, naming every field out of order (the message the first)."""
    errors = date_order_errors(values)
    if not errors:
        return
    known = dict((k, values[k]) for k in DATE_ORDER if values.get(k) is not None)
    later = next(k for k in DATE_ORDER if k in errors)
    earlier = max(
        (
            k
            for k in DATE_ORDER[: DATE_ORDER.index(later)]
            if k in known and known[k] > known[later]
        ),
        key=lambda k: known[k],
    )
    raise Invalid(
        msg(
            "contracts.date_order",
            later=field_word(later),
            later_date=known[later].isoformat(),
            earlier=field_word(earlier),
            earlier_date=known[earlier].isoformat(),
        ),
        fields=errors,
    )


def move_project(
    session: Session,
    actor: Actor,
    project_id: int,
    action: str,
    *,
    version: int | None,
    signed_on: dt.date | None = None,
    works_accepted_on: dt.date | None = None,
    operation_start_on: dt.date | None = None,
    term_end_on: dt.date | None = None,
    termination_reason: str | None = None,
) -> EmcProject:
    """Move a project along its life (``tables.PROJECT``) through :func:`emc.workflow.transition`:

    ``propose`` (institution; draft → proposed), ``withdraw`` (back to draft, signatures
    cleared), ``sign`` (either party with ``signed_on``; contracted once both have signed; the
    later signing date is the contract's; needs the terms and the ESCO), ``start_works``
    (contracted → implementing), ``start_operation`` (contracted or implementing → operating,
    with the works' acceptance date and the operation start), ``complete`` (operating →
    completed, with the term's end), ``terminate`` (with a reason). A date a transition records
    is set once: a signed project's dates change only by an agreed amendment.

    Raises:
        Forbidden: the wrong party. Conflict: not allowed from the current state, stale
            ``version``, no contract, a date already recorded differently. Invalid: a missing
            date or reason, dates out of order.
    """
    if action not in TRANSITION_VALUES:
        raise Invalid(
            msg("contracts.unknown_action", action=action),
            fields={"action": [msg("field.unknown")]},
        )
    given = {
        "signed_on": signed_on,
        "works_accepted_on": works_accepted_on,
        "operation_start_on": operation_start_on,
        "term_end_on": term_end_on,
        "termination_reason": (termination_reason or "").strip() or None,
    }
    wanted = {k: given[k] for k in TRANSITION_VALUES[action]}

    def check(project: EmcProject, _parties: workflow.Parties) -> None:
        merged = {k: v if v is not None else getattr(project, k) for k, v in wanted.items()}
        for name, value in merged.items():
            if value is None:
                raise Invalid(
                    msg("contracts.step_needs", action=action_word(action), field=field_word(name)),
                    fields={name: [msg("contracts.required_for_step")]},
                )
        if action == "sign":
            today = local_today()
            if signed_on is not None and signed_on > today:
                raise Invalid(
                    msg(
                        "contracts.signing_date_after_today",
                        date=signed_on.isoformat(),
                        today=today.isoformat(),
                    ),
                    fields={
                        "signed_on": [msg("contracts.not_after_today", today=today.isoformat())]
                    },
                )
            if contract_of(session, project.id) is None:
                raise Conflict(
                    msg("contracts.set_contract_terms_before_signing"),
                    fields={"status": [msg("contracts.no_contract")]},
                )
            if project.esco_organization_id is None:
                raise Invalid(
                    msg("contracts.signed_project_needs_esco"),
                    fields={"esco_organization_id": [msg("contracts.choose_esco_before_signing")]},
                )
        elif project.status in SIGNED_STATUSES:
            changed = [
                k
                for k, v in wanted.items()
                if k in CONSENT_FIELDS and getattr(project, k) not in (None, v) and v is not None
            ]
            if changed:
                raise consent_required(changed)
        _date_order({k: merged.get(k, getattr(project, k)) for k in DATE_ORDER})

    def stage(project: EmcProject) -> None:
        if action == "sign":
            # The contract is signed on the later of the two current signatures' dates: until
            # the other party has signed, ``signed_on`` is this signature's date; once it has,
            # the later of its date (held in ``signed_on``) and this one.
            date = signed_on or project.signed_on
            others = (project.institution_signed_by_user_id, project.esco_signed_by_user_id)
            first = None in others
            if first or project.signed_on is None or date > project.signed_on:
                project.signed_on = date
            return
        for name, value in wanted.items():
            if value is not None:
                setattr(project, name, value)
        if action == "withdraw":
            _clear_signatures(project)

    return workflow.transition(
        session,
        actor,
        PROJECT,
        action,
        project_id,
        version=version,
        check=check,
        stage=stage,
    )


def sign_project(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    signed_on: dt.date,
    version: int | None = None,
) -> EmcProject:
    """One party's signature of a proposed project (an admin of the ESCO, or the institution's
    admin or energy manager); it is signed (``contracted``) once both parties have signed."""
    return move_project(session, actor, project_id, "sign", version=version, signed_on=signed_on)

"""The project's life in the browser: every transition of ``emc.workflow.tables.PROJECT`` as a
form with its dates, both parties' signatures, free edits of a draft or proposal (choosing the
ESCO of a proposal made from an audit's ECMs), and amendments of a signed project's parties,
dates and investment that both parties agree.

Every form carries the row version the user saw; a 409 re-renders the page saying what changed.
Routes are registered on the contracts blueprint (imported at the end of ``views.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from emc import journal
from emc.auth.models import User
from emc.auth.permissions import Permission, can
from emc.auth.policy import may_propose_amendment
from emc.contracts import service
from emc.contracts.models import SIGNED_STATUSES, AmendmentStatus, ProjectStatus
from emc.contracts.schemas import (
    ProjectAmendmentIn,
    ProjectPatch,
    ProjectTransitionIn,
    RejectIn,
    RowVersionIn,
)
from emc.contracts.views import (
    INVESTOR_LABELS,
    PROJECT_STATUS_LABELS,
    _contract_last_day,
    _escos,
    bp,
    local_today,
    org_names,
)
from emc.errors import EmcError, NotFound
from emc.messages import msg, record
from emc.web.db import db
from emc.web.forms import form_data, load_form, localise
from emc.web.messages import field_label
from emc.web.security import current_actor
from emc.workflow import StaleConflict, tables

# Each step's button and the dates it records (the form's inputs).
STEP_LABELS = {
    "propose": _l("Propose to the ESCO"),
    "withdraw": _l("Take back to draft"),
    "sign": _l("Sign the contract"),
    "start_works": _l("Start the works"),
    "start_operation": _l("Accept the works and start operation"),
    "complete": _l("Complete the project"),
    "terminate": _l("Terminate the project"),
}
STEP_FIELDS = {
    "sign": (("signed_on", _l("Signing date"), "date"),),
    "start_operation": (
        ("works_accepted_on", _l("Works accepted on"), "date"),
        ("operation_start_on", _l("Operation starts on"), "date"),
    ),
    "complete": (("term_end_on", _l("Term ends on"), "date"),),
    "terminate": (("termination_reason", _l("Reason for the termination"), "text"),),
}
FIELD_LABELS = {
    "esco_organization_id": _l("ESCO"),
    "signed_on": _l("Signed on"),
    "works_accepted_on": _l("Works accepted on"),
    "operation_start_on": _l("Operation starts on"),
    "term_end_on": _l("Term ends on"),
    "total_investment": _l("Total investment (yuan)"),
    "investor": _l("Investor"),
    "name": _l("Project name"),
    "status": _l("Status"),
    "version": _l("Version"),
    "reason": _l("Reason"),
    "comment": _l("Comment"),
    "termination_reason": _l("Reason for the termination"),
    # What else a refusal may name: the row version the form carried (by its form name), the
    # step, and each party's signature or agreement (the workflow's consent records).
    "row_version": _l("Version"),
    "action": _l("Action"),
    "institution_signed_by_user_id": _l("The institution's signature"),
    "esco_signed_by_user_id": _l("The ESCO's signature"),
    "institution_agreed_by_user_id": _l("The institution's agreement"),
    "esco_agreed_by_user_id": _l("The ESCO's agreement"),
    "incoming_esco_agreed_by_user_id": _l("The incoming ESCO's agreement"),
}


def _reasons(fields: dict) -> str:
    """Field messages as "label：message", joined; a field without a label here or in the
    catalogue (:func:`emc.web.messages.field_label`) by its message alone, never its name."""
    parts = []
    for name, messages in localise(fields).items():
        text = "；".join(map(str, messages)) if isinstance(messages, list) else str(messages)
        label = FIELD_LABELS.get(name) or field_label(name)
        parts.append(f"{label}：{text}" if label else text)
    return "；".join(parts)


AMENDMENT_STATUS_LABELS = {
    AmendmentStatus.PROPOSED: _l("Awaiting agreement"),
    AmendmentStatus.AGREED: _l("Agreed by both parties"),
    AmendmentStatus.REJECTED: _l("Rejected"),
    AmendmentStatus.WITHDRAWN: _l("Withdrawn"),
}


def _state_label(state: str | None) -> str:
    if state is None:
        return _("being changed")
    try:
        return str(PROJECT_STATUS_LABELS[ProjectStatus(state)])
    except ValueError:
        try:
            return str(AMENDMENT_STATUS_LABELS[AmendmentStatus(state)])
        except ValueError:
            return state


def error_text(error: EmcError) -> str:
    """A refusal in the reader's language, naming the fields (never an English sentence)."""
    if isinstance(error, StaleConflict):
        if error.version is None:
            return _(
                "Someone else is changing this record at this very moment. Reload the page, "
                "check what changed, then try again."
            )
        return _(
            "This record was changed by someone else after you opened the page: it is now "
            "“%(state)s” (version %(version)s). Reload the page, check what changed, then try "
            "again.",
            state=_state_label(error.state),
            version=error.version,
        )
    if error.code == "consent_required":
        labels = (FIELD_LABELS.get(f) or field_label(f) for f in error.fields)
        names = "、".join(str(label) for label in labels if label)
        return _(
            "The project is signed: %(fields)s change only through a contract amendment that "
            "both parties agree. Propose an amendment below.",
            fields=names,
        )
    if error.code == "separation_of_duties":
        return _("This step belongs to the other party of the project.")
    if error.status == 403:
        return _("You may not do this.")
    if error.fields:
        return _("The step was refused: %(reasons)s", reasons=_reasons(error.fields))
    return _("This conflicts with the current state of the record.")


def _steps(project, actor) -> list[dict]:
    """The transitions this user may try from the project's state, with their inputs."""
    out = []
    parties = {project.organization_id, project.esco_organization_id} - {None}
    for step in tables.PROJECT.allowed(project.status.value):
        permissions = step.permission if isinstance(step.permission, tuple) else (step.permission,)
        if not any(can(actor, p) for p in permissions):
            continue
        if (
            step.side is tables.Side.INSTITUTION
            and actor.organization_id != project.organization_id
        ):
            continue
        if step.side is tables.Side.EITHER and actor.organization_id not in parties:
            continue
        if step.action == "sign":
            mine = (
                project.institution_signed_by_user_id
                if actor.organization_id == project.organization_id
                else project.esco_signed_by_user_id
            )
            if mine is not None:
                continue
        out.append(
            {
                "action": step.action,
                "label": STEP_LABELS[step.action],
                "fields": STEP_FIELDS.get(step.action, ()),
            }
        )
    return out


def _party_prefix(actor, project, amendment) -> str | None:
    """Which consent of ``amendment`` is the actor's party's (None: not a party of it)."""
    if actor.organization_id == project.organization_id:
        return "institution"
    if actor.organization_id == project.esco_organization_id:
        return "esco"
    if actor.organization_id == amendment.incoming_esco_organization_id:
        return "incoming_esco"
    return None


def amendment_actions(actor, project, amendments) -> dict[int, dict[str, bool]]:
    """Per amendment, the decisions this user may take now (the buttons shown): agree while
    their party has not and it is not out of date (:func:`service.stale_amendments`), reject
    unless their party proposed it, withdraw if it did; and whether it is out of date."""
    proposers = dict(
        db()
        .execute(
            select(User.id, User.organization_id).where(
                User.id.in_({a.proposed_by_user_id for a in amendments})
            )
        )
        .all()
    )
    agrees = can(actor, Permission.CONTRACTS_CONTRACT_AGREE)
    stale = service.stale_amendments(db(), amendments)
    out = {}
    for a in amendments:
        prefix = _party_prefix(actor, project, a)
        open_ = a.status is AmendmentStatus.PROPOSED and prefix is not None
        mine = proposers.get(a.proposed_by_user_id) == actor.organization_id
        out[a.id] = {
            # The contract or project changed since it was drafted: only reject or withdraw.
            "stale": a.id in stale,
            "agree": open_
            and agrees
            and a.id not in stale
            and getattr(a, f"{prefix}_agreed_by_user_id") is None,
            "reject": open_ and agrees and not mine,
            "withdraw": open_
            and mine
            and (agrees or can(actor, Permission.CONTRACTS_PROJECT_MANAGE)),
        }
    return out


def amendment_names(project, amendments) -> dict[int, str]:
    """The names of the project's parties and of every ESCO its amendments name."""
    return org_names(
        [project.organization_id, project.esco_organization_id]
        + [a.incoming_esco_organization_id for a in amendments]
    )


def _render(
    project_id: int,
    *,
    error: str | None = None,
    values: dict | None = None,
    status=200,
    form: str | None = None,
    errors: dict | None = None,
):
    """The life page; after a refusal, ``form`` (``edit``, ``amend`` or a step's action) is the
    form sent, shown again with what was typed (``values``) and each field's ``errors``."""
    actor = current_actor()
    project = service.get_project(db(), actor, project_id)
    try:
        contract = service.get_contract(db(), actor, project.id)
    except NotFound:
        contract = None
    amendments = service.list_amendments(db(), actor, contract) if contract else []
    return render_template(
        "contracts/project_life.html",
        project=project,
        contract=contract,
        contract_last_day=_contract_last_day(contract),
        amendments=list(reversed(amendments)),
        names=amendment_names(project, amendments),
        actions=amendment_actions(actor, project, amendments),
        steps=_steps(project, actor),
        signed=project.status in SIGNED_STATUSES,
        open_for_edit=project.status in (ProjectStatus.DRAFT, ProjectStatus.PROPOSED),
        can_manage=can(actor, Permission.CONTRACTS_PROJECT_MANAGE)
        and actor.organization_id == project.organization_id,
        can_propose=may_propose_amendment(actor, project),
        my_org=actor.organization_id,
        escos=_escos(),
        investors=INVESTOR_LABELS,
        status_labels=PROJECT_STATUS_LABELS,
        amendment_labels=AMENDMENT_STATUS_LABELS,
        field_labels=FIELD_LABELS,
        error=error,
        form=form,
        values=values or {},
        errors=errors or {},
        today=local_today().isoformat(),
        history=journal.history(db(), "emc_projects", project.id),
    ), status


@bp.get("/projects/<int:project_id>/life")
@login_required
def project_life(project_id: int):
    return _render(project_id)


# The inputs of each form of the life page: a refusal naming one of them is shown beside it.
FORM_FIELDS = {
    "edit": ("name", "esco_organization_id", "investor", "total_investment"),
    "amend": (
        "reason",
        "esco_organization_id",
        "signed_on",
        "works_accepted_on",
        "operation_start_on",
        "term_end_on",
        "total_investment",
    ),
    **{action: tuple(f[0] for f in fields) for action, fields in STEP_FIELDS.items()},
}


def _refused(project_id: int, error: EmcError, values: dict | None = None, form: str | None = None):
    # A field's own problem is shown beside it; a refusal of the step itself (stale, the wrong
    # party, a signed project's consent) in words above the forms.
    if form and error.fields and error.status == 422 and not isinstance(error, StaleConflict):
        beside = {k: v for k, v in error.fields.items() if k in FORM_FIELDS.get(form, ())}
        if beside:
            return _invalid(project_id, error.fields, values or {}, form=form, status=error.status)
    return _render(
        project_id, error=error_text(error), values=values, status=error.status, form=form
    )


def _invalid(project_id: int, errors: dict, values: dict, *, form: str | None = None, status=422):
    """Each error beside its field (what the form does not show, named in the message)."""
    errors = localise(errors)
    shown = FORM_FIELDS.get(form, ())
    beside = {k: v for k, v in errors.items() if k in shown}
    rest = {k: v for k, v in errors.items() if k not in shown}
    if rest:
        message = _("The step was refused: %(reasons)s", reasons=_reasons(rest))
    else:
        message = _("The step was refused: correct the fields marked below.")
    return _render(
        project_id, error=message, values=values, status=status, form=form, errors=beside
    )


@bp.post(
    "/projects/<int:project_id>/life/"
    "<any(propose, withdraw, sign, start_works, start_operation, complete, terminate):action>"
)
@login_required
def project_step(project_id: int, action: str):
    """One step of the project's life (the API's transitions, as a form)."""
    service.get_project(db(), current_actor(), project_id)
    values = form_data()
    data, errors = load_form(ProjectTransitionIn(), values)
    if errors:
        return _invalid(project_id, errors, values, form=action)
    try:
        project = service.move_project(db(), current_actor(), project_id, action, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _refused(project_id, error, values, form=action)
    if action == "sign" and project.status is not ProjectStatus.CONTRACTED:
        flash(_("Your signature is recorded; the other party must sign too."), "success")
    else:
        flash(
            _("Done: the project is now “%(state)s”.", state=_state_label(project.status.value)),
            "success",
        )
    return redirect(url_for("contracts.project_life", project_id=project_id))


@bp.post("/projects/<int:project_id>/life/edit")
@login_required
def project_edit(project_id: int):
    """Edit a draft or proposal (name, ESCO, investment, investor): free before signing."""
    service.get_project(db(), current_actor(), project_id)
    values = form_data(keep_blank=("esco_organization_id",))
    raw = dict(values)
    if raw.get("esco_organization_id") == "":
        raw["esco_organization_id"] = None
    data, errors = load_form(ProjectPatch(), raw)
    if errors:
        return _invalid(project_id, errors, values, form="edit")
    try:
        service.update_project(db(), current_actor(), project_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _refused(project_id, error, values, form="edit")
    flash(_("Project saved."), "success")
    return redirect(url_for("contracts.project_life", project_id=project_id))


@bp.post("/projects/<int:project_id>/life/amend")
@login_required
def project_amend(project_id: int):
    """Propose an amendment of a signed project's ESCO, dates or investment (the institution's
    project managers or the ESCO's admins; the other party, and an incoming ESCO, agree)."""
    project = service.get_project(db(), current_actor(), project_id)
    values = form_data()
    data, errors = load_form(ProjectAmendmentIn(), values)
    if errors:
        # The dates that did load are checked too: every error is shown at once.
        dates = {k: getattr(project, k) for k in service.DATE_ORDER}
        for name in service.DATE_ORDER:
            if name in values and name not in errors:
                with contextlib.suppress(ValueError):
                    dates[name] = dt.date.fromisoformat(values[name])
        errors = {**service.date_order_errors(dates), **errors}
        return _invalid(project_id, errors, values, form="amend")
    try:
        service.propose_project_amendment(db(), current_actor(), project_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _refused(project_id, error, values, form="amend")
    flash(
        _("Amendment proposed: it applies once the other party (and any incoming ESCO) agrees."),
        "success",
    )
    return redirect(url_for("contracts.project_life", project_id=project_id))


_DECISIONS = {
    "agree": (RowVersionIn, service.agree_amendment),
    "reject": (RejectIn, service.reject_amendment),
    "withdraw": (RowVersionIn, service.withdraw_amendment),
}


def _amendment_page(amendment_id: int, *, error: str | None = None, status=200):
    actor = current_actor()
    project, amendment = service.get_amendment(db(), actor, amendment_id)
    return render_template(
        "contracts/amendment.html",
        project=project,
        a=amendment,
        names=amendment_names(project, [amendment]),
        actions=amendment_actions(actor, project, [amendment]),
        amendment_labels=AMENDMENT_STATUS_LABELS,
        field_labels=FIELD_LABELS,
        investors=INVESTOR_LABELS,
        sees_project=_sees_project(project.id),
        error=error,
    ), status


@bp.get("/amendments/<int:amendment_id>")
@login_required
def amendment_page(amendment_id: int):
    """One amendment and the decisions open to this user: the page of an incoming ESCO, which
    agrees to take over a project without seeing the project's records."""
    return _amendment_page(amendment_id)


def _sees_project(project_id: int) -> bool:
    try:
        service.get_project(db(), current_actor(), project_id)
    except NotFound:
        return False
    return True


@bp.post(
    "/projects/<int:project_id>/life/amendments/<int:amendment_id>/"
    "<any(agree, reject, withdraw):decision>"
)
@login_required
def project_amendment_decision(project_id: int, amendment_id: int, decision: str):
    """Agree to, reject or withdraw an amendment (each with the version the user saw). An
    incoming ESCO decides from the amendment's own page and comes back to it."""
    project, _amendment = service.get_amendment(db(), current_actor(), amendment_id)
    if project.id != project_id:
        raise NotFound(msg("not_found", what=record("ContractAmendment"), id=amendment_id))
    on_project = _sees_project(project_id)
    schema, run = _DECISIONS[decision]
    values = form_data()
    data, errors = load_form(schema(), values)
    if errors:
        if not on_project:
            message = _("The step was refused: %(reasons)s", reasons=_reasons(errors))
            return _amendment_page(amendment_id, error=message, status=422)
        return _invalid(project_id, errors, values)
    try:
        amendment = run(db(), current_actor(), project_id, amendment_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        if not on_project:
            return _amendment_page(amendment_id, error=error_text(error), status=error.status)
        return _refused(project_id, error)
    flash(
        _(
            "Amendment %(number)s: %(state)s.",
            number=amendment.number,
            state=AMENDMENT_STATUS_LABELS[amendment.status],
        ),
        "success",
    )
    # Where the user goes next depends on what they see now: an agreed ESCO swap hands the
    # project (and its amendments) from the outgoing ESCO to the incoming one.
    if _sees_project(project_id):
        return redirect(url_for("contracts.project_life", project_id=project_id))
    try:
        service.get_amendment(db(), current_actor(), amendment_id)
    except NotFound:
        return redirect(url_for("core.todo"))
    return redirect(url_for("contracts.amendment_page", amendment_id=amendment_id))

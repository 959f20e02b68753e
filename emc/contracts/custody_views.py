"""Pages on the contracts blueprint for custody fee adjustments (propose with the
``CustodyAdjustmentIn`` form, agree) and schedule regeneration. Imported by
:mod:`emc.contracts.views`, which owns the blueprint and the project page."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required

from emc.auth.permissions import Permission, can
from emc.contracts import custody_form, service
from emc.contracts.schemas import CustodyAdjustmentIn, CustodyRejectIn, VersionIn
from emc.contracts.views import LINE_KIND_LABELS, _line_words, _render_project, bp
from emc.errors import EmcError, Forbidden, NotFound
from emc.i18n import N_
from emc.web.db import db
from emc.web.forms import form_data, load_form, localise
from emc.web.messages import describe, field_sentences, say
from emc.web.security import current_actor


@bp.post("/projects/<int:project_id>/custody-adjustments")
@login_required
def propose_custody_adjustment(project_id: int):
    """Propose a custody fee adjustment (the API's POST .../custody-adjustments as a form, loaded
    through the same ``CustodyAdjustmentIn``); errors re-render the project page at the form."""
    actor = current_actor()
    project = service.get_project(db(), actor, project_id)
    if not can(actor, Permission.CONTRACTS_PROJECT_MANAGE):
        abort(403)
    try:
        contract = service.get_contract(db(), actor, project.id)
    except NotFound:
        contract = None
    carriers = custody_form.baseline_carriers(contract) or []
    values = form_data()
    data = custody_form.document(request.form, carriers)
    loaded, errors = load_form(CustodyAdjustmentIn(), data)
    status = 422
    if not errors:
        try:
            adjustment = service.propose_custody_adjustment(db(), actor, project.id, **loaded)
        except EmcError as error:
            if error.status in (403, 404):
                raise
            status = error.status
            errors = {"_": [say(error.message)], **localise(error.fields or {})}
        else:
            flash(
                _(
                    "Custody fee adjustment %(number)s proposed: it applies once the institution "
                    "and the ESCO have both agreed.",
                    number=adjustment.number,
                ),
                "success",
            )
            return redirect(url_for("contracts.project", project_id=project.id))
    return _render_project(
        project.id,
        status=status,
        adjustment_values=values,
        adjustment_errors=custody_form.map_errors(errors, data),
    )


@bp.post("/projects/<int:project_id>/custody-adjustments/<int:adjustment_id>/agree")
@login_required
def agree_custody_adjustment(project_id: int, adjustment_id: int):
    """One party's agreement to a proposed custody fee adjustment (the API's agree, a button)."""
    # The version the user saw is required, as for reject and withdraw: a page opened before
    # the adjustment changed is refused (409), never agreed to unseen terms.
    data, errors = load_form(VersionIn(), form_data())
    if errors:
        message = _("; ").join([*field_sentences(errors), _("Reload the page and try again.")])
        return _render_project(project_id, action_error=message, status=422)
    try:
        adjustment = service.agree_custody_adjustment(
            db(), current_actor(), project_id, adjustment_id, **data
        )
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(project_id, action_error=describe(error), status=error.status)
    if adjustment.agreed_on is not None:
        flash(
            _(
                "Custody fee adjustment %(number)s agreed by both parties: it applies from "
                "%(date)s. Regenerate the schedule to re-price the fees and add the true-ups.",
                number=adjustment.number,
                date=format_date(adjustment.effective_date),
            ),
            "success",
        )
    else:
        flash(
            _(
                "Your agreement to custody fee adjustment %(number)s is recorded; the other "
                "party must agree too.",
                number=adjustment.number,
            ),
            "success",
        )
    return redirect(url_for("contracts.project", project_id=project_id))


_DECISIONS = {
    "reject": (CustodyRejectIn, service.reject_custody_adjustment, N_("rejected")),
    "withdraw": (VersionIn, service.withdraw_custody_adjustment, N_("withdrawn")),
}


@bp.post(
    "/projects/<int:project_id>/custody-adjustments/<int:adjustment_id>/"
    "<any(reject, withdraw):decision>"
)
@login_required
def decide_custody_adjustment(project_id: int, adjustment_id: int, decision: str):
    """The other party rejects (with a comment), or the proposer withdraws, a proposed custody
    fee adjustment: the API's reject and withdraw as buttons, with the version the user saw."""
    schema, run, outcome = _DECISIONS[decision]
    data, errors = load_form(schema(), form_data())
    if errors:
        message = _("; ").join(field_sentences(errors))
        return _render_project(project_id, action_error=message, status=422)
    try:
        adjustment = run(db(), current_actor(), project_id, adjustment_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(project_id, action_error=describe(error), status=error.status)
    flash(
        _(
            "Custody fee adjustment %(number)s %(outcome)s.",
            number=adjustment.number,
            outcome=_(outcome),
        ),
        "success",
    )
    return redirect(url_for("contracts.project", project_id=project_id))


@bp.post("/projects/<int:project_id>/schedule/regenerate")
@login_required
def regenerate(project_id: int):
    """Regenerate the projected schedule and fixed lines (the API's POST .../schedule), e.g.
    after an amendment or a custody fee adjustment has been agreed."""
    try:
        report = service.regenerate_schedule(db(), current_actor(), project_id)
    except (NotFound, Forbidden):
        raise
    except EmcError as error:
        return _render_project(project_id, action_error=describe(error), status=error.status)
    flash(
        _(
            "Schedule regenerated: %(created)s created, %(updated)s updated, %(removed)s "
            "removed, %(unchanged)s unchanged.",
            created=report.created,
            updated=report.updated,
            removed=report.removed,
            unchanged=report.unchanged,
        ),
        "success",
    )
    if report.conflicts:
        flash(
            _(
                "Approved or paid lines were left unchanged although the new computation "
                "differs; finance must resolve them: %(keys)s",
                keys=_conflict_words(project_id, report.conflicts),
            ),
            "error",
        )
    return redirect(url_for("contracts.project", project_id=project_id))


# A regeneration may leave a whole year of lines unchanged: the flash names a few.
_CONFLICTS_SHOWN = 3


def _conflict_words(project_id: int, keys: list[str]) -> str:
    """The lines left unchanged as the payment-line messages name them (kind, first and last
    day, amount), in date order; past the first few, how many more (never their keys)."""
    by_key = {line.key: line for line in service.list_lines(db(), current_actor(), project_id)}
    lines = sorted((by_key[k] for k in keys if k in by_key), key=lambda x: (x.period_start, x.id))
    words = [
        _(
            "%(kind)s %(start)s – %(end)s (%(amount)s yuan)",
            kind=LINE_KIND_LABELS[line.kind],
            **_line_words(line),
        )
        for line in lines[:_CONFLICTS_SHOWN]
    ]
    text = _("; ").join(words)
    more = len(keys) - len(words)
    if more > 0:
        text = _("%(lines)s and %(count)s more lines", lines=text, count=more)
    return text

"""The baseline page (statistics, chart, evidence) and its decisions."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from emc import journal
from emc.contracts import service as contracts
from emc.errors import EmcError, Invalid, NotFound
from emc.messages import msg
from emc.mv import api as mv_api
from emc.mv import service
from emc.mv.schemas import (
    BaselineApproveIn,
    MvCommentIn,
)
from emc.mv.views.common import (
    bp,
    error_message,
    sides_of,
    svg_chart,
)
from emc.web.db import db
from emc.web.forms import load_form
from emc.web.security import current_actor


def _render_baseline(project_id: int, baseline_id: int, *, error=None, status=200):
    actor = current_actor()
    project = contracts.get_project(db(), actor, project_id)
    baseline = mv_api.baseline_in(project_id, baseline_id)
    charts = [
        svg_chart(
            m["series"]["dates"],
            {_("Observed"): m["series"]["observed"], _("Modelled"): m["series"]["modelled"]},
            unit=m["unit"],
        )
        for m in baseline.models
    ]
    return render_template(
        "mv/baseline.html",
        project=project,
        baseline=baseline,
        charts=charts,
        data_changed=service.data_changed(db(), baseline),
        evidence=service.baseline_evidence(db(), baseline),
        sides=sides_of(project),
        error=error,
        history=journal.history(db(), "baselines", baseline.id),
    ), status


@bp.get("/projects/<int:project_id>/mv/baselines/<int:baseline_id>")
@login_required
def baseline(project_id: int, baseline_id: int):
    return _render_baseline(project_id, baseline_id)


@bp.post("/projects/<int:project_id>/mv/baselines/<int:baseline_id>/<any(approve, reject):action>")
@login_required
def baseline_action(project_id: int, baseline_id: int, action: str):
    actor = current_actor()
    mv_api.baseline_in(project_id, baseline_id)
    schema, run = (
        (BaselineApproveIn, service.approve_baseline)
        if action == "approve"
        else (MvCommentIn, service.reject_baseline)
    )
    data, errors = load_form(schema())
    try:
        if errors:
            raise Invalid(msg("mv.decision_invalid"), fields=errors)
        run(db(), actor, baseline_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_baseline(
            project_id, baseline_id, error=error_message(error), status=error.status
        )
    flash(_("Baseline decision recorded."), "success")
    return redirect(url_for("mv.baseline", project_id=project_id, baseline_id=baseline_id))

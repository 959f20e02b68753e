"""The M&V plan and baselines (propose, approve, reject, PDF, option D evidence)."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import login_required

from emc.mv import service
from emc.mv.api.common import (
    PROJECT,
    baseline_in,
    baseline_payload,
    baseline_pdf_response,
    blp,
    evidence_response,
)
from emc.mv.schemas import (
    BaselineApproveIn,
    BaselineOut,
    BaselineProposeIn,
    MvCommentIn,
    MvPlanIn,
    MvPlanOut,
)
from emc.web.db import db
from emc.web.security import current_actor

# --- the plan ------------------------------------------------------------------------------


@blp.route(f"{PROJECT}/mv-plan")
class Plan(MethodView):
    decorators = [login_required]

    @blp.response(200, MvPlanOut)
    def get(self, project_id):
        """The project's M&V plan (404 until written)."""
        return service.get_plan(db(), current_actor(), project_id)

    @blp.arguments(MvPlanIn)
    @blp.response(200, MvPlanOut)
    def put(self, data, project_id):
        """Write the plan (either party's M&V roles); ``version`` guards concurrent edits."""
        return service.put_plan(db(), current_actor(), project_id, **data)

    @blp.arguments(MvPlanIn)
    @blp.response(200, MvPlanOut)
    def post(self, data, project_id):
        """The same as PUT, for clients (and HTML forms) that cannot send PUT."""
        return service.put_plan(db(), current_actor(), project_id, **data)


# --- baselines -----------------------------------------------------------------------------


@blp.route(f"{PROJECT}/baselines")
class Baselines(MethodView):
    decorators = [login_required]

    @blp.response(200, BaselineOut(many=True))
    def get(self, project_id):
        """Every baseline version, newest first."""
        items = service.list_baselines(db(), current_actor(), project_id)
        return [baseline_payload(b, check=False) for b in items]

    @blp.arguments(BaselineProposeIn)
    @blp.response(201, BaselineOut)
    def post(self, data, project_id):
        """Fit and propose a baseline from stored data (the project's ESCO)."""
        baseline = service.propose_baseline(db(), current_actor(), project_id, **data)
        return baseline_payload(baseline)


@blp.route(f"{PROJECT}/baselines/<int:baseline_id>")
class BaselineItem(MethodView):
    decorators = [login_required]

    @blp.response(200, BaselineOut)
    def get(self, project_id, baseline_id):
        """One baseline version; ``data_changed`` says whether the data under it changed."""
        return baseline_payload(baseline_in(project_id, baseline_id))


@blp.route(f"{PROJECT}/baselines/<int:baseline_id>/approve")
class BaselineApprove(MethodView):
    decorators = [login_required]

    @blp.arguments(BaselineApproveIn)
    @blp.response(200, BaselineOut)
    def post(self, data, project_id, baseline_id):
        """Approve a proposed baseline (the institution); it is frozen from then on."""
        baseline_in(project_id, baseline_id)
        baseline = service.approve_baseline(db(), current_actor(), baseline_id, **data)
        return baseline_payload(baseline, check=False)


@blp.route(f"{PROJECT}/baselines/<int:baseline_id>/reject")
class BaselineReject(MethodView):
    decorators = [login_required]

    @blp.arguments(MvCommentIn)
    @blp.response(200, BaselineOut)
    def post(self, data, project_id, baseline_id):
        """Reject a proposed baseline with a comment (the institution)."""
        baseline_in(project_id, baseline_id)
        baseline = service.reject_baseline(db(), current_actor(), baseline_id, **data)
        return baseline_payload(baseline, check=False)


@blp.route(f"{PROJECT}/baselines/<int:baseline_id>.pdf")
class BaselinePdf(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="application/pdf")
    def get(self, project_id, baseline_id):
        """The baseline approval sheet (Chinese; ``?lang=en`` for English)."""
        return baseline_pdf_response(project_id, baseline_id)


@blp.route(f"{PROJECT}/baselines/<int:baseline_id>/evidence/<int:file_id>")
class BaselineEvidence(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="application/octet-stream")
    def get(self, project_id, baseline_id, file_id):
        """Download one evidence file of a baseline (option D simulation results)."""
        baseline = baseline_in(project_id, baseline_id)
        return evidence_response(
            service.get_baseline_evidence(db(), current_actor(), baseline.id, file_id)
        )

"""JSON API of the M&V workflow under ``/api/v1/projects/{project_id}``: the plan, baselines
(propose, approve, reject, PDF), reports (draft, submit, accept, dispute, revise, PDF) and
non-routine adjustments (propose with evidence files, agree, download evidence)."""

from __future__ import annotations

import json

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView
from flask_login import login_required
from flask_smorest import Blueprint
from sqlalchemy import select

from emc import clock
from emc.auth.models import Organization, User
from emc.errors import Invalid, NotFound
from emc.facilities.models import Meter
from emc.mv import service
from emc.mv.models import Baseline, MvReport
from emc.mv.schemas import (
    BaselineOut,
    BaselineProposeIn,
    MvAdjustmentIn,
    MvAdjustmentOut,
    MvCommentIn,
    MvDecisionIn,
    MvPlanIn,
    MvPlanOut,
    MvReasonIn,
    MvReportDraftIn,
    MvReportOut,
    MvReportSummaryOut,
)
from emc.reports import mv_pdf
from emc.web.db import db
from emc.web.security import current_actor

blp = Blueprint(
    "mv_api",
    __name__,
    url_prefix="/api/v1",
    description="Measurement and verification: plans, baselines, reports, adjustments",
)

_P = "/projects/<int:project_id>"


# --- helpers shared with the pages ---------------------------------------------------------


def baseline_in(project_id: int, baseline_id: int) -> Baseline:
    baseline = service.get_baseline(db(), current_actor(), baseline_id)
    if baseline.project_id != project_id:
        raise NotFound(f"baseline {baseline_id} not found")
    return baseline


def report_in(project_id: int, report_id: int, *, check: bool = True) -> MvReport:
    report = service.get_report(db(), current_actor(), report_id, check=check)
    if report.project_id != project_id:
        raise NotFound(f"M&V report {report_id} not found")
    return report


def baseline_payload(baseline: Baseline, *, check: bool = True) -> dict:
    out = {
        name: getattr(baseline, name) for name in BaselineOut().fields if hasattr(baseline, name)
    }
    out["data_changed"] = service.data_changed(db(), baseline) if check else None
    return out


def adjustment_payloads(report: MvReport) -> list[dict]:
    adjustments = service.adjustments_of(db(), report)
    files = service.evidence_of(db(), [a.id for a in adjustments])
    out = []
    for a in adjustments:
        item = {name: getattr(a, name) for name in MvAdjustmentOut().fields if name != "evidence"}
        item["evidence"] = files[a.id]
        out.append(item)
    return out


def report_payload(report: MvReport) -> dict:
    out = {
        name: getattr(report, name)
        for name in MvReportOut().fields
        if name not in ("stale", "adjustments")
    }
    out["stale"] = report.stale_since is not None
    out["adjustments"] = adjustment_payloads(report)
    return out


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u.display_name for u in db().scalars(select(User).where(User.id.in_(ids)))}


def pdf_context(project_id: int, *, versions=(), adjustments=()) -> mv_pdf.MvPdfContext:
    from emc.contracts import service as contracts

    actor = current_actor()
    project = contracts.get_project(db(), actor, project_id)
    orgs = {
        o.id: o.name_zh
        for o in db().scalars(
            select(Organization).where(
                Organization.id.in_(
                    [
                        project.organization_id,
                        project.esco_organization_id or project.organization_id,
                    ]
                )
            )
        )
    }
    user_ids: list[int | None] = []
    meters = {}
    adj_rows = []
    for a in adjustments:
        meter = db().get(Meter, a["meter_id"])
        meters[a["meter_id"]] = meter.name if meter else str(a["meter_id"])
        adj_rows.append(
            {
                "meter_id": a["meter_id"],
                "reason": a["reason"],
                "amount": a["amount"],
                "unit": a["unit"],
                "agreed": a["agreed"],
                "files": [f.filename for f in a["evidence"]],
            }
        )
    return mv_pdf.MvPdfContext(
        project_name=project.name,
        institution=orgs.get(project.organization_id, ""),
        esco=orgs.get(project.esco_organization_id, "—"),
        generated_at=clock.now(),
        people=_names(user_ids),
        meters=meters,
        versions=list(versions),
        adjustments=adj_rows,
    )


def pdf_locale() -> str:
    return "en" if request.args.get("lang") == "en" else "zh_CN"


def _pdf_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def baseline_pdf_response(project_id: int, baseline_id: int) -> Response:
    baseline = baseline_in(project_id, baseline_id)
    ctx = pdf_context(project_id)
    ctx.people.update(_names([baseline.proposed_by_user_id, baseline.decided_by_user_id]))
    body = mv_pdf.baseline_pdf(baseline, ctx, pdf_locale())
    return _pdf_response(body, f"baseline-{baseline.project_id}-v{baseline.version}.pdf")


def report_pdf_response(project_id: int, report_id: int) -> Response:
    report = report_in(project_id, report_id)
    baseline = db().get(Baseline, report.baseline_id)
    versions = [
        {
            "version": v.version,
            "status": v.status.value,
            "savings_value": v.savings_value,
            "comment": v.decision_comment or v.revision_reason,
        }
        for v in service.versions_of(db(), report)
    ]
    ctx = pdf_context(project_id, versions=versions, adjustments=adjustment_payloads(report))
    body = mv_pdf.report_pdf(report, baseline, ctx, pdf_locale())
    return _pdf_response(
        body, f"mv-report-{report.project_id}-{report.period_start}-v{report.version}.pdf"
    )


def adjustment_from_request() -> tuple[dict, list[tuple[str, str, bytes]]]:
    """An adjustment from JSON or a multipart form (``meter_id``, ``reason``, ``amount`` or
    ``series`` as a JSON list, ``files``)."""
    if request.is_json:
        raw = request.get_json(silent=True) or {}
        files = []
    else:
        raw = {
            k: v for k, v in request.form.items() if k not in ("csrf_token", "submit") and v != ""
        }
        if "series" in raw:
            try:
                raw["series"] = json.loads(raw["series"])
            except ValueError:
                raise Invalid(
                    "series is not a JSON list", fields={"series": ["a JSON list"]}
                ) from None
        files = []
        for upload in request.files.getlist("files"):
            # Read and close at once: a large upload is spooled to a temporary file.
            try:
                if upload.filename:
                    content = upload.read()
                    files.append((upload.filename, upload.mimetype or "", content))
            finally:
                upload.close()
    try:
        data = MvAdjustmentIn().load(raw)
    except ma.ValidationError as error:
        raise Invalid("the adjustment is invalid", fields=error.messages) from None
    return data, files


# --- the plan ------------------------------------------------------------------------------


@blp.route(f"{_P}/mv-plan")
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


@blp.route(f"{_P}/baselines")
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


@blp.route(f"{_P}/baselines/<int:baseline_id>")
class BaselineItem(MethodView):
    decorators = [login_required]

    @blp.response(200, BaselineOut)
    def get(self, project_id, baseline_id):
        """One baseline version; ``data_changed`` says whether the data under it changed."""
        return baseline_payload(baseline_in(project_id, baseline_id))


@blp.route(f"{_P}/baselines/<int:baseline_id>/approve")
class BaselineApprove(MethodView):
    decorators = [login_required]

    @blp.arguments(MvDecisionIn)
    @blp.response(200, BaselineOut)
    def post(self, data, project_id, baseline_id):
        """Approve a proposed baseline (the institution); it is frozen from then on."""
        baseline_in(project_id, baseline_id)
        baseline = service.approve_baseline(db(), current_actor(), baseline_id, **data)
        return baseline_payload(baseline, check=False)


@blp.route(f"{_P}/baselines/<int:baseline_id>/reject")
class BaselineReject(MethodView):
    decorators = [login_required]

    @blp.arguments(MvCommentIn)
    @blp.response(200, BaselineOut)
    def post(self, data, project_id, baseline_id):
        """Reject a proposed baseline with a comment (the institution)."""
        baseline_in(project_id, baseline_id)
        baseline = service.reject_baseline(db(), current_actor(), baseline_id, **data)
        return baseline_payload(baseline, check=False)


@blp.route(f"{_P}/baselines/<int:baseline_id>.pdf")
class BaselinePdf(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="application/pdf")
    def get(self, project_id, baseline_id):
        """The baseline approval sheet (Chinese; ``?lang=en`` for English)."""
        return baseline_pdf_response(project_id, baseline_id)


# --- reports -------------------------------------------------------------------------------


@blp.route(f"{_P}/mv-reports")
class Reports(MethodView):
    decorators = [login_required]

    @blp.response(200, MvReportSummaryOut(many=True))
    def get(self, project_id):
        """Every report version, newest period first."""
        return service.list_reports(db(), current_actor(), project_id)

    @blp.arguments(MvReportDraftIn)
    @blp.response(201, MvReportOut)
    def post(self, data, project_id):
        """Draft the report of ``[period_start, period_end)`` from stored data (the ESCO)."""
        return report_payload(service.draft_report(db(), current_actor(), project_id, **data))


@blp.route(f"{_P}/mv-reports/<int:report_id>")
class ReportItem(MethodView):
    decorators = [login_required]

    @blp.response(200, MvReportOut)
    def get(self, project_id, report_id):
        """One report version; a submitted or accepted one whose data changed is ``stale``."""
        return report_payload(report_in(project_id, report_id))


def _report_action(project_id, report_id, run, **data):
    report_in(project_id, report_id, check=False)
    return report_payload(run(db(), current_actor(), report_id, **data))


@blp.route(f"{_P}/mv-reports/<int:report_id>/submit")
class ReportSubmit(MethodView):
    decorators = [login_required]

    @blp.response(200, MvReportOut)
    def post(self, project_id, report_id):
        """Submit a draft (the ESCO)."""
        return _report_action(project_id, report_id, service.submit_report)


@blp.route(f"{_P}/mv-reports/<int:report_id>/accept")
class ReportAccept(MethodView):
    decorators = [login_required]

    @blp.arguments(MvDecisionIn)
    @blp.response(200, MvReportOut)
    def post(self, data, project_id, report_id):
        """Accept a submitted report (the institution): immutable, payment lines follow."""
        return _report_action(project_id, report_id, service.accept_report, **data)


@blp.route(f"{_P}/mv-reports/<int:report_id>/dispute")
class ReportDispute(MethodView):
    decorators = [login_required]

    @blp.arguments(MvCommentIn)
    @blp.response(200, MvReportOut)
    def post(self, data, project_id, report_id):
        """Dispute a submitted report with a comment (the institution)."""
        return _report_action(project_id, report_id, service.dispute_report, **data)


@blp.route(f"{_P}/mv-reports/<int:report_id>/revise")
class ReportRevise(MethodView):
    decorators = [login_required]

    @blp.arguments(MvReasonIn)
    @blp.response(201, MvReportOut)
    def post(self, data, project_id, report_id):
        """Revise a disputed report (or recompute a draft) as a new version (the ESCO)."""
        return _report_action(project_id, report_id, service.revise_report, **data)


@blp.route(f"{_P}/mv-reports/<int:report_id>.pdf")
class ReportPdf(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="application/pdf")
    def get(self, project_id, report_id):
        """The M&V report as PDF (Chinese; ``?lang=en`` for English)."""
        return report_pdf_response(project_id, report_id)


_ADJUSTMENT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": MvAdjustmentIn},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "meter_id": {"type": "integer"},
                    "reason": {"type": "string"},
                    "amount": {"type": "string"},
                    "series": {"type": "string", "description": "JSON list of daily values"},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
                "required": ["meter_id", "reason"],
            }
        },
    },
}


@blp.route(f"{_P}/mv-reports/<int:report_id>/adjustments")
class Adjustments(MethodView):
    decorators = [login_required]

    @blp.doc(requestBody=_ADJUSTMENT_BODY)
    @blp.response(201, MvAdjustmentOut)
    def post(self, project_id, report_id):
        """Propose a non-routine adjustment of a draft with evidence files (either party)."""
        report = report_in(project_id, report_id, check=False)
        data, files = adjustment_from_request()
        adjustment = service.add_adjustment(db(), current_actor(), report.id, files=files, **data)
        return next(a for a in adjustment_payloads(report) if a["id"] == adjustment.id)


@blp.route(f"{_P}/mv-reports/<int:report_id>/adjustments/<int:adjustment_id>/agree")
class AdjustmentAgree(MethodView):
    decorators = [login_required]

    @blp.response(200, MvAdjustmentOut)
    def post(self, project_id, report_id, adjustment_id):
        """The other party agrees to an adjustment."""
        report = report_in(project_id, report_id, check=False)
        service.agree_adjustment(db(), current_actor(), report.id, adjustment_id)
        return next(a for a in adjustment_payloads(report) if a["id"] == adjustment_id)


@blp.route(f"{_P}/mv-reports/<int:report_id>/evidence/<int:file_id>")
class Evidence(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="application/octet-stream")
    def get(self, project_id, report_id, file_id):
        """Download one evidence file of an adjustment."""
        report = report_in(project_id, report_id, check=False)
        evidence = service.get_evidence(db(), current_actor(), report.id, file_id)
        response = Response(evidence.data, mimetype=evidence.content_type)
        response.headers["Content-Disposition"] = f'attachment; filename="evidence-{evidence.id}"'
        response.headers["X-Content-SHA256"] = evidence.sha256
        return response

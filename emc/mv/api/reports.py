"""M&V reports (draft, submit, accept, dispute, revise, PDF) and their adjustments."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import login_required

from emc.mv import service
from emc.mv.api.common import (
    PROJECT,
    adjustment_from_request,
    adjustment_payloads,
    blp,
    evidence_response,
    report_in,
    report_payload,
    report_pdf_response,
)
from emc.mv.schemas import (
    MvAdjustmentIn,
    MvAdjustmentOut,
    MvCommentIn,
    MvDecisionIn,
    MvReasonIn,
    MvReportDraftIn,
    MvReportOut,
    MvReportSummaryOut,
    MvVersionIn,
)
from emc.web.db import db
from emc.web.security import current_actor

# --- reports -------------------------------------------------------------------------------


@blp.route(f"{PROJECT}/mv-reports")
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


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>")
class ReportItem(MethodView):
    decorators = [login_required]

    @blp.response(200, MvReportOut)
    def get(self, project_id, report_id):
        """One report version; a submitted or accepted one whose data changed is ``stale``."""
        return report_payload(report_in(project_id, report_id))


def _report_action(project_id, report_id, run, **data):
    report_in(project_id, report_id, check=False)
    return report_payload(run(db(), current_actor(), report_id, **data))


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>/submit")
class ReportSubmit(MethodView):
    decorators = [login_required]

    @blp.arguments(MvVersionIn)
    @blp.response(200, MvReportOut)
    def post(self, data, project_id, report_id):
        """Submit a draft (the ESCO); ``row_version`` is the version the ESCO saw."""
        return _report_action(project_id, report_id, service.submit_report, **data)


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>/accept")
class ReportAccept(MethodView):
    decorators = [login_required]

    @blp.arguments(MvDecisionIn)
    @blp.response(200, MvReportOut)
    def post(self, data, project_id, report_id):
        """Accept a submitted report (the institution): immutable, payment lines follow."""
        return _report_action(project_id, report_id, service.accept_report, **data)


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>/dispute")
class ReportDispute(MethodView):
    decorators = [login_required]

    @blp.arguments(MvCommentIn)
    @blp.response(200, MvReportOut)
    def post(self, data, project_id, report_id):
        """Dispute a submitted report with a comment (the institution)."""
        return _report_action(project_id, report_id, service.dispute_report, **data)


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>/revise")
class ReportRevise(MethodView):
    decorators = [login_required]

    @blp.arguments(MvReasonIn)
    @blp.response(201, MvReportOut)
    def post(self, data, project_id, report_id):
        """Revise a disputed report (or recompute a draft) as a new version (the ESCO)."""
        return _report_action(project_id, report_id, service.revise_report, **data)


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>.pdf")
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


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>/adjustments")
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


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>/adjustments/<int:adjustment_id>/agree")
class AdjustmentAgree(MethodView):
    decorators = [login_required]

    @blp.arguments(MvVersionIn)
    @blp.response(200, MvAdjustmentOut)
    def post(self, data, project_id, report_id, adjustment_id):
        """The other party agrees to an adjustment (``row_version``: the adjustment's)."""
        report = report_in(project_id, report_id, check=False)
        service.agree_adjustment(db(), current_actor(), report.id, adjustment_id, **data)
        return next(a for a in adjustment_payloads(report) if a["id"] == adjustment_id)


@blp.route(f"{PROJECT}/mv-reports/<int:report_id>/evidence/<int:file_id>")
class Evidence(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="application/octet-stream")
    def get(self, project_id, report_id, file_id):
        """Download one evidence file of an adjustment."""
        report = report_in(project_id, report_id, check=False)
        return evidence_response(service.get_evidence(db(), current_actor(), report.id, file_id))

"""The M&V API blueprint and the helpers its routes and the pages share (loading a baseline
or report of a project, payloads, PDF responses, multipart uploads)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import Response, request
from sqlalchemy import select

from emc import clock
from emc import exports as downloads
from emc.auth.models import Organization, Region, User
from emc.errors import Invalid, NotFound
from emc.facilities.models import Meter
from emc.i18n import translate
from emc.labels import period
from emc.messages import msg, record
from emc.mv import service
from emc.mv.models import Baseline, MvReport
from emc.mv.schemas import (
    BaselineOut,
    MvAdjustmentIn,
    MvAdjustmentOut,
    MvMeasurementIn,
    MvMeasurementOut,
    MvReportOut,
)
from emc.web.db import db
from emc.web.extensions import Blueprint
from emc.web.security import current_actor

if TYPE_CHECKING:
    from emc.reports import mv_pdf

blp = Blueprint(
    "mv_api",
    __name__,
    url_prefix="/api/v1",
    description="Measurement and verification: plans, baselines, reports, adjustments",
)

PROJECT = "/projects/<int:project_id>"


# --- helpers shared with the pages ---------------------------------------------------------


def baseline_in(project_id: int, baseline_id: int) -> Baseline:
    baseline = service.get_baseline(db(), current_actor(), baseline_id)
    if baseline.project_id != project_id:
        raise NotFound(msg("not_found", what=record("Baseline"), id=baseline_id))
    return baseline


def report_in(project_id: int, report_id: int, *, check: bool = True) -> MvReport:
    report = service.get_report(db(), current_actor(), report_id, check=check)
    if report.project_id != project_id:
        raise NotFound(msg("not_found", what=record("MVReport"), id=report_id))
    return report


def baseline_payload(baseline: Baseline, *, check: bool = True) -> dict:
    out = {
        name: getattr(baseline, name) for name in BaselineOut().fields if hasattr(baseline, name)
    }
    out["data_changed"] = service.data_changed(db(), baseline) if check else None
    out["evidence"] = service.baseline_evidence(db(), baseline)
    return out


def measurement_payloads(project_id: int) -> list[dict]:
    items = service.list_measurements(db(), current_actor(), project_id)
    files = service.evidence_of_measurements(db(), [m.id for m in items])
    fields = [name for name in MvMeasurementOut().fields if name != "evidence"]
    return [{name: getattr(m, name) for name in fields} | {"evidence": files[m.id]} for m in items]


def uploaded_files(name: str = "files") -> list[tuple[str, str, bytes]]:
    """The files of a multipart field as (filename, content type, bytes)."""
    files = []
    for upload in request.files.getlist(name):
        # Read and close at once: a large upload is spooled to a temporary file.
        try:
            if upload.filename:
                files.append((upload.filename, upload.mimetype or "", upload.read()))
        finally:
            upload.close()
    return files


def measurement_from_request(zone: str | None = None) -> tuple[dict, list[tuple[str, str, bytes]]]:
    """A measurement from a multipart form (``meter_id``, ``parameter``, ``value``, ``unit``,
    ``measured_at``, ``method``, ``files``). A page's ``datetime-local`` value (no offset) is
    read in ``zone``.

    Raises:
        Invalid: the fields fail :class:`MvMeasurementIn` (named), or the request is JSON
            (evidence files need a multipart upload).
    """
    if request.is_json:
        raise Invalid(
            msg("mv.measurement_sent_as_multipart_form"),
            fields={"files": [msg("mv.send_multipart_form_data_with")]},
        )
    raw = {k: v for k, v in request.form.items() if k not in ("csrf_token", "submit") and v != ""}
    if zone and raw.get("measured_at"):
        try:
            moment = dt.datetime.fromisoformat(raw["measured_at"])
            if moment.tzinfo is None:
                raw["measured_at"] = moment.replace(tzinfo=ZoneInfo(zone)).isoformat()
        except ValueError:
            pass  # the schema names the field
    try:
        data = MvMeasurementIn().load(raw)
    except ma.ValidationError as error:
        raise Invalid(msg("mv.measurement_invalid"), fields=error.messages) from None
    return data, uploaded_files()


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
        if name not in ("stale", "adjustments", "baseline_override_reason")
    }
    baseline = db().get(Baseline, report.baseline_id)
    out["baseline_override_reason"] = baseline.override_reason if baseline else None
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
    from emc.reports import mv_pdf  # reportlab loads with the first PDF

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
        zone=downloads.site_zone(),
        people=_names(user_ids),
        meters=meters,
        versions=list(versions),
        adjustments=adj_rows,
    )


def pdf_locale() -> str:
    return "en" if request.args.get("lang") == "en" else "zh_CN"


def _pdf_response(body: bytes, filename: str) -> Response:
    return downloads.pdf_download(body, filename).response()


def baseline_pdf_response(project_id: int, baseline_id: int) -> Response:
    baseline = baseline_in(project_id, baseline_id)
    ctx = pdf_context(project_id)
    ctx.people.update(_names([baseline.proposed_by_user_id, baseline.decided_by_user_id]))
    ctx.evidence.extend(
        {"filename": f.filename, "sha256": f.sha256}
        for f in service.baseline_evidence(db(), baseline)
    )
    from emc.reports import mv_pdf

    locale = pdf_locale()
    body = mv_pdf.baseline_pdf(baseline, ctx, locale)
    name = downloads.document_name(
        ctx.project_name,
        translate(locale, "Baseline approval sheet"),
        f"v{baseline.version}",
        ext="pdf",
    )
    return _pdf_response(body, name)


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
    codes = {f["region"] for f in report.factors or [] if f.get("region")}
    if codes:
        english = pdf_locale() == "en"
        ctx.regions.update(
            (r.code, (r.name_en if english and r.name_en else r.name_zh))
            for r in db().scalars(select(Region).where(Region.code.in_(codes)))
        )
    from emc.reports import mv_pdf

    locale = pdf_locale()
    body = mv_pdf.report_pdf(report, baseline, ctx, locale)
    name = downloads.document_name(
        ctx.project_name,
        translate(locale, "M&V report"),
        period(report.period_start, report.period_end).replace(" ", ""),
        f"v{report.version}",
        ext="pdf",
    )
    return _pdf_response(body, name)


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
                    msg("mv.series_not_json_list"), fields={"series": [msg("mv.json_list")]}
                ) from None
        files = uploaded_files()
    try:
        data = MvAdjustmentIn().load(raw)
    except ma.ValidationError as error:
        raise Invalid(msg("mv.adjustment_invalid"), fields=error.messages) from None
    return data, files


def evidence_response(evidence) -> Response:
    response = Response(evidence.data, mimetype=evidence.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="evidence-{evidence.id}"'
    response.headers["X-Content-SHA256"] = evidence.sha256
    return response

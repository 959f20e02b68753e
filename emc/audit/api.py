"""JSON API: energy audits, their workflow, consumption, figures, ECMs, proposals, workbook and
report downloads; energy quotas."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_login import login_required

from emc import exports as downloads
from emc.audit import service
from emc.audit.indicators import rounded
from emc.audit.schemas import (
    AuditEcmIn,
    AuditEcmOut,
    AuditEcmPatch,
    AuditIn,
    AuditOut,
    AuditPatch,
    AuditQuery,
    AuditVersionIn,
    BillsIn,
    ConsumptionOut,
    CustodyIn,
    FiguresQuery,
    ImportOut,
    ProposalIn,
    ProposalOut,
    QuotaIn,
    QuotaOut,
    QuotaQuery,
    ReturnIn,
    ReviseIn,
)
from emc.errors import Invalid
from emc.i18n import translate
from emc.messages import msg
from emc.web.db import db
from emc.web.extensions import Blueprint, QueryPage
from emc.web.security import current_actor

blp = Blueprint(
    "audit_api",
    __name__,
    url_prefix="/api/v1",
    description="Energy audits (GB/T 17166): accounts, indicators, ECMs, proposals; quotas",
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value, places: int | None = None) -> str | None:
    if value is None:
        return None
    return str(rounded(value, places) if places is not None else value)


def figures_payload(f: service.AuditFigures) -> dict[str, Any]:
    """The figures as JSON: unrounded tonnes as text; indicators rounded to 3 places."""
    a, i = f.accounts, f.indicators
    comparison = None
    if f.comparison is not None:
        q = f.comparison.quota
        comparison = {
            "basis": q.basis,
            "region_code": q.region_code,
            "building_type": q.building_type,
            "year": q.year,
            "constraint_value": str(q.constraint_value),
            "baseline_value": str(q.baseline_value),
            "guide_value": str(q.guide_value),
            "source": q.source,
            "value": _text(f.comparison.value, 3),
            "level": f.comparison.level,
            "ratio_to_baseline": _text(f.comparison.ratio, 4),
        }
    return {
        "audit_id": f.audit.id,
        "tce_variant": a.variant,
        "generation_available": f.generation_available,
        "years": a.years,
        "sites": [{"id": s.id, "name": s.name} for s in f.sites],
        "buildings": [
            {
                "id": b.id,
                "name": b.name,
                "floor_area_m2": str(b.floor_area_m2),
                "building_type": b.building_type.value,
                "occupants": b.occupants,
            }
            for b in f.buildings
        ],
        "by_carrier": [
            {
                "carrier": c.carrier,
                "quantity": str(c.quantity),
                "unit": c.unit,
                "tce": str(c.tce),
                "tco2": str(c.tco2),
                "cost": str(c.cost),
            }
            for c in a.by_carrier.values()
        ],
        "by_month": [
            {"month": m.isoformat(), "tce": str(t), "tco2": str(co2)}
            for m, (t, co2) in a.by_month.items()
        ],
        "total_tce": str(a.total_tce),
        "total_tco2": str(a.total_tco2),
        "total_cost": str(a.total_cost),
        "indicators": {
            "annual_tce": _text(i.annual_tce, 3),
            "annual_tco2": _text(i.annual_tco2, 3),
            "annual_cost": _text(i.annual_cost, 2),
            "floor_area_m2": _text(i.floor_area_m2),
            "occupants": i.occupants,
            "kgce_per_m2": _text(i.kgce_per_m2, 3),
            "kgce_per_person": _text(i.kgce_per_person, 3),
            "kgco2_per_m2": _text(i.kgco2_per_m2, 3),
            "electricity_share": _text(i.electricity_share, 4),
            "coal_share": _text(i.coal_share, 4),
            "end_use_tce": {k: _text(v, 3) for k, v in i.end_use_tce.items()},
        },
        "building_type": f.building_type.value if f.building_type else None,
        "quota": comparison,
        # Base-period months without consumption: while any, "quota" is null (no verdict).
        "missing_months": [m.strftime("%Y-%m") for m in f.missing_months],
        "custody_flags": f.custody_flags,
        "data_centre": f.data_centre,
        "warnings": list(a.warnings),
    }


# --- audits -------------------------------------------------------------------------------------


@blp.route("/audits")
class Audits(MethodView):
    decorators = [login_required]

    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, query):
        """Audits the caller may see (institution: own; auditor: commissioned; agency: region)."""
        return service.audits_query(current_actor(), status=query.get("status"))

    @blp.arguments(AuditIn)
    @blp.response(201, AuditOut)
    def post(self, data):
        """Commission an audit of the caller's institution (admin, energy manager)."""
        return service.create_audit(db(), current_actor(), **data)


@blp.route("/audits/<int:audit_id>")
class AuditItem(MethodView):
    decorators = [login_required]

    @blp.response(200, AuditOut)
    def get(self, audit_id):
        return service.get_audit(db(), current_actor(), audit_id)

    @blp.arguments(AuditPatch)
    @blp.response(200, AuditOut)
    def patch(self, data, audit_id):
        """Change a draft or returned audit (commissioning details: institution; technical
        details: auditor)."""
        return service.update_audit(db(), current_actor(), audit_id, **data)


@blp.route("/audits/<int:audit_id>/submit")
class AuditSubmit(MethodView):
    decorators = [login_required]

    @blp.arguments(AuditVersionIn)
    @blp.response(200, AuditOut)
    def post(self, data, audit_id):
        """The auditor submits the audit for review (records the factor set)."""
        return service.submit_audit(db(), current_actor(), audit_id, **data)


@blp.route("/audits/<int:audit_id>/accept")
class AuditAccept(MethodView):
    decorators = [login_required]

    @blp.arguments(AuditVersionIn)
    @blp.response(200, AuditOut)
    def post(self, data, audit_id):
        """The institution accepts a submitted audit (it becomes immutable)."""
        return service.accept_audit(db(), current_actor(), audit_id, **data)


@blp.route("/audits/<int:audit_id>/return")
class AuditReturn(MethodView):
    decorators = [login_required]

    @blp.arguments(ReturnIn)
    @blp.response(200, AuditOut)
    def post(self, data, audit_id):
        """The institution returns a submitted audit with comments."""
        return service.return_audit(db(), current_actor(), audit_id, **data)


@blp.route("/audits/<int:audit_id>/revise")
class AuditRevise(MethodView):
    decorators = [login_required]

    @blp.arguments(ReviseIn)
    @blp.response(201, AuditOut)
    def post(self, data, audit_id):
        """Start a new version of an accepted audit, with a reason."""
        return service.revise_audit(db(), current_actor(), audit_id, **data)


# --- consumption and figures --------------------------------------------------------------------


@blp.route("/audits/<int:audit_id>/consumption")
class Consumption(MethodView):
    decorators = [login_required]

    @blp.response(200, ConsumptionOut(many=True))
    def get(self, audit_id):
        return service.list_consumption(db(), current_actor(), audit_id)

    @blp.arguments(BillsIn)
    @blp.response(201, ConsumptionOut(many=True))
    def post(self, data, audit_id):
        """Record consumption from bills (``replace``: drop the earlier bill rows first)."""
        return service.add_bills(
            db(), current_actor(), audit_id, data["rows"], replace=data["replace"]
        )


@blp.route("/audits/<int:audit_id>/consumption/from-meters")
class ConsumptionFromMeters(MethodView):
    decorators = [login_required]

    @blp.response(201, ConsumptionOut(many=True))
    def post(self, audit_id):
        """Take monthly totals of the stored main meters of the sites in scope."""
        return service.consumption_from_meters(db(), current_actor(), audit_id)


@blp.route("/audits/<int:audit_id>/figures")
class Figures(MethodView):
    decorators = [login_required]

    @blp.arguments(FiguresQuery, location="query")
    @blp.response(200)
    def get(self, query, audit_id):
        """Accounts (tce, tCO2, cost by carrier and month), indicators, quota comparison and
        custody flags, with the factor set recorded in the audit. The quota comparison is null
        until every month of the base period has its consumption (``missing_months`` lists
        those without)."""
        figures = service.figures(db(), current_actor(), audit_id, variant=query.get("tce_variant"))
        return figures_payload(figures)


# --- ECMs and proposals -------------------------------------------------------------------------


@blp.route("/audits/<int:audit_id>/ecms")
class Ecms(MethodView):
    decorators = [login_required]

    @blp.response(200, AuditEcmOut(many=True))
    def get(self, audit_id):
        return service.list_ecms(db(), current_actor(), audit_id)

    @blp.arguments(AuditEcmIn)
    @blp.response(201, AuditEcmOut)
    def post(self, data, audit_id):
        """The auditor adds an ECM (tce and tCO2 computed from the energy saving if omitted)."""
        return service.add_ecm(db(), current_actor(), audit_id, **data)


@blp.route("/audits/<int:audit_id>/ecms/<int:ecm_id>")
class EcmItem(MethodView):
    decorators = [login_required]

    @blp.arguments(AuditEcmPatch(partial=True))
    @blp.response(200, AuditEcmOut)
    def patch(self, data, audit_id, ecm_id):
        """Change an ECM's content (auditor) or status (institution)."""
        return service.update_ecm(db(), current_actor(), audit_id, ecm_id, **data)


@blp.route("/audits/<int:audit_id>/proposal")
class Proposal(MethodView):
    decorators = [login_required]

    @blp.arguments(ProposalIn)
    @blp.response(201, ProposalOut)
    def post(self, data, audit_id):
        """Turn ECMs of an accepted audit into an EMC project proposal."""
        return service.create_proposal(db(), current_actor(), audit_id, **data)


@blp.route("/audits/<int:audit_id>/custody-contract")
class CustodyContract(MethodView):
    decorators = [login_required]

    @blp.arguments(CustodyIn)
    @blp.response(201, ProposalOut)
    def post(self, data, audit_id):
        """From an accepted custody-candidate audit, a project proposal with an energy-cost
        custody contract whose baseline energy cost is the audit's."""
        return service.create_custody_contract(db(), current_actor(), audit_id, **data)


# --- workbook and report ------------------------------------------------------------------------


@blp.route("/audits/<int:audit_id>/workbook.xlsx")
class Workbook(MethodView):
    decorators = [login_required]

    @blp.response(200)
    def get(self, audit_id):
        """The XLSX template filled with the audit's consumption and ECMs (with tce, tCO2)."""
        actor = current_actor()
        data = service.export_workbook(db(), actor, audit_id)
        return downloads.Download(
            data, downloads.XLSX_TYPE, _audit_file_name(actor, audit_id, "zh_CN", "xlsx")
        ).response()


def _audit_file_name(actor, audit_id: int, locale: str, ext: str) -> str:
    """ "<title>-能源审计.pdf": the audit as the institution named it, and what the file is."""
    title = service.get_audit(db(), actor, audit_id).title
    return downloads.document_name(title, translate(locale, "Energy audit"), ext=ext)


def import_from_request(audit_id: int) -> dict:
    """Run a workbook upload from a multipart form (``file``); shared by the API and the page."""
    upload = request.files.get("file")
    actor = current_actor()
    service.get_audit(db(), actor, audit_id)  # another tenant's audit is 404 whatever was sent
    if upload is None or not upload.filename:
        raise Invalid(
            msg("audit.no_file"), fields={"file": [msg("audit.choose_filled_xlsx_template")]}
        )
    return service.import_workbook(db(), actor, audit_id, upload.stream)


@blp.route("/audits/<int:audit_id>/workbook")
class WorkbookUpload(MethodView):
    decorators = [login_required]

    @blp.response(200, ImportOut)
    def post(self, audit_id):
        """Upload the filled-in template: replaces bill rows and ECMs, or nothing on any
        problem (each named by sheet, row and column)."""
        return import_from_request(audit_id)


@blp.route("/audits/<int:audit_id>/report.pdf")
class Report(MethodView):
    decorators = [login_required]

    @blp.response(200)
    def get(self, audit_id):
        """The audit report (PDF, Chinese by default; ``?lang=en`` for English)."""
        lang = "en" if request.args.get("lang") == "en" else "zh_CN"
        actor = current_actor()
        data = service.report_pdf(db(), actor, audit_id, locale=lang, zone=downloads.site_zone())
        return downloads.pdf_download(
            data, _audit_file_name(actor, audit_id, lang, "pdf")
        ).response()


# --- quotas -------------------------------------------------------------------------------------


@blp.route("/quotas")
class Quotas(MethodView):
    decorators = [login_required]

    @blp.arguments(QuotaQuery, location="query")
    @blp.response(200, QuotaOut(many=True))
    def get(self, query):
        """Energy quotas (reference data), optionally by region and building type."""
        return service.list_quotas(db(), current_actor(), **query)

    @blp.arguments(QuotaIn)
    @blp.response(201, QuotaOut)
    def post(self, data):
        """Add a quota for a region of the caller's subtree (agency admin, officer; platform)."""
        return service.create_quota(db(), current_actor(), **data)

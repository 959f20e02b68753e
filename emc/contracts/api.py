"""JSON API: projects, contracts and amendments, custody fee adjustments, payment schedules,
the payment workflow, and schedule downloads (CSV, XLSX, PDF)."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_login import login_required
from sqlalchemy import select

from emc import clock
from emc import exports as downloads
from emc.auth.models import User
from emc.contracts import economics_view, exports, service
from emc.contracts.models import AmendmentStatus, Contract
from emc.contracts.schemas import (
    AmendmentOut,
    ContractIn,
    ContractOut,
    CustodyAdjustmentIn,
    CustodyAdjustmentOut,
    CustodyRejectIn,
    HoldIn,
    LineQuery,
    PayIn,
    PaymentLineOut,
    ProjectAmendmentIn,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    ProjectQuery,
    ProjectTransitionIn,
    RegenerationOut,
    RejectIn,
    RowVersionIn,
    VersionIn,
)
from emc.contracts.views import org_names
from emc.errors import NotFound
from emc.exports import request_locale, site_zone
from emc.i18n import translate
from emc.web.db import db
from emc.web.extensions import Blueprint, RowPage
from emc.web.security import current_actor

blp = Blueprint(
    "contracts_api",
    __name__,
    url_prefix="/api/v1",
    description="EMC projects, contracts, payment schedules and the payment workflow",
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def contract_payload(contract: Contract) -> dict:
    amendments = service.list_amendments(db(), current_actor(), contract)
    proposed = [a for a in amendments if a.status is AmendmentStatus.PROPOSED]
    return {
        "id": contract.id,
        "project_id": contract.project_id,
        "contract_type": contract.contract_type,
        "terms": contract.terms,
        "savings_estimates": contract.savings_estimates,
        "version": contract.version,
        "updated_at": contract.updated_at,
        "amendments": amendments,
        "proposed_amendment": proposed[-1] if proposed else None,
    }


@blp.route("/projects")
class Projects(MethodView):
    decorators = [login_required]

    @blp.arguments(ProjectQuery, location="query")
    @blp.response(200, ProjectOut(many=True))
    @blp.paginate(RowPage)
    def get(self, query):
        """Projects the caller may see (institution: own; ESCO: contracted; agency: region)."""
        return service.projects_query(current_actor(), status=query.get("status"))

    @blp.arguments(ProjectIn)
    @blp.response(201, ProjectOut)
    def post(self, data):
        """Create a draft project of the caller's institution (admin, energy manager)."""
        return service.create_project(db(), current_actor(), **data)


@blp.route("/projects/<int:project_id>")
class ProjectItem(MethodView):
    decorators = [login_required]

    @blp.response(200, ProjectOut)
    def get(self, project_id):
        return service.get_project(db(), current_actor(), project_id)

    @blp.arguments(ProjectPatch)
    @blp.response(200, ProjectOut)
    def patch(self, data, project_id):
        """Change a project or move its status (draft → proposed → contracted → …); send the
        ``row_version`` you read. A signed project's ESCO, dates and investment change only by
        an amendment both parties agree (409 ``consent_required`` naming the fields)."""
        return service.update_project(db(), current_actor(), project_id, **data)


@blp.route("/projects/<int:project_id>/transitions/<action>")
class ProjectTransition(MethodView):
    decorators = [login_required]

    @blp.arguments(ProjectTransitionIn)
    @blp.response(200, ProjectOut)
    def post(self, data, project_id, action):
        """One step of the project's life (an unknown ``action`` is 422): ``propose`` and
        ``withdraw`` (institution),
        ``sign`` (each party, with ``signed_on``; signed once both have), ``start_works``,
        ``start_operation`` (``works_accepted_on``, ``operation_start_on``), ``complete``
        (``term_end_on``), ``terminate`` (``termination_reason``)."""
        return service.move_project(db(), current_actor(), project_id, action, **data)


@blp.route("/projects/<int:project_id>/amendments")
class ProjectAmendments(MethodView):
    decorators = [login_required]

    @blp.arguments(ProjectAmendmentIn)
    @blp.response(201, AmendmentOut)
    def post(self, data, project_id):
        """Propose a change of a signed project's ESCO, dates or investment as a contract
        amendment (the institution's project managers or the ESCO's admins; an admin's own
        party agrees by proposing); it applies once both parties agree, and the incoming ESCO
        too when it swaps the ESCO."""
        return service.propose_project_amendment(db(), current_actor(), project_id, **data)


@blp.route("/projects/<int:project_id>/contract")
class ContractItem(MethodView):
    decorators = [login_required]

    @blp.response(200, ContractOut)
    def get(self, project_id):
        """The contract: terms document, savings estimates, version and amendments."""
        return contract_payload(service.get_contract(db(), current_actor(), project_id))

    @blp.arguments(ContractIn)
    @blp.response(200, ContractOut)
    def put(self, data, project_id):
        """Set the terms (before signing) or propose an amendment with a reason (after)."""
        contract, _amendment = service.set_contract_terms(db(), current_actor(), project_id, **data)
        return contract_payload(contract)

    @blp.arguments(ContractIn)
    @blp.response(200, ContractOut)
    def post(self, data, project_id):
        """The same as PUT, for clients (and HTML forms) that cannot send PUT."""
        contract, _amendment = service.set_contract_terms(db(), current_actor(), project_id, **data)
        return contract_payload(contract)


@blp.route("/projects/<int:project_id>/contract/amendments/<int:amendment_id>/agree")
class AmendmentAgree(MethodView):
    decorators = [login_required]

    @blp.arguments(RowVersionIn)
    @blp.response(200, AmendmentOut)
    def post(self, data, project_id, amendment_id):
        """One party's agreement (institution or ESCO admin, or an incoming ESCO's admin); the
        amendment applies once every party needed has agreed."""
        return service.agree_amendment(db(), current_actor(), project_id, amendment_id, **data)


@blp.route("/projects/<int:project_id>/contract/amendments/<int:amendment_id>/reject")
class AmendmentReject(MethodView):
    decorators = [login_required]

    @blp.arguments(RejectIn)
    @blp.response(200, AmendmentOut)
    def post(self, data, project_id, amendment_id):
        """The party that did not propose the amendment rejects it, with a comment."""
        return service.reject_amendment(db(), current_actor(), project_id, amendment_id, **data)


@blp.route("/projects/<int:project_id>/contract/amendments/<int:amendment_id>/withdraw")
class AmendmentWithdraw(MethodView):
    decorators = [login_required]

    @blp.arguments(RowVersionIn)
    @blp.response(200, AmendmentOut)
    def post(self, data, project_id, amendment_id):
        """The proposing party withdraws the amendment."""
        return service.withdraw_amendment(db(), current_actor(), project_id, amendment_id, **data)


@blp.route("/projects/<int:project_id>/custody-adjustments")
class CustodyAdjustments(MethodView):
    decorators = [login_required]

    @blp.response(200, CustodyAdjustmentOut(many=True))
    def get(self, project_id):
        """Custody fee adjustments of the project's contract (proposed and agreed), oldest first."""
        return service.list_custody_adjustments(db(), current_actor(), project_id)

    @blp.arguments(CustodyAdjustmentIn)
    @blp.response(201, CustodyAdjustmentOut)
    def post(self, data, project_id):
        """Propose a floor area or energy price change of a signed custody contract's fees
        (institution admin, energy manager); it applies once both parties have agreed."""
        return service.propose_custody_adjustment(db(), current_actor(), project_id, **data)


@blp.route("/projects/<int:project_id>/custody-adjustments/<int:adjustment_id>/agree")
class CustodyAdjustmentAgree(MethodView):
    decorators = [login_required]

    @blp.arguments(VersionIn)
    @blp.response(200, CustodyAdjustmentOut)
    def post(self, data, project_id, adjustment_id):
        """One party's agreement (institution or ESCO admin); with both, the adjustment applies
        from its effective date at the next schedule regeneration (with true-ups)."""
        return service.agree_custody_adjustment(
            db(), current_actor(), project_id, adjustment_id, **data
        )


@blp.route("/projects/<int:project_id>/custody-adjustments/<int:adjustment_id>/reject")
class CustodyAdjustmentReject(MethodView):
    decorators = [login_required]

    @blp.arguments(CustodyRejectIn)
    @blp.response(200, CustodyAdjustmentOut)
    def post(self, data, project_id, adjustment_id):
        """The party that did not propose the adjustment rejects it, with a comment."""
        return service.reject_custody_adjustment(
            db(), current_actor(), project_id, adjustment_id, **data
        )


@blp.route("/projects/<int:project_id>/custody-adjustments/<int:adjustment_id>/withdraw")
class CustodyAdjustmentWithdraw(MethodView):
    decorators = [login_required]

    @blp.arguments(VersionIn)
    @blp.response(200, CustodyAdjustmentOut)
    def post(self, data, project_id, adjustment_id):
        """The proposing party withdraws the adjustment."""
        return service.withdraw_custody_adjustment(
            db(), current_actor(), project_id, adjustment_id, **data
        )


@blp.route("/projects/<int:project_id>/schedule")
class Schedule(MethodView):
    decorators = [login_required]

    @blp.arguments(LineQuery, location="query")
    @blp.response(200, PaymentLineOut(many=True))
    def get(self, query, project_id):
        """The payment schedule lines (projected and actual), by period."""
        return service.list_lines(db(), current_actor(), project_id, source=query.get("source"))

    @blp.response(200, RegenerationOut)
    def post(self, project_id):
        """Regenerate the projected schedule and fixed lines; idempotent; reports conflicts."""
        return service.regenerate_schedule(db(), current_actor(), project_id).as_dict()


def _people(lines) -> dict[int, str]:
    """Names of the finance users who prepared, approved or paid ``lines``."""
    ids = {
        i
        for x in lines
        for i in (x.prepared_by_user_id, x.approved_by_user_id, x.paid_by_user_id)
        if i is not None
    }
    if not ids:
        return {}
    return {u.id: u.display_name for u in db().scalars(select(User).where(User.id.in_(ids)))}


def _download(project_id: int, fmt: str) -> Response:
    actor = current_actor()
    project = service.get_project(db(), actor, project_id)
    lines = service.list_lines(db(), actor, project.id)
    people, locale, zone = _people(lines), request_locale(), site_zone()
    name = translate(locale, "Payment schedule: %(project)s", project=project.name)
    filename = downloads.document_name(name, ext=fmt)
    if fmt == "csv":
        body = exports.schedule_csv(project, lines, people=people, locale=locale, zone=zone)
        return downloads.Download(body, downloads.CSV_TYPE, filename).response()
    body = exports.schedule_xlsx(
        project,
        lines,
        people=people,
        names=org_names([project.organization_id, project.esco_organization_id]),
        generated_at=clock.now(),
        locale=locale,
        zone=zone,
    )
    return downloads.Download(body, downloads.XLSX_TYPE, filename).response()


@blp.route("/projects/<int:project_id>/schedule.csv")
class ScheduleCsv(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="text/csv", description="The schedule as CSV (UTF-8, BOM)")
    def get(self, project_id):
        return _download(project_id, "csv")


@blp.route("/projects/<int:project_id>/schedule.xlsx")
class ScheduleXlsx(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type=XLSX_TYPE, description="The schedule as an XLSX workbook")
    def get(self, project_id):
        return _download(project_id, "xlsx")


@blp.route("/projects/<int:project_id>/schedule.pdf")
class SchedulePdf(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="application/pdf", description="The schedule as PDF")
    def get(self, project_id):
        """The printable payment schedule (Chinese by default; ``?lang=en`` for English)."""
        actor = current_actor()
        project = service.get_project(db(), actor, project_id)
        try:
            contract = service.get_contract(db(), actor, project.id)
        except NotFound:
            contract = None
        lines = service.list_lines(db(), actor, project.id)
        from emc.reports import schedule_pdf  # reportlab loads with the first PDF

        locale = "en" if request.args.get("lang") == "en" else "zh_CN"

        body = schedule_pdf.build(
            project,
            contract,
            lines,
            names=org_names([project.organization_id, project.esco_organization_id]),
            people=_people(lines),
            generated_at=clock.now(),
            zone=site_zone(),
            locale=locale,
        )
        name = translate(locale, "Payment schedule: %(project)s", project=project.name)
        return downloads.pdf_download(body, downloads.document_name(name, ext="pdf")).response()


@blp.route("/projects/<int:project_id>/economics")
class Economics(MethodView):
    decorators = [login_required]

    @blp.response(200)
    def get(self, project_id):
        """NPV, IRR, simple and discounted payback of the institution and the ESCO; the
        sensitivity table (savings ±10 %/±20 %, price ±10 %); projected vs actual (settled) by
        contract year, with what of it is paid. ``cash_flows[0]`` is signing (t = 0): ``npv`` is numpy-financial's, which treats
        the first flow as t = 0. Amounts in yuan as strings; IRR a fraction per year."""
        return economics_view.payload(service.project_economics(db(), current_actor(), project_id))


@blp.route("/payment-lines/<int:line_id>/prepare")
class LinePrepare(MethodView):
    decorators = [login_required]

    @blp.arguments(VersionIn)
    @blp.response(200, PaymentLineOut)
    def post(self, data, line_id):
        """Prepare a scheduled actual line for payment (finance)."""
        return service.prepare_line(db(), current_actor(), line_id, **data)


@blp.route("/payment-lines/<int:line_id>/approve")
class LineApprove(MethodView):
    decorators = [login_required]

    @blp.arguments(VersionIn)
    @blp.response(200, PaymentLineOut)
    def post(self, data, line_id):
        """Approve a prepared line (finance; never the preparer). A stale version is 409."""
        return service.approve_line(db(), current_actor(), line_id, **data)


@blp.route("/payment-lines/<int:line_id>/pay")
class LinePay(MethodView):
    decorators = [login_required]

    @blp.arguments(PayIn)
    @blp.response(200, PaymentLineOut)
    def post(self, data, line_id):
        """Record the payment of an approved line. A stale version is 409: never paid twice."""
        return service.pay_line(db(), current_actor(), line_id, **data)


@blp.route("/payment-lines/<int:line_id>/hold")
class LineHold(MethodView):
    decorators = [login_required]

    @blp.arguments(HoldIn)
    @blp.response(200, PaymentLineOut)
    def post(self, data, line_id):
        """Put an unpaid line on hold with a reason."""
        return service.hold_line(db(), current_actor(), line_id, **data)


@blp.route("/payment-lines/<int:line_id>/release")
class LineRelease(MethodView):
    decorators = [login_required]

    @blp.arguments(VersionIn)
    @blp.response(200, PaymentLineOut)
    def post(self, data, line_id):
        """Release a hold (a prepared line must be approved again)."""
        return service.release_line(db(), current_actor(), line_id, **data)

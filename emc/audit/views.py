"""Pages: the audit list (and commissioning form), an audit's detail (scope, accounts,
indicators, ECMs, workflow actions, workbook upload, proposal), and energy quotas."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import aliased

from emc import clock, journal, paging
from emc.audit import service
from emc.audit.api import import_from_request
from emc.audit.indicators import END_USES, counted_rows, rounded, simple_payback
from emc.audit.models import (
    EDITABLE_STATUSES,
    AuditStatus,
    EcmCategory,
    EcmStatus,
    EnergyAudit,
    QuotaBasis,
)
from emc.audit.schemas import (
    AuditEcmIn,
    AuditEcmPatch,
    AuditIn,
    AuditPatch,
    AuditVersionIn,
    CustodyIn,
    ProposalIn,
    QuotaIn,
    ReturnIn,
    ReviseIn,
)
from emc.auth.models import Organization, OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import require, scoped
from emc.contracts.finance import ContractType, PaymentFrequency
from emc.energy import Carrier
from emc.errors import EmcError
from emc.facilities.models import Building, BuildingType, Site
from emc.i18n import N_
from emc.web.db import db, rollback_request_session
from emc.web.forms import form_data, load_form, localise
from emc.web.messages import say
from emc.web.security import current_actor

bp = Blueprint("audit", __name__)


@bp.app_context_processor
def _labels():
    return {
        "audit_status_label": lambda s: _(service.STATUS_LABELS[AuditStatus(s)]),
        "ecm_category_label": lambda c: _(service.CATEGORY_LABELS[str(c)]),
        "ecm_status_label": lambda s: _(service.ECM_STATUS_LABELS[s]),
        "audit_contract_label": lambda t: _(service.CONTRACT_LABELS[ContractType(t)]),
        "audit_level_label": lambda n: _(service.LEVEL_LABELS[int(n)]),
        "building_type_label": lambda t: _(service.BUILDING_TYPE_LABELS[BuildingType(t)]),
    }


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = db().scalars(select(Organization).where(Organization.id.in_(ids)))
    return {o.id: o.name_zh for o in rows}


def _errors_of(error: EmcError) -> dict:
    return {"_": [say(error.message)], **localise(error.fields)}


# --- lists rows: the audits list (emc.paging) ---
AUDIT_SORTS = {
    "newest": (EnergyAudit.id,),
    "title": (EnergyAudit.title, EnergyAudit.id),
    "period": (EnergyAudit.period_start, EnergyAudit.id),
    "status": (EnergyAudit.status, EnergyAudit.id),
}


def audit_list_select(actor, lq: paging.ListQuery):
    """The audits ``actor`` may see: text in the title or institution, status, base-period
    year (any year the period covers), level as the type; in the asked order."""
    require(actor, Permission.AUDITS_READ)
    institution = aliased(Organization)
    stmt = scoped(actor, EnergyAudit).join(
        institution, institution.id == EnergyAudit.organization_id
    )
    stmt = paging.text_filter(stmt, lq.q, EnergyAudit.title, institution.name_zh)
    if lq.status:
        stmt = stmt.where(EnergyAudit.status == AuditStatus(lq.status))
    if lq.year:
        stmt = stmt.where(
            EnergyAudit.period_start < dt.date(lq.year + 1, 1, 1),
            EnergyAudit.period_end > dt.date(lq.year, 1, 1),
        )
    if lq.type:
        stmt = stmt.where(EnergyAudit.level == int(lq.type))
    return paging.ordered(stmt, AUDIT_SORTS, lq)


def _list_page(*, errors=None, status: int = 200):
    actor = current_actor()
    session = db()
    lq = paging.list_query(
        request.args,
        sorts=AUDIT_SORTS,
        default_sort="newest",
        default_descending=True,
        statuses=[s.value for s in AuditStatus],
        types=[str(n) for n in service.LEVEL_LABELS],
    )
    page = paging.paginate(session, audit_list_select(actor, lq), lq.page)
    audits = page.items
    commission = can(actor, Permission.AUDITS_COMMISSION)
    auditors, sites = [], []
    if commission:
        auditors = list(
            session.scalars(
                select(Organization)
                .where(Organization.kind == OrgKind.AUDITOR, Organization.is_active.is_(True))
                .order_by(Organization.name_zh)
            )
        )
        sites = list(
            session.scalars(
                scoped(actor, Site)
                .where(Site.organization_id == actor.organization_id)
                .order_by(Site.name)
            )
        )
    names = _names(
        [a.organization_id for a in audits] + [a.auditor_organization_id for a in audits]
    )
    return render_template(
        "audit/audits.html",
        audits=audits,
        page=page,
        lq=lq,
        statuses=[(s.value, _(service.STATUS_LABELS[s])) for s in AuditStatus],
        types=[(str(n), _(label)) for n, label in service.LEVEL_LABELS.items()],
        years=list(range(clock.now().year, clock.now().year - 15, -1)),
        names=names,
        may_commission=commission,
        auditors=auditors,
        sites=sites,
        errors=errors or {},
        form=request.form if errors else {},
    ), status


@bp.get("/audits")
@login_required
def audits():
    require(current_actor(), Permission.AUDITS_READ)  # 403 for roles that read no audits
    return _list_page()


@bp.post("/audits")
@login_required
def create():
    data = form_data()
    data["site_ids"] = request.form.getlist("site_ids")
    data["building_ids"] = request.form.getlist("building_ids")
    loaded, errors = load_form(AuditIn(), data)
    if errors:
        service.list_audits(db(), current_actor())
        if not can(current_actor(), Permission.AUDITS_COMMISSION):
            return _list_page(status=403)
        return _list_page(errors=errors, status=422)
    try:
        audit = service.create_audit(db(), current_actor(), **loaded)
    except EmcError as error:
        if error.status in (403, 404):
            raise
        # The audit row was written before its scope was refused: the list shown with the
        # error must not read it (it listed a 草稿 whose link was a 404).
        rollback_request_session()
        return _list_page(errors=_errors_of(error), status=error.status)
    flash(_("Audit commissioned."), "success")
    return redirect(url_for("audit.detail", audit_id=audit.id))


# The order the decision buttons of a measure are shown in.
_ECM_MOVE_ORDER = (
    EcmStatus.ACCEPTED,
    EcmStatus.IMPLEMENTED,
    EcmStatus.DISCARDED,
    EcmStatus.PROPOSED,
)


def _detail_page(
    audit_id: int, *, errors=None, status: int = 200, form: str | None = None, ecm_id=None
):
    """The audit page; on a failed form post, ``form`` names the form whose errors and entered
    values are shown (``commission``, ``ecm``: the measure ``ecm_id``, ``new_ecm``, ``details``,
    ``custody``, or None for the others)."""
    actor = current_actor()
    session = db()
    variant = request.args.get("tce_variant")
    figures = service.figures(
        session, actor, audit_id, variant=variant if variant == "generation" else None
    )
    audit = figures.audit
    ecms = service.list_ecms(session, actor, audit.id)
    editable = audit.status in EDITABLE_STATUSES
    record = can(actor, Permission.AUDITS_RECORD) and editable
    commission = can(actor, Permission.AUDITS_COMMISSION)
    may_propose = (
        commission
        and can(actor, Permission.CONTRACTS_PROJECT_MANAGE)
        and audit.status is AuditStatus.ACCEPTED
    )
    may_custody = may_propose and bool(figures.custody_flags)
    may_commission = commission and editable
    own_sites, own_buildings, scope = [], [], {"site_ids": [], "building_ids": []}
    if may_commission:
        own_sites = list(
            session.scalars(
                select(Site).where(Site.organization_id == audit.organization_id).order_by(Site.id)
            )
        )
        own_buildings = list(
            session.scalars(
                select(Building)
                .where(Building.site_id.in_([s.id for s in own_sites]))
                .order_by(Building.site_id, Building.id)
            )
        )
        scope = service.scope_ids(session, audit)
    baseline, baseline_error, escos = [], None, []
    if may_custody:
        try:
            baseline = service.custody_baseline(session, actor, audit.id)
        except EmcError as error:
            baseline_error = _errors_of(error)
        escos = list(
            session.scalars(
                select(Organization)
                .where(Organization.kind == OrgKind.ESCO, Organization.is_active.is_(True))
                .order_by(Organization.name_zh)
            )
        )
    return render_template(
        "audit/audit.html",
        audit=audit,
        f=figures,
        # Carriers with a counted month without cost: their cost is unknown ("—", as the PDF
        # says), not 0.00.
        uncosted={str(r.carrier) for r in counted_rows(figures.rows) if r.cost is None},
        ecms=ecms,
        names=_names([audit.organization_id, audit.auditor_organization_id]),
        indicator_rows=service.indicator_rows(figures, _),
        flags=[_(service.FLAG_LABELS[flag]) for flag in figures.custody_flags],
        may_record=record,
        may_review=commission and audit.status is AuditStatus.SUBMITTED,
        may_revise=audit.status is AuditStatus.ACCEPTED
        and (can(actor, Permission.AUDITS_RECORD) or commission),
        may_propose=may_propose,
        may_custody=may_custody,
        # The institution decides on measures at any stage (the service's rule): only the moves
        # it allows from each measure's status are offered.
        ecm_moves={
            e.id: [m for m in _ECM_MOVE_ORDER if m in service.ECM_TRANSITIONS[e.status]]
            for e in ecms
        }
        if commission
        else {},
        # An auditor reads the audit, not the project made from it: no link to a 404.
        may_read_projects=can(actor, Permission.CONTRACTS_READ),
        baseline=baseline,
        baseline_error=baseline_error,
        escos=escos,
        frequencies=list(PaymentFrequency),
        frequency_label=lambda p: _(FREQUENCY_LABELS[PaymentFrequency(p)]),
        form=request.form if status != 200 else {},
        form_name=form,
        edit_ecm_id=ecm_id,
        may_commission=may_commission,
        own_sites=own_sites,
        own_buildings=own_buildings,
        scope=scope,
        auditors=list(
            session.scalars(
                select(Organization)
                .where(Organization.kind == OrgKind.AUDITOR, Organization.is_active.is_(True))
                .order_by(Organization.name_zh)
            )
        )
        if may_commission and audit.status is AuditStatus.DRAFT
        else [],
        payback=lambda e: rounded(simple_payback(e.investment, e.savings_money), 1),
        carriers=list(Carrier),
        categories=list(EcmCategory),
        contract_types=list(ContractType),
        building_types=list(BuildingType),
        end_uses=END_USES,
        end_use_label=lambda u: _(service.END_USE_LABELS[u]),
        variant=figures.accounts.variant,
        errors=errors or {},
        # The audit's entries and its measures' (added, edited, accepted, discarded …).
        history=journal.histories(
            session, {"energy_audits": [audit.id], "audit_ecms": [e.id for e in ecms]}
        ),
    ), status


def _invalid(audit_id: int, errors: dict, **page):
    """The audit page again with a form's errors (422); the audit is loaded first, so that
    another tenant's is 404 whatever was sent. ``page``: :func:`_detail_page`'s ``form`` and
    ``ecm_id``."""
    service.get_audit(db(), current_actor(), audit_id)
    return _detail_page(audit_id, errors=errors, status=422, **page)


def _refused(audit_id: int, error: EmcError, **page):
    """The audit page again with the error a service refused the form with, at its status; a
    404 (another tenant's audit or measure) is raised on."""
    if error.status == 404:
        raise error
    return _detail_page(audit_id, errors=_errors_of(error), status=error.status, **page)


@bp.get("/audits/<int:audit_id>")
@login_required
def detail(audit_id: int):
    return _detail_page(audit_id)


# (form schema, service, flash message marked for extraction: it reaches gettext as a variable)
_ACTIONS = {
    "submit": (AuditVersionIn, service.submit_audit, N_("Audit submitted for review.")),
    "accept": (AuditVersionIn, service.accept_audit, N_("Audit accepted.")),
    "return": (ReturnIn, service.return_audit, N_("Audit returned to the auditor.")),
    "revise": (ReviseIn, service.revise_audit, N_("New version started.")),
    "from-meters": (None, service.consumption_from_meters, N_("Monthly meter totals taken.")),
}


@bp.post("/audits/<int:audit_id>/<any(submit, accept, return, revise, 'from-meters'):action>")
@login_required
def action(audit_id: int, action: str):
    schema, run, done = _ACTIONS[action]
    data = {}
    if schema is not None:
        data, errors = load_form(schema())
        if errors:
            return _invalid(audit_id, errors)
    try:
        result = run(db(), current_actor(), audit_id, **data)
    except EmcError as error:
        return _refused(audit_id, error)
    flash(_(done), "success")
    if action == "from-meters":
        # Months taken in although some of their intervals have no reading: the auditor sees
        # which, before the figures are read as a whole month's.
        short = [
            f"{row.note} {row.month:%Y-%m} ({row.coverage:.0%})"
            for row in result
            if getattr(row, "coverage", None) is not None and row.coverage < 1
        ]
        if short:
            flash(
                _(
                    "Some months have readings missing and were taken in as they are: %(months)s."
                    " Complete the meter data, then take the monthly totals again.",
                    months="、".join(short),
                ),
                "error",
            )
    target = result.id if action == "revise" else audit_id
    return redirect(url_for("audit.detail", audit_id=target))


@bp.post("/audits/<int:audit_id>/details")
@login_required
def details(audit_id: int):
    """The auditor's details: occupants, quota building type, PUE, end-use split, conclusions."""
    raw = form_data(keep_blank=("conclusions",))
    split = {u: raw.pop(f"end_use_{u}") for u in END_USES if f"end_use_{u}" in raw}
    if split:
        raw["end_use_split"] = split
    data, errors = load_form(AuditPatch(), raw)
    if errors:
        return _invalid(audit_id, errors, form="details")
    try:
        service.update_audit(db(), current_actor(), audit_id, **data)
    except EmcError as error:
        return _refused(audit_id, error, form="details")
    flash(_("Audit details saved."), "success")
    return redirect(url_for("audit.detail", audit_id=audit_id))


# Commissioning details on the page; the form always sends the scope (unchecked boxes send
# nothing, so an empty building list means every building of the chosen sites).
_COMMISSION_FORM = ("title", "auditor_organization_id", "level", "period_start", "period_end")


@bp.post("/audits/<int:audit_id>/commission")
@login_required
def commission(audit_id: int):
    """The institution's commissioning details of an editable audit: the API's ``AuditPatch``."""
    raw = {k: v for k, v in form_data().items() if k in _COMMISSION_FORM}
    raw["site_ids"] = request.form.getlist("site_ids")
    raw["building_ids"] = request.form.getlist("building_ids")
    data, errors = load_form(AuditPatch(), raw)
    if errors:
        return _invalid(audit_id, errors, form="commission")
    try:
        service.update_audit(db(), current_actor(), audit_id, **data)
    except EmcError as error:
        return _refused(audit_id, error, form="commission")
    flash(_("Commissioning details saved."), "success")
    return redirect(url_for("audit.detail", audit_id=audit_id))


# Optional values of a measure a blank input clears (tce / tCO2 are then computed again).
_ECM_NULLABLE = (
    "savings_carrier",
    "savings_quantity",
    "savings_unit",
    "savings_tce",
    "savings_tco2",
    "savings_money",
    "investment",
    "recommended_contract_type",
)


@bp.post("/audits/<int:audit_id>/ecms/<int:ecm_id>")
@login_required
def edit_ecm(audit_id: int, ecm_id: int):
    """The auditor edits a measure's content: the API's ``AuditEcmPatch`` (not its status)."""
    raw = form_data(keep_blank=(*_ECM_NULLABLE, "description"))
    raw.pop("status", None)
    for key in _ECM_NULLABLE:
        if raw.get(key) == "":
            raw[key] = None
    raw["affected_carriers"] = request.form.getlist("affected_carriers")
    data, errors = load_form(AuditEcmPatch(), raw)
    if errors:
        return _invalid(audit_id, errors, form="ecm", ecm_id=ecm_id)
    try:
        service.update_ecm(db(), current_actor(), audit_id, ecm_id, **data)
    except EmcError as error:
        return _refused(audit_id, error, form="ecm", ecm_id=ecm_id)
    flash(_("Measure saved."), "success")
    return redirect(url_for("audit.detail", audit_id=audit_id))


@bp.post("/audits/<int:audit_id>/ecms/<int:ecm_id>/status")
@login_required
def ecm_status(audit_id: int, ecm_id: int):
    """The institution decides on a measure (accept, discard, mark implemented, reconsider):
    the API's ``AuditEcmPatch`` with its status only; the service allows the move or refuses."""
    data, errors = load_form(
        AuditEcmPatch(only=("status",)), {"status": request.form.get("status")}
    )
    if errors:
        return _invalid(audit_id, errors)
    try:
        ecm = service.update_ecm(db(), current_actor(), audit_id, ecm_id, **data)
    except EmcError as error:
        return _refused(audit_id, error)
    flash(
        _(
            "Measure %(name)s: %(status)s.",
            name=ecm.name,
            status=_(service.ECM_STATUS_LABELS[ecm.status]),
        ),
        "success",
    )
    return redirect(url_for("audit.detail", audit_id=audit_id))


@bp.post("/audits/<int:audit_id>/workbook")
@login_required
def upload(audit_id: int):
    """The workbook form of the audit page: the API's code path, problems listed on the page."""
    try:
        result = import_from_request(audit_id)
    except EmcError as error:
        return _refused(audit_id, error)
    flash(
        _(
            "Workbook imported: %(rows)s bill rows, %(ecms)s measures.",
            rows=result["bill_rows"],
            ecms=result["ecms"],
        ),
        "success",
    )
    return redirect(url_for("audit.detail", audit_id=audit_id))


@bp.post("/audits/<int:audit_id>/ecms")
@login_required
def add_ecm(audit_id: int):
    raw = form_data()
    raw["affected_carriers"] = request.form.getlist("affected_carriers")
    data, errors = load_form(AuditEcmIn(), raw)
    if errors:
        return _invalid(audit_id, errors, form="new_ecm")
    try:
        service.add_ecm(db(), current_actor(), audit_id, **data)
    except EmcError as error:
        return _refused(audit_id, error, form="new_ecm")
    flash(_("Measure added."), "success")
    return redirect(url_for("audit.detail", audit_id=audit_id))


@bp.post("/audits/<int:audit_id>/proposal")
@login_required
def proposal(audit_id: int):
    raw = form_data()
    raw["ecm_ids"] = request.form.getlist("ecm_ids")
    data, errors = load_form(ProposalIn(), raw)
    if errors:
        return _invalid(audit_id, errors)
    try:
        project = service.create_proposal(db(), current_actor(), audit_id, **data)
    except EmcError as error:
        return _refused(audit_id, error)
    flash(_("Project proposal created from the selected measures."), "success")
    return redirect(url_for("contracts.project", project_id=project.id))


FREQUENCY_LABELS = {
    PaymentFrequency.MONTHLY: N_("Monthly"),
    PaymentFrequency.QUARTERLY: N_("Quarterly"),
    PaymentFrequency.SEMI_ANNUAL: N_("Half-yearly"),
    PaymentFrequency.ANNUAL: N_("Annually"),
}


@bp.post("/audits/<int:audit_id>/custody-contract")
@login_required
def custody_contract(audit_id: int):
    """An energy-cost custody contract from a flagged audit: the API's schema and service."""
    raw = form_data()
    if "ecm_ids" in request.form:
        raw["ecm_ids"] = request.form.getlist("ecm_ids")
    data, errors = load_form(CustodyIn(), raw)
    if errors:
        return _invalid(audit_id, errors, form="custody")
    try:
        project = service.create_custody_contract(db(), current_actor(), audit_id, **data)
    except EmcError as error:
        return _refused(audit_id, error, form="custody")
    flash(_("Project proposal with an energy-cost custody contract created."), "success")
    return redirect(url_for("contracts.project", project_id=project.id))


def _quota_page(*, errors=None, status: int = 200):
    actor = current_actor()
    quotas = service.list_quotas(db(), actor)
    return render_template(
        "audit/quotas.html",
        quotas=quotas,
        may_manage=can(actor, Permission.AUDITS_QUOTAS_MANAGE),
        building_types=list(BuildingType),
        bases=list(QuotaBasis),
        errors=errors or {},
        form=request.form if errors else {},
    ), status


@bp.get("/quotas")
@login_required
def quotas():
    return _quota_page()


@bp.post("/quotas")
@login_required
def create_quota():
    data, errors = load_form(QuotaIn())
    if errors:
        if not can(current_actor(), Permission.AUDITS_QUOTAS_MANAGE):
            return _quota_page(status=403)
        return _quota_page(errors=errors, status=422)
    try:
        service.create_quota(db(), current_actor(), **data)
    except EmcError as error:
        if error.status == 404:
            raise
        return _quota_page(errors=_errors_of(error), status=error.status)
    flash(_("Quota saved."), "success")
    return redirect(url_for("audit.quotas"))

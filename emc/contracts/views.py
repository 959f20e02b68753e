"""Pages: project list, project detail (contract summary and payment schedule), the project and
contract-terms forms (with amendment agreement), the finance queue, and the payment-line forms
(prepare, approve, pay, hold, release). Custody fee adjustments and schedule regeneration:
:mod:`emc.contracts.custody_views`, on this blueprint."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import aliased

from emc import clock, journal, paging
from emc.auth.models import Organization, OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import may_set_terms, require, scoped
from emc.contracts import (
    custody_form,
    economics_view,
    exports,
    finance,
    labels,
    service,
    terms_form,
)
from emc.contracts.documents import stored_terms
from emc.contracts.models import (
    AmendmentStatus,
    Contract,
    EmcProject,
    Investor,
    LineStatus,
    PaymentLine,
    ProjectStatus,
    terms_to_document,
)
from emc.contracts.schemas import (
    ContractIn,
    HoldIn,
    PayIn,
    ProjectIn,
    RowVersionIn,
    VersionIn,
)
from emc.errors import EmcError, NotFound
from emc.labels import last_day_period
from emc.messages import msg
from emc.web.db import db
from emc.web.forms import form_data, load_form, localise
from emc.web.messages import describe, field_sentences, say
from emc.web.security import current_actor
from emc.workflow import StaleConflict

bp = Blueprint("contracts", __name__)

# The one vocabulary (emc.contracts.labels), lazily translated for pages: the page, the
# exports and the PDF say the same words.
PROJECT_STATUS_LABELS = {ProjectStatus(k): _l(v) for k, v in labels.PROJECT_STATUS.items()}
CONTRACT_TYPE_LABELS = {finance.ContractType(k): _l(v) for k, v in labels.CONTRACT_TYPE.items()}
LINE_KIND_LABELS = {finance.LineKind(k): _l(v) for k, v in labels.LINE_KIND.items()}
PARTY_LABELS = {finance.Party(k): _l(v) for k, v in labels.PARTY.items()}
LINE_STATUS_LABELS = {LineStatus(k): _l(v) for k, v in labels.LINE_STATUS.items()}
SENSITIVITY_LABELS = {
    "base": _l("Base case"),
    "savings -20%": _l("Savings −20 %"),
    "savings -10%": _l("Savings −10 %"),
    "savings +10%": _l("Savings +10 %"),
    "savings +20%": _l("Savings +20 %"),
    "price -10%": _l("Energy price −10 %"),
    "price +10%": _l("Energy price +10 %"),
}
ACTION_LABELS = {
    "prepare": _l("Prepare"),
    "approve": _l("Approve"),
    "pay": _l("Record payment"),
    "hold": _l("Hold"),
    "release": _l("Release"),
}


def money(value: Decimal | str | None) -> str:
    """Yuan with thousands separators and two places, from the exact Decimal (or its stored
    text, as in a report's JSON figures)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value) if isinstance(value, str) else value:,.2f}"


@bp.app_template_filter("money")
def _money_filter(value):
    return money(value)


@bp.app_template_filter("money_exact")
def _money_exact_filter(value):
    """An unrounded amount a line was computed from, to four places (3,337.1672)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)):,.4f}"


def _contract_last_day(contract) -> dt.date | None:
    """The last day of the contract's term by its terms (the term is half-open), or None."""
    terms = stored_terms(contract)
    if terms is None:
        return None
    return finance.term_end(terms.start_date, terms.term_years) - dt.timedelta(days=1)


def _direction_totals(lines) -> list[tuple[str, str, Decimal]]:
    """[(payer, payee, total)] of ``lines``, in order of first appearance."""
    return [
        (payer, payee, exports.total(part))
        for (payer, payee), part in exports.by_direction(lines).items()
    ]


@bp.app_context_processor
def _labels():
    return {
        "project_status_label": lambda s: PROJECT_STATUS_LABELS.get(ProjectStatus(s), s),
        "contract_type_label": lambda t: CONTRACT_TYPE_LABELS.get(finance.ContractType(t), t),
        "line_kind_label": lambda k: LINE_KIND_LABELS.get(finance.LineKind(k), k),
        "party_label": lambda p: PARTY_LABELS.get(finance.Party(p), p),
        "line_status_label": lambda s: LINE_STATUS_LABELS.get(LineStatus(s), s),
        "line_action_label": lambda a: ACTION_LABELS.get(a, a),
        "share_limits": lambda c: labels.share_limits(c, _),
        "project_title": project_title,
    }


def project_title(project) -> str:
    """A project's name, or a stand-in for a blank one (names stored before blank names were
    refused), so that the row can still be seen, linked and opened."""
    name = (project.name or "").strip()
    return name or _("(unnamed project #%(id)s)", id=project.id)


_ACTIONS = {
    "prepare": (VersionIn, service.prepare_line),
    "approve": (VersionIn, service.approve_line),
    "pay": (PayIn, service.pay_line),
    "hold": (HoldIn, service.hold_line),
    "release": (VersionIn, service.release_line),
}


def local_today() -> dt.date:
    """Today's date where the institutions are (the configured timezone), for due / overdue."""
    return clock.now().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def line_actions(line: PaymentLine) -> list[str]:
    """The workflow actions the current actor may try on ``line`` (the service decides)."""
    actor = current_actor()
    if line.source is not finance.LineSource.ACTUAL:
        return []
    actions = []
    if line.status is LineStatus.SCHEDULED and can(actor, Permission.CONTRACTS_PAYMENT_PREPARE):
        actions.append("prepare")
    if (
        line.status is LineStatus.PREPARED
        and can(actor, Permission.CONTRACTS_PAYMENT_APPROVE)
        # Separation of duties: the preparer is not offered the approval (the service refuses).
        and line.prepared_by_user_id != actor.user_id
    ):
        actions.append("approve")
    if line.status is LineStatus.APPROVED and can(actor, Permission.CONTRACTS_PAYMENT_PAY):
        actions.append("pay")
    if line.status in (LineStatus.SCHEDULED, LineStatus.PREPARED, LineStatus.APPROVED) and can(
        actor, Permission.CONTRACTS_PAYMENT_PREPARE
    ):
        actions.append("hold")
    if line.status is LineStatus.ON_HOLD and can(actor, Permission.CONTRACTS_PAYMENT_PREPARE):
        actions.append("release")
    return actions


def org_names(ids) -> dict[int, str]:
    # Names of the contracting parties: shown to whoever may see the project.
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {
        o.id: o.name_zh for o in db().scalars(select(Organization).where(Organization.id.in_(ids)))
    }


# --- lists rows: the projects list (emc.paging) ---
PROJECT_SORTS = {
    "name": (EmcProject.name, EmcProject.id),
    "status": (EmcProject.status, EmcProject.id),
    "signed": (EmcProject.signed_on, EmcProject.id),
    "investment": (EmcProject.total_investment, EmcProject.id),
    "newest": (EmcProject.id,),
}


def project_list_select(actor, lq: paging.ListQuery):
    """The projects ``actor`` may see, filtered by name/institution/ESCO text, status, year
    signed and contract type, in the asked order."""
    require(actor, Permission.CONTRACTS_READ)
    institution, esco = aliased(Organization), aliased(Organization)
    stmt = (
        scoped(actor, EmcProject)
        .join(institution, institution.id == EmcProject.organization_id)
        .outerjoin(esco, esco.id == EmcProject.esco_organization_id)
    )
    stmt = paging.text_filter(stmt, lq.q, EmcProject.name, institution.name_zh, esco.name_zh)
    if lq.status:
        stmt = stmt.where(EmcProject.status == ProjectStatus(lq.status))
    stmt = paging.year_between(stmt, lq.year, EmcProject.signed_on)
    if lq.type:
        stmt = stmt.where(
            EmcProject.id.in_(
                select(Contract.project_id).where(
                    Contract.contract_type == finance.ContractType(lq.type)
                )
            )
        )
    return paging.ordered(stmt, PROJECT_SORTS, lq)


@bp.get("/projects")
@login_required
def projects():
    actor = current_actor()
    lq = paging.list_query(
        request.args,
        sorts=PROJECT_SORTS,
        default_sort="newest",
        default_descending=True,
        statuses=[s.value for s in ProjectStatus],
        types=[t.value for t in finance.ContractType],
    )
    page = paging.paginate(db(), project_list_select(actor, lq), lq.page)
    items = page.items
    names = org_names([p.organization_id for p in items] + [p.esco_organization_id for p in items])
    this_year = clock.now().year
    return render_template(
        "contracts/projects.html",
        page=page,
        lq=lq,
        projects=items,
        names=names,
        statuses=[(s.value, PROJECT_STATUS_LABELS[s]) for s in ProjectStatus],
        types=[(t.value, CONTRACT_TYPE_LABELS[t]) for t in finance.ContractType],
        years=list(range(this_year + 1, this_year - 15, -1)),
        can_manage=can(actor, Permission.CONTRACTS_PROJECT_MANAGE),
    )


LINES_PER_PAGE = 36  # three years of monthly lines


def _render_project(
    project_id: int,
    *,
    action_error: str | None = None,
    status: int = 200,
    adjustment_values: dict | None = None,
    adjustment_errors: dict | None = None,
):
    actor = current_actor()
    project = service.get_project(db(), actor, project_id)
    try:
        contract = service.get_contract(db(), actor, project.id)
    except NotFound:
        contract = None
    amendments = service.list_amendments(db(), actor, contract) if contract else []
    custody_carriers = custody_form.baseline_carriers(contract)
    adjustments = (
        service.list_custody_adjustments(db(), actor, project.id) if custody_carriers else []
    )
    lines = service.list_lines(db(), actor, project.id)
    # lists rows: both schedules filtered by status and due year, each paged on its own
    lq = paging.list_query(
        request.args,
        sorts=("due",),
        default_sort="due",
        statuses=[s.value for s in LineStatus],
        keep=("projected_page",),
    )
    shown = [
        x
        for x in lines
        if (not lq.status or x.status == lq.status) and (not lq.year or x.due_on.year == lq.year)
    ]
    actual = [x for x in shown if x.source is finance.LineSource.ACTUAL]
    projected = [x for x in shown if x.source is finance.LineSource.PROJECTED]
    projected_page_no = paging.list_query(
        {"page": request.args.get("projected_page")}, sorts=(), default_sort=""
    ).page
    economics, chart = None, None
    if contract is not None:
        try:
            economics = service.project_economics(db(), actor, project.id)
        except EmcError:
            economics = None  # terms that do not compute: the contract section says why
        else:
            chart = economics_view.cumulative_svg(
                [
                    (
                        str(PARTY_LABELS[finance.Party.INSTITUTION]),
                        economics.result.institution.cumulative,
                    ),
                    (str(PARTY_LABELS[finance.Party.ESCO]), economics.result.esco.cumulative),
                ],
                title=_("Cumulative cash flow by contract year (yuan)"),
                x_label=_("Contract year"),
                y_label=_("yuan"),
            )
    return render_template(
        "contracts/project.html",
        project=project,
        contract=contract,
        contract_last_day=_contract_last_day(contract),
        amendments=amendments,
        pending=[a for a in amendments if a.status is AmendmentStatus.PROPOSED],
        stale=service.stale_amendments(db(), amendments),
        actual=actual,
        projected=projected,
        lq=lq,
        actual_page=paging.page_of(actual, lq.page, LINES_PER_PAGE),
        projected_page=paging.page_of(projected, projected_page_no, LINES_PER_PAGE),
        line_statuses=[(s.value, LINE_STATUS_LABELS[s]) for s in LineStatus],
        line_years=sorted({x.due_on.year for x in lines}),
        # One total per direction: money the ESCO owes the institution is never added to
        # money the institution owes the ESCO.
        actual_totals=_direction_totals(actual),
        projected_totals=_direction_totals(projected),
        names=org_names([project.organization_id, project.esco_organization_id]),
        today=local_today(),
        line_actions=line_actions,
        action_error=action_error,
        history=journal.history(db(), "emc_projects", project.id),
        economics=economics,
        chart=chart,
        cost_rows=economics_view.cost_table,
        case_labels=SENSITIVITY_LABELS,
        can_manage=can(actor, Permission.CONTRACTS_PROJECT_MANAGE),
        can_set_terms=may_set_terms(actor, project),
        can_agree=can(actor, Permission.CONTRACTS_CONTRACT_AGREE),
        custody_carriers=custody_carriers,
        adjustments=adjustments,
        adjustment_values=adjustment_values or {"kind": "floor_area"},
        adjustment_errors=adjustment_errors or {},
        price_prefix=custody_form.PRICE_PREFIX,
    ), status


@bp.get("/projects/<int:project_id>")
@login_required
def project(project_id: int):
    return _render_project(project_id)


INVESTOR_LABELS = {
    Investor.ESCO: _l("ESCO"),
    Investor.INSTITUTION: _l("Institution"),
    Investor.SHARED: _l("Shared by both"),
    Investor.LESSOR: _l("Lessor (finance lease)"),
}


def _escos() -> list[Organization]:
    # The active ESCOs an institution may contract with (their names are public, as in a tender).
    return list(
        db().scalars(
            select(Organization)
            .where(Organization.kind == OrgKind.ESCO, Organization.is_active.is_(True))
            .order_by(Organization.name_zh)
        )
    )


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def new_project():
    """Create a draft project of the user's institution (the API's POST /projects as a form)."""
    actor = current_actor()
    if not can(actor, Permission.CONTRACTS_PROJECT_MANAGE):
        abort(403)
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = form_data()
        data, errors = load_form(ProjectIn(), values)
        if not errors:
            try:
                project = service.create_project(db(), actor, **data)
            except EmcError as error:
                if error.status in (403, 404):
                    raise
                errors = {"_": [say(error.message)], **localise(error.fields or {})}
            else:
                flash(_("Project %(name)s created as a draft.", name=project.name), "success")
                return redirect(url_for("contracts.project", project_id=project.id))
        status = 422
    return render_template(
        "contracts/project_form.html",
        values=values,
        errors=errors,
        escos=_escos(),
        investors=INVESTOR_LABELS,
    ), status


# A starting point for a project without terms: the common fields and one shared-savings
# component, to be edited (every field is checked by the finance core on save).
_STARTER_TERMS = terms_to_document(
    finance.ContractTerms(
        contract_type=finance.ContractType.SHARED_SAVINGS,
        term_years=5,
        start_date=dt.date(2026, 1, 1),
        payment_frequency=finance.PaymentFrequency.MONTHLY,
        payment_due_days=30,
        discount_rate=Decimal("0.06"),
        components=(
            finance.SharedSavingsTerms(shares=(finance.ShareBand(1, 5, Decimal("0.80")),)),
        ),
        prices=(finance.CarrierPrice("electricity", "kWh", Decimal("0.80"), Decimal("0")),),
    )
)


def _json_fields(values: dict, errors: dict) -> dict:
    """The advanced editor's JSON text areas as the API's JSON values (errors named by field)."""
    data = {k: values[k] for k in ("reason", "version") if values.get(k)}
    for name in ("terms", "savings_estimates"):
        text = values.get(name, "").strip()
        if not text:
            continue
        try:
            data[name] = json.loads(text)
        except json.JSONDecodeError as error:
            # Where, not Python's English reason: the reader finds the line and fixes it.
            errors[name] = [say(msg("contracts.not_json", line=error.lineno, column=error.colno))]
    return data


# In the JSON editor every document path lands on its text area (prefixed with the path).
_JSON_PATHS = {name: name for name in ("terms", "savings_estimates", "reason", "version")}


def _terms_values(contract) -> dict:
    """Form values (structured fields and the JSON editor) of the current terms."""
    document = contract.terms if contract else _STARTER_TERMS
    estimates = contract.savings_estimates if contract else []
    values, complete = terms_form.values_from_document(document, estimates)
    values["terms"] = json.dumps(document, ensure_ascii=False, indent=2)
    values["savings_estimates"] = json.dumps(estimates, ensure_ascii=False, indent=2)
    values["version"] = contract.version if contract else 0
    if not complete:
        values["editor"] = "json"
    return values


@bp.route("/projects/<int:project_id>/terms", methods=["GET", "POST"])
@login_required
def terms(project_id: int):
    """Set a draft contract's terms, or propose an amendment (with a reason) to a signed one:
    the API's PUT /projects/<id>/contract as a structured form (or, in the advanced editor, as
    JSON), with the contract version it edits. The form builds the ``ContractIn`` document, so
    the schema and the finance core judge it exactly as they judge an API call."""
    actor = current_actor()
    project = service.get_project(db(), actor, project_id)
    if not may_set_terms(actor, project) and not can(actor, Permission.CONTRACTS_PROJECT_MANAGE):
        abort(403)
    try:
        contract = service.get_contract(db(), actor, project.id)
    except NotFound:
        contract = None
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = terms_form.posted_values(request.form)
        if terms_form.wants_json(request.form):
            values["editor"] = "json"
            data, paths = _json_fields(values, errors), _JSON_PATHS
        else:
            data, paths, errors = terms_form.build(
                request.form, contract.terms if contract else None
            )
        if not errors:
            loaded, schema_errors = load_form(ContractIn(), data)
            errors = terms_form.map_errors(terms_form.flatten(schema_errors), paths)
        if not errors:
            try:
                _contract, amendment = service.set_contract_terms(db(), actor, project.id, **loaded)
            except EmcError as error:
                if error.status in (403, 404):
                    raise
                status = error.status
                fields = terms_form.flatten(localise(error.fields or {}))
                errors = {"_": [say(error.message)], **terms_form.map_errors(fields, paths)}
                if status == 409 and "version" in (error.fields or {}):
                    errors["_"] = [
                        _(
                            "The contract terms were changed by someone else since you opened "
                            "this page. Nothing was saved. Reload the page to see the current "
                            "terms and make your change again."
                        ),
                        say(error.message),
                    ]
            else:
                if amendment is not None:
                    flash(
                        _(
                            "Amendment %(number)s proposed: it applies once the institution "
                            "and the ESCO have both agreed.",
                            number=amendment.number,
                        ),
                        "success",
                    )
                else:
                    flash(_("Contract terms saved."), "success")
                return redirect(url_for("contracts.project", project_id=project.id))
        status = status if status != 200 else 422
    else:
        values = _terms_values(contract)
    amendments = service.list_amendments(db(), actor, contract) if contract else []
    return render_template(
        "contracts/terms_form.html",
        project=project,
        contract=contract,
        signed=project.status not in (ProjectStatus.DRAFT, ProjectStatus.PROPOSED),
        amendments=amendments,
        can_agree=can(actor, Permission.CONTRACTS_CONTRACT_AGREE),
        values=values,
        errors=errors,
        form=terms_form,
        contract_types=CONTRACT_TYPE_LABELS,
        custody_fee=terms_form.custody_fee(values),
    ), status


@bp.post("/projects/<int:project_id>/amendments/<int:amendment_id>/agree")
@login_required
def agree(project_id: int, amendment_id: int):
    """One party's agreement to a proposed amendment (the API's agree, as a button), with the
    amendment's row version the user saw: a stale page is refused (409), as on the life page."""
    data, errors = load_form(RowVersionIn(), form_data())
    if errors:
        message = _("; ").join([*field_sentences(errors), _("Reload the page and try again.")])
        return _render_project(project_id, action_error=message, status=422)
    try:
        amendment = service.agree_amendment(db(), current_actor(), project_id, amendment_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(project_id, action_error=describe(error), status=error.status)
    if amendment.status is AmendmentStatus.AGREED:
        flash(
            _(
                "Amendment %(number)s agreed by both parties: the new terms apply.",
                number=amendment.number,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Your agreement to amendment %(number)s is recorded; the other party must "
                "agree too.",
                number=amendment.number,
            ),
            "success",
        )
    return redirect(url_for("contracts.project", project_id=project_id))


def _line_words(line) -> dict[str, str]:
    """Which line a sentence is about: its period (first and last day) and amount."""
    # Its first and last day as every page shows a period (ISO dates; periods are half-open).
    return {
        **last_day_period(line.period_start, line.period_end),
        "amount": format_decimal(line.amount, format="#,##0.00"),
    }


def _line_done(line, action: str) -> str:
    """The flash after a payment-line action: which line (its period and amount), what now."""
    params = _line_words(line)
    sentences = {
        "prepare": _("Payment line %(start)s – %(end)s (%(amount)s yuan) prepared.", **params),
        "approve": _("Payment line %(start)s – %(end)s (%(amount)s yuan) approved.", **params),
        "pay": _("Payment line %(start)s – %(end)s (%(amount)s yuan) recorded as paid.", **params),
        "hold": _("Payment line %(start)s – %(end)s (%(amount)s yuan) put on hold.", **params),
        "release": _("Payment line %(start)s – %(end)s (%(amount)s yuan) released.", **params),
    }
    return sentences[action]


def _render_queue(*, action_error: str | None = None, status: int = 200):
    from emc.contracts.queue_views import render_queue

    return render_queue(action_error=action_error, status=status)


@bp.post("/payment-lines/<int:line_id>/<any(prepare, approve, pay, hold, release):action>")
@login_required
def line_action(line_id: int, action: str):
    actor = current_actor()
    schema, run = _ACTIONS[action]
    back_to_queue = request.form.get("back") == "queue"
    data, errors = load_form(schema(), _form_without("back"))
    message, status = None, 200
    if errors:
        message = _("; ").join(field_sentences(errors))
        status = 422
    else:
        try:
            line = run(db(), actor, line_id, **data)
        except NotFound:
            raise
        except EmcError as error:
            message, status = describe(error), error.status
            if status == 409:
                message = _(
                    "This payment line was changed by someone else since you opened the page "
                    "(or is no longer in a state that allows this). Nothing was saved. The page "
                    "now shows its current state: check it and try again."
                )
                if not isinstance(error, StaleConflict):
                    # What state it is in now (a stale version's sentence would say it again).
                    message += " " + say(error.message)
        else:
            flash(_line_done(line, action), "success")
            if back_to_queue:
                # Back to the queue as it was filtered, sorted and paged.
                return redirect(url_for("contracts.queue", **request.args.to_dict()))
            return redirect(url_for("contracts.project", project_id=line.project_id))
    line = service.get_line(db(), actor, line_id)
    # The refused form comes back with what was typed (_line_forms.html).
    g.line_action_form = {
        "line_id": line_id,
        "action": action,
        "values": _form_without("back", "version", "csrf_token"),
    }
    # Say which line the refusal is about: the queue and the schedule list many.
    message = _(
        "Payment line %(start)s – %(end)s (%(amount)s yuan): %(problem)s",
        **_line_words(line),
        problem=message,
    )
    if back_to_queue:
        return _render_queue(action_error=message, status=status)
    return _render_project(line.project_id, action_error=message, status=status)


def _form_without(*keys: str) -> dict:
    data = form_data()
    for key in keys:
        data.pop(key, None)
    return data


# Custody fee adjustment and regeneration pages live in their own module, on this blueprint.
# The queue and the project life pages (emc.contracts.project_views) register on it too.
from emc.contracts import custody_views, project_views, queue_views  # noqa: E402, F401 - register routes on bp

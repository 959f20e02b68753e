"""The project's M&V tab: the plan, proposing a baseline (with option D uploads),
option A measurements and drafting a report."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from emc import journal, labels, paging
from emc.auth.permissions import Permission, can
from emc.contracts import service as contracts
from emc.errors import EmcError, Invalid, NotFound
from emc.facilities.models import Meter, Site
from emc.messages import msg
from emc.mv import api as mv_api
from emc.mv import service
from emc.mv.models import (
    DEFAULT_ACCEPTANCE,
    NMBE_LIMIT_BY_METHOD,
    IpmvpOption,
    MeasuredParameter,
    MvMethod,
    MvPlan,
    ReportingFrequency,
    ReportStatus,
)
from emc.mv.schemas import (
    BaselineProposeIn,
    MvPlanIn,
    MvReportDraftIn,
)
from emc.mv.service._common import LOCAL_ZONE
from emc.mv.service.compute.common import OPTION_A_PARAMETERS
from emc.mv.views.common import (
    ACCEPTANCE_LABELS,
    STATUS_LABELS,
    bp,
    error_message,
    project_meters,
    sides_of,
)
from emc.web.args import int_arg, parse_int
from emc.web.db import db
from emc.web.forms import form_data, load_form
from emc.web.messages import field_sentences, say, say_all
from emc.web.security import current_actor

MV_PER_PAGE = 24  # two years of monthly reports


def _render_project(
    project_id: int,
    *,
    error=None,
    errors=None,
    form=None,
    plan_form=None,
    draft_form=None,
    draft_errors=None,
    status=200,
):
    actor = current_actor()
    project = contracts.get_project(db(), actor, project_id)
    plan = service.plan_of(db(), project.id)
    baselines = service.list_baselines(db(), actor, project.id)
    reports = service.list_reports(db(), actor, project.id)
    # lists rows: reports filtered by status and period year, both lists paged on their own
    lq = paging.list_query(
        request.args,
        sorts=("period",),
        default_sort="period",
        statuses=[s.value for s in ReportStatus],
        keep=("baselines_page",),
    )
    report_years = sorted({r.period_start.year for r in reports})
    reports = [
        r
        for r in reports
        if (not lq.status or r.status == lq.status)
        and (not lq.year or r.period_start.year == lq.year)
    ]
    baselines_page_no = paging.list_query(
        {"page": request.args.get("baselines_page")}, sorts=(), default_sort=""
    ).page
    history = journal.history(db(), "mv_plans", plan.id) if plan else []
    boundary = {int(b["meter_id"]): b["option"] for b in plan.boundary} if plan else {}
    return render_template(
        "mv/project.html",
        project=project,
        plan=plan,
        baselines=baselines,
        reports=reports,
        lq=lq,
        reports_page=paging.page_of(reports, lq.page, MV_PER_PAGE),
        baselines_page=paging.page_of(baselines, baselines_page_no, MV_PER_PAGE),
        report_statuses=[(s.value, STATUS_LABELS.get(s, s)) for s in ReportStatus],
        report_years=report_years,
        meters=project_meters(project.id),
        sides=sides_of(project),
        can_edit_plan=can(actor, Permission.MV_PLAN_EDIT) and any(sides_of(project).values()),
        defaults={k: v for k, v in DEFAULT_ACCEPTANCE.items() if k != "nmbe_limit"},
        nmbe_defaults=NMBE_LIMIT_BY_METHOD,
        acceptance_labels=ACCEPTANCE_LABELS,
        methods=list(MvMethod),
        frequencies=list(ReportingFrequency),
        options=list(IpmvpOption),
        error=error,
        errors=errors or {},
        form=form or {},
        plan_form=plan_form or {},
        # A to-do's link fills the form with the period it asks for.
        draft_form=draft_form
        or {k: request.args[k] for k in DRAFT_FORM_FIELDS if request.args.get(k)},
        draft_errors=draft_errors or {},
        stipulated_rows=_stipulated_rows(plan, plan_form),
        stipulated_names=list(OPTION_A_PARAMETERS),
        other=OTHER,
        history=history,
        option_a_meters=[m for m in project_meters(project.id) if boundary.get(m.id) == "A"],
        option_d_meters=[m for m in project_meters(project.id) if boundary.get(m.id) == "D"],
        measurements=mv_api.measurement_payloads(project.id),
        measured_parameters=list(MeasuredParameter),
    ), status


@bp.get("/projects/<int:project_id>/mv")
@login_required
def project(project_id: int):
    return _render_project(project_id)


def _plan_from_form() -> tuple[dict, dict[str, list[str]], list[int]]:
    raw = form_data()
    boundary = []
    for key, value in raw.items():
        if key.startswith("meter_") and value == "on":
            meter_id = key.removeprefix("meter_")
            boundary.append({"meter_id": meter_id, "option": raw.get(f"option_{meter_id}", "C")})
    data = {
        "boundary": boundary,
        "method": raw.get("method", ""),
        "baseline_start": raw.get("baseline_start", ""),
        "baseline_end": raw.get("baseline_end", ""),
        "reporting_frequency": raw.get("reporting_frequency", ""),
        "version": raw.get("version"),
    }
    if raw.get("baseline_model"):
        data["baseline_model"] = raw["baseline_model"]
    data["stipulated"], rows = stipulated_from_form(raw)
    acceptance, problems = acceptance_from_form(raw)
    if acceptance:
        data["acceptance"] = acceptance
    return data, problems, rows


#: Rows of stipulated values the plan form offers (filled ones and blank ones together).
STIPULATED_ROWS = 20
OTHER = "__other"


def stipulated_from_form(raw: dict) -> tuple[list[dict], list[int]]:
    """The plan's stipulated values from the form's rows (``stipulated-<i>-name``: a parameter
    the engine knows, or ``__other`` with ``stipulated-<i>-other`` as the name; ``-value``,
    ``-unit`` and ``-source``), and the form row of each item, to put errors back beside it.
    Blank rows are skipped; a known parameter's unit is filled in when left blank."""
    items, rows = [], []
    for i in range(STIPULATED_ROWS):
        field = {k: (raw.get(f"stipulated-{i}-{k}") or "").strip() for k in _STIPULATED_FIELDS}
        name = field["other"] if field["name"] == OTHER else field["name"]
        if not (name or field["value"] or field["source"]):
            continue
        unit = field["unit"] or OPTION_A_PARAMETERS.get(name, "")
        items.append(
            {"name": name, "value": field["value"], "unit": unit, "source": field["source"]}
        )
        rows.append(i)
    return items, rows


_STIPULATED_FIELDS = ("name", "other", "value", "unit", "source")


def _stipulated_rows(plan: MvPlan | None, posted: dict | None) -> list[dict[str, str]]:
    """The form's rows: what was posted after a refused save, else the plan's values; then a
    few blank rows to add more."""
    if posted:
        rows = [
            {k: posted.get(f"stipulated-{i}-{k}", "") for k in _STIPULATED_FIELDS}
            for i in range(STIPULATED_ROWS)
        ]
        while rows and not any(rows[-1].values()):
            rows.pop()
    else:
        rows = []
        for item in plan.stipulated if plan else []:
            known = item["name"] in OPTION_A_PARAMETERS
            rows.append(
                {
                    "name": item["name"] if known else OTHER,
                    "other": "" if known else item["name"],
                    "value": str(item["value"]),
                    "unit": item["unit"],
                    "source": item["source"],
                }
            )
    blank = dict.fromkeys(_STIPULATED_FIELDS, "")
    return rows + [dict(blank) for _ in range(min(3, STIPULATED_ROWS - len(rows)))]


_ROW_PATH = re.compile(r"^stipulated\[(\d+)\]\.(\w+)$")


def _beside_rows(errors: dict, rows: list[int]) -> dict:
    """Errors about stipulated item ``n`` (the schema's ``{"stipulated": {n: {field: [...]}}}``
    or the service's ``stipulated[n].field``) under the form field of the row the user filled
    in (``rows[n]``); every other error as it is. Messages must already be in the page
    language."""
    out: dict = {}
    for key, value in errors.items():
        if key == "stipulated" and isinstance(value, Mapping):
            found = [
                (index, name, messages)
                for index, problems in value.items()
                if isinstance(problems, Mapping)
                for name, messages in problems.items()
            ]
        elif match := _ROW_PATH.match(key):
            found = [(match[1], match[2], value)]
        else:
            out[key] = value
            continue
        for index, name, messages in found:
            if not (str(index).isdigit() and int(index) < len(rows)):
                out.setdefault("stipulated", []).extend(messages)
                continue
            field = "other" if name == "name" else name  # the name input beside the select
            out.setdefault(f"stipulated-{rows[int(index)]}-{field}", []).extend(messages)
    return out


# Upper bounds of the acceptance limits as people enter them, in per cent: CV(RMSE) and NMBE
# are fractions of use (at most 100 %); the FSU limit may exceed 100 % (the schema allows 10).
_ACCEPTANCE_TOP_PERCENT = {"fsu_limit": Decimal(1000)}


def acceptance_from_form(raw: dict) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The plan's acceptance limits, entered in per cent (``<key>_pct``, "20" or "0.005 %") as
    the page shows them, in the stored form (fractions); problems by form field. A blank field
    keeps the method's default."""
    acceptance: dict[str, float] = {}
    problems: dict[str, list[str]] = {}
    for key in DEFAULT_ACCEPTANCE:
        text = (raw.get(f"{key}_pct") or "").strip().removesuffix("%").strip()
        if not text:
            continue
        top = _ACCEPTANCE_TOP_PERCENT.get(key, Decimal(100))
        try:
            number = Decimal(text.replace(",", "").replace("，", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not 0 <= number <= top:
            problems[f"{key}_pct"] = [
                _("must be a number from 0 to %(top)s %%", top=labels.percent(top / 100))
            ]
            continue
        acceptance[key] = float(number.scaleb(-2))
    return acceptance, problems


@bp.post("/projects/<int:project_id>/mv/plan")
@login_required
def save_plan(project_id: int):
    actor = current_actor()
    contracts.get_project(db(), actor, project_id)
    raw, problems, rows = _plan_from_form()
    data, errors = load_form(MvPlanIn(), raw)
    errors = {**_beside_rows(errors or {}, rows), **problems}
    if errors:
        return _render_project(project_id, errors=errors, plan_form=form_data(), status=422)
    try:
        service.put_plan(db(), actor, project_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(
            project_id,
            error=error_message(error),
            errors=_beside_rows(say_all(error.fields or {}), rows),
            plan_form=form_data(),
            status=error.status,
        )
    flash(_("M&V plan saved."), "success")
    return redirect(url_for("mv.project", project_id=project_id))


def _simulation_uploads(project_id: int) -> tuple[list[dict], list[tuple[str, str, bytes]]]:
    """Option D results uploaded with the proposal: ``simulation_file_<meter id>`` (CSV or
    XLSX) and ``simulation_interval_<meter id>``; every meter's problems are reported at once.
    """
    actor = current_actor()
    simulations, files, problems = [], [], {}
    for key in request.files:
        if not key.startswith("simulation_file_"):
            continue
        meter = key.removeprefix("simulation_file_")
        for name, content_type, content in mv_api.uploaded_files(key):
            try:
                simulations.append(
                    service.simulation_from_upload(
                        db(),
                        actor,
                        project_id,
                        meter_id=parse_int(meter) or -1,
                        interval=request.form.get(f"simulation_interval_{meter}", "monthly"),
                        filename=name,
                        content=content,
                    )
                )
                files.append((name, content_type, content))
            except Invalid as error:
                problems.update(error.fields or {key: [say(error.message)]})
    if problems:
        raise Invalid(msg("mv.simulation_results_invalid_nothing_was"), fields=problems)
    return simulations, files


@bp.post("/projects/<int:project_id>/mv/baselines")
@login_required
def propose(project_id: int):
    actor = current_actor()
    contracts.get_project(db(), actor, project_id)
    raw = {k: v for k, v in form_data().items() if not k.startswith("simulation_interval_")}
    raw["allow_insufficient"] = raw.get("allow_insufficient") == "on"
    data, errors = load_form(BaselineProposeIn(), raw)
    try:
        if errors:
            raise Invalid(msg("mv.proposal_invalid"), fields=errors)
        simulations, files = _simulation_uploads(project_id)
        if simulations:
            data["simulations"] = simulations
            data["simulation_files"] = files
        baseline = service.propose_baseline(db(), actor, project_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(project_id, error=error_message(error), status=error.status)
    flash(_("Baseline version %(v)s proposed.", v=baseline.version), "success")
    return redirect(url_for("mv.baseline", project_id=project_id, baseline_id=baseline.id))


@bp.post("/projects/<int:project_id>/mv/measurements")
@login_required
def add_measurement(project_id: int):
    actor = current_actor()
    contracts.get_project(db(), actor, project_id)
    meter_id = int_arg("meter_id", form=True)
    meter = db().get(Meter, meter_id) if meter_id is not None else None
    site = db().get(Site, meter.site_id) if meter is not None else None
    try:
        data, files = mv_api.measurement_from_request(site.timezone if site else LOCAL_ZONE.key)
        service.add_measurement(db(), actor, project_id, files=files, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(
            project_id, error=error_message(error), form=form_data(), status=error.status
        )
    flash(_("Measurement recorded."), "success")
    return redirect(url_for("mv.project", project_id=project_id))


# The page asks for the period's first and last day, as the to-do and every page show a
# period; the service takes the half-open [period_start, period_end).
DRAFT_FORM_FIELDS = ("period_start", "period_last")
# A refusal of the service's field shown under the form's.
_DRAFT_FIELD_OF = {"period_start": "period_start", "period_end": "period_last"}


def _draft_input() -> tuple[dict, dict]:
    """The draft form's values for ``MvReportDraftIn`` (the last day made the exclusive end)
    and the form's own errors."""
    raw = {k: v for k, v in form_data().items() if k in DRAFT_FORM_FIELDS}
    last = raw.pop("period_last", "")
    errors: dict = {}
    try:
        raw["period_end"] = (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()
    except ValueError:
        errors["period_last"] = [msg("mv.period_invalid")]
    data, schema_errors = load_form(MvReportDraftIn(), raw)
    for key, messages in schema_errors.items():
        errors.setdefault(_DRAFT_FIELD_OF.get(key, key), messages)
    return data, errors


@bp.post("/projects/<int:project_id>/mv/reports")
@login_required
def draft(project_id: int):
    actor = current_actor()
    contracts.get_project(db(), actor, project_id)
    data, errors = _draft_input()
    try:
        if errors:
            raise Invalid(msg("mv.period_invalid"), fields=errors)
        report = service.draft_report(db(), actor, project_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        # The form comes back as the user filled it in, each problem under its field (the
        # problems of no field of the form beside the sentence on top).
        fields = {_DRAFT_FIELD_OF.get(k, k): v for k, v in (error.fields or {}).items()}
        shown = {k: v for k, v in fields.items() if k in DRAFT_FORM_FIELDS}
        rest = field_sentences({k: v for k, v in fields.items() if k not in shown})
        return _render_project(
            project_id,
            error=" ".join([say(error.message), *rest]),
            draft_form=form_data(),
            draft_errors=say_all(shown),
            status=error.status,
        )
    flash(_("M&V report drafted."), "success")
    return redirect(url_for("mv.report", project_id=project_id, report_id=report.id))

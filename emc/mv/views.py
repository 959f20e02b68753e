"""Pages of the M&V workflow: the project's M&V tab (plan, baselines, reports), the baseline
page (statistics and an inline SVG chart of observed vs modelled daily use), the report page
(monthly table, adjustments, version history) and the forms of every action."""

from __future__ import annotations

import json
import math

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from emc import journal
from emc.auth.permissions import Permission, can
from emc.auth.policy import scoped
from emc.contracts import service as contracts
from emc.errors import EmcError, Invalid, NotFound
from emc.facilities.models import Meter, ProjectSite
from emc.mv import api as mv_api
from emc.mv import service
from emc.mv.models import (
    DEFAULT_ACCEPTANCE,
    Baseline,
    BaselineStatus,
    IpmvpOption,
    MvMethod,
    ReportingFrequency,
    ReportStatus,
)
from emc.mv.schemas import (
    BaselineProposeIn,
    MvCommentIn,
    MvDecisionIn,
    MvPlanIn,
    MvReasonIn,
    MvReportDraftIn,
)
from emc.web.db import db
from emc.web.forms import form_data, load_form, localise
from emc.web.security import current_actor

bp = Blueprint("mv", __name__)

STATUS_LABELS = {
    BaselineStatus.PROPOSED: _l("Proposed"),
    BaselineStatus.APPROVED: _l("Approved"),
    BaselineStatus.REJECTED: _l("Rejected"),
    BaselineStatus.SUPERSEDED: _l("Superseded"),
    ReportStatus.DRAFT: _l("Draft"),
    ReportStatus.SUBMITTED: _l("Submitted"),
    ReportStatus.ACCEPTED: _l("Accepted"),
    ReportStatus.DISPUTED: _l("Disputed"),
}
METHOD_LABELS = {
    MvMethod.DAILY: _l("Daily regression"),
    MvMethod.BILLING: _l("Billing-period regression"),
    MvMethod.HOURLY: _l("Hourly (TOWT)"),
    MvMethod.STIPULATED: _l("Stipulated"),
}
FREQUENCY_LABELS = {
    ReportingFrequency.MONTHLY: _l("Monthly"),
    ReportingFrequency.QUARTERLY: _l("Quarterly"),
    ReportingFrequency.ANNUAL: _l("Annual"),
}
OPTION_LABELS = {
    IpmvpOption.A: _l("A: retrofit isolation, key parameter measured"),
    IpmvpOption.B: _l("B: retrofit isolation, all parameters measured"),
    IpmvpOption.C: _l("C: whole facility"),
    IpmvpOption.D: _l("D: calibrated simulation"),
}
ACCEPTANCE_LABELS = {
    "cvrmse_limit_under_12_months": _l("CV(RMSE) limit, under 12 months of reporting data"),
    "cvrmse_limit_12_to_60_months": _l("CV(RMSE) limit, 12 to 60 months"),
    "cvrmse_limit_over_60_months": _l("CV(RMSE) limit, over 60 months"),
    "nmbe_limit": _l("NMBE limit"),
    "fsu_limit": _l("FSU limit (confidence 68 %)"),
}


@bp.app_context_processor
def _labels():
    return {
        "mv_status_label": lambda s: STATUS_LABELS.get(s, s),
        "mv_method_label": lambda m: METHOD_LABELS.get(MvMethod(m), m),
        "mv_frequency_label": lambda f: FREQUENCY_LABELS.get(ReportingFrequency(f), f),
        "mv_option_label": lambda o: OPTION_LABELS.get(IpmvpOption(o), o),
    }


def svg_chart(
    dates: list[str],
    series: dict[str, list[float | None]],
    *,
    width: int = 860,
    height: int = 240,
    unit: str = "",
) -> Markup:
    """A server-side SVG line chart of named series over dates (no JavaScript, no CDN)."""
    colours = ["#0b6e4f", "#d97706", "#2563eb", "#9333ea"]
    values = [v for s in series.values() for v in s if v is not None and math.isfinite(v)]
    if not dates or not values:
        return Markup("")
    lo, hi = min(values + [0.0]), max(values)
    hi = hi if hi > lo else lo + 1
    left, right, top, bottom = 56, 10, 12, 28
    w, h = width - left - right, height - top - bottom
    n = len(dates)

    def x(i: int) -> float:
        return left + (w * i / max(n - 1, 1))

    def y(v: float) -> float:
        return top + h - (v - lo) / (hi - lo) * h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="mv-chart" data-testid="mv-chart">',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fff" stroke="#d9e0e7"/>',
    ]
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 3:.1f}" font-size="10" text-anchor="end">'
            f"{v:,.0f}</text>"
        )
    step = max(1, n // 6)
    for i in range(0, n, step):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 10}" font-size="10" text-anchor="middle">'
            f"{escape(dates[i])}</text>"
        )
    for j, (name, vals) in enumerate(series.items()):
        colour = colours[j % len(colours)]
        path, pen = [], "M"
        for i, v in enumerate(vals):
            if v is None or not math.isfinite(v):
                pen = "M"
                continue
            path.append(f"{pen}{x(i):.1f},{y(v):.1f}")
            pen = "L"
        parts.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.2">'
            f"<title>{escape(name)}</title></path>"
        )
        parts.append(
            f'<text x="{left + 8 + 150 * j}" y="{top + 12}" font-size="11" fill="{colour}">'
            f"{escape(name)}{' (' + escape(unit) + ')' if unit else ''}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _sides(project) -> dict[str, bool]:
    actor = current_actor()
    return {
        "esco": can(actor, Permission.MV_PROPOSE)
        and actor.organization_id == project.esco_organization_id,
        "institution": can(actor, Permission.MV_APPROVE)
        and actor.organization_id == project.organization_id,
    }


def _meters(project_id: int) -> list[Meter]:
    actor = current_actor()
    site_ids = select(ProjectSite.site_id).where(ProjectSite.project_id == project_id)
    return list(
        db().scalars(scoped(actor, Meter).where(Meter.site_id.in_(site_ids)).order_by(Meter.id))
    )


def _render_project(project_id: int, *, error=None, errors=None, form=None, status=200):
    actor = current_actor()
    project = contracts.get_project(db(), actor, project_id)
    plan = service.plan_of(db(), project.id)
    baselines = service.list_baselines(db(), actor, project.id)
    reports = service.list_reports(db(), actor, project.id)
    history = journal.history(db(), "mv_plans", plan.id) if plan else []
    return render_template(
        "mv/project.html",
        project=project,
        plan=plan,
        baselines=baselines,
        reports=reports,
        meters=_meters(project.id),
        sides=_sides(project),
        can_edit_plan=can(actor, Permission.MV_PLAN_EDIT) and any(_sides(project).values()),
        defaults=DEFAULT_ACCEPTANCE,
        acceptance_labels=ACCEPTANCE_LABELS,
        methods=list(MvMethod),
        frequencies=list(ReportingFrequency),
        options=list(IpmvpOption),
        error=error,
        errors=errors or {},
        form=form or {},
        history=history,
    ), status


@bp.get("/projects/<int:project_id>/mv")
@login_required
def project(project_id: int):
    return _render_project(project_id)


def _error_message(error: EmcError) -> str:
    fields = localise(error.fields)
    if fields:
        return f"{error.message} {fields}"
    return error.message


def _plan_from_form() -> dict:
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
    if raw.get("stipulated"):
        try:
            data["stipulated"] = json.loads(raw["stipulated"])
        except ValueError:
            data["stipulated"] = "not JSON"
    acceptance = {}
    for key in DEFAULT_ACCEPTANCE:
        if raw.get(key):
            try:
                acceptance[key] = float(raw[key])
            except ValueError:
                acceptance[key] = raw[key]
    if acceptance:
        data["acceptance"] = acceptance
    return data


@bp.post("/projects/<int:project_id>/mv/plan")
@login_required
def save_plan(project_id: int):
    actor = current_actor()
    contracts.get_project(db(), actor, project_id)
    raw = _plan_from_form()
    data, errors = load_form(MvPlanIn(), raw)
    if errors:
        return _render_project(project_id, errors=errors, form=form_data(), status=422)
    try:
        service.put_plan(db(), actor, project_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(
            project_id, error=_error_message(error), form=form_data(), status=error.status
        )
    flash(_("M&V plan saved."), "success")
    return redirect(url_for("mv.project", project_id=project_id))


@bp.post("/projects/<int:project_id>/mv/baselines")
@login_required
def propose(project_id: int):
    actor = current_actor()
    contracts.get_project(db(), actor, project_id)
    raw = form_data()
    raw["allow_insufficient"] = raw.get("allow_insufficient") == "on"
    data, errors = load_form(BaselineProposeIn(), raw)
    try:
        if errors:
            raise Invalid("the proposal is invalid", fields=errors)
        baseline = service.propose_baseline(db(), actor, project_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(project_id, error=_error_message(error), status=error.status)
    flash(_("Baseline version %(v)s proposed.", v=baseline.version), "success")
    return redirect(url_for("mv.baseline", project_id=project_id, baseline_id=baseline.id))


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
        sides=_sides(project),
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
        (MvDecisionIn, service.approve_baseline)
        if action == "approve"
        else (MvCommentIn, service.reject_baseline)
    )
    data, errors = load_form(schema())
    try:
        if errors:
            raise Invalid("the decision is invalid", fields=errors)
        run(db(), actor, baseline_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_baseline(
            project_id, baseline_id, error=_error_message(error), status=error.status
        )
    flash(_("Baseline decision recorded."), "success")
    return redirect(url_for("mv.baseline", project_id=project_id, baseline_id=baseline_id))


@bp.post("/projects/<int:project_id>/mv/reports")
@login_required
def draft(project_id: int):
    actor = current_actor()
    contracts.get_project(db(), actor, project_id)
    data, errors = load_form(MvReportDraftIn())
    try:
        if errors:
            raise Invalid("the period is invalid", fields=errors)
        report = service.draft_report(db(), actor, project_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_project(project_id, error=_error_message(error), status=error.status)
    flash(_("M&V report drafted."), "success")
    return redirect(url_for("mv.report", project_id=project_id, report_id=report.id))


def _render_report(project_id: int, report_id: int, *, error=None, status=200):
    actor = current_actor()
    project = contracts.get_project(db(), actor, project_id)
    report = mv_api.report_in(project_id, report_id)
    baseline = db().get(Baseline, report.baseline_id)
    charts = []
    for r in report.results:
        months = r["savings"]["by_month"]
        charts.append(
            svg_chart(
                [m["month"] for m in months],
                {
                    _("Adjusted baseline"): [m["adjusted_baseline"] for m in months],
                    _("Reporting use"): [m["reporting"] for m in months],
                },
                unit=r["unit"],
                height=200,
            )
        )
    return render_template(
        "mv/report.html",
        project=project,
        report=report,
        baseline=baseline,
        charts=charts,
        adjustments=mv_api.adjustment_payloads(report),
        versions=service.versions_of(db(), report),
        sides=_sides(project),
        error=error,
        history=journal.history(db(), "mv_reports", report.id),
    ), status


@bp.get("/projects/<int:project_id>/mv/reports/<int:report_id>")
@login_required
def report(project_id: int, report_id: int):
    return _render_report(project_id, report_id)


_REPORT_ACTIONS = {
    "submit": (None, service.submit_report),
    "accept": (MvDecisionIn, service.accept_report),
    "dispute": (MvCommentIn, service.dispute_report),
    "revise": (MvReasonIn, service.revise_report),
}


@bp.post(
    "/projects/<int:project_id>/mv/reports/<int:report_id>/"
    "<any(submit, accept, dispute, revise):action>"
)
@login_required
def report_action(project_id: int, report_id: int, action: str):
    actor = current_actor()
    mv_api.report_in(project_id, report_id, check=False)
    schema, run = _REPORT_ACTIONS[action]
    data, errors = load_form(schema()) if schema else ({}, {})
    try:
        if errors:
            raise Invalid("the form is invalid", fields=errors)
        result = run(db(), actor, report_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_report(
            project_id, report_id, error=_error_message(error), status=error.status
        )
    flash(_("M&V report: done (%(action)s).", action=action), "success")
    return redirect(url_for("mv.report", project_id=project_id, report_id=result.id))


@bp.post("/projects/<int:project_id>/mv/reports/<int:report_id>/adjustments")
@login_required
def add_adjustment(project_id: int, report_id: int):
    actor = current_actor()
    mv_api.report_in(project_id, report_id, check=False)
    try:
        data, files = mv_api.adjustment_from_request()
        service.add_adjustment(db(), actor, report_id, files=files, **data)
    except NotFound:
        raise
    except (EmcError, ma.ValidationError) as error:
        status = getattr(error, "status", 422)
        message = _error_message(error) if isinstance(error, EmcError) else str(error)
        return _render_report(project_id, report_id, error=message, status=status)
    flash(_("Adjustment proposed."), "success")
    return redirect(url_for("mv.report", project_id=project_id, report_id=report_id))


@bp.post(
    "/projects/<int:project_id>/mv/reports/<int:report_id>/adjustments/<int:adjustment_id>/agree"
)
@login_required
def agree(project_id: int, report_id: int, adjustment_id: int):
    actor = current_actor()
    mv_api.report_in(project_id, report_id, check=False)
    try:
        service.agree_adjustment(db(), actor, report_id, adjustment_id)
    except NotFound:
        raise
    except EmcError as error:
        return _render_report(
            project_id, report_id, error=_error_message(error), status=error.status
        )
    flash(_("Adjustment agreed."), "success")
    return redirect(url_for("mv.report", project_id=project_id, report_id=report_id))

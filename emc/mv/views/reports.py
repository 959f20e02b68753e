"""The report page (monthly table, adjustments, version history) and its actions."""

from __future__ import annotations

import marshmallow as ma
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from emc import journal
from emc.contracts import service as contracts
from emc.errors import EmcError, Invalid, NotFound
from emc.facilities.models import Meter, Site, WeatherStation
from emc.i18n import N_
from emc.messages import msg
from emc.mv import api as mv_api
from emc.mv import service
from emc.mv.models import (
    Baseline,
)
from emc.mv.schemas import (
    MvCommentIn,
    MvDecisionIn,
    MvReasonIn,
    MvVersionIn,
)
from emc.mv.service import verdicts
from emc.mv.views.common import (
    bp,
    error_message,
    sides_of,
    svg_chart,
)
from emc.web.db import db
from emc.web.forms import load_form
from emc.web.security import current_actor


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
    short = [
        m["meter_id"]
        for m in ((report.verdict or {}).get("sufficiency") or {}).get("meters", [])
        if not m.get("sufficient", True)
    ]
    meter = db().get(Meter, short[0]) if short else None
    # Missing temperatures are uploaded on the station's page, by whoever keeps the station:
    # the platform for a reference station (an ESCO cannot), the institution for its own.
    site = db().get(Site, meter.site_id) if meter is not None else None
    station = (
        db().get(WeatherStation, site.weather_station_id)
        if site is not None and site.weather_station_id
        else None
    )
    return render_template(
        "mv/report.html",
        project=project,
        report=report,
        baseline=baseline,
        site_id=meter.site_id if meter is not None else None,
        station=station,
        verdict_status=verdicts.status_of,
        charts=charts,
        adjustments=mv_api.adjustment_payloads(report),
        versions=service.versions_of(db(), report),
        sides=sides_of(project),
        error=error,
        history=journal.history(db(), "mv_reports", report.id),
    ), status


@bp.get("/projects/<int:project_id>/mv/reports/<int:report_id>")
@login_required
def report(project_id: int, report_id: int):
    return _render_report(project_id, report_id)


_REPORT_ACTIONS = {
    "submit": (MvVersionIn, service.submit_report),
    "accept": (MvDecisionIn, service.accept_report),
    "dispute": (MvCommentIn, service.dispute_report),
    "revise": (MvReasonIn, service.revise_report),
}


# What the flash says after each report action (every action of the route has one).
REPORT_DONE = {
    "submit": N_("M&V report submitted: the institution reviews it now."),
    "accept": N_("M&V report accepted."),
    "dispute": N_("M&V report disputed: the ESCO revises it as a new version."),
    "revise": N_("A new version of the M&V report was drafted."),
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
            raise Invalid(msg("mv.form_invalid"), fields=errors)
        result = run(db(), actor, report_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_report(
            project_id, report_id, error=error_message(error), status=error.status
        )
    flash(_(REPORT_DONE[action]), "success")
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
        if isinstance(error, ma.ValidationError):  # the catalogue's sentence, fields named
            error = Invalid(msg("mv.adjustment_invalid"), fields=error.messages)
        message = error_message(error)
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
    data, errors = load_form(MvVersionIn())
    try:
        if errors:
            raise Invalid(msg("mv.form_invalid"), fields=errors)
        service.agree_adjustment(db(), actor, report_id, adjustment_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_report(
            project_id, report_id, error=error_message(error), status=error.status
        )
    flash(_("Adjustment agreed."), "success")
    return redirect(url_for("mv.report", project_id=project_id, report_id=report_id))

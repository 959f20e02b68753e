"""Pages of the savings watch: a project's persistence chart, forecast, warnings, suspected
events (dismiss / convert) and savings at risk; the institution's quota forecast; the agency's
count of institutions at risk with drill-down. Also the template helpers the M&V pages include
(open events on the baseline approval and report submission pages)."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from emc import journal
from emc.auth.models import OrgKind
from emc.auth.permissions import Permission, can
from emc.errors import EmcError, Invalid, NotFound
from emc.messages import msg
from emc.mv.service._common import local_today
from emc.watch import service
from emc.watch.charts import persistence_chart
from emc.watch.models import EventScope, EventStatus, MissingDaysPolicy, SuspectedEvent
from emc.watch.schemas import EventConvertIn, EventDismissIn, QuotaShareIn, WatchSettingsIn
from emc.watch.service import common, events, quota
from emc.watch.service import settings as settings_service
from emc.web.db import db
from emc.web.forms import load_form
from emc.web.labels import label
from emc.web.messages import describe
from emc.web.security import current_actor

bp = Blueprint("watch", __name__)
_MONTH = re.compile(r"\d{4}-\d{2}")

POLICY_LABELS = {
    MissingDaysPolicy.FILL_AGREED: _l("Filled by an agreed method"),
    MissingDaysPolicy.UNPAID: _l("Left unpaid"),
}
METHOD_LABELS = {
    "model": _l("Weather-normalised (baseline model)"),
    "last_year": _l("Last year's same months, scaled by year to date"),
    "mixed": _l("Weather-normalised where a model exists, else last year"),
    "none": _l("No data to forecast"),
}
THRESHOLD_LABELS = {
    "guarantee": _l("Guaranteed savings of the contract year"),
    "expected": _l("Expected savings of the contract year"),
}


def _message(error: EmcError) -> str:
    return describe(error)


@bp.app_context_processor
def _helpers():
    def open_events(project_id: int, start, end, scope: str) -> list[SuspectedEvent]:
        try:
            common.project_for(db(), current_actor(), project_id)
        except EmcError:
            return []
        return events.open_events_in(db(), project_id, start, end, scope=EventScope(scope))

    return {
        "watch_open_events": open_events,
        "watch_event_status": lambda s: label(s, EventStatus),
        "watch_scope": lambda s: label(s, EventScope),
    }


def _sides(project) -> dict[str, bool]:
    actor = current_actor()
    return {
        "esco": can(actor, Permission.MV_PROPOSE)
        and actor.organization_id == project.esco_organization_id,
        "institution": can(actor, Permission.MV_APPROVE)
        and actor.organization_id == project.organization_id,
    }


def _render(project_id: int, *, error=None, errors=None, status=200):
    actor = current_actor()
    project = common.project_for(db(), actor, project_id)
    snapshot = common.snapshot_of(db(), actor, project.id)
    chart = None
    if snapshot is not None:
        chart = persistence_chart(
            snapshot.series,
            labels={
                "achieved": _("Cumulative savings achieved"),
                "expected": _("Cumulative savings expected"),
                "band": _("Uncertainty band (FSU, 90 percent confidence)"),
                "cusum": _("CUSUM of daily savings against expectation"),
            },
            unit=snapshot.unit,
        )
    items = service.list_events(db(), actor, project.id)
    drafts = {e.id: service.draft_for(db(), e) for e in items if e.status is EventStatus.OPEN}
    effects = {
        eid: service.estimated_effect(next(e for e in items if e.id == eid), r)
        for eid, r in drafts.items()
        if r is not None
    }
    row = common.settings_of(db(), project.id)
    return render_template(
        "watch/project.html",
        project=project,
        snapshot=snapshot,
        chart=chart,
        events=items,
        drafts=drafts,
        effects=effects,
        warnings=common.warnings_of(db(), actor, project.id),
        settings=row,
        policies=list(MissingDaysPolicy),
        policy_labels=POLICY_LABELS,
        threshold_labels=THRESHOLD_LABELS,
        sides=_sides(project),
        can_edit_settings=can(actor, Permission.CONTRACTS_PROJECT_MANAGE)
        and actor.organization_id == project.organization_id,
        error=error,
        errors=errors or {},
        history=journal.history(db(), "watch_settings", row.id) if row.id else [],
    ), status


@bp.get("/projects/<int:project_id>/watch")
@login_required
def project(project_id: int):
    return _render(project_id)


def _act(project_id: int, run, success: str):
    try:
        run()
    except NotFound:
        raise
    except EmcError as error:
        return _render(project_id, error=_message(error), status=error.status)
    flash(success, "success")
    return redirect(url_for("watch.project", project_id=project_id))


@bp.post("/projects/<int:project_id>/watch/events/<int:event_id>/dismiss")
@login_required
def dismiss(project_id: int, event_id: int):
    actor = current_actor()
    service.get_event(db(), actor, project_id, event_id)
    data, errors = load_form(EventDismissIn())

    def run():
        if errors:
            raise Invalid(_("The dismissal is invalid."), fields=errors)
        service.dismiss_event(db(), actor, project_id, event_id, **data)

    return _act(project_id, run, _("The suspected event was dismissed."))


@bp.post("/projects/<int:project_id>/watch/events/<int:event_id>/convert")
@login_required
def convert(project_id: int, event_id: int):
    actor = current_actor()
    service.get_event(db(), actor, project_id, event_id)
    data, errors = load_form(EventConvertIn())

    def run():
        if errors:
            raise Invalid(_("The adjustment proposal is invalid."), fields=errors)
        service.convert_event(db(), actor, project_id, event_id, **data)

    return _act(
        project_id,
        run,
        _("The event is now a non-routine adjustment proposal on the draft report."),
    )


@bp.post("/projects/<int:project_id>/watch/warnings/<int:warning_id>/acknowledge")
@login_required
def acknowledge(project_id: int, warning_id: int):
    actor = current_actor()
    return _act(
        project_id,
        lambda: service.acknowledge_warning(db(), actor, project_id, warning_id),
        _("Warning acknowledged."),
    )


@bp.post("/projects/<int:project_id>/watch/settings")
@login_required
def save_settings(project_id: int):
    actor = current_actor()
    common.project_for(db(), actor, project_id)
    data, errors = load_form(WatchSettingsIn())

    def run():
        if errors:
            raise Invalid(_("The watch settings are invalid."), fields=errors)
        settings_service.save_settings(db(), actor, project_id, **data)

    return _act(project_id, run, _("Watch settings saved."))


# --- quotas --------------------------------------------------------------------------------


@bp.get("/watch/quota")
@login_required
def quota_home():
    actor = current_actor()
    if actor.org_kind is OrgKind.INSTITUTION:
        return redirect(url_for("watch.quota_institution", organization_id=actor.organization_id))
    month = request.args.get("month") or None
    if month is not None and not _MONTH.fullmatch(month):
        raise NotFound(msg("watch.no_such_month"))
    overview = quota.region_overview(db(), actor, month)
    this_month = local_today().strftime("%Y-%m")
    if overview["month"] is None:
        overview = quota.region_overview(db(), actor, this_month)
    # Without ?month= the page shows the latest month with a warning, and says so when that is
    # not the current month (it read "this month" over 2024-10 in 2026-12).
    return render_template(
        "watch/quota_region.html", overview=overview, this_month=month or this_month
    )


def _render_institution(organization_id: int, *, error=None, status=200):
    actor = current_actor()
    as_of = None
    if request.args.get("as_of"):
        try:
            as_of = dt.date.fromisoformat(request.args["as_of"])
        except ValueError:
            raise NotFound(msg("watch.no_such_date")) from None
    org, result = quota.institution_forecast(
        db(), actor, organization_id, local_today(), as_of=as_of
    )
    warnings = [
        w
        for w in common_quota_warnings(org.id)
        if actor.organization_id == org.id or can(actor, Permission.PROGRAMME_READ)
    ]
    return render_template(
        "watch/quota.html",
        org=org,
        result=result,
        warnings=warnings,
        method_label=METHOD_LABELS.get(result.method, result.method),
        method_labels=METHOD_LABELS,
        own=actor.organization_id == org.id and can(actor, Permission.MV_APPROVE),
        error=error,
    ), status


def common_quota_warnings(organization_id: int):
    from sqlalchemy import select

    from emc.watch.models import WarningKind, WatchWarning

    return list(
        db().scalars(
            select(WatchWarning)
            .where(
                WatchWarning.kind == WarningKind.QUOTA,
                WatchWarning.organization_id == organization_id,
            )
            .order_by(WatchWarning.month.desc())
            .limit(24)
        )
    )


@bp.get("/watch/quota/<int:organization_id>")
@login_required
def quota_institution(organization_id: int):
    return _render_institution(organization_id)


@bp.post("/watch/quota/<int:organization_id>/share")
@login_required
def quota_share(organization_id: int):
    actor = current_actor()
    data, errors = load_form(QuotaShareIn())
    try:
        if errors:
            raise Invalid(_("The share is invalid."), fields=errors)
        settings_service.save_quota_share(db(), actor, organization_id, **data)
    except NotFound:
        raise
    except EmcError as error:
        return _render_institution(organization_id, error=_message(error), status=error.status)
    flash(_("Warning share saved."), "success")
    return redirect(url_for("watch.quota_institution", organization_id=organization_id))


@bp.post("/watch/quota/<int:organization_id>/warnings/<int:warning_id>/acknowledge")
@login_required
def quota_acknowledge(organization_id: int, warning_id: int):
    actor = current_actor()
    try:
        events.acknowledge_quota_warning(db(), actor, warning_id)
    except NotFound:
        raise
    except EmcError as error:
        return _render_institution(organization_id, error=_message(error), status=error.status)
    flash(_("Warning acknowledged."), "success")
    return redirect(url_for("watch.quota_institution", organization_id=organization_id))

"""Pages that belong to no domain: the role home page, the 待办 (to-do) page, language switch,
health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_login import login_required
from sqlalchemy import func, select

from emc.audit.models import EnergyAudit
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, User
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, scoped
from emc.contracts.models import EmcProject
from emc.errors import EmcError
from emc.mv.models import MvReport, ReportStatus
from emc.paging import page_of
from emc.todo import KIND_LABELS, OTHER_KIND_LABEL, counts_by_kind, todos_for
from emc.web.args import page_arg
from emc.web.db import db
from emc.web.security import SUPPORTED_LOCALES, current_actor, safe_next
from emc.web.templating import page_locale

bp = Blueprint("core", __name__)

HOME_TODOS = 8
HOME_PROJECTS = 10
TODO_PER_PAGE = 50


def _todos(actor: Actor) -> list:
    """The actor's to-dos, gathered once per request (the navigation badge and the page)."""
    if "emc_todos" not in g:
        g.emc_todos = todos_for(db(), actor)
    return g.emc_todos


@bp.app_context_processor
def _todo_globals():
    def todo_count() -> int:
        actor = current_actor()
        return len(_todos(actor)) if actor is not None else 0

    return {
        "todo_count": todo_count,
        "todo_kind_label": lambda kind: KIND_LABELS.get(kind, OTHER_KIND_LABEL),
    }


def _my_projects(session, actor: Actor) -> tuple[int, list[dict[str, Any]]]:
    """The actor's projects (institution: its own; ESCO: contracted on), latest changed first,
    each with the other party and its latest accepted M&V report (the verified savings)."""
    if actor.org_kind not in (OrgKind.INSTITUTION, OrgKind.ESCO) or not can(
        actor, Permission.CONTRACTS_READ
    ):
        return 0, []
    stmt = scoped(actor, EmcProject)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    projects = list(
        session.scalars(
            stmt.order_by(EmcProject.updated_at.desc(), EmcProject.id.desc()).limit(HOME_PROJECTS)
        )
    )
    ids = [p.id for p in projects]
    latest: dict[int, MvReport] = {}
    for report in session.scalars(
        select(MvReport)
        .where(MvReport.project_id.in_(ids), MvReport.status == ReportStatus.ACCEPTED)
        .order_by(MvReport.period_end.desc(), MvReport.version.desc())
    ):
        latest.setdefault(report.project_id, report)
    other_ids = {
        p.esco_organization_id if actor.org_kind is OrgKind.INSTITUTION else p.organization_id
        for p in projects
    } - {None}
    locale = page_locale()
    names = {
        o.id: o.display_name(locale)
        for o in session.scalars(select(Organization).where(Organization.id.in_(other_ids)))
    }
    rows = []
    for p in projects:
        other = (
            p.esco_organization_id if actor.org_kind is OrgKind.INSTITUTION else p.organization_id
        )
        rows.append({"project": p, "other": names.get(other, ""), "report": latest.get(p.id)})
    return total, rows


def _region_progress(session, actor: Actor) -> Any:
    """The agency's region summary (the programme dashboard's figures), or None."""
    if actor.org_kind is not OrgKind.AGENCY or not can(actor, Permission.PROGRAMME_READ):
        return None
    from emc.programme.service import dashboard

    try:
        return dashboard(session, actor, locale=page_locale())
    except EmcError:
        return None


@bp.get("/")
@login_required
def home():
    """The home page of the actor's role: what waits for them, their projects with the latest
    verified savings (agencies: their region's progress; auditors: their audits). The change
    history is on the organisation page."""
    actor = current_actor()
    session_ = db()
    org = load(session_, actor, Organization, actor.organization_id)
    counts = {}
    if actor.is_platform_admin:
        counts = dict(
            session_.execute(
                select(Organization.kind, func.count()).group_by(Organization.kind)
            ).all()
        )
    region_institutions = 0
    if actor.org_kind is OrgKind.AGENCY:
        region_institutions = session_.scalar(
            select(func.count()).select_from(
                scoped(actor, Organization)
                .where(Organization.kind == OrgKind.INSTITUTION)
                .subquery()
            )
        )
    audits = []
    if actor.org_kind is OrgKind.AUDITOR and can(actor, Permission.AUDITS_READ):
        audits = list(
            session_.scalars(
                scoped(actor, EnergyAudit).order_by(EnergyAudit.updated_at.desc()).limit(10)
            )
        )
    colleagues = session_.scalar(
        select(func.count()).select_from(User).where(User.organization_id == org.id)
    )
    todos = _todos(actor)
    project_total, projects = _my_projects(session_, actor)
    return render_template(
        "home.html",
        org=org,
        counts=counts,
        region_institutions=region_institutions,
        region=_region_progress(session_, actor),
        colleagues=colleagues,
        todos=todos[:HOME_TODOS],
        todo_total=len(todos),
        kind_counts=counts_by_kind(todos),
        projects=projects,
        project_total=project_total,
        audits=audits,
    )


@bp.get("/todo")
@login_required
def todo():
    """待办: every action waiting for the actor, soonest due first; ``?kind=`` keeps one kind."""
    actor = current_actor()
    todos = _todos(actor)
    kind = request.args.get("kind") or None
    shown = [t for t in todos if t.kind == kind] if kind else todos
    page = page_arg()
    return render_template(
        "todo/list.html",
        page=page_of(shown, page, TODO_PER_PAGE),
        counts=counts_by_kind(todos),
        total=len(todos),
        kind=kind,
    )


@bp.post("/locale")
def set_locale():
    """Switch the interface language: stored on the user when logged in, in the session otherwise."""
    locale = request.form.get("locale", "")
    if locale not in SUPPORTED_LOCALES:
        return redirect(url_for("core.home"))
    session["locale"] = locale
    actor = current_actor()
    if actor is not None:
        from emc.auth.service import update_own_locale

        update_own_locale(db(), actor, locale)
    return redirect(safe_next(request.form.get("next")))


@bp.get("/healthz")
def health():
    db().execute(select(1))
    return {"status": "ok"}

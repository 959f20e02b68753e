"""Pages that belong to no domain: the role home page, language switch, health check."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import login_required
from sqlalchemy import func, select

from emc.auth.models import Organization, OrgKind, User
from emc.auth.policy import load, scoped
from emc.journal import JournalEntry
from emc.web.db import db
from emc.web.security import SUPPORTED_LOCALES, current_actor, safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
@login_required
def home():
    """The home page of the actor's role: their organisation, what they can reach, recent changes."""
    actor = current_actor()
    session_ = db()
    org = load(session_, actor, Organization, actor.organization_id)
    recent = list(
        session_.scalars(
            select(JournalEntry)
            .where(JournalEntry.organization_id == actor.organization_id)
            .order_by(JournalEntry.at.desc(), JournalEntry.id.desc())
            .limit(10)
        )
    )
    counts = {}
    if actor.is_platform_admin:
        counts = dict(
            session_.execute(
                select(Organization.kind, func.count()).group_by(Organization.kind)
            ).all()
        )
    region_institutions = []
    if actor.org_kind is OrgKind.AGENCY:
        region_institutions = list(
            session_.scalars(
                scoped(actor, Organization)
                .where(Organization.kind == OrgKind.INSTITUTION)
                .order_by(Organization.region_code, Organization.name_zh)
            )
        )
    colleagues = session_.scalar(
        select(func.count()).select_from(User).where(User.organization_id == org.id)
    )
    return render_template(
        "home.html",
        org=org,
        recent=recent,
        counts=counts,
        region_institutions=region_institutions,
        colleagues=colleagues,
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

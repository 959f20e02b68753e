"""Pages: which sites a project covers and which of their meters its M&V boundary holds.

Linking a site is the institution's (``facilities:sites:manage``); the boundary itself (which
meters, which IPMVP option) is chosen on the M&V plan form (``mv.project``), which this page
links to. Reached from the project page and from the M&V page's "no meters" message.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from emc.auth.permissions import Permission, can
from emc.auth.policy import load
from emc.contracts.models import EmcProject
from emc.errors import EmcError
from emc.facilities.models import Site
from emc.facilities.service import listing, projects
from emc.facilities.views.common import bp, service_errors
from emc.web.args import int_arg
from emc.web.db import db
from emc.web.security import current_actor


def _project_page(project_id: int, *, errors=None, status: int = 200):
    actor = current_actor()
    session = db()
    covered = projects.project_sites(session, actor, project_id)
    may_manage = can(actor, Permission.FACILITIES_MANAGE)
    linkable = projects.linkable_sites(session, actor, covered.project) if may_manage else []
    meter_ids = [m.id for ms in covered.meters.values() for m in ms]
    return render_template(
        "facilities/project_sites.html",
        project=covered.project,
        sites=covered.sites,
        meters=covered.meters,
        boundary=covered.boundary,
        stats=listing.reading_stats(session, meter_ids),
        linkable=linkable,
        may_manage=may_manage,
        may_edit_plan=can(actor, Permission.MV_PLAN_EDIT),
        errors=errors or {},
    ), status


@bp.get("/projects/<int:project_id>/sites")
@login_required
def project_sites(project_id: int):
    """The project's sites and their meters, marked inside or outside the M&V boundary."""
    return _project_page(project_id)


@bp.post("/projects/<int:project_id>/sites")
@login_required
def link_project_site(project_id: int):
    """Link one of the institution's sites to the project (from the project's side)."""
    actor = current_actor()
    session = db()
    project = load(session, actor, EmcProject, project_id)
    site_id = int_arg("site_id", form=True)
    if site_id is None:
        return _project_page(project.id, errors={"site_id": [_("Choose a site.")]}, status=422)
    try:
        site = load(session, actor, Site, site_id)
    except EmcError:
        return _project_page(project.id, errors={"site_id": [_("Choose a site.")]}, status=422)
    try:
        projects.link_project(session, actor, site.id, project_id=project.id)
    except EmcError as error:
        if error.status in (403, 404):
            raise
        return _project_page(project.id, errors=service_errors(error), status=error.status)
    flash(_("The project now covers site %(site)s.", site=site.name), "success")
    return redirect(url_for("facilities.project_sites", project_id=project.id))


@bp.post("/projects/<int:project_id>/sites/<int:site_id>/unlink")
@login_required
def unlink_project_site(project_id: int, site_id: int):
    """Undo a link made by mistake (refused while the M&V boundary holds meters of the site)."""
    actor = current_actor()
    session = db()
    project = load(session, actor, EmcProject, project_id)
    site = load(session, actor, Site, site_id)
    try:
        projects.unlink_project(session, actor, site.id, project_id=project.id)
    except EmcError as error:
        if error.status in (403, 404):
            raise
        return _project_page(project.id, errors=service_errors(error), status=error.status)
    flash(_("The project no longer covers site %(site)s.", site=site.name), "success")
    return redirect(url_for("facilities.project_sites", project_id=project.id))


@bp.post("/sites/<int:site_id>/projects")
@login_required
def link_site_project(site_id: int):
    """Link the site to one of the institution's projects (from the site's side)."""
    actor = current_actor()
    session = db()
    site = load(session, actor, Site, site_id)
    project_id = int_arg("project_id", form=True)
    try:
        projects.link_project(session, actor, site.id, project_id=project_id or 0)
    except EmcError as error:
        if error.status in (403, 404):
            raise
        for message in service_errors(error).values():
            for text in message:
                flash(text, "error")
        return redirect(url_for("facilities.site", site_id=site.id))
    flash(_("The site is now covered by the project."), "success")
    return redirect(url_for("facilities.site", site_id=site.id))

"""Which sites an EMC project covers, and so which meters its M&V boundary may hold.

A :class:`~emc.facilities.models.ProjectSite` row lets the project's contracted ESCO see the
site's meters and readings; the meters it may *write* are narrower: those inside the M&V plan's
boundary (:mod:`.rights`). The boundary itself is the M&V plan's (``emc.mv.service.plans``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.contracts.models import EmcProject
from emc.errors import Conflict, Invalid, NotFound
from emc.facilities.models import Meter, ProjectSite, Site
from emc.messages import msg
from emc.mv.models import MvPlan

__all__ = [
    "ProjectSites",
    "boundary_meter_ids",
    "link_project",
    "linkable_sites",
    "project_sites",
    "site_projects",
    "unlink_project",
]


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, fields={field: [message]})


def _project(session: Session, actor: Actor, project_id: int, field: str = "project_id"):
    try:
        return load(session, actor, EmcProject, project_id)
    except NotFound:
        raise _invalid(field, f"unknown emcproject {project_id!r}") from None


def link_project(session: Session, actor: Actor, site_id: int, *, project_id: int) -> ProjectSite:
    """Declare that an EMC project covers a site: the project's contracted ESCO then sees the
    site's meters and readings. The project must be the same institution's.

    Raises:
        NotFound: site not visible. Forbidden: may not manage. Invalid: unknown project or one
            of another institution. Conflict: already linked.
    """
    site = load(session, actor, Site, site_id)
    require(actor, Permission.FACILITIES_MANAGE)
    project = _project(session, actor, project_id)
    if project.organization_id != site.organization_id:
        raise _invalid("project_id", "the project belongs to another institution")
    if session.get(ProjectSite, (project.id, site.id)) is not None:
        raise Conflict(
            msg("facilities.project_already_covers_site"),
            fields={"project_id": [msg("facilities.already_linked")]},
        )
    link = ProjectSite(project_id=project.id, site_id=site.id)
    session.add(link)
    session.flush()
    journal.record(
        session,
        actor,
        "link_project",
        site,
        organization_id=site.organization_id,
        after={"project_id": project.id},
        summary=f"project {project.id} covers site {site.id}",
    )
    return link


def boundary_meter_ids(session: Session, project_id: int) -> set[int]:
    """The meters inside the M&V boundary of a project's plan (empty without a plan)."""
    boundary = session.scalar(select(MvPlan.boundary).where(MvPlan.project_id == project_id))
    return {int(item["meter_id"]) for item in boundary or []}


def unlink_project(session: Session, actor: Actor, site_id: int, *, project_id: int) -> None:
    """Undo :func:`link_project` (a site linked by mistake). Refused while the project's M&V
    boundary holds a meter of the site: take it out of the plan first, so that no plan, baseline
    or report refers to a meter its ESCO can no longer see.

    Raises:
        NotFound: site not visible. Forbidden: may not manage. Invalid: unknown project or not
            linked. Conflict: the boundary holds meters of the site.
    """
    site = load(session, actor, Site, site_id)
    require(actor, Permission.FACILITIES_MANAGE)
    project = _project(session, actor, project_id)
    link = session.get(ProjectSite, (project.id, site.id))
    if link is None:
        raise _invalid("project_id", "the project does not cover this site")
    site_meters = set(session.scalars(select(Meter.id).where(Meter.site_id == site.id)))
    inside = sorted(boundary_meter_ids(session, project.id) & site_meters)
    if inside:
        names = ", ".join(
            session.scalars(select(Meter.name).where(Meter.id.in_(inside)).order_by(Meter.name))
        )
        raise Conflict(
            msg("facilities.site_in_boundary", meters=names),
            fields={"project_id": [msg("facilities.m_v_boundary_holds_meters")]},
        )
    session.delete(link)
    session.flush()
    journal.record(
        session,
        actor,
        "unlink_project",
        site,
        organization_id=site.organization_id,
        before={"project_id": project.id},
        summary=f"project {project.id} no longer covers site {site.id}",
    )


def site_projects(session: Session, site: Site) -> list[int]:
    """Ids of the projects covering ``site`` (the caller has loaded it through the policy)."""
    return list(
        session.scalars(
            select(ProjectSite.project_id)
            .where(ProjectSite.site_id == site.id)
            .order_by(ProjectSite.project_id)
        )
    )


@dataclass(frozen=True)
class ProjectSites:
    """A project's sites and their meters, and which meters its M&V boundary holds."""

    project: EmcProject
    sites: list[Site]
    meters: dict[int, list[Meter]]
    boundary: set[int]


def project_sites(session: Session, actor: Actor, project_id: int) -> ProjectSites:
    """The sites a visible project covers, with their meters (NotFound if not visible)."""
    project = load(session, actor, EmcProject, project_id)
    sites = list(
        session.scalars(
            select(Site)
            .join(ProjectSite, ProjectSite.site_id == Site.id)
            .where(ProjectSite.project_id == project.id)
            .order_by(Site.name)
        )
    )
    meters: dict[int, list[Meter]] = {s.id: [] for s in sites}
    for meter in session.scalars(
        select(Meter).where(Meter.site_id.in_(list(meters))).order_by(Meter.name)
    ):
        meters[meter.site_id].append(meter)
    return ProjectSites(project, sites, meters, boundary_meter_ids(session, project.id))


def linkable_sites(session: Session, actor: Actor, project: EmcProject) -> list[Site]:
    """Sites of the project's institution the actor sees and the project does not cover yet."""
    covered = select(ProjectSite.site_id).where(ProjectSite.project_id == project.id)
    return list(
        session.scalars(
            scoped(actor, Site)
            .where(Site.organization_id == project.organization_id, Site.id.not_in(covered))
            .order_by(Site.name)
        )
    )

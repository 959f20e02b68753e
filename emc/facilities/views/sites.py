"""Pages: the site list, a site, creating and editing sites and buildings, the building list.

Forms load the API's ``SiteIn``/``SitePatch``/``BuildingIn``/``BuildingPatch`` and call the same
services, so the rules exist once; errors are shown beside the fields they name.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from emc.auth.models import Organization, OrgKind, Region
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, require, scoped
from emc.contracts.models import EmcProject
from emc.facilities import service
from emc.facilities.models import Building, Meter, Site, WeatherStation
from emc.facilities.schemas import BuildingIn, BuildingPatch, SiteIn, SitePatch
from emc.facilities.service import listing, projects
from emc.facilities.service import weather as weather_service
from emc.facilities.views.common import (
    bp,
    choices,
    local,
    patch_form,
    submit_form,
)
from emc.web.args import int_arg, page_arg
from emc.web.db import db
from emc.web.forms import form_data
from emc.web.security import current_actor
from emc.web.templating import page_locale


@bp.get("/sites")
@login_required
def sites():
    """The sites the user sees: search by name or address, filter by institution, paginated."""
    actor = current_actor()
    session = db()
    q = request.args.get("q", "").strip()
    org_id = int_arg("organization_id")
    sort = request.args.get("sort") if request.args.get("sort") in ("name", "institution") else None
    page = listing.site_page(
        session,
        actor,
        q=q,
        organization_id=org_id,
        page=page_arg(),
        sort=sort or "institution",
        descending=request.args.get("dir") == "desc",
    )
    org_ids = {s.organization_id for s in page.items}
    orgs = {
        o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    }
    meter_counts = listing.meter_counts(session, [s.id for s in page.items])
    institutions = []
    if actor.is_platform_admin or actor.org_kind is OrgKind.AGENCY:
        institutions = list(
            session.scalars(
                scoped(actor, Organization)
                .where(Organization.kind == OrgKind.INSTITUTION)
                .order_by(Organization.name_zh)
            )
        )
    return render_template(
        "facilities/sites.html",
        page=page,
        sites=page.items,
        orgs=orgs,
        meter_counts=meter_counts,
        q=q,
        organization_id=org_id,
        institutions=institutions,
        may_manage=can(actor, Permission.FACILITIES_MANAGE),
    )


def _site_form_context(actor, site: Site | None = None) -> dict:
    session = db()
    stations = [
        s
        for s in weather_service.list_stations(session, actor)
        if s.organization_id is None
        or s.organization_id == (site.organization_id if site else actor.organization_id)
        or (site is None and actor.is_platform_admin)
    ]
    institutions = []
    if actor.is_platform_admin and site is None:
        institutions = list(
            session.scalars(
                select(Organization)
                .where(Organization.kind == OrgKind.INSTITUTION)
                .order_by(Organization.name_zh)
            )
        )
    regions = list(session.scalars(select(Region).order_by(Region.code)))
    return {"stations": stations, "institutions": institutions, "regions": regions}


@bp.route("/sites/new", methods=["GET", "POST"])
@login_required
def new_site():
    """Create a site (the institution's admins and energy managers; platform admins name the
    institution)."""
    actor = current_actor()
    require(actor, Permission.FACILITIES_MANAGE)

    def act(data: dict):
        site = service.create_site(db(), actor, **data)
        flash(_("Site %(name)s created.", name=site.name), "success")
        return redirect(url_for("facilities.site", site_id=site.id))

    done, errors, status = submit_form(SiteIn(), form_data, act)
    if done is not None:
        return done
    form = request.form if request.method == "POST" else {"region_code": actor.region_code}
    return render_template(
        "facilities/site_form.html",
        site=None,
        form=form,
        errors=errors,
        **_site_form_context(actor),
    ), status


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@login_required
def edit_site(site_id: int):
    """Change a site: name, address, region, time zone and weather station."""
    actor = current_actor()
    session = db()
    site = load(session, actor, Site, site_id)
    require(actor, Permission.FACILITIES_MANAGE)

    def act(data: dict):
        service.update_site(session, actor, site.id, **data)
        flash(_("Site %(name)s saved.", name=site.name), "success")
        return redirect(url_for("facilities.site", site_id=site.id))

    done, errors, status = submit_form(
        SitePatch(), lambda: patch_form(("address", "weather_station_id")), act
    )
    if done is not None:
        return done
    form = request.form if request.method == "POST" else _site_values(site)
    return render_template(
        "facilities/site_form.html",
        site=site,
        form=form,
        errors=errors,
        **_site_form_context(actor, site),
    ), status


def _site_values(site: Site) -> dict:
    return {
        "name": site.name,
        "address": site.address or "",
        "region_code": site.region_code,
        "timezone": site.timezone,
        "weather_station_id": str(site.weather_station_id or ""),
    }


@bp.get("/sites/<int:site_id>")
@login_required
def site(site_id: int):
    """A site: its buildings, meters (with their data range), weather station and projects."""
    actor = current_actor()
    session = db()
    site = load(session, actor, Site, site_id)
    buildings = list(
        session.scalars(select(Building).where(Building.site_id == site.id).order_by(Building.name))
    )
    meters = list(
        session.scalars(
            select(Meter)
            .where(Meter.site_id == site.id)
            .order_by(Meter.retired_at.is_not(None), Meter.name)
        )
    )
    station = (
        session.scalar(
            scoped(actor, WeatherStation).where(WeatherStation.id == site.weather_station_id)
        )
        if site.weather_station_id
        else None
    )
    linked = list(
        session.scalars(
            scoped(actor, EmcProject)
            .where(EmcProject.id.in_(projects.site_projects(session, site)))
            .order_by(EmcProject.name)
        )
    )
    may_manage = can(actor, Permission.FACILITIES_MANAGE)
    linkable = []
    if may_manage:
        covered = {p.id for p in linked}
        linkable = [
            p
            for p in session.scalars(
                scoped(actor, EmcProject)
                .where(EmcProject.organization_id == site.organization_id)
                .order_by(EmcProject.name)
            )
            if p.id not in covered
        ]
    return render_template(
        "facilities/site.html",
        site=site,
        org=session.get(Organization, site.organization_id),
        region=session.get(Region, site.region_code),
        buildings=buildings,
        meters=meters,
        stats=listing.reading_stats(session, [m.id for m in meters]),
        station=station,
        linked=linked,
        linkable=linkable,
        may_manage=may_manage,
        locale=page_locale(),
        local=lambda ts: local(ts, site.timezone),
    )


# --- buildings -------------------------------------------------------------------------------


@bp.get("/buildings")
@login_required
def buildings():
    """The buildings the user sees: search by name, filter by site and type, paginated."""
    actor = current_actor()
    session = db()
    q = request.args.get("q", "").strip()
    site_id = int_arg("site_id")
    building_type = request.args.get("building_type") or None
    page = listing.building_page(
        session,
        actor,
        q=q,
        site_id=site_id,
        building_type=building_type,
        page=page_arg(),
    )
    site_names = listing.site_names(session, actor)
    return render_template(
        "facilities/buildings.html",
        page=page,
        q=q,
        site_id=site_id,
        building_type=building_type,
        site_names=site_names,
        **choices(),
    )


def _building_form(site: Site, building: Building | None, form, errors, status):
    return render_template(
        "facilities/building_form.html",
        site=site,
        building=building,
        form=form,
        errors=errors,
        **choices(),
    ), status


@bp.route("/sites/<int:site_id>/buildings/new", methods=["GET", "POST"])
@login_required
def new_building(site_id: int):
    """Add a building to a site: floor area, type, climate zone."""
    actor = current_actor()
    session = db()
    site = load(session, actor, Site, site_id)
    require(actor, Permission.FACILITIES_MANAGE)

    def act(data: dict):
        building = service.create_building(session, actor, **data)
        flash(_("Building %(name)s added.", name=building.name), "success")
        return redirect(url_for("facilities.site", site_id=site.id))

    done, errors, status = submit_form(
        BuildingIn(), lambda: {**form_data(), "site_id": site.id}, act
    )
    if done is not None:
        return done
    return _building_form(site, None, request.form, errors, status)


@bp.route("/buildings/<int:building_id>/edit", methods=["GET", "POST"])
@login_required
def edit_building(building_id: int):
    """Change a building (not its site)."""
    actor = current_actor()
    session = db()
    building = load(session, actor, Building, building_id)
    require(actor, Permission.FACILITIES_MANAGE)
    site = session.get(Site, building.site_id)

    def act(data: dict):
        service.update_building(session, actor, building.id, **data)
        flash(_("Building %(name)s saved.", name=building.name), "success")
        return redirect(url_for("facilities.site", site_id=site.id))

    done, errors, status = submit_form(
        BuildingPatch(), lambda: patch_form(("year_built", "occupants")), act
    )
    if done is not None:
        return done
    form = (
        request.form
        if request.method == "POST"
        else {
            "name": building.name,
            "floor_area_m2": building.floor_area_m2,
            "building_type": building.building_type.value,
            "climate_zone": building.climate_zone.value,
            "year_built": building.year_built or "",
            "occupants": building.occupants if building.occupants is not None else "",
        }
    )
    return _building_form(site, building, form, errors, status)

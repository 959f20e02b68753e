"""Sites, buildings and meters: list, create, read, change; link a site to a project."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import login_required

from emc.auth.policy import derived, load, scoped
from emc.facilities import service
from emc.facilities.api.common import blp
from emc.facilities.models import Building, Meter, Site
from emc.facilities.schemas import (
    BuildingIn,
    BuildingOut,
    BuildingPatch,
    MeterIn,
    MeterOut,
    MeterPatch,
    MeterRetireIn,
    ProjectLinkIn,
    ProjectLinkOut,
    SiteIn,
    SiteOut,
    SitePatch,
    SiteQuery,
)
from emc.web.db import db
from emc.web.extensions import RowPage
from emc.web.security import current_actor


@blp.route("/sites")
class Sites(MethodView):
    decorators = [login_required]

    @blp.response(200, SiteOut(many=True))
    @blp.paginate(RowPage)
    def get(self):
        """Sites the caller may see."""
        return scoped(current_actor(), Site).order_by(Site.id)

    @blp.arguments(SiteIn)
    @blp.response(201, SiteOut)
    def post(self, data):
        """Create a site (institution admins and energy managers; platform admins)."""
        return service.create_site(db(), current_actor(), **data)


@blp.route("/sites/<int:site_id>")
class SiteItem(MethodView):
    decorators = [login_required]

    @blp.response(200, SiteOut)
    def get(self, site_id):
        return load(db(), current_actor(), Site, site_id)

    @blp.arguments(SitePatch)
    @blp.response(200, SiteOut)
    def patch(self, data, site_id):
        return service.update_site(db(), current_actor(), site_id, **data)


@blp.route("/sites/<int:site_id>/projects")
class SiteProjects(MethodView):
    decorators = [login_required]

    @blp.arguments(ProjectLinkIn)
    @blp.response(201, ProjectLinkOut)
    def post(self, data, site_id):
        """Declare that an EMC project covers the site (its ESCO then sees the meters)."""
        return service.link_project(db(), current_actor(), site_id, project_id=data["project_id"])


@blp.route("/sites/<int:site_id>/projects/<int:project_id>")
class SiteProjectItem(MethodView):
    decorators = [login_required]

    @blp.response(204)
    def delete(self, site_id, project_id):
        """Undo a link made by mistake (refused while the project's M&V boundary holds a meter
        of the site)."""
        service.unlink_project(db(), current_actor(), site_id, project_id=project_id)


@blp.route("/meters/<int:meter_id>/retirement")
class MeterRetirement(MethodView):
    decorators = [login_required]

    @blp.arguments(MeterRetireIn)
    @blp.response(200, MeterOut)
    def post(self, data, meter_id):
        """Retire a meter (``reason`` required): its readings stay, it takes no new ones. A
        meter is never deleted."""
        return service.retire_meter(db(), current_actor(), meter_id, reason=data["reason"])


# --- buildings and meters ------------------------------------------------------------------


def _site_children(
    path: str,
    model: type[Building] | type[Meter],
    *,
    schemas: tuple[type[ma.Schema], type[ma.Schema], type[ma.Schema]],
    create,
    update,
    names: tuple[str, str],
    list_doc: str,
) -> None:
    """Register the two endpoints of a kind of object that lives on a site (buildings, meters):
    ``/<path>`` (GET: the visible ones, optionally of one site; POST: create) and
    ``/<path>/<id>`` (GET through the scoped loader, so another tenant's is 404; PATCH).

    ``schemas`` is (In, Patch, Out); ``create`` / ``update`` the service functions; ``names``
    the endpoint names of the collection and the item (kept stable for ``url_for`` and the
    access matrix); ``list_doc`` the OpenAPI summary of the list.
    """
    in_schema, patch_schema, out_schema = schemas
    id_name = f"{path.removesuffix('s')}_id"

    class Collection(MethodView):
        decorators = [login_required]

        @blp.arguments(SiteQuery, location="query")
        @blp.response(200, out_schema(many=True))
        @blp.paginate(RowPage)
        def get(self, query):
            site_id = query.get("site_id")

            def build(stmt):
                if site_id is not None:
                    stmt = stmt.where(model.site_id == site_id)
                return stmt.order_by(model.id)

            return derived(scoped(current_actor(), model), ("site children", site_id), build)

        get.__doc__ = list_doc

        @blp.arguments(in_schema)
        @blp.response(201, out_schema)
        def post(self, data):
            return create(db(), current_actor(), **data)

    class Item(MethodView):
        decorators = [login_required]

        @blp.response(200, out_schema)
        def get(self, **ids):
            return load(db(), current_actor(), model, ids[id_name])

        @blp.arguments(patch_schema)
        @blp.response(200, out_schema)
        def patch(self, data, **ids):
            return update(db(), current_actor(), ids[id_name], **data)

    blp.route(f"/{path}", endpoint=names[0])(Collection)
    blp.route(f"/{path}/<int:{id_name}>", endpoint=names[1])(Item)


_site_children(
    "buildings",
    Building,
    schemas=(BuildingIn, BuildingPatch, BuildingOut),
    create=service.create_building,
    update=service.update_building,
    names=("Buildings", "BuildingItem"),
    list_doc="Buildings the caller may see, optionally of one site.",
)
_site_children(
    "meters",
    Meter,
    schemas=(MeterIn, MeterPatch, MeterOut),
    create=service.create_meter,
    update=service.update_meter,
    names=("Meters", "MeterItem"),
    list_doc="Meters the caller may see, optionally of one site.",
)

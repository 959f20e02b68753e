"""JSON API: who am I, organisations, users, regions, and object history."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import login_required
from sqlalchemy import select

from emc import journal
from emc.auth import service
from emc.auth.models import Organization, Region, User
from emc.auth.permissions import Permission, permissions_of
from emc.auth.policy import load, require, scoped
from emc.auth.schemas import (
    JournalOut,
    JournalQuery,
    MeOut,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    OrganizationQuery,
    RegionIn,
    RegionOut,
    UserIn,
    UserOut,
    UserPatch,
)
from emc.web.db import db
from emc.web.extensions import Blueprint, QueryPage
from emc.web.security import current_actor

blp = Blueprint(
    "auth_api", __name__, url_prefix="/api/v1", description="Organisations, users, regions, history"
)

_HISTORY_MODELS = {"organizations": Organization, "users": User}


@blp.route("/me")
class Me(MethodView):
    decorators = [login_required]

    @blp.response(200, MeOut)
    def get(self):
        """The authenticated user, their organisation and permissions."""
        actor = current_actor()
        return {
            "user": db().get(User, actor.user_id),
            "organization": db().get(Organization, actor.organization_id),
            "permissions": sorted(p.value for p in permissions_of(actor)),
        }


@blp.route("/organizations")
class Organizations(MethodView):
    decorators = [login_required]

    @blp.arguments(OrganizationQuery, location="query")
    @blp.response(200, OrganizationOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, query):
        """Organisations the caller may see (own; an agency: institutions of its region)."""
        stmt = scoped(current_actor(), Organization)
        if "kind" in query:
            stmt = stmt.where(Organization.kind == query["kind"])
        if "region_code" in query:
            stmt = stmt.where(Organization.region_code == query["region_code"])
        return stmt.order_by(Organization.id)

    @blp.arguments(OrganizationIn)
    @blp.response(201, OrganizationOut)
    def post(self, data):
        """Create an organisation (platform admins)."""
        return service.create_organization(db(), current_actor(), **data)


@blp.route("/organizations/<int:org_id>")
class OrganizationItem(MethodView):
    decorators = [login_required]

    @blp.response(200, OrganizationOut)
    def get(self, org_id):
        return load(db(), current_actor(), Organization, org_id)

    @blp.arguments(OrganizationPatch(partial=True))
    @blp.response(200, OrganizationOut)
    def patch(self, data, org_id):
        """Change an organisation (platform admins)."""
        return service.update_organization(db(), current_actor(), org_id, **data)


@blp.route("/users")
class Users(MethodView):
    decorators = [login_required]

    @blp.response(200, UserOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Users the caller may see (an organisation admin: their organisation's; others: themselves)."""
        return scoped(current_actor(), User).order_by(User.id)

    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    def post(self, data):
        """Create a user (platform admins anywhere; organisation admins in their own organisation)."""
        return service.create_user(db(), current_actor(), **data)


@blp.route("/users/<int:user_id>")
class UserItem(MethodView):
    decorators = [login_required]

    @blp.response(200, UserOut)
    def get(self, user_id):
        return load(db(), current_actor(), User, user_id)

    @blp.arguments(UserPatch)
    @blp.response(200, UserOut)
    def patch(self, data, user_id):
        return service.update_user(db(), current_actor(), user_id, **data)


@blp.route("/regions")
class Regions(MethodView):
    decorators = [login_required]

    @blp.response(200, RegionOut(many=True))
    def get(self):
        """GB/T 2260 divisions known to the platform (public reference data)."""
        return list(db().scalars(select(Region).order_by(Region.code)))

    @blp.arguments(RegionIn)
    @blp.response(201, RegionOut)
    def post(self, data):
        """Add a division (platform admins)."""
        return service.create_region(db(), current_actor(), **data)


@blp.route("/journal")
class History(MethodView):
    decorators = [login_required]

    @blp.arguments(JournalQuery, location="query")
    @blp.response(200, JournalOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, query):
        """The change history of one object the caller may see, oldest first."""
        actor = require(current_actor(), Permission.JOURNAL_READ)
        obj = load(db(), actor, _HISTORY_MODELS[query["object_type"]], query["object_id"])
        return journal.history_query(query["object_type"], obj.id)

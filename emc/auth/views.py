"""Pages: login, logout, password, API tokens, and the administration of organisations/users."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import aliased

from emc import journal, paging
from emc.auth import service
from emc.auth.models import Organization, OrgKind, Region, RegionLevel, Role, Sector, User
from emc.auth.permissions import ROLES_BY_KIND, Permission, can
from emc.auth.policy import load, require, scoped
from emc.auth.regions import parent_of
from emc.auth.schemas import (
    LoginIn,
    OrganizationIn,
    OrganizationPatch,
    PasswordChangeIn,
    RegionIn,
    TokenIn,
    UserIn,
    UserPatch,
)
from emc.errors import EmcError, Forbidden
from emc.messages import msg
from emc.web.db import db
from emc.web.extensions import limiter
from emc.web.forms import form_data, load_form, localise
from emc.web.labels import label
from emc.web.messages import say
from emc.web.security import LoginUser, current_actor, safe_next
from emc.web.templating import page_locale

bp = Blueprint("auth", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def _login_limit() -> str:
    return current_app.config["EMC_SETTINGS"].login_rate_limit


def _login_account_limit() -> str:
    return current_app.config["EMC_SETTINGS"].login_account_rate_limit


def _login_account_key() -> str:
    # The account as typed, normalised as authenticate() does: 15 guesses from 3 addresses
    # count against one account. An unknown address is counted the same way (no hint).
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response) -> bool:
    return response.status_code == 401


# Only failures count, and a count lapses when its window ends: a lockout never outlasts the
# window, and the right password works again as soon as it has passed.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(
    _login_account_limit, key_func=_login_account_key, methods=["POST"], deduct_when=_failed
)
def login():
    if request.method == "GET":
        return render_template(
            "auth/login.html", errors={}, form={"next": request.args.get("next", "")}
        )
    data, errors = load_form(LoginIn(), form_data(keep_blank=("next",)))
    if errors:
        return render_template("auth/login.html", errors=errors, form=request.form), 422
    user = service.authenticate(db(), data["email"], data["password"])
    if user is None:
        # 401 counts toward the rate limit of failed attempts.
        return render_template(
            "auth/login.html",
            errors={"_": [_("Wrong e-mail address or password.")]},
            form=request.form,
        ), 401
    org = db().get(Organization, user.organization_id)
    session.clear()
    session.permanent = True
    login_user(LoginUser.of(user, org))
    session["locale"] = user.locale
    return redirect(safe_next(data.get("next")))


@bp.post("/logout")
def logout():
    actor = current_actor()
    if actor is not None:
        # Server side: every cookie of this user, including a copy of this one, is now dead.
        service.end_sessions(db(), actor)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    if request.method == "GET":
        return render_template("auth/password.html", errors={})
    data, errors = load_form(PasswordChangeIn())
    if not errors:
        try:
            service.change_password(
                db(),
                current_actor(),
                current_password=data["current_password"],
                new_password=data["new_password"],
            )
        except EmcError as error:
            errors = localise(error.fields) or {"_": [say(error.message)]}
    if errors:
        return render_template("auth/password.html", errors=errors), 422
    user = db().get(User, current_actor().user_id)
    # The change ended every session, this one too: continue under the new session version.
    session.clear()
    session.permanent = True
    login_user(LoginUser.of(user, db().get(Organization, user.organization_id)))
    session["locale"] = user.locale
    flash(
        _(
            "Your password has been changed. Other sessions have been logged out and your API "
            "tokens revoked."
        ),
        "success",
    )
    return redirect(url_for("core.home"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    actor = current_actor()
    new_secret = None
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(TokenIn(), _token_form())
        if not errors:
            try:
                _token, new_secret = service.create_token(db(), actor, **data)
                status = 201
            except EmcError as error:
                errors = localise(error.fields) or {"_": [say(error.message)]}
        if errors:
            status = 422
    return render_template(
        "auth/tokens.html",
        tokens=service.list_tokens(db(), actor),
        new_secret=new_secret,
        errors=errors,
    ), status


def _token_form() -> dict:
    data = form_data()
    # <input type="date"> gives a local date: the token expires at the end of that day.
    if data.get("expires_at"):
        data["expires_at"] = f"{data['expires_at']}T23:59:59+08:00"
    return data


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    service.revoke_token(db(), current_actor(), token_id)
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("auth.tokens"))


# --- administration ------------------------------------------------------------------------


# --- lists rows: the organisation and user lists (emc.paging) ---
ACTIVE_CHOICES = ("active", "inactive")
ORG_SORTS = {
    "kind": (Organization.kind, Organization.name_zh),
    "name": (Organization.name_zh, Organization.id),
    "region": (Organization.region_code, Organization.name_zh),
}
USER_SORTS = {
    "organisation": (User.organization_id, User.email),
    "name": (User.display_name, User.id),
    "email": (User.email,),
    "role": (User.role, User.email),
}


def _active_choices() -> list[tuple[str, str]]:
    return [("active", _("active")), ("inactive", _("inactive"))]


def _regions():
    return list(db().scalars(select(Region).order_by(Region.code)))


REGION_SORTS = {
    "code": (Region.code,),
    "name": (Region.name_zh, Region.code),
    "level": (Region.level, Region.code),
}


@admin_bp.route("/regions", methods=["GET", "POST"])
@login_required
def regions():
    """The GB/T 2260 divisions known to the platform, and a form to add one (the API's
    ``RegionIn``, through the same service)."""
    actor = require(current_actor(), Permission.PLATFORM_REGIONS_MANAGE)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(RegionIn())
        if not errors:
            try:
                region = service.create_region(db(), actor, **data)
                flash(
                    _("Region %(code)s %(name)s added.", code=region.code, name=region.name_zh),
                    "success",
                )
                return redirect(url_for("admin.regions", q=region.code))
            except EmcError as error:
                errors = localise(error.fields) or {"_": [say(error.message)]}
                status = error.status
        status = status if status != 200 else 422
    lq = paging.list_query(
        request.args,
        sorts=REGION_SORTS,
        default_sort="code",
        types=[level.value for level in RegionLevel],
    )
    stmt = paging.text_filter(select(Region), lq.q, Region.code, Region.name_zh, Region.name_en)
    if lq.type:
        stmt = stmt.where(Region.level == RegionLevel(lq.type))
    page = paging.paginate(db(), paging.ordered(stmt, REGION_SORTS, lq), lq.page)
    parents = {parent_of(r.code) for r in page.items} - {None}
    parent_names = dict(
        db().execute(select(Region.code, Region.name_zh).where(Region.code.in_(parents))).all()
    )
    return render_template(
        "admin/regions.html",
        page=page,
        lq=lq,
        types=[(level.value, label(level)) for level in RegionLevel],
        parent_of=parent_of,
        parent_names=parent_names,
        errors=errors,
        form=request.form,
    ), status


@admin_bp.route("/organizations", methods=["GET", "POST"])
@login_required
def organizations():
    actor = require(current_actor(), Permission.PLATFORM_ORGS_MANAGE)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(OrganizationIn())
        if not errors:
            try:
                org = service.create_organization(db(), actor, **data)
                flash(_("Organisation created."), "success")
                return redirect(url_for("admin.organization", org_id=org.id))
            except EmcError as error:
                errors = localise(error.fields) or {"_": [say(error.message)]}
        status = 422
    lq = paging.list_query(
        request.args,
        sorts=ORG_SORTS,
        default_sort="kind",
        statuses=ACTIVE_CHOICES,
        types=[k.value for k in OrgKind],
    )
    stmt = paging.text_filter(
        scoped(actor, Organization),
        lq.q,
        Organization.name_zh,
        Organization.name_en,
        Organization.credit_code,
        Organization.region_code,
    )
    if lq.status:
        stmt = stmt.where(Organization.is_active.is_(lq.status == "active"))
    if lq.type:
        stmt = stmt.where(Organization.kind == OrgKind(lq.type))
    page = paging.paginate(db(), paging.ordered(stmt, ORG_SORTS, lq), lq.page)
    return render_template(
        "admin/organizations.html",
        may_manage_regions=can(actor, Permission.PLATFORM_REGIONS_MANAGE),
        orgs=page.items,
        page=page,
        lq=lq,
        statuses=_active_choices(),
        types=[(k.value, label(k)) for k in OrgKind],
        errors=errors,
        form=request.form,
        regions=_regions(),
        kinds=list(OrgKind),
        sectors=list(Sector),
    ), status


@admin_bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
@login_required
def organization(org_id: int):
    actor = current_actor()
    org = load(db(), actor, Organization, org_id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        require(actor, Permission.PLATFORM_ORGS_MANAGE)
        raw = form_data(keep_blank=("name_en", "credit_code"))
        raw["is_active"] = "is_active" in request.form
        data, errors = load_form(OrganizationPatch(), raw)
        if not errors:
            try:
                service.update_organization(db(), actor, org.id, **data)
                flash(_("Organisation saved."), "success")
                return redirect(url_for("admin.organization", org_id=org.id))
            except EmcError as error:
                errors = localise(error.fields) or {"_": [say(error.message)]}
        status = 422
    users = list(
        db().scalars(scoped(actor, User).where(User.organization_id == org.id).order_by(User.email))
    )
    return render_template(
        "admin/organization.html",
        org=org,
        users=users,
        errors=errors,
        regions=_regions(),
        sectors=list(Sector),
        history=journal.history(db(), "organizations", org.id),
        may_edit=can(actor, Permission.PLATFORM_ORGS_MANAGE),
    ), status


def _require_user_admin():
    actor = current_actor()
    if not (actor.is_platform_admin or can(actor, Permission.ORG_USERS_MANAGE)):
        raise Forbidden(msg("forbidden", permission="org:users:manage"))
    return actor


@admin_bp.route("/users", methods=["GET", "POST"])
@login_required
def users():
    actor = _require_user_admin()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        raw = form_data()
        if not actor.is_platform_admin:
            # An organisation admin creates users in their own organisation only, whatever the form says.
            raw.setdefault("organization_id", str(actor.organization_id))
        data, errors = load_form(UserIn(), raw)
        if not errors:
            try:
                user = service.create_user(db(), actor, **data)
                flash(_("User created."), "success")
                return redirect(url_for("admin.user", user_id=user.id))
            except EmcError as error:
                errors = localise(error.fields) or {"_": [say(error.message)]}
        status = 422
    lq = paging.list_query(
        request.args,
        sorts=USER_SORTS,
        default_sort="organisation",
        statuses=ACTIVE_CHOICES,
        types=[r.value for r in Role],
    )
    member = aliased(Organization)
    stmt = scoped(actor, User).join(member, member.id == User.organization_id)
    stmt = paging.text_filter(stmt, lq.q, User.email, User.display_name, member.name_zh)
    if lq.status:
        stmt = stmt.where(User.is_active.is_(lq.status == "active"))
    if lq.type:
        stmt = stmt.where(User.role == Role(lq.type))
    sorts = {**USER_SORTS, "organisation": (member.name_zh, User.email)}
    page = paging.paginate(db(), paging.ordered(stmt, sorts, lq), lq.page)
    orgs = list(db().scalars(scoped(actor, Organization).order_by(Organization.name_zh)))
    org_names = {o.id: o.display_name(page_locale()) for o in orgs}
    # The roles that exist in the organisations the form offers: an organisation admin sees
    # those of their organisation's kind only (an ESCO has no programme officers).
    kinds = {OrgKind(o.kind) for o in orgs} if actor.is_platform_admin else {actor.org_kind}
    if not actor.is_platform_admin:
        orgs = [o for o in orgs if o.id == actor.organization_id]
    roles = sorted({r for k in kinds for r in ROLES_BY_KIND.get(k, ())}, key=list(Role).index)
    return render_template(
        "admin/users.html",
        people=page.items,
        page=page,
        lq=lq,
        org_names=org_names,
        statuses=_active_choices(),
        types=[(r.value, label(r)) for r in roles],
        orgs=orgs,
        errors=errors,
        form=request.form,
        roles=roles,
    ), status


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int):
    actor = current_actor()
    person = load(db(), actor, User, user_id)
    org = db().get(Organization, person.organization_id)
    errors: dict = {}
    status = 200
    may_edit = actor.is_platform_admin or (
        actor.is_org_admin and person.organization_id == actor.organization_id
    )
    if request.method == "POST":
        if not may_edit:
            abort(403)
        raw = form_data()
        raw["is_active"] = "is_active" in request.form
        data, errors = load_form(UserPatch(), raw)
        if not errors:
            try:
                service.update_user(db(), actor, person.id, **data)
                flash(_("User saved."), "success")
                return redirect(url_for("admin.user", user_id=person.id))
            except EmcError as error:
                errors = localise(error.fields) or {"_": [say(error.message)]}
        status = 422
    return render_template(
        "admin/user.html",
        person=person,
        org=org,
        errors=errors,
        may_edit=may_edit,
        roles=ROLES_BY_KIND[OrgKind(org.kind)],
        history=journal.history(db(), "users", person.id),
    ), status

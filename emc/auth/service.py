"""Use cases for organisations, users, passwords and API tokens.

Each function takes ``(session, actor, *, ...)``, checks permission first, flushes but never
commits, and journals what it changed. Validation of shapes happens in the schemas; the rules
that need the database (uniqueness, a real region, a role that fits the organisation) live here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from emc import clock, journal
from emc.auth import passwords
from emc.auth.actor import Actor
from emc.auth.models import ApiToken, Organization, OrgKind, Region, Role, Sector, User
from emc.auth.permissions import Permission, role_allowed
from emc.auth.policy import load, require, scoped
from emc.auth.regions import is_valid_code, level_of
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.messages import msg

log = logging.getLogger(__name__)

ORG_FIELDS = ("kind", "name_zh", "name_en", "region_code", "sector", "credit_code", "is_active")
USER_FIELDS = ("email", "display_name", "organization_id", "role", "locale", "is_active")
TOKEN_PREFIX = "emc_"
# Werkzeug's default (scrypt). Tests lower the cost; nothing else should.
PASSWORD_HASH_METHOD = "scrypt"
MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH
# How often a token's last use is recorded: a busy client must not write on every request.
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)


# --- regions -------------------------------------------------------------------------------


def create_region(
    session: Session, actor: Actor, *, code: str, name_zh: str, name_en: str | None = None
) -> Region:
    """Add a GB/T 2260 division (platform admins)."""
    require(actor, Permission.PLATFORM_REGIONS_MANAGE)
    if not is_valid_code(code):
        raise Invalid(
            msg("auth.region_code_must_6_digits"), fields={"code": [msg("auth.must_6_digits")]}
        )
    if session.get(Region, code) is not None:
        raise Conflict(
            msg("auth.region_exists", code=code), fields={"code": [msg("field.already_exists")]}
        )
    region = Region(code=code, name_zh=name_zh, name_en=name_en, level=level_of(code))
    session.add(region)
    session.flush()
    return region


def _check_region(session: Session, code: str) -> None:
    if session.get(Region, code) is None:
        raise Invalid(
            msg("auth.unknown_region", code=code),
            fields={"region_code": [msg("auth.unknown_region", code=code)]},
        )


# --- organisations -------------------------------------------------------------------------


def create_organization(session: Session, actor: Actor, **data: Any) -> Organization:
    """Create an organisation (platform admins). ``data`` has been loaded by ``OrganizationIn``."""
    require(actor, Permission.PLATFORM_ORGS_MANAGE)
    _check_org_data(session, data)
    org = Organization(**data)
    session.add(org)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        org,
        organization_id=org.id,
        after=journal.snapshot(org, ORG_FIELDS),
    )
    log.info("organisation %s created by %s", org.id, actor.label)
    return org


def update_organization(
    session: Session, actor: Actor, org_id: int, **changes: Any
) -> Organization:
    # Load first: another tenant's organisation is 404 whatever the actor's role.
    org = load(session, actor, Organization, org_id)
    require(actor, Permission.PLATFORM_ORGS_MANAGE)
    before = journal.snapshot(org, ORG_FIELDS)
    merged = {**before, **changes}
    merged["kind"] = OrgKind(merged["kind"])
    _check_org_data(session, merged, exclude_id=org.id)
    journal.apply_update(
        session, actor, org, changes, before=before, fields=ORG_FIELDS, organization_id=org.id
    )
    return org


def _check_org_data(session: Session, data: dict[str, Any], exclude_id: int | None = None) -> None:
    fields: dict[str, list[str]] = {}
    if data.get("region_code") and session.get(Region, data["region_code"]) is None:
        fields["region_code"] = [msg("facilities.unknown_region_code", code=data["region_code"])]
    kind = OrgKind(data["kind"])
    if kind is OrgKind.INSTITUTION and not data.get("sector"):
        fields["sector"] = ["an institution needs a sector"]
    if kind is not OrgKind.INSTITUTION and data.get("sector"):
        fields["sector"] = ["only institutions have a sector"]
    if data.get("sector"):
        data["sector"] = Sector(data["sector"])
    for column in ("name_zh", "credit_code"):
        value = data.get(column)
        if not value:
            continue
        stmt = select(Organization.id).where(getattr(Organization, column) == value)
        if exclude_id is not None:
            stmt = stmt.where(Organization.id != exclude_id)
        if session.scalar(stmt) is not None:
            fields[column] = ["another organisation already uses this value"]
    if fields:
        raise Invalid(msg("auth.organisation_has_invalid_fields"), fields=fields)


# --- users ---------------------------------------------------------------------------------


def _may_manage_users_of(actor: Actor, organization_id: int) -> bool:
    if actor.is_platform_admin:
        return True
    return actor.is_org_admin and organization_id == actor.organization_id


def create_user(session: Session, actor: Actor, *, password: str, **data: Any) -> User:
    """Create a user in an organisation: platform admins anywhere, organisation admins in their own.

    Another tenant's organisation id is answered as not found, so its existence does not leak.
    """
    if not (actor.is_platform_admin or actor.is_org_admin):
        raise Forbidden(msg("forbidden", permission="org:users:manage"))
    unknown = Invalid(
        msg("facilities.unknown_organisation"),
        fields={"organization_id": [msg("facilities.unknown_organisation")]},
    )
    try:
        org = load(session, actor, Organization, data["organization_id"])
    except NotFound:
        # A forged or foreign id reads exactly like one that does not exist.
        raise unknown from None
    if not _may_manage_users_of(actor, org.id):
        raise unknown
    _check_user_data(session, org, data)
    _check_password(
        password, user_inputs=(data.get("email"), data.get("display_name"), *_org_names(org))
    )
    user = User(**data, password_hash=hash_password(password), password_changed_at=clock.now())
    journal.add_created(session, actor, user, fields=USER_FIELDS, organization_id=org.id)
    log.info("user %s created by %s", user.id, actor.label)
    return user


def update_user(session: Session, actor: Actor, user_id: int, **changes: Any) -> User:
    user = load(session, actor, User, user_id)
    if not _may_manage_users_of(actor, user.organization_id):
        raise Forbidden(msg("forbidden", permission="org:users:manage"))
    if "organization_id" in changes and changes["organization_id"] != user.organization_id:
        raise Invalid(
            msg("auth.user_cannot_move_another_organisation"),
            fields={"organization_id": [msg("auth.cannot_changed")]},
        )
    if user.id == actor.user_id and (
        changes.get("is_active") is False or changes.get("role", user.role) != user.role
    ):
        raise Invalid(
            msg("auth.you_cannot_deactivate_yourself_change"),
            fields={"role": [msg("auth.not_for_yourself")]},
        )
    org = session.get(Organization, user.organization_id)
    before = journal.snapshot(user, USER_FIELDS)
    _check_user_data(session, org, {**before, **changes}, exclude_id=user.id)
    journal.apply_update(
        session,
        actor,
        user,
        changes,
        before=before,
        fields=USER_FIELDS,
        organization_id=user.organization_id,
    )
    return user


def _check_user_data(
    session: Session, org: Organization, data: dict[str, Any], exclude_id: int | None = None
) -> None:
    fields: dict[str, list[str]] = {}
    role = Role(data["role"])
    if not role_allowed(OrgKind(org.kind), role):
        fields["role"] = [msg("auth.role_not_for_kind")]
    email = data.get("email")
    if email:
        data["email"] = email = email.strip().lower()
        stmt = select(User.id).where(func.lower(User.email) == email)
        if exclude_id is not None:
            stmt = stmt.where(User.id != exclude_id)
        if session.scalar(stmt) is not None:
            fields["email"] = ["another user already has this e-mail address"]
    if fields:
        raise Invalid(msg("auth.user_has_invalid_fields"), fields=fields)


def _org_names(org: Organization | None) -> tuple[str | None, ...]:
    return (org.name_zh, org.name_en) if org is not None else ()


def _check_password(password: str, field: str = "password", user_inputs=()) -> None:
    """The password rules of ``emc.auth.passwords``; raises Invalid naming ``field``."""
    passwords.check(password, field=field, user_inputs=user_inputs)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None. Same work either way (no timing hint)."""
    user = session.scalar(
        select(User).where(func.lower(User.email) == (email or "").strip().lower())
    )
    if user is None:
        # Hash anyway so an unknown address takes as long as a wrong password.
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
    org = session.get(Organization, user.organization_id)
    if org is None or not org.is_active:
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    # Made on first use, not at import: one scrypt hash costs ~0.1 s of start-up.
    return generate_password_hash("not-a-real-password", method=PASSWORD_HASH_METHOD)


def change_password(
    session: Session, actor: Actor, *, current_password: str, new_password: str
) -> None:
    """Change the actor's own password. Every session of the user ends (the session version
    moves on) and every API token is revoked: whoever knew the old password may have made one.
    """
    user = session.get(User, actor.user_id)
    if user is None or not check_password_hash(user.password_hash, current_password or ""):
        raise Invalid(
            msg("auth.current_password_wrong"), fields={"current_password": [msg("auth.wrong")]}
        )
    if new_password == current_password:
        raise Invalid(
            msg("auth.new_password_equals_current_one"),
            fields={"new_password": [msg("auth.must_differ_from_current_password")]},
        )
    org = session.get(Organization, user.organization_id)
    _check_password(
        new_password, "new_password", user_inputs=(user.email, user.display_name, *_org_names(org))
    )
    now = clock.now()
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.session_version += 1
    revoked = _revoke_all_tokens(session, user.id, now)
    session.flush()
    journal.record(
        session,
        actor,
        "change_password",
        user,
        organization_id=user.organization_id,
        summary=f"password changed; all sessions ended, {revoked} API token(s) revoked",
    )


def end_sessions(session: Session, actor: Actor) -> None:
    """Log the actor out everywhere: every session cookie of the user, including copies of the
    current one, stops working (the user's session version moves on), and every API token of
    the user is revoked, so that logging out leaves no credential of the user alive (issue 13:
    a shared or lost device is cleaned by one logout; a program gets a new token)."""
    user = session.get(User, actor.user_id)
    if user is None:
        return
    user.session_version += 1
    revoked = _revoke_all_tokens(session, user.id, clock.now())
    session.flush()
    journal.record(
        session,
        actor,
        "logout",
        user,
        organization_id=user.organization_id,
        summary=f"logged out: all sessions ended, {revoked} API token(s) revoked",
    )


def _revoke_all_tokens(session: Session, user_id: int, now: dt.datetime) -> int:
    tokens = list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        )
    )
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


# --- API tokens ----------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, actor: Actor, *, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token; returns the row and the secret, which is never shown again."""
    require(actor, Permission.ACCOUNT_TOKENS_MANAGE)
    if expires_at is not None and expires_at <= clock.now():
        raise Invalid(
            msg("auth.expiry_must_future"), fields={"expires_at": [msg("auth.must_future")]}
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.user_id,
        name=name,
        prefix=secret[:12],
        token_hash=_digest(secret),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        token,
        organization_id=actor.organization_id,
        after={"name": name, "prefix": token.prefix, "expires_at": journal.jsonable(expires_at)},
    )
    return token, secret


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = load(session, actor, ApiToken, token_id)
    if token.revoked_at is not None:
        raise Conflict(msg("auth.token_already_revoked"))
    token.revoked_at = clock.now()
    session.flush()
    journal.record(
        session,
        actor,
        "revoke",
        token,
        organization_id=actor.organization_id,
        summary=f"token {token.prefix}…",
    )
    return token


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    return list(
        session.scalars(
            scoped(actor, ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


class TokenRejected(Exception):
    """A bearer token that is unknown, revoked, expired or malformed; ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    """Who a request acts as, with what the pages show of them and the session version that
    makes a cookie valid; for a bearer token, also the token's id and its last recorded use.

    Read as plain columns in one query (``authenticate_token``, ``session_principal``): every
    request needs it, and hydrating three ORM entities cost more than the query itself.
    """

    actor: Actor
    display_name: str
    session_version: int
    token_id: int | None = None
    token_last_used_at: dt.datetime | None = None

    @classmethod
    def of(cls, user: User, org: Organization) -> Principal:
        """From a user and organisation already loaded (at login)."""
        # As loaded, not as a change: a change would make the request's autoflush work.
        set_committed_value(user, "organization", org)
        return cls(Actor.of(user), user.display_name, user.session_version)


# Named as Actor's fields (Actor.from_row), plus what the principal and the checks need.
_OWNER_COLUMNS = (
    User.id.label("user_id"),
    User.email,
    User.display_name,
    User.role,
    User.locale,
    User.is_active.label("user_active"),
    User.session_version,
    Organization.id.label("organization_id"),
    Organization.kind.label("org_kind"),
    Organization.region_code,
    Organization.is_active.label("org_active"),
)


def _principal(row: Any, token_id: int | None = None, last_used_at=None) -> Principal:
    return Principal(
        actor=Actor.from_row(row),
        display_name=row.display_name,
        session_version=row.session_version,
        token_id=token_id,
        token_last_used_at=last_used_at,
    )


@functools.cache
def _token_owner() -> Select:
    """The token, its user and organisation by token hash, as columns: built once (every API
    request runs it, and building it cost about as much as running it)."""
    return (
        select(
            ApiToken.id.label("token_id"),
            ApiToken.revoked_at,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            *_OWNER_COLUMNS,
        )
        .outerjoin(User, User.id == ApiToken.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


@functools.cache
def _session_owner() -> Select:
    return (
        select(*_OWNER_COLUMNS)
        .join(Organization, Organization.id == User.organization_id)
        .where(User.id == bindparam("user_id"))
    )


def session_principal(session: Session, user_id: int) -> Principal | None:
    """The principal of a logged-in user's session; None when the user or their organisation
    is gone or deactivated. The caller compares the session version."""
    row = session.connection().execute(_session_owner(), {"user_id": user_id}).first()
    if row is None or not row.user_active or not row.org_active:
        return None
    return _principal(row)


def authenticate_token(session: Session, secret: str) -> Principal:
    """The principal behind a bearer token, or TokenRejected saying why.

    One query reads the token, its user and the user's organisation together (every API
    request runs it). It only reads: the caller records the use with ``record_token_use``
    when ``token_use_due``.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) < 20 or len(secret) > 100:
        raise TokenRejected("malformed token")
    # On the connection: the columns need none of the ORM's execution machinery.
    row = session.connection().execute(_token_owner(), {"token_hash": _digest(secret)}).first()
    if row is None:
        raise TokenRejected("unknown token")
    if row.revoked_at is not None:
        raise TokenRejected("token revoked")
    now = clock.now()
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenRejected("token expired")
    if (
        row.user_id is None
        or not row.user_active
        or row.organization_id is None
        or not row.org_active
    ):
        raise TokenRejected("token owner inactive")
    return _principal(row, row.token_id, row.last_used_at)


def token_use_due(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a token's last use is older than the recording resolution (one minute)."""
    return last_used_at is None or now - last_used_at >= TOKEN_USE_RESOLUTION


def record_token_use(session: Session, token_id: int, now: dt.datetime) -> bool:
    """Set ``last_used_at`` unless another request did so within the resolution; True if set.

    One conditional UPDATE, so concurrent requests with one token write it at most once.
    """
    from sqlalchemy import or_, update

    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - TOKEN_USE_RESOLUTION,
            ),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def update_own_locale(session: Session, actor: Actor, locale: str) -> None:
    """A user's preferred interface language (zh_CN or en)."""
    if locale not in ("zh_CN", "en"):
        raise Invalid(
            msg("auth.unsupported_language"), fields={"locale": [msg("auth.must_zh_cn_en")]}
        )
    user = session.get(User, actor.user_id)
    if user.locale != locale:
        before = {"locale": user.locale}
        user.locale = locale
        session.flush()
        journal.record(
            session,
            actor,
            "update",
            user,
            organization_id=user.organization_id,
            before=before,
            after={"locale": locale},
        )

"""The one place that answers "may this actor see / do this to this object".

Every object is loaded through :func:`load`, which filters by what the actor may see and raises
:class:`~emc.errors.NotFound` — never Forbidden — for another tenant's row, so existence does not
leak. Lists start from :func:`scoped`, never from a bare ``select(Model)``. Each model's
visibility rule is registered here in :data:`_SCOPES`; a model without a rule cannot be loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.models import ApiToken, Organization, OrgKind, User
from emc.auth.permissions import Permission, can
from emc.auth.regions import subtree_prefix
from emc.errors import Forbidden, NotFound

T = TypeVar("T")


def region_filter(column, root_code: str) -> ColumnElement[bool]:
    """SQL condition: ``column`` (a division code) lies in the subtree rooted at ``root_code``."""
    prefix = subtree_prefix(root_code)
    return true() if not prefix else column.startswith(prefix, autoescape=True)


def visible_org_ids(actor: Actor) -> Select:
    """A subquery of the organisation ids whose private data ``actor`` may read."""
    return select(Organization.id).where(_org_scope(actor))


def _org_scope(actor: Actor) -> ColumnElement[bool]:
    if actor.is_platform_admin:
        return true()
    own = Organization.id == actor.organization_id
    if actor.org_kind is OrgKind.AGENCY:
        # An agency reads the institutions of its region subtree, and itself.
        return own | (
            (Organization.kind == OrgKind.INSTITUTION)
            & region_filter(Organization.region_code, actor.region_code)
        )
    return own


def _user_scope(actor: Actor) -> ColumnElement[bool]:
    if actor.is_platform_admin:
        return true()
    if actor.is_org_admin:
        return User.organization_id == actor.organization_id
    return User.id == actor.user_id


def _token_scope(actor: Actor) -> ColumnElement[bool]:
    # Tokens are personal: not even a platform admin reads another user's tokens.
    return ApiToken.user_id == actor.user_id


_SCOPES: dict[type, Callable[[Actor], ColumnElement[bool]]] = {
    Organization: _org_scope,
    User: _user_scope,
    ApiToken: _token_scope,
}


def register_scope(model: type, rule: Callable[[Actor], ColumnElement[bool]]) -> None:
    """Register the visibility rule of a domain model (called from this module only)."""
    _SCOPES[model] = rule


def scope_condition(actor: Actor | None, model: type) -> ColumnElement[bool]:
    if actor is None:
        return false()
    try:
        rule = _SCOPES[model]
    except KeyError:
        raise LookupError(f"no visibility rule registered for {model.__name__}") from None
    return rule(actor)


def scoped(actor: Actor | None, model: type[T]) -> Select[tuple[T]]:
    """``select(model)`` restricted to the rows ``actor`` may see."""
    return select(model).where(scope_condition(actor, model))


def load(session: Session, actor: Actor | None, model: type[T], obj_id: Any) -> T:
    """Load one row the actor may see, or raise NotFound (whether it exists elsewhere or not)."""
    try:
        key = int(obj_id)
    except (TypeError, ValueError):
        raise NotFound(f"{model.__name__} {obj_id!r} not found") from None
    pk = model.__mapper__.primary_key[0]
    obj = session.scalars(scoped(actor, model).where(pk == key)).one_or_none()
    if obj is None:
        raise NotFound(f"{model.__name__} {obj_id!r} not found")
    return obj


def require(actor: Actor | None, permission: Permission) -> Actor:
    """Raise Forbidden unless ``actor`` holds ``permission``; return the actor for chaining."""
    if actor is None or not can(actor, permission):
        raise Forbidden(f"not permitted: {permission.value}")
    return actor

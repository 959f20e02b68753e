"""Permissions: names, the (organisation kind, role) → permissions table, and ``can()``. Pure.

This answers "may this kind of user do this kind of thing". Whether a *particular* object is
visible to the actor is answered by the scoped loaders in ``emc.auth.policy``; both live in
``emc.auth`` and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum

from emc.auth.actor import Actor
from emc.auth.models import OrgKind, Role


class Permission(StrEnum):
    PLATFORM_ORGS_MANAGE = "platform:orgs:manage"
    PLATFORM_USERS_MANAGE = "platform:users:manage"
    PLATFORM_REGIONS_MANAGE = "platform:regions:manage"
    ORG_USERS_MANAGE = "org:users:manage"
    ORG_READ = "org:read"
    ACCOUNT_TOKENS_MANAGE = "account:tokens:manage"
    JOURNAL_READ = "journal:read"
    PROGRAMME_READ = "programme:read"


P = Permission
_EVERYONE = frozenset({P.ORG_READ, P.ACCOUNT_TOKENS_MANAGE, P.JOURNAL_READ})
_ORG_ADMIN = _EVERYONE | {P.ORG_USERS_MANAGE}

ROLES_BY_KIND: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.INSTITUTION: (Role.ADMIN, Role.ENERGY_MANAGER, Role.FINANCE, Role.VIEWER),
    OrgKind.ESCO: (Role.ADMIN, Role.ENGINEER, Role.VIEWER),
    OrgKind.AUDITOR: (Role.ADMIN, Role.AUDITOR),
    OrgKind.AGENCY: (Role.ADMIN, Role.PROGRAMME_OFFICER),
    OrgKind.PLATFORM: (Role.ADMIN,),
}

GRANTS: dict[tuple[OrgKind, Role], frozenset[Permission]] = {
    (OrgKind.INSTITUTION, Role.ADMIN): _ORG_ADMIN,
    (OrgKind.INSTITUTION, Role.ENERGY_MANAGER): _EVERYONE,
    (OrgKind.INSTITUTION, Role.FINANCE): _EVERYONE,
    (OrgKind.INSTITUTION, Role.VIEWER): _EVERYONE,
    (OrgKind.ESCO, Role.ADMIN): _ORG_ADMIN,
    (OrgKind.ESCO, Role.ENGINEER): _EVERYONE,
    (OrgKind.ESCO, Role.VIEWER): _EVERYONE,
    (OrgKind.AUDITOR, Role.ADMIN): _ORG_ADMIN,
    (OrgKind.AUDITOR, Role.AUDITOR): _EVERYONE,
    (OrgKind.AGENCY, Role.ADMIN): _ORG_ADMIN | {P.PROGRAMME_READ},
    (OrgKind.AGENCY, Role.PROGRAMME_OFFICER): _EVERYONE | {P.PROGRAMME_READ},
    (OrgKind.PLATFORM, Role.ADMIN): _ORG_ADMIN
    | {P.PLATFORM_ORGS_MANAGE, P.PLATFORM_USERS_MANAGE, P.PLATFORM_REGIONS_MANAGE},
}


def role_allowed(kind: OrgKind, role: Role) -> bool:
    return role in ROLES_BY_KIND.get(kind, ())


def permissions_of(actor: Actor) -> frozenset[Permission]:
    return GRANTS.get((actor.org_kind, actor.role), frozenset())


def can(actor: Actor | None, permission: Permission) -> bool:
    """Whether ``actor``'s role grants ``permission`` (object visibility is checked separately)."""
    return actor is not None and permission in permissions_of(actor)

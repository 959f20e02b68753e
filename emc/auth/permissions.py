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
    PLATFORM_FACTORS_MANAGE = "platform:factors:manage"
    ORG_USERS_MANAGE = "org:users:manage"
    ORG_READ = "org:read"
    ACCOUNT_TOKENS_MANAGE = "account:tokens:manage"
    JOURNAL_READ = "journal:read"
    PROGRAMME_READ = "programme:read"
    PROGRAMME_TARGETS_MANAGE = "programme:targets:manage"
    PROGRAMME_STATS_MANAGE = "programme:stats:manage"
    FACILITIES_MANAGE = "facilities:sites:manage"
    FACILITIES_READINGS_IMPORT = "facilities:readings:import"
    FACILITIES_WEATHER_MANAGE = "facilities:weather:manage"
    CONTRACTS_READ = "contracts:read"
    CONTRACTS_PROJECT_MANAGE = "contracts:project:manage"
    CONTRACTS_CONTRACT_AGREE = "contracts:contract:agree"
    CONTRACTS_PAYMENT_PREPARE = "contracts:payment:prepare"
    CONTRACTS_PAYMENT_APPROVE = "contracts:payment:approve"
    CONTRACTS_PAYMENT_PAY = "contracts:payment:pay"
    AUDITS_READ = "audit:audits:read"
    AUDITS_COMMISSION = "audit:audits:commission"
    AUDITS_RECORD = "audit:audits:record"
    AUDITS_QUOTAS_MANAGE = "audit:quotas:manage"
    MV_READ = "mv:read"
    MV_PLAN_EDIT = "mv:plan:edit"
    MV_PROPOSE = "mv:esco:propose"
    MV_APPROVE = "mv:institution:approve"
    # --- cal: calendars ---
    PLATFORM_CALENDAR_MANAGE = "platform:calendar:manage"
    CALENDARS_TERMS_MANAGE = "calendars:terms:manage"


P = Permission
_EVERYONE = frozenset({P.ORG_READ, P.ACCOUNT_TOKENS_MANAGE, P.JOURNAL_READ})
_ORG_ADMIN = _EVERYONE | {P.ORG_USERS_MANAGE}
# Facilities: which sites, meters and readings are visible is the policy's business; these say
# what a role may do with a visible one. Agencies, finance and viewers only read; an ESCO imports
# readings for the meters inside the M&V boundary of projects it is contracted on (checked per
# meter in the service). Weather: the platform writes reference stations, an institution's admins
# and energy managers the stations it owns (checked per station by emc.auth.policy).
_FACILITIES_MANAGE = frozenset(
    {P.FACILITIES_MANAGE, P.FACILITIES_READINGS_IMPORT, P.FACILITIES_WEATHER_MANAGE}
)
_READINGS_IMPORT = frozenset({P.FACILITIES_READINGS_IMPORT})
# Contracts: which projects are visible is the policy's business (emc.auth.policy); these say
# what a role may do with a visible one. Separation of duties between the finance user who
# prepares a line and the one who approves it is enforced per line in the service.
_CONTRACTS_READ = frozenset({P.CONTRACTS_READ})
_CONTRACTS_MANAGE = _CONTRACTS_READ | {P.CONTRACTS_PROJECT_MANAGE}
_CONTRACTS_FINANCE = _CONTRACTS_READ | {
    P.CONTRACTS_PAYMENT_PREPARE,
    P.CONTRACTS_PAYMENT_APPROVE,
    P.CONTRACTS_PAYMENT_PAY,
}
# Programme: agencies read their region's progress and set targets in their subtree; an
# institution's admin and energy manager enter its annual energy statistics.
_PROGRAMME_AGENCY = frozenset({P.PROGRAMME_READ, P.PROGRAMME_TARGETS_MANAGE})
_PROGRAMME_STATS = frozenset({P.PROGRAMME_STATS_MANAGE})

ROLES_BY_KIND: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.INSTITUTION: (Role.ADMIN, Role.ENERGY_MANAGER, Role.FINANCE, Role.VIEWER),
    OrgKind.ESCO: (Role.ADMIN, Role.ENGINEER, Role.VIEWER),
    OrgKind.AUDITOR: (Role.ADMIN, Role.AUDITOR),
    OrgKind.AGENCY: (Role.ADMIN, Role.PROGRAMME_OFFICER),
    OrgKind.PLATFORM: (Role.ADMIN,),
}

GRANTS: dict[tuple[OrgKind, Role], frozenset[Permission]] = {
    (OrgKind.INSTITUTION, Role.ADMIN): _FACILITIES_MANAGE
    | _ORG_ADMIN
    | _CONTRACTS_MANAGE
    | {P.CONTRACTS_CONTRACT_AGREE}
    | _PROGRAMME_STATS,
    (OrgKind.INSTITUTION, Role.ENERGY_MANAGER): _FACILITIES_MANAGE
    | _EVERYONE
    | _CONTRACTS_MANAGE
    | _PROGRAMME_STATS,
    (OrgKind.INSTITUTION, Role.FINANCE): _EVERYONE | _CONTRACTS_FINANCE,
    (OrgKind.INSTITUTION, Role.VIEWER): _EVERYONE | _CONTRACTS_READ,
    (OrgKind.ESCO, Role.ADMIN): _READINGS_IMPORT
    | _ORG_ADMIN
    | _CONTRACTS_READ
    | {P.CONTRACTS_CONTRACT_AGREE},
    (OrgKind.ESCO, Role.ENGINEER): _READINGS_IMPORT | _EVERYONE | _CONTRACTS_READ,
    (OrgKind.ESCO, Role.VIEWER): _EVERYONE | _CONTRACTS_READ,
    (OrgKind.AUDITOR, Role.ADMIN): _ORG_ADMIN,
    (OrgKind.AUDITOR, Role.AUDITOR): _EVERYONE,
    (OrgKind.AGENCY, Role.ADMIN): _ORG_ADMIN | _PROGRAMME_AGENCY | _CONTRACTS_READ,
    (OrgKind.AGENCY, Role.PROGRAMME_OFFICER): _EVERYONE | _PROGRAMME_AGENCY | _CONTRACTS_READ,
    (OrgKind.PLATFORM, Role.ADMIN): _FACILITIES_MANAGE
    | {P.FACILITIES_WEATHER_MANAGE}
    | _ORG_ADMIN
    | {P.PLATFORM_ORGS_MANAGE, P.PLATFORM_USERS_MANAGE, P.PLATFORM_REGIONS_MANAGE}
    | {P.PLATFORM_FACTORS_MANAGE}
    | _CONTRACTS_READ
    # The platform operator reads the programme (national view) but sets no targets.
    | {P.PROGRAMME_READ},
}

# M&V: whoever reads projects reads their M&V. The ESCO's admins and engineers propose baselines
# and draft and submit reports; the institution's admins and energy managers approve baselines
# and accept or dispute reports; both sides edit the plan. The service also checks that the actor
# belongs to the right party of *that* project (an ESCO never approves, an institution never
# proposes on the ESCO's behalf).
_MV_ESCO = frozenset({P.MV_READ, P.MV_PLAN_EDIT, P.MV_PROPOSE})
_MV_INSTITUTION = frozenset({P.MV_READ, P.MV_PLAN_EDIT, P.MV_APPROVE})
for _key, _granted in GRANTS.items():
    if _key in ((OrgKind.ESCO, Role.ADMIN), (OrgKind.ESCO, Role.ENGINEER)):
        GRANTS[_key] = _granted | _MV_ESCO
    elif _key in ((OrgKind.INSTITUTION, Role.ADMIN), (OrgKind.INSTITUTION, Role.ENERGY_MANAGER)):
        GRANTS[_key] = _granted | _MV_INSTITUTION
    elif P.CONTRACTS_READ in _granted:
        GRANTS[_key] = _granted | {P.MV_READ}
del _key, _granted

# Energy audits: which audits are visible is the policy's business (institution: its own;
# auditor: those it was commissioned for; agency: its region subtree). The institution's admins
# and energy managers commission, review and turn ECMs into proposals; the auditor's users record
# data and submit; agencies (and the platform) maintain energy quotas; ESCOs see no audits.
_AUDIT_GRANTS: dict[tuple[OrgKind, Role], frozenset[Permission]] = {
    (OrgKind.INSTITUTION, Role.ADMIN): frozenset({P.AUDITS_READ, P.AUDITS_COMMISSION}),
    (OrgKind.INSTITUTION, Role.ENERGY_MANAGER): frozenset({P.AUDITS_READ, P.AUDITS_COMMISSION}),
    (OrgKind.INSTITUTION, Role.FINANCE): frozenset({P.AUDITS_READ}),
    (OrgKind.INSTITUTION, Role.VIEWER): frozenset({P.AUDITS_READ}),
    (OrgKind.AUDITOR, Role.ADMIN): frozenset({P.AUDITS_READ, P.AUDITS_RECORD}),
    (OrgKind.AUDITOR, Role.AUDITOR): frozenset({P.AUDITS_READ, P.AUDITS_RECORD}),
    (OrgKind.AGENCY, Role.ADMIN): frozenset({P.AUDITS_READ, P.AUDITS_QUOTAS_MANAGE}),
    (OrgKind.AGENCY, Role.PROGRAMME_OFFICER): frozenset({P.AUDITS_READ, P.AUDITS_QUOTAS_MANAGE}),
    (OrgKind.PLATFORM, Role.ADMIN): frozenset({P.AUDITS_READ, P.AUDITS_QUOTAS_MANAGE}),
}
for _key, _granted in _AUDIT_GRANTS.items():
    GRANTS[_key] = GRANTS[_key] | _granted
del _key, _granted


# --- cal: calendars. Platform admins enter statutory-holiday years the package does not know;
# an institution's admins and energy managers keep its term calendars and choose each site's.
GRANTS[(OrgKind.PLATFORM, Role.ADMIN)] |= {P.PLATFORM_CALENDAR_MANAGE}
for _key in ((OrgKind.INSTITUTION, Role.ADMIN), (OrgKind.INSTITUTION, Role.ENERGY_MANAGER)):
    GRANTS[_key] = GRANTS[_key] | {P.CALENDARS_TERMS_MANAGE}
del _key


def role_allowed(kind: OrgKind, role: Role) -> bool:
    return role in ROLES_BY_KIND.get(kind, ())


def permissions_of(actor: Actor) -> frozenset[Permission]:
    return GRANTS.get((actor.org_kind, actor.role), frozenset())


def can(actor: Actor | None, permission: Permission) -> bool:
    """Whether ``actor``'s role grants ``permission`` (object visibility is checked separately)."""
    return actor is not None and permission in permissions_of(actor)

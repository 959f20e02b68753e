"""The one place that answers "may this actor see / do this to this object".

Every object is loaded through :func:`load`, which filters by what the actor may see and raises
:class:`~emc.errors.NotFound` — never Forbidden — for another tenant's row, so existence does not
leak. Lists start from :func:`scoped`, never from a bare ``select(Model)``. Each model's
visibility rule is registered here in :data:`_SCOPES`; a model without a rule cannot be loaded.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from emc.audit.models import AuditSite, EnergyAudit, EnergyQuota
from emc.auth.actor import Actor
from emc.auth.models import ApiToken, Organization, OrgKind, User
from emc.auth.permissions import Permission, can
from emc.auth.regions import parent_of, subtree_prefix
from emc.contracts.models import (
    SIGNED_STATUSES,
    Contract,
    ContractAmendment,
    CustodyFeeAdjustment,
    EmcProject,
    PaymentLine,
    ProjectStatus,
)
from emc.errors import Forbidden, NotFound
from emc.facilities.models import (
    Building,
    Meter,
    ProjectSite,
    ReadingUpload,
    Site,
    WeatherStation,
)
from emc.messages import msg, record
from emc.mv.models import (
    Baseline,
    MvEvidenceFile,
    MvMeasurement,
    MvPlan,
    MvReport,
    MvReportAdjustment,
)
from emc.notifications.models import Notification
from emc.programme.models import InstitutionEnergyStat, ProgrammeTarget

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


def _project_scope(actor: Actor) -> ColumnElement[bool]:
    # Institution: its own projects; ESCO: projects it is contracted on; agency: projects of
    # the institutions in its region subtree (read only: agencies hold no write permission).
    if actor.is_platform_admin:
        return true()
    if actor.org_kind is OrgKind.INSTITUTION:
        return EmcProject.organization_id == actor.organization_id
    if actor.org_kind is OrgKind.ESCO:
        return EmcProject.esco_organization_id == actor.organization_id
    if actor.org_kind is OrgKind.AGENCY:
        return EmcProject.organization_id.in_(
            select(Organization.id).where(
                Organization.kind == OrgKind.INSTITUTION,
                region_filter(Organization.region_code, actor.region_code),
            )
        )
    return false()


def _visible_project_ids(actor: Actor) -> Select:
    return select(EmcProject.id).where(_project_scope(actor))


def _contract_scope(actor: Actor) -> ColumnElement[bool]:
    return Contract.project_id.in_(_visible_project_ids(actor))


def _amendment_scope(actor: Actor) -> ColumnElement[bool]:
    # Visible with its project; an ESCO also sees an amendment that would hand it a project
    # (it must agree to take it over), without seeing that project's records.
    visible = ContractAmendment.contract_id.in_(
        select(Contract.id).where(Contract.project_id.in_(_visible_project_ids(actor)))
    )
    if actor.org_kind is OrgKind.ESCO:
        visible |= ContractAmendment.incoming_esco_organization_id == actor.organization_id
    return visible


def may_propose_amendment(actor: Actor, project: EmcProject) -> bool:
    """Whether ``actor`` may propose an amendment of a (visible) signed project: the
    institution's project managers, or the contracted ESCO's users who agree contracts."""
    if actor.organization_id == project.organization_id:
        return can(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    if actor.organization_id == project.esco_organization_id:
        return can(actor, Permission.CONTRACTS_CONTRACT_AGREE)
    return False


def may_set_terms(actor: Actor, project: EmcProject) -> bool:
    """Whether ``actor`` may write a (visible) project's contract terms: before signing, the
    institution's project managers set them; once signed, either party proposes an amendment
    (:func:`may_propose_amendment`) until the project is closed."""
    if project.status in (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED):
        return False
    if project.status in SIGNED_STATUSES:
        return may_propose_amendment(actor, project)
    return can(actor, Permission.CONTRACTS_PROJECT_MANAGE)


def require_amendment_proposer(actor: Actor, project: EmcProject) -> None:
    """Raise Forbidden unless :func:`may_propose_amendment`."""
    if not may_propose_amendment(actor, project):
        raise Forbidden(msg("forbidden.amendment_proposer"))


def _payment_line_scope(actor: Actor) -> ColumnElement[bool]:
    return PaymentLine.project_id.in_(_visible_project_ids(actor))


def _site_scope(actor: Actor) -> ColumnElement[bool]:
    # Institution: its own sites; ESCO: the sites linked to projects it is the contracted ESCO
    # of; agency: the sites of institutions in its region subtree (read only: no write
    # permission); platform admin: all. Auditors: the sites in scope of the audits they were
    # commissioned for (read only: they hold no facilities permission).
    if actor.is_platform_admin:
        return true()
    if actor.org_kind is OrgKind.INSTITUTION:
        return Site.organization_id == actor.organization_id
    if actor.org_kind is OrgKind.ESCO:
        return Site.id.in_(
            select(ProjectSite.site_id)
            .join(EmcProject, EmcProject.id == ProjectSite.project_id)
            .where(EmcProject.esco_organization_id == actor.organization_id)
        )
    if actor.org_kind is OrgKind.AGENCY:
        return Site.organization_id.in_(
            select(Organization.id).where(
                Organization.kind == OrgKind.INSTITUTION,
                region_filter(Organization.region_code, actor.region_code),
            )
        )
    if actor.org_kind is OrgKind.AUDITOR:
        return Site.id.in_(
            select(AuditSite.site_id)
            .join(EnergyAudit, EnergyAudit.id == AuditSite.audit_id)
            .where(EnergyAudit.auditor_organization_id == actor.organization_id)
        )
    return false()


def visible_site_ids(actor: Actor) -> Select:
    """A subquery of the ids of the sites ``actor`` may see (buildings, meters and readings
    are visible through their site)."""
    return select(Site.id).where(_site_scope(actor))


def _building_scope(actor: Actor) -> ColumnElement[bool]:
    return Building.site_id.in_(visible_site_ids(actor))


def _meter_scope(actor: Actor) -> ColumnElement[bool]:
    return Meter.site_id.in_(visible_site_ids(actor))


def _upload_scope(actor: Actor) -> ColumnElement[bool]:
    return ReadingUpload.meter_id.in_(
        select(Meter.id).where(Meter.site_id.in_(visible_site_ids(actor)))
    )


# --- weather stations (pages rows) ---
def _station_scope(actor: Actor) -> ColumnElement[bool]:
    # Reference stations (no owner) are read by everyone signed in. An institution's own
    # stations are read by the institution (and the agencies of its region, through
    # visible_org_ids), and shared read-only with the ESCOs contracted on its projects and with
    # whoever sees a site that uses the station (an auditor of the site, say).
    if actor.is_platform_admin:
        return true()
    shared = WeatherStation.organization_id.is_(None) | WeatherStation.organization_id.in_(
        visible_org_ids(actor)
    )
    shared |= WeatherStation.id.in_(
        select(Site.weather_station_id).where(
            Site.weather_station_id.is_not(None), _site_scope(actor)
        )
    )
    if actor.org_kind is OrgKind.ESCO:
        shared |= WeatherStation.organization_id.in_(
            select(EmcProject.organization_id).where(
                EmcProject.esco_organization_id == actor.organization_id
            )
        )
    return shared


def may_write_station(actor: Actor, station: WeatherStation) -> bool:
    """Whether ``actor`` may change ``station`` or its temperatures (the station is visible):
    the platform writes every station; an institution's admins and energy managers write the
    stations it owns; nobody else (an ESCO reads its institution's stations, never writes)."""
    if not can(actor, Permission.FACILITIES_WEATHER_MANAGE):
        return False
    if actor.is_platform_admin:
        return True
    return (
        station.organization_id is not None
        and actor.org_kind is OrgKind.INSTITUTION
        and station.organization_id == actor.organization_id
    )


def require_station_writer(actor: Actor, station: WeatherStation) -> None:
    """Raise Forbidden unless :func:`may_write_station`."""
    if not may_write_station(actor, station):
        raise Forbidden(msg("forbidden.station_writer"))


def _target_scope(actor: Actor) -> ColumnElement[bool]:
    # Agencies: the targets of their region subtree, and those of their ancestors (the
    # allocation they answer to). The platform reads every target (it manages none). Other
    # organisations hold no programme targets.
    if actor.org_kind is OrgKind.PLATFORM:
        return true()
    if actor.org_kind is not OrgKind.AGENCY:
        return false()
    ancestors, code = [], parent_of(actor.region_code)
    while code is not None:
        ancestors.append(code)
        code = parent_of(code)
    return region_filter(ProgrammeTarget.region_code, actor.region_code) | (
        ProgrammeTarget.region_code.in_(ancestors)
    )


def _energy_stat_scope(actor: Actor) -> ColumnElement[bool]:
    # An institution's annual statistics: the institution itself and the agencies of its region.
    if actor.org_kind is OrgKind.INSTITUTION:
        return InstitutionEnergyStat.organization_id == actor.organization_id
    if actor.org_kind is OrgKind.AGENCY:
        return InstitutionEnergyStat.organization_id.in_(
            select(Organization.id).where(
                Organization.kind == OrgKind.INSTITUTION,
                region_filter(Organization.region_code, actor.region_code),
            )
        )
    return false()


def _audit_scope(actor: Actor) -> ColumnElement[bool]:
    # Institution: its own audits; auditor: those it was commissioned for; agency: those of the
    # institutions in its region subtree (read only); platform admin: all; ESCOs: none.
    if actor.is_platform_admin:
        return true()
    if actor.org_kind is OrgKind.INSTITUTION:
        return EnergyAudit.organization_id == actor.organization_id
    if actor.org_kind is OrgKind.AUDITOR:
        return EnergyAudit.auditor_organization_id == actor.organization_id
    if actor.org_kind is OrgKind.AGENCY:
        return EnergyAudit.organization_id.in_(
            select(Organization.id).where(
                Organization.kind == OrgKind.INSTITUTION,
                region_filter(Organization.region_code, actor.region_code),
            )
        )
    return false()


_SCOPES: dict[type, Callable[[Actor], ColumnElement[bool]]] = {
    Organization: _org_scope,
    User: _user_scope,
    ApiToken: _token_scope,
    Site: _site_scope,
    Building: _building_scope,
    Meter: _meter_scope,
    ReadingUpload: _upload_scope,
    WeatherStation: _station_scope,
    EmcProject: _project_scope,
    Contract: _contract_scope,
    ContractAmendment: _amendment_scope,
    PaymentLine: _payment_line_scope,
    CustodyFeeAdjustment: lambda actor: CustodyFeeAdjustment.project_id.in_(
        _visible_project_ids(actor)
    ),
    # M&V objects are visible exactly when their project is.
    MvPlan: lambda actor: MvPlan.project_id.in_(_visible_project_ids(actor)),
    Baseline: lambda actor: Baseline.project_id.in_(_visible_project_ids(actor)),
    MvReport: lambda actor: MvReport.project_id.in_(_visible_project_ids(actor)),
    MvReportAdjustment: lambda actor: MvReportAdjustment.project_id.in_(
        _visible_project_ids(actor)
    ),
    MvEvidenceFile: lambda actor: MvEvidenceFile.project_id.in_(_visible_project_ids(actor)),
    MvMeasurement: lambda actor: MvMeasurement.project_id.in_(_visible_project_ids(actor)),
    # Notifications are personal: each user reads only their own inbox.
    Notification: lambda actor: Notification.user_id == actor.user_id,
    ProgrammeTarget: lambda actor: _target_scope(actor),
    InstitutionEnergyStat: lambda actor: _energy_stat_scope(actor),
    EnergyAudit: _audit_scope,
    # Energy quotas are reference data: every signed-in user reads them.
    EnergyQuota: lambda actor: true(),
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
    if actor is None:
        return select(model).where(false())
    return _scoped(actor, model)


@functools.lru_cache(maxsize=4096)
def _scoped(actor: Actor, model: type[T]) -> Select[tuple[T]]:
    # Built once per actor and model, then reused: a statement is immutable (every .where()
    # makes a new one) and a rule reads only the actor's own fields, never the database, so
    # an equal actor (every field equal) gets an equal statement. Building the nested scope
    # subqueries cost more per request than running them.
    return select(model).where(scope_condition(actor, model))


# Statements derived from a reused one (a scoped statement, or a list's ordered statement), by
# a key that names the derivation. Weak on the base, so an entry goes when its base does.
_DERIVED: weakref.WeakKeyDictionary[Select, dict[Hashable, Select]] = weakref.WeakKeyDictionary()
# Per base: enough for every filter and page a list offers in practice; past it the derivations
# of that base start afresh (a client stepping through many pages must not grow the cache).
_DERIVED_PER_BASE = 64


def derived(base: Select, key: Hashable, build: Callable[[Select], Select]) -> Select:
    """``build(base)``, built once per base statement and ``key`` and then reused.

    ``key`` must name everything ``build`` adds (the filter values, the page). A reused statement
    also keeps SQLAlchemy's cache key, which is otherwise computed on every execution: building
    and keying a list's statement cost more than a tenth of a short API request. Statements are
    immutable, so sharing one between requests and threads is safe; a race builds it twice.
    """
    shelf = _DERIVED.get(base)
    if shelf is None:
        shelf = _DERIVED.setdefault(base, {})
    stmt = shelf.get(key)
    if stmt is None:
        if len(shelf) >= _DERIVED_PER_BASE:
            shelf.clear()
        stmt = shelf[key] = build(base)
    return stmt


def load(session: Session, actor: Actor | None, model: type[T], obj_id: Any) -> T:
    """Load one row the actor may see, or raise NotFound (whether it exists elsewhere or not)."""
    try:
        key = int(obj_id)
    except (TypeError, ValueError):
        raise NotFound(msg("not_found", what=record(model.__name__), id=str(obj_id))) from None
    pk = model.__mapper__.primary_key[0]
    obj = session.scalars(scoped(actor, model).where(pk == key)).one_or_none()
    if obj is None:
        raise NotFound(msg("not_found", what=record(model.__name__), id=key))
    return obj


def require(actor: Actor | None, permission: Permission) -> Actor:
    """Raise Forbidden unless ``actor`` holds ``permission``; return the actor for chaining."""
    if actor is None or not can(actor, permission):
        raise Forbidden(msg("forbidden", permission=permission.value))
    return actor

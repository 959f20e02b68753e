"""Energy quotas (定额): reading, adding, and finding the one that applies to an audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal
from emc.audit import indicators as ind
from emc.audit.models import EnergyQuota, QuotaBasis
from emc.audit.service.records import QUOTA_FIELDS, _invalid
from emc.auth.actor import Actor
from emc.auth.models import Region
from emc.auth.permissions import Permission
from emc.auth.policy import require, scoped
from emc.auth.regions import subtree_prefix
from emc.errors import Conflict
from emc.facilities.models import BuildingType
from emc.i18n import N_
from emc.messages import msg


def _quota(row: EnergyQuota) -> ind.Quota:
    return ind.Quota(
        basis=row.basis.value,
        constraint_value=row.constraint_value,
        baseline_value=row.baseline_value,
        guide_value=row.guide_value,
        region_code=row.region_code,
        building_type=row.building_type.value,
        year=row.year,
        source=row.source,
    )


def find_quota(
    session: Session, region_code: str, building_type: BuildingType, basis: QuotaBasis, year: int
) -> EnergyQuota | None:
    """The quota that applies: the most specific region (city, then province, then national)
    with a row for the type and basis, and there the latest year not after ``year``."""
    candidates = [region_code, region_code[:2] + "0000", "000000"]
    for code in dict.fromkeys(candidates):
        quota = session.scalar(
            select(EnergyQuota)
            .where(
                EnergyQuota.region_code == code,
                EnergyQuota.building_type == building_type,
                EnergyQuota.basis == basis,
                EnergyQuota.year <= year,
            )
            .order_by(EnergyQuota.year.desc())
            .limit(1)
        )
        if quota is not None:
            return quota
    return None


def list_quotas(
    session: Session,
    actor: Actor,
    *,
    region_code: str | None = None,
    building_type: BuildingType | None = None,
) -> list[EnergyQuota]:
    """Quotas (reference data every signed-in user may read), optionally filtered."""
    require(actor, Permission.ORG_READ)
    stmt = scoped(actor, EnergyQuota)
    if region_code:
        stmt = stmt.where(EnergyQuota.region_code == region_code)
    if building_type:
        stmt = stmt.where(EnergyQuota.building_type == building_type)
    return list(
        session.scalars(
            stmt.order_by(EnergyQuota.region_code, EnergyQuota.building_type, EnergyQuota.year)
        )
    )


def create_quota(session: Session, actor: Actor, **data: Any) -> EnergyQuota:
    """An agency (admin, programme officer) adds a quota for a region of its subtree; the
    platform admin for any region.

    Raises:
        Forbidden: no quota permission. Invalid: a region outside the subtree or unknown,
            values out of order. Conflict: a quota for the same region, type, basis and year.
    """
    require(actor, Permission.AUDITS_QUOTAS_MANAGE)
    code = data["region_code"]
    if session.get(Region, code) is None:
        raise _invalid("region_code", N_("unknown region"))
    prefix = subtree_prefix(actor.region_code)
    if not actor.is_platform_admin and not code.startswith(prefix):
        raise _invalid("region_code", N_("outside your region"))
    if not data["guide_value"] <= data["baseline_value"] <= data["constraint_value"]:
        raise _invalid("baseline_value", N_("guide value ≤ baseline value ≤ constraint value"))
    duplicate = session.scalar(
        select(EnergyQuota.id).where(
            EnergyQuota.region_code == code,
            EnergyQuota.building_type == data["building_type"],
            EnergyQuota.basis == data["basis"],
            EnergyQuota.year == data["year"],
        )
    )
    if duplicate is not None:
        raise Conflict(
            msg("audit.quota_for_region_building_type"),
            fields={"year": [msg("audit.already_has_quota")]},
        )
    quota = EnergyQuota(organization_id=actor.organization_id, **data)
    journal.add_created(
        session, actor, quota, fields=QUOTA_FIELDS, organization_id=actor.organization_id
    )
    return quota

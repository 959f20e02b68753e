"""What every part of the programme service shares: the service's calendar, the region's
projects (the counting rule itself is :mod:`emc.programme.counting`), an agency's region and
region names."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    select,
)
from sqlalchemy.orm import Session

from emc import clock
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, Region
from emc.auth.permissions import Permission
from emc.auth.policy import region_filter, require
from emc.auth.regions import in_subtree, is_valid_code, level_of, parent_of
from emc.contracts.models import Contract, EmcProject, Investor
from emc.errors import NotFound
from emc.messages import msg, record

log = logging.getLogger(__name__)

# The service's local calendar (DESIGN: institutions are in China; Asia/Shanghai has no DST).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_WINDOW = (2021, 2025)
DEFAULT_BASE_YEAR = 2020
TARGET_FIELDS = (
    "region_code",
    "metric",
    "start_year",
    "end_year",
    "project_count",
    "reduction_pct",
    "base_year",
    "note",
    "set_by_organization_id",
)
STAT_FIELDS = (
    "year",
    "floor_area_m2",
    "floor_area_source",
    "occupants",
    "occupants_source",
    "energy_tce",
    "co2_t",
)
# Private capital: the ESCO's own and a lessor's; shared investment is reported beside it.
PRIVATE_INVESTORS = (Investor.ESCO, Investor.LESSOR)


def local_today() -> dt.date:
    return clock.now().astimezone(LOCAL_ZONE).date()


# --- a region's projects ---------------------------------------------------------------------


def _in_window(start_year: int, end_year: int) -> ColumnElement[bool]:
    return and_(
        EmcProject.signed_on >= dt.date(start_year, 1, 1),
        EmcProject.signed_on < dt.date(end_year + 1, 1, 1),
    )


def _region_projects(region: str) -> Select:
    """Projects of the institutions in ``region``'s subtree, joined to their institution (its
    region *now*: see the counting rule) and, if any, their contract."""
    return (
        select()
        .select_from(EmcProject)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .outerjoin(Contract, Contract.project_id == EmcProject.id)
        .where(
            Organization.kind == OrgKind.INSTITUTION,
            region_filter(Organization.region_code, region),
        )
    )


# --- access ----------------------------------------------------------------------------------


def _agency_region(actor: Actor, region: str | None) -> str:
    """The region an agency asks about (default: its own), or NotFound outside its subtree."""
    require(actor, Permission.PROGRAMME_READ)
    region = region or actor.region_code
    if not is_valid_code(region) or not in_subtree(region, actor.region_code):
        raise NotFound(msg("not_found", what=record("Region"), id=region))
    return region


def region_names(session: Session, codes, locale: str = "zh_CN") -> dict[str, str]:
    codes = set(codes)
    rows = session.execute(
        select(Region.code, Region.name_zh, Region.name_en).where(Region.code.in_(codes))
    ).all()
    names = {c: (en if locale == "en" and en else zh) for c, zh, en in rows}
    return {c: names.get(c, c) for c in codes}


def breadcrumb(session: Session, actor: Actor, region: str, locale: str) -> list[dict[str, str]]:
    """From the actor's own region down to ``region``."""
    chain, code = [], region
    while code is not None:
        chain.append(code)
        if code == actor.region_code:
            break
        code = parent_of(code)
    chain.reverse()
    names = region_names(session, chain, locale)
    return [{"code": c, "name": names[c]} for c in chain]


# --- sub-regions ----------------------------------------------------------------------------


def _child_prefix_len(region: str) -> int:
    return {"national": 2, "province": 4}.get(level_of(region).value, 6)


def _child_code(prefix: str) -> str:
    return prefix.ljust(6, "0")

"""The filterable project list of a region, for the page and the exports."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    Select,
    func,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, Region
from emc.auth.policy import region_filter, scope_condition
from emc.contracts.models import SIGNED_STATUSES, Contract, EmcProject, Investor, ProjectStatus
from emc.mv.models import MvReport
from emc.programme import stats
from emc.programme.counting import counted
from emc.programme.models import ProgrammeSummary, SummaryDimension
from emc.programme.service._common import (
    _agency_region,
    _in_window,
)
from emc.programme.summary import accepted_savings


def _project_filters(stmt: Select, filters: dict[str, Any]) -> Select:
    if filters.get("status") is not None:
        stmt = stmt.where(EmcProject.status == filters["status"])
    if filters.get("contract_type") is not None:
        stmt = stmt.where(Contract.contract_type == filters["contract_type"])
    if filters.get("sector") is not None:
        stmt = stmt.where(Organization.sector == filters["sector"])
    if filters.get("year") is not None:
        stmt = stmt.where(_in_window(filters["year"], filters["year"]))
    if filters.get("counted") is True:
        stmt = stmt.where(counted())
    elif filters.get("counted") is False:
        stmt = stmt.where(~counted())
    if filters.get("q"):
        stmt = stmt.where(
            EmcProject.name.contains(filters["q"], autoescape=True)
            | Organization.name_zh.contains(filters["q"], autoescape=True)
        )
    return stmt


def _row(values) -> dict[str, Any]:
    (pid, name, inst, region, sector, esco, status, ctype, signed, op_start, inv, investor) = values
    decision = stats.count_decision(str(ProjectStatus(status)), signed, op_start)
    return {
        "id": pid,
        "name": name,
        "institution": inst,
        "region_code": region,
        "sector": str(sector) if sector is not None else None,
        "esco": esco,
        "status": str(ProjectStatus(status)),
        "contract_type": str(ctype) if ctype is not None else None,
        # The contract's date once both parties signed; a half-signed proposal's one
        # signature date is not a signing date (EmcProject.contract_signed_on).
        "signed_on": signed if ProjectStatus(status) in SIGNED_STATUSES else None,
        "counted": decision.counted,
        "count_year": decision.year,
        "reason": decision.reason.value,
        "total_investment": inv,
        "investor": str(Investor(investor)),
    }


def _project_select(actor: Actor, region: str, filters: dict[str, Any]) -> Select:
    esco = aliased(Organization)
    stmt = (
        select(
            EmcProject.id,
            EmcProject.name,
            Organization.name_zh,
            Organization.region_code,
            Organization.sector,
            esco.name_zh,
            EmcProject.status,
            Contract.contract_type,
            EmcProject.signed_on,
            EmcProject.operation_start_on,
            EmcProject.total_investment,
            EmcProject.investor,
        )
        .select_from(EmcProject)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .outerjoin(Contract, Contract.project_id == EmcProject.id)
        .outerjoin(esco, esco.id == EmcProject.esco_organization_id)
        .where(
            # Lists start from the policy's scope; the region narrows it down.
            scope_condition(actor, EmcProject),
            Organization.kind == OrgKind.INSTITUTION,
            region_filter(Organization.region_code, region),
        )
    )
    return _project_filters(stmt, filters)


def _listed(region: str) -> Select:
    """Every project of ``region``'s institutions (the unfiltered list's length), from the
    summary table's counts by status rather than a count over the projects. The agency's scope
    is its subtree, which contains ``region``, so the scope adds no condition here."""
    return select(func.coalesce(func.sum(ProgrammeSummary.projects), 0)).where(
        ProgrammeSummary.dimension == SummaryDimension.STATUS,
        region_filter(ProgrammeSummary.region_code, region),
    )


def _page_ids(ids: Select, page: int, per_page: int) -> Select:
    """The ids of one page in the list's order (signing date newest first, unsigned last; then
    id, newest first). Each half walks ``ix_emc_projects_signed_on_id`` backwards instead of
    sorting the region (the signed projects; the unsigned ones, whose NULL dates sit together
    at one end of that index) and stops at the page's depth; only those few rows are sorted."""
    depth = page * per_page
    signed = (
        ids.where(EmcProject.signed_on.is_not(None))
        .order_by(EmcProject.signed_on.desc(), EmcProject.id.desc())
        .limit(depth)
        .subquery()
    )
    unsigned = (
        ids.where(EmcProject.signed_on.is_(None))
        .order_by(EmcProject.id.desc())
        .limit(depth)
        .subquery()
    )
    both = union_all(
        select(signed.c.id, signed.c.signed_on), select(unsigned.c.id, unsigned.c.signed_on)
    ).subquery()
    return (
        select(both.c.id)
        .order_by(both.c.signed_on.desc().nulls_last(), both.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


# Building the page's statement (a dozen columns, four joins, three subqueries) took more CPU
# than running it; statements are immutable, so the same request reuses the one it built. Its
# inputs are the whole key (the actor's scope is a function of the frozen Actor; no clock).
@functools.lru_cache(maxsize=256)
def _page_statements(
    actor: Actor, region: str, page: int, per_page: int, filter_items: tuple[tuple[str, Any], ...]
) -> tuple[Select, Select]:
    """(the page's rows with the list's length as their last column, the length alone)."""
    filters = dict(filter_items)
    stmt = _project_select(actor, region, filters)
    order = (EmcProject.signed_on.desc().nulls_last(), EmcProject.id.desc())
    # Count and pick the page's ids over the project ids alone, then join the institution,
    # contract and ESCO for the page's rows only.
    ids = stmt.with_only_columns(EmcProject.id, EmcProject.signed_on)
    if any(v is not None and v != "" for v in filters.values()):
        total = select(func.count()).select_from(ids.subquery())
    else:
        total = _listed(region)
    if not any(filters.get(k) for k in ("contract_type", "sector", "q")):
        # Nothing refers to the institution's or the contract's columns: pick the page from
        # the projects alone, the institutions as a semi-join (no join rows to sort).
        ids = _project_filters(
            select(EmcProject.id, EmcProject.signed_on).where(
                scope_condition(actor, EmcProject),
                EmcProject.organization_id.in_(
                    select(Organization.id).where(
                        Organization.kind == OrgKind.INSTITUTION,
                        region_filter(Organization.region_code, region),
                    )
                ),
            ),
            filters,
        )
    rows = (
        stmt.add_columns(total.scalar_subquery())
        .where(EmcProject.id.in_(_page_ids(ids, page, per_page)))
        .order_by(*order)
    )
    return rows, total


def project_page(
    session: Session,
    actor: Actor,
    *,
    region: str | None = None,
    page: int = 1,
    per_page: int = 50,
    **filters: Any,
) -> dict[str, Any]:
    """One page of the region's projects (newest signing first), with whether each counts.

    One statement: the page's rows with their labels joined, and the list's length as a
    column (an uncorrelated subquery, computed once); a second one only for a page past the
    end, which has no row to carry the length."""
    region = _agency_region(actor, region)
    rows_stmt, total = _page_statements(
        actor, region, page, per_page, tuple(sorted(filters.items()))
    )
    # Plain columns: run on the connection, without the ORM's execution machinery.
    rows = session.connection().execute(rows_stmt).all()
    count = rows[0][-1] if rows else session.scalar(total)
    return {
        "total": int(count or 0),
        "page": page,
        "per_page": per_page,
        "items": [_row(r[:-1]) for r in rows],
    }


def iter_projects(
    session: Session, actor: Actor, *, region: str | None = None, **filters: Any
) -> Iterator[dict[str, Any]]:
    """Every project of the region matching ``filters``, for exports (streamed in batches),
    with the region's name and the project's verified savings: tce, tCO2 and yuan avoided over
    its latest accepted M&V reports (the programme's one definition, :func:`accepted_savings`;
    ``None`` before any report is accepted)."""
    region = _agency_region(actor, region)
    verified = (
        accepted_savings(MvReport.project_id.label("project_id"))
        .group_by(MvReport.project_id)
        .subquery()
    )
    tce, tco2, value = (verified.c[i] for i in range(1, 4))
    stmt = (
        _project_select(actor, region, filters)
        .add_columns(Region.name_zh, Region.name_en, tce, tco2, value)
        .outerjoin(Region, Region.code == Organization.region_code)
        .outerjoin(verified, verified.c.project_id == EmcProject.id)
        .order_by(Organization.region_code, EmcProject.signed_on, EmcProject.id)
    )
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        out = _row(row[:12])
        out.update(
            region_name_zh=row[12],
            region_name_en=row[13],
            verified_tce=row[14],
            verified_tco2=row[15],
            verified_value=row[16],
        )
        yield out

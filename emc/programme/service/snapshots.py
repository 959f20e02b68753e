"""The nightly programme snapshot: every region's aggregates as of a date, for trend charts."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import (
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.models import Organization
from emc.auth.regions import level_of
from emc.contracts.finance import ContractType
from emc.contracts.models import EmcProject
from emc.programme import summary
from emc.programme.counting import contract_type_key as _contract_type_key
from emc.programme.counting import counted
from emc.programme.models import (
    ProgrammeSnapshot,
    ProgrammeTarget,
)
from emc.programme.service._common import (
    PRIVATE_INVESTORS,
    _agency_region,
    _child_code,
    _region_projects,
)


def list_snapshots(
    session: Session, actor: Actor, *, region: str | None = None
) -> list[ProgrammeSnapshot]:
    region = _agency_region(actor, region)
    return list(
        session.scalars(
            select(ProgrammeSnapshot)
            .where(ProgrammeSnapshot.region_code == region)
            .order_by(ProgrammeSnapshot.snapshot_date)
        )
    )


def _empty_aggregate() -> dict[str, Any]:
    return {
        "projects_counted": 0,
        "projects_listed": 0,
        "custody_counted": 0,
        "by_type": {},
        "investment_total": Decimal("0.00"),
        "investment_private": Decimal("0.00"),
    }


def _level_aggregates(session: Session, plen: int, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """Aggregates of every region at one level (prefix length 0, 2 or 4 of the division code)
    as of ``as_of``: counts, custody, by type, investment; savings come separately."""
    key = func.substr(Organization.region_code, 1, plen) if plen else literal("")
    signed_by = EmcProject.signed_on <= as_of
    ctype = _contract_type_key()
    is_counted = and_(counted(), signed_by)
    private = case(
        (
            and_(is_counted, EmcProject.investor.in_(PRIVATE_INVESTORS)),
            func.coalesce(EmcProject.total_investment, 0),
        ),
        else_=0,
    )
    invested = case((is_counted, func.coalesce(EmcProject.total_investment, 0)), else_=0)
    rows = session.execute(
        _region_projects("000000")
        .add_columns(
            key,
            ctype,
            func.sum(case((is_counted, 1), else_=0)),
            func.count(EmcProject.id),
            func.sum(invested),
            func.sum(private),
        )
        # Listed as of the date: signed by then, or not signed (yet).
        .where(or_(EmcProject.signed_on.is_(None), signed_by))
        .group_by(key, ctype)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for prefix, t, n_counted, n_listed, inv, priv in rows:
        code = _child_code(prefix) if plen else "000000"
        agg = out.setdefault(code, _empty_aggregate())
        n_counted = int(n_counted or 0)
        agg["projects_counted"] += n_counted
        agg["projects_listed"] += int(n_listed)
        if n_counted:
            agg["by_type"][str(t)] = agg["by_type"].get(str(t), 0) + n_counted
        if t == ContractType.ENERGY_COST_CUSTODY.value:
            agg["custody_counted"] += n_counted
        agg["investment_total"] += Decimal(inv or 0).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_EVEN
        )
        agg["investment_private"] += Decimal(priv or 0).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_EVEN
        )
    return out


def _level_savings(session: Session, plen: int, as_of: dt.date) -> dict[str, tuple]:
    key = func.substr(Organization.region_code, 1, plen) if plen else literal("")
    rows = session.execute(summary.accepted_savings(key, as_of=as_of).group_by(key)).all()
    return {(_child_code(p) if plen else "000000"): (t, c, v) for p, t, c, v in rows}


def take_snapshot(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Store the aggregates of every region (national, provinces, cities) as of ``as_of``.

    Idempotent by date: the rows of ``as_of`` are replaced, so running twice stores the same.
    Regions with a target but no projects get a row of zeros, so their trend has no gaps.
    The nightly run also rebuilds the dashboard's summary table (kept in step by every write;
    the rebuild repairs whatever bypassed the session, such as a bulk load).
    """
    summary.rebuild(session)
    session.execute(delete(ProgrammeSnapshot).where(ProgrammeSnapshot.snapshot_date == as_of))
    aggregates: dict[str, dict[str, Any]] = {}
    savings: dict[str, tuple] = {}
    for plen in (0, 2, 4):
        aggregates.update(_level_aggregates(session, plen, as_of))
        savings.update(_level_savings(session, plen, as_of))
    for code in session.scalars(select(ProgrammeTarget.region_code).distinct()):
        if level_of(code).value in ("national", "province", "city"):
            aggregates.setdefault(code, _empty_aggregate())
    for code, agg in aggregates.items():
        tce, co2, cny = savings.get(code, (0, 0, 0))
        session.add(
            ProgrammeSnapshot(
                snapshot_date=as_of,
                region_code=code,
                savings_tce=Decimal(tce or 0).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN),
                savings_co2_t=Decimal(co2 or 0).quantize(
                    Decimal("0.001"), rounding=ROUND_HALF_EVEN
                ),
                savings_cny=Decimal(cny or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN),
                **agg,
            )
        )
    session.flush()
    return {"date": as_of.isoformat(), "regions": len(aggregates)}

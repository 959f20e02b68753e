"""The programme summary table: dashboard aggregates per institution region code, kept exact.

A dashboard of a region sums the ``programme_summaries`` rows of its subtree (a few hundred
rows per city) instead of grouping every project, contract and M&V report of the region.

The rows of a region code are *recomputed*, never adjusted by deltas: whenever a flush writes
something the dashboard counts — a project (signed, amended, its status, dates, investment or
investor changed, terminated, deleted), its contract (type), an institution (moved to another
region, sector, kind) or an M&V report (accepted, a new version, its figures) — the region codes
touched before and after the change are recomputed from the live tables with the counting rule
(:func:`emc.programme.counting.counted`), in the same transaction, by a session event
registered here. The full :func:`rebuild` runs the same computation for every region, so the
incrementally kept table and a rebuild are equal by construction (and tests check it after each
kind of write). An ORM bulk statement on a watched entity (``session.execute(delete(
EmcProject))``) is followed by a full rebuild. Statements on bare tables (``insert(Model.
__table__)`` or a raw connection) bypass session events: whoever writes that way (the
benchmark's bulk load) calls :func:`rebuild` afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    delete,
    event,
    exists,
    extract,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, aliased

from emc.auth.models import Organization, OrgKind
from emc.contracts.models import Contract, EmcProject, ProjectStatus
from emc.mv.models import MvReport, ReportStatus
from emc.programme.counting import contract_type_key, counted
from emc.programme.models import ProgrammeSummary, SummaryDimension

log = logging.getLogger(__name__)

# Attributes whose change can move a figure of the dashboard; any other change (a project's
# name, a report's notes) leaves the summary alone.
WATCHED: dict[type, frozenset[str]] = {
    EmcProject: frozenset(
        {
            "organization_id",
            "status",
            "signed_on",
            "operation_start_on",
            "total_investment",
            "investor",
        }
    ),
    Contract: frozenset({"project_id", "contract_type"}),
    Organization: frozenset({"region_code", "sector", "kind"}),
    MvReport: frozenset(
        {
            "project_id",
            "status",
            "version",
            "period_start",
            "tce_avoided",
            "tco2_avoided",
            "savings_value",
        }
    ),
}


# pg_advisory_xact_lock(class, key): the class names this table's per-region locks.
LOCK_CLASS = 7008


def _lock_key(code: str) -> int:
    # Division codes are six digits; anything else still gets a key stable across processes.
    return int(code) if code.isdigit() else zlib.crc32(code.encode()) & 0x7FFFFFFF


# --- computing the rows of some regions from the live tables ---------------------------------


def _projects(codes: Iterable[str] | None) -> Select:
    """Projects of institutions (with ``codes``: of institutions with those region codes),
    joined to their institution and, if any, their contract: the dashboard's base."""
    stmt = (
        select()
        .select_from(EmcProject)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .outerjoin(Contract, Contract.project_id == EmcProject.id)
        .where(Organization.kind == OrgKind.INSTITUTION)
    )
    if codes is not None:
        stmt = stmt.where(Organization.region_code.in_(sorted(codes)))
    return stmt


def latest_accepted(as_of: dt.date | None = None) -> Any:
    """An accepted report that no later accepted version of the same project and period
    supersedes (a revision replaces its predecessor's figures); with ``as_of``, only versions
    accepted by that day supersede."""
    newer = aliased(MvReport)
    superseding = [
        newer.project_id == MvReport.project_id,
        newer.period_start == MvReport.period_start,
        newer.status == ReportStatus.ACCEPTED,
        newer.version > MvReport.version,
    ]
    if as_of is not None:
        superseding.append(newer.accepted_on <= as_of)
    return ~exists().where(*superseding)


def accepted_savings(*columns: Any, as_of: dt.date | None = None) -> Select:
    """``columns`` followed by the sums of tce, tCO2 and yuan avoided, over the latest accepted
    M&V reports of institutions' projects (with ``as_of``: accepted by that day, as it stood
    then); the caller groups. The one definition of "verified savings" for the summary and
    the snapshots."""
    stmt = (
        select(
            *columns,
            func.sum(MvReport.tce_avoided),
            func.sum(MvReport.tco2_avoided),
            func.sum(MvReport.savings_value),
        )
        .join(EmcProject, EmcProject.id == MvReport.project_id)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .where(
            MvReport.status == ReportStatus.ACCEPTED,
            latest_accepted(as_of),
            Organization.kind == OrgKind.INSTITUTION,
        )
    )
    if as_of is not None:
        stmt = stmt.where(MvReport.accepted_on <= as_of)
    return stmt


def compute(conn: Connection | Session, codes: Iterable[str] | None = None) -> list[dict]:
    """The summary rows of the institutions with region ``codes`` (``None``: all), computed
    from projects, contracts, institutions and accepted M&V reports."""
    codes = None if codes is None else set(codes)
    if codes is not None and not codes:
        return []
    base = _projects(codes)
    code = Organization.region_code
    y = extract("year", EmcProject.signed_on)
    m = extract("month", EmcProject.signed_on)
    n = func.count(EmcProject.id)
    is_counted = counted()
    rows: list[dict] = []

    def add(dimension, region, key="", year=0, month=0, projects=0, **sums) -> None:
        rows.append(
            {
                "region_code": region,
                "dimension": dimension,
                "key": str(key),
                "year": int(year),
                "month": int(month),
                "projects": int(projects),
                "investment": Decimal(sums.get("investment") or 0),
                "tce": Decimal(sums.get("tce") or 0),
                "tco2": Decimal(sums.get("tco2") or 0),
                "cny": Decimal(sums.get("cny") or 0),
            }
        )

    for region, yy, mm, count in conn.execute(
        base.add_columns(code, y, m, n).where(is_counted).group_by(code, y, m)
    ):
        add(SummaryDimension.MONTH, region, "", yy, mm, count)
    ctype = contract_type_key()
    for region, yy, key, count in conn.execute(
        base.add_columns(code, y, ctype, n).where(is_counted).group_by(code, y, ctype)
    ):
        add(SummaryDimension.TYPE, region, key, yy, 0, count)
    sector = func.coalesce(Organization.sector, literal("other"), type_=String(20))
    for region, yy, key, count in conn.execute(
        base.add_columns(code, y, sector, n).where(is_counted).group_by(code, y, sector)
    ):
        add(SummaryDimension.SECTOR, region, key, yy, 0, count)
    invested = func.coalesce(func.sum(EmcProject.total_investment), 0)
    for region, yy, key, count, total in conn.execute(
        base.add_columns(code, y, EmcProject.investor, n, invested)
        .where(is_counted)
        .group_by(code, y, EmcProject.investor)
    ):
        add(SummaryDimension.INVESTOR, region, key, yy, 0, count, investment=total)
    for region, key, count in conn.execute(
        base.add_columns(code, EmcProject.status, n).group_by(code, EmcProject.status)
    ):
        add(SummaryDimension.STATUS, region, key, 0, 0, count)
    for region, count in conn.execute(
        base.add_columns(code, n)
        .where(
            EmcProject.status == ProjectStatus.TERMINATED,
            EmcProject.operation_start_on.is_(None),
            EmcProject.signed_on.is_not(None),
        )
        .group_by(code)
    ):
        add(SummaryDimension.TERMINATED_EARLY, region, "", 0, 0, count)
    period_year = extract("year", MvReport.period_start)
    savings = accepted_savings(code, period_year, func.count(MvReport.id)).group_by(
        code, period_year
    )
    if codes is not None:
        savings = savings.where(code.in_(sorted(codes)))
    for region, yy, count, tce, tco2, cny in conn.execute(savings):
        add(SummaryDimension.SAVINGS, region, "", yy, 0, count, tce=tce, tco2=tco2, cny=cny)
    return rows


def _connection(session: Session) -> Connection:
    return session.connection()


def refresh(session: Session, codes: Iterable[str]) -> int:
    """Recompute the summary rows of the region ``codes`` (exact codes, not subtrees) in the
    session's transaction; returns the number of rows written."""
    codes = {c for c in codes if c}
    if not codes:
        return 0
    conn = _connection(session)
    if conn.dialect.name == "postgresql":
        # Two transactions recomputing one region would each miss the other's uncommitted
        # change (and collide on the keys): the second waits for the first to commit, and its
        # statements then see that commit (READ COMMITTED). Sorted, so two never deadlock here.
        for code in sorted(codes):
            conn.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, _lock_key(code))))
    # Deleting first also waits for a running rebuild (its table lock) before computing.
    conn.execute(delete(ProgrammeSummary).where(ProgrammeSummary.region_code.in_(sorted(codes))))
    rows = compute(conn, codes)
    if rows:
        conn.execute(insert(ProgrammeSummary), rows)
    return len(rows)


def rebuild(session: Session) -> dict[str, int]:
    """Recompute the whole table from the live tables (nightly, ``emc programme
    rebuild-summary``, after bulk loads); idempotent. Returns the row and region counts."""
    conn = _connection(session)
    if conn.dialect.name == "postgresql":
        # Waits for running incremental refreshes and holds new ones off until this commits.
        conn.execute(text("LOCK TABLE programme_summaries IN SHARE ROW EXCLUSIVE MODE"))
    conn.execute(delete(ProgrammeSummary))
    rows = compute(conn)
    if rows:
        conn.execute(insert(ProgrammeSummary), rows)
    regions = len({r["region_code"] for r in rows})
    log.info("programme summary rebuilt: %d rows, %d regions", len(rows), regions)
    return {"rows": len(rows), "regions": regions}


def stored(session: Session) -> list[dict]:
    """The table's rows as :func:`compute` returns them, in a stable order (for checks)."""
    cols = ProgrammeSummary.__table__.columns
    result = session.execute(select(*cols)).mappings().all()
    return sorted((dict(r) for r in result), key=_order)


def _order(row: dict) -> tuple:
    return (row["region_code"], str(row["dimension"]), row["key"], row["year"], row["month"])


# --- keeping it in step with writes ----------------------------------------------------------


def _changed(obj: Any, names: frozenset[str]) -> bool:
    state = sa_inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _previous(obj: Any, name: str) -> list[Any]:
    """The value of ``name`` before this flush (if it changed)."""
    return [v for v in sa_inspect(obj).attrs[name].history.deleted if v is not None]


def _touched(session: Session) -> tuple[set[int], set[int], set[str]]:
    """Project ids, institution ids and region codes whose figures this flush may change."""
    projects: set[int] = set()
    orgs: set[int] = set()
    codes: set[str] = set()
    new, dirty = set(session.new), set(session.dirty)
    for obj in (*new, *dirty):
        names = WATCHED.get(type(obj))
        if names is None:
            continue
        if obj in dirty and not _changed(obj, names):
            continue
        if isinstance(obj, EmcProject):
            orgs.update(v for v in (obj.organization_id, *_previous(obj, "organization_id")) if v)
        elif isinstance(obj, Contract | MvReport):
            projects.update(v for v in (obj.project_id, *_previous(obj, "project_id")) if v)
        elif isinstance(obj, Organization) and obj not in new:
            # A new organisation has no projects yet; a moved one has them in two regions.
            codes.update(v for v in (obj.region_code, *_previous(obj, "region_code")) if v)
    deleted = session.info.pop(_DELETED, None)
    if deleted is not None:
        projects |= deleted[0]
        orgs |= deleted[1]
        codes |= deleted[2]
    return projects, orgs, codes


_DELETED = "emc.programme.summary:deleted"


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    """Note what the objects about to be deleted belong to while their rows still exist (an
    expired attribute of a deleted row could not be loaded after the flush)."""
    projects: set[int] = set()
    orgs: set[int] = set()
    codes: set[str] = set()
    for obj in session.deleted:
        if isinstance(obj, EmcProject):
            orgs.update(v for v in (obj.organization_id, *_previous(obj, "organization_id")) if v)
        elif isinstance(obj, Contract | MvReport):
            projects.update(v for v in (obj.project_id, *_previous(obj, "project_id")) if v)
        elif isinstance(obj, Organization):
            codes.update(v for v in (obj.region_code, *_previous(obj, "region_code")) if v)
    if projects or orgs or codes:
        if projects:
            # The projects may be deleted in the same flush: look their institutions up now.
            orgs.update(
                session.connection().scalars(
                    select(EmcProject.organization_id).where(EmcProject.id.in_(sorted(projects)))
                )
            )
        pending = session.info.setdefault(_DELETED, (set(), set(), set()))
        pending[0].update(projects)
        pending[1].update(orgs)
        pending[2].update(codes)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    """Recompute the regions this flush touched, before the transaction can commit. Runs after
    the statements (keys and foreign keys are set) with the pre-flush history still readable."""
    projects, orgs, codes = _touched(session)
    if not (projects or orgs or codes):
        return
    conn = _connection(session)
    if projects:
        orgs.update(
            conn.scalars(
                select(EmcProject.organization_id).where(EmcProject.id.in_(sorted(projects)))
            )
        )
    if orgs:
        codes.update(
            conn.scalars(select(Organization.region_code).where(Organization.id.in_(sorted(orgs))))
        )
    written = refresh(session, codes)
    log.debug("programme summary: %d rows for %s", written, sorted(codes))


@event.listens_for(Session, "do_orm_execute")
def _after_bulk(orm_execute_state) -> Any:
    """An ORM bulk ``insert``/``update``/``delete`` of a watched entity (``session.execute(
    delete(EmcProject))``) names no rows the flush events could see: run it, then rebuild."""
    state = orm_execute_state
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ not in WATCHED:
        return None
    result = state.invoke_statement()
    rebuild(state.session)
    return result

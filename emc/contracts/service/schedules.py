"""Payment schedules: the projected schedule and fixed lines of the whole term (one project, or
many in one pass with one bulk insert), actual lines from accepted M&V results, reading lines
and the finance queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.contracts import finance
from emc.contracts.models import (
    LOCKED_STATUSES,
    Contract,
    EmcProject,
    LineStatus,
    PaymentLine,
    VerifiedSavings,
    estimates_from_document,
    terms_from_document,
)
from emc.contracts.service._common import (
    COMPUTED,
    FIXED_KINDS,
    chunks,
    contract_of,
    finance_error,
)
from emc.contracts.service._line_store import NewLines
from emc.contracts.service.adjustments import agreed_adjustments
from emc.contracts.service.projects import get_project
from emc.errors import Conflict, Invalid, NotFound
from emc.messages import msg, record


@dataclass
class UpsertReport:
    """What an upsert of schedule lines did; ``conflicts`` are keys of approved or paid lines
    the new computation would change (left untouched, for finance to resolve)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    conflicts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "conflicts": list(self.conflicts),
        }


def line_values(line: finance.ScheduleLine) -> dict[str, Any]:
    """The stored attributes of a finance-core line."""
    return {
        "key": line.key,
        "source": line.source,
        "kind": line.kind,
        "component": line.component,
        "contract_year": line.contract_year,
        "period_start": line.period_start,
        "period_end": line.period_end,
        "due_on": line.due_date,
        "payer": line.payer,
        "payee": line.payee,
        "amount": line.amount,
        "basis": line.basis,
    }


def _existing_lines(session: Session, project_ids: list[int]) -> dict[int, dict[str, PaymentLine]]:
    """Stored lines of ``project_ids`` by project and key, in one query per chunk of ids."""
    existing: dict[int, dict[str, PaymentLine]] = {pid: {} for pid in project_ids}
    for chunk in chunks(project_ids):
        for line in session.scalars(select(PaymentLine).where(PaymentLine.project_id.in_(chunk))):
            existing[line.project_id][line.key] = line
    return existing


def _merge(
    session: Session,
    project_id: int,
    existing: dict[str, PaymentLine],
    lines: Iterable[finance.ScheduleLine],
    replaces: Callable[[PaymentLine], bool],
    new_lines: NewLines,
) -> UpsertReport:
    """Compare one project's computed lines with its stored ones: add lines with new keys to
    ``new_lines`` (the caller inserts them in bulk), update changed unlocked lines, delete
    unlocked lines ``replaces`` says this computation owns but no longer produces. Approved and
    paid lines are never altered."""
    report = UpsertReport()
    seen = set()
    fresh = []
    for line in lines:
        seen.add(line.key)
        row = existing.get(line.key)
        if row is None:
            fresh.append(line)
            continue
        values = line_values(line)
        if all(getattr(row, name) == values[name] for name in COMPUTED):
            report.unchanged += 1
            continue
        if row.status in LOCKED_STATUSES:
            report.conflicts.append(line.key)
            continue
        for name in COMPUTED:
            setattr(row, name, values[name])
        if row.status is LineStatus.PREPARED:
            # The amount changed after preparation: it must be prepared again.
            row.status, row.prepared_by_user_id, row.prepared_at = LineStatus.SCHEDULED, None, None
        report.updated += 1
    for key, row in existing.items():
        if key in seen or not replaces(row):
            continue
        if row.status in LOCKED_STATUSES:
            report.conflicts.append(key)
        else:
            session.delete(row)
            report.removed += 1
    new_lines.extend(project_id, fresh)
    report.created = len(fresh)
    return report


def _upsert(
    session: Session,
    project: EmcProject,
    lines: Iterable[finance.ScheduleLine],
    replaces: Callable[[PaymentLine], bool],
) -> UpsertReport:
    """:func:`_merge` and store the lines of one project."""
    new_lines = NewLines(session)
    existing = _existing_lines(session, [project.id])[project.id]
    report = _merge(session, project.id, existing, lines, replaces, new_lines)
    new_lines.insert()
    return report


def _decode_inputs(
    contract: Contract | None,
) -> tuple[finance.ContractTerms, tuple[finance.SavingsEstimate, ...]]:
    if contract is None:
        raise Conflict(
            msg("contracts.project_has_no_contract_terms"), fields={"contract": [msg("mv.missing")]}
        )
    try:
        return terms_from_document(contract.terms), estimates_from_document(
            contract.savings_estimates
        )
    except finance.FinanceInputError as error:
        raise finance_error(error) from None


def contract_inputs(
    session: Session, project: EmcProject
) -> tuple[finance.ContractTerms, tuple[finance.SavingsEstimate, ...]]:
    return _decode_inputs(contract_of(session, project.id))


def _owned_by_regeneration(row: PaymentLine) -> bool:
    return row.source is finance.LineSource.PROJECTED or row.kind in FIXED_KINDS


def regenerate_schedule(session: Session, actor: Actor, project_id: int) -> UpsertReport:
    """(Re)generate the projected schedule and the contractual fixed lines of the whole term.

    Idempotent: the same contract gives the same keys and amounts, so a second run changes
    nothing. Lines already approved or paid are never altered; the keys the new computation
    would change are reported in ``conflicts``.
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    return regenerate_schedules(session, actor, [project.id])[project.id]


def regenerate_schedules(
    session: Session, actor: Actor, project_ids: Iterable[int]
) -> dict[int, UpsertReport]:
    """:func:`regenerate_schedule` for many projects at once, as one action.

    The projects, their contracts and their stored lines are read in a few queries and the new
    lines are bulk inserted (:mod:`._line_store`: driver-ready rows, a COPY on PostgreSQL that
    runs while the lines are computed), so a portfolio's schedules are generated without
    per-project round trips. Each project gets its own journal entry. NotFound naming
    the first project the actor cannot see; Conflict / Invalid (nothing written) if any
    project has no or bad contract terms.
    """
    ids = list(dict.fromkeys(int(pid) for pid in project_ids))
    projects: dict[int, EmcProject] = {}
    for chunk in chunks(ids):
        projects.update(
            (p.id, p)
            for p in session.scalars(scoped(actor, EmcProject).where(EmcProject.id.in_(chunk)))
        )
    for pid in ids:
        if pid not in projects:
            raise NotFound(msg("not_found", what=record("EmcProject"), id=pid))
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    contracts: dict[int, Contract] = {}
    for chunk in chunks(ids):
        contracts.update(
            (c.project_id, c)
            for c in session.scalars(select(Contract).where(Contract.project_id.in_(chunk)))
        )
    existing = _existing_lines(session, ids)
    adjustments = agreed_adjustments(session, ids)
    # A project without stored lines gets all its lines as new rows at once, sent to the
    # database while the next projects compute; the others are merged once every project has
    # computed. Bad terms anywhere leave every stored line untouched (the stream's savepoint).
    new_lines = NewLines(session)
    fresh: dict[int, UpsertReport] = {}
    to_merge = []
    # No queries inside this block (a COPY occupies the connection on PostgreSQL): load
    # whatever the computation needs (contracts, adjustments…) before it, in bulk.
    with new_lines.streaming():
        for pid in ids:
            terms, estimates = _decode_inputs(contracts.get(pid))
            try:
                agreed = adjustments.get(pid, ())
                lines = finance.projected_schedule(
                    terms, estimates, agreed
                ) + finance.contractual_lines(terms, agreed)
            except finance.FinanceInputError as error:
                raise finance_error(error) from None
            if existing[pid]:
                to_merge.append((pid, lines))
            else:
                new_lines.extend(pid, lines)
                fresh[pid] = UpsertReport(created=len(lines))
    merged = {
        pid: _merge(session, pid, existing[pid], lines, _owned_by_regeneration, new_lines)
        for pid, lines in to_merge
    }
    new_lines.insert()
    reports = {pid: fresh[pid] if pid in fresh else merged[pid] for pid in ids}
    for pid, report in reports.items():
        project = projects[pid]
        journal.record(
            session,
            actor,
            "regenerate_schedule",
            project,
            organization_id=project.organization_id,
            after=report.as_dict(),
            summary=f"{report.created} created, {report.updated} updated, "
            f"{report.removed} removed, {len(report.conflicts)} conflicts",
        )
    return reports


def _result_from(
    period_start: dt.date,
    period_end: dt.date,
    savings: list[dict[str, Any]],
    accepted_on: dt.date,
    segments: list[dict[str, Any]] | None,
) -> finance.MvResult:
    try:
        parsed_segments = tuple(
            finance.SavingsSegment(
                dt.date.fromisoformat(s["start"]) if isinstance(s["start"], str) else s["start"],
                dt.date.fromisoformat(s["end"]) if isinstance(s["end"], str) else s["end"],
                s["carrier"],
                s["unit"],
                Decimal(s["quantity"]),
            )
            for s in segments or ()
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise Invalid(
            msg("contracts.segments_invalid"), fields={"segments": [error.message]}
        ) from None
    return finance.MvResult(
        period_start=period_start,
        period_end=period_end,
        savings=tuple(
            finance.EnergyQuantity(s["carrier"], s["unit"], Decimal(s["quantity"])) for s in savings
        ),
        accepted_on=accepted_on,
        segments=parsed_segments,
    )


def _settles_across_periods(terms: finance.ContractTerms) -> bool:
    """Whether a period's lines depend on other periods (carry-forward, annual reconciliation).
    Without these terms each result is settled on its own, exactly as before they existed."""
    for c in terms.components:
        if isinstance(c, finance.SharedSavingsTerms) and (
            c.negative_savings is not finance.NegativeSavings.FLOOR
            or (c.has_limits and c.reconciliation is finance.Reconciliation.CONTRACT_YEAR)
        ):
            return True
        if isinstance(c, finance.GuaranteedSavingsTerms) and (
            c.reconciliation is not finance.Reconciliation.PERIOD
        ):
            return True
    return False


def _store_result(session: Session, project: EmcProject, result: finance.MvResult) -> None:
    row = session.scalar(
        select(VerifiedSavings).where(
            VerifiedSavings.project_id == project.id,
            VerifiedSavings.period_start == result.period_start,
        )
    )
    if row is None:
        row = VerifiedSavings(project_id=project.id, period_start=result.period_start)
        session.add(row)
    row.period_end = result.period_end
    row.accepted_on = result.accepted_on
    row.savings = [
        {"carrier": q.carrier, "unit": q.unit, "quantity": str(q.quantity)} for q in result.savings
    ]
    row.segments = [
        {
            "start": s.start.isoformat(),
            "end": s.end.isoformat(),
            "carrier": s.carrier,
            "unit": s.unit,
            "quantity": str(s.quantity),
        }
        for s in result.segments
    ]
    session.flush()


def _stored_results(session: Session, project: EmcProject) -> tuple[finance.MvResult, ...]:
    rows = session.scalars(
        select(VerifiedSavings)
        .where(VerifiedSavings.project_id == project.id)
        .order_by(VerifiedSavings.period_start)
    )
    return tuple(
        _result_from(r.period_start, r.period_end, r.savings, r.accepted_on, r.segments)
        for r in rows
    )


_SETTLEMENT_KINDS = frozenset(
    {finance.LineKind.RECONCILIATION, finance.LineKind.SHARE_RECONCILIATION}
)


def record_actual_savings(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    period_start: dt.date,
    period_end: dt.date,
    savings: list[dict[str, Any]],
    accepted_on: dt.date,
    segments: list[dict[str, Any]] | None = None,
) -> UpsertReport:
    """Add the actual payment lines of an accepted M&V result over ``[period_start, period_end)``.

    ``savings``: ``[{"carrier", "unit", "quantity": Decimal}]`` verified savings per carrier,
    in the unit of the contract price. ``segments`` (optional): the report's own breakdown
    ``[{"start", "end", "carrier", "unit", "quantity"}]`` (per month or day, adding up to
    ``savings``), which values each part at the share and price in force when it was saved;
    without it the totals are split by time. The result is kept; when the contract carries
    negative savings forward or reconciles its guarantee (or a shared-savings minimum or cap)
    per contract year, every kept result is settled again in period order (earlier periods'
    lines only change if a result arrived out of order). A re-issued result for the same period replaces its unlocked lines (same
    keys); approved or paid lines are reported as conflicts.
    """
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    terms, _ = contract_inputs(session, project)
    result = _result_from(period_start, period_end, savings, accepted_on, segments)
    try:
        lines = finance.actual_lines(terms, result)
    except finance.FinanceInputError as error:
        path = error.field.removeprefix("result.")
        key = path if path != error.field else f"terms.{path}"
        raise Invalid(msg("contracts.mv_result_invalid"), fields={key: [error.message]}) from None
    _store_result(session, project, result)
    replaces: Callable[[PaymentLine], bool] = lambda row: False  # noqa: E731
    if _settles_across_periods(terms):
        try:
            lines = finance.settlement_lines(terms, _stored_results(session, project))
        except finance.FinanceInputError as error:
            raise Conflict(
                msg("contracts.results_not_settled", problem=error.message),
                fields={"period_start": [error.message]},
            ) from None
        # A year-end reconciliation the results no longer give is withdrawn (if not locked).
        replaces = lambda row: row.kind in _SETTLEMENT_KINDS  # noqa: E731
    keys = {line.key for line in lines}
    report = _upsert(session, project, lines, replaces)
    journal.record(
        session,
        actor,
        "record_actual",
        project,
        organization_id=project.organization_id,
        after={
            "period_start": period_start,
            "period_end": period_end,
            "accepted_on": accepted_on,
            "valued_by": "segments" if result.segments else "year_fraction",
            "lines": sorted(keys),
            **report.as_dict(),
        },
    )
    return report


def list_lines(
    session: Session, actor: Actor, project_id: int, *, source: finance.LineSource | None = None
) -> list[PaymentLine]:
    """A visible project's schedule lines by due date, period and key."""
    project = get_project(session, actor, project_id)
    stmt = scoped(actor, PaymentLine).where(PaymentLine.project_id == project.id)
    if source is not None:
        stmt = stmt.where(PaymentLine.source == source)
    return list(
        session.scalars(
            stmt.order_by(PaymentLine.period_start, PaymentLine.due_on, PaymentLine.key)
        )
    )


def get_line(session: Session, actor: Actor, line_id: int) -> PaymentLine:
    """One visible payment line (NotFound otherwise)."""
    line = load(session, actor, PaymentLine, line_id)
    require(actor, Permission.CONTRACTS_READ)
    return line


def finance_queue(session: Session, actor: Actor) -> list[PaymentLine]:
    """Actual lines that need a finance action (scheduled, prepared, approved or on hold)."""
    require(actor, Permission.CONTRACTS_PAYMENT_PREPARE)
    stmt = scoped(actor, PaymentLine).where(
        PaymentLine.source == finance.LineSource.ACTUAL,
        PaymentLine.status.in_(
            [LineStatus.SCHEDULED, LineStatus.PREPARED, LineStatus.APPROVED, LineStatus.ON_HOLD]
        ),
    )
    return list(session.scalars(stmt.order_by(PaymentLine.due_on, PaymentLine.id)))

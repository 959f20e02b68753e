"""The bulk insert of new payment lines (driver-native rows, COPY on PostgreSQL) stores exactly
what an ordinary SQLAlchemy insert stores, inside the session's transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, insert, select
from test_contracts_service import SHARED, SHARED_DOC, actor_for, make_project

from emc import clock
from emc.contracts import finance, service
from emc.contracts.models import Contract, LineStatus, PaymentLine
from emc.contracts.service import _line_store as line_store
from emc.contracts.service._line_store import NewLines
from emc.errors import Invalid

# Text that COPY's text format must escape, SQL quoting, JSON escapes and non-ASCII.
AWKWARD = "照明\t改造\\2\n'第二期'\r\"x\" \\N"


def _lines() -> tuple[finance.ScheduleLine, ...]:
    estimates = (finance.SavingsEstimate("electricity", "kWh", D("720000")),)
    lines = finance.projected_schedule(SHARED, estimates)[:14]
    awkward = replace(
        lines[0],
        key=f"projected:{AWKWARD}:shared_savings:2024-01-01:2024-02-01",
        component=AWKWARD,
        amount=D("0.05"),
        basis={"note": AWKWARD, "nested": [{"x": "1.5"}, None, True, 3], "empty": {}},
    )
    return (awkward, *lines[1:], replace(lines[1], key="k-zero", amount=D("0.00")))


def _core_insert(session, project_id: int, lines) -> None:
    """The ordinary way: a Core executemany with SQLAlchemy converting each value."""
    now = clock.now()
    session.execute(
        insert(PaymentLine.__table__),
        [
            {
                "project_id": project_id,
                "key": x.key,
                "source": x.source,
                "kind": x.kind,
                "component": x.component,
                "contract_year": x.contract_year,
                "period_start": x.period_start,
                "period_end": x.period_end,
                "due_on": x.due_date,
                "payer": x.payer,
                "payee": x.payee,
                "amount": x.amount,
                "basis": x.basis,
                "status": LineStatus.SCHEDULED,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for x in lines
        ],
    )


def _stored(session, project_id: int) -> list[dict]:
    session.expire_all()
    skip = {"id", "project_id", "created_at", "updated_at"}
    rows = session.scalars(
        select(PaymentLine).where(PaymentLine.project_id == project_id).order_by(PaymentLine.id)
    ).all()
    return [
        {c.key: getattr(row, c.key) for c in PaymentLine.__table__.columns if c.key not in skip}
        for row in rows
    ]


def test_bulk_inserted_lines_read_back_equal_to_core_inserted_ones(db_session):
    fast = make_project(db_session, generate=False, name="一中快速写入")
    core = make_project(db_session, generate=False, name="一中常规写入")
    lines = _lines()
    new = NewLines(db_session)
    new.extend(fast.id, lines)
    assert len(new) == len(lines)
    new.insert()
    _core_insert(db_session, core.id, lines)
    db_session.flush()

    stored_fast, stored_core = _stored(db_session, fast.id), _stored(db_session, core.id)
    assert stored_fast == stored_core
    assert len(stored_fast) == len(lines)
    first = stored_fast[0]
    assert first["component"] == AWKWARD and first["basis"]["note"] == AWKWARD
    assert first["basis"]["nested"] == [{"x": "1.5"}, None, True, 3]
    assert first["amount"] == D("0.05") and first["status"] is LineStatus.SCHEDULED
    assert first["version"] == 1 and first["hold_reason"] is None
    assert stored_fast[-1]["amount"] == D("0.00")
    # Timestamps: aware, equal to each other, and what the Core path would store for "now".
    rows = db_session.scalars(
        select(PaymentLine).where(PaymentLine.project_id == fast.id).order_by(PaymentLine.id)
    ).all()
    stamps = {(x.created_at, x.updated_at) for x in rows}
    assert len(stamps) == 1
    created, updated = stamps.pop()
    assert created == updated and created.tzinfo is not None
    assert abs((clock.now() - created).total_seconds()) < 600
    # Ids come from the table's own sequence, in insertion order.
    assert [x.key for x in rows] == [x.key for x in lines]


def test_bulk_insert_is_part_of_the_session_transaction(db_session):
    project = make_project(db_session, generate=False, name="一中回滚")
    savepoint = db_session.begin_nested()
    new = NewLines(db_session)
    new.extend(project.id, _lines())
    new.insert()
    count = (
        select(func.count()).select_from(PaymentLine).where(PaymentLine.project_id == project.id)
    )
    assert db_session.scalar(count) == len(_lines())
    savepoint.rollback()
    assert db_session.scalar(count) == 0


def test_pending_changes_reach_the_database_before_the_new_rows(db_session):
    project = make_project(db_session, terms=None, name="一中先删后插")
    lines = db_session.scalars(
        select(PaymentLine).where(PaymentLine.project_id == project.id)
    ).all()
    victim = lines[0]
    key = victim.key
    db_session.delete(victim)
    # A new row with the deleted row's key only fits once the delete is flushed.
    line = replace(_lines()[1], key=key)
    new = NewLines(db_session)
    new.extend(project.id, [line])
    new.insert()
    stored = db_session.scalars(
        select(PaymentLine).where(PaymentLine.project_id == project.id, PaymentLine.key == key)
    ).all()
    assert [x.period_start for x in stored] == [date(2024, 2, 1)]


def test_bad_terms_after_lines_were_streamed_write_nothing_and_leave_the_session_usable(
    db_session, monkeypatch
):
    # Small batches: the first project's rows reach the database (a running COPY on
    # PostgreSQL) before the second project's terms fail.
    monkeypatch.setattr(line_store, "_COPY_BATCH", 5)
    good = make_project(db_session, terms=SHARED_DOC, generate=False, name="一中先算")
    bad = make_project(db_session, terms=SHARED_DOC, generate=False, name="一中后错")
    contract = db_session.scalar(select(Contract).where(Contract.project_id == bad.id))
    contract.terms = {**contract.terms, "term_years": 0}
    db_session.flush()
    energy = actor_for(db_session, "energy@school.demo")
    with pytest.raises(Invalid) as raised:
        service.regenerate_schedules(db_session, energy, [good.id, bad.id])
    assert "terms.term_years" in raised.value.fields
    count = (
        select(func.count())
        .select_from(PaymentLine)
        .where(PaymentLine.project_id.in_([good.id, bad.id]))
    )
    assert db_session.scalar(count) == 0
    # The same session and transaction carry on: the good project alone is generated.
    reports = service.regenerate_schedules(db_session, energy, [good.id])
    assert reports[good.id].created == 60 == db_session.scalar(count)

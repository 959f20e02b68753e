"""The full demo's contracts (``emc demo``): one of each type, built through the services, with
actual payment lines in every state of the finance review."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from emc.contracts import finance
from emc.contracts.demo import DEMO_CONTRACTS, build_demo_contracts
from emc.contracts.models import Contract, EmcProject, LineStatus, PaymentLine, ProjectStatus

TODAY = dt.date(2026, 11, 24)


def test_demo_has_one_contract_of_each_type_with_lines_in_every_review_state(db_session):
    ids = build_demo_contracts(db_session, today=TODAY)
    contracts = {
        c.contract_type: c
        for c in db_session.scalars(select(Contract).where(Contract.project_id.in_(ids)))
    }
    assert set(contracts) == set(finance.ContractType)
    assert [db_session.get(EmcProject, i).name for i in ids] == list(DEMO_CONTRACTS)
    overdue = due_soon = 0
    for kind, contract in contracts.items():
        project = db_session.get(EmcProject, contract.project_id)
        assert project.status is ProjectStatus.OPERATING, kind
        lines = list(
            db_session.scalars(select(PaymentLine).where(PaymentLine.project_id == project.id))
        )
        projected = [x for x in lines if x.source is finance.LineSource.PROJECTED]
        actual = [x for x in lines if x.source is finance.LineSource.ACTUAL]
        assert projected and actual, kind
        by_status = {s: [x for x in actual if x.status is s] for s in LineStatus}
        for status in (
            LineStatus.PAID,
            LineStatus.APPROVED,
            LineStatus.PREPARED,
            LineStatus.ON_HOLD,
            LineStatus.SCHEDULED,
        ):
            assert by_status[status], (kind, status)
        for line in by_status[LineStatus.PAID]:
            assert line.paid_on and line.paid_on <= TODAY and line.payment_reference
            assert line.approved_by_user_id != line.prepared_by_user_id
        for line in by_status[LineStatus.APPROVED]:
            assert line.approved_by_user_id not in (None, line.prepared_by_user_id)
        assert all(x.hold_reason for x in by_status[LineStatus.ON_HOLD])
        open_lines = by_status[LineStatus.SCHEDULED]
        overdue += sum(x.due_on < TODAY for x in open_lines)
        due_soon += sum(TODAY <= x.due_on <= TODAY + dt.timedelta(days=30) for x in open_lines)
    assert overdue and due_soon

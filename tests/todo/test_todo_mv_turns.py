"""The ESCO's M&V turns that no record waits in yet (user walk: "nobody is told when it is their
turn"): an operating project without a plan or a proposed baseline, and a reporting period
that has ended without a report."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from emc.auth.actor import Actor
from emc.auth.models import User
from emc.contracts.models import EmcProject, ProjectStatus
from emc.mv.service import baselines, reports
from emc.todo import todos_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mv"))
from test_mv_support import make_project  # noqa: E402

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"


def actor(session, email: str) -> Actor:
    user = session.scalar(
        select(User).options(selectinload(User.organization)).where(User.email == email)
    )
    return Actor.of(user)


def todos(session, email: str, kind: str) -> dict:
    return {t.object_key: t for t in todos_for(session, actor(session, email)) if t.kind == kind}


def _operate(session, project_id: int) -> None:
    project = session.get(EmcProject, project_id)
    project.status = ProjectStatus.OPERATING
    project.operation_start_on = dt.date(2024, 1, 1)
    session.flush()


def test_an_operating_project_without_a_plan_or_baseline_waits_for_the_esco(db_session):
    ids = make_project(db_session, months=1, plan=False)
    pid = ids["project"]
    key = f"mv-plan:{pid}"
    # Not yet operating: nothing to do.
    assert key not in todos(db_session, ESCO, "plan.propose")
    _operate(db_session, pid)
    todo = todos(db_session, ESCO, "plan.propose")[key]
    assert todo.link == f"/projects/{pid}/mv" and todo.project_id == pid
    assert key in todos(db_session, "admin@esco.demo", "plan.propose")
    # Only the project's ESCO: not the institution, not another ESCO.
    assert key not in todos(db_session, INSTITUTION, "plan.propose")
    assert key not in todos(db_session, "admin@esco2.demo", "plan.propose")


def test_a_plan_waits_until_a_baseline_is_proposed(db_session):
    ids = make_project(db_session, months=1)
    pid = ids["project"]
    _operate(db_session, pid)
    key = f"mv-plan:{pid}"
    assert key in todos(db_session, ESCO, "plan.propose")
    baselines.propose_baseline(db_session, actor(db_session, ESCO), pid)
    assert key not in todos(db_session, ESCO, "plan.propose")


def test_an_ended_period_without_a_report_asks_for_its_draft_then_the_next(db_session, app):
    ids = make_project(db_session, months=3)
    pid = ids["project"]
    _operate(db_session, pid)
    esco, inst = actor(db_session, ESCO), actor(db_session, INSTITUTION)
    b = baselines.propose_baseline(db_session, esco, pid)
    assert f"mv-period:{pid}:2024-01-01" not in todos(db_session, ESCO, "report.draft")
    baselines.approve_baseline(db_session, inst, b.id, comment="同意", version=b.row_version)
    first = todos(db_session, ESCO, "report.draft")[f"mv-period:{pid}:2024-01-01"]
    assert first.params["n"] == 1
    # The link opens the draft form filled with the period.
    assert first.link == f"/projects/{pid}/mv?period_start=2024-01-01&period_last=2024-01-31#draft"
    assert (first.params["start"], first.params["end"]) == ("2024-01-01", "2024-01-31")
    assert first.due_on == dt.date(2024, 3, 2)
    assert f"mv-period:{pid}:2024-01-01" not in todos(db_session, INSTITUTION, "report.draft")
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        from flask_babel import gettext

        title = gettext(first.title) % dict(first.params)
    assert title.startswith("起草第 1 期测量与验证报告") and "2024-01-31" in title
    # Once drafted, the draft waits as report.submit and the next period is the one to draft.
    reports.draft_report(
        db_session, esco, pid, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 2, 1)
    )
    keys = todos(db_session, ESCO, "report.draft")
    assert f"mv-period:{pid}:2024-01-01" not in keys
    assert keys[f"mv-period:{pid}:2024-02-01"].params["n"] == 2


def test_a_contract_that_does_not_pay_on_savings_asks_for_no_plan(db_session):
    """A lease rent (or a custody fee) is not settled on verified savings: the demo ESCO was
    asked to draw up M&V plans for its custody and finance-lease projects."""
    from decimal import Decimal

    from emc.contracts import finance
    from emc.contracts.documents import terms_from_document
    from emc.contracts.models import Contract, terms_to_document

    ids = make_project(db_session, months=1, plan=False)
    pid = ids["project"]
    _operate(db_session, pid)
    assert f"mv-plan:{pid}" in todos(db_session, ESCO, "plan.propose")
    contract = db_session.scalar(select(Contract).where(Contract.project_id == pid))
    terms = terms_from_document(contract.terms)
    lease = finance.FinanceLeaseTerms(principal=Decimal("100000"), annual_rate=Decimal("0.05"))
    contract.terms = terms_to_document(
        finance.ContractTerms(
            contract_type=finance.ContractType.FINANCE_LEASE,
            term_years=terms.term_years,
            start_date=terms.start_date,
            payment_frequency=terms.payment_frequency,
            payment_due_days=terms.payment_due_days,
            discount_rate=terms.discount_rate,
            components=(lease,),
            prices=terms.prices,
        )
    )
    db_session.flush()
    assert f"mv-plan:{pid}" not in todos(db_session, ESCO, "plan.propose")

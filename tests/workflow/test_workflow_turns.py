"""Every workflow event of issue 12 reaches the party whose turn it is, once: each step makes
exactly one inbox message per recipient (none to the actor) and exactly one to-do for each
user who must act next (none for the actor, none for anyone once the object rests).

One row per event: the state before the step, the step, who is told, who must act next.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from emc.audit import service as audits
from emc.auth.models import User
from emc.contracts import service as contracts
from emc.contracts.models import PaymentLine
from emc.demo import actor_for
from emc.mv.service import baselines, reports
from emc.notifications.models import Notification
from emc.todo import todos_for
from tests.audit.test_audit_service import bill, commission
from tests.mv.test_mv_support import make_project
from tests.workflow.test_project_life import proposal, signed_project

SCHOOL_MV = {"admin@school.demo", "energy@school.demo"}
ESCO_MV = {"admin@esco.demo", "engineer@esco.demo"}
AUDIT_BODY = {"admin@auditor.demo", "auditor@auditor.demo"}
EVERYONE = (
    SCHOOL_MV
    | ESCO_MV
    | AUDIT_BODY
    | {
        "finance@school.demo",
        "finance2@school.demo",
        "viewer@school.demo",
        "viewer@esco.demo",
    }
)


@dataclass(frozen=True)
class Step:
    """``act(session, login_as)`` performs the step and returns (actor e-mail, to-do object
    key); ``told`` receive the ``kind`` message; ``next`` get the ``todo`` to-do."""

    kind: str
    act: Callable
    told: set[str]
    todo: str | None = None
    next: frozenset[str] = frozenset()


def _as(session, email):
    return actor_for(session, email)


def _submitted(session, mark=None):
    """A submitted report of January 2024 on an approved baseline (``mark`` just before the
    submission, when the submission is the step)."""
    ids = make_project(session, months=2)
    b = baselines.propose_baseline(session, ids["engineer"], ids["project"])
    baselines.approve_baseline(session, ids["energy"], b.id)
    r = reports.draft_report(
        session,
        ids["engineer"],
        ids["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    if mark is not None:
        mark(session)
    reports.submit_report(session, ids["engineer"], r.id)
    return ids, r


def baseline_proposed(s, _login, mark):
    ids = make_project(s, months=2)
    mark(s)
    b = baselines.propose_baseline(s, ids["engineer"], ids["project"])
    return "engineer@esco.demo", f"baseline:{b.id}"


def report_submitted(s, _login, mark):
    _ids, r = _submitted(s, mark)
    return "engineer@esco.demo", f"report:{r.id}"


def report_accepted(s, _login, mark):
    _ids, r = _submitted(s)
    mark(s)
    reports.accept_report(s, _as(s, "energy@school.demo"), r.id)
    return "energy@school.demo", f"report:{r.id}"


def report_disputed(s, _login, mark):
    _ids, r = _submitted(s)
    mark(s)
    reports.dispute_report(s, _as(s, "energy@school.demo"), r.id, comment="数据有误")
    return "energy@school.demo", f"report:{r.id}"


def line_prepared(s, login_as, mark):
    project, energy, _esco = signed_project(login_as, s)
    assert energy.post(f"/api/v1/projects/{project['id']}/schedule", json={}).status_code == 200
    line = s.scalar(
        select(PaymentLine)
        .where(PaymentLine.project_id == project["id"], PaymentLine.source == "actual")
        .order_by(PaymentLine.due_on)
        .limit(1)
    )
    mark(s)
    contracts.prepare_line(s, _as(s, "finance@school.demo"), line.id, version=line.version)
    return "finance@school.demo", f"payment-line:{line.id}"


def _audit_submitted(s, mark=None):
    audit = commission(s, title="轮次测试审计")
    auditor = _as(s, "auditor@auditor.demo")
    audits.add_bills(s, auditor, audit.id, [bill("electricity", "kWh", "1000")])
    if mark is not None:
        mark(s)
    return audits.submit_audit(s, auditor, audit.id)


def audit_submitted(s, _login, mark):
    return "auditor@auditor.demo", f"audit:{_audit_submitted(s, mark).id}"


def audit_returned(s, _login, mark):
    audit = _audit_submitted(s)
    mark(s)
    audits.return_audit(s, _as(s, "energy@school.demo"), audit.id, comment="请补充")
    return "energy@school.demo", f"audit:{audit.id}"


def audit_accepted(s, _login, mark):
    audit = _audit_submitted(s)
    mark(s)
    audits.accept_audit(s, _as(s, "energy@school.demo"), audit.id)
    return "energy@school.demo", f"audit:{audit.id}"


def project_signed_by_the_institution(s, login_as, mark):
    project = proposal(login_as("energy@school.demo"), s)
    mark(s)
    contracts.sign_project(
        s, _as(s, "energy@school.demo"), project["id"], signed_on=dt.date(2025, 1, 5)
    )
    return "energy@school.demo", f"project:{project['id']}"


def project_signed_by_both(s, login_as, mark):
    energy = login_as("energy@school.demo")
    project = proposal(energy, s)
    contracts.sign_project(
        s, _as(s, "energy@school.demo"), project["id"], signed_on=dt.date(2025, 1, 5)
    )
    mark(s)
    contracts.sign_project(
        s, _as(s, "admin@esco.demo"), project["id"], signed_on=dt.date(2025, 1, 8)
    )
    return "admin@esco.demo", f"project:{project['id']}"


STEPS = {
    "baseline proposed": Step(
        "baseline_proposed", baseline_proposed, SCHOOL_MV, "baseline.approve", SCHOOL_MV
    ),
    "report submitted": Step(
        "report_submitted", report_submitted, SCHOOL_MV, "report.decide", SCHOOL_MV
    ),
    # The ESCO is told; the institution's finance users are told the savings are to settle.
    "report accepted": Step(
        "report_accepted",
        report_accepted,
        ESCO_MV | {"finance@school.demo", "finance2@school.demo"},
    ),
    "report disputed": Step("report_disputed", report_disputed, ESCO_MV, "report.revise", ESCO_MV),
    "line prepared": Step(
        "payment_line_prepared",
        line_prepared,
        {"finance2@school.demo"},
        "line.approve",
        {"finance2@school.demo"},
    ),
    "audit submitted": Step(
        "audit_submitted", audit_submitted, SCHOOL_MV, "audit.decide", SCHOOL_MV
    ),
    "audit returned": Step(
        "audit_returned", audit_returned, AUDIT_BODY, "audit.revise", AUDIT_BODY
    ),
    "audit accepted": Step("audit_accepted", audit_accepted, AUDIT_BODY),
    "project signed by one party": Step(
        "project_signed_partly",
        project_signed_by_the_institution,
        {"admin@esco.demo"},
        "project.sign",
        {"admin@esco.demo"},
    ),
    "project signed by both": Step(
        "project_signed",
        project_signed_by_both,
        EVERYONE - AUDIT_BODY - {"admin@esco.demo"},
    ),
}


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_tells_whose_turn_it_is_once(name, db_session, login_as):
    step = STEPS[name]
    seen = {}

    def mark(session):
        session.flush()
        seen["id"] = session.scalar(select(func.max(Notification.id))) or 0

    actor, key = step.act(db_session, login_as, mark)
    db_session.flush()
    db_session.expire_all()
    new = (
        select(User.email, Notification.kind)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.id > seen["id"])
    )
    rows = db_session.execute(new).all()
    told = Counter(email for email, kind in rows if kind == step.kind)
    assert set(told) == step.told and set(told.values()) == {1}, told
    # The actor is told nothing of their own step.
    assert actor not in {email for email, _kind in rows}
    waiting = {}
    for email in EVERYONE | {actor}:
        kinds = [
            t.kind for t in todos_for(db_session, _as(db_session, email)) if t.object_key == key
        ]
        if kinds:
            waiting[email] = kinds
    assert waiting == {email: [step.todo] for email in step.next}

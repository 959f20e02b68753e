"""Audit workflow notifications: a submission reaches the institution's admins and energy
managers, an acceptance or return every user of the auditor organisation; once each,
translated per recipient."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emc.audit import service
from emc.auth.models import User
from emc.notifications.models import Notification
from tests.audit.test_audit_service import actor, bill, commission


def inbox(session, kind: str, audit_id: int) -> dict[str, list[Notification]]:
    """Recipients' e-mail → their notifications of ``kind`` about the audit."""
    rows = session.execute(
        select(User.email, Notification)
        .join(User, User.id == Notification.user_id)
        .where(Notification.kind == kind, Notification.link == f"/audits/{audit_id}")
        .order_by(Notification.id)
    )
    out: dict[str, list[Notification]] = {}
    for email, note in rows:
        out.setdefault(email, []).append(note)
    return out


@pytest.fixture
def submitted(db_session):
    audit = commission(db_session, title="通知测试审计")
    auditor = actor(db_session, "auditor@auditor.demo")
    service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "1000")])
    return service.submit_audit(db_session, auditor, audit.id)


def test_a_submission_notifies_the_institutions_admins_and_energy_managers(db_session, submitted):
    got = inbox(db_session, "audit_submitted", submitted.id)
    assert set(got) == {"admin@school.demo", "energy@school.demo"}
    assert all(len(notes) == 1 for notes in got.values())
    note = got["energy@school.demo"][0]
    # The demo users read Chinese: the subject is translated, with the audit's title.
    assert "通知测试审计" in note.subject and "能源审计" in note.subject
    assert "浙江节能审计中心" in note.body
    assert inbox(db_session, "audit_accepted", submitted.id) == {}


def test_acceptance_notifies_the_auditor_organisation_once(db_session, submitted):
    school = actor(db_session, "energy@school.demo")
    service.accept_audit(db_session, school, submitted.id)
    got = inbox(db_session, "audit_accepted", submitted.id)
    assert set(got) == {"admin@auditor.demo", "auditor@auditor.demo"}
    assert all(len(notes) == 1 for notes in got.values())
    assert "已接受" in got["auditor@auditor.demo"][0].subject
    # The institution is not told of its own decision.
    assert not {"admin@school.demo", "energy@school.demo"} & set(got)


def test_each_return_and_resubmission_notifies_once(db_session, submitted):
    school = actor(db_session, "admin@school.demo")
    auditor = actor(db_session, "auditor@auditor.demo")
    service.return_audit(db_session, school, submitted.id, comment="请补充燃气账单")
    got = inbox(db_session, "audit_returned", submitted.id)
    assert set(got) == {"admin@auditor.demo", "auditor@auditor.demo"}
    assert "请补充燃气账单" in got["auditor@auditor.demo"][0].body
    service.submit_audit(db_session, auditor, submitted.id)
    resubmitted = inbox(db_session, "audit_submitted", submitted.id)
    assert {e: len(n) for e, n in resubmitted.items()} == {
        "admin@school.demo": 2,
        "energy@school.demo": 2,
    }
    keys = {n.dedupe_key for n in resubmitted["energy@school.demo"]}
    assert len(keys) == 2


def _all_about(session, audit_id: int) -> dict[str, int]:
    """Recipients' e-mail → how many notifications of any kind link to the audit."""
    out: dict[str, int] = {}
    for (email,) in session.execute(
        select(User.email)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.link == f"/audits/{audit_id}")
    ):
        out[email] = out.get(email, 0) + 1
    return out


def test_each_audit_transition_notifies_each_recipient_exactly_once(db_session):
    # One path only (the workflow's listener): submit, return, resubmit, accept.
    audit = commission(db_session, title="一次通知审计")
    auditor = actor(db_session, "auditor@auditor.demo")
    school = actor(db_session, "energy@school.demo")
    service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "1000")])
    institution = {"admin@school.demo", "energy@school.demo"}
    audit_body = {"admin@auditor.demo", "auditor@auditor.demo"}
    steps = (
        (lambda: service.submit_audit(db_session, auditor, audit.id), institution),
        (
            lambda: service.return_audit(db_session, school, audit.id, comment="补充"),
            audit_body,
        ),
        (lambda: service.submit_audit(db_session, auditor, audit.id), institution),
        (lambda: service.accept_audit(db_session, school, audit.id), audit_body),
    )
    before = _all_about(db_session, audit.id)
    for step, told in steps:
        step()
        after = _all_about(db_session, audit.id)
        grew = {e: after[e] - before.get(e, 0) for e in after if after[e] != before.get(e, 0)}
        assert grew == dict.fromkeys(told, 1)
        before = after


def test_inactive_users_and_other_roles_get_nothing(db_session):
    energy = db_session.scalar(select(User).where(User.email == "energy@school.demo"))
    energy.is_active = False
    db_session.flush()
    audit = commission(db_session, email="admin@school.demo", title="停用用户审计")
    auditor = actor(db_session, "auditor@auditor.demo")
    service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "1000")])
    service.submit_audit(db_session, auditor, audit.id)
    assert set(inbox(db_session, "audit_submitted", audit.id)) == {"admin@school.demo"}

"""Inbox, reminders and the job runner: idempotent, right recipients only, visible to admins."""

from __future__ import annotations

import datetime as dt
import smtplib
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from emc import scheduler
from emc.auth.models import Organization, User
from emc.contracts.finance import LineKind, LineSource, Party
from emc.contracts.models import EmcProject, LineStatus, PaymentLine
from emc.notifications import service
from emc.notifications.models import Notification


def _user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _org(session, name) -> Organization:
    return session.scalar(select(Organization).where(Organization.name_zh == name))


@pytest.fixture
def due_line(db_session):
    school = _org(db_session, "杭州市第一中学")
    esco = _org(db_session, "绿能节能服务有限公司")
    project = EmcProject(
        organization_id=school.id, esco_organization_id=esco.id, name="一中照明改造"
    )
    db_session.add(project)
    db_session.flush()
    line = PaymentLine(
        project_id=project.id,
        key="actual:main:shared_savings:2026-10-01:2026-11-01",
        source=LineSource.ACTUAL,
        kind=LineKind.SHARED_SAVINGS,
        component="main",
        contract_year=1,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 11, 1),
        due_on=dt.date(2026, 11, 30),
        payer=Party.INSTITUTION,
        payee=Party.ESCO,
        amount=Decimal("84048.00"),
        basis={},
        status=LineStatus.PREPARED,
    )
    db_session.add(line)
    db_session.flush()
    return line


def _run(session_factory, settings, name, key, **kw):
    import emc.jobs  # noqa: F401

    return scheduler.run_job(session_factory, settings, name, key, **kw)


def _count(session, **where):
    stmt = select(func.count()).select_from(Notification)
    for column, value in where.items():
        stmt = stmt.where(getattr(Notification, column) == value)
    return session.scalar(stmt)


def test_payment_reminders_reach_the_paying_institutions_finance_users_only(
    session_factory, settings, db_session, due_line
):
    run = _run(session_factory, settings, "payment_reminders", "2026-11-25")
    assert run.status == "succeeded" and run.summary["digests"] == 1
    recipients = set(
        db_session.scalars(
            select(Notification.user_id).where(Notification.kind == "payment_digest")
        )
    )
    expected = {
        _user(db_session, "finance@school.demo").id,
        _user(db_session, "finance2@school.demo").id,
    }
    assert recipients == expected
    note = db_session.scalar(
        select(Notification).where(
            Notification.user_id == _user(db_session, "finance@school.demo").id
        )
    )
    body = note.body_in("zh_CN")
    assert "84,048.00" in body and "一中照明改造" in body and "即将到期" in body
    assert note.subject_in("zh_CN").startswith("付款提醒")


def test_running_a_job_twice_for_the_same_key_changes_nothing_more(
    session_factory, settings, db_session, due_line
):
    first = _run(session_factory, settings, "payment_reminders", "2026-11-25")
    before = _count(db_session)
    second = _run(session_factory, settings, "payment_reminders", "2026-11-25")
    assert first.status == "succeeded" and second.status == "skipped"
    forced = _run(session_factory, settings, "payment_reminders", "2026-11-25", force=True)
    assert forced.status == "succeeded" and forced.summary["digests"] == 0
    assert _count(db_session) == before


def test_overdue_lines_are_reminded_once_a_week(session_factory, settings, db_session, due_line):
    _run(session_factory, settings, "payment_reminders", "2026-12-02")
    _run(session_factory, settings, "payment_reminders", "2026-12-03")
    assert _count(db_session, kind="payment_digest") == 2  # two finance users, same ISO week
    _run(session_factory, settings, "payment_reminders", "2026-12-09")
    assert _count(db_session, kind="payment_digest") == 4


def test_paid_lines_are_not_reminded(session_factory, settings, db_session, due_line):
    due_line.status = LineStatus.PAID
    db_session.flush()
    run = _run(session_factory, settings, "payment_reminders", "2026-11-25")
    assert run.summary["lines_checked"] == 0


def test_a_failing_job_is_recorded_and_rolled_back(
    session_factory, settings, db_session, monkeypatch
):
    def explode(session, settings_, key):
        session.add(
            Notification(
                user_id=1, organization_id=1, kind="x", dedupe_key="x", subject_key="x", params={}
            )
        )
        session.flush()
        raise RuntimeError("mail server on fire")

    monkeypatch.setitem(scheduler.JOBS, "explode", scheduler.Job("explode", explode, {}, "test"))
    run = scheduler.run_job(session_factory, settings, "explode", "k")
    assert run.status == "failed" and "mail server on fire" in run.error
    assert _count(db_session, kind="x") == 0


def test_inbox_shows_own_messages_with_unread_count_and_marks_read(login_as, db_session):
    finance = _user(db_session, "finance@school.demo")
    other = _user(db_session, "engineer@esco.demo")
    service.notify(db_session, [finance], kind="t", dedupe_key="t1", subject="Inbox", link="/")
    theirs = service.notify(db_session, [other], kind="t", dedupe_key="t1", subject="Inbox")[0]
    c = login_as("finance@school.demo")
    page = c.get("/").get_data(as_text=True)
    assert 'data-testid="unread-count">1<' in page
    api = c.get("/api/v1/notifications").json
    assert len(api) == 1 and api[0]["read_at"] is None
    assert c.post(f"/api/v1/notifications/{api[0]['id']}/read", json={}).status_code == 200
    assert 'data-testid="unread-count"' not in c.get("/").get_data(as_text=True)
    assert c.post(f"/api/v1/notifications/{theirs.id}/read", json={}).status_code == 404
    assert c.post(f"/inbox/{theirs.id}/read").status_code == 404


def test_notify_is_idempotent_by_dedupe_key_and_skips_inactive_users(db_session):
    finance = _user(db_session, "finance@school.demo")
    viewer = _user(db_session, "viewer@school.demo")
    viewer.is_active = False
    assert (
        len(
            service.notify(
                db_session, [finance, viewer], kind="t", dedupe_key="same", subject="Inbox"
            )
        )
        == 1
    )
    assert service.notify(db_session, [finance], kind="t", dedupe_key="same", subject="Inbox") == []


class _Sink:
    """A local SMTP stand-in: records messages, never touches the network."""

    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def login(self, user, password):
        self.user = user

    def send_message(self, message):
        _Sink.sent.append(message)


def test_email_goes_out_once_per_message_when_smtp_is_configured(
    session_factory, settings, db_session, monkeypatch
):
    monkeypatch.setattr(smtplib, "SMTP", _Sink)
    _Sink.sent = []
    finance = _user(db_session, "finance@school.demo")
    finance.locale = "en"
    service.notify(db_session, [finance], kind="t", dedupe_key="mail", subject="Inbox")
    db_session.flush()
    assert service.send_pending_email(db_session, None) == 0
    assert service.send_pending_email(db_session, "smtp://localhost:2525") == 1
    assert service.send_pending_email(db_session, "smtp://localhost:2525") == 0
    # Rendered in the recipient's language at sending time: this user reads English.
    assert _Sink.sent[0]["To"] == "finance@school.demo" and _Sink.sent[0]["Subject"] == "Inbox"


def test_platform_admin_sees_and_triggers_job_runs(login_as):
    admin = login_as("admin@platform.demo")
    assert admin.post("/admin/jobs/payment_reminders/run").status_code == 302
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "payment_reminders" in page and 'data-testid="job-run"' in page
    assert login_as("finance@school.demo").get("/admin/jobs").status_code == 403

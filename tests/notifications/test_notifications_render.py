"""Messages are stored as msgids with parameters and rendered in the reader's language;
payment reminders are one digest per user and day, never a flood; the inbox is paginated."""

from __future__ import annotations

import datetime as dt
import smtplib
from decimal import Decimal

from sqlalchemy import func, select

from emc import scheduler
from emc.auth.models import Organization, User
from emc.contracts.finance import LineKind, LineSource, Party
from emc.contracts.models import EmcProject, LineStatus, PaymentLine
from emc.i18n import N_
from emc.notifications import service
from emc.notifications.models import Notification


def _user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _lines(session, n: int, due_on: dt.date) -> EmcProject:
    school = session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    project = EmcProject(organization_id=school.id, name="提醒测试项目")
    session.add(project)
    session.flush()
    for i in range(n):
        session.add(
            PaymentLine(
                project_id=project.id,
                key=f"actual:main:shared_savings:{i}",
                source=LineSource.ACTUAL,
                kind=LineKind.SHARED_SAVINGS,
                component="main",
                contract_year=1,
                period_start=dt.date(2026, 1, 1),
                period_end=dt.date(2026, 2, 1),
                due_on=due_on + dt.timedelta(days=i % 3),
                payer=Party.INSTITUTION,
                payee=Party.ESCO,
                amount=Decimal("1000.00") + i,
                basis={},
                status=LineStatus.SCHEDULED,
            )
        )
    session.flush()
    return project


def test_one_stored_message_reads_in_chinese_and_in_english(db_session):
    finance = _user(db_session, "finance@school.demo")
    note = service.notify(
        db_session,
        [finance],
        kind="payment_digest",
        dedupe_key="render",
        subject=N_("Payments: %(overdue)s overdue, %(due)s due within %(days)s days"),
        body=N_(
            "Unpaid payment lines that need finance's action:\n%(lines)s\n"
            "%(more)s lines in all: the payment queue lists every one."
        ),
        params={
            "overdue": 1,
            "due": 0,
            "days": 7,
            "more": 1,
            "lines": {
                "msgid": N_("%(state)s: %(project)s, %(amount)s yuan, due %(due)s"),
                "each": [
                    {
                        "state": {"msgid": N_("Overdue")},
                        "project": "一中照明",
                        "amount": "1,000.00",
                        "due": dt.date(2026, 11, 30),
                    }
                ],
            },
        },
    )[0]
    stored = db_session.get(Notification, note.id)
    assert stored.subject_key.startswith("Payments:") and stored.params["overdue"] == 1
    zh, en = service.render(stored, "zh_CN"), service.render(stored, "en")
    assert zh.subject == "付款提醒：1 笔逾期，0 笔 7 天内到期"
    assert "已逾期：一中照明，1,000.00 元，应付日期 2026-11-30" in zh.body
    assert en.subject == "Payments: 1 overdue, 0 due within 7 days"
    assert "Overdue: 一中照明, 1,000.00 yuan, due 2026-11-30" in en.body


def test_inbox_page_and_api_follow_the_readers_language(login_as, db_session):
    finance = _user(db_session, "finance@school.demo")
    service.notify(
        db_session,
        [finance],
        kind="t",
        dedupe_key="lang",
        subject=N_("Energy audit accepted: %(title)s"),
        params={"title": "T1"},
    )
    c = login_as("finance@school.demo")
    assert "能源审计已接受：T1" in c.get("/inbox").get_data(as_text=True)
    c.post("/locale", data={"locale": "en", "next": "/inbox"})
    assert "Energy audit accepted: T1" in c.get("/inbox").get_data(as_text=True)
    assert c.get("/api/v1/notifications").json[0]["subject"] == "Energy audit accepted: T1"


def test_inbox_is_paginated_and_filters_unread(login_as, db_session):
    finance = _user(db_session, "finance@school.demo")
    for i in range(120):
        service.notify(db_session, [finance], kind="t", dedupe_key=f"p{i}", subject="Inbox")
    c = login_as("finance@school.demo")
    first = c.get("/inbox").get_data(as_text=True)
    assert first.count('data-testid="notification"') == 50 and 'data-testid="pager-next"' in first
    api = c.get("/api/v1/notifications?per_page=20&page=2")
    assert len(api.json) == 20 and int(api.headers["X-Total-Count"]) >= 120
    page = service.inbox(db_session, service_actor(db_session, finance), unread_only=True)
    one = page.items[0].id
    service.mark_read(db_session, service_actor(db_session, finance), one)
    unread = service.inbox(db_session, service_actor(db_session, finance), unread_only=True)
    assert unread.total == page.total - 1
    assert all(n.read_at is None for n in unread.items)
    assert 'data-testid="notification"' in c.get("/inbox?unread=1").get_data(as_text=True)


def service_actor(session, user):
    from emc.auth.actor import Actor

    session.refresh(user, ["organization"])
    return Actor.of(user)


def _run(session_factory, settings, key, force=False):
    import emc.jobs  # noqa: F401

    return scheduler.run_job(session_factory, settings, "payment_reminders", key, force=force)


def test_twenty_due_lines_make_one_digest_per_user_and_a_second_run_adds_nothing(
    session_factory, settings, db_session
):
    _lines(db_session, 20, dt.date(2026, 11, 20))
    first = _run(session_factory, settings, "2026-12-01")
    again = _run(session_factory, settings, "2026-12-01", force=True)
    finance = _user(db_session, "finance@school.demo")
    mine = db_session.scalars(
        select(Notification).where(
            Notification.user_id == finance.id, Notification.kind == "payment_digest"
        )
    ).all()
    assert len(mine) == 1
    assert first.summary["overdue_lines"] == 20 and again.summary["digests"] == 0
    assert mine[0].body_in("zh_CN").count("提醒测试项目") == 20
    # The next day nothing new is due: no message. The next week the overdue lines are
    # reminded once more, again as one digest.
    _run(session_factory, settings, "2026-12-02")
    _run(session_factory, settings, "2026-12-08")
    count = db_session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == finance.id, Notification.kind == "payment_digest")
    )
    assert count == 2


class _Sink:
    sent: list = []

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        _Sink.sent.append(message)


def test_email_is_rendered_in_each_recipients_language(db_session, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", _Sink)
    _Sink.sent = []
    zh, en = _user(db_session, "finance@school.demo"), _user(db_session, "finance2@school.demo")
    en.locale = "en"
    service.notify(
        db_session,
        [zh, en],
        kind="t",
        dedupe_key="mail-lang",
        subject=N_("Energy audit accepted: %(title)s"),
        params={"title": "T2"},
        link="/audits/1",
    )
    assert service.send_pending_email(db_session, "smtp://localhost:2525") >= 2
    subjects = {m["To"]: m["Subject"] for m in _Sink.sent}
    assert subjects["finance@school.demo"] == "能源审计已接受：T2"
    assert subjects["finance2@school.demo"] == "Energy audit accepted: T2"


def test_old_messages_are_not_emailed_as_a_backlog(db_session, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", _Sink)
    _Sink.sent = []
    finance = _user(db_session, "finance@school.demo")
    old = service.notify(db_session, [finance], kind="t", dedupe_key="old", subject="Inbox")[0]
    old.created_at = old.created_at - dt.timedelta(days=30)
    db_session.flush()
    service.send_pending_email(db_session, "smtp://localhost:2525")
    assert all(m["Subject"] != "Inbox" for m in _Sink.sent)


def test_serve_starts_the_scheduler_unless_told_not_to(monkeypatch):
    import flask
    import waitress
    from click.testing import CliRunner

    import emc.app
    import emc.scheduler
    from emc.cli import cli

    started = []
    fake = flask.Flask("fake")
    monkeypatch.setattr(emc.app, "create_app", lambda settings=None, **kw: fake)
    monkeypatch.setattr(
        emc.scheduler, "start_in_process", lambda settings: started.append(settings)
    )
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: None)
    assert CliRunner().invoke(cli, ["serve", "--workers", "1"]).exit_code == 0
    assert len(started) == 1
    assert CliRunner().invoke(cli, ["serve", "--workers", "1", "--no-scheduler"]).exit_code == 0
    assert len(started) == 1

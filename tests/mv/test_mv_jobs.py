"""The M&V jobs: drafts for complete periods (idempotent by period), weekly overdue reminders
to the right people (deduplicated), and staleness marked by the job."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from test_mv_support import make_project, replace_day

from emc import scheduler
from emc.auth.models import User
from emc.contracts.models import EmcProject
from emc.mv.models import MvReport, ReportStatus
from emc.mv.service import baselines, reports
from emc.notifications.models import Notification


@pytest.fixture
def approved(db_session):
    ids = make_project(db_session, months=3)
    b = baselines.propose_baseline(db_session, ids["engineer"], ids["project"])
    baselines.approve_baseline(db_session, ids["energy"], b.id)
    db_session.flush()
    return ids


def _run(session_factory, settings, name, key, **kw):
    import emc.jobs  # noqa: F401

    return scheduler.run_job(session_factory, settings, name, key, **kw)


def _reports(session, project_id):
    return session.scalars(
        select(MvReport).where(MvReport.project_id == project_id).order_by(MvReport.period_start)
    ).all()


def test_drafts_only_complete_periods_once(approved, session_factory, settings, db_session):
    run = _run(session_factory, settings, "mv_drafts", "2024-05-10")
    assert run.status == "succeeded", run.error
    # Our January to March; April lacks data here and at the demo project.
    assert run.summary == {"drafted": 3, "incomplete": 2, "failed": 0}
    drafted = _reports(db_session, approved["project"])
    assert [(r.period_start, r.status) for r in drafted] == [
        (dt.date(2024, m, 1), ReportStatus.DRAFT) for m in (1, 2, 3)
    ]
    assert drafted[0].created_by_user_id is None
    again = _run(session_factory, settings, "mv_drafts", "2024-05-10", force=True)
    assert again.summary["drafted"] == 0
    assert len(_reports(db_session, approved["project"])) == 3
    note = db_session.scalar(select(func.count()).where(Notification.kind == "mv_draft"))
    assert note == 3 * 2  # the ESCO's admin and engineer, once per draft


def test_overdue_reminders_reach_both_parties_in_one_digest_a_day_each_period_weekly(
    approved, session_factory, settings, db_session
):
    reports.draft_report(
        db_session,
        approved["engineer"],
        approved["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    db_session.flush()
    run = _run(session_factory, settings, "mv_reminders", "2024-06-15")
    assert run.status == "succeeded", run.error
    # Ours: January (a draft is not submitted) to April; the demo project: April.
    assert run.summary["overdue"] == 5
    recipients = list(
        db_session.scalars(select(Notification.user_id).where(Notification.kind == "mv_overdue"))
    )
    emails = set(db_session.scalars(select(User.email).where(User.id.in_(recipients))))
    assert emails == {"admin@esco.demo", "engineer@esco.demo", "energy@school.demo"}
    # One digest per user, however many periods and projects.
    assert len(recipients) == len(set(recipients)) == run.summary["notified"] == 3
    again = _run(session_factory, settings, "mv_reminders", "2024-06-15", force=True)
    assert again.summary["notified"] == 0  # same day
    next_day = _run(session_factory, settings, "mv_reminders", "2024-06-16")
    assert next_day.summary["notified"] == 0  # every period was reminded this ISO week
    later = _run(session_factory, settings, "mv_reminders", "2024-06-24")
    assert later.summary["notified"] == 3


def test_twenty_overdue_periods_of_one_project_make_one_message_per_recipient_in_their_language(
    approved, session_factory, settings, db_session
):
    # Our project's periods January 2024 to August 2025 are all overdue on 15 October 2025.
    run = _run(session_factory, settings, "mv_reminders", "2025-10-15")
    assert run.status == "succeeded", run.error
    notes = db_session.scalars(
        select(Notification).where(Notification.kind == "mv_overdue").order_by(Notification.id)
    ).all()
    users = [n.user_id for n in notes]
    assert len(users) == len(set(users)) == 3
    note = next(
        n for n in notes if n.user_id == approved["engineer"].user_id
    )  # the demo ESCO's engineer: ours and the demo project
    name = db_session.get(EmcProject, approved["project"]).name
    zh, en = note.body_in("zh_CN"), note.body_in("en")
    assert f"{name}：20 个报告期" in zh and "2024-01-01–2024-02-01" in zh
    assert f"{name}: 20 periods" in en and ", …" in en
    assert "逾期" in note.subject_in("zh_CN") and "Overdue M&V reports" in note.subject_in("en")
    again = _run(session_factory, settings, "mv_reminders", "2025-10-15", force=True)
    assert again.summary["notified"] == 0
    assert db_session.scalar(select(func.count()).where(Notification.kind == "mv_overdue")) == 3


def test_job_marks_changed_reports_stale_and_tells_both_parties(
    approved, session_factory, settings, db_session
):
    report = reports.draft_report(
        db_session,
        approved["engineer"],
        approved["project"],
        period_start=dt.date(2024, 2, 1),
        period_end=dt.date(2024, 3, 1),
    )
    reports.submit_report(db_session, approved["engineer"], report.id)
    replace_day(db_session, approved["energy"], approved["meter"], dt.date(2024, 2, 20), 0.5)
    db_session.flush()
    run = _run(session_factory, settings, "mv_reminders", "2024-03-05")
    assert run.status == "succeeded", run.error
    assert run.summary["stale"] == 1
    db_session.expire_all()
    stale = db_session.get(MvReport, report.id)
    assert stale.stale_since is not None and stale.status is ReportStatus.SUBMITTED
    assert db_session.scalar(select(func.count()).where(Notification.kind == "mv_stale")) == 3

"""The nightly watch: persistence tracking, idempotence per project and day, suspected events,
and a shortfall warning raised once a month, not daily."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from watch_support import approved_project

from emc import scheduler
from emc.notifications.models import Notification
from emc.watch.models import EventScope, SuspectedEvent, WatchSnapshot, WatchWarning
from emc.watch.service import run_nightly


@pytest.fixture
def fading(db_session):
    """Six months of 2024: 15 % savings until April, then none (the ECM stopped working)."""
    return approved_project(db_session)


def _snapshot(session, project_id):
    return session.scalar(select(WatchSnapshot).where(WatchSnapshot.project_id == project_id))


def test_nightly_tracks_savings_since_the_baseline(fading, db_session):
    summary = run_nightly(db_session, dt.date(2024, 7, 1))
    assert summary["tracked"] >= 1
    snap = _snapshot(db_session, fading["project"])
    assert snap.period_start == dt.date(2024, 1, 1)
    assert snap.series["dates"][0] == "2024-01-01" and snap.series["dates"][-1] == "2024-06-30"
    savings = snap.series["savings"]
    jan = sum(savings[:31]) / sum(snap.series["adjusted_baseline"][:31])
    assert jan == pytest.approx(0.15, abs=0.03)
    may = savings[121:152]
    assert abs(sum(may) / sum(snap.series["adjusted_baseline"][121:152])) < 0.04


def test_fading_savings_raise_a_suspected_event_near_the_change(fading, db_session):
    run_nightly(db_session, dt.date(2024, 7, 1))
    events = db_session.scalars(
        select(SuspectedEvent).where(
            SuspectedEvent.project_id == fading["project"],
            SuspectedEvent.scope == EventScope.REPORTING,
        )
    ).all()
    assert events, "the loss of the 15 % saving is a suspected event"
    first = min(events, key=lambda e: e.start_date)
    assert abs((first.start_date - dt.date(2024, 4, 1)).days) <= 14
    assert first.change_percent == pytest.approx(15, abs=5)


def test_nightly_is_idempotent_per_project_and_day(fading, db_session):
    run_nightly(db_session, dt.date(2024, 7, 1))
    first = dict(_snapshot(db_session, fading["project"]).series)
    events = db_session.scalar(select(func.count()).select_from(SuspectedEvent))
    notes = db_session.scalar(select(func.count()).select_from(Notification))
    run_nightly(db_session, dt.date(2024, 7, 1))
    assert _snapshot(db_session, fading["project"]).series == first
    assert db_session.scalar(select(func.count()).select_from(SuspectedEvent)) == events
    assert db_session.scalar(select(func.count()).select_from(Notification)) == notes


def test_shortfall_warning_is_raised_once_a_month_not_daily(fading, db_session):
    for day in (1, 2, 3):
        run_nightly(db_session, dt.date(2024, 7, day))
    warnings = db_session.scalars(
        select(WatchWarning).where(WatchWarning.project_id == fading["project"])
    ).all()
    assert [w.month for w in warnings] == ["2024-07"]
    w = warnings[0]
    assert w.probability >= 0.5 and w.threshold > w.forecast
    assert w.low < w.forecast < w.high
    notes = db_session.scalars(
        select(Notification).where(Notification.kind == "watch_shortfall")
    ).all()
    assert notes and len({n.user_id for n in notes}) == len(notes)


def test_the_nightly_job_is_registered_and_skips_a_done_day(fading, session_factory, settings):
    import emc.jobs  # noqa: F401

    assert "watch_nightly" in scheduler.JOBS
    run = scheduler.run_job(session_factory, settings, "watch_nightly", "2024-07-01")
    assert run.status == "succeeded", run.error
    again = scheduler.run_job(session_factory, settings, "watch_nightly", "2024-07-01")
    assert again.status == "skipped"

"""The nightly watch runs in batches of projects: a batch of one gives what one batch of all
does (inputs, events, warnings and snapshots are loaded and written per batch)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from watch_support import approved_project

from emc.notifications.models import Notification
from emc.watch.models import SuspectedEvent, WatchSnapshot, WatchWarning
from emc.watch.service import run_nightly
from emc.watch.service.nightly import inputs as nightly_inputs


def _state(session):
    snaps = {
        s.project_id: (s.period_start, s.series, s.forecast, s.gaps)
        for s in session.scalars(select(WatchSnapshot))
    }
    events = sorted(
        (e.project_id, e.scope, e.start_date, e.change_per_day)
        for e in session.scalars(select(SuspectedEvent))
    )
    warnings = sorted((w.subject_key, w.probability) for w in session.scalars(select(WatchWarning)))
    notes = sorted(
        (n.user_id, n.kind)
        for n in session.scalars(select(Notification).where(Notification.kind.like("watch%")))
    )
    return snaps, events, warnings, notes


def test_batches_of_one_project_give_the_same_watch(db_session, monkeypatch):
    fading = approved_project(db_session)
    steady = approved_project(db_session, fade_on=None)
    today = dt.date(2024, 7, 1)
    nested = db_session.begin_nested()
    run_nightly(db_session, today)
    whole = _state(db_session)
    nested.rollback()
    db_session.expire_all()
    monkeypatch.setattr("emc.watch.service.nightly.BATCH", 1)
    monkeypatch.setattr(nightly_inputs, "BATCH", 1)
    summary = run_nightly(db_session, today)
    assert summary["tracked"] >= 2
    assert {fading["project"], steady["project"]} <= set(whole[0])
    assert _state(db_session) == whole

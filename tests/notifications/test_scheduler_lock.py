"""Only one scheduler runs jobs: each holds a lease on a row of ``scheduler_locks``."""

from __future__ import annotations

import datetime as dt

import pytest

from emc import clock, scheduler


@pytest.fixture
def lock_engine(engine):
    # The lease is taken in its own short transactions (as in production), so these tests use
    # the committed database and clean the lock row up afterwards.
    yield engine
    with engine.begin() as conn:
        conn.execute(scheduler.SchedulerLock.__table__.delete())


def test_two_contenders_one_lease(lock_engine):
    a = scheduler.LeaderLock(lock_engine, "a", name="test")
    b = scheduler.LeaderLock(lock_engine, "b", name="test")
    assert a.acquire() is True
    assert b.acquire() is False
    assert a.acquire() is True  # a heartbeat extends the lease
    assert a.holds() and not b.holds()


def test_an_expired_lease_is_taken_over_and_the_old_holder_loses_it(lock_engine, monkeypatch):
    a = scheduler.LeaderLock(lock_engine, "a", name="test", lease=dt.timedelta(seconds=30))
    b = scheduler.LeaderLock(lock_engine, "b", name="test", lease=dt.timedelta(seconds=30))
    assert a.acquire()
    later = clock.now() + dt.timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert b.acquire() is True
    assert a.acquire() is False and not a.holds()


def test_a_released_lease_is_free_at_once(lock_engine):
    a = scheduler.LeaderLock(lock_engine, "a", name="test")
    b = scheduler.LeaderLock(lock_engine, "b", name="test")
    assert a.acquire()
    a.release()
    assert b.acquire()


def test_of_two_schedulers_only_one_runs_jobs(lock_engine, settings):
    first = scheduler.SchedulerRunner(
        settings, engine=lock_engine, owner="first", jobstore="memory"
    )
    second = scheduler.SchedulerRunner(
        settings, engine=lock_engine, owner="second", jobstore="memory"
    )
    try:
        assert first.tick() is True and second.tick() is False
        assert first.is_leader and not second.is_leader
        assert first.scheduler.get_job("payment_reminders") is not None
        # The leader stops cleanly: the standby takes over on its next heartbeat.
        first.shutdown()
        assert second.tick() is True and second.is_leader
    finally:
        first.shutdown()
        second.shutdown()

"""Background jobs: the one registry, an idempotent runner, and the APScheduler runner.

``emc scheduler`` runs :func:`run_scheduler` as its own process (production); ``emc serve``
runs the same scheduler on a background thread by default, so a quick start has reminders.
APScheduler's job store is in the application database (table ``apscheduler_jobs``, created by
the migrations like every other table). Only one scheduler runs jobs at a time: each holds a
lease on a row of ``scheduler_locks`` (owner, heartbeat, expiry) and starts APScheduler only
while it holds it; the others wait and take over when a lease expires (:class:`LeaderLock`). Each job is a function ``job(session, settings, key)``
that must be idempotent for its key (e.g. the date it processes); :func:`run_job` records every
run in ``job_runs`` and skips a key that already succeeded, so running twice changes nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from emc import clock
from emc.config import Settings
from emc.db import Base, BigId, UTCDateTime, make_engine, make_session_factory

log = logging.getLogger(__name__)

# APScheduler 3's SQLAlchemyJobStore table, declared here so the migrations create it (and the
# no-drift test checks it) instead of the job store creating it behind Alembic's back.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class JobRun(Base):
    """One run of a job for one key: what it did, or why it failed. Visible to platform admins."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_key", "job_name", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_name: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # running | succeeded | failed | skipped
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    triggered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SchedulerLock(Base):
    """A named lease: the scheduler whose ``owner`` this is runs jobs until ``expires_at``,
    extending it on every heartbeat. Works the same on SQLite and PostgreSQL (a conditional
    UPDATE, or an INSERT that the primary key lets only one process win)."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


JobFunc = Callable[[Session, Settings, str], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc
    # APScheduler cron fields, in the service's time zone.
    cron: dict[str, Any]
    description: str
    # The key a scheduled run processes: by default the local date of the run.
    key_of: Callable[[dt.datetime], str] = lambda local: local.date().isoformat()


JOBS: dict[str, Job] = {}


def job(name: str, *, cron: dict[str, Any], description: str, key_of=None):
    """Register a job function under ``name`` (the one registry of background work)."""

    def register(func: JobFunc) -> JobFunc:
        extra = {"key_of": key_of} if key_of else {}
        JOBS[name] = Job(name=name, func=func, cron=cron, description=description, **extra)
        return func

    return register


def default_key(name: str, settings: Settings, at: dt.datetime | None = None) -> str:
    local = (at or clock.now()).astimezone(ZoneInfo(settings.timezone))
    return JOBS[name].key_of(local)


def run_job(
    factory: sessionmaker[Session],
    settings: Settings,
    name: str,
    key: str | None = None,
    *,
    force: bool = False,
    user_id: int | None = None,
) -> JobRun:
    """Run job ``name`` for ``key`` in one transaction, unless that key already succeeded.

    The run's record is written in its own transaction, so a failure is recorded even though the
    job's own changes roll back.
    """
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(JOBS))}")
    key = key or default_key(name, settings)
    with factory() as session, session.begin():
        done = session.scalar(
            select(JobRun).where(
                JobRun.job_name == name, JobRun.key == key, JobRun.status == "succeeded"
            )
        )
        run = JobRun(
            job_name=name,
            key=key,
            status="running",
            started_at=clock.now(),
            triggered_by_user_id=user_id,
        )
        if done is not None and not force:
            run.status, run.finished_at, run.summary = (
                "skipped",
                clock.now(),
                {"already_done": done.id},
            )
        session.add(run)
    if run.status == "skipped":
        log.info(
            "job %s key %s already done (run %s): skipped", name, key, run.summary["already_done"]
        )
        return run
    try:
        with factory() as session, session.begin():
            summary = JOBS[name].func(session, settings, key) or {}
        status, error = "succeeded", None
        log.info("job %s key %s: %s", name, key, summary)
    except Exception:  # noqa: BLE001 — recorded, logged, and the scheduler keeps running
        summary, status, error = None, "failed", traceback.format_exc(limit=20)
        log.exception("job %s key %s failed", name, key)
    with factory() as session, session.begin():
        stored = session.get(JobRun, run.id)
        stored.status, stored.summary, stored.error, stored.finished_at = (
            status,
            summary,
            error,
            clock.now(),
        )
        run = stored
    return run


def recent_runs(session: Session, limit: int = 200) -> list[JobRun]:
    return list(
        session.scalars(
            select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
        )
    )


# --- the scheduler and its lease ------------------------------------------------------------

LOCK_NAME = "scheduler"
# A leader that stops heartbeating (killed, frozen, cut off) loses the lease after this long.
LEASE = dt.timedelta(seconds=90)
HEARTBEAT_SECONDS = 20.0


class LeaderLock:
    """A lease on one ``scheduler_locks`` row for ``owner``.

    :meth:`acquire` takes the lease when it is free, expired, or already ours (a heartbeat),
    each in its own short transaction; :meth:`release` gives it up. Exactly one of several
    contenders wins: the take-over is one conditional UPDATE, and a first INSERT races on the
    primary key.
    """

    def __init__(
        self,
        engine: Engine,
        owner: str | None = None,
        *,
        name: str = LOCK_NAME,
        lease: dt.timedelta = LEASE,
    ):
        self.engine = engine
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.name = name
        self.lease = lease

    def acquire(self) -> bool:
        """Take or extend the lease; True when this owner holds it afterwards."""
        now = clock.now()
        table = SchedulerLock.__table__
        values = {"owner": self.owner, "heartbeat_at": now, "expires_at": now + self.lease}
        with self.engine.begin() as conn:
            ours = conn.execute(
                update(table)
                .where(table.c.name == self.name, table.c.owner == self.owner)
                .values(**values)
            ).rowcount
            if ours:
                return True
            taken = conn.execute(
                update(table)
                .where(table.c.name == self.name, table.c.expires_at < now)
                .values(acquired_at=now, **values)
            ).rowcount
            if taken:
                log.info("scheduler lease %s taken over by %s", self.name, self.owner)
                return True
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(table).values(name=self.name, acquired_at=now, **values))
        except IntegrityError:
            return False
        log.info("scheduler lease %s taken by %s", self.name, self.owner)
        return True

    def holds(self) -> bool:
        """Whether this owner holds an unexpired lease now (read only)."""
        table = SchedulerLock.__table__
        with self.engine.connect() as conn:
            row = conn.execute(
                select(table.c.owner, table.c.expires_at).where(table.c.name == self.name)
            ).first()
        return row is not None and row.owner == self.owner and row.expires_at > clock.now()

    def release(self) -> None:
        """Give the lease up at once (a clean shutdown), so a standby takes over without waiting."""
        table = SchedulerLock.__table__
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.name == self.name, table.c.owner == self.owner)
                .values(expires_at=clock.now() - dt.timedelta(seconds=1))
            )


def lease_holder(session: Session, name: str = LOCK_NAME) -> SchedulerLock | None:
    """The scheduler lease as stored (who holds it, last heartbeat, expiry), or None if no
    scheduler ever ran. Expired when ``expires_at`` is past: no scheduler is running jobs."""
    return session.get(SchedulerLock, name)


def _scheduled(name: str) -> None:
    """Entry point APScheduler calls (a module-level function, so the job store can pickle it)."""
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        run_job(make_session_factory(engine), settings, name)
    finally:
        engine.dispose()


class SchedulerRunner:
    """APScheduler started only while this runner holds the :class:`LeaderLock`.

    :meth:`tick` is one step: acquire or extend the lease, start APScheduler when it was just
    won, stop it when it was lost. :meth:`run` ticks every ``HEARTBEAT_SECONDS`` until
    :meth:`stop`. ``jobstore`` is APScheduler's store ("sqlalchemy": the application database;
    "memory" for tests).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        owner: str | None = None,
        lease: dt.timedelta = LEASE,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        jobstore: str = "sqlalchemy",
    ):
        self.settings = settings
        self._own_engine = engine is None
        self.engine = engine or make_engine(settings.database_url)
        self.lock = LeaderLock(self.engine, owner, lease=lease)
        self.heartbeat_seconds = heartbeat_seconds
        self.jobstore = jobstore
        self.scheduler = None
        self._stop = threading.Event()

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    def _start_scheduler(self) -> None:
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        import emc.jobs  # noqa: F401  (registers every job)

        store = (
            MemoryJobStore()
            if self.jobstore == "memory"
            else SQLAlchemyJobStore(engine=self.engine, tablename="apscheduler_jobs")
        )
        scheduler = BackgroundScheduler(
            jobstores={"default": store},
            timezone=ZoneInfo(self.settings.timezone),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        for entry in JOBS.values():
            scheduler.add_job(
                _scheduled,
                "cron",
                args=[entry.name],
                id=entry.name,
                replace_existing=True,
                **entry.cron,
            )
        scheduler.start()
        self.scheduler = scheduler
        log.info("scheduler %s runs jobs: %s", self.lock.owner, ", ".join(sorted(JOBS)))

    def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    def tick(self) -> bool:
        """One heartbeat: returns whether this runner is the one running jobs afterwards."""
        try:
            leader = self.lock.acquire()
        except Exception:  # noqa: BLE001 — a database hiccup: stand down, try again next tick
            log.exception("scheduler lease check failed")
            leader = False
        if leader and self.scheduler is None:
            try:
                self._start_scheduler()
            except Exception:  # noqa: BLE001 — give the lease up so another scheduler can run
                log.exception("scheduler %s could not start: releasing the lease", self.lock.owner)
                self.lock.release()
                return False
        elif not leader and self.scheduler is not None:
            log.warning("scheduler %s lost its lease: standing by", self.lock.owner)
            self._stop_scheduler()
        return leader

    def run(self) -> None:
        """Tick until :meth:`stop`; on the way out stop APScheduler and release the lease."""
        waiting_logged = False
        try:
            while not self._stop.is_set():
                if not self.tick() and not waiting_logged:
                    log.info("another scheduler holds the lease: %s stands by", self.lock.owner)
                    waiting_logged = True
                self._stop.wait(self.heartbeat_seconds)
        finally:
            self.shutdown()

    def start_in_background(self) -> threading.Thread:
        """Run on a daemon thread (``emc serve``): the web server's process exits as usual."""
        thread = threading.Thread(target=self.run, name="emc-scheduler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def shutdown(self) -> None:
        was_leader = self.scheduler is not None
        self._stop_scheduler()
        if was_leader:
            try:
                self.lock.release()
            except Exception:  # noqa: BLE001 — the lease then simply expires
                log.exception("could not release the scheduler lease")
        if self._own_engine:
            self.engine.dispose()


def run_scheduler(settings: Settings) -> None:
    """Run the scheduler in the foreground until interrupted (``emc scheduler``)."""
    runner = SchedulerRunner(settings)
    try:
        runner.run()
    except KeyboardInterrupt:
        runner.stop()


def start_in_process(settings: Settings) -> SchedulerRunner:
    """Start a scheduler on a background thread of this process (``emc serve``). It runs jobs
    only while no other scheduler holds the lease."""
    runner = SchedulerRunner(settings)
    runner.start_in_background()
    return runner

"""Background jobs: the one registry, an idempotent runner, and the APScheduler process.

``emc scheduler`` runs :func:`run_scheduler` as its own process — never inside web workers —
with APScheduler's job store in the application database (table ``apscheduler_jobs``, created
by the migrations like every other table). Each job is a function ``job(session, settings, key)``
that must be idempotent for its key (e.g. the date it processes); :func:`run_job` records every
run in ``job_runs`` and skips a key that already succeeded, so running twice changes nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
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
    select,
)
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


def _scheduled(name: str) -> None:
    """Entry point APScheduler calls (a module-level function, so the job store can pickle it)."""
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        run_job(make_session_factory(engine), settings, name)
    finally:
        engine.dispose()


def run_scheduler(settings: Settings) -> None:
    """Run the scheduler in the foreground until interrupted."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    import emc.jobs  # noqa: F401  (registers every job)

    engine = make_engine(settings.database_url)
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
        timezone=ZoneInfo(settings.timezone),
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
        log.info("scheduled %s (%s)", entry.name, entry.cron)
    try:
        scheduler.start()
    finally:
        engine.dispose()

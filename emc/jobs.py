"""The background jobs, registered with ``emc.scheduler.job``. Each is idempotent for its key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.auth.models import Role, User
from emc.config import Settings
from emc.contracts.finance import LineSource, Party
from emc.contracts.models import EmcProject, LineStatus, PaymentLine
from emc.i18n import N_
from emc.notifications.service import given_reminders, notify, send_pending_email
from emc.scheduler import job

# How far ahead finance is reminded of a payment falling due.
DUE_SOON_DAYS = 7


@job(
    "send_email",
    cron={"minute": "*/5"},
    description=N_("E-mail inbox messages (when EMC_SMTP_URL is set)"),
    key_of=lambda local: local.strftime("%Y-%m-%dT%H:%M"),
)
def send_email(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    return {"sent": send_pending_email(session, settings.smtp_url)}


# A digest lists at most this many lines; the finance queue has them all.
DIGEST_LINES = 25


def _week(day: dt.date) -> str:
    week = day.isocalendar()
    return f"{week.year}-W{week.week:02d}"


def _reminded_keys(session: Session, user_ids: list[int], today: dt.date) -> set[str]:
    """The line reminders already given to these users (read from their recent digests)."""
    since = dt.datetime.combine(today - dt.timedelta(days=15), dt.time(), tzinfo=dt.UTC)
    return given_reminders(session, user_ids, kind="payment_digest", since=since)


@job(
    "payment_reminders",
    cron={"hour": 8, "minute": 0},
    description=N_("Remind finance of payment lines due or overdue (one digest a day at most)"),
)
def payment_reminders(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: one digest per finance user of each paying institution,
    listing its unpaid actual lines due within a week or overdue.

    Each line is reminded once while it is due soon and once a week while it is overdue; a day
    brings a digest only when some line has such a reminder due, and never more than one
    message per user and day (dedupe key: institution and date), however many lines there are.
    """
    today = dt.date.fromisoformat(key)
    rows = session.execute(
        select(PaymentLine, EmcProject)
        .join(EmcProject, EmcProject.id == PaymentLine.project_id)
        .where(
            PaymentLine.source == LineSource.ACTUAL,
            PaymentLine.payer == Party.INSTITUTION,
            PaymentLine.status.in_(
                [LineStatus.SCHEDULED, LineStatus.PREPARED, LineStatus.APPROVED]
            ),
            PaymentLine.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS),
            # A period that saved nothing gives a 0.00 line: nothing to pay, nothing to remind.
            PaymentLine.amount != 0,
        )
        .order_by(PaymentLine.due_on, PaymentLine.id)
    ).all()
    by_org: dict[int, list[tuple[PaymentLine, EmcProject]]] = {}
    for line, project in rows:
        by_org.setdefault(project.organization_id, []).append((line, project))
    digests = users_told = due_soon = overdue = 0
    for organization_id, lines in by_org.items():
        users = list(
            session.scalars(
                select(User)
                .where(
                    User.organization_id == organization_id,
                    User.role == Role.FINANCE,
                    User.is_active,
                )
                .order_by(User.id)
            )
        )
        if not users:
            continue
        reminders = [
            f"overdue:{line.id}:{_week(today)}"
            if line.due_on < today
            else f"due:{line.id}:{line.due_on.isoformat()}"
            for line, _project in lines
        ]
        if not set(reminders) - _reminded_keys(session, [u.id for u in users], today):
            continue
        late = [(line, project) for line, project in lines if line.due_on < today]
        items = [
            {
                "state": {"msgid": N_("Overdue") if line.due_on < today else N_("Due soon")},
                "project": project.name,
                "amount": f"{line.amount:,.2f}",
                "due": line.due_on.isoformat(),
            }
            for line, project in lines[:DIGEST_LINES]
        ]
        created = notify(
            session,
            users,
            kind="payment_digest",
            dedupe_key=f"payment-digest:{organization_id}:{today.isoformat()}",
            subject=N_("Payments: %(overdue)s overdue, %(due)s due within %(days)s days"),
            body=N_(
                "Unpaid payment lines that need finance's action:\n%(lines)s\n"
                "%(more)s lines in all: the payment queue lists every one."
            ),
            link="/finance/queue",
            params={
                "overdue": len(late),
                "due": len(lines) - len(late),
                "days": DUE_SOON_DAYS,
                "more": len(lines),
                "lines": {
                    "msgid": N_("%(state)s: %(project)s, %(amount)s yuan, due %(due)s"),
                    "each": items,
                },
                "reminders": reminders,
            },
        )
        digests += bool(created)
        users_told += len(created)
        overdue += len(late)
        due_soon += len(lines) - len(late)
    return {
        "lines_checked": len(rows),
        "digests": digests,
        "users_notified": users_told,
        "overdue_lines": overdue,
        "due_soon_lines": due_soon,
    }


@job(
    "programme_snapshot",
    cron={"hour": 1, "minute": 30},
    description=N_("Store per-region programme aggregates for trend charts"),
)
def programme_snapshot(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: per-region counts, investment and verified savings as of
    that date. Replaces that date's rows, so a forced re-run stores the same figures."""
    from emc.programme.service import take_snapshot

    return take_snapshot(session, dt.date.fromisoformat(key))


@job(
    "mv_drafts",
    cron={"hour": 3, "minute": 30},
    description=N_("Draft M&V reports for periods whose meter data are complete"),
)
def mv_drafts(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: draft the report of every complete reporting period that has
    none yet (idempotent by period: a period with any report is skipped)."""
    from emc.mv.jobs import draft_due_reports

    return draft_due_reports(session, dt.date.fromisoformat(key))


@job(
    "mv_reminders",
    cron={"hour": 8, "minute": 15},
    description=N_("Remind both parties of overdue M&V reports; mark reports whose data changed"),
)
def mv_reminders(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: one digest per user of overdue reports (ESCO admins and
    engineers, the institution's energy managers; each period weekly), and staleness of
    submitted or accepted reports whose meter data changed (both parties told once)."""
    from emc.mv.jobs import mark_stale_reports, remind_overdue

    return {
        **remind_overdue(session, dt.date.fromisoformat(key)),
        **mark_stale_reports(session),
    }


# The savings watch registers its own nightly job.
import emc.watch.jobs  # noqa: E402,F401


@job(
    "reading_partitions",
    cron={"hour": 2, "minute": 10},
    description=N_("Create the monthly partitions of meter readings ahead (PostgreSQL)"),
)
def reading_partitions(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: the partitions of its month and the next three, and of any
    month still held by the default partition (see :mod:`emc.facilities.partitions`)."""
    from emc.facilities.partitions import ensure_partitions

    return {"created": ensure_partitions(session, dt.date.fromisoformat(key))}

"""The background jobs, registered with ``emc.scheduler.job``. Each is idempotent for its key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.auth.models import Organization, Role, User
from emc.config import Settings
from emc.contracts.finance import LineSource, Party
from emc.contracts.models import EmcProject, LineStatus, PaymentLine
from emc.i18n import N_
from emc.notifications.service import notify, send_pending_email
from emc.scheduler import job

# How far ahead finance is reminded of a payment falling due.
DUE_SOON_DAYS = 7


@job(
    "send_email",
    cron={"minute": "*/5"},
    description="E-mail inbox messages (when EMC_SMTP_URL is set)",
    key_of=lambda local: local.strftime("%Y-%m-%dT%H:%M"),
)
def send_email(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    return {"sent": send_pending_email(session, settings.smtp_url)}


@job(
    "payment_reminders",
    cron={"hour": 8, "minute": 0},
    description="Remind finance of payment lines due or overdue",
)
def payment_reminders(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: remind the paying institution's finance users once of each
    actual line due within a week, and once a week of each line that is overdue and unpaid."""
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
        )
        .order_by(PaymentLine.due_on, PaymentLine.id)
    ).all()
    finance_by_org: dict[int, list[User]] = {}
    due_soon = overdue = 0
    for line, project in rows:
        users = finance_by_org.get(project.organization_id)
        if users is None:
            users = list(
                session.scalars(
                    select(User)
                    .join(Organization, Organization.id == User.organization_id)
                    .where(
                        User.organization_id == project.organization_id,
                        User.role == Role.FINANCE,
                        User.is_active,
                    )
                )
            )
            finance_by_org[project.organization_id] = users
        params = {
            "project": project.name,
            "amount": f"{line.amount:,.2f}",
            "due": line.due_on.isoformat(),
        }
        if line.due_on < today:
            week = today.isocalendar()
            created = notify(
                session,
                users,
                kind="payment_overdue",
                dedupe_key=f"payment-overdue:{line.id}:{week.year}-W{week.week}",
                subject=N_("Overdue payment: %(project)s, %(amount)s yuan, due %(due)s"),
                body=N_(
                    "A payment line of %(amount)s yuan for %(project)s was due on %(due)s and is not paid."
                ),
                link=f"/projects/{project.id}",
                params=params,
            )
            overdue += bool(created)
        else:
            created = notify(
                session,
                users,
                kind="payment_due",
                dedupe_key=f"payment-due:{line.id}:{line.due_on.isoformat()}",
                subject=N_("Payment due: %(project)s, %(amount)s yuan on %(due)s"),
                body=N_("A payment line of %(amount)s yuan for %(project)s falls due on %(due)s."),
                link=f"/projects/{project.id}",
                params=params,
            )
            due_soon += bool(created)
    return {"lines_checked": len(rows), "due_soon_reminded": due_soon, "overdue_reminded": overdue}


@job(
    "programme_snapshot",
    cron={"hour": 1, "minute": 30},
    description="Store per-region programme aggregates for trend charts",
)
def programme_snapshot(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: per-region counts, investment and verified savings as of
    that date. Replaces that date's rows, so a forced re-run stores the same figures."""
    from emc.programme.service import take_snapshot

    return take_snapshot(session, dt.date.fromisoformat(key))


@job(
    "mv_drafts",
    cron={"hour": 3, "minute": 30},
    description="Draft M&V reports for periods whose meter data are complete",
)
def mv_drafts(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: draft the report of every complete reporting period that has
    none yet (idempotent by period: a period with any report is skipped)."""
    from emc.mv.jobs import draft_due_reports

    return draft_due_reports(session, dt.date.fromisoformat(key))


@job(
    "mv_reminders",
    cron={"hour": 8, "minute": 15},
    description="Remind both parties of overdue M&V reports; mark reports whose data changed",
)
def mv_reminders(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: weekly reminders of overdue reports (ESCO admins and
    engineers, the institution's energy managers), and staleness of submitted or accepted
    reports whose meter data changed (both parties told once)."""
    from emc.mv.jobs import mark_stale_reports, remind_overdue

    return {
        **remind_overdue(session, dt.date.fromisoformat(key)),
        **mark_stale_reports(session),
    }


# The savings watch registers its own nightly job.
import emc.watch.jobs  # noqa: E402,F401

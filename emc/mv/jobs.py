"""Background M&V work (registered as jobs in ``emc.jobs``): drafting reports whose data are
complete, reminding the parties of overdue reports, and marking reports whose data changed.

Each is idempotent: a period that has a report (of any status) is never drafted again, and the
notifications carry dedupe keys (overdue periods: one digest a day at most per user, each period
reminded once a week; staleness: once per report).
Jobs act as the system (journal actor ``None``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.auth.models import Role, User
from emc.contracts.finance.periods import term_end
from emc.contracts.models import SIGNED_STATUSES, EmcProject
from emc.errors import EmcError
from emc.i18n import N_
from emc.labels import last_day_period
from emc.mv import data
from emc.mv.models import Baseline, MvPlan, MvReport, ReportStatus
from emc.mv.service import compute, reports
from emc.mv.service.baselines import approved_baseline
from emc.notifications.service import given_reminders, notify

log = logging.getLogger(__name__)

# A report is overdue this many days after its period ends without being submitted.
OVERDUE_DAYS = 30


def _due_periods(
    session: Session, today: dt.date
) -> Iterator[tuple[EmcProject, MvPlan, Baseline, dt.date, dt.date]]:
    """Every complete reporting period, up to ``today`` and the end of the contract term, of
    every project with a plan and an approved baseline."""
    for plan in session.scalars(select(MvPlan).order_by(MvPlan.project_id)):
        baseline = approved_baseline(session, plan.project_id)
        if baseline is None:
            continue
        project = session.get(EmcProject, plan.project_id)
        if project.status not in SIGNED_STATUSES:
            continue  # no report before the contract is signed (reports.require_signed)
        try:
            terms = compute.contract_terms(session, project)
        except EmcError:
            continue
        first = max(baseline.end_date, project.operation_start_on or baseline.end_date)
        first = max(first, terms.start_date)
        until = min(today, term_end(terms.start_date, terms.term_years))
        for start, end in data.reporting_periods(first, plan.reporting_frequency.months, until):
            yield project, plan, baseline, start, end


def _reports_of(session: Session, project_id: int, start: dt.date) -> list[MvReport]:
    return list(
        session.scalars(
            select(MvReport).where(
                MvReport.project_id == project_id, MvReport.period_start == start
            )
        )
    )


def _esco_users(session: Session, project: EmcProject) -> list[User]:
    if project.esco_organization_id is None:
        return []
    return list(
        session.scalars(
            select(User).where(
                User.organization_id == project.esco_organization_id,
                User.role.in_([Role.ADMIN, Role.ENGINEER]),
                User.is_active,
            )
        )
    )


def _energy_managers(session: Session, project: EmcProject) -> list[User]:
    return list(
        session.scalars(
            select(User).where(
                User.organization_id == project.organization_id,
                User.role == Role.ENERGY_MANAGER,
                User.is_active,
            )
        )
    )


def draft_due_reports(session: Session, today: dt.date) -> dict[str, Any]:
    """Draft the report of every due period whose meter and weather data are complete and
    that has no report yet; tell the ESCO's users a draft is ready."""
    drafted = incomplete = failed = 0
    for project, _plan, baseline, start, end in _due_periods(session, today):
        if _reports_of(session, project.id, start):
            continue
        inputs = compute.report_inputs(session, baseline.models, start, end)
        if not all(i.complete for i in inputs):
            incomplete += 1
            continue
        try:
            report = reports.create_draft(session, None, project, baseline, start, end)
        except EmcError as error:
            log.warning("project %s: cannot draft %s – %s: %s", project.id, start, end, error)
            failed += 1
            continue
        drafted += 1
        notify(
            session,
            _esco_users(session, project),
            kind="mv_draft",
            dedupe_key=f"mv-draft:{report.id}",
            subject=N_("M&V report drafted: %(project)s, %(start)s to %(end)s"),
            body=N_(
                "A draft M&V report of %(project)s for %(start)s to %(end)s was computed from "
                "complete meter data. Review and submit it."
            ),
            link=f"/projects/{project.id}/mv/reports/{report.id}",
            params={"project": project.name, **last_day_period(start, end)},
        )
    return {"drafted": drafted, "incomplete": incomplete, "failed": failed}


def _overdue_by_user(
    session: Session, today: dt.date
) -> dict[int, tuple[User, dict[int, tuple[EmcProject, list[tuple[dt.date, dt.date]]]]]]:
    """Per user to remind (the ESCO's admins and engineers, the institution's energy
    managers): their projects' periods ended more than :data:`OVERDUE_DAYS` ago whose report
    is not submitted or accepted, by project."""
    out: dict[int, tuple[User, dict[int, tuple[EmcProject, list[tuple[dt.date, dt.date]]]]]] = {}
    for project, _plan, _baseline, start, end in _due_periods(session, today):
        if end + dt.timedelta(days=OVERDUE_DAYS) > today:
            continue
        statuses = {r.status for r in _reports_of(session, project.id, start)}
        if statuses & {ReportStatus.SUBMITTED, ReportStatus.ACCEPTED}:
            continue
        for user in _esco_users(session, project) + _energy_managers(session, project):
            _user, projects = out.setdefault(user.id, (user, {}))
            projects.setdefault(project.id, (project, []))[1].append((start, end))
    return out


def remind_overdue(session: Session, today: dt.date) -> dict[str, Any]:
    """One digest a day at most per user: every overdue report period of the user's projects
    (ended more than :data:`OVERDUE_DAYS` ago, report not submitted or accepted), listed by
    project, to the ESCO's admins and engineers and the institution's energy managers.

    Each period is reminded once a week; a day brings a user a digest only when one of their
    periods has such a reminder due, and never more than one message per user and day (dedupe
    key: the date), however many periods and projects are overdue. Running twice sends nothing
    new."""
    week = today.isocalendar()
    since = dt.datetime.combine(today - dt.timedelta(days=15), dt.time(), tzinfo=dt.UTC)
    by_user = _overdue_by_user(session, today)
    periods: set[tuple[int, dt.date]] = set()
    reminded = 0
    for user, projects in by_user.values():
        reminders = [
            f"{project_id}:{start.isoformat()}:{week.year}-W{week.week:02d}"
            for project_id, (_project, spans) in projects.items()
            for start, _end in spans
        ]
        periods.update(
            (project_id, start)
            for project_id, (_project, spans) in projects.items()
            for start, _end in spans
        )
        given = given_reminders(session, [user.id], kind="mv_overdue", since=since)
        if not set(reminders) - given:
            continue
        items = [
            {
                "project": project.name,
                "count": len(spans),
                "periods": _periods_text(spans),
            }
            for project, spans in projects.values()
        ]
        only = next(iter(projects)) if len(projects) == 1 else None
        created = notify(
            session,
            [user],
            kind="mv_overdue",
            dedupe_key=f"mv-overdue:{today.isoformat()}",
            subject=N_("Overdue M&V reports: %(count)s periods of %(projects)s projects"),
            body=N_(
                "These M&V reports have not been submitted and accepted %(days)s days after "
                "their period ended:\n%(lines)s"
            ),
            link=f"/projects/{only}/mv" if only is not None else "/todo",
            params={
                "count": sum(len(spans) for _project, spans in projects.values()),
                "projects": len(projects),
                "days": OVERDUE_DAYS,
                "lines": {
                    "msgid": N_("%(project)s: %(count)s periods (%(periods)s)"),
                    "each": items,
                },
                "reminders": reminders,
            },
        )
        reminded += len(created)
    return {"overdue": len(periods), "notified": reminded}


# A digest names at most this many periods of one project (the project's M&V page has all).
DIGEST_PERIODS = 6


def _periods_text(spans: list[tuple[dt.date, dt.date]]) -> str:
    """``2024-01-01–2024-02-01, …`` (ISO dates read the same in every language)."""
    shown = [f"{start.isoformat()}–{end.isoformat()}" for start, end in spans[:DIGEST_PERIODS]]
    return ", ".join(shown) + (", …" if len(spans) > DIGEST_PERIODS else "")


def mark_stale_reports(session: Session) -> dict[str, Any]:
    """Compare the fingerprint of every submitted or accepted report with its current data;
    mark the changed ones stale and tell both parties once."""
    checked = marked = 0
    candidates = session.scalars(
        select(MvReport).where(
            MvReport.status.in_([ReportStatus.SUBMITTED, ReportStatus.ACCEPTED]),
            MvReport.stale_since.is_(None),
        )
    ).all()
    for report in candidates:
        checked += 1
        if not reports.check_staleness(session, report):
            continue
        marked += 1
        project = session.get(EmcProject, report.project_id)
        notify(
            session,
            _esco_users(session, project) + _energy_managers(session, project),
            kind="mv_stale",
            dedupe_key=f"mv-stale:{report.id}",
            subject=N_("M&V report data changed: %(project)s, %(start)s to %(end)s"),
            body=N_(
                "The meter or weather data under the %(status)s M&V report of %(project)s for "
                "%(start)s to %(end)s changed. Its figures are unchanged and marked stale."
            ),
            link=f"/projects/{project.id}/mv/reports/{report.id}",
            params={
                "project": project.name,
                **last_day_period(report.period_start, report.period_end),
                "status": report.status.value,
            },
        )
    return {"checked": checked, "stale": marked}

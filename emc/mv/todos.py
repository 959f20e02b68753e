"""To-dos of M&V: baselines to approve, reports to submit, accept or dispute, revise, non-routine
adjustments to agree, meter data missing for next month's report, and for the ESCO a plan and
baseline to propose once a project operates and a report to draft once its period has ended.

Each source starts from the actor's scoped projects and keeps only what the actor's own party
does on them (the institution decides, the ESCO proposes and submits), so an ESCO never sees
"accept" for its own report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from emc.auth.actor import Actor
from emc.auth.models import OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import scope_condition, scoped
from emc.contracts.finance.periods import term_end
from emc.contracts.models import SIGNED_STATUSES, EmcProject, ProjectStatus
from emc.errors import EmcError
from emc.facilities.models import Meter, MeterReading, Site
from emc.i18n import N_
from emc.labels import last_day_period
from emc.mv import data
from emc.mv.models import (
    Baseline,
    BaselineStatus,
    MvPlan,
    MvReport,
    MvReportAdjustment,
    Party,
    ReportStatus,
)
from emc.mv.service._common import local_today
from emc.todo import Todo, todo_source

# A report is due this many days after its period ends (emc.mv.jobs.OVERDUE_DAYS).
REPORT_DUE_DAYS = 30

# Options whose savings come from metered readings (A measures a key parameter by spot
# measurement, D imports simulation results): only these meters need monthly data.
_METERED_OPTIONS = frozenset({"B", "C"})


def _party(actor: Actor) -> Party | None:
    if actor.org_kind is OrgKind.INSTITUTION and can(actor, Permission.MV_APPROVE):
        return Party.INSTITUTION
    if actor.org_kind is OrgKind.ESCO and can(actor, Permission.MV_PROPOSE):
        return Party.ESCO
    return None


def _own_projects(actor: Actor, party: Party):
    """The projects on which the actor acts for ``party`` (a subquery of ids)."""
    column = (
        EmcProject.organization_id
        if party is Party.INSTITUTION
        else EmcProject.esco_organization_id
    )
    return (
        scoped(actor, EmcProject)
        .where(column == actor.organization_id)
        .with_only_columns(EmcProject.id)
    )


def _period(report: MvReport) -> dict[str, str]:
    """The report's first and last day: "%(start)s to %(end)s" reads as both days included,
    as the report page shows the period (the stored end is exclusive)."""
    return last_day_period(report.period_start, report.period_end)


@todo_source
def mv_todos(session: Session, actor: Actor) -> Iterator[Todo]:
    party = _party(actor)
    if party is None:
        return
    projects = _own_projects(actor, party)
    names = dict(
        session.execute(
            select(EmcProject.id, EmcProject.name).where(EmcProject.id.in_(projects))
        ).all()
    )
    if not names:
        return
    if party is Party.INSTITUTION:
        for b in session.scalars(
            scoped(actor, Baseline)
            .where(Baseline.project_id.in_(projects), Baseline.status == BaselineStatus.PROPOSED)
            .order_by(Baseline.id)
        ):
            yield Todo(
                kind="baseline.approve",
                title=N_("Approve or reject baseline version %(version)s of %(project)s"),
                link=f"/projects/{b.project_id}/mv/baselines/{b.id}",
                object_key=f"baseline:{b.id}",
                params={"version": b.version, "project": names[b.project_id]},
                project_id=b.project_id,
            )
        for r in session.scalars(
            scoped(actor, MvReport)
            .where(MvReport.project_id.in_(projects), MvReport.status == ReportStatus.SUBMITTED)
            .order_by(MvReport.id)
        ):
            yield Todo(
                kind="report.decide",
                title=N_("Accept or dispute the M&V report of %(project)s, %(start)s to %(end)s"),
                link=f"/projects/{r.project_id}/mv/reports/{r.id}",
                object_key=f"report:{r.id}",
                params={"project": names[r.project_id], **_period(r)},
                project_id=r.project_id,
            )
    else:
        newer = aliased(MvReport)
        for r in session.scalars(
            scoped(actor, MvReport)
            .where(
                MvReport.project_id.in_(projects),
                MvReport.status.in_([ReportStatus.DISPUTED, ReportStatus.DRAFT]),
                # A disputed report already revised as a newer version waits for nobody.
                ~exists().where(newer.supersedes_id == MvReport.id),
            )
            .order_by(MvReport.id)
        ):
            disputed = r.status is ReportStatus.DISPUTED
            yield Todo(
                kind="report.revise" if disputed else "report.submit",
                title=N_("Revise the disputed M&V report of %(project)s, %(start)s to %(end)s")
                if disputed
                else N_(
                    "Review and submit the draft M&V report of %(project)s, %(start)s to %(end)s"
                ),
                link=f"/projects/{r.project_id}/mv/reports/{r.id}",
                object_key=f"report:{r.id}",
                params={"project": names[r.project_id], **_period(r)},
                project_id=r.project_id,
            )
        yield from _esco_turns(session, projects, names)
    # Non-routine adjustments the other party proposed and this party has not agreed yet.
    agreed = (
        MvReportAdjustment.institution_agreed_by_user_id
        if party is Party.INSTITUTION
        else MvReportAdjustment.esco_agreed_by_user_id
    )
    for adjustment, report in session.execute(
        select(MvReportAdjustment, MvReport)
        .join(MvReport, MvReport.id == MvReportAdjustment.report_id)
        .where(
            MvReportAdjustment.project_id.in_(projects),
            MvReportAdjustment.proposed_by_party != party,
            agreed.is_(None),
            MvReport.status.in_([ReportStatus.DRAFT, ReportStatus.SUBMITTED]),
        )
        .order_by(MvReportAdjustment.id)
    ):
        yield Todo(
            kind="adjustment.agree",
            title=N_(
                "Agree to a non-routine adjustment of the M&V report of %(project)s, "
                "%(start)s to %(end)s"
            ),
            link=f"/projects/{report.project_id}/mv/reports/{report.id}",
            object_key=f"mv-adjustment:{adjustment.id}",
            params={"project": names[report.project_id], **_period(report)},
            project_id=report.project_id,
        )
    yield from _missing_data(session, actor, projects, names)


def _esco_turns(session: Session, projects, names) -> Iterator[Todo]:
    """The ESCO's turns that no record waits in yet: an operating project without a plan or a
    proposed or approved baseline (propose them), and a project with an approved baseline
    whose next reporting period has ended without a report (draft it)."""
    from emc.mv.service import compute
    from emc.mv.service.baselines import approved_baseline

    rows = session.execute(
        select(EmcProject, MvPlan)
        .outerjoin(MvPlan, MvPlan.project_id == EmcProject.id)
        .where(EmcProject.id.in_(projects), EmcProject.status.in_(SIGNED_STATUSES))
        .order_by(EmcProject.id)
    ).all()
    today = local_today()
    for project, plan in rows:
        baseline = approved_baseline(session, project.id) if plan is not None else None
        if baseline is None:
            if project.status is not ProjectStatus.OPERATING or not _settles_on_savings(
                session, project
            ):
                continue
            pending = plan is not None and session.scalar(
                select(
                    exists().where(
                        Baseline.project_id == project.id,
                        Baseline.status == BaselineStatus.PROPOSED,
                    )
                )
            )
            if not pending:
                yield Todo(
                    kind="plan.propose",
                    title=N_("Draw up the M&V plan of %(project)s and propose its energy baseline"),
                    link=f"/projects/{project.id}/mv",
                    object_key=f"mv-plan:{project.id}",
                    params={"project": names[project.id]},
                    project_id=project.id,
                )
            continue
        try:
            terms = compute.contract_terms(session, project)
        except EmcError:
            continue  # no contract terms: no reporting periods (the contract page says so)
        first = max(baseline.end_date, project.operation_start_on or baseline.end_date)
        first = max(first, terms.start_date)
        until = min(today, term_end(terms.start_date, terms.term_years))
        periods = data.reporting_periods(first, plan.reporting_frequency.months, until)
        if not periods:
            continue
        reports = session.execute(
            select(MvReport.period_start, MvReport.period_end).where(
                MvReport.project_id == project.id
            )
        ).all()
        for n, (start, end) in enumerate(periods, start=1):
            # Reported when a report covers the whole period: one that stops short of its end
            # leaves days that are neither reported nor paid.
            if any(s <= start and e >= end for s, e in reports):
                continue
            last = end - dt.timedelta(days=1)
            yield Todo(
                kind="report.draft",
                title=N_("Draft M&V report no. %(n)s of %(project)s, %(start)s to %(end)s"),
                # The page's draft form, filled with the period.
                link=f"/projects/{project.id}/mv?period_start={start}&period_last={last}#draft",
                object_key=f"mv-period:{project.id}:{start.isoformat()}",
                params={
                    "n": n,
                    "project": names[project.id],
                    **last_day_period(start, end),
                },
                due_on=end + dt.timedelta(days=REPORT_DUE_DAYS),
                project_id=project.id,
            )
            break  # the next period only: its report comes before the ones after it


def _settles_on_savings(session: Session, project: EmcProject) -> bool:
    """Whether the contract pays on verified savings (a shared-savings or guaranteed-savings
    component): a custody fee or a lease rent needs no M&V plan, nor a project without terms."""
    from emc.contracts import finance
    from emc.mv.service import compute

    try:
        terms = compute.contract_terms(session, project)
    except (EmcError, finance.ContractTermsError):  # no terms, or terms still being written
        return False
    return any(
        isinstance(c, finance.SharedSavingsTerms | finance.GuaranteedSavingsTerms)
        for c in terms.components
    )


def _last_complete_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1)
    return (end - dt.timedelta(days=1)).replace(day=1), end


def _missing_data(session: Session, actor: Actor, projects, names) -> Iterator[Todo]:
    """Boundary meters of an operating project with no reading in the last complete month:
    next month's report cannot be drafted without them. For the users who upload readings."""
    if not can(actor, Permission.FACILITIES_READINGS_IMPORT):
        return
    start, end = _last_complete_month(local_today())
    plans = session.execute(
        select(MvPlan.project_id, MvPlan.boundary)
        .join(EmcProject, EmcProject.id == MvPlan.project_id)
        .where(
            MvPlan.project_id.in_(projects),
            EmcProject.status == ProjectStatus.OPERATING,
            # Reporting starts with operation: a month before it needs no data.
            (EmcProject.operation_start_on.is_(None)) | (EmcProject.operation_start_on < end),
        )
    ).all()
    wanted = {
        int(item["meter_id"]): project_id
        for project_id, boundary in plans
        for item in boundary or []
        if item.get("option") in _METERED_OPTIONS
    }
    if not wanted:
        return
    meters = session.execute(
        select(Meter, Site.timezone)
        .join(Site, Site.id == Meter.site_id)
        .where(Meter.id.in_(list(wanted)), scope_condition(actor, Meter))
        .order_by(Meter.id)
    ).all()
    for meter, timezone in meters:
        zone = ZoneInfo(timezone or "Asia/Shanghai")
        lo = int(dt.datetime.combine(start, dt.time(), zone).timestamp())
        hi = int(dt.datetime.combine(end, dt.time(), zone).timestamp())
        has_data = session.scalar(
            select(
                exists().where(
                    and_(
                        MeterReading.meter_id == meter.id,
                        MeterReading.start_ts >= lo,
                        MeterReading.start_ts < hi,
                    )
                )
            )
        )
        if has_data:
            continue
        project_id = wanted[meter.id]
        yield Todo(
            kind="data.missing",
            title=N_("Upload the readings of meter %(meter)s for %(month)s (%(project)s)"),
            link=f"/meters/{meter.id}",
            object_key=f"meter-month:{meter.id}:{start.isoformat()}",
            params={
                "meter": meter.name,
                "month": start.strftime("%Y-%m"),
                "project": names[project_id],
            },
            due_on=end,
            project_id=project_id,
        )

"""待办: each user sees exactly the actions waiting for them, derived from record state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from emc import clock
from emc.audit.models import AuditStatus, EnergyAudit
from emc.auth.actor import Actor
from emc.auth.models import Organization, User
from emc.contracts.finance import LineKind, LineSource, Party
from emc.contracts.models import EmcProject, LineStatus, PaymentLine, ProjectStatus
from emc.mv.models import MvReport, ReportStatus
from emc.mv.service._common import local_today
from emc.todo import counts_by_kind, todos_for


def actor(session, email: str) -> Actor:
    user = session.scalar(
        select(User).options(selectinload(User.organization)).where(User.email == email)
    )
    return Actor.of(user)


def kinds(session, email: str) -> dict[str, int]:
    return counts_by_kind(todos_for(session, actor(session, email)))


def keys(session, email: str, kind: str) -> set[str]:
    return {t.object_key for t in todos_for(session, actor(session, email)) if t.kind == kind}


def _org(session, name):
    return session.scalar(select(Organization).where(Organization.name_zh == name))


def _line(session, project, *, status, due_on, prepared_by=None, n=0):
    line = PaymentLine(
        project_id=project.id,
        key=f"actual:todo:{n}",
        source=LineSource.ACTUAL,
        kind=LineKind.SHARED_SAVINGS,
        component="main",
        contract_year=1,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 2, 1),
        due_on=due_on,
        payer=Party.INSTITUTION,
        payee=Party.ESCO,
        amount=Decimal("100.00"),
        basis={},
        status=status,
        prepared_by_user_id=prepared_by,
        prepared_at=clock.now() if prepared_by else None,
    )
    session.add(line)
    session.flush()
    return line


def test_a_line_is_approved_by_the_other_finance_user_never_by_its_preparer(db_session):
    school = _org(db_session, "杭州市第一中学")
    project = EmcProject(organization_id=school.id, name="待办测试")
    db_session.add(project)
    db_session.flush()
    preparer = actor(db_session, "finance@school.demo")
    line = _line(
        db_session,
        project,
        status=LineStatus.PREPARED,
        due_on=dt.date(2026, 12, 20),
        prepared_by=preparer.user_id,
    )
    key = f"payment-line:{line.id}"
    assert key in keys(db_session, "finance2@school.demo", "line.approve")
    assert key not in keys(db_session, "finance@school.demo", "line.approve")
    # Nobody outside finance, and no other institution, is asked.
    for email in ("energy@school.demo", "finance@hospital.demo", "engineer@esco.demo"):
        assert key not in {t.object_key for t in todos_for(db_session, actor(db_session, email))}


def test_lines_to_prepare_are_those_due_within_60_days_or_overdue(db_session):
    school = _org(db_session, "杭州市第一中学")
    project = EmcProject(organization_id=school.id, name="待办测试")
    db_session.add(project)
    db_session.flush()
    today = clock.now().date()
    soon = _line(
        db_session, project, status=LineStatus.SCHEDULED, due_on=today + dt.timedelta(days=30)
    )
    late = _line(
        db_session, project, status=LineStatus.SCHEDULED, due_on=today - dt.timedelta(days=5), n=1
    )
    far = _line(
        db_session, project, status=LineStatus.SCHEDULED, due_on=today + dt.timedelta(days=200), n=2
    )
    got = keys(db_session, "finance@school.demo", "line.prepare")
    assert {f"payment-line:{soon.id}", f"payment-line:{late.id}"} <= got
    assert f"payment-line:{far.id}" not in got
    approved = _line(
        db_session, project, status=LineStatus.APPROVED, due_on=today, n=3, prepared_by=None
    )
    assert f"payment-line:{approved.id}" in keys(db_session, "finance@school.demo", "line.pay")


def _set_status(session, report, status):
    session.execute(update(MvReport).where(MvReport.id == report.id).values(status=status))
    session.expire(report)


def test_a_submitted_report_waits_for_the_institution_and_a_disputed_one_for_the_esco(
    db_session,
):
    # The demo's reports are accepted (frozen): move one back by a bulk UPDATE, as a fixture.
    report = db_session.scalar(select(MvReport).order_by(MvReport.id.desc()).limit(1))
    _set_status(db_session, report, ReportStatus.SUBMITTED)
    key = f"report:{report.id}"
    assert key in keys(db_session, "energy@school.demo", "report.decide")
    assert key in keys(db_session, "admin@school.demo", "report.decide")
    assert key not in keys(db_session, "viewer@school.demo", "report.decide")
    # The ESCO never accepts its own report.
    assert not any(
        t.object_key == key for t in todos_for(db_session, actor(db_session, "engineer@esco.demo"))
    )
    # Its period reads as on the report page: first and last day (the stored end is exclusive).
    todo = next(
        t
        for t in todos_for(db_session, actor(db_session, "energy@school.demo"))
        if t.object_key == key
    )
    last = report.period_end - dt.timedelta(days=1)
    assert (todo.params["start"], todo.params["end"]) == (
        report.period_start.isoformat(),
        last.isoformat(),
    )
    _set_status(db_session, report, ReportStatus.DISPUTED)
    assert key in keys(db_session, "engineer@esco.demo", "report.revise")
    assert key not in keys(db_session, "energy@school.demo", "report.decide")
    assert key not in keys(db_session, "engineer@esco2.demo", "report.revise")


def test_a_submitted_audit_waits_for_the_institution_a_returned_one_for_the_auditor(db_session):
    audit = db_session.scalar(select(EnergyAudit).order_by(EnergyAudit.id).limit(1))
    audit.status = AuditStatus.SUBMITTED
    db_session.flush()
    key = f"audit:{audit.id}"
    assert key in keys(db_session, "energy@school.demo", "audit.decide")
    assert key not in {
        t.object_key for t in todos_for(db_session, actor(db_session, "auditor@auditor.demo"))
    }
    audit.status = AuditStatus.RETURNED
    db_session.flush()
    assert key in keys(db_session, "auditor@auditor.demo", "audit.revise")
    assert key not in keys(db_session, "energy@school.demo", "audit.decide")


def test_agencies_and_viewers_have_nothing_to_do(db_session):
    for email in ("officer@zhejiang.demo", "viewer@school.demo", "viewer@esco.demo"):
        assert kinds(db_session, email) == {}


def test_home_and_todo_pages_show_the_users_actions_with_counts(login_as, db_session):
    school = _org(db_session, "杭州市第一中学")
    project = EmcProject(organization_id=school.id, name="待办页面测试")
    db_session.add(project)
    db_session.flush()
    preparer = actor(db_session, "finance@school.demo")
    _line(
        db_session,
        project,
        status=LineStatus.PREPARED,
        due_on=clock.now().date(),
        prepared_by=preparer.user_id,
    )
    c = login_as("finance2@school.demo")
    home = c.get("/").get_data(as_text=True)
    assert 'data-testid="home-todo"' in home and 'data-testid="todo-count"' in home
    assert "将在此显示" not in home and "appear here" not in home
    assert 'data-testid="home-project"' in home
    page = c.get("/todo").get_data(as_text=True)
    assert page.count('data-testid="todo"') > 0 and "待审批的款项" in page
    only = c.get("/todo?kind=line.approve").get_data(as_text=True)
    assert 'data-kind="line.prepare"' not in only.split('data-testid="todo-list"')[1]


def test_agency_home_shows_its_regions_progress(login_as):
    page = login_as("officer@zhejiang.demo").get("/").get_data(as_text=True)
    assert 'data-testid="region-progress"' in page and "核定节能量" in page


def test_a_boundary_meter_without_last_months_data_is_a_to_do_for_both_uploaders(db_session):
    from emc.facilities.models import Meter, MeterReading, ProjectSite, Site
    from emc.mv.models import MvPlan

    school = _org(db_session, "杭州市第一中学")
    esco = _org(db_session, "绿能节能服务有限公司")
    site = db_session.scalar(
        select(Site).where(Site.organization_id == school.id).order_by(Site.id)
    )
    meter = db_session.scalar(select(Meter).where(Meter.site_id == site.id).order_by(Meter.id))
    project = EmcProject(
        organization_id=school.id,
        esco_organization_id=esco.id,
        name="数据缺失测试",
        status=ProjectStatus.OPERATING,
        operation_start_on=dt.date(2024, 1, 1),
    )
    db_session.add(project)
    db_session.flush()
    db_session.add(ProjectSite(project_id=project.id, site_id=site.id))
    db_session.add(
        MvPlan(
            project_id=project.id,
            boundary=[{"meter_id": meter.id, "option": "B"}],
            method="daily",
            baseline_start=dt.date(2023, 1, 1),
            baseline_end=dt.date(2024, 1, 1),
            reporting_frequency="monthly",
        )
    )
    # No reading in last month (clear any the demo holds there).
    today = local_today()
    end = today.replace(day=1)
    start = (end - dt.timedelta(days=1)).replace(day=1)
    zone = ZoneInfo(site.timezone)
    lo = int(dt.datetime.combine(start, dt.time(), zone).timestamp())
    hi = int(dt.datetime.combine(end, dt.time(), zone).timestamp())
    db_session.execute(
        delete(MeterReading).where(
            MeterReading.meter_id == meter.id,
            MeterReading.start_ts >= lo,
            MeterReading.start_ts < hi,
        )
    )
    db_session.flush()
    key = f"meter-month:{meter.id}:{start.isoformat()}"
    assert key in keys(db_session, "energy@school.demo", "data.missing")
    assert key in keys(db_session, "engineer@esco.demo", "data.missing")
    assert key not in keys(db_session, "viewer@school.demo", "data.missing")
    assert key not in keys(db_session, "engineer@esco2.demo", "data.missing")
    # One reading in the month and the to-do is gone.
    db_session.add(MeterReading(meter_id=meter.id, start_ts=lo, value=1.0, quality="ok"))
    db_session.flush()
    assert key not in keys(db_session, "energy@school.demo", "data.missing")


def test_an_amendment_waits_for_each_party_that_has_not_agreed_yet(db_session):
    from emc.contracts.finance import ContractType
    from emc.contracts.models import AmendmentStatus, Contract, ContractAmendment

    school = _org(db_session, "杭州市第一中学")
    esco = _org(db_session, "绿能节能服务有限公司")
    project = EmcProject(
        organization_id=school.id,
        esco_organization_id=esco.id,
        name="变更测试",
        status=ProjectStatus.OPERATING,
    )
    db_session.add(project)
    db_session.flush()
    contract = Contract(
        project_id=project.id, contract_type=ContractType.SHARED_SAVINGS, terms={}, version=1
    )
    db_session.add(contract)
    db_session.flush()
    proposer = actor(db_session, "admin@school.demo")
    amendment = ContractAmendment(
        contract_id=contract.id,
        number=1,
        reason="扩大范围",
        status=AmendmentStatus.PROPOSED,
        terms_before={},
        terms_after={},
        base_version=1,
        proposed_by_user_id=proposer.user_id,
        institution_agreed_by_user_id=proposer.user_id,
        institution_agreed_at=clock.now(),
    )
    db_session.add(amendment)
    db_session.flush()
    key = f"amendment:{amendment.id}"
    assert key in keys(db_session, "admin@esco.demo", "amendment.agree")
    assert key not in keys(db_session, "engineer@esco.demo", "amendment.agree")  # may not agree
    assert key not in keys(db_session, "admin@school.demo", "amendment.agree")  # proposed it
    amendment.esco_agreed_by_user_id = actor(db_session, "admin@esco.demo").user_id
    db_session.flush()
    assert key not in keys(db_session, "admin@esco.demo", "amendment.agree")


def test_a_zero_line_asks_for_no_payment(db_session):
    """制单：一中暖通空调节能改造，0.00 元: a month that saved nothing gave a line to prepare,
    approve and pay with a bank reference."""
    school = _org(db_session, "杭州市第一中学")
    project = EmcProject(organization_id=school.id, name="零元测试")
    db_session.add(project)
    db_session.flush()
    today = clock.now().date()
    zero = _line(db_session, project, status=LineStatus.SCHEDULED, due_on=today)
    zero.amount = Decimal("0.00")
    paid = _line(db_session, project, status=LineStatus.SCHEDULED, due_on=today, n=1)
    db_session.flush()
    prepare = keys(db_session, "finance@school.demo", "line.prepare")
    assert f"payment-line:{paid.id}" in prepare and f"payment-line:{zero.id}" not in prepare


def test_an_overdue_todo_is_marked_on_the_home_page_and_the_list(db_session, login_as):
    """Items due 2026-08-12 showed only the date on 2026-12-08; the queue said 已逾期."""
    school = _org(db_session, "杭州市第一中学")
    project = EmcProject(organization_id=school.id, name="逾期测试")
    db_session.add(project)
    db_session.flush()
    today = clock.now().date()
    _line(db_session, project, status=LineStatus.SCHEDULED, due_on=today - dt.timedelta(days=90))
    client = login_as("finance@school.demo")
    for url in ("/", "/todo"):
        html = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        assert 'data-testid="todo-overdue"' in html and "已逾期" in html, url

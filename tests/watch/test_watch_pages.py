"""The watch pages in the browser's terms: the chart, the forecast and the events in Chinese,
a dismissal through the form, the open event on the report page, the quota pages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from watch_support import approved_project

from emc.mv.service import reports
from emc.watch.models import EventScope, EventStatus, SuspectedEvent
from emc.watch.service import run_nightly


def _setup(db_session):
    ids = approved_project(db_session)
    run_nightly(db_session, dt.date(2024, 7, 1))
    event = db_session.scalars(
        select(SuspectedEvent)
        .where(
            SuspectedEvent.project_id == ids["project"],
            SuspectedEvent.scope == EventScope.REPORTING,
        )
        .order_by(SuspectedEvent.start_date)
    ).first()
    db_session.commit = db_session.flush  # the app commits into the test's transaction
    return ids, event


def test_watch_page_shows_chart_forecast_and_events_in_chinese(db_session, login_as):
    ids, event = _setup(db_session)
    page = login_as("energy@school.demo").get(f"/projects/{ids['project']}/watch")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="watch-chart"' in html and "<script" not in html.split("<main")[-1]
    assert "节能持续性" in html and "节能量不足预警" in html and "疑似非常规事件" in html
    assert f'id="event-{event.id}"' in html


def test_either_party_dismisses_through_the_form(db_session, login_as):
    ids, event = _setup(db_session)
    client = login_as("engineer@esco.demo")
    response = client.post(
        f"/projects/{ids['project']}/watch/events/{event.id}/dismiss",
        data={"reason": "", "version": str(event.version)},
    )
    assert response.status_code == 422 and "排除信息有误" in response.get_data(as_text=True)
    response = client.post(
        f"/projects/{ids['project']}/watch/events/{event.id}/dismiss",
        data={"reason": "暑假", "version": str(event.version)},
    )
    assert response.status_code == 302
    db_session.refresh(event)
    assert event.status is EventStatus.DISMISSED and event.reason == "暑假"


def test_the_report_page_shows_an_unadjudicated_event_before_submission(db_session, login_as):
    ids, event = _setup(db_session)
    start = event.start_date.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    report = reports.draft_report(
        db_session, ids["engineer"], ids["project"], period_start=start, period_end=end
    )
    html = (
        login_as("engineer@esco.demo")
        .get(f"/projects/{ids['project']}/mv/reports/{report.id}")
        .get_data(as_text=True)
    )
    assert 'data-testid="watch-open-events"' in html and str(event.start_date) in html


def test_quota_pages_for_the_institution_and_the_agency(db_session, login_as):
    _setup(db_session)
    school = login_as("energy@school.demo")
    page = school.get("/watch/quota", follow_redirects=True)
    assert page.status_code == 200 and "全年能耗预测与定额对比" in page.get_data(as_text=True)
    agency = login_as("officer@zhejiang.demo").get("/watch/quota")
    assert agency.status_code == 200 and "能耗预警" in agency.get_data(as_text=True)


def test_the_agency_page_names_the_month_it_shows(db_session, login_as):
    """It read "本月…" over the warnings of 2024-10 in 2026-12: the count names its month, and
    a page showing the latest month with a warning says so."""
    from emc.auth.models import Organization
    from emc.watch.models import WarningKind, WatchWarning

    school = db_session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    db_session.add(
        WatchWarning(
            kind=WarningKind.QUOTA,
            subject_key=f"organization:{school.id}",
            month="2024-10",
            organization_id=school.id,
            forecast=300000.0,
            low=290000.0,
            high=310000.0,
            threshold=281200.0,
            probability=0.9,
            unit="kgce",
            details={},
        )
    )
    db_session.flush()
    latest = db_session.scalar(
        select(func.max(WatchWarning.month)).where(WatchWarning.kind == WarningKind.QUOTA)
    )
    assert latest == "2024-10"
    page = login_as("officer@zhejiang.demo").get("/watch/quota").get_data(as_text=True)
    count = page.split('data-testid="quota-at-risk-count">', 1)[1].split("</p>", 1)[0]
    assert "本月" not in count and count.startswith("2024-10，本地区")
    assert 'data-testid="quota-latest-month"' in page  # 2024-10 is not the current month
    chosen = login_as("officer@zhejiang.demo").get("/watch/quota?month=2020-01")
    text = chosen.get_data(as_text=True)
    assert (
        "2020-01 没有存在风险的公共机构" in text and 'data-testid="quota-latest-month"' not in text
    )


def test_the_quota_page_names_buildings_without_a_quota(db_session, login_as):
    """No verdict without the whole quota: the page says which building lacks one."""
    from emc.audit.models import EnergyQuota
    from emc.facilities.models import BuildingType

    db_session.execute(
        EnergyQuota.__table__.delete().where(EnergyQuota.building_type == BuildingType.SPORTS)
    )
    html = login_as("energy@school.demo").get("/watch/quota", follow_redirects=True)
    text = html.get_data(as_text=True)
    assert 'data-testid="quota-incomplete"' in text
    assert "体育馆 没有适用的定额" in text and 'data-testid="quota-at-risk"' not in text

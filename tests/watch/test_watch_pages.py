"""The watch pages in the browser's terms: the chart, the forecast and the events in Chinese,
a dismissal through the form, the open event on the report page, the quota pages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
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

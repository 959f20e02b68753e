"""Suspected events: either party dismisses with a reason or converts into a non-routine
adjustment proposal (the M&V both-parties workflow); the pages show open events; savings at
risk from missing data reach the payment line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from watch_support import approved_project

from emc.contracts import finance
from emc.contracts.models import PaymentLine
from emc.errors import Conflict, Forbidden, Invalid
from emc.facilities import rollup
from emc.facilities.models import MeterReading
from emc.mv.models import MvReportAdjustment
from emc.mv.service import reports
from emc.todo import todos_for
from emc.watch import service
from emc.watch.models import (
    EventScope,
    EventStatus,
    MissingDaysPolicy,
    SuspectedEvent,
    WatchSettings,
)
from emc.watch.service import run_nightly


@pytest.fixture
def watched(db_session):
    ids = approved_project(db_session)
    run_nightly(db_session, dt.date(2024, 7, 1))
    ids["event"] = db_session.scalars(
        select(SuspectedEvent)
        .where(
            SuspectedEvent.project_id == ids["project"],
            SuspectedEvent.scope == EventScope.REPORTING,
        )
        .order_by(SuspectedEvent.start_date)
    ).first()
    assert ids["event"] is not None
    return ids


def test_either_party_sees_the_open_event_as_a_todo(watched, db_session):
    for who in ("engineer", "energy"):
        kinds = {t.kind for t in todos_for(db_session, watched[who])}
        assert "watch.event" in kinds


def test_dismissal_needs_a_reason_and_closes_the_event(watched, db_session):
    event = watched["event"]
    with pytest.raises(Invalid):
        service.dismiss_event(
            db_session, watched["energy"], watched["project"], event.id, reason=" "
        )
    service.dismiss_event(
        db_session,
        watched["energy"],
        watched["project"],
        event.id,
        reason="Summer term timetable",
        version=event.version,
    )
    assert event.status is EventStatus.DISMISSED and event.decided_by_party == "institution"
    with pytest.raises(Conflict):
        service.dismiss_event(
            db_session, watched["engineer"], watched["project"], event.id, reason="x"
        )
    assert "watch.event" not in {
        t.kind
        for t in todos_for(db_session, watched["engineer"])
        if t.object_key == f"watch_event:{event.id}"
    }


def test_a_stale_version_is_a_conflict(watched, db_session):
    event = watched["event"]
    with pytest.raises(Conflict):
        service.dismiss_event(
            db_session, watched["energy"], watched["project"], event.id, reason="r", version=99
        )


def test_conversion_proposes_an_adjustment_prefilled_with_the_estimated_effect(watched, db_session):
    event = watched["event"]
    with pytest.raises(Conflict):  # no draft report covers it yet
        service.convert_event(db_session, watched["engineer"], watched["project"], event.id)
    start = event.start_date.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    report = reports.draft_report(
        db_session, watched["engineer"], watched["project"], period_start=start, period_end=end
    )
    adjustment = service.convert_event(
        db_session, watched["engineer"], watched["project"], event.id
    )
    assert isinstance(adjustment, MvReportAdjustment) and adjustment.report_id == report.id
    days = (end - max(event.start_date, start)).days
    assert adjustment.amount == (event.change_per_day * days).quantize(Decimal("0.001"))
    assert adjustment.esco_agreed_at is not None and adjustment.institution_agreed_at is None
    assert event.status is EventStatus.CONVERTED and event.adjustment_id == adjustment.id
    # The institution then agrees through the M&V workflow.
    reports.agree_adjustment(db_session, watched["energy"], report.id, adjustment.id)
    assert adjustment.agreed


def test_a_viewer_cannot_decide(watched, db_session):
    from test_mv_support import actor

    viewer = actor(db_session, "viewer@school.demo")
    with pytest.raises(Forbidden):
        service.dismiss_event(
            db_session, viewer, watched["project"], watched["event"].id, reason="r"
        )


def test_savings_at_risk_from_missing_days_are_carried_onto_the_payment_line(db_session):
    ids = approved_project(db_session, months=2, fade_on=None)
    db_session.add(
        WatchSettings(
            project_id=ids["project"],
            shortfall_probability=0.5,
            missing_days=MissingDaysPolicy.UNPAID,
        )
    )
    # Three days of January lost (readings deleted): few enough for CalTRACK sufficiency (at
    # most 10 % of the days missing), so the report is submitted and the gap is carried.
    lo = int(dt.datetime(2024, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
    db_session.execute(
        delete(MeterReading).where(
            MeterReading.meter_id == ids["meter"],
            MeterReading.start_ts >= lo,
            MeterReading.start_ts < lo + 3 * 86400,
        )
    )
    # A repair in the database keeps the daily rollup in step, as the services do.
    rollup.refresh(db_session, ids["meter"], "Asia/Shanghai", lo, lo + 3 * 86400)
    report = reports.draft_report(
        db_session,
        ids["engineer"],
        ids["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    reports.submit_report(db_session, ids["engineer"], report.id)
    reports.accept_report(db_session, ids["energy"], report.id)
    lines = db_session.scalars(
        select(PaymentLine).where(
            PaymentLine.project_id == ids["project"],
            PaymentLine.source == finance.LineSource.ACTUAL,
        )
    ).all()
    assert lines
    risk = lines[0].basis["savings_at_risk"]
    assert risk["policy"] == "unpaid"
    assert [(g["start"], g["end"], g["days"]) for g in risk["gaps"]] == [
        ("2024-01-10", "2024-01-13", 3)
    ]
    gap = risk["gaps"][0]
    # 15 % expected savings of the adjusted baseline of the missing days.
    assert Decimal(gap["at_risk"]) == pytest.approx(
        Decimal(gap["adjusted_baseline"]) * Decimal("0.15"), rel=Decimal("0.02")
    )
    assert Decimal(risk["total_value"]) > 0

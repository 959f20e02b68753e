"""A verdict needs data; a failing baseline needs a reason (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from test_mv_support import make_project

from emc.errors import Conflict, Invalid
from emc.mv.models import Baseline
from emc.mv.service import baselines, reports

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"


def approved(db_session, ids):
    b = baselines.propose_baseline(db_session, ids["engineer"], ids["project"])
    return baselines.approve_baseline(db_session, ids["institution_admin"], b.id)


def test_a_month_without_data_is_insufficient_never_a_pass_and_cannot_be_submitted(
    db_session, login_as
):
    # February 2024 has 0 of its 29 days of data: "数据不足", not "通过", and no submission.
    ids = make_project(db_session, months=1)
    approved(db_session, ids)
    report = reports.draft_report(
        db_session,
        ids["engineer"],
        ids["project"],
        period_start=dt.date(2024, 2, 1),
        period_end=dt.date(2024, 3, 1),
    )
    assert report.verdict["status"] == "insufficient_data"
    assert report.verdict["passed"] is False
    (meter,) = report.verdict["sufficiency"]["meters"]
    assert (meter["n_days"], meter["n_days_with_usage"]) == (29, 0)
    assert meter["missing_usage"] == [{"start": "2024-02-01", "end": "2024-02-29"}]
    with pytest.raises(Conflict) as refused:
        reports.submit_report(db_session, ids["engineer"], report.id)
    assert refused.value.code == "insufficient_data"
    assert "no usage data 2024-02-01 to 2024-02-29" in refused.value.message
    # The page says so, in Chinese, and names the days and what to upload; the submit button
    # is disabled with the reason beside it.
    page = login_as(ESCO).get(f"/projects/{ids['project']}/mv/reports/{report.id}")
    html = page.get_data(as_text=True)
    assert 'data-verdict="insufficient_data"' in html and "数据不足" in html
    assert "2024-02-01 – 2024-02-29" in html
    assert 'data-testid="submit-disabled"' in html and "报告暂不能提交" in html

    assert f"/mv/reports/{report.id}/submit" not in html
    # Through the API the refusal is a 409 naming the field.
    r = login_as(ESCO).post(
        f"/api/v1/projects/{ids['project']}/mv-reports/{report.id}/submit",
        json={"row_version": report.row_version},
    )
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "insufficient_data"
    # The refusal names what is missing in Chinese (never the internal kind of range).
    r = login_as(ESCO).post(
        f"/projects/{ids['project']}/mv/reports/{report.id}/submit",
        data={"row_version": report.row_version},
        headers={"Accept-Language": "zh-CN"},
    )
    said = r.get_data(as_text=True)
    assert "缺少用能数据 2024-02-01 至 2024-02-29" in said
    assert "missing_usage" not in said and "missing_temperature" not in said


def test_a_month_with_enough_data_passes_as_before(db_session):
    ids = make_project(db_session, months=1)
    approved(db_session, ids)
    report = reports.draft_report(
        db_session,
        ids["engineer"],
        ids["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    assert report.verdict["status"] == "passed" and report.verdict["passed"] is True
    reports.submit_report(db_session, ids["engineer"], report.id)


def failing_baseline(db_session, ids) -> Baseline:
    b = baselines.propose_baseline(db_session, ids["engineer"], ids["project"])
    # Make the proposal fail G14 as a poor fit would (the stored verdict is what approval reads).
    db_session.execute(
        Baseline.__table__.update().where(Baseline.id == b.id).values(verdict_passed=False)
    )
    db_session.expire_all()
    return db_session.get(Baseline, b.id)


def test_a_failing_baseline_is_approved_only_with_a_reason_shown_downstream(db_session, login_as):
    ids = make_project(db_session, months=1)
    b = failing_baseline(db_session, ids)
    with pytest.raises(Invalid) as refused:
        baselines.approve_baseline(db_session, ids["institution_admin"], b.id)
    assert "override_reason" in refused.value.fields
    reason = "基准期含疫情停课月份，双方同意按此模型结算"
    baselines.approve_baseline(
        db_session, ids["institution_admin"], b.id, override_reason=f"  {reason} "
    )
    assert db_session.get(Baseline, b.id).override_reason == reason
    inst = login_as(INSTITUTION)
    page = inst.get(f"/projects/{ids['project']}/mv/baselines/{b.id}").get_data(as_text=True)
    assert reason in page
    assert (
        inst.get(f"/api/v1/projects/{ids['project']}/baselines/{b.id}").get_json()[
            "override_reason"
        ]
        == reason
    )
    report = reports.draft_report(
        db_session,
        ids["engineer"],
        ids["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    html = inst.get(f"/projects/{ids['project']}/mv/reports/{report.id}").get_data(as_text=True)
    assert 'data-testid="baseline-override"' in html and reason in html
    body = inst.get(f"/api/v1/projects/{ids['project']}/mv-reports/{report.id}").get_json()
    assert body["baseline_override_reason"] == reason
    # The PDFs carry it too.
    from emc.reports import mv_pdf

    assert mv_pdf._override(lambda m: m, db_session.get(Baseline, b.id))


def test_the_agency_dashboard_counts_override_approved_baselines(db_session):
    from emc.auth.actor import Actor
    from emc.auth.models import Organization, User
    from emc.programme import service as programme

    ids = make_project(db_session, months=1)
    b = failing_baseline(db_session, ids)
    baselines.approve_baseline(
        db_session, ids["institution_admin"], b.id, override_reason="经双方同意"
    )
    officer = db_session.scalar(select(User).where(User.email == "officer@national.demo"))
    officer.organization = db_session.get(Organization, officer.organization_id)
    board = programme.dashboard(db_session, Actor.of(officer))
    assert board.baseline_overrides >= 1


def test_missing_temperatures_say_who_keeps_the_station(db_session, login_as):
    """The ESCO read 请上传以下日期的气象站气温 and a link to the site, whose page has no such
    upload: a reference station's temperatures are the platform's to upload."""
    from sqlalchemy import delete

    from emc.facilities.models import Meter, Site, TemperatureReading, WeatherStation

    ids = make_project(db_session, months=1)
    approved(db_session, ids)
    site = db_session.get(Site, db_session.get(Meter, ids["meter"]).site_id)
    station = db_session.get(WeatherStation, site.weather_station_id)
    db_session.execute(
        delete(TemperatureReading).where(
            TemperatureReading.station_id == station.id,
            TemperatureReading.start_ts >= int(dt.datetime(2024, 1, 20, tzinfo=dt.UTC).timestamp()),
        )
    )
    report = reports.draft_report(
        db_session,
        ids["engineer"],
        ids["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    (meter,) = report.verdict["sufficiency"]["meters"]
    assert meter["missing_temperature"]
    db_session.flush()
    html = (
        login_as(ESCO)
        .get(
            f"/projects/{ids['project']}/mv/reports/{report.id}",
            headers={"Accept-Language": "zh-CN"},
        )
        .get_data(as_text=True)
    )
    keeper = html.split('data-testid="station-keeper"')[1][:400]
    owner = "平台维护的参考站" if station.organization_id is None else "由所属机构维护"
    assert station.name in keeper and owner in keeper
    assert f"/weather-stations/{station.id}" in keeper


def test_a_failing_report_names_the_criteria_it_missed_before_it_is_submitted(db_session, login_as):
    """FSU ±299.8 % … G14 判定: 未通过, with no word of which criterion failed, and the submit
    button gave no warning (the PDF said 无警示)."""
    ids = make_project(db_session, months=1)
    approved(db_session, ids)
    report = reports.draft_report(
        db_session,
        ids["engineer"],
        ids["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 2, 1),
    )
    report.verdict = {
        **report.verdict,
        "passed": False,
        "status": "failed",
        "checks": {"cvrmse": True, "nmbe": True, "fsu": False},
    }
    db_session.flush()
    url = f"/projects/{ids['project']}/mv/reports/{report.id}"
    html = login_as(ESCO).get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "节能量不确定度（FSU，68% 置信度）未低于 50 %" in html
    assert 'data-testid="submit-fails-g14"' in html
    pdf = login_as(ESCO).get(f"/api/v1/projects/{ids['project']}/mv-reports/{report.id}.pdf")
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.data)).pages)
    assert "未低于 50 %" in text.replace("\n", "")

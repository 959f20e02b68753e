"""Meter write rights (issue 12, item 7), for the API and the pages alike: an ESCO writes only to
meters inside its projects' M&V boundary; readings under an approved baseline or an accepted
report are frozen (the upload is refused naming the object); the upload history says who
uploaded; the institution's energy managers hear when an ESCO replaces readings.

The demo M&V project: baseline v1 approved over 2023, reports of January to March 2024 accepted,
daily readings of the HVAC sub-meter from 2023-01-01 to 2024-04-01."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from emc.auth.models import User
from emc.facilities.models import Meter, MeterReading, Site
from emc.mv.service.demo import METER_NAME
from emc.notifications.models import Notification


@pytest.fixture
def hvac(db_session, demo):
    return db_session.scalar(select(Meter).where(Meter.name == METER_NAME))


def _rows(*days: str, value: str = "100") -> dict:
    return {"rows": [{"start": f"{d}T00:00:00+08:00", "value": value} for d in days]}


def _stored(db_session, meter, epoch: int):
    return db_session.get(MeterReading, (meter.id, epoch))


def test_a_replace_under_an_approved_baseline_is_refused_naming_it(login_as, db_session, hvac):
    engineer = login_as("engineer@esco.demo")
    before = db_session.scalar(
        select(MeterReading.value).where(MeterReading.meter_id == hvac.id).limit(1)
    )
    url = f"/api/v1/meters/{hvac.id}/readings"
    refused = engineer.post(url, json={**_rows("2023-06-01", value="1"), "replace": True})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "frozen_readings"
    assert "基准 v1（已批准）" in error["message"]
    assert "2023-01-01 至 2023-12-31" in error["message"]  # first and last day
    assert error["fields"]["frozen"]["kind"] == "baseline"
    # The institution may not either: frozen is frozen, whoever asks.
    energy = login_as("energy@school.demo")
    assert energy.post(url, json={**_rows("2023-06-01"), "replace": True}).status_code == 409
    assert (
        db_session.scalar(
            select(MeterReading.value).where(MeterReading.meter_id == hvac.id).limit(1)
        )
        == before
    )


def test_an_accepted_reports_period_is_frozen_too(login_as, hvac):
    engineer = login_as("engineer@esco.demo")
    refused = engineer.post(
        f"/api/v1/meters/{hvac.id}/readings",
        json={**_rows("2024-02-10"), "replace": True},
    )
    assert refused.status_code == 409
    message = refused.get_json()["error"]["message"]
    assert "测量与验证报告 v1（已接受）" in message and "2024-02-01 至 2024-02-29" in message


def test_the_refusal_is_in_english_for_an_english_reader(login_as, hvac):
    engineer = login_as("engineer@esco.demo")
    engineer.post("/locale", data={"locale": "en"})
    refused = engineer.post(
        f"/api/v1/meters/{hvac.id}/readings", json={**_rows("2023-06-01"), "replace": True}
    )
    assert "Baseline v1 (approved)" in refused.get_json()["error"]["message"]


def test_the_page_shows_the_refusal_and_the_check_says_frozen(login_as, hvac):
    engineer = login_as("engineer@esco.demo")
    csv = "时间,用电量(kWh)\n2023-06-01 00:00,1\n"
    page = engineer.post(
        f"/meters/{hvac.id}/readings",
        data={"file": (io.BytesIO(csv.encode()), "june.csv"), "replace": "true"},
        content_type="multipart/form-data",
    )
    assert page.status_code == 409
    assert "基准 v1（已批准）" in page.get_data(as_text=True)
    check = engineer.post(
        f"/meters/{hvac.id}/readings?dry_run=true",
        data={"file": (io.BytesIO(csv.encode()), "june.csv"), "replace": "true"},
        content_type="multipart/form-data",
    )
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and 'data-status="frozen"' in html and "基准 v1" in html


def test_an_esco_replacing_open_readings_is_applied_and_the_energy_managers_are_told(
    login_as, db_session, hvac
):
    engineer = login_as("engineer@esco.demo")
    url = f"/api/v1/meters/{hvac.id}/readings"
    first = engineer.post(url, json=_rows("2024-04-01", "2024-04-02"))
    assert first.status_code == 201, first.get_json()
    again = engineer.post(
        url, json={**_rows("2024-04-01", "2024-04-02", value="90"), "replace": True}
    )
    assert again.status_code == 201 and again.get_json()["replaced_count"] == 2
    manager = db_session.scalar(select(User).where(User.email == "energy@school.demo"))
    notes = list(
        db_session.scalars(
            select(Notification).where(
                Notification.user_id == manager.id, Notification.kind == "readings_replaced"
            )
        )
    )
    assert len(notes) == 1
    assert "替换了计量表 暖通空调分项 的 2 条读数" in notes[0].subject
    assert notes[0].link == f"/meters/{hvac.id}/uploads"
    # The institution replacing its own readings tells nobody.
    energy = login_as("energy@school.demo")
    energy.post(url, json={**_rows("2024-04-01", "2024-04-02", value="80"), "replace": True})
    assert (
        len(
            list(
                db_session.scalars(
                    select(Notification).where(Notification.kind == "readings_replaced")
                )
            )
        )
        == 1
    )
    history = energy.get(f"/meters/{hvac.id}/uploads").get_data(as_text=True)
    assert "一中能源管理员" in history and "engineer@esco.demo" in history


def test_an_esco_writes_no_meter_outside_its_boundary(login_as, db_session, hvac):
    main = db_session.scalar(
        select(Meter).where(Meter.site_id == hvac.site_id, Meter.id != hvac.id).order_by(Meter.id)
    )
    engineer = login_as("engineer@esco.demo")
    assert engineer.get(f"/meters/{main.id}").status_code == 200  # it sees the meter
    refused = engineer.post(
        f"/api/v1/meters/{main.id}/readings", json={**_rows("2030-01-01"), "replace": True}
    )
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert error["code"] == "outside_boundary" and "测量边界" in error["message"]
    page = engineer.get(f"/meters/{main.id}").get_data(as_text=True)
    # The page says why it offers no upload form; a forged post is refused by the service.
    assert 'data-testid="import-refusal"' in page and "测量边界" in page
    assert "仅检查，不导入" not in page
    csv = "时间,用电量(kWh)\n2030-01-01 00:00,1\n"
    posted = engineer.post(
        f"/meters/{main.id}/readings",
        data={"file": (io.BytesIO(csv.encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 403


def test_the_frozen_rule_uses_the_sites_local_days(db_session, demo, hvac):
    from emc.demo import actor_for
    from emc.facilities.service import rights

    site = db_session.get(Site, hvac.site_id)
    assert site.timezone == "Asia/Shanghai"
    # 2024-03-31 16:00 UTC is 2024-04-01 00:00 in Shanghai: the first open instant.
    open_from = 1711900800
    assert rights.frozen_conflict(db_session, hvac, site, open_from, open_from + 86400) is None
    assert rights.frozen_conflict(db_session, hvac, site, open_from - 1, open_from + 1) is not None
    assert actor_for(db_session, "engineer@esco.demo") is not None


def test_temperatures_under_a_frozen_baseline_are_refused(login_as, db_session, hvac):
    site = db_session.get(Site, hvac.site_id)
    platform = login_as("admin@platform.demo")
    url = f"/api/v1/weather-stations/{site.weather_station_id}/temperatures"
    text = "时间,气温(℃)\n2023-06-01 00:00,25\n2023-06-01 01:00,24\n"
    refused = platform.post(
        url,
        data={"file": (io.BytesIO(text.encode()), "june.csv"), "replace": "true"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 409
    assert "基准 v1（已批准）" in refused.get_json()["error"]["message"]
    later = "时间,气温(℃)\n2031-06-01 00:00,25\n"
    assert (
        platform.post(
            url,
            data={"file": (io.BytesIO(later.encode()), "later.csv")},
            content_type="multipart/form-data",
        ).status_code
        == 201
    )

"""Service errors found by a user walk in Chinese (issue of the facilities fixes): each is a
catalogue message said in Chinese on its page, never the English sentence, a Python repr or a
field's internal name."""

from __future__ import annotations

import re

from sqlalchemy import select

from emc.auth.models import Organization
from emc.facilities.models import Site
from tests.audit.test_audit_service import actor


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_an_unknown_region_code_and_time_zone_are_refused_in_chinese(login_as):
    energy = login_as("energy@school.demo")
    form = energy.get("/sites/new").get_data(as_text=True)
    # The known regions are offered with their Chinese names.
    assert 'data-testid="region-select"' in form and "330100 · 杭州市" in form
    bad = energy.post(
        "/sites/new",
        data={"name": "未知地区场地", "region_code": "330106", "timezone": "Mars/Base"},
    )
    text = _text(bad)
    assert bad.status_code == 422
    assert "地区代码 330106 不在平台的地区列表中：请从列表中选择地区" in text
    assert "“Mars/Base”不是有效的 IANA 时区名称" in text
    assert "unknown" not in text and "&#39;" not in text
    # The API says the same in English, with the code and params of the catalogue sentence.
    api = energy.post(
        "/api/v1/sites", json={"name": "未知地区", "region_code": "330106"}
    ).get_json()
    assert "330106 is not in the platform's list" in api["error"]["fields"]["region_code"][0]


def test_a_unit_that_does_not_fit_the_carrier_is_said_in_chinese_with_the_carrier_name(
    login_as, db_session
):
    energy = login_as("energy@school.demo")
    org = actor(db_session, "energy@school.demo").organization_id
    site = db_session.scalar(select(Site.id).where(Site.organization_id == org))
    meter = energy.post(
        f"/sites/{site}/meters/new",
        data={"name": "水表", "carrier": "water", "unit": "kWh", "kind": "billing"},
    )
    assert meter.status_code == 422
    assert "计量单位 kWh 不适用于水（可用单位：m³, t）" in _text(meter)
    stats = energy.post(
        "/programme/stats",
        data={
            "year": "2022",
            "floor_area_m2": "22700",
            "quantity_electricity": "100",
            "unit_electricity": "m³",
        },
    )
    text = _text(stats)
    assert stats.status_code == 422
    assert "计量单位 m³ 不适用于电力（可用单位：Wh, kWh, MWh）" in text
    assert "does not fit" not in text and "electricity" not in text


def test_money_with_more_than_two_decimals_is_refused_in_chinese(login_as):
    energy = login_as("energy@school.demo")
    response = energy.post(
        "/projects/new",
        data={"name": "三位小数项目", "investor": "esco", "total_investment": "1.234"},
    )
    text = _text(response)
    assert response.status_code == 422
    assert "金额须精确到分（最多 2 位小数）" in text and "fen" not in text


def test_an_audit_base_period_error_shows_no_field_key_above_the_form(login_as, db_session):
    school = login_as("energy@school.demo")
    org = actor(db_session, "energy@school.demo").organization_id
    site = db_session.scalar(select(Site.id).where(Site.organization_id == org))
    auditor = db_session.scalar(
        select(Organization.id).where(Organization.name_zh == "浙江节能审计中心")
    )
    response = school.post(
        "/audits",
        data={
            "title": "倒置基准期",
            "auditor_organization_id": str(auditor),
            "level": "1",
            "period_start": "2025-01-01",
            "period_end": "2024-01-01",
            "site_ids": str(site),
        },
    )
    text = _text(response)
    assert response.status_code == 422
    assert "基准期须为一至三个自然年" in text
    assert "period_end" not in text and "calendar years" not in text

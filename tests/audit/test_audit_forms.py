"""Page forms: the institution edits the commissioning details (scope, level, base period) of a
draft audit and the auditor edits a measure, through the API's ``AuditPatch`` and
``AuditEcmPatch``; a bad value re-renders the page with the field's error and what was entered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from emc.audit import service
from emc.facilities.models import Building, Site
from tests.audit.test_audit_service import actor, commission


@pytest.fixture
def draft(db_session):
    audit = commission(db_session, title="表单审计")
    auditor = actor(db_session, "auditor@auditor.demo")
    ecm = service.add_ecm(
        db_session,
        auditor,
        audit.id,
        name="照明改造",
        category="lighting",
        affected_carriers=["electricity"],
        savings_carrier="electricity",
        savings_quantity=Decimal("10000"),
        savings_unit="kWh",
        investment=Decimal("50000.00"),
    )
    return audit, ecm


def _school_sites(session):
    org = actor(session, "energy@school.demo").organization_id
    return list(session.scalars(select(Site).where(Site.organization_id == org).order_by(Site.id)))


def test_the_institution_edits_scope_level_and_base_period(db_session, login_as, draft):
    audit, _ = draft
    sites = _school_sites(db_session)
    building = db_session.scalar(
        select(Building).where(Building.site_id == sites[0].id).order_by(Building.id)
    )
    client = login_as("energy@school.demo")
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert 'data-testid="commission-form"' in page
    response = client.post(
        f"/audits/{audit.id}/commission",
        data={
            "title": "表单审计（修订范围）",
            "level": "3",
            "period_start": "2022-01-01",
            "period_end": "2024-01-01",
            "site_ids": [str(s.id) for s in sites],
            "building_ids": [str(building.id)],
        },
    )
    assert response.status_code == 302
    db_session.expire_all()
    audit = service.get_audit(db_session, actor(db_session, "energy@school.demo"), audit.id)
    assert audit.title == "表单审计（修订范围）" and audit.level == 3
    assert (audit.period_start, audit.period_end) == (dt.date(2022, 1, 1), dt.date(2024, 1, 1))
    scope = service.scope_ids(db_session, audit)
    assert sorted(scope["site_ids"]) == sorted(s.id for s in sites)
    assert scope["building_ids"] == [building.id]


def test_bad_commissioning_details_re_render_with_the_field_error(db_session, login_as, draft):
    audit, _ = draft
    site = _school_sites(db_session)[0]
    client = login_as("admin@school.demo")
    bad_level = client.post(
        f"/audits/{audit.id}/commission",
        data={
            "title": "改名",
            "level": "7",
            "period_start": "2023-01-01",
            "period_end": "2024-01-01",
            "site_ids": str(site.id),
        },
    )
    assert bad_level.status_code == 422
    text = bad_level.get_data(as_text=True)
    assert 'data-field="level"' in text and 'value="改名"' in text
    assert "<details open" in text
    # A period of four years passes the schema and is refused by the service, on its field.
    too_long = client.post(
        f"/audits/{audit.id}/commission",
        data={
            "title": "表单审计",
            "level": "2",
            "period_start": "2020-01-01",
            "period_end": "2024-01-01",
            "site_ids": str(site.id),
        },
    )
    assert too_long.status_code == 422
    assert "has-error" in too_long.get_data(as_text=True)
    db_session.expire_all()
    unchanged = service.get_audit(db_session, actor(db_session, "admin@school.demo"), audit.id)
    assert unchanged.title == "表单审计" and unchanged.level == 2


def test_the_auditor_may_not_change_commissioning_details(db_session, login_as, draft):
    audit, _ = draft
    site = _school_sites(db_session)[0]
    client = login_as("auditor@auditor.demo")
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert 'data-testid="commission-form"' not in page
    response = client.post(
        f"/audits/{audit.id}/commission",
        data={
            "title": "审计机构改名",
            "level": "1",
            "period_start": "2023-01-01",
            "period_end": "2024-01-01",
            "site_ids": str(site.id),
        },
    )
    assert response.status_code == 403


def test_the_auditor_edits_a_measure_and_blank_savings_are_recomputed(db_session, login_as, draft):
    audit, ecm = draft
    old_tce = ecm.savings_tce
    assert old_tce is not None
    client = login_as("auditor@auditor.demo")
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert f'data-testid="ecm-edit-{ecm.id}"' in page
    response = client.post(
        f"/audits/{audit.id}/ecms/{ecm.id}",
        data={
            "name": "LED 照明改造",
            "category": "lighting",
            "description": "全部教室",
            "affected_carriers": ["electricity"],
            "savings_carrier": "electricity",
            "savings_quantity": "20000",
            "savings_unit": "kWh",
            "savings_tce": "",
            "savings_tco2": "",
            "savings_money": "16000.00",
            "investment": "",
            "recommended_contract_type": "shared_savings",
        },
    )
    assert response.status_code == 302
    db_session.expire_all()
    (edited,) = service.list_ecms(db_session, actor(db_session, "auditor@auditor.demo"), audit.id)
    assert edited.name == "LED 照明改造" and edited.description == "全部教室"
    assert edited.savings_quantity == Decimal("20000") and edited.savings_money == Decimal("16000")
    assert edited.investment is None  # a blank input clears the value
    assert edited.savings_tce == 2 * old_tce  # computed again from the recorded factors
    assert edited.recommended_contract_type.value == "shared_savings"


def test_a_bad_measure_re_renders_its_own_form_with_the_error(db_session, login_as, draft):
    audit, ecm = draft
    client = login_as("auditor@auditor.demo")
    response = client.post(
        f"/audits/{audit.id}/ecms/{ecm.id}",
        data={"name": "照明改造", "category": "lighting", "investment": "12.345"},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'data-field="investment"' in text
    assert f'<details open data-testid="ecm-edit-{ecm.id}"' in text
    assert 'value="12.345"' in text
    # A saving without its unit passes the schema and is refused by the service.
    response = client.post(
        f"/audits/{audit.id}/ecms/{ecm.id}",
        data={"name": "照明改造", "category": "lighting", "savings_unit": ""},
    )
    assert response.status_code == 422
    assert 'data-field="savings_unit"' in response.get_data(as_text=True)
    db_session.expire_all()
    (same,) = service.list_ecms(db_session, actor(db_session, "auditor@auditor.demo"), audit.id)
    assert same.investment == Decimal("50000.00") and same.savings_unit == "kWh"


def test_the_institution_may_not_edit_a_measures_content(db_session, login_as, draft):
    audit, ecm = draft
    client = login_as("energy@school.demo")
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert f'data-testid="ecm-edit-{ecm.id}"' not in page
    response = client.post(
        f"/audits/{audit.id}/ecms/{ecm.id}", data={"name": "改名", "category": "lighting"}
    )
    assert response.status_code == 403


def test_the_forms_are_gone_once_submitted(db_session, login_as, draft):
    audit, ecm = draft
    auditor = actor(db_session, "auditor@auditor.demo")
    service.add_bills(
        db_session,
        auditor,
        audit.id,
        [
            {
                "carrier": "electricity",
                "unit": "kWh",
                "month": dt.date(2023, 3, 1),
                "quantity": Decimal(1000),
            }
        ],
    )
    service.submit_audit(db_session, auditor, audit.id)
    page = login_as("energy@school.demo").get(f"/audits/{audit.id}").get_data(as_text=True)
    assert 'data-testid="commission-form"' not in page
    response = login_as("auditor@auditor.demo").post(
        f"/audits/{audit.id}/ecms/{ecm.id}", data={"name": "改名", "category": "lighting"}
    )
    assert response.status_code == 409


def test_a_refused_measure_or_details_form_keeps_what_was_typed(db_session, login_as, draft):
    """添加节能措施 and 审计信息 came back blank after any error (a negative investment, shares
    not adding up to 100), and the split's refusal was English."""
    audit, _ = draft
    client = login_as("auditor@auditor.demo")
    response = client.post(
        f"/audits/{audit.id}/ecms",
        data={
            "name": "空调群控",
            "category": "hvac",
            "description": "冷站群控改造",
            "savings_carrier": "electricity",
            "savings_quantity": "84000",
            "savings_unit": "kWh",
            "investment": "-1",
            "recommended_contract_type": "shared_savings",
        },
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for typed in ('value="空调群控"', 'value="冷站群控改造"', 'value="84000"', 'value="-1"'):
        assert typed in page, typed
    assert '<option value="hvac" selected>' in page
    assert '<option value="shared_savings" selected>' in page
    details = client.post(
        f"/audits/{audit.id}/details",
        data={
            "occupants": "1200",
            "end_use_hvac": "50",
            "end_use_lighting_sockets": "40",
            "end_use_power": "30",
            "conclusions": "建议冷站改造",
        },
        headers={"Accept-Language": "zh-CN"},
    )
    assert details.status_code == 422
    text = details.get_data(as_text=True)
    assert "分项用能比例之和须为 100（现为 120）" in text and "must add up" not in text
    assert 'value="1200"' in text and "建议冷站改造</textarea>" in text and 'value="30"' in text


def test_a_refused_commission_leaves_no_audit_in_the_list(db_session, login_as):
    client = login_as("energy@school.demo")
    before = client.get("/audits").get_data(as_text=True).count("幻影审计")
    response = client.post(
        "/audits",
        data={
            "title": "幻影审计",
            "auditor_organization_id": str(
                actor(db_session, "auditor@auditor.demo").organization_id
            ),
            "level": "2",
            "period_start": "2025-01-01",
            "period_end": "2026-01-01",
        },
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请至少选择一个场所" in page or "场所" in page
    assert page.count("幻影审计") == before + 1  # only in the form's title box, not the list
    assert 'value="幻影审计"' in page


def test_a_base_period_that_has_not_begun_is_refused(db_session):
    from emc import clock
    from emc.errors import Invalid

    next_year = clock.now().year + 1
    with pytest.raises(Invalid) as refused:
        commission(
            db_session,
            period_start=dt.date(next_year, 1, 1),
            period_end=dt.date(next_year + 1, 1, 1),
        )
    assert "period_start" in refused.value.fields

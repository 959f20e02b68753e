"""Agreed custody fee adjustments (能源费用托管型): proposed with a reference and a reason,
applied only once both the institution and the ESCO agree, then passed to the finance core by
schedule regeneration (new fee from the effective date, true-ups for periods already billed);
approved lines never change; refused for contracts without a custody component; journaled;
another tenant's project is 404; the project-page form."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from datetime import date
from decimal import Decimal as D
from html import unescape

import pytest
from sqlalchemy import select, update
from test_contracts_service import actor_for, make_project

from emc import clock
from emc.contracts import finance, service
from emc.contracts.models import (
    CustodyFeeAdjustment,
    LineStatus,
    PaymentLine,
    terms_to_document,
)
from emc.errors import Conflict, Invalid, NotFound
from emc.journal import JournalEntry

# 能源费用托管型, 5 years from 2024-01-01, monthly, due 10 days after the period.
# Baseline 1,000,000 kWh × 0.80 + 50,000 m³ × 2.00 = 900,000 a year; × 0.80 = 720,000
# → 60,000.00 a month; O&M 60,000 a year → 5,000.00 a month. Served floor area 10,000 m².
CUSTODY = finance.ContractTerms(
    contract_type=finance.ContractType.ENERGY_COST_CUSTODY,
    term_years=5,
    start_date=date(2024, 1, 1),
    payment_frequency=finance.PaymentFrequency.MONTHLY,
    payment_due_days=10,
    discount_rate=D("0.05"),
    components=(
        finance.EnergyCostCustodyTerms(
            baseline=(
                finance.BaselineCarrierCost("electricity", "kWh", D(1000000), D("0.80")),
                finance.BaselineCarrierCost("natural_gas", "m3", D(50000), D("2.00")),
            ),
            coefficient=D("0.80"),
            floor_area_m2=D(10000),
            om_fee_annual=D(60000),
        ),
    ),
)
CUSTODY_DOC = terms_to_document(CUSTODY)
GYM_ESCO = "南方综合能源服务有限公司"
# +10 % floor area from 1 July 2025 (contract year 2), agreed by both on 15 October 2025.
AREA = {
    "kind": "floor_area",
    "reference": "补充协议-2025-01",
    "effective_date": "2025-07-01",
    "new_floor_area_m2": "11000",
    "reason": "新建实验楼并入托管范围",
}


@pytest.fixture
def october_2025():
    # 15 October 2025, 10:00 in Beijing.
    clock.freeze(dt.datetime(2025, 10, 15, 2, 0, tzinfo=dt.UTC))
    yield
    clock.freeze(None)


def custody_project(session, **kw):
    return make_project(session, terms=CUSTODY_DOC, estimates=[], **kw)


def stored(session, project, source=finance.LineSource.ACTUAL) -> dict[str, PaymentLine]:
    return {
        line.key: line
        for line in session.scalars(
            select(PaymentLine).where(
                PaymentLine.project_id == project.id, PaymentLine.source == source
            )
        )
    }


def fee(lines: dict[str, PaymentLine], kind: str, start: date) -> PaymentLine:
    (line,) = [x for x in lines.values() if x.kind == kind and x.period_start == start]
    return line


def test_floor_area_change_agreed_by_both_reprices_from_its_date_with_a_true_up(
    login_as, db_session, october_2025
):
    project = custody_project(db_session)
    before = stored(db_session, project)
    assert {x.amount for x in before.values() if x.kind == "custody_fee"} == {D("60000.00")}
    # Finance approved October 2025's fee before the change was agreed: it must never change.
    october = fee(before, "custody_fee", date(2025, 10, 1))
    service.prepare_line(
        db_session, actor_for(db_session, "finance2@school.demo"), october.id, version=1
    )
    service.approve_line(
        db_session, actor_for(db_session, "finance@school.demo"), october.id, version=2
    )

    energy = login_as("energy@school.demo")
    proposed = energy.post(f"/api/v1/projects/{project.id}/custody-adjustments", json=AREA)
    assert proposed.status_code == 201, proposed.get_json()
    body = proposed.get_json()
    assert (body["status"], body["number"], body["new_floor_area_m2"]) == (
        "proposed",
        1,
        "11000.00",
    )
    aid = body["id"]

    # Proposed, then agreed by the institution only: nothing changes.
    for email in (None, "admin@school.demo"):
        if email:
            agreed = login_as(email).post(
                f"/api/v1/projects/{project.id}/custody-adjustments/{aid}/agree",
                json={"version": body["version"]},
            )
            assert agreed.status_code == 200, agreed.get_json()
            assert agreed.get_json()["status"] == "proposed"
        report = energy.post(f"/api/v1/projects/{project.id}/schedule", json={}).get_json()
        assert (report["created"], report["updated"], report["removed"]) == (0, 0, 0)

    agreed = login_as("admin@esco.demo").post(
        f"/api/v1/projects/{project.id}/custody-adjustments/{aid}/agree",
        json={"version": body["version"] + 1},
    )
    assert agreed.status_code == 200, agreed.get_json()
    assert (agreed.get_json()["status"], agreed.get_json()["agreed_on"]) == (
        "agreed",
        "2025-10-15",
    )

    report = energy.post(f"/api/v1/projects/{project.id}/schedule", json={}).get_json()
    key = "actual:energy_cost_custody:custody_fee"
    assert report["conflicts"] == [f"{key}:2025-10-01:2025-11-01"]
    db_session.expire_all()
    after = stored(db_session, project)
    # January–June 2025: before the effective date, unchanged.
    assert fee(after, "custody_fee", date(2025, 6, 1)).amount == D("60000.00")
    # July–September 2025 ended before the agreement: billed at the old fee, trued up.
    for month in (7, 8, 9):
        assert fee(after, "custody_fee", date(2025, month, 1)).amount == D("60000.00")
        assert fee(after, "om_fee", date(2025, month, 1)).amount == D("5000.00")
    # October 2025 was approved: left at the old fee (reported as a conflict for finance).
    locked = fee(after, "custody_fee", date(2025, 10, 1))
    assert (locked.amount, locked.status) == (D("60000.00"), LineStatus.APPROVED)
    # From November 2025: 720,000 × 11,000 / 10,000 / 12 = 66,000.00; O&M 5,500.00.
    for start in (date(2025, 11, 1), date(2026, 1, 1), date(2028, 12, 1)):
        assert fee(after, "custody_fee", start).amount == D("66000.00")
        assert fee(after, "om_fee", start).amount == D("5500.00")
    assert fee(after, "om_fee", date(2025, 10, 1)).amount == D("5500.00")
    true_ups = sorted(
        (x for x in after.values() if x.kind == "true_up"), key=lambda x: x.period_start
    )
    # One net line per revised month, July–September: custody 66,000.00 − 60,000.00 plus O&M
    # 5,500.00 − 5,000.00 = 6,500.00 each (18,000.00 + 1,500.00 over the three months).
    assert [(x.period_start.month, x.amount) for x in true_ups] == [
        (7, D("6500.00")),
        (8, D("6500.00")),
        (9, D("6500.00")),
    ]
    for line in true_ups:
        assert (line.payer, line.payee) == (finance.Party.INSTITUTION, finance.Party.ESCO)
        assert [f["fee_kind"] for f in line.basis["fees"]] == ["custody_fee", "om_fee"]
        assert (line.due_on, line.contract_year) == (date(2025, 10, 25), 2)

    # Cross-check: exactly what the finance core computes for the same agreed change.
    core = finance.contractual_lines(
        CUSTODY,
        (
            finance.FloorAreaChange(
                "补充协议-2025-01", date(2025, 10, 15), date(2025, 7, 1), D(11000)
            ),
        ),
    )
    assert set(after) == {x.key for x in core}
    for line in core:
        if line.key != locked.key:
            assert after[line.key].amount == line.amount, line.key
    assert locked.key in {x.key for x in core}
    projected = stored(db_session, project, finance.LineSource.PROJECTED)
    assert fee(projected, "custody_fee", date(2027, 3, 1)).amount == D("66000.00")
    # A second regeneration changes nothing (idempotent).
    again = energy.post(f"/api/v1/projects/{project.id}/schedule", json={}).get_json()
    assert (again["created"], again["updated"], again["removed"]) == (0, 0, 0)

    listing = energy.get(f"/api/v1/projects/{project.id}/custody-adjustments")
    assert [a["status"] for a in listing.get_json()] == ["agreed"]


def test_esco_only_agreement_is_not_enough(db_session, october_2025):
    project = custody_project(db_session)
    energy = actor_for(db_session, "energy@school.demo")
    adjustment = service.propose_custody_adjustment(
        db_session,
        energy,
        project.id,
        kind="energy_price",
        reference="电价调整-2025",
        effective_date=date(2025, 9, 1),
        prices=[{"carrier": "electricity", "unit": "kWh", "new_price_per_unit": D("0.90")}],
        reason="电网销售电价调整",
    )
    service.agree_custody_adjustment(
        db_session, actor_for(db_session, "admin@esco.demo"), project.id, adjustment.id
    )
    assert adjustment.status == "proposed" and adjustment.agreed_on is None
    assert service.agreed_adjustments(db_session, [project.id]) == {}
    report = service.regenerate_schedule(db_session, energy, project.id)
    assert (report.created, report.updated, report.removed) == (0, 0, 0)
    # With the institution's agreement too it applies:
    # (1,000,000 × 0.90 + 100,000) × 0.80 / 12 = 66,666.666… → 66,666.67.
    service.agree_custody_adjustment(
        db_session, actor_for(db_session, "admin@school.demo"), project.id, adjustment.id
    )
    assert service.agreed_adjustments(db_session, [project.id]) == {
        project.id: (
            finance.EnergyPriceChange(
                "电价调整-2025",
                date(2025, 10, 15),
                date(2025, 9, 1),
                "electricity",
                "kWh",
                D("0.90"),
            ),
        )
    }
    service.regenerate_schedule(db_session, energy, project.id)
    lines = stored(db_session, project)
    assert fee(lines, "custody_fee", date(2025, 10, 1)).amount == D("66666.67")
    # The O&M fee is not re-priced by an energy price change.
    assert fee(lines, "om_fee", date(2025, 10, 1)).amount == D("5000.00")
    (true_up,) = [x for x in lines.values() if x.kind == "true_up"]
    assert true_up.amount == D("6666.67")  # September 2025 only: 66,666.67 − 60,000.00
    assert true_up.period_start == date(2025, 9, 1)
    # The project's economics use the agreed adjustment too.
    economics = service.project_economics(db_session, energy, project.id)
    agreed = service.agreed_adjustments(db_session, [project.id])[project.id]
    assert economics.result == finance.projected_economics(
        CUSTODY, (), economics.assumptions, agreed
    )
    assert economics.result != finance.projected_economics(CUSTODY, (), economics.assumptions)


def test_a_contract_without_a_custody_component_is_refused_naming_the_field(login_as, db_session):
    project = make_project(db_session)  # guaranteed savings
    response = login_as("energy@school.demo").post(
        f"/api/v1/projects/{project.id}/custody-adjustments", json=AREA
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (
        error["message_code"] == "contracts.adjustment_needs_custody" and "kind" in error["fields"]
    )
    assert "托管" in error["message"]
    assert db_session.scalar(select(CustodyFeeAdjustment.id)) is None


def test_bad_values_are_422_naming_the_field(login_as, db_session, october_2025):
    project = custody_project(db_session)
    energy = login_as("energy@school.demo")
    url = f"/api/v1/projects/{project.id}/custody-adjustments"
    cases = [
        ({**AREA, "effective_date": "2030-01-01"}, "effective_date"),
        ({**AREA, "new_floor_area_m2": None}, "new_floor_area_m2"),
        ({**AREA, "new_floor_area_m2": "-5"}, "new_floor_area_m2"),
        ({**AREA, "reference": "a:b"}, "reference"),
        (
            {
                **AREA,
                "kind": "energy_price",
                "new_floor_area_m2": None,
                "prices": [{"carrier": "coal", "unit": "t", "new_price_per_unit": "900"}],
            },
            "prices[0].carrier",
        ),
        (
            {
                **AREA,
                "kind": "energy_price",
                "new_floor_area_m2": None,
                "prices": [{"carrier": "electricity", "unit": "MWh", "new_price_per_unit": "1"}],
            },
            "prices[0].unit",
        ),
    ]
    for body, field in cases:
        response = energy.post(url, json=body)
        assert response.status_code == 422, (field, response.get_json())
        assert field in response.get_json()["error"]["fields"], (field, response.get_json())
    assert energy.post(url, json=AREA).status_code == 201
    again = energy.post(url, json=AREA)
    assert again.status_code == 422 and "reference" in again.get_json()["error"]["fields"]


def test_an_unsigned_contract_is_not_adjusted(db_session):
    project = custody_project(db_session, sign=False, generate=False)
    with pytest.raises(Conflict):
        service.propose_custody_adjustment(
            db_session,
            actor_for(db_session, "energy@school.demo"),
            project.id,
            kind="floor_area",
            reference="X",
            effective_date=date(2025, 7, 1),
            new_floor_area_m2=D(11000),
            reason="r",
        )


def test_every_step_is_journaled(db_session, october_2025):
    project = custody_project(db_session)
    adjustment = service.propose_custody_adjustment(
        db_session,
        actor_for(db_session, "energy@school.demo"),
        project.id,
        kind="floor_area",
        reference="J-1",
        effective_date=date(2025, 7, 1),
        new_floor_area_m2=D(11000),
        reason="扩建",
    )
    for email in ("admin@school.demo", "admin@esco.demo"):
        service.agree_custody_adjustment(
            db_session, actor_for(db_session, email), project.id, adjustment.id
        )
    entries = db_session.scalars(
        select(JournalEntry)
        .where(
            JournalEntry.object_type == "custody_fee_adjustments",
            JournalEntry.object_id == str(adjustment.id),
        )
        .order_by(JournalEntry.id)
    ).all()
    assert [e.action for e in entries] == ["propose", "agree", "agree"]
    assert entries[0].after["new_floor_area_m2"] == "11000.00"
    assert (
        entries[-1].after["status"] == "agreed" and entries[-1].after["agreed_on"] == "2025-10-15"
    )


def test_another_tenants_project_is_404(login_as, db_session, october_2025):
    gym = custody_project(db_session, email="energy@gym.demo", esco=GYM_ESCO, name="体育馆能源托管")
    adjustment = service.propose_custody_adjustment(
        db_session,
        actor_for(db_session, "energy@gym.demo"),
        gym.id,
        kind="floor_area",
        reference="G-1",
        effective_date=date(2025, 7, 1),
        new_floor_area_m2=D(11000),
        reason="扩建",
    )
    for email in ("energy@school.demo", "admin@school.demo", "admin@esco.demo"):
        client = login_as(email)
        base = f"/api/v1/projects/{gym.id}/custody-adjustments"
        assert client.get(base).status_code == 404
        assert client.post(base, json={**AREA, "reference": "Y"}).status_code == 404
        assert client.post(f"{base}/{adjustment.id}/agree", json={"version": 1}).status_code == 404
        page = client.post(f"/projects/{gym.id}/custody-adjustments/{adjustment.id}/agree")
        assert page.status_code == 404
    # Nor is one project's adjustment reachable through another project's URL, even for the
    # platform admin who sees both.
    own = custody_project(db_session)
    with pytest.raises(NotFound):
        service.agree_custody_adjustment(
            db_session, actor_for(db_session, "admin@platform.demo"), own.id, adjustment.id
        )


def test_project_page_form_proposes_and_re_renders_errors_next_to_fields(
    login_as, db_session, october_2025
):
    project = custody_project(db_session)
    energy = login_as("energy@school.demo")
    page = energy.get(f"/projects/{project.id}").get_data(as_text=True)
    assert 'data-testid="custody-adjustment-form"' in page and "price__electricity" in page
    bad = energy.post(
        f"/projects/{project.id}/custody-adjustments",
        data={
            "kind": "energy_price",
            "reference": "P-1",
            "effective_date": "2025-09-01",
            "price__electricity": "abc",
            "reason": "调价",
        },
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert re.search(r'data-field="price__electricity"', html)
    assert 'value="abc"' in html  # the entered values are kept
    missing = energy.post(
        f"/projects/{project.id}/custody-adjustments",
        data={
            "kind": "floor_area",
            "reference": "P-1",
            "effective_date": "2025-09-01",
            "reason": "扩建",
        },
    )
    assert missing.status_code == 422
    assert 'data-field="new_floor_area_m2"' in missing.get_data(as_text=True)
    ok = energy.post(
        f"/projects/{project.id}/custody-adjustments",
        data={
            "kind": "energy_price",
            "reference": "P-1",
            "effective_date": "2025-09-01",
            "price__electricity": "0.90",
            "price__natural_gas": "",
            "reason": "调价",
        },
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)
    (adjustment,) = db_session.scalars(
        select(CustodyFeeAdjustment).where(CustodyFeeAdjustment.project_id == project.id)
    ).all()
    assert adjustment.prices == [
        {"carrier": "electricity", "unit": "kWh", "new_price_per_unit": "0.90"}
    ]
    # The ESCO's admin sees an agree button and agrees; then the institution's admin.
    esco = login_as("admin@esco.demo")
    assert 'data-testid="agree-adjustment-1"' in esco.get(f"/projects/{project.id}").get_data(
        as_text=True
    )
    url = f"/projects/{project.id}/custody-adjustments/{adjustment.id}/agree"
    assert esco.post(url, data={"version": adjustment.version}).status_code == 302
    db_session.expire_all()
    seen = {"version": adjustment.version}
    assert esco.post(url, data=seen).status_code == 409  # the ESCO has already agreed
    assert login_as("admin@school.demo").post(url, data=seen).status_code == 302
    db_session.expire_all()
    assert adjustment.status == "agreed"
    regenerated = energy.post(f"/projects/{project.id}/schedule/regenerate")
    assert regenerated.status_code == 302
    lines = stored(db_session, project)
    assert fee(lines, "custody_fee", date(2025, 10, 1)).amount == D("66666.67")


def test_service_refuses_a_second_price_for_the_same_carrier(db_session, october_2025):
    project = custody_project(db_session)
    with pytest.raises(Invalid) as caught:
        service.propose_custody_adjustment(
            db_session,
            actor_for(db_session, "energy@school.demo"),
            project.id,
            kind="energy_price",
            reference="D-1",
            effective_date=date(2025, 9, 1),
            prices=[
                {"carrier": "electricity", "unit": "kWh", "new_price_per_unit": D("0.9")},
                {"carrier": "electricity", "unit": "kWh", "new_price_per_unit": D("0.8")},
            ],
            reason="r",
        )
    assert "prices[1].carrier" in caught.value.fields


def test_an_amendment_must_still_fit_the_agreed_adjustments(db_session, october_2025):
    project = custody_project(db_session)
    energy = actor_for(db_session, "energy@school.demo")
    adjustment = service.propose_custody_adjustment(
        db_session,
        energy,
        project.id,
        kind="energy_price",
        reference="E-1",
        effective_date=date(2025, 9, 1),
        prices=[{"carrier": "natural_gas", "unit": "m3", "new_price_per_unit": D("2.40")}],
        reason="气价调整",
    )
    # Proposed only: an amendment dropping gas from the baseline is still acceptable.
    (component,) = CUSTODY.components
    no_gas = terms_to_document(
        dataclasses.replace(
            CUSTODY,
            components=(dataclasses.replace(component, baseline=component.baseline[:1]),),
        )
    )
    _, first = service.set_contract_terms(
        db_session, energy, project.id, terms=no_gas, reason="燃气改由学校自理"
    )
    for email in ("admin@school.demo", "admin@esco.demo"):
        service.agree_custody_adjustment(
            db_session, actor_for(db_session, email), project.id, adjustment.id
        )
    # Once the price change is agreed, the pending amendment can no longer apply…
    service.agree_amendment(
        db_session, actor_for(db_session, "admin@school.demo"), project.id, first.id
    )
    with pytest.raises(Conflict, match="agreed custody fee adjustments"):
        service.agree_amendment(
            db_session, actor_for(db_session, "admin@esco.demo"), project.id, first.id
        )
    # …and a new one is refused naming the adjustment's field.
    with pytest.raises(Invalid) as caught:
        service.set_contract_terms(
            db_session, energy, project.id, terms=no_gas, reason="燃气改由学校自理"
        )
    assert "custody_adjustments[0].carrier" in caught.value.fields


def test_simultaneous_agreements_cannot_both_miss_each_other(db_session, october_2025):
    project = custody_project(db_session)
    adjustment = service.propose_custody_adjustment(
        db_session,
        actor_for(db_session, "energy@school.demo"),
        project.id,
        kind="floor_area",
        reference="S-1",
        effective_date=date(2025, 7, 1),
        new_floor_area_m2=D(11000),
        reason="扩建",
    )
    # The ESCO's agreement is written by another request after this one read version 1.
    db_session.execute(
        update(CustodyFeeAdjustment)
        .where(CustodyFeeAdjustment.id == adjustment.id)
        .values(version=CustodyFeeAdjustment.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(Conflict, match="same moment"):
        service.agree_custody_adjustment(
            db_session, actor_for(db_session, "admin@school.demo"), project.id, adjustment.id
        )


def test_a_simultaneous_second_agreement_is_a_conflict_not_a_lost_update(db_session, october_2025):
    project = custody_project(db_session)
    adjustment = service.propose_custody_adjustment(
        db_session,
        actor_for(db_session, "energy@school.demo"),
        project.id,
        kind="floor_area",
        reference="S-2",
        effective_date=date(2025, 7, 1),
        new_floor_area_m2=D(11000),
        reason="扩建",
    )
    service.agree_custody_adjustment(
        db_session, actor_for(db_session, "admin@esco.demo"), project.id, adjustment.id
    )
    db_session.execute(
        update(CustodyFeeAdjustment)
        .where(CustodyFeeAdjustment.id == adjustment.id)
        .values(version=CustodyFeeAdjustment.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(Conflict, match="same moment"):
        service.agree_custody_adjustment(
            db_session, actor_for(db_session, "admin@school.demo"), project.id, adjustment.id
        )


def _action_error(response) -> str:
    html = response.get_data(as_text=True)
    found = re.search(r'data-testid="action-error">(.*?)</div>', html, re.S)
    assert found, html[:2000]
    return unescape(found.group(1))


def test_the_page_agree_needs_the_version_and_a_stale_page_is_refused(
    login_as, db_session, october_2025
):
    """The custody adjustment's Agree button carries the version the user saw and the page
    requires it (as reject and withdraw do): without it 422, with an old one 409, in Chinese;
    nothing is agreed either way."""
    project = custody_project(db_session)
    energy = login_as("energy@school.demo")
    proposed = energy.post(f"/api/v1/projects/{project.id}/custody-adjustments", json=AREA)
    adjustment = db_session.get(CustodyFeeAdjustment, proposed.get_json()["id"])
    seen = adjustment.version
    url = f"/projects/{project.id}/custody-adjustments/{adjustment.id}/agree"
    school = login_as("admin@school.demo")
    assert f'name="version" value="{seen}"' in school.get(f"/projects/{project.id}").get_data(
        as_text=True
    )
    unversioned = school.post(url)
    assert unversioned.status_code == 422
    assert "版本" in _action_error(unversioned) and "请刷新页面" in _action_error(unversioned)
    # The ESCO agrees meanwhile: the institution's page is now out of date.
    assert login_as("admin@esco.demo").post(url, data={"version": seen}).status_code == 302
    stale = login_as("admin@school.demo").post(url, data={"version": seen})
    assert stale.status_code == 409
    said = _action_error(stale)
    assert "刷新" in said and not re.search(r"[A-Za-z]{3,}", said), said
    db_session.expire_all()
    assert db_session.get(CustodyFeeAdjustment, adjustment.id).institution_agreed_by_user_id is None


def test_regeneration_names_the_lines_it_left_by_period_and_amount_not_by_key(
    login_as, db_session, october_2025
):
    """Approved lines a regeneration cannot re-price are named as every payment-line message
    names a line (kind, first and last day, amount); past three, how many more. Never their
    internal keys (actual:energy_cost_custody:custody_fee:2025-10-01:2025-11-01)."""
    project = custody_project(db_session)
    lines = stored(db_session, project)
    finance2 = actor_for(db_session, "finance2@school.demo")
    finance1 = actor_for(db_session, "finance@school.demo")
    for month in (10, 11, 12):
        for kind in ("custody_fee", "om_fee"):
            line = fee(lines, kind, date(2025, month, 1))
            service.prepare_line(db_session, finance2, line.id, version=1)
            service.approve_line(db_session, finance1, line.id, version=2)
    energy = login_as("energy@school.demo")
    proposed = energy.post(f"/api/v1/projects/{project.id}/custody-adjustments", json=AREA)
    aid, version = proposed.get_json()["id"], proposed.get_json()["version"]
    base = f"/api/v1/projects/{project.id}/custody-adjustments/{aid}/agree"
    assert login_as("admin@school.demo").post(base, json={"version": version}).status_code == 200
    assert login_as("admin@esco.demo").post(base, json={"version": version + 1}).status_code == 200
    page = energy.post(f"/projects/{project.id}/schedule/regenerate", follow_redirects=True)
    html = unescape(page.get_data(as_text=True))
    found = re.search(r"flash-error[^>]*>(.*?)</div>", html, re.S)
    assert found, html[:3000]
    said = found.group(1)
    assert "actual:" not in said and "custody_fee" not in said
    # By first and last day (ISO, as every page shows a period), never the exclusive end.
    assert "托管费（2025-10-01 – 2025-10-31" in said, said
    assert "60,000.00" in said and "5,000.00" in said
    assert "另有 3 笔" in said, said  # six lines: three named, three more


def test_a_reference_with_a_colon_is_refused_in_chinese_on_the_page(
    login_as, db_session, october_2025
):
    """The reference is part of the true-up lines' keys: a ':' is refused with the catalogue's
    sentence, said in Chinese under the field (not "must not contain ':'")."""
    project = custody_project(db_session)
    energy = login_as("energy@school.demo")
    bad = energy.post(
        f"/projects/{project.id}/custody-adjustments",
        data={**AREA, "reference": "补充协议:2025"},
    )
    assert bad.status_code == 422
    html = unescape(bad.get_data(as_text=True))
    found = re.search(r'data-field="reference">(.*?)</ul>', html, re.S)
    assert found, html[:3000]
    said = re.sub(r"<[^>]+>", " ", found.group(1))
    assert "不能包含" in said and "must" not in said, said
    api = energy.post(
        f"/api/v1/projects/{project.id}/custody-adjustments", json={**AREA, "reference": "a:b"}
    )
    assert api.status_code == 422
    assert "reference" in api.get_json()["error"]["fields"]

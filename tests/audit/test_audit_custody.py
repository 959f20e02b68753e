"""An energy-cost custody contract from an audit: its baseline energy cost is the audit's, to
the fen; only accepted custody candidates; terms validated by the finance core; the page form."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from emc.audit import indicators as ind
from emc.audit import service
from emc.audit.models import AuditStatus, EcmStatus
from emc.contracts import service as contracts
from emc.contracts.finance import ContractType
from emc.contracts.models import EmcProject, ProjectStatus, terms_from_document
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from tests.audit.test_audit_service import actor

FEN = D("0.01")


def fen(value: D) -> D:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@pytest.fixture
def hospital(db_session):
    return actor(db_session, "admin@hospital.demo")


@pytest.fixture
def hospital_audit(db_session, hospital):
    (audit,) = service.list_audits(db_session, hospital)
    return audit


def terms(**overrides):
    return {
        "start_date": dt.date(2025, 7, 1),
        "term_years": 8,
        "coefficient": D("0.95"),
        "om_fee_annual": D("180000.00"),
        **overrides,
    }


def projects(session) -> int:
    return session.scalar(select(func.count()).select_from(EmcProject))


def test_the_contract_baseline_is_the_audits_energy_cost_to_the_fen(
    db_session, hospital, hospital_audit
):
    f = service.figures(db_session, hospital, hospital_audit.id)
    assert f.custody_flags and f.accounts.total_cost > 0
    project = service.create_custody_contract(db_session, hospital, hospital_audit.id, **terms())
    assert project.status is ProjectStatus.PROPOSED
    assert project.organization_id == hospital_audit.organization_id
    contract = contracts.get_contract(db_session, hospital, project.id)
    assert contract.contract_type is ContractType.ENERGY_COST_CUSTODY
    parsed = terms_from_document(contract.terms)
    (component,) = parsed.components
    assert component.coefficient == D("0.95") and component.om_fee_annual == D("180000.00")
    assert parsed.term_years == 8 and parsed.start_date == dt.date(2025, 7, 1)
    assert component.floor_area_m2 == sum(b.floor_area_m2 for b in f.buildings)
    by_carrier = {b.carrier: b for b in component.baseline}
    assert set(by_carrier) == {
        c for c, t in f.accounts.by_carrier.items() if t.cost > 0 and c != "pv_generation"
    }
    for carrier, total in f.accounts.by_carrier.items():
        if carrier not in by_carrier:
            continue
        line = by_carrier[carrier]
        assert line.unit == total.unit
        assert line.annual_quantity == total.quantity  # a one-year base period
        assert fen(line.annual_quantity * line.price_per_unit) == fen(total.cost)
        # the price is the base period's cost per unit
        assert abs(line.price_per_unit - total.cost / total.quantity) < D("0.0001")
    baseline_cost = sum(b.annual_quantity * b.price_per_unit for b in component.baseline)
    assert fen(baseline_cost) == fen(f.accounts.annual_cost)
    # The ECMs recommending custody went into the project and are accepted.
    ecms = service.list_ecms(db_session, hospital, hospital_audit.id)
    custody = [e for e in ecms if e.recommended_contract_type is ContractType.ENERGY_COST_CUSTODY]
    assert custody and all(
        e.project_id == project.id and e.status is EcmStatus.ACCEPTED for e in custody
    )
    assert [entry["audit_id"] for entry in project.ecms] == [hospital_audit.id] * len(custody)


def test_a_second_custody_contract_from_the_same_audit_is_refused(
    db_session, hospital, hospital_audit
):
    service.create_custody_contract(db_session, hospital, hospital_audit.id, **terms())
    before = projects(db_session)
    with pytest.raises(Invalid) as raised:
        service.create_custody_contract(db_session, hospital, hospital_audit.id, **terms())
    assert "ecm_ids" in raised.value.fields
    assert projects(db_session) == before


def test_terms_the_finance_core_rejects_name_the_form_field_and_write_nothing(
    db_session, hospital, hospital_audit
):
    before = projects(db_session)
    with pytest.raises(Invalid) as raised:
        service.create_custody_contract(
            db_session, hospital, hospital_audit.id, **terms(coefficient=D("1.2"))
        )
    assert "coefficient" in raised.value.fields
    assert projects(db_session) == before
    ecms = service.list_ecms(db_session, hospital, hospital_audit.id)
    assert all(e.project_id is None for e in ecms)


def test_only_accepted_audits_flagged_as_custody_candidates(db_session, hospital_audit):
    school = actor(db_session, "energy@school.demo")
    (school_audit,) = service.list_audits(db_session, school)
    assert not service.figures(db_session, school, school_audit.id).custody_flags
    with pytest.raises(Conflict) as raised:
        service.create_custody_contract(db_session, school, school_audit.id, **terms())
    assert "status" in raised.value.fields
    draft = service.revise_audit(db_session, school, school_audit.id, reason="补充账单")
    assert draft.status is AuditStatus.DRAFT
    with pytest.raises(Conflict):
        service.create_custody_contract(db_session, school, draft.id, **terms())


def test_a_base_period_without_its_cost_cannot_be_a_baseline(db_session):
    school = actor(db_session, "energy@school.demo")
    (school_audit,) = service.list_audits(db_session, school)  # meter totals carry no cost
    with pytest.raises(Invalid) as raised:
        service.custody_baseline(db_session, school, school_audit.id)
    assert "consumption" in raised.value.fields


def test_who_may_create_a_custody_contract(db_session, hospital_audit):
    for email, error in (
        ("energy@school.demo", NotFound),
        ("engineer@esco.demo", NotFound),
        ("finance@hospital.demo", Forbidden),
        ("auditor@auditor.demo", Forbidden),
    ):
        with pytest.raises(error):
            service.create_custody_contract(
                db_session, actor(db_session, email), hospital_audit.id, **terms()
            )


def test_energy_managers_may_and_the_project_names_the_esco(db_session, hospital_audit):
    from emc.auth.models import Organization

    esco = db_session.scalar(
        select(Organization.id).where(Organization.name_zh == "绿能节能服务有限公司")
    )
    energy = actor(db_session, "energy@hospital.demo")
    project = service.create_custody_contract(
        db_session, energy, hospital_audit.id, **terms(), esco_organization_id=esco
    )
    assert project.esco_organization_id == esco


# --- the pure baseline --------------------------------------------------------------------------


def _accounts(rows, years=1):
    factors = ind.FactorSet([])
    return ind.account(rows, factors, region_code="330100", years=years)


def _row(carrier, unit, month, quantity, cost, source="bill"):
    return ind.Row(carrier, unit, month, D(quantity), None if cost is None else D(cost), source)


def test_awkward_prices_still_reproduce_the_cost_to_the_fen():
    rows = [
        _row("electricity", "kWh", dt.date(2023, m, 1), "123457.7", "98765.43") for m in (1, 2)
    ] + [
        _row("natural_gas", "m³", dt.date(2024, 1, 1), "3333", "10000.01"),
        _row("pv_generation", "kWh", dt.date(2023, 5, 1), "5000", None),
    ]
    lines = ind.custody_baseline(rows, _accounts(rows, years=3))
    assert [line.carrier for line in lines] == ["electricity", "natural_gas"] or [
        line.carrier for line in lines
    ] == ["natural_gas", "electricity"]
    by = {line.carrier: line for line in lines}
    assert by["electricity"].annual_quantity == D("82305.133")  # 246915.4 / 3
    assert by["electricity"].annual_cost == D("65843.62")  # 197530.86 / 3
    assert by["natural_gas"].annual_cost == D("3333.34")
    for line in lines:
        assert fen(line.annual_quantity * line.price_per_unit) == line.annual_cost
        assert abs(line.annual_quantity * line.price_per_unit - line.annual_cost) < D("0.0001")


def test_meter_rows_overridden_by_bills_do_not_need_a_cost_but_counted_ones_do():
    month = dt.date(2023, 3, 1)
    billed = [
        _row("electricity", "kWh", month, "1000", None, source="meter"),
        _row("electricity", "kWh", month, "1000", "720.00"),
    ]
    (line,) = ind.custody_baseline(billed, _accounts(billed))
    assert line.price_per_unit == D("0.7200") and line.annual_cost == D("720.00")
    unbilled = [*billed, _row("electricity", "kWh", dt.date(2023, 4, 1), "900", None, "meter")]
    with pytest.raises(ind.MissingCost) as raised:
        ind.custody_baseline(unbilled, _accounts(unbilled))
    assert raised.value.carrier == "electricity"
    costless = [_row("natural_gas", "m³", month, "0", "50.00")]
    with pytest.raises(ind.MissingCost):
        ind.custody_baseline(costless, _accounts(costless))


# --- API and page -------------------------------------------------------------------------------


def test_the_api_creates_the_custody_proposal(db_session, login_as, hospital_audit):
    client = login_as("energy@hospital.demo")
    url = f"/api/v1/audits/{hospital_audit.id}/custody-contract"
    bad = client.post(url, json={"start_date": "2025-07-01", "term_years": 8, "coefficient": "2"})
    assert bad.status_code == 422
    assert "coefficient" in bad.get_json()["error"]["fields"]
    response = client.post(
        url,
        json={
            "start_date": "2025-07-01",
            "term_years": 8,
            "coefficient": "0.95",
            "om_fee_annual": "180000.00",
        },
    )
    assert response.status_code == 201, response.get_json()
    project_id = response.get_json()["project_id"]
    contract = client.get(f"/api/v1/projects/{project_id}/contract")
    assert contract.status_code == 200
    assert contract.get_json()["contract_type"] == "energy_cost_custody"


def test_the_page_form_shows_the_baseline_and_re_renders_with_field_errors(
    db_session, login_as, hospital_audit
):
    client = login_as("energy@hospital.demo")
    page = client.get(f"/audits/{hospital_audit.id}").get_data(as_text=True)
    assert 'data-testid="custody-baseline"' in page and 'data-testid="custody-form"' in page
    url = f"/audits/{hospital_audit.id}/custody-contract"
    bad = client.post(url, data={"start_date": "2025-07-01", "term_years": "8"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'data-testid="custody-form"' in text and "has-error" in text
    assert 'value="2025-07-01"' in text  # the entered values are kept
    ok = client.post(
        url, data={"start_date": "2025-07-01", "term_years": "8", "coefficient": "0.95"}
    )
    assert ok.status_code == 302 and "/projects/" in ok.headers["Location"]
    viewer = login_as("finance@hospital.demo")
    page = viewer.get(f"/audits/{hospital_audit.id}").get_data(as_text=True)
    assert 'data-testid="custody-form"' not in page

"""Project and contract-terms pages: the same ``ProjectIn`` / ``ContractIn`` schemas as the API,
re-rendered with field errors; a stale terms form is a 409 with nothing written; amendments
proposed on the page and agreed by both parties with buttons; wrong role 403, other tenant 404."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select
from test_contracts_service import GUARANTEED_DOC, SHARED_DOC, esco_id, make_project

from emc.contracts.models import (
    AmendmentStatus,
    Contract,
    ContractAmendment,
    EmcProject,
    ProjectStatus,
)


def _count(session, name: str) -> int:
    return session.scalar(select(func.count()).where(EmcProject.name == name))


def _contract(session, project) -> Contract:
    session.expire_all()
    return session.scalar(select(Contract).where(Contract.project_id == project.id))


def test_energy_manager_creates_a_project_on_the_page(login_as, db_session):
    energy = login_as("energy@school.demo")
    listing = energy.get("/projects").get_data(as_text=True)
    assert 'href="/projects/new"' in listing
    form = energy.get("/projects/new")
    assert form.status_code == 200 and "绿能节能服务有限公司" in form.get_data(as_text=True)
    response = energy.post(
        "/projects/new",
        data={
            "name": "一中图书馆照明改造",
            "esco_organization_id": str(esco_id(db_session)),
            "investor": "institution",
            "total_investment": "356000.50",
        },
    )
    assert response.status_code == 302
    project = db_session.scalar(select(EmcProject).where(EmcProject.name == "一中图书馆照明改造"))
    assert response.headers["Location"].endswith(f"/projects/{project.id}")
    assert project.status is ProjectStatus.DRAFT
    assert str(project.total_investment) == "356000.50"
    assert project.investor.value == "institution"


def test_project_form_rerenders_with_field_errors_and_writes_nothing(login_as, db_session):
    energy = login_as("energy@school.demo")
    response = energy.post(
        "/projects/new",
        data={"name": "", "investor": "nobody", "total_investment": "12.345"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("name", "investor", "total_investment"):
        assert f'data-field="{field}"' in html, field
    assert 'value="12.345"' in html  # the user's input is kept
    # A service error (no such ESCO) lands on its field too.
    bad_esco = energy.post(
        "/projects/new", data={"name": "错ESCO项目", "esco_organization_id": "999999"}
    )
    assert bad_esco.status_code == 422
    assert 'data-field="esco_organization_id"' in bad_esco.get_data(as_text=True)
    assert _count(db_session, "错ESCO项目") == 0


def test_project_form_is_for_institution_managers_only(login_as):
    for email in ("finance@school.demo", "viewer@school.demo", "admin@esco.demo"):
        client = login_as(email)
        assert client.get("/projects/new").status_code == 403, email
        assert client.post("/projects/new", data={"name": "x"}).status_code == 403, email
        assert 'href="/projects/new"' not in client.get("/projects").get_data(as_text=True)


# --- the structured terms form ------------------------------------------------------------
# Each case: the fields a user fills in, and the API document that says the same thing. The
# form enters rates and shares in per cent, a blank unit is the carrier's standard unit, and
# the fieldsets of other contract types are ignored (junk is posted in them on purpose).

COMMON_FIELDS = {
    "term_years": "5",
    "start_date": "2026-01-01",
    "payment_frequency": "quarterly",
    "payment_due_days": "30",
    "discount_rate_pct": "6",
    "prices-0-carrier": "electricity",
    "prices-0-unit": "",
    "prices-0-base_price": "0.80",
    "prices-0-escalation_pct": "2",
    "prices-1-carrier": "",  # a blank spare row
    "prices-2-carrier": "natural_gas",
    "prices-2-unit": "m³",
    "prices-2-base_price": "3.20",
    "prices-2-escalation_pct": "0",
    "estimates-0-carrier": "electricity",
    "estimates-0-annual_quantity": "600,000",
    "estimates-1-carrier": "natural_gas",
    "estimates-1-annual_quantity": "20000",
    "estimates-1-contract_year": "2",
}
COMMON_DOC = {
    "term_years": 5,
    "start_date": "2026-01-01",
    "payment_frequency": "quarterly",
    "payment_due_days": 30,
    "discount_rate": "0.06",
    "currency": "CNY",
    "prices": [
        {"carrier": "electricity", "unit": "kWh", "base_price": "0.80", "escalation": "0.02"},
        {"carrier": "natural_gas", "unit": "m³", "base_price": "3.20", "escalation": "0.00"},
    ],
}
ESTIMATES_DOC = [
    {"carrier": "electricity", "unit": "kWh", "annual_quantity": "600000"},
    {"carrier": "natural_gas", "unit": "m³", "annual_quantity": "20000", "contract_year": 2},
]
SHARED_FIELDS = {
    "shared_savings-shares-0-first_year": "1",
    "shared_savings-shares-0-last_year": "3",
    "shared_savings-shares-0-share_pct": "85",
    "shared_savings-shares-1-first_year": "4",
    "shared_savings-shares-1-last_year": "5",
    "shared_savings-shares-1-share_pct": "60",
}
SHARED_COMPONENT = {
    "type": "shared_savings",
    "shares": [
        {"first_year": 1, "last_year": 3, "share": "0.85"},
        {"first_year": 4, "last_year": 5, "share": "0.60"},
    ],
}
GUARANTEED_FIELDS = {
    "guaranteed_savings-guarantees-0-carrier": "electricity",
    "guaranteed_savings-guarantees-0-quantity": "500000",
    "guaranteed_savings-fees-0-first_year": "1",
    "guaranteed_savings-fees-0-last_year": "2",
    "guaranteed_savings-fees-0-annual_amount": "100000",
    "guaranteed_savings-fees-1-first_year": "3",
    "guaranteed_savings-fees-1-last_year": "5",
    "guaranteed_savings-fees-1-annual_amount": "90000.50",
    "guaranteed_savings-offset_carriers": "offset",
    "guaranteed_savings-excess_share_pct": "50",
}
GUARANTEED_COMPONENT = {
    "type": "guaranteed_savings",
    "guarantees": [{"carrier": "electricity", "unit": "kWh", "quantity": "500000"}],
    "fees": [
        {"first_year": 1, "last_year": 2, "annual_amount": "100000"},
        {"first_year": 3, "last_year": 5, "annual_amount": "90000.50"},
    ],
    "offset_carriers": True,
    "excess_share": "0.50",
}
CUSTODY_FIELDS = {
    "energy_cost_custody-baseline-0-carrier": "electricity",
    "energy_cost_custody-baseline-0-annual_quantity": "1,000,000",
    "energy_cost_custody-baseline-0-price_per_unit": "0.75",
    "energy_cost_custody-baseline-1-carrier": "natural_gas",
    "energy_cost_custody-baseline-1-unit": "m³",
    "energy_cost_custody-baseline-1-annual_quantity": "50000",
    "energy_cost_custody-baseline-1-price_per_unit": "3.20",
    "energy_cost_custody-concession_pct": "5",  # coefficient 0.95
    "energy_cost_custody-floor_area_m2": "12000",
    "energy_cost_custody-om_fee_annual": "30000",
}
CUSTODY_COMPONENT = {
    "type": "energy_cost_custody",
    "baseline": [
        {
            "carrier": "electricity",
            "unit": "kWh",
            "annual_quantity": "1000000",
            "price_per_unit": "0.75",
        },
        {
            "carrier": "natural_gas",
            "unit": "m³",
            "annual_quantity": "50000",
            "price_per_unit": "3.20",
        },
    ],
    "coefficient": "0.95",
    "floor_area_m2": "12000",
    "om_fee_annual": "30000",
}
LEASE_FIELDS = {
    "finance_lease-principal": "1000000",
    "finance_lease-annual_rate_pct": "4.35",
    "finance_lease-residual_value": "",
    "finance_lease-term_years": "",
    "finance_lease-payment_frequency": "",
}
LEASE_COMPONENT = {"type": "finance_lease", "principal": "1000000", "annual_rate": "0.0435"}
JUNK = {  # filled-in fieldsets of types not chosen: ignored
    "shared_savings-shares-0-share_pct": "999",
    "guaranteed_savings-excess_share_pct": "abc",
    "energy_cost_custody-coefficient": "7",
    "finance_lease-principal": "-5",
}


def _junk(*chosen: str) -> dict:
    return {k: v for k, v in JUNK.items() if k.split("-", 1)[0] not in chosen}


CASES = {
    "shared_savings": ({**_junk("shared_savings"), **SHARED_FIELDS}, [SHARED_COMPONENT]),
    "guaranteed_savings": (
        {**_junk("guaranteed_savings"), **GUARANTEED_FIELDS},
        [GUARANTEED_COMPONENT],
    ),
    "energy_cost_custody": (
        {**_junk("energy_cost_custody"), **CUSTODY_FIELDS},
        [CUSTODY_COMPONENT],
    ),
    "finance_lease": ({**_junk("finance_lease"), **LEASE_FIELDS}, [LEASE_COMPONENT]),
    "hybrid": (
        {
            **_junk("shared_savings", "finance_lease"),
            **SHARED_FIELDS,
            **GUARANTEED_FIELDS,  # filled in but not ticked: ignored
            **LEASE_FIELDS,
            "hybrid_components": ["finance_lease", "shared_savings"],
        },
        [SHARED_COMPONENT, LEASE_COMPONENT],
    ),
}


def _form(contract_type: str, **overrides) -> dict:
    fields, _components = CASES[contract_type]
    return {**COMMON_FIELDS, **fields, "contract_type": contract_type, **overrides}


def _errors(html: str) -> dict[str, str]:
    """The field errors on a page: field name → its messages as text."""
    return {
        name: re.sub(r"<[^>]+>", " ", body)
        for name, body in re.findall(
            r'<ul class="field-errors" data-field="([^"]+)">(.*?)</ul>', html, re.S
        )
    }


def _page_fields(html: str) -> dict:
    """What a browser submits for the form on ``html`` as it is rendered (prefilled)."""
    start = html.index('data-testid="terms-form"')
    form = html[start : html.index("</form>", start)]
    data: dict = {}
    for attrs in re.findall(r"<input ([^>]*)>", form):
        name = re.search(r'name="([^"]+)"', attrs)
        if not name or name[1] == "csrf_token":
            continue
        if 'type="checkbox"' in attrs and " checked" not in attrs:
            continue
        value = re.search(r'value="([^"]*)"', attrs)
        data.setdefault(name[1], []).append(unescape(value[1]) if value else "")
    for name, body in re.findall(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = [unescape(chosen[1]) if chosen else ""]
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = [unescape(body)]
    return data


@pytest.mark.parametrize("contract_type", list(CASES))
def test_structured_terms_form_stores_what_the_api_stores(login_as, db_session, contract_type):
    # Both start from the shared-savings example (a per-cent entry equal to a stored fraction
    # keeps the stored spelling; the amendment test below relies on that).
    by_form, by_api = (
        make_project(db_session, terms=SHARED_DOC, sign=False, generate=False, name=name)
        for name in (f"表单{contract_type}", f"接口{contract_type}")
    )
    energy = login_as("energy@school.demo")
    response = energy.post(
        f"/projects/{by_form.id}/terms", data={**_form(contract_type), "version": "1"}
    )
    assert response.status_code == 302, _errors(response.get_data(as_text=True))
    _fields, components = CASES[contract_type]
    document = {**COMMON_DOC, "contract_type": contract_type, "components": components}
    api = energy.post(
        f"/api/v1/projects/{by_api.id}/contract",
        json={"terms": document, "savings_estimates": ESTIMATES_DOC, "version": 1},
    )
    assert api.status_code == 200, api.get_json()
    stored, expected = _contract(db_session, by_form), _contract(db_session, by_api)
    assert stored.version == 2 and stored.contract_type.value == contract_type
    assert stored.terms == expected.terms
    assert stored.savings_estimates == expected.savings_estimates
    assert stored.terms["discount_rate"] == "0.06"
    assert [c["type"] for c in stored.terms["components"]] == [c["type"] for c in components]


def test_terms_form_rerenders_errors_next_to_their_fields_with_the_posted_values(
    login_as, db_session
):
    project = make_project(db_session, sign=False, generate=False)
    energy = login_as("energy@school.demo")
    url = f"/projects/{project.id}/terms"
    # A schema error (ContractIn: estimate without a quantity) on the estimate's cell.
    missing = energy.post(
        url, data=_form("shared_savings", **{"estimates-1-annual_quantity": "", "version": "1"})
    )
    assert missing.status_code == 422
    html = missing.get_data(as_text=True)
    assert "estimates-1-annual_quantity" in _errors(html)
    assert 'name="discount_rate_pct" value="6"' in html  # what the user typed is kept
    assert 'name="estimates-0-annual_quantity" value="600,000"' in html
    # A finance-core error in the second filled share row, entered in form row 3 (row 2
    # blank): shown on row 3's cell, in per cent.
    shares = {
        "shared_savings-shares-1-first_year": "",
        "shared_savings-shares-1-last_year": "",
        "shared_savings-shares-1-share_pct": "",
        "shared_savings-shares-3-first_year": "4",
        "shared_savings-shares-3-last_year": "5",
        "shared_savings-shares-3-share_pct": "120",
    }
    bad_share = energy.post(url, data=_form("shared_savings", **shares, version="1"))
    assert bad_share.status_code == 422
    html = bad_share.get_data(as_text=True)
    assert "100" in _errors(html)["shared_savings-shares-3-share_pct"]
    assert 'name="shared_savings-shares-3-share_pct" value="120"' in html
    # A term of 0 years, a discount rate that is not a number, an uncovered year.
    for overrides, field in (
        ({"term_years": "0"}, "term_years"),
        ({"discount_rate_pct": "六"}, "discount_rate_pct"),
        ({"term_years": "6"}, "shared_savings-shares"),
        ({"prices-2-escalation_pct": "-150"}, "prices-2-escalation_pct"),
    ):
        response = energy.post(url, data=_form("shared_savings", **overrides, version="1"))
        assert response.status_code == 422, overrides
        assert field in _errors(response.get_data(as_text=True)), (overrides, field)
    # A hybrid needs two ticked components; a custody coefficient and concession must agree.
    one = energy.post(url, data=_form("hybrid", hybrid_components=["shared_savings"], version="1"))
    assert "hybrid_components" in _errors(one.get_data(as_text=True))
    clash = energy.post(
        url,
        data=_form(
            "energy_cost_custody", **{"energy_cost_custody-coefficient": "0.9"}, version="1"
        ),
    )
    assert clash.status_code == 422
    assert "energy_cost_custody-concession_pct" in _errors(clash.get_data(as_text=True))
    contract = _contract(db_session, project)
    assert contract.version == 1 and contract.contract_type.value == "guaranteed_savings"


def test_terms_form_prefills_the_current_terms(login_as, db_session):
    project = make_project(db_session, sign=False, generate=False)  # GUARANTEED_DOC
    form = login_as("energy@school.demo").get(f"/projects/{project.id}/terms")
    assert form.status_code == 200
    fields = _page_fields(form.get_data(as_text=True))
    expected = {
        "version": ["1"],
        "contract_type": ["guaranteed_savings"],
        "term_years": ["3"],
        "start_date": ["2025-01-01"],
        "payment_frequency": ["monthly"],
        "payment_due_days": ["30"],
        "discount_rate_pct": ["5"],
        "prices-0-carrier": ["electricity"],
        "prices-0-unit": ["kWh"],
        "prices-0-base_price": ["0.80"],
        "prices-0-escalation_pct": ["0"],
        "estimates-0-annual_quantity": ["720000"],
        "guaranteed_savings-guarantees-0-quantity": ["600000"],
        "guaranteed_savings-fees-0-annual_amount": ["120000"],
        "guaranteed_savings-excess_share_pct": ["50"],
        "guaranteed_savings-offset_carriers": ["per_carrier"],
    }
    assert {k: fields.get(k) for k in expected} == expected
    assert fields["prices-1-carrier"] == [""]  # a spare row to add a carrier


def test_terms_form_prefills_custody_and_hybrid_components(login_as, db_session):
    project = make_project(db_session, terms=SHARED_DOC, sign=False, generate=False)
    energy = login_as("energy@school.demo")
    url = f"/projects/{project.id}/terms"
    fields = {**_form("energy_cost_custody"), "version": "1"}
    assert energy.post(url, data=fields).status_code == 302
    html = energy.get(url).get_data(as_text=True)
    shown = _page_fields(html)
    assert shown["energy_cost_custody-coefficient"] == ["0.95"]  # entered as a 5 % concession
    assert shown["energy_cost_custody-baseline-1-unit"] == ["m³"]
    assert shown["energy_cost_custody-baseline-0-annual_quantity"] == ["1000000"]
    # (1,000,000 kWh × 0.75 + 50,000 m³ × 3.20) × 0.95 = 864,500.00 a year
    assert '<output data-testid="custody-fee">¥864,500.00</output>' in html
    hybrid = {**_form("hybrid"), "version": "2"}
    assert energy.post(url, data=hybrid).status_code == 302
    shown = _page_fields(energy.get(url).get_data(as_text=True))
    assert shown["contract_type"] == ["hybrid"]
    assert shown["hybrid_components"] == ["shared_savings", "finance_lease"]
    assert shown["finance_lease-annual_rate_pct"] == ["4.35"]
    assert shown["shared_savings-shares-1-share_pct"] == ["60"]
    assert "editor" not in shown  # the structured form shows all of it


def test_terms_the_form_cannot_show_open_in_the_json_editor(login_as, db_session):
    # A hybrid of two shared-savings components (different shares for two labelled parts).
    document = json.loads(json.dumps(SHARED_DOC))
    document["contract_type"] = "hybrid"
    second = {**document["components"][0], "label": "lighting"}
    document["components"].append(second)
    project = make_project(db_session, terms=document, sign=False, generate=False)
    energy = login_as("energy@school.demo")
    url = f"/projects/{project.id}/terms"
    shown = _page_fields(energy.get(url).get_data(as_text=True))
    assert shown["editor"] == ["json"]
    before = _contract(db_session, project).terms
    # Submitting the page as shown saves the JSON, so nothing is lost.
    assert energy.post(url, data=shown).status_code == 302
    contract = _contract(db_session, project)
    assert contract.version == 2 and contract.terms == before
    assert [c["label"] for c in contract.terms["components"]] == ["shared_savings", "lighting"]


def test_a_stale_terms_form_is_a_409_and_nothing_is_written(login_as, db_session):
    project = make_project(db_session, sign=False, generate=False)
    energy = login_as("energy@school.demo")
    response = energy.post(
        f"/projects/{project.id}/terms", data={**_form("shared_savings"), "version": "0"}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "第 0 版，现在是第 1 版" in html and "version" in _errors(html)
    assert 'name="shared_savings-shares-0-share_pct" value="85"' in html  # the edit is kept
    # The API takes the same optional version (ContractIn) and refuses a stale one alike.
    api = energy.post(
        f"/api/v1/projects/{project.id}/contract", json={"terms": SHARED_DOC, "version": 0}
    )
    assert api.status_code == 409 and "version" in api.get_json()["error"]["fields"]
    contract = _contract(db_session, project)
    assert contract.version == 1 and contract.contract_type.value == "guaranteed_savings"


def test_signed_contract_amendment_needs_a_reason_and_both_parties_agree(login_as, db_session):
    project = make_project(db_session)
    energy = login_as("energy@school.demo")
    page = energy.get(f"/projects/{project.id}/terms").get_data(as_text=True)
    assert 'name="reason"' in page
    # The browser submits the prefilled form with one fee changed.
    fields = {
        **_page_fields(page),
        "guaranteed_savings-fees-0-annual_amount": "132000",
    }
    no_reason = energy.post(f"/projects/{project.id}/terms", data=fields)
    assert no_reason.status_code == 422
    assert "reason" in _errors(no_reason.get_data(as_text=True))
    proposed = energy.post(
        f"/projects/{project.id}/terms", data={**fields, "reason": "增加照明回路，服务费调整"}
    )
    assert proposed.status_code == 302
    amendment = db_session.scalar(select(ContractAmendment).order_by(ContractAmendment.id.desc()))
    assert amendment.status is AmendmentStatus.PROPOSED
    # Only the fee changed: everything else the page showed came back as it was stored.
    expected = json.loads(json.dumps(GUARANTEED_DOC))
    expected["components"][0]["fees"][0]["annual_amount"] = "132000"
    assert amendment.terms_before == GUARANTEED_DOC and amendment.terms_after == expected

    # The energy manager may not agree; the institution admin and the ESCO admin do.
    page = energy.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"agree-{amendment.number}" not in page
    url = f"/projects/{project.id}/amendments/{amendment.id}/agree"
    seen = {"row_version": amendment.row_version}
    assert energy.post(url, data=seen).status_code == 403
    admin = login_as("admin@school.demo")
    assert f"agree-{amendment.number}" in admin.get(f"/projects/{project.id}").get_data(
        as_text=True
    )
    assert admin.post(url, data=seen).status_code == 302
    db_session.expire_all()
    seen = {"row_version": db_session.get(ContractAmendment, amendment.id).row_version}
    assert admin.post(url, data=seen).status_code == 409  # the institution has already agreed
    assert login_as("admin@esco.demo").post(url, data=seen).status_code == 302
    contract = _contract(db_session, project)
    assert contract.terms == expected


def test_advanced_json_editor_still_saves_and_rerenders_its_errors(login_as, db_session):
    project = make_project(db_session, sign=False, generate=False)
    energy = login_as("energy@school.demo")
    url = f"/projects/{project.id}/terms"
    bad_json = energy.post(
        url,
        data={**_form("shared_savings"), "editor": "json", "terms": "{not json", "version": "1"},
    )
    assert bad_json.status_code == 422
    html = bad_json.get_data(as_text=True)
    assert "terms" in _errors(html) and "{not json" in html
    terms = json.loads(json.dumps(GUARANTEED_DOC))
    terms["term_years"] = 0
    bad_terms = energy.post(
        url, data={"editor": "json", "terms": json.dumps(terms), "version": "1"}
    )
    assert bad_terms.status_code == 422
    assert "合同期限（年）：" in _errors(bad_terms.get_data(as_text=True))["terms"]
    saved = energy.post(
        url,
        data={
            "editor": "json",
            "terms": json.dumps(SHARED_DOC),
            "savings_estimates": json.dumps(
                [{"carrier": "electricity", "unit": "kWh", "annual_quantity": "500000"}]
            ),
            "version": "1",
        },
    )
    assert saved.status_code == 302
    contract = _contract(db_session, project)
    assert contract.contract_type.value == "shared_savings" and contract.version == 2
    assert contract.savings_estimates[0]["annual_quantity"] == "500000"


def test_terms_pages_hide_other_tenants_and_refuse_other_roles(login_as, db_session):
    project = make_project(db_session, sign=False, generate=False)
    for email in ("energy@hospital.demo", "admin@auditor.demo"):
        client = login_as(email)
        assert client.get(f"/projects/{project.id}/terms").status_code == 404, email
        assert client.post(f"/projects/{project.id}/terms", data={}).status_code == 404, email
    for email in ("finance@school.demo", "admin@esco.demo"):
        client = login_as(email)
        assert client.get(f"/projects/{project.id}/terms").status_code == 403, email
        response = client.post(
            f"/projects/{project.id}/terms",
            data={"terms": json.dumps(SHARED_DOC), "version": "1"},
        )
        assert response.status_code == 403, email
    assert _contract(db_session, project).version == 1


# The common terms of a quarterly 3-year contract from 2026 at 0.80 yuan/kWh, as the form posts them.
THREE_YEARS_FROM_2026 = {
    "term_years": "3",
    "start_date": "2026-01-01",
    "payment_frequency": "quarterly",
    "payment_due_days": "30",
    "discount_rate_pct": "6",
    "prices-0-carrier": "electricity",
    "prices-0-base_price": "0.80",
}


def test_terms_form_proposes_a_per_contract_year_guarantee_and_records_costs(login_as, db_session):
    """A new contract's form proposes reconciling a guarantee per contract year; the running
    costs entered per party reach the stored terms and the economics."""
    from emc.contracts import service
    from emc.contracts.models import Contract

    client = login_as("energy@school.demo")
    created = client.post("/api/v1/projects", json={"name": "保证型 新合同"})
    pid = created.get_json()["id"]
    page = client.get(f"/projects/{pid}/terms").get_data(as_text=True)
    assert 'name="guaranteed_savings-reconciliation"' in page
    assert '<option value="contract_year" selected>' in page
    form = {
        **THREE_YEARS_FROM_2026,
        "contract_type": "guaranteed_savings",
        "guaranteed_savings-guarantees-0-carrier": "electricity",
        "guaranteed_savings-guarantees-0-quantity": "100000",
        "guaranteed_savings-fees-0-first_year": "1",
        "guaranteed_savings-fees-0-last_year": "3",
        "guaranteed_savings-fees-0-annual_amount": "100000",
        "guaranteed_savings-reconciliation": "contract_year",
        "costs-0-party": "esco",
        "costs-0-kind": "operation_maintenance",
        "costs-0-annual_amount": "10000",
        "costs-0-escalation_pct": "5",
        "costs-0-first_year": "1",
        "version": "0",
    }
    saved = client.post(f"/projects/{pid}/terms", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db_session.expire_all()
    contract = db_session.query(Contract).filter_by(project_id=pid).one()
    assert contract.terms["components"][0]["reconciliation"] == "contract_year"
    assert contract.terms["costs"] == [
        {
            "party": "esco",
            "kind": "operation_maintenance",
            "annual_amount": "10000",
            "escalation": "0.05",
            "first_year": 1,
            "last_year": None,
            "description": "",
        }
    ]
    economics = client.get(f"/api/v1/projects/{pid}/economics").get_json()
    assert [c["amount"] for c in economics["costs"]] == ["-10000.00", "-10500.00", "-11025.00"]
    # A negative cost is refused, named on its field.
    bad = client.post(
        f"/projects/{pid}/terms", data={**form, "costs-0-annual_amount": "-1", "version": "1"}
    )
    assert bad.status_code == 422
    assert "costs-0-annual_amount" in bad.get_data(as_text=True)
    del service


def test_a_negative_savings_estimate_is_refused_naming_the_field(login_as):
    client = login_as("energy@school.demo")
    pid = client.post("/api/v1/projects", json={"name": "估算为负"}).get_json()["id"]
    from emc.contracts.models import terms_to_document
    from emc.mv.service.demo import demo_terms

    r = client.http.put(
        f"/api/v1/projects/{pid}/contract",
        json={
            "terms": terms_to_document(demo_terms()),
            "savings_estimates": [
                {"carrier": "electricity", "unit": "kWh", "annual_quantity": "-1000"}
            ],
        },
        headers={"X-CSRFToken": client.csrf},
    )
    assert r.status_code == 422, r.get_json()
    assert "savings_estimates[0].annual_quantity" in r.get_json()["error"]["fields"]


def test_terms_form_records_a_shared_savings_minimum_and_cap_shown_on_page_and_pdf(
    login_as, db_session
):
    """The annual minimum and cap are entered on the terms form, kept in the terms document,
    listed (in Chinese) on the project page and the schedule PDF; a minimum above the cap is
    refused on its field."""
    import io

    from pypdf import PdfReader

    client = login_as("energy@school.demo")
    pid = client.post("/api/v1/projects", json={"name": "分享型 保底封顶"}).get_json()["id"]
    page = client.get(f"/projects/{pid}/terms").get_data(as_text=True)
    for name in ("annual_minimum", "annual_cap", "reconciliation"):
        assert f'name="shared_savings-{name}"' in page
    assert "每个合同年度节能服务公司最低收益" in page
    form = {
        **THREE_YEARS_FROM_2026,
        "contract_type": "shared_savings",
        "shared_savings-shares-0-first_year": "1",
        "shared_savings-shares-0-last_year": "3",
        "shared_savings-shares-0-share_pct": "80",
        "shared_savings-annual_minimum": "20,000",
        "shared_savings-annual_cap": "30000.00",
        "shared_savings-reconciliation": "contract_year",
        "version": "0",
    }
    bad = client.post(
        f"/projects/{pid}/terms", data={**form, "shared_savings-annual_minimum": "40000"}
    )
    assert bad.status_code == 422
    text = unescape(bad.get_data(as_text=True))
    assert 'data-field="shared_savings-annual_minimum"' in text
    saved = client.post(f"/projects/{pid}/terms", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db_session.expire_all()
    component = _contract(db_session, db_session.get(EmcProject, pid)).terms["components"][0]
    assert (component["annual_minimum"], component["annual_cap"]) == ("20000", "30000.00")
    assert component["reconciliation"] == "contract_year"
    project_page = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "保底 20,000.00 元 · 封顶 30,000.00 元 · 每个合同年度末多退少补" in project_page
    api = client.get(f"/api/v1/projects/{pid}/contract").get_json()
    assert api["terms"]["components"][0]["annual_cap"] == "30000.00"
    described = client.get("/api/v1/openapi.json").get_json()
    assert "annual_minimum" in json.dumps(described)
    pdf = client.get(f"/api/v1/projects/{pid}/schedule.pdf")
    assert pdf.status_code == 200
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "保底 20,000.00 元" in words.replace("\n", "")


def test_terms_form_reports_every_bad_field_at_once_in_chinese(login_as, db_session):
    """Five bad fields, one submit: each under its own input, none in English (a number that
    does not parse is said from the catalogue, not as a Python repr)."""
    project = make_project(db_session, sign=False, generate=False)
    energy = login_as("energy@school.demo")
    bad = {
        "term_years": "0",
        "payment_due_days": "-5",
        "discount_rate_pct": "abc",
        "prices-0-base_price": "-0.5",
        "shared_savings-shares-0-share_pct": "150",
    }
    response = energy.post(
        f"/projects/{project.id}/terms", data=_form("shared_savings", **bad, version="1")
    )
    assert response.status_code == 422
    errors = _errors(response.get_data(as_text=True))
    assert set(bad) <= set(errors), errors
    assert "必须是数字" in errors["discount_rate_pct"]
    text = " ".join(errors.values())
    assert not re.search(r"[A-Za-z]{3,}", text.replace("CNY", "")), text
    assert _contract(db_session, project).version == 1  # nothing written


def test_a_blank_project_name_is_refused_on_the_page_and_in_the_api(login_as, db_session):
    energy = login_as("energy@school.demo")
    page = energy.post("/projects/new", data={"name": "   "})
    assert page.status_code == 422 and "不能为空白" in _errors(page.get_data(as_text=True))["name"]
    api = energy.post("/api/v1/projects", json={"name": " \t "})
    assert api.status_code == 422 and "name" in api.get_json()["error"]["fields"]
    assert _count(db_session, "   ") == 0
    saved = energy.post("/api/v1/projects", json={"name": "  图书馆照明  "})
    assert saved.status_code == 201 and saved.get_json()["name"] == "图书馆照明"


def test_a_project_stored_with_a_blank_name_is_still_listed_and_opened(login_as, db_session):
    project = make_project(db_session, sign=False, generate=False)
    project.name = "  "
    db_session.flush()
    energy = login_as("energy@school.demo")
    listing = energy.get("/projects").get_data(as_text=True)
    link = f'<a href="/projects/{project.id}">（未命名项目 #{project.id}）</a>'
    assert link in listing
    page = energy.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"（未命名项目 #{project.id}）" in page


def test_the_json_editor_says_where_the_json_is_broken_and_names_fields_in_chinese(
    login_as, db_session
):
    """Not Python's English ("Expecting property name enclosed in double quotes: line 2 column
    3 (char 4)"), nor document paths ("terms.term_years: 必填"): the line and column of the
    broken JSON, and each field by the label the form gives it."""
    project = make_project(db_session, sign=False, generate=False)
    energy = login_as("energy@school.demo")
    url = f"/projects/{project.id}/terms"
    broken = energy.post(url, data={"editor": "json", "terms": '{\n  ,"a": 1}', "version": "1"})
    assert broken.status_code == 422
    said = _errors(broken.get_data(as_text=True))["terms"]
    assert "不是有效的 JSON" in said and "第 2 行" in said and "第 3 列" in said, said
    assert not re.search(r"[A-Za-z]{3,}", said.replace("JSON", "")), said
    terms = json.loads(json.dumps(GUARANTEED_DOC))
    del terms["term_years"]
    terms["components"][0]["fees"][0]["annual_amount"] = "-1"
    bad = energy.post(url, data={"editor": "json", "terms": json.dumps(terms), "version": "1"})
    assert bad.status_code == 422
    said = _errors(bad.get_data(as_text=True))["terms"]
    assert "合同期限（年）：" in said, said
    assert "合同分项 › 第 1 项 › 服务费计划 › 第 1 项 › 每年服务费（元）：" in said, said
    assert "terms." not in said and "term_years" not in said and "annual_amount" not in said
    assert _contract(db_session, project).version == 1  # nothing written


def test_a_stale_project_page_cannot_agree_to_an_amendment(login_as, db_session):
    """The Agree button on /projects/<id> carries the amendment's row version, as the life page
    does: a page opened before the amendment changed is refused (409), nothing agreed; a post
    without the version is refused (422), in Chinese."""
    project = make_project(db_session)
    energy = login_as("energy@school.demo")
    fields = {**_page_fields(energy.get(f"/projects/{project.id}/terms").get_data(as_text=True))}
    fields["guaranteed_savings-fees-0-annual_amount"] = "132000"
    proposed = energy.post(f"/projects/{project.id}/terms", data={**fields, "reason": "调整"})
    assert proposed.status_code == 302
    amendment = db_session.scalar(select(ContractAmendment).order_by(ContractAmendment.id.desc()))
    admin = login_as("admin@school.demo")
    page = admin.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'name="row_version" value="{amendment.row_version}"' in page
    url = f"/projects/{project.id}/amendments/{amendment.id}/agree"
    unversioned = admin.post(url)
    assert unversioned.status_code == 422
    html = unversioned.get_data(as_text=True)
    assert "版本" in html and "请刷新页面" in html
    stale = admin.post(url, data={"row_version": amendment.row_version - 1 or 99})
    assert stale.status_code == 409
    error = re.search(r'data-testid="action-error">(.*?)</div>', stale.get_data(as_text=True), re.S)
    assert error and "刷新" in unescape(error.group(1)), stale.get_data(as_text=True)[:2000]
    db_session.expire_all()
    assert db_session.get(ContractAmendment, amendment.id).institution_agreed_by_user_id is None

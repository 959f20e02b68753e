"""Emission-factor reference data: everyone signed in reads it, platform admins add rows (validated,
journaled, duplicates refused), and stored rows are never edited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from emc import journal
from emc.facilities.models import EmissionFactor

ZJ_2023 = {
    "carrier": "electricity",
    "kind": "co2",
    "unit": "kgCO2/kWh",
    "value": "0.5153",
    "year": 2023,
    "scope": "provincial",
    "region": "330000",
    "source": "浙江省生态环境厅 2023 年浙江省电力二氧化碳排放因子",
}


@pytest.fixture
def platform(login_as):
    return login_as("admin@platform.demo")


def test_everyone_signed_in_reads_and_filters(login_as):
    viewer = login_as("viewer@school.demo")
    response = viewer.get("/api/v1/emission-factors?carrier=electricity&kind=co2&year=2022")
    assert response.status_code == 200
    rows = response.get_json()
    assert {r["value"] for r in rows} == {"0.53660000", "0.57030000"}
    assert all(r["carrier"] == "electricity" and r["year"] == 2022 for r in rows)
    assert all(r["source"] for r in rows)
    fuels = viewer.get("/api/v1/emission-factors?carrier=natural_gas").get_json()
    assert {(r["kind"], r["unit"]) for r in fuels} == {("tce", "kgce/m³"), ("co2", "kgCO2/m³")}


def test_platform_admin_adds_a_provincial_factor_and_it_is_journaled(platform, db_session):
    response = platform.post("/api/v1/emission-factors", json=ZJ_2023)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["value"] == "0.51530000" and body["variant"] == "national_average"
    row = db_session.get(EmissionFactor, body["id"])
    assert row.value == Decimal("0.5153") and row.region == "330000"
    (entry,) = journal.history(db_session, "emission_factors", row.id)
    assert entry.action == "create" and entry.after["source"] == ZJ_2023["source"]
    listed = platform.get("/api/v1/emission-factors?region=330000&year=2023").get_json()
    assert [r["id"] for r in listed] == [row.id]


def test_a_duplicate_is_refused_naming_the_key_fields(platform, db_session):
    assert platform.post("/api/v1/emission-factors", json=ZJ_2023).status_code == 201
    again = platform.post("/api/v1/emission-factors", json={**ZJ_2023, "value": "0.52"})
    assert again.status_code == 409
    fields = again.get_json()["error"]["fields"]
    assert set(fields) == {"carrier", "kind", "variant", "scope", "region", "year"}
    # The seeded national 2022 value cannot be overwritten either (NULL region compared too).
    national = {**ZJ_2023, "scope": "national", "year": 2022, "value": "0.6"}
    del national["region"]
    assert platform.post("/api/v1/emission-factors", json=national).status_code == 409
    count = select(func.count()).select_from(EmissionFactor).where(EmissionFactor.year == 2023)
    assert db_session.scalar(count.where(EmissionFactor.region == "330000")) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source": "  "}, "source"),
        ({"value": "0"}, "value"),
        ({"value": "-0.1"}, "value"),
        ({"unit": "kgce/kWh"}, "unit"),  # a tce unit for a CO2 factor
        ({"unit": "kgCO2/m³"}, "unit"),  # not a unit of electricity
        ({"region": "330100"}, "region"),  # a city, not a province
        ({"region": "990000"}, "region"),  # no such province
        ({"region": ""}, "region"),
        ({"scope": "fuel"}, "scope"),
        ({"kind": "ch4"}, "kind"),
        ({"carrier": "steam"}, "carrier"),
        ({"year": 1800}, "year"),
        ({"variant": "calorific"}, "variant"),  # a tce variant on a CO2 factor
    ],
)
def test_invalid_factors_are_refused_naming_the_field(platform, db_session, change, field):
    before = db_session.scalar(select(func.count()).select_from(EmissionFactor))
    response = platform.post("/api/v1/emission-factors", json={**ZJ_2023, **change})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db_session.scalar(select(func.count()).select_from(EmissionFactor)) == before


def test_source_is_required(platform):
    body = {k: v for k, v in ZJ_2023.items() if k != "source"}
    response = platform.post("/api/v1/emission-factors", json=body)
    assert response.status_code == 422 and "source" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("email", ["admin@school.demo", "officer@zhejiang.demo", "admin@esco.demo"])
def test_only_platform_admins_add_factors(login_as, email):
    assert login_as(email).post("/api/v1/emission-factors", json=ZJ_2023).status_code == 403


def test_no_route_edits_or_deletes_a_factor(platform, db_session):
    factor_id = db_session.scalar(select(EmissionFactor.id).limit(1))
    assert platform.patch(f"/api/v1/emission-factors/{factor_id}", json={}).status_code in (
        404,
        405,
    )


def test_page_lists_factors_and_platform_admin_adds_one(platform, login_as, db_session):
    page = platform.get("/emission-factors?carrier=electricity&kind=co2")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="factor-form"' in text
    assert "0.5306" in text and "1.2143" not in text
    form = {**ZJ_2023, "year": "2023", "variant": ""}
    created = platform.post("/emission-factors", data=form)
    assert created.status_code == 302
    assert db_session.scalar(select(EmissionFactor).where(EmissionFactor.region == "330000"))
    dup = platform.post("/emission-factors", data=form)
    assert dup.status_code == 409 and "field-errors" in dup.get_data(as_text=True)
    bad = platform.post("/emission-factors", data={**form, "source": ""})
    assert bad.status_code == 422
    viewer_page = login_as("viewer@school.demo").get("/emission-factors")
    assert viewer_page.status_code == 200
    assert 'data-testid="factor-form"' not in viewer_page.get_data(as_text=True)

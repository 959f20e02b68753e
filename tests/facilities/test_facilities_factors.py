"""Emission-factor reference data: everyone signed in reads it, platform admins add rows (validated,
journaled, duplicates refused), and stored rows are never edited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from emc import journal
from emc.facilities.models import EmissionFactor

# A year no announcement covers yet (2021–2023 are seeded for every province).
ZJ_2024 = {
    "carrier": "electricity",
    "kind": "co2",
    "unit": "kgCO2/kWh",
    "value": "0.5153",
    "year": 2024,
    "scope": "provincial",
    "region": "330000",
    "source": "浙江省生态环境厅 2024 年浙江省电力二氧化碳排放因子",
}


@pytest.fixture
def platform(login_as):
    return login_as("admin@platform.demo")


def test_everyone_signed_in_reads_and_filters(login_as):
    viewer = login_as("viewer@school.demo")
    response = viewer.get("/api/v1/emission-factors?carrier=electricity&kind=co2&year=2022")
    assert response.status_code == 200
    rows = response.get_json()
    national = [r for r in rows if r["scope"] == "national"]
    assert {r["value"] for r in national} == {"0.53660000", "0.57030000"}
    assert all(r["carrier"] == "electricity" and r["year"] == 2022 for r in rows)
    assert all(r["source"] for r in rows)
    fuels = viewer.get("/api/v1/emission-factors?carrier=natural_gas").get_json()
    assert {(r["kind"], r["unit"]) for r in fuels} == {("tce", "kgce/m³"), ("co2", "kgCO2/m³")}


def test_platform_admin_adds_a_provincial_factor_and_it_is_journaled(platform, db_session):
    response = platform.post("/api/v1/emission-factors", json=ZJ_2024)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["value"] == "0.51530000" and body["variant"] == "national_average"
    row = db_session.get(EmissionFactor, body["id"])
    assert row.value == Decimal("0.5153") and row.region == "330000"
    (entry,) = journal.history(db_session, "emission_factors", row.id)
    assert entry.action == "create" and entry.after["source"] == ZJ_2024["source"]
    listed = platform.get("/api/v1/emission-factors?region=330000&year=2024").get_json()
    assert [r["id"] for r in listed] == [row.id]


def test_a_duplicate_is_refused_naming_the_key_fields(platform, db_session):
    assert platform.post("/api/v1/emission-factors", json=ZJ_2024).status_code == 201
    again = platform.post("/api/v1/emission-factors", json={**ZJ_2024, "value": "0.52"})
    assert again.status_code == 409
    fields = again.get_json()["error"]["fields"]
    assert set(fields) == {"carrier", "kind", "variant", "scope", "region", "year"}
    # The seeded national 2022 value cannot be overwritten either (NULL region compared too).
    national = {**ZJ_2024, "scope": "national", "year": 2022, "value": "0.6"}
    del national["region"]
    assert platform.post("/api/v1/emission-factors", json=national).status_code == 409
    count = select(func.count()).select_from(EmissionFactor).where(EmissionFactor.year == 2024)
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
    response = platform.post("/api/v1/emission-factors", json={**ZJ_2024, **change})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db_session.scalar(select(func.count()).select_from(EmissionFactor)) == before


def test_source_is_required(platform):
    body = {k: v for k, v in ZJ_2024.items() if k != "source"}
    response = platform.post("/api/v1/emission-factors", json=body)
    assert response.status_code == 422 and "source" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("email", ["admin@school.demo", "officer@zhejiang.demo", "admin@esco.demo"])
def test_only_platform_admins_add_factors(login_as, email):
    assert login_as(email).post("/api/v1/emission-factors", json=ZJ_2024).status_code == 403


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
    form = {**ZJ_2024, "year": "2024", "variant": ""}
    created = platform.post("/emission-factors", data=form)
    assert created.status_code == 302
    added = select(EmissionFactor).where(
        EmissionFactor.region == "330000", EmissionFactor.year == 2024
    )
    assert db_session.scalar(added)
    dup = platform.post("/emission-factors", data=form)
    assert dup.status_code == 409 and "field-errors" in dup.get_data(as_text=True)
    bad = platform.post("/emission-factors", data={**form, "source": ""})
    assert bad.status_code == 422
    viewer_page = login_as("viewer@school.demo").get("/emission-factors")
    assert viewer_page.status_code == 200
    assert 'data-testid="factor-form"' not in viewer_page.get_data(as_text=True)


# --- corrections ----------------------------------------------------------------------------


def _national_2023(session) -> EmissionFactor:
    return session.scalar(
        select(EmissionFactor).where(
            EmissionFactor.carrier == "electricity",
            EmissionFactor.kind == "co2",
            EmissionFactor.variant == "national_average",
            EmissionFactor.year == 2023,
            EmissionFactor.supersedes_id.is_(None),
        )
    )


def _key(row: EmissionFactor) -> tuple:
    return (row.carrier, row.kind, row.variant, row.scope, row.region, row.year)


def test_a_correction_supersedes_the_old_row_which_stays_readable(platform, db_session):
    old = _national_2023(db_session)
    body = {"value": "0.5312", "source": "生态环境部 2023 年全国电力平均排放因子（更正）"}
    response = platform.post(
        f"/api/v1/emission-factors/{old.id}/corrections",
        json={**body, "reason": "录入时小数位错误"},
    )
    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert new["value"] == "0.53120000" and new["unit"] == "kgCO2/kWh"
    assert new["supersedes_id"] == old.id and new["correction_reason"] == "录入时小数位错误"
    assert new["superseded_by_id"] is None
    row = db_session.get(EmissionFactor, new["id"])
    assert _key(row) == _key(old)
    # The old row is unchanged and still listed, naming its correction.
    db_session.expire_all()
    assert db_session.get(EmissionFactor, old.id).value == Decimal("0.5306")
    listed = platform.get("/api/v1/emission-factors?carrier=electricity&year=2023").get_json()
    by_id = {r["id"]: r for r in listed}
    assert by_id[old.id]["superseded_by_id"] == row.id and by_id[old.id]["value"] == "0.53060000"
    current = platform.get("/api/v1/emission-factors?carrier=electricity&year=2023&current=true")
    assert [
        r["id"] for r in current.get_json() if r["kind"] == "co2" and r["scope"] == "national"
    ] == [row.id]
    # Journaled on both rows, with the reason.
    (entry,) = journal.history(db_session, "emission_factors", row.id)
    assert entry.action == "correct" and entry.after["reason"] == "录入时小数位错误"
    assert entry.before["value"] == "0.53060000" and entry.after["value"] == "0.53120000"
    assert entry.after["supersedes_id"] == old.id
    (mark,) = journal.history(db_session, "emission_factors", old.id)
    assert mark.action == "supersede" and mark.after["superseded_by_id"] == row.id


def test_lookups_take_the_correction_and_a_chain_keeps_one_current_row(platform, db_session):
    from emc.facilities.service.factors import current_factor_set, current_factors

    old = _national_2023(db_session)
    first = platform.post(
        f"/api/v1/emission-factors/{old.id}/corrections", json={"value": "0.54", "reason": "一"}
    ).get_json()
    again = platform.post(
        f"/api/v1/emission-factors/{old.id}/corrections", json={"value": "0.55", "reason": "二"}
    )
    assert again.status_code == 409
    assert f"#{first['id']}" in again.get_json()["error"]["message"]
    second = platform.post(
        f"/api/v1/emission-factors/{first['id']}/corrections",
        json={"value": "0.5312", "unit": "kgCO2/kWh", "reason": "再次更正"},
    )
    assert second.status_code == 201, second.get_json()
    factors = current_factors(db_session)
    same_key = [
        f
        for f in factors
        if (f.carrier.value, f.kind.value, f.variant, f.scope.value, f.year)
        == ("electricity", "co2", "national_average", "national", 2023)
    ]
    assert [f.value for f in same_key] == [Decimal("0.53120000")]
    # The pure core accepts the set (one factor per selection) and picks the correction (for a
    # 拉萨 site: 西藏 has no provincial factor, so the national row applies).
    choice = current_factor_set(db_session).select(
        "electricity", "co2", year=2023, region_code="540100"
    )
    assert choice.factor.value == Decimal("0.53120000")
    # A new row under the key is still refused: the key has its (corrected) row.
    national = {**ZJ_2024, "scope": "national", "year": 2023, "value": "0.6"}
    del national["region"]
    dup = platform.post("/api/v1/emission-factors", json=national)
    assert (
        dup.status_code == 409
        and f"#{second.get_json()['id']}" in dup.get_json()["error"]["message"]
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "0.54", "reason": "  "}, "reason"),
        ({"value": "0.54"}, "reason"),
        ({"value": "0", "reason": "错"}, "value"),
        ({"value": "0.5306", "reason": "没有变化"}, "value"),
        ({"value": "0.54", "unit": "kgce/kWh", "reason": "错"}, "unit"),
        ({"value": "0.54", "unit": "kgCO2/m³", "reason": "错"}, "unit"),
        ({"value": "0.54", "reason": "错", "year": 2024}, "year"),  # the key is not corrected
    ],
)
def test_bad_corrections_are_refused_naming_the_field_and_write_nothing(
    platform, db_session, body, field
):
    old = _national_2023(db_session)
    before = db_session.scalar(select(func.count()).select_from(EmissionFactor))
    response = platform.post(f"/api/v1/emission-factors/{old.id}/corrections", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db_session.scalar(select(func.count()).select_from(EmissionFactor)) == before


@pytest.mark.parametrize("email", ["admin@school.demo", "officer@zhejiang.demo", "admin@esco.demo"])
def test_only_platform_admins_correct_factors(login_as, db_session, email):
    old = _national_2023(db_session)
    client = login_as(email)
    body = {"value": "0.54", "reason": "错"}
    assert (
        client.post(f"/api/v1/emission-factors/{old.id}/corrections", json=body).status_code == 403
    )
    assert client.get(f"/emission-factors/{old.id}/correct").status_code == 403


def test_correcting_an_unknown_factor_is_404(platform):
    body = {"value": "0.54", "reason": "错"}
    assert (
        platform.post("/api/v1/emission-factors/999999/corrections", json=body).status_code == 404
    )
    assert platform.get("/emission-factors/999999/correct").status_code == 404


def test_the_database_keeps_one_original_per_key_and_one_correction_per_row(db_session):
    from sqlalchemy.exc import IntegrityError

    # A key without NULLs: NULL never equals NULL in a unique index (the service compares those).
    key = {**ZJ_2024, "variant": "national_average"}
    del key["value"]
    old = EmissionFactor(**key, value=Decimal("0.5153"))
    db_session.add(old)
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(EmissionFactor(**key, value=Decimal("0.6")))
        db_session.flush()
    db_session.add(
        EmissionFactor(**key, value=Decimal("0.6"), supersedes_id=old.id, correction_reason="一")
    )
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(
            EmissionFactor(
                **key, value=Decimal("0.7"), supersedes_id=old.id, correction_reason="二"
            )
        )
        db_session.flush()
    other = _national_2023(db_session)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        # A correction without its reason.
        db_session.add(EmissionFactor(**key, value=Decimal("0.7"), supersedes_id=other.id))
        db_session.flush()


def test_page_corrects_a_factor_and_re_renders_errors(platform, login_as, db_session):
    old = _national_2023(db_session)
    listing = platform.get("/emission-factors?carrier=electricity&kind=co2&year=2023")
    assert f'/emission-factors/{old.id}/correct"' in listing.get_data(as_text=True)
    page = platform.get(f"/emission-factors/{old.id}/correct")
    assert page.status_code == 200 and 'data-testid="factor-correct-form"' in page.get_data(
        as_text=True
    )
    bad = platform.post(f"/emission-factors/{old.id}/correct", data={"value": "0.54", "reason": ""})
    assert bad.status_code == 422 and "field-errors" in bad.get_data(as_text=True)
    done = platform.post(
        f"/emission-factors/{old.id}/correct",
        data={"value": "0.5312", "unit": "", "source": "", "reason": "录入错误"},
    )
    assert done.status_code == 302
    new = db_session.scalar(select(EmissionFactor).where(EmissionFactor.supersedes_id == old.id))
    assert new.value == Decimal("0.5312") and new.source == old.source and new.unit == old.unit
    text = platform.get("/emission-factors?carrier=electricity&kind=co2&year=2023").get_data(
        as_text=True
    )
    assert 'data-testid="superseded"' in text and "录入错误" in text
    # The superseded row offers no second correction; the current one does.
    assert f'/emission-factors/{old.id}/correct"' not in text
    assert f'/emission-factors/{new.id}/correct"' in text
    viewer = login_as("viewer@school.demo").get("/emission-factors")
    assert 'data-testid="correct-factor"' not in viewer.get_data(as_text=True)


def test_mv_and_programme_read_the_factors_in_force_after_a_correction(platform, db_session):
    # Both domains turn the reference table into the pure core's FactorSet; with a superseded
    # row still in the table they must take the correction, not refuse two rows under one key.
    from emc.mv import data as mv_data
    from emc.programme import service as programme

    old = _national_2023(db_session)
    response = platform.post(
        f"/api/v1/emission-factors/{old.id}/corrections", json={"value": "0.5312", "reason": "更正"}
    )
    assert response.status_code == 201, response.get_json()
    # A 拉萨 site: 西藏 has no provincial factor, so the national row applies.
    for factors in (mv_data.factor_set(db_session), programme.factor_set(db_session)):
        choice = factors.select("electricity", "co2", year=2023, region_code="540100")
        assert choice.factor.value == Decimal("0.53120000")

"""Audit use cases: the workflow, accounts through the audit, factor snapshots, immutability,
revisions, ECMs and proposals, quotas, and who sees what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from emc import journal
from emc.audit import service
from emc.audit.models import AuditStatus, EcmStatus, EnergyAudit, QuotaBasis
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, Role, User
from emc.contracts.finance import ContractType
from emc.contracts.models import ProjectStatus
from emc.demo import actor_for as actor
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.facilities.models import BuildingType, EmissionFactor, Site


def auditor_org(session) -> int:
    return session.scalar(select(Organization.id).where(Organization.name_zh == "浙江节能审计中心"))


def site_of(session, email: str) -> int:
    org = actor(session, email).organization_id
    return session.scalar(select(Site.id).where(Site.organization_id == org).order_by(Site.id))


def commission(session, email="energy@school.demo", **overrides):
    data = {
        "title": "测试审计",
        "auditor_organization_id": auditor_org(session),
        "level": 2,
        "period_start": dt.date(2023, 1, 1),
        "period_end": dt.date(2024, 1, 1),
        "site_ids": [site_of(session, email)],
        **overrides,
    }
    return service.create_audit(session, actor(session, email), **data)


def bill(carrier, unit, quantity, month=dt.date(2023, 3, 1), cost=None):
    return {
        "carrier": carrier,
        "unit": unit,
        "month": month,
        "quantity": D(quantity),
        "cost": None if cost is None else D(cost),
    }


def year_of_bills(carrier, unit, total, year=2023):
    """Twelve monthly bills of the base year adding up to ``total`` (the last takes the rest)."""
    share = (D(total) / 12).quantize(D(1))
    rows = [bill(carrier, unit, share, month=dt.date(year, m, 1)) for m in range(1, 12)]
    return [*rows, bill(carrier, unit, D(total) - share * 11, month=dt.date(year, 12, 1))]


@pytest.fixture
def school(db_session):
    return actor(db_session, "energy@school.demo")


@pytest.fixture
def auditor(db_session):
    return actor(db_session, "auditor@auditor.demo")


def accepted_audit(session, rows=None):
    audit = commission(session)
    who = actor(session, "auditor@auditor.demo")
    service.add_bills(session, who, audit.id, rows or [bill("electricity", "kWh", "10000")])
    service.submit_audit(session, who, audit.id)
    return service.accept_audit(session, actor(session, "energy@school.demo"), audit.id)


# --- workflow -----------------------------------------------------------------------------------


def test_institution_commissions_auditor_records_and_submits_institution_accepts(
    db_session, school, auditor
):
    audit = commission(db_session)
    assert audit.status is AuditStatus.DRAFT and audit.region_code == "330100"
    assert audit.factor_snapshot["factors"], "the factor set is recorded at commissioning"
    service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "1000")])
    service.submit_audit(db_session, auditor, audit.id)
    assert audit.status is AuditStatus.SUBMITTED and audit.submitted_at is not None
    service.accept_audit(db_session, school, audit.id)
    assert audit.status is AuditStatus.ACCEPTED and audit.accepted_by_user_id == school.user_id
    actions = [e.action for e in journal.history(db_session, "energy_audits", audit.id)]
    assert actions == ["create", "record_bills", "submit", "accept"]


def test_returned_audit_carries_the_comment_and_can_be_resubmitted(db_session, school, auditor):
    audit = commission(db_session)
    service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "1000")])
    service.submit_audit(db_session, auditor, audit.id)
    with pytest.raises(Invalid) as error:
        service.return_audit(db_session, school, audit.id, comment="  ")
    assert error.value.fields == {"comment": ["say what needs to change"]}
    service.return_audit(db_session, school, audit.id, comment="请补充燃气账单")
    assert audit.status is AuditStatus.RETURNED and audit.review_comment == "请补充燃气账单"
    service.add_bills(db_session, auditor, audit.id, [bill("natural_gas", "m³", "100")])
    service.submit_audit(db_session, auditor, audit.id)
    assert audit.status is AuditStatus.SUBMITTED


def test_submitting_needs_consumption_and_only_the_auditor_records(db_session, school, auditor):
    audit = commission(db_session)
    with pytest.raises(Invalid) as error:
        service.submit_audit(db_session, auditor, audit.id)
    assert error.value.fields == {
        "consumption": ["record the energy consumption before submitting"]
    }
    with pytest.raises(Forbidden):
        service.add_bills(db_session, school, audit.id, [bill("electricity", "kWh", "1")])
    with pytest.raises(Forbidden):
        service.accept_audit(db_session, auditor, audit.id)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(2023, 1, 1), dt.date(2027, 1, 1), "period_end"),  # four years
        (dt.date(2023, 1, 1), dt.date(2023, 1, 1), "period_end"),  # empty
        (dt.date(2023, 2, 1), dt.date(2024, 2, 1), "period_start"),  # not calendar years
    ],
)
def test_base_period_is_one_to_three_calendar_years(db_session, start, end, field):
    with pytest.raises(Invalid) as error:
        commission(db_session, period_start=start, period_end=end)
    assert field in error.value.fields


def test_scope_is_the_institutions_own_sites_and_their_buildings(db_session):
    hospital_site = site_of(db_session, "energy@hospital.demo")
    with pytest.raises(Invalid) as error:
        commission(db_session, site_ids=[hospital_site])
    assert error.value.fields == {"site_ids": ["unknown site"]}
    with pytest.raises(Invalid):
        commission(
            db_session,
            auditor_organization_id=actor(db_session, "engineer@esco.demo").organization_id,
        )


# --- accounts through the audit -----------------------------------------------------------------


def test_bills_convert_per_carrier_with_the_recorded_factors(db_session, school, auditor):
    audit = commission(db_session)
    service.add_bills(
        db_session,
        auditor,
        audit.id,
        [
            bill("electricity", "度", "10000", cost="8000.00"),
            bill("natural_gas", "立方米", "1000", cost="3500.00"),
            bill("district_heat", "GJ", "100"),
            bill("coal", "吨", "2"),
            bill("diesel", "t", "1"),
            bill("gasoline", "kg", "500"),
            bill("lpg", "t", "1"),
            bill("fuel_oil", "t", "1"),
            bill("water", "m³", "100"),
        ],
    )
    f = service.figures(db_session, school, audit.id)
    tce = {c: t.tce for c, t in f.accounts.by_carrier.items()}
    tco2 = {c: t.tco2 for c, t in f.accounts.by_carrier.items()}
    assert tce == {
        "electricity": D("1.229"),
        "natural_gas": D("1.2143"),
        "district_heat": D("3.412"),
        "coal": D("1.4286"),
        "diesel": D("1.4571"),
        "gasoline": D("0.7357"),
        "lpg": D("1.7143"),
        "fuel_oil": D("1.4286"),
        "water": D(0),
    }
    # Electricity at the 2023 浙江 grid factor (the school is in 杭州): 10,000 kWh × 0.4974.
    assert tco2 == {
        "electricity": D("4.974"),
        "natural_gas": D("2.1622"),
        "district_heat": D("11"),
        "coal": D("3.8"),
        "diesel": D("3.0959"),
        "gasoline": D("1.46255"),
        "lpg": D("3.1013"),
        "fuel_oil": D("3.1705"),
        "water": D(0),
    }
    assert f.accounts.total_tce == D("12.6196")
    assert f.accounts.total_cost == D("11500.00")
    # Floor area of the school's two demo buildings: 18 500 + 4 200 m²; 2 700 occupants.
    assert f.indicators.floor_area_m2 == D("22700.00")
    assert f.indicators.kgce_per_m2 == D("12.6196") * 1000 / D("22700.00")
    assert f.indicators.kgce_per_person == D("12.6196") * 1000 / 2700


def test_bill_rows_outside_the_period_or_with_a_wrong_unit_write_nothing(db_session, auditor):
    audit = commission(db_session)
    with pytest.raises(Invalid) as error:
        service.add_bills(
            db_session,
            auditor,
            audit.id,
            [
                bill("electricity", "kWh", "1"),
                bill("electricity", "kWh", "1", month=dt.date(2024, 1, 1)),
                bill("natural_gas", "kWh", "1"),
            ],
        )
    assert set(error.value.fields) == {"rows[1].month", "rows[2].unit"}
    assert service.list_consumption(db_session, auditor, audit.id) == []


def test_meter_totals_are_taken_for_the_sites_in_scope(db_session, school, auditor):
    audit = commission(db_session, period_start=dt.date(2024, 1, 1), period_end=dt.date(2025, 1, 1))
    rows = service.consumption_from_meters(db_session, auditor, audit.id)
    by_meter = {}
    for r in rows:
        by_meter.setdefault(r.note, set()).add(r.month)
    # The school's demo main meters: one row per month of 2024 each.
    assert (
        by_meter["总表 10kV"] == by_meter["食堂燃气"] == {dt.date(2024, m, 1) for m in range(1, 13)}
    )
    assert all(r.source.value == "meter" and r.cost is None for r in rows)
    # A second run replaces the first rather than adding to it.
    again = service.consumption_from_meters(db_session, auditor, audit.id)
    assert len(service.list_consumption(db_session, auditor, audit.id)) == len(again) == len(rows)
    # A bill for a month replaces that month's meter total of the carrier.
    january = sum(
        r.quantity for r in again if r.carrier.value == "electricity" and r.month.month == 1
    )
    before = service.figures(db_session, school, audit.id).accounts.by_carrier["electricity"]
    service.add_bills(
        db_session,
        auditor,
        audit.id,
        [bill("electricity", "kWh", "1000", month=dt.date(2024, 1, 1))],
    )
    after = service.figures(db_session, school, audit.id).accounts.by_carrier["electricity"]
    assert after.quantity == before.quantity - january + 1000


def test_recorded_factors_do_not_change_when_the_reference_table_does(db_session, school):
    # 10,000 kWh of 2023 at the 浙江 factor the audit recorded: × 0.4974 = 4.974 tCO2.
    audit = accepted_audit(db_session)
    before = service.figures(db_session, school, audit.id).accounts
    assert before.by_carrier["electricity"].tco2 == D("4.974")
    seeded = db_session.scalar(
        select(EmissionFactor).where(
            EmissionFactor.scope == "provincial",
            EmissionFactor.region == "330000",
            EmissionFactor.year == 2023,
        )
    )
    # The reference table changes under the audit: a correction supersedes that row.
    db_session.add(
        EmissionFactor(
            carrier="electricity",
            kind="co2",
            value=D("0.7035"),
            unit="kgCO2/kWh",
            year=2023,
            scope="provincial",
            region="330000",
            variant="national_average",
            source="测试省级因子",
            supersedes_id=seeded.id,
            correction_reason="测试更正",
        )
    )
    db_session.flush()
    after = service.figures(db_session, school, audit.id).accounts
    assert after.by_carrier["electricity"].tco2 == D("4.974")
    # A new version records the factors of its day, so the corrected value applies there:
    # 10,000 kWh × 0.7035 = 7.035 tCO2.
    revised = service.revise_audit(db_session, school, audit.id, reason="省级因子更正")
    assert service.figures(db_session, school, revised.id).accounts.by_carrier[
        "electricity"
    ].tco2 == D("7.035")


def test_generation_values_are_shown_only_when_a_factor_is_recorded(db_session, school, auditor):
    audit = commission(db_session)
    with pytest.raises(Invalid) as error:
        service.figures(db_session, school, audit.id, variant="generation")
    assert error.value.fields == {"tce_variant": ["no generation-equivalent factor is recorded"]}
    db_session.add(
        EmissionFactor(
            carrier="electricity",
            kind="tce",
            value=D("0.3"),
            unit="kgce/kWh",
            year=2023,
            scope="national",
            variant="generation",
            source="测试等价值",
        )
    )
    db_session.flush()
    service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "10000")])
    service.submit_audit(db_session, auditor, audit.id)  # records the factors again
    f = service.figures(db_session, school, audit.id, variant="generation")
    assert f.accounts.by_carrier["electricity"].tce == D("3.0")
    assert service.figures(db_session, school, audit.id).accounts.total_tce == D("1.229")


# --- immutability and revisions -----------------------------------------------------------------


def test_accepted_audits_are_immutable(db_session, school, auditor):
    audit = accepted_audit(db_session)
    for attempt in (
        lambda: service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "1")]),
        lambda: service.update_audit(db_session, auditor, audit.id, conclusions="改"),
        lambda: service.update_audit(db_session, school, audit.id, title="改"),
        lambda: service.add_ecm(db_session, auditor, audit.id, name="x", category="other"),
        lambda: service.consumption_from_meters(db_session, auditor, audit.id),
        lambda: service.submit_audit(db_session, auditor, audit.id),
    ):
        with pytest.raises(Conflict):
            attempt()
    with pytest.raises(Conflict):
        service.accept_audit(db_session, school, audit.id)


def test_revision_is_a_new_draft_version_with_a_reason(db_session, school, auditor):
    audit = accepted_audit(db_session)
    service.add_ecm  # noqa: B018 — ECMs are copied too, checked below
    with pytest.raises(Invalid):
        service.revise_audit(db_session, auditor, audit.id, reason="")
    copy = service.revise_audit(db_session, auditor, audit.id, reason="补充热力数据")
    assert (copy.version, copy.previous_audit_id, copy.status) == (2, audit.id, AuditStatus.DRAFT)
    assert copy.revision_reason == "补充热力数据"
    assert len(service.list_consumption(db_session, auditor, copy.id)) == 1
    service.add_bills(db_session, auditor, copy.id, [bill("district_heat", "GJ", "10")])
    assert audit.status is AuditStatus.ACCEPTED
    assert len(service.list_consumption(db_session, auditor, audit.id)) == 1
    with pytest.raises(Conflict):
        service.revise_audit(db_session, school, audit.id, reason="again")


# --- ECMs and proposals -------------------------------------------------------------------------


def test_ecm_savings_in_tce_and_co2_come_from_the_recorded_factors(db_session, auditor):
    audit = commission(db_session)
    ecm = service.add_ecm(
        db_session,
        auditor,
        audit.id,
        name="LED",
        category="lighting",
        savings_carrier="electricity",
        savings_quantity=D("180000"),
        savings_unit="度",
        savings_money=D("115000.00"),
        investment=D("260000.00"),
    )
    # 180,000 kWh × 0.1229 kgce = 22.122 tce; × 0.4974 kgCO2 (浙江 2023) = 89.532 tCO2.
    assert (ecm.savings_unit, ecm.savings_tce, ecm.savings_tco2) == (
        "kWh",
        D("22.122"),
        D("89.532"),
    )
    with pytest.raises(Invalid) as error:
        service.add_ecm(
            db_session,
            auditor,
            audit.id,
            name="x",
            category="other",
            savings_carrier="natural_gas",
            savings_quantity=D(1),
            savings_unit="kWh",
        )
    assert "savings_unit" in error.value.fields


def test_selected_ecms_become_a_project_proposal(db_session, school, auditor):
    audit = commission(db_session)
    service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "10000")])
    common = {"savings_carrier": "electricity", "savings_unit": "kWh"}
    led = service.add_ecm(
        db_session,
        auditor,
        audit.id,
        name="LED",
        category="lighting",
        savings_quantity=D(1000),
        investment=D("100.00"),
        recommended_contract_type=ContractType.SHARED_SAVINGS,
        **common,
    )
    hvac = service.add_ecm(
        db_session,
        auditor,
        audit.id,
        name="空调",
        category="hvac",
        savings_quantity=D(2000),
        investment=D("250.50"),
        recommended_contract_type=ContractType.SHARED_SAVINGS,
        **common,
    )
    spare = service.add_ecm(db_session, auditor, audit.id, name="围护", category="envelope")
    with pytest.raises(Conflict):  # not accepted yet
        service.create_proposal(db_session, school, audit.id, ecm_ids=[led.id])
    service.submit_audit(db_session, auditor, audit.id)
    service.accept_audit(db_session, school, audit.id)
    with pytest.raises(Forbidden):
        service.create_proposal(db_session, auditor, audit.id, ecm_ids=[led.id])
    project = service.create_proposal(db_session, school, audit.id, ecm_ids=[led.id, hvac.id])
    assert project.organization_id == school.organization_id
    assert project.status is ProjectStatus.PROPOSED
    assert project.total_investment == D("350.50")
    assert [e["name"] for e in project.ecms] == ["LED", "空调"]
    first = project.ecms[0]
    assert first["suggested_contract_type"] == "shared_savings"
    assert (first["baseline_period_start"], first["baseline_period_end"]) == (
        "2023-01-01",
        "2024-01-01",
    )
    assert (first["audit_id"], first["audit_ecm_id"]) == (audit.id, led.id)
    assert (led.status, led.project_id) == (EcmStatus.ACCEPTED, project.id)
    assert spare.project_id is None
    with pytest.raises(Conflict):  # an ECM goes into one project only
        service.create_proposal(db_session, school, audit.id, ecm_ids=[led.id])
    with pytest.raises(Invalid):
        service.create_proposal(db_session, school, audit.id, ecm_ids=[10**6])
    # The ECM's lifecycle continues after acceptance of the audit, decided by the institution.
    service.update_ecm(db_session, school, audit.id, led.id, status=EcmStatus.IMPLEMENTED)
    with pytest.raises(Conflict):
        service.update_ecm(db_session, school, audit.id, led.id, status=EcmStatus.PROPOSED)
    with pytest.raises(Conflict):
        service.update_ecm(db_session, auditor, audit.id, spare.id, name="改")


# --- quotas and flags ---------------------------------------------------------------------------


def test_quota_comparison_and_custody_flags_on_the_demo_audits(db_session, demo):
    hospital = actor(db_session, "energy@hospital.demo")
    (audit,) = service.list_audits(db_session, hospital)
    f = service.figures(db_session, hospital, audit.id)
    assert f.building_type is BuildingType.HOSPITAL
    assert f.quota.region_code == "330000" and f.comparison.level == "above_baseline"
    assert f.accounts.annual_tce > 500
    assert f.custody_flags == ["above_baseline_over_500_tce"]


def test_a_data_centre_with_a_pue_above_1_4_is_flagged(db_session, auditor):
    audit = commission(db_session)
    service.update_audit(db_session, auditor, audit.id, data_centre_pue=D("1.6"))
    f = service.figures(db_session, auditor, audit.id)
    assert f.data_centre and f.custody_flags == ["data_centre_pue_over_1_4"]
    service.update_audit(db_session, auditor, audit.id, data_centre_pue=D("1.35"))
    assert service.figures(db_session, auditor, audit.id).custody_flags == []


def test_the_most_specific_quota_applies(db_session, school, auditor):
    audit = commission(db_session)
    service.add_bills(db_session, auditor, audit.id, year_of_bills("electricity", "kWh", "2000000"))
    # 245.8 tce / 22 700 m² = 10.83 kgce/m²: above the Zhejiang baseline (12)? no — within it.
    f = service.figures(db_session, school, audit.id)
    assert (f.quota.region_code, f.comparison.level) == ("330000", "within_baseline")
    city = actor(db_session, "officer@hangzhou.demo")
    service.create_quota(
        db_session,
        city,
        region_code="330100",
        building_type=BuildingType.SCHOOL,
        basis=QuotaBasis.PER_AREA,
        year=2023,
        guide_value=D(6),
        baseline_value=D(9),
        constraint_value=D(11),
        source="杭州市定额",
    )
    f = service.figures(db_session, school, audit.id)
    assert (f.quota.region_code, f.comparison.level) == ("330100", "above_baseline")


def test_agencies_add_quotas_for_their_subtree_only(db_session):
    city = actor(db_session, "officer@hangzhou.demo")
    values = {
        "building_type": BuildingType.OFFICE,
        "basis": QuotaBasis.PER_AREA,
        "year": 2023,
        "guide_value": D(1),
        "baseline_value": D(2),
        "constraint_value": D(3),
        "source": "s",
    }
    with pytest.raises(Invalid) as error:
        service.create_quota(db_session, city, region_code="330200", **values)
    assert error.value.fields == {"region_code": ["outside your region"]}
    with pytest.raises(Invalid):
        service.create_quota(
            db_session, city, region_code="330100", **{**values, "guide_value": D(5)}
        )
    service.create_quota(db_session, city, region_code="330100", **values)
    with pytest.raises(Conflict):
        service.create_quota(db_session, city, region_code="330100", **values)
    with pytest.raises(Forbidden):
        service.create_quota(
            db_session, actor(db_session, "energy@school.demo"), region_code="330100", **values
        )


# --- who sees what ------------------------------------------------------------------------------


def _other_auditor(session) -> Actor:
    org = Organization(kind=OrgKind.AUDITOR, name_zh="另一审计机构", region_code="330100")
    session.add(org)
    session.flush()
    user = User(
        email="other@auditor2.test",
        display_name="另一审计师",
        password_hash="x",
        organization_id=org.id,
        role=Role.AUDITOR,
    )
    session.add(user)
    session.flush()
    user.organization = org
    return Actor.of(user)


def test_an_auditor_sees_only_audits_it_was_commissioned_for(db_session, auditor):
    audit = commission(db_session)
    other = _other_auditor(db_session)
    assert service.list_audits(db_session, other) == []
    with pytest.raises(NotFound):
        service.get_audit(db_session, other, audit.id)
    assert audit.id in {a.id for a in service.list_audits(db_session, auditor)}
    # ... and, read-only, the sites in scope of those audits.
    from emc.auth.policy import load

    load(db_session, auditor, Site, site_of(db_session, "energy@school.demo"))
    with pytest.raises(NotFound):
        load(db_session, other, Site, site_of(db_session, "energy@school.demo"))


def test_other_institutions_and_escos_get_404_agencies_read_their_subtree(db_session):
    audit = commission(db_session)
    for email in ("energy@hospital.demo", "energy@gym.demo", "officer@ningbo.demo"):
        with pytest.raises(NotFound):
            service.get_audit(db_session, actor(db_session, email), audit.id)
    with pytest.raises(Forbidden):
        service.list_audits(db_session, actor(db_session, "engineer@esco.demo"))
    for email in ("officer@zhejiang.demo", "officer@hangzhou.demo", "officer@national.demo"):
        agency = actor(db_session, email)
        assert service.get_audit(db_session, agency, audit.id).id == audit.id
        with pytest.raises(Forbidden):
            service.update_audit(db_session, agency, audit.id, conclusions="x")
    assert db_session.get(EnergyAudit, audit.id).conclusions is None


def test_no_quota_verdict_before_any_consumption_is_recorded(db_session, school, auditor):
    """An audit just commissioned read "0.00 kgce/m² … 达到引导值": a verdict on no data."""
    audit = commission(db_session)
    f = service.figures(db_session, school, audit.id)
    assert f.building_type is not None and f.comparison is None and f.custody_flags == []
    rows = service.indicator_rows(f, lambda text: text)
    assert rows[2][3] == "Not compared: no consumption is recorded yet"  # the page translates
    service.add_bills(db_session, auditor, audit.id, [bill("electricity", "kWh", "200000")])
    # One month of a year read a twelfth of its use against an annual quota: no verdict yet,
    # and the page names the months that lack consumption.
    f = service.figures(db_session, school, audit.id)
    assert f.comparison is None and len(f.missing_months) == 11
    assert (
        f.missing_months[0] == dt.date(2023, 1, 1) and dt.date(2023, 3, 1) not in f.missing_months
    )
    text = service.indicator_rows(f, lambda text: text)[2][3]
    assert text.startswith("Not compared: the base period lacks the consumption of 11 months")
    assert "2023-01、2023-02、2023-04" in text
    others = [
        bill("electricity", "kWh", "150000", month=dt.date(2023, m, 1))
        for m in range(1, 13)
        if m != 3
    ]
    service.add_bills(db_session, auditor, audit.id, others)
    f = service.figures(db_session, school, audit.id)
    assert f.missing_months == [] and f.comparison is not None


def test_meter_months_short_of_readings_are_named_when_taken(db_session, login_as, auditor):
    """2025-03 electricity was taken in silently although a whole day of it was missing."""
    from sqlalchemy import delete as sa_delete

    from emc.facilities import rollup
    from emc.facilities.models import Meter, MeterReading

    audit = commission(db_session, period_start=dt.date(2024, 1, 1), period_end=dt.date(2025, 1, 1))
    meter = db_session.scalar(select(Meter).where(Meter.name == "总表 10kV"))
    day = int(dt.datetime(2024, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
    db_session.execute(
        sa_delete(MeterReading).where(
            MeterReading.meter_id == meter.id,
            MeterReading.start_ts >= day,
            MeterReading.start_ts < day + 86400,
        )
    )
    rollup.refresh(db_session, meter.id, "Asia/Shanghai", day, day + 86400)  # as ingest does
    rows = service.consumption_from_meters(db_session, auditor, audit.id)
    march = next(r for r in rows if r.meter_id == meter.id and r.month == dt.date(2024, 3, 1))
    assert march.coverage == pytest.approx(30 / 31)
    april = next(r for r in rows if r.meter_id == meter.id and r.month == dt.date(2024, 4, 1))
    assert april.coverage == 1.0
    db_session.flush()
    page = login_as("auditor@auditor.demo").post(
        f"/audits/{audit.id}/from-meters",
        headers={"Accept-Language": "zh-CN"},
        follow_redirects=True,
    )
    text = page.get_data(as_text=True)
    assert "以下月份有读数缺失" in text and "总表 10kV 2024-03 (97%)" in text


def test_the_audit_names_every_factor_its_accounts_used(db_session, school, auditor, login_as):
    """电力在 2025 年没有二氧化碳因子：采用 2023 年的数值, without the value, the province or the
    source; the PDF said only when the factors were recorded."""
    from io import BytesIO

    from pypdf import PdfReader

    audit = commission(db_session)
    service.add_bills(db_session, auditor, audit.id, year_of_bills("electricity", "kWh", "120000"))
    f = service.figures(db_session, school, audit.id)
    kinds = {(u["carrier"], u["kind"]) for u in f.factors_used}
    assert kinds == {("electricity", "tce"), ("electricity", "co2")}
    co2 = next(u for u in f.factors_used if u["kind"] == "co2")
    assert co2["years"] == [2023] and co2["source"] and co2["value"] > 0
    db_session.flush()
    client = login_as("energy@school.demo")
    page = client.get(f"/audits/{audit.id}", headers={"Accept-Language": "zh-CN"})
    html = page.get_data(as_text=True)
    assert 'data-testid="factors-used"' in html and f"{co2['value']} {co2['unit']}" in html
    pdf = client.get(f"/api/v1/audits/{audit.id}/report.pdf").data
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).replace("\n", "")
    assert "所用折算系数" in text and str(co2["value"]) in text

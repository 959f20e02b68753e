"""Programme services on the database: counting rules in SQL, targets and allocations,
energy statistics, verified savings, intensities, snapshots, and who may see what."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import delete, func, select

from emc.auth.actor import Actor
from emc.auth.models import Organization, User
from emc.contracts.finance import ContractType
from emc.contracts.models import Contract, ContractAmendment, EmcProject, Investor, ProjectStatus
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.mv.models import Baseline, MvReport, ReportStatus
from emc.programme import service, stats
from emc.programme.models import InstitutionEnergyStat, Metric, ProgrammeSnapshot, StatSource

AS_OF = dt.date(2024, 7, 1)


def actor_for(session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


def org_id(session, name: str) -> int:
    return session.scalar(select(Organization.id).where(Organization.name_zh == name))


SCHOOL, HOSPITAL, OFFICE, GYM = (
    "杭州市第一中学",
    "杭州市人民医院",
    "宁波市政府办公大楼",
    "广州市体育馆",
)


def make_project(
    session,
    institution: str = SCHOOL,
    *,
    signed_on: dt.date | None = dt.date(2023, 3, 1),
    status: ProjectStatus = ProjectStatus.CONTRACTED,
    operation_start_on: dt.date | None = None,
    contract_type: ContractType | None = ContractType.SHARED_SAVINGS,
    investment: str | None = "1000000.00",
    investor: Investor = Investor.ESCO,
    name: str = "测试项目",
) -> EmcProject:
    project = EmcProject(
        organization_id=org_id(session, institution),
        name=name,
        status=status,
        signed_on=signed_on,
        operation_start_on=operation_start_on,
        total_investment=Decimal(investment) if investment else None,
        investor=investor,
        ecms=[],
    )
    session.add(project)
    session.flush()
    if contract_type is not None:
        session.add(
            Contract(
                project_id=project.id, contract_type=contract_type, terms={}, savings_estimates=[]
            )
        )
        session.flush()
    return project


@pytest.fixture(autouse=True)
def no_demo_projects(db_session):
    """Start from no projects (other domains' demo data adds some), inside the test's
    rolled-back transaction, so that every count here is computed by hand."""
    db_session.execute(delete(EmcProject))
    db_session.flush()


def board(session, email="officer@national.demo", **kw):
    return service.dashboard(session, actor_for(session, email), as_of=AS_OF, **kw)


# --- the counting rule -----------------------------------------------------------------------


def test_counts_follow_the_rule_signed_terminated_and_window(db_session):
    make_project(db_session, signed_on=dt.date(2022, 5, 1))
    make_project(
        db_session,
        signed_on=dt.date(2023, 1, 9),
        status=ProjectStatus.OPERATING,
        operation_start_on=dt.date(2023, 6, 1),
    )
    # Terminated before operation: listed, not counted.
    make_project(db_session, signed_on=dt.date(2023, 2, 1), status=ProjectStatus.TERMINATED)
    # Terminated after operation started: counted.
    make_project(
        db_session,
        signed_on=dt.date(2023, 2, 1),
        status=ProjectStatus.TERMINATED,
        operation_start_on=dt.date(2023, 8, 1),
    )
    make_project(db_session, signed_on=None, status=ProjectStatus.PROPOSED)  # not signed
    make_project(db_session, signed_on=dt.date(2019, 5, 1))  # before the window
    d = board(db_session)
    assert d.progress["counted"] == 3
    assert d.progress["terminated_before_operation"] == 1
    assert {y["year"]: y["counted"] for y in d.by_year} == {
        2021: 0,
        2022: 1,
        2023: 2,
        2024: 0,
        2025: 0,
    }
    assert {s["key"]: s["listed"] for s in d.by_status} == {
        "contracted": 2,
        "operating": 1,
        "terminated": 2,
        "proposed": 1,
    }
    # Listed in the order of a project's life, not as the counts come.
    assert [s["key"] for s in d.by_status] == ["proposed", "contracted", "operating", "terminated"]
    # Cumulative by month: 2022-05 → 1, 2023-01 → 2, 2023-02 → 3, up to the as-of month.
    monthly = dict((m["month"], m["cumulative"]) for m in d.monthly)
    assert monthly["2022-04"] == 0 and monthly["2022-05"] == 1 and monthly["2023-02"] == 3
    assert list(monthly)[-1] == "2024-07"


def test_sql_counting_agrees_with_the_pure_rule(db_session):
    cases = [
        (status, signed, op)
        for status in ProjectStatus
        for signed in (None, dt.date(2022, 3, 3))
        for op in (None, dt.date(2022, 9, 1))
    ]
    for status, signed, op in cases:
        make_project(db_session, status=status, signed_on=signed, operation_start_on=op)
    expected = sum(stats.count_decision(s.value, d, o).counted for s, d, o in cases)
    assert board(db_session).progress["counted"] == expected == 9
    rows = service.project_page(
        db_session, actor_for(db_session, "officer@national.demo"), per_page=500
    )["items"]
    assert sum(r["counted"] for r in rows) == expected


def test_an_amended_contract_still_counts_once(db_session):
    project = make_project(db_session, status=ProjectStatus.IMPLEMENTING)
    contract = db_session.scalar(select(Contract).where(Contract.project_id == project.id))
    user = db_session.scalar(select(User.id).where(User.email == "energy@school.demo"))
    for n in (1, 2):
        db_session.add(
            ContractAmendment(
                contract_id=contract.id,
                number=n,
                reason="变更",
                status="agreed",
                terms_before={},
                terms_after={},
                estimates_after=[],
                base_version=n,
                proposed_by_user_id=user,
            )
        )
    db_session.flush()
    assert board(db_session).progress["counted"] == 1


def test_a_moved_institution_counts_where_it_is_now(db_session):
    make_project(db_session, OFFICE, signed_on=dt.date(2023, 4, 4))
    assert board(db_session, "officer@ningbo.demo").progress["counted"] == 1
    assert board(db_session, "officer@hangzhou.demo").progress["counted"] == 0
    office = db_session.get(Organization, org_id(db_session, OFFICE))
    office.region_code = "330100"
    db_session.flush()
    assert board(db_session, "officer@ningbo.demo").progress["counted"] == 0
    assert board(db_session, "officer@hangzhou.demo").progress["counted"] == 1
    assert board(db_session, "officer@zhejiang.demo").progress["counted"] == 1


def test_breakdowns_children_and_investment(db_session):
    make_project(
        db_session, SCHOOL, contract_type=ContractType.ENERGY_COST_CUSTODY, investment="2000000.00"
    )
    make_project(db_session, HOSPITAL, investment="500000.00", investor=Investor.INSTITUTION)
    make_project(db_session, OFFICE, investment="300000.00", investor=Investor.LESSOR)
    make_project(db_session, GYM, contract_type=None, investment=None)
    d = board(db_session, "officer@zhejiang.demo")
    assert d.progress["counted"] == 3 and d.progress["custody"] == 1
    assert {t["key"]: t["counted"] for t in d.by_type} == {
        "energy_cost_custody": 1,
        "shared_savings": 2,
    }
    assert {s["key"]: s["counted"] for s in d.by_sector} == {
        "school": 1,
        "hospital": 1,
        "government": 1,
    }
    assert d.investment["private"] == Decimal("2300000.00")
    assert d.investment["total"] == Decimal("2800000.00")
    children = {c["code"]: c for c in d.children}
    assert children["330100"]["counted"] == 2 and children["330100"]["target"] == 40
    assert children["330200"]["counted"] == 1 and children["330200"]["drillable"]
    national = board(db_session)
    by_code = {c["code"]: c["counted"] for c in national.children}
    assert by_code["330000"] == 3 and by_code["440000"] == 1 and by_code["110000"] == 0
    assert {t["key"] for t in national.by_type} >= {"none"}


def test_target_window_and_pace_on_the_dashboard(db_session):
    d = board(db_session, "officer@zhejiang.demo")
    assert (d.window["start_year"], d.window["end_year"]) == (2021, 2025)
    assert d.progress["target"] == 180
    # 2024-07-01: 1278 of 1826 days elapsed (2024 is a leap year).
    assert d.progress["expected"] == stats.round_to(Decimal(180) * 1278 / 1826) == Decimal("126.0")
    other = board(db_session, "officer@zhejiang.demo", start_year=2024, end_year=2024)
    assert other.progress["target"] is None


# --- access ----------------------------------------------------------------------------------


def test_agencies_see_their_subtree_only(db_session):
    make_project(db_session, OFFICE)
    hangzhou = actor_for(db_session, "officer@hangzhou.demo")
    with pytest.raises(NotFound):
        service.dashboard(db_session, hangzhou, region="330200")
    with pytest.raises(NotFound):
        service.project_page(db_session, hangzhou, region="330000")
    assert service.project_page(db_session, hangzhou)["total"] == 0
    ningbo = actor_for(db_session, "officer@ningbo.demo")
    assert service.project_page(db_session, ningbo)["total"] == 1
    for email in ("energy@school.demo", "admin@esco.demo"):  # the platform reads (issue 15)
        with pytest.raises(Forbidden):
            service.dashboard(db_session, actor_for(db_session, email))
        with pytest.raises(Forbidden):
            service.list_targets(db_session, actor_for(db_session, email))


def test_a_city_sees_its_own_and_its_ancestors_targets_not_its_neighbours(db_session):
    hangzhou = actor_for(db_session, "officer@hangzhou.demo")
    regions = {t.region_code for t in service.list_targets(db_session, hangzhou)}
    assert regions == {"000000", "330000", "330100"}
    ningbo_target = service.list_targets(
        db_session, actor_for(db_session, "officer@ningbo.demo"), region="330200"
    )[0]
    with pytest.raises(NotFound):
        service.get_target(db_session, hangzhou, ningbo_target.id)


# --- targets and allocations -----------------------------------------------------------------


def test_allocations_may_not_exceed_the_parent_target(db_session):
    zhejiang = actor_for(db_session, "officer@zhejiang.demo")
    # Zhejiang 180 = Hangzhou 40 + Ningbo up to 140.
    ningbo = service.list_targets(db_session, zhejiang, region="330200")[0]
    with pytest.raises(Invalid) as error:
        service.update_target(db_session, zhejiang, ningbo.id, project_count=141)
    assert list(error.value.fields) == ["project_count"]
    assert "181" in error.value.fields["project_count"][0]
    assert service.update_target(db_session, zhejiang, ningbo.id, project_count=140).version == 2


def test_sibling_allocations_over_the_parent_name_project_count(db_session):
    national = actor_for(db_session, "officer@national.demo")
    # National 3000 with Zhejiang 180: Guangdong may have 2820 but not 2821.
    service.create_target(
        db_session,
        national,
        region_code="440000",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=2820,
    )
    with pytest.raises(Invalid) as error:
        service.create_target(
            db_session,
            national,
            region_code="110000",
            metric=Metric.PROJECTS,
            start_year=2021,
            end_year=2025,
            project_count=1,
        )
    assert "project_count" in error.value.fields
    assert "3001" in error.value.fields["project_count"][0]


def test_lowering_a_target_below_its_allocations_is_refused(db_session):
    zhejiang = actor_for(db_session, "officer@zhejiang.demo")
    national = actor_for(db_session, "officer@national.demo")
    target = service.list_targets(db_session, zhejiang, region="330000", metric=Metric.PROJECTS)[0]
    with pytest.raises(Invalid) as error:
        service.update_target(db_session, national, target.id, project_count=69)
    assert "70" in error.value.fields["project_count"][0]
    updated = service.update_target(db_session, national, target.id, project_count=70)
    assert updated.project_count == 70


def test_a_lower_agency_cannot_rewrite_the_allocation_it_was_given(db_session):
    zhejiang = actor_for(db_session, "officer@zhejiang.demo")
    own = service.list_targets(db_session, zhejiang, region="330000", metric=Metric.PROJECTS)[0]
    with pytest.raises(Forbidden):
        service.update_target(db_session, zhejiang, own.id, project_count=1)
    with pytest.raises(Forbidden):
        service.delete_target(db_session, zhejiang, own.id)
    hangzhou = service.list_targets(db_session, zhejiang, region="330100")[0]
    assert service.update_target(db_session, zhejiang, hangzhou.id, project_count=45).version == 2
    with pytest.raises(Conflict):
        service.update_target(db_session, zhejiang, hangzhou.id, version=1, project_count=46)


def test_target_values_fit_their_metric_and_region(db_session):
    zhejiang = actor_for(db_session, "officer@zhejiang.demo")
    base = {"metric": Metric.PROJECTS, "start_year": 2026, "end_year": 2030}
    with pytest.raises(Invalid) as error:
        service.create_target(db_session, zhejiang, region_code="440000", project_count=5, **base)
    assert "region_code" in error.value.fields
    with pytest.raises(Invalid) as error:
        service.create_target(db_session, zhejiang, region_code="330000", **base)
    assert "project_count" in error.value.fields
    with pytest.raises(Invalid) as error:
        service.create_target(
            db_session,
            zhejiang,
            region_code="330000",
            metric=Metric.ENERGY_INTENSITY,
            start_year=2026,
            end_year=2030,
            reduction_pct=Decimal(5),
            base_year=2027,
        )
    assert "base_year" in error.value.fields
    with pytest.raises(Conflict):
        service.create_target(
            db_session,
            zhejiang,
            region_code="330100",
            metric=Metric.PROJECTS,
            start_year=2024,
            end_year=2026,
            project_count=1,
        )


# --- energy statistics and intensity ---------------------------------------------------------


def test_entered_statistics_convert_to_tce_and_co2(db_session):
    gym = actor_for(db_session, "energy@gym.demo")
    stat = service.save_stat(
        db_session,
        gym,
        year=2023,
        floor_area_m2=Decimal("8000"),
        occupants=50,
        carriers=[
            {"carrier": "electricity", "quantity": Decimal("1000"), "unit": "MWh"},
            {"carrier": "natural_gas", "quantity": Decimal("2"), "unit": "万m³"},
        ],
    )
    # 1,000,000 kWh × 0.1229 kgce = 122.9 tce; 20,000 m³ × 1.2143 = 24.286 tce.
    assert stat.energy_tce == Decimal("147.186")
    # 1,000,000 kWh × 0.4419 kgCO2 (广东 2023, the gym is in 广州) = 441.9 t; 20,000 m³ ×
    # 2.1622 = 43.244 t; 441.9 + 43.244 = 485.144 t.
    assert stat.co2_t == Decimal("485.144")
    assert {c.unit for c in stat.carriers} == {"MWh", "万m³"}
    assert stat.floor_area_source is StatSource.ENTERED
    again = service.save_stat(
        db_session,
        gym,
        year=2023,
        floor_area_m2=Decimal("8000"),
        carriers=[{"carrier": "electricity", "quantity": Decimal("1"), "unit": "kWh"}],
    )
    assert again.id == stat.id and len(again.carriers) == 1


def test_statistics_errors_name_the_field(db_session):
    gym = actor_for(db_session, "energy@gym.demo")
    with pytest.raises(Invalid) as error:
        service.save_stat(
            db_session,
            gym,
            year=2023,
            floor_area_m2=Decimal(1),
            carriers=[{"carrier": "electricity", "quantity": Decimal(1), "unit": "m³"}],
        )
    assert "carriers.0.unit" in error.value.fields
    with pytest.raises(Forbidden):
        service.save_stat(
            db_session,
            actor_for(db_session, "officer@zhejiang.demo"),
            year=2023,
            floor_area_m2=Decimal(1),
            carriers=[],
        )
    with pytest.raises(Forbidden):
        service.save_stat(
            db_session,
            actor_for(db_session, "finance@school.demo"),
            year=2023,
            floor_area_m2=Decimal(1),
            carriers=[],
        )


def test_the_service_refuses_negative_consumption_and_area_naming_every_field(db_session):
    """The service itself refuses (whatever called it: the page, the API, an import)."""
    gym = actor_for(db_session, "energy@gym.demo")
    with pytest.raises(Invalid) as error:
        service.save_stat(
            db_session,
            gym,
            year=2019,
            floor_area_m2=Decimal(-42000),
            occupants=-1,
            carriers=[
                {"carrier": "electricity", "quantity": Decimal(-100), "unit": "kWh"},
                {"carrier": "natural_gas", "quantity": Decimal(5), "unit": "m³"},
            ],
        )
    fields = error.value.fields
    assert fields["carriers.0.quantity"][0].code == "programme.negative_consumption"
    assert set(fields) == {"carriers.0.quantity", "floor_area_m2", "occupants"}
    assert service.list_stats(db_session, gym, year=2019) == []


def _xlsx(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["年份", "建筑面积", "用能人数", "能源品种", "消费量", "单位"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_import_is_all_or_nothing_with_row_level_problems(db_session):
    gym = actor_for(db_session, "energy@gym.demo")
    bad = _xlsx(
        [
            [2021, 8000, 40, "电力", 900000, "kWh"],
            [2021, 8000, 40, "天然气", 12000, "kWh"],
            [2022, 8000, 40, "蒸汽", 1, "t"],
        ]
    )
    with pytest.raises(Invalid) as error:
        service.import_stats(db_session, gym, bad, filename="stats.xlsx")
    assert set(error.value.fields) == {"row 3.unit", "row 4.carrier"}
    count = (
        select(func.count())
        .select_from(InstitutionEnergyStat)
        .where(InstitutionEnergyStat.organization_id == gym.organization_id)
    )
    assert db_session.scalar(count) == 0
    good = _xlsx(
        [
            [2021, 8000, 40, "电力", 900000, "kWh"],
            [2021, 8000, 40, "天然气", 12000, "m³"],
            [2022, 8100, 42, "electricity", 850, "MWh"],
        ]
    )
    saved = service.import_stats(db_session, gym, good, filename="stats.xlsx")
    assert [(s.year, len(s.carriers), s.floor_area_source) for s in saved] == [
        (2021, 2, StatSource.IMPORTED),
        (2022, 1, StatSource.IMPORTED),
    ]


def test_statistics_from_meters_sum_the_main_meters_in_sql(db_session):
    # The demo filled the school's 2024 statistics from its meters.
    school = actor_for(db_session, "energy@school.demo")
    stat = service.list_stats(db_session, school, year=2024)[0]
    assert stat.floor_area_source is StatSource.METERS
    assert stat.floor_area_m2 == Decimal("22700.00")  # 18,500 + 4,200 m² of buildings
    again = service.stats_from_meters(db_session, school, year=2024)
    assert {c.carrier for c in again.carriers} == {"electricity", "natural_gas"}
    assert all(c.source is StatSource.METERS for c in again.carriers)
    with pytest.raises(Invalid) as error:
        service.stats_from_meters(db_session, school, year=2010)
    assert "year" in error.value.fields
    # A year no calendar holds is refused by name, not a server error (the page posts it).
    for year in (0, -1, 10**20, 2101):
        with pytest.raises(Invalid) as error:
            service.stats_from_meters(db_session, school, year=year)
        assert "year" in error.value.fields


@pytest.mark.parametrize("year", ["0", "-1", str(10**20), "²"])
def test_the_statistics_page_refuses_a_year_out_of_range_beside_the_field(login_as, year):
    page = login_as("energy@school.demo")
    response = page.post("/programme/stats/meters", data={"year": year})
    assert response.status_code == 422
    # Only the form that was sent shows the error and keeps the value: the entry form, which
    # has a year field too, shows neither.
    html = response.get_data(as_text=True)
    entry = html.split('data-testid="stat-form"')[1].split("</form>")[0]
    by_meters = html.split('data-testid="meters-form"')[1].split("</form>")[0]
    assert "has-error" not in entry and "has-error" in by_meters
    assert html.count('class="field-errors"') == 1


def test_intensity_change_on_hand_computed_data(db_session):
    # Replace the demo figures with round numbers: 2020 100 tce / 10,000 m², 2024 95 tce.
    for email in ("energy@school.demo", "energy@hospital.demo"):
        who = actor_for(db_session, email)
        for year, mwh in ((2020, "813.670"), (2024, "772.986")):
            service.save_stat(
                db_session,
                who,
                year=year,
                floor_area_m2=Decimal("5000"),
                carriers=[{"carrier": "electricity", "quantity": Decimal(mwh), "unit": "MWh"}],
            )
    d = board(db_session, "officer@hangzhou.demo")
    years = {y["year"]: y for y in d.intensity["years"]}
    # 813.670 MWh × 0.1229 = 100.000 tce each; two institutions on 10,000 m².
    assert years[2020]["energy_kgce_per_m2"] == Decimal("20.000")
    assert years[2024]["energy_kgce_per_m2"] == Decimal("19.000")
    assert d.intensity["energy"]["change_pct"] == Decimal("-5.00")
    national = board(db_session)
    assert national.intensity["energy"]["target_reduction_pct"] == Decimal("5.00")
    assert national.intensity["energy"]["met"] is True
    # CO2 with 浙江's grid factors (both institutions are in 杭州): 2020 uses the 2021 one
    # (0.5422, the earliest), 2024 the latest (2023: 0.4974). 813.670 MWh × 0.5422 =
    # 441.171874 t, 772.986 MWh × 0.4974 = 384.4832364 t; (384.4832364 − 441.171874) /
    # 441.171874 = −12.85 %.
    assert national.intensity["co2"]["change_pct"] == Decimal("-12.85")


# --- verified savings and snapshots ----------------------------------------------------------


def _report(session, project, version, status, tce, accepted_on=dt.date(2024, 3, 1)):
    baseline = session.scalar(select(Baseline).where(Baseline.project_id == project.id))
    if baseline is None:
        baseline = Baseline(
            project_id=project.id,
            version=1,
            status="approved",
            plan_version=1,
            method="daily",
            start_date=dt.date(2022, 1, 1),
            end_date=dt.date(2023, 1, 1),
            verdict_passed=True,
            inputs_sha256="0" * 64,
            proposed_at=dt.datetime(2023, 1, 2, tzinfo=dt.UTC),
            acceptance={},
            models=[],
            warnings=[],
        )
        session.add(baseline)
        session.flush()
    session.add(
        MvReport(
            project_id=project.id,
            baseline_id=baseline.id,
            period_start=dt.date(2023, 1, 1),
            period_end=dt.date(2024, 1, 1),
            version=version,
            status=status,
            savings_value=Decimal(tce) * 1000,
            tce_avoided=Decimal(tce),
            tco2_avoided=Decimal(tce) * 3,
            inputs_sha256="1" * 64,
            accepted_on=accepted_on if status == "accepted" else None,
            results=[],
            months=[],
            carriers=[],
            factors=[],
            verdict={},
            warnings=[],
        )
    )
    session.flush()


def test_verified_savings_sum_the_latest_accepted_reports(db_session):
    project = make_project(db_session, SCHOOL)
    _report(db_session, project, 1, ReportStatus.ACCEPTED, "10")
    _report(db_session, project, 2, ReportStatus.ACCEPTED, "12")  # a re-issued, accepted version
    _report(db_session, project, 3, ReportStatus.SUBMITTED, "99")
    other = make_project(db_session, OFFICE)
    _report(db_session, other, 1, ReportStatus.ACCEPTED, "5")
    hz = board(db_session, "officer@hangzhou.demo").savings
    assert (hz["tce"], hz["tco2"], hz["cny"], hz["reports"]) == (
        Decimal("12"),
        Decimal("36"),
        Decimal("12000.00"),
        1,
    )
    assert board(db_session).savings["tce"] == Decimal("17")


def test_snapshot_job_is_idempotent_by_date(db_session, session_factory, settings):
    import emc.jobs  # noqa: F401
    from emc.scheduler import run_job

    make_project(db_session, SCHOOL, contract_type=ContractType.ENERGY_COST_CUSTODY)
    make_project(db_session, OFFICE, signed_on=dt.date(2024, 12, 1))
    db_session.commit()
    first = run_job(session_factory, settings, "programme_snapshot", "2024-07-01")
    assert first.status == "succeeded", first.error
    again = run_job(session_factory, settings, "programme_snapshot", "2024-07-01")
    assert again.status == "skipped"
    forced = run_job(session_factory, settings, "programme_snapshot", "2024-07-01", force=True)
    assert forced.status == "succeeded" and forced.summary == first.summary
    rows = {
        s.region_code: s
        for s in db_session.scalars(
            select(ProgrammeSnapshot).where(ProgrammeSnapshot.snapshot_date == AS_OF)
        )
    }
    assert db_session.scalar(
        select(func.count())
        .select_from(ProgrammeSnapshot)
        .where(ProgrammeSnapshot.snapshot_date == AS_OF)
    ) == len(rows)
    # The Ningbo project was signed after the snapshot date: not counted yet.
    assert rows["000000"].projects_counted == 1 and rows["330000"].projects_counted == 1
    assert rows["330100"].custody_counted == 1 and rows["330200"].projects_counted == 0
    assert rows["330100"].by_type == {"energy_cost_custody": 1}
    assert "440000" not in rows  # no projects and no target: no row
    trend = service.list_snapshots(db_session, actor_for(db_session, "officer@hangzhou.demo"))
    assert [s.snapshot_date for s in trend] == [AS_OF]

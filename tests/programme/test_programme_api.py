"""Programme pages and API: the dashboard with its charts and drill-down, exports, the PDF,
targets and statistics forms, and who gets what."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import delete, select

from emc.auth.models import Organization
from emc.contracts.finance import ContractType
from emc.contracts.models import Contract, EmcProject, Investor, ProjectStatus


@pytest.fixture(autouse=True)
def projects(db_session):
    """Two counted Hangzhou projects (one custody), a terminated one, and a counted Ningbo one;
    other domains' demo projects are removed inside the test's rolled-back transaction."""
    db_session.execute(delete(EmcProject))
    made = {}
    plan = [
        (
            "hz1",
            "杭州市第一中学",
            "一中照明改造",
            dt.date(2023, 3, 1),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
        ),
        (
            "hz2",
            "杭州市人民医院",
            "医院能源托管",
            dt.date(2024, 2, 1),
            ProjectStatus.CONTRACTED,
            ContractType.ENERGY_COST_CUSTODY,
        ),
        (
            "hz3",
            "杭州市人民医院",
            "医院光伏（终止）",
            dt.date(2023, 6, 1),
            ProjectStatus.TERMINATED,
            ContractType.SHARED_SAVINGS,
        ),
        (
            "nb1",
            "宁波市政府办公大楼",
            "宁波市府改造",
            dt.date(2022, 9, 9),
            ProjectStatus.COMPLETED,
            ContractType.SHARED_SAVINGS,
        ),
    ]
    for key, org, name, signed, status, kind in plan:
        org_id = db_session.scalar(select(Organization.id).where(Organization.name_zh == org))
        p = EmcProject(
            organization_id=org_id,
            name=name,
            status=status,
            signed_on=signed,
            operation_start_on=signed + dt.timedelta(days=90)
            if status in (ProjectStatus.OPERATING, ProjectStatus.COMPLETED)
            else None,
            total_investment=Decimal("1000000.00"),
            investor=Investor.ESCO,
            ecms=[],
        )
        db_session.add(p)
        db_session.flush()
        db_session.add(
            Contract(project_id=p.id, contract_type=kind, terms={}, savings_estimates=[])
        )
        made[key] = p
    db_session.commit()
    return made


def test_dashboard_page_shows_progress_charts_rule_and_drill_down(login_as):
    client = login_as("officer@zhejiang.demo")
    page = client.get("/programme")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="counted">3<' in html
    assert html.count("<svg") >= 4 and "<polyline" in html
    assert "/programme?region=330100" in html and "/programme?region=330200" in html
    # The counting rule in the page language only (issue 15: it was printed in both).
    assert "投入运行前即终止" in html and "terminated before operation" not in html
    hangzhou = client.get("/programme?region=330100").get_data(as_text=True)
    assert 'data-testid="counted">2<' in hangzhou
    assert "医院光伏（终止）" in hangzhou  # listed, not counted
    filtered = client.get("/programme?region=330100&contract_type=energy_cost_custody")
    text = filtered.get_data(as_text=True)
    assert "医院能源托管" in text and "一中照明改造" not in text


def test_a_city_agency_cannot_see_its_neighbour(login_as):
    client = login_as("officer@hangzhou.demo")
    assert client.get("/programme?region=330200").status_code == 404
    assert client.get("/api/v1/programme/dashboard?region=330200").status_code == 404
    assert client.get("/api/v1/programme/projects?region=330000").status_code == 404
    data = client.get("/api/v1/programme/dashboard").get_json()
    assert data["region"]["code"] == "330100" and data["progress"]["counted"] == 2
    assert data["progress"]["custody"] == 1 and data["progress"]["target"] == 40
    names = [p["name"] for p in client.get("/api/v1/programme/projects").get_json()["items"]]
    assert "宁波市府改造" not in names and len(names) == 3


@pytest.mark.parametrize(
    "email",
    ["energy@school.demo", "admin@esco.demo", "auditor@auditor.demo"],
)
def test_non_agencies_are_refused_the_dashboard(login_as, email):
    client = login_as(email)
    assert client.get("/programme").status_code == 403
    assert client.get("/api/v1/programme/dashboard").status_code == 403
    assert client.get("/api/v1/programme/projects.csv").status_code == 403


def test_csv_and_xlsx_exports_list_the_filtered_projects(login_as):
    client = login_as("officer@zhejiang.demo")
    response = client.get("/api/v1/programme/projects.csv?counted=true")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["项目编号", "项目名称", "公共机构"]
    assert sorted(r[1] for r in rows[1:]) == sorted(
        ["一中照明改造", "医院能源托管", "宁波市府改造"]
    )
    xlsx = client.get("/api/v1/programme/projects.xlsx?region=330100")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.values)
    assert len(values) == 4 and values[0][0] == "项目编号"
    assert {v[10] for v in values[1:]} == {"是", "否"}
    # Streamed, and still with a frozen header and filters, as the other exports have.
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")


def test_pdf_summary_prints_the_region_and_its_counts(login_as):
    client = login_as("officer@zhejiang.demo")
    response = client.get("/programme/summary.pdf?region=330100")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "杭州市" in text and "40" in text
    assert "投入运行前即终止" in text


def test_target_form_rerenders_with_the_field_named(login_as):
    client = login_as("officer@zhejiang.demo")
    body = {
        "region_code": "330200",
        "metric": "projects",
        "start_year": "2021",
        "end_year": "2025",
        "project_count": "141",
    }
    response = client.post("/programme/targets", data=body)
    # Ningbo already has a target for 2021–2025: the overlap is named.
    assert response.status_code == 409
    assert 'data-field="start_year"' in response.get_data(as_text=True)
    body.update(start_year="2026", end_year="2030")
    assert client.post("/programme/targets", data=body).status_code == 302
    api = client.post(
        "/api/v1/programme/targets",
        json={
            "region_code": "330100",
            "metric": "projects",
            "start_year": 2026,
            "end_year": 2030,
            "project_count": 1,
        },
    )
    assert api.status_code == 201
    zhejiang = client.post(
        "/api/v1/programme/targets",
        json={
            "region_code": "330000",
            "metric": "projects",
            "start_year": 2026,
            "end_year": 2030,
            "project_count": 100,
        },
    )
    assert zhejiang.status_code == 422
    assert "project_count" in zhejiang.get_json()["error"]["fields"]


def test_statistics_page_form_and_import(login_as):
    client = login_as("energy@school.demo")
    page = client.get("/programme/stats")
    assert page.status_code == 200 and "2024" in page.get_data(as_text=True)
    bad = client.post(
        "/programme/stats",
        data={
            "year": "2022",
            "floor_area_m2": "22700",
            "quantity_electricity": "100",
            "unit_electricity": "m³",
        },
    )
    assert bad.status_code == 422 and 'data-field="unit_electricity"' in bad.get_data(as_text=True)
    ok = client.post(
        "/programme/stats",
        data={
            "year": "2022",
            "floor_area_m2": "22700",
            "quantity_electricity": "2000000",
            "unit_electricity": "kWh",
        },
    )
    assert ok.status_code == 302
    book = Workbook()
    book.active.append(["year", "floor_area_m2", "occupants", "carrier", "quantity", "unit"])
    book.active.append([2021, 22700, 2700, "electricity", 2100, "MWh"])
    book.active.append([2021, 22700, 2700, "natural_gas", 3.5, "万m³"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    response = client.post("/api/v1/programme/stats/import", data={"file": (buffer, "s.xlsx")})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["rows"] == 2 and body["stats"][0]["year"] == 2021
    # 2,100 MWh × 0.1229 = 258.09 tce; 35,000 m³ × 1.2143 = 42.5005 tce; 300.5905 → 300.590
    # (half-even to the 0.001 tce of the column).
    assert Decimal(body["stats"][0]["energy_tce"]) == Decimal("300.590")
    listed = client.get("/api/v1/programme/stats?year=2021").get_json()
    assert [s["floor_area_source"] for s in listed] == ["imported"]


def test_agency_reads_statistics_of_its_region_only(login_as):
    ningbo = login_as("officer@ningbo.demo").get("/api/v1/programme/stats").get_json()
    assert ningbo == []
    hangzhou = login_as("officer@hangzhou.demo").get("/api/v1/programme/stats").get_json()
    assert {s["year"] for s in hangzhou} == {2020, 2024} and len(hangzhou) == 4


def _field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<ul class="field-errors" data-field="([^"]+)">(.*?)</ul>', html, re.S))


def test_statistics_form_and_api_refuse_negative_figures_each_under_its_field(login_as):
    client = login_as("energy@hospital.demo")
    page = client.post(
        "/programme/stats",
        data={
            "year": "2019",
            "floor_area_m2": "42000",
            "quantity_electricity": "-100",
            "quantity_natural_gas": "abc",
        },
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    errors = _field_errors(html)
    # Each bad quantity marked and explained under its own input, in Chinese.
    assert "必须大于或等于 0" in errors["quantity_electricity"]
    assert "不是有效的数字" in errors["quantity_natural_gas"]
    assert 'value="abc"' in html and "carriers" not in errors
    assert "2019" not in client.get("/api/v1/programme/stats").get_data(as_text=True)
    api = client.post(
        "/api/v1/programme/stats",
        json={
            "year": 2019,
            "floor_area_m2": "-1",
            "carriers": [{"carrier": "electricity", "quantity": "-100", "unit": "kWh"}],
        },
    )
    assert api.status_code == 422
    fields = api.get_json()["error"]["fields"]
    assert "floor_area_m2" in fields and "carriers" in fields


def test_a_reversed_year_range_keeps_the_dashboard_with_the_error_beside_the_years(login_as):
    client = login_as("officer@national.demo")
    response = client.get("/programme?start_year=2025&end_year=2021")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-testid="kpis"' in html and 'data-testid="project-list"' in html
    assert "不得早于起始年份" in _field_errors(html)["end_year"]
    assert 'name="start_year" size="6" value="2025"' in html
    assert 'name="end_year" size="6" value="2021"' in html


def test_a_bad_region_code_is_the_catalogues_sentence_said_in_chinese(app):
    """Not "must be a 6-digit division code" in English on a Chinese page."""
    import marshmallow as ma
    from flask_babel import force_locale

    from emc.programme.schemas import TargetIn
    from emc.web.messages import say

    with pytest.raises(ma.ValidationError) as error:
        TargetIn().load({"region_code": "33", "metric": "x", "start_year": 2024, "end_year": 2025})
    (message,) = error.value.messages["region_code"]
    assert message.code == "programme.division_code"
    with app.test_request_context(), force_locale("zh_CN"):
        assert say(message) == "必须是 6 位行政区划代码"


def test_a_half_signed_proposal_shows_no_signing_date(db_session):
    """项目 已提交 / 未签约 listed with 签约日期 2023-12-20: the date of one party's signature
    is not the contract's (the demo's savings-watch projects are signed by the institution
    only)."""
    from emc.contracts.models import EmcProject, ProjectStatus
    from emc.demo import actor_for
    from emc.programme import service as programme

    # A proposal the institution has signed and the ESCO not yet (as the demo's are).
    project = db_session.scalars(
        select(EmcProject).where(EmcProject.signed_on.is_not(None)).order_by(EmcProject.id)
    ).first()
    project.status = ProjectStatus.PROPOSED
    db_session.flush()
    half = [project]
    officer = actor_for(db_session, "officer@national.demo")
    names = {p.name for p in half}
    rows = [r for r in programme.project_page(db_session, officer, per_page=500)["items"]]
    listed = [r for r in rows if r["name"] in names]
    assert listed and all(r["signed_on"] is None and not r["counted"] for r in listed)
    exported = [r for r in programme.iter_projects(db_session, officer) if r["name"] in names]
    assert exported and all(r["signed_on"] is None for r in exported)


def test_a_refused_year_stays_in_its_box_and_leaves_the_exports_working(login_as):
    """签约年份 "abc" emptied the box without a word beside it, and the CSV and XLSX links then
    answered raw JSON 422; the next-page link dropped per_page."""
    client = login_as("officer@zhejiang.demo")
    page = client.get("/programme?year=abc", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'name="year" size="6" value="abc"' in html
    csv_link = re.search(r'href="([^"]+)" data-testid="csv-link"', html)[1].replace("&amp;", "&")
    assert "year=" not in csv_link and client.get(csv_link).status_code == 200
    paged = client.get("/programme?per_page=2").get_data(as_text=True)
    nxt = re.search(r'href="([^"]+)">[^<]*›', paged)
    assert nxt and "per_page=2" in nxt[1]

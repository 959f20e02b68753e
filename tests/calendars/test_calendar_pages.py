"""Calendar pages, term-calendar uploads and sharing, the plan's model choice, day-type
baselines and reports, and the day-type shading of the meter chart."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "mv"))
from test_mv_support import actor, make_project  # noqa: E402

from emc.calendars import service as calendars  # noqa: E402
from emc.facilities.models import Site  # noqa: E402
from emc.mv.models import MvPlan  # noqa: E402

PLATFORM = "admin@platform.demo"
ENERGY = "energy@school.demo"
ESCO = "engineer@esco.demo"
TERM_CSV = (
    "kind,start_date,end_date,name\n"
    "term,2024-02-26,2024-07-05,春季学期\n"
    "exam,2024-06-24,2024-07-05,期末考试\n"
    "vacation,2024-07-06,2024-08-31,暑假\n"
    "vacation,2024-01-20,2024-02-25,寒假\n"
)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _school_site(db_session):
    who = actor(db_session, ENERGY)
    return db_session.scalar(
        select(Site).where(Site.organization_id == who.organization_id).order_by(Site.id)
    )


def _new_calendar(client, name="一中校历", shared=False) -> int:
    data = {"name": name} | ({"shared": "on"} if shared else {})
    r = client.post("/calendars/terms", data=data)
    assert r.status_code == 302, _text(r)[:500]
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def test_statutory_years_come_from_the_package_and_an_admin_adds_the_next(login_as, db_session):
    admin = login_as(PLATFORM)
    page = _text(admin.get("/calendars"))
    assert "法定节假日与调休上班日" in page and 'data-testid="year-2026"' in page
    year_2025 = _text(admin.get("/calendars/statutory/2025"))
    assert "2025-01-26" in year_2025 and "调休上班日" in year_2025  # a 调休 Sunday
    days = "2027-01-01,holiday,元旦\n2027-02-06,holiday,春节\n2027-02-14,makeup_workday,春节调休"
    r = admin.post(
        "/calendars/statutory/2027", data={"source": "国办发明电〔2026〕1号", "days": days}
    )
    assert r.status_code == 302
    assert "管理员录入" in _text(admin.get("/calendars/statutory/2027"))
    site = _school_site(db_session)
    typed = calendars.site_day_types(db_session, site.id, dt.date(2027, 1, 1), dt.date(2027, 3, 1))
    types = dict(zip(typed["dates"], typed["types"], strict=True))
    assert types[dt.date(2027, 2, 6)] == "holiday"
    assert types[dt.date(2027, 2, 14)] == "makeup_workday"
    assert types[dt.date(2027, 2, 13)] == "weekend"
    assert typed["unknown_years"] == []
    # A bad line is named, in Chinese, and nothing is written.
    bad = admin.post(
        "/calendars/statutory/2028",
        data={"source": "x", "days": "2028-01-01,holiday\n2028-01-03,x"},
    )
    assert bad.status_code == 422 and "第 2 行" in _text(bad)
    assert calendars.statutory_year_days(db_session, 2028)["source"] == "none"


def test_only_platform_admins_enter_statutory_years(login_as):
    energy = login_as(ENERGY)
    r = energy.post("/calendars/statutory/2027", data={"source": "x", "days": "2027-01-01,holiday"})
    assert r.status_code == 403


def test_term_calendar_upload_assign_and_share_within_the_city(login_as, db_session):
    energy = login_as(ENERGY)
    cal_id = _new_calendar(energy)
    r = energy.post(
        f"/calendars/terms/{cal_id}/periods",
        data={"file": (io.BytesIO(TERM_CSV.encode()), "校历.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, _text(r)[:500]
    page = _text(energy.get(f"/calendars/terms/{cal_id}"))
    assert "暑假" in page and "考试周" in page and "2024-08-31" in page
    site = _school_site(db_session)
    r = energy.post(f"/calendars/terms/{cal_id}/sites", data={"site_id": site.id, "follow": "on"})
    assert r.status_code == 302
    typed = calendars.site_day_types(db_session, site.id, dt.date(2024, 7, 5), dt.date(2024, 9, 3))
    assert typed["types"][0] == "workday" and typed["types"][1] == "vacation"
    assert typed["types"][-2] == "weekend" and typed["types"][-1] == "workday"  # 1 and 2 Sep
    # The hospital, in the same city, sees the calendar only once it is shared.
    hospital = login_as("admin@hospital.demo")
    assert hospital.get(f"/calendars/terms/{cal_id}").status_code == 404
    assert energy.post(f"/calendars/terms/{cal_id}/share", data={"shared": "on"}).status_code == 302
    assert hospital.get(f"/calendars/terms/{cal_id}").status_code == 200
    # … and may use it, but not change it.
    r = hospital.post(
        f"/calendars/terms/{cal_id}/periods",
        data={"file": (io.BytesIO(TERM_CSV.encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 404


def test_a_bad_term_file_names_row_and_column_and_writes_nothing(login_as, db_session):
    energy = login_as(ENERGY)
    cal_id = _new_calendar(energy)
    bad = "类型,开始日期,结束日期,名称\n假期,2024-07-06,2024-08-31,暑假\n假期,2024-08-01,2024-07-01,x\n"
    r = energy.post(
        f"/calendars/terms/{cal_id}/periods",
        data={"file": (io.BytesIO(bad.encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    # The column by its header in the page's language, never the internal key end_date.
    assert "第 3 行，结束日期 列：早于开始日期" in _text(r)
    assert calendars.load_term_calendar(db_session, actor(db_session, ENERGY), cal_id).periods == []


def test_templates_download_and_the_xlsx_template_uploads(login_as):
    energy = login_as(ENERGY)
    csv_response = energy.get("/calendars/template.csv")
    csv_body = csv_response.get_data()
    # Through the one export helper, as every download: nosniff, no shared cache.
    assert csv_response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in csv_response.headers["Cache-Control"]
    # Chinese headers and kind words on a Chinese page (the upload reads either language).
    assert csv_body.decode("utf-8-sig").startswith("类型,开始日期,结束日期,名称\r\n学期,")
    xlsx = energy.get("/calendars/template.xlsx").get_data()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.title == "校历" and [c.value for c in sheet[1]] == [
        "类型",
        "开始日期",
        "结束日期",
        "名称",
    ]
    assert {sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)} == {
        "学期",
        "考试",
        "假期",
    }
    cal_id = _new_calendar(energy, name="模板校历")
    r = energy.post(
        f"/calendars/terms/{cal_id}/periods",
        data={"file": (io.BytesIO(xlsx), "template.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    assert "寒假" in _text(energy.get(f"/calendars/terms/{cal_id}"))


def test_plan_records_the_model_choice_and_existing_plans_stay_classic(login_as, db_session):
    mv = make_project(db_session, months=3)
    pid = mv["project"]
    plan = db_session.scalar(select(MvPlan).where(MvPlan.project_id == pid))
    assert plan.baseline_model.value == "classic"
    inst = login_as(ENERGY)
    form = {
        f"meter_{mv['meter']}": "on",
        f"option_{mv['meter']}": "B",
        "method": "daily",
        "baseline_start": "2023-01-01",
        "baseline_end": "2024-01-01",
        "reporting_frequency": "monthly",
        "baseline_model": "day_types",
        "version": str(plan.version),
    }
    assert inst.post(f"/projects/{pid}/mv/plan", data=form).status_code == 302
    out = inst.get(f"/api/v1/projects/{pid}/mv-plan").get_json()
    assert out["baseline_model"] == "day_types"
    page = _text(inst.get(f"/projects/{pid}/mv"))
    assert "日类型（中国日历）" in page
    # A plan saved again without naming the model keeps it; day types need the daily method.
    body = {k: out[k] for k in ("boundary", "method", "baseline_start", "baseline_end")}
    body |= {"reporting_frequency": "monthly", "version": out["version"]}
    again = inst.post(f"/api/v1/projects/{pid}/mv-plan", json=body).get_json()
    assert again["baseline_model"] == "day_types"
    wrong = inst.post(
        f"/api/v1/projects/{pid}/mv-plan",
        json=body
        | {"method": "billing", "baseline_model": "day_types", "version": again["version"]},
    )
    assert wrong.status_code == 422
    assert "baseline_model" in wrong.get_json()["error"]["fields"]


def test_day_type_baseline_and_report_show_both_models(login_as, db_session):
    mv = make_project(db_session, months=3)
    pid = mv["project"]
    esco, inst = login_as(ESCO), login_as(ENERGY)
    plan = inst.get(f"/api/v1/projects/{pid}/mv-plan").get_json()
    body = {k: plan[k] for k in ("boundary", "method", "baseline_start", "baseline_end")}
    body |= {"reporting_frequency": "monthly", "version": plan["version"]}
    r = inst.post(f"/api/v1/projects/{pid}/mv-plan", json=body | {"baseline_model": "day_types"})
    assert r.status_code == 200, r.get_json()
    r = esco.post(f"/api/v1/projects/{pid}/baselines", json={})
    assert r.status_code == 201, r.get_data(as_text=True)
    baseline = r.get_json()
    (entry,) = baseline["models"]
    assert entry["model"]["method"] == "daily_daytype"
    assert entry["comparison"]["classic"]["statistics"]["n"] == entry["statistics"]["n"]
    page = _text(inst.get(f"/projects/{pid}/mv/baselines/{baseline['id']}"))
    assert 'data-testid="day-type-coefficients"' in page
    # 2023 had five 调休 days: too few, merged into the type nearest in use, and said so.
    assert "调休上班日" in page and "基准期不足 10 天：采用" in page
    r = inst.post(
        f"/api/v1/projects/{pid}/baselines/{baseline['id']}/approve",
        json={"comment": "同意", "row_version": baseline["row_version"]},
    )
    assert r.status_code == 200
    r = esco.post(
        f"/projects/{pid}/mv/reports",
        data={"period_start": "2024-01-01", "period_last": "2024-01-31"},
    )
    assert r.status_code == 302, _text(r)[:800]
    page = _text(esco.get(r.headers["Location"]))
    assert 'data-testid="model-comparison"' in page
    assert (
        'data-testid="comparison-day_types"' in page and 'data-testid="comparison-classic"' in page
    )
    assert "两种逐日模型对比" in page


def test_meter_chart_shades_day_types(login_as, db_session):
    mv = make_project(db_session, months=3, plan=False)
    energy = login_as(ENERGY)
    cal_id = _new_calendar(energy, name="图表校历")
    energy.post(
        f"/calendars/terms/{cal_id}/periods",
        data={"file": (io.BytesIO(TERM_CSV.encode()), "t.csv")},
        content_type="multipart/form-data",
    )
    site = _school_site(db_session)
    energy.post(f"/calendars/terms/{cal_id}/sites", data={"site_id": site.id, "follow": "on"})
    page = _text(energy.get(f"/meters/{mv['meter']}?start=2024-01-01&end=2024-03-01"))
    svg = re.search(r'<svg[^>]*class="daily-chart".*?</svg>', page, re.S).group(0)
    for kind in ("holiday", "weekend", "vacation"):
        assert f'class="daytype daytype-{kind}"' in svg
    assert "法定节假日" in svg and "假期" in svg  # the legend, in Chinese
    # One bar per day still: the shading uses paths, not bars.
    assert svg.count("<rect") == 60


@pytest.mark.parametrize("path", ["/calendars", "/calendars/statutory/2026"])
def test_calendar_pages_render_for_every_signed_in_kind(login_as, path):
    for email in (PLATFORM, ENERGY, ESCO, "officer@zhejiang.demo"):
        assert login_as(email).get(path).status_code == 200


def test_english_template_files_still_upload(login_as):
    energy = login_as(ENERGY)
    cal_id = _new_calendar(energy, name="英文表头校历")
    english = (
        "kind,start_date,end_date,name\n"
        "term,2024-09-01,2025-01-17,autumn\n"
        "exam,2025-01-06,2025-01-17,exams\n"
        "vacation,2025-01-18,2025-02-16,winter\n"
    )
    r = energy.post(
        f"/calendars/terms/{cal_id}/periods",
        data={"file": (io.BytesIO(english.encode()), "english.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    page = _text(energy.get(f"/calendars/terms/{cal_id}"))
    assert "autumn" in page and "winter" in page
    # The help names the Chinese columns and kind words.
    assert "类型（学期、考试、假期）、开始日期、结束日期（含当日）和 名称" in page
    bad_kind = energy.post(
        f"/calendars/terms/{cal_id}/periods",
        data={
            "file": (
                io.BytesIO("类型,开始日期,结束日期\n暑期,2025-07-01,2025-08-31\n".encode()),
                "x.csv",
            )
        },
        content_type="multipart/form-data",
    )
    assert bad_kind.status_code == 422
    assert "第 2 行，类型 列：应为 学期、考试 或 假期" in _text(bad_kind)

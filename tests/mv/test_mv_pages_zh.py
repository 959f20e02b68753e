"""The M&V pages and PDFs read as Chinese: flashes name what was done, model forms, factor
regions and sources, the journal's baseline, the draft and plan forms' errors (user walk B)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from test_mv_support import make_project

from emc.i18n import translate
from emc.labels import MODEL_FORM_LABELS
from emc.mv.models import Baseline, MvReport

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"
ZH = {"Accept-Language": "zh-CN"}
# A provincial factor as the demo stores it: the publisher's notice, its address and the
# repository (at a commit) its figures were transcribed from.
ZHEJIANG_CO2 = {
    "ref": "electricity/co2/national_average/provincial/330000/2023",
    "carrier": "electricity",
    "kind": "co2",
    "value": "0.49740000",
    "unit": "kgCO2/kWh",
    "year": 2023,
    "scope": "provincial",
    "region": "330000",
    "variant": "national_average",
    "source": "生态环境部、国家统计局《关于发布2023年电力二氧化碳排放因子的公告》附件: 省级电力"
    "平均二氧化碳排放因子（浙江）; https://www.mee.gov.cn/x.pdf; 数值据 edg127117/building-"
    "energy-carbon-platform electricity-average-factors.csv (commit 13b65986) 对公告附表的转录",
    "stale": False,
    "before_first": False,
    "for_year": 2024,
}


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def mv(db_session, login_as):
    """A project with an approved baseline (its id differs from its version 1)."""
    ids = make_project(db_session, months=1)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    r = esco.post(f"/projects/{pid}/mv/baselines", data={})
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    bid = int(r.headers["Location"].rstrip("/").split("/")[-1])
    r = inst.post(
        f"/projects/{pid}/mv/baselines/{bid}/approve", data={"comment": "同意", "row_version": "1"}
    )
    assert r.status_code == 302
    return {**ids, "baseline": bid, "esco": esco, "inst": inst}


def _draft(mv) -> int:
    r = mv["esco"].post(
        f"/projects/{mv['project']}/mv/reports",
        data={"period_start": "2024-01-01", "period_last": "2024-01-31"},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def test_submitting_a_report_flashes_what_was_done_in_chinese(mv):
    rid = _draft(mv)
    r = mv["esco"].post(
        f"/projects/{mv['project']}/mv/reports/{rid}/submit",
        data={"row_version": "1"},
        headers=ZH,
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert "测量与验证报告已提交" in html
    assert "（submit）" not in html and "操作已完成" not in html


def test_every_action_of_the_report_route_has_its_flash(app):
    from emc.mv.views.reports import REPORT_DONE

    (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == "mv.report_action"]
    actions = re.search(r"any\(([^)]*)\)", rule.rule).group(1)
    assert set(REPORT_DONE) == {a.strip() for a in actions.split(",")}


def test_the_baseline_page_and_pdfs_name_the_model_form_in_chinese(mv, db_session):
    pid, bid = mv["project"], mv["baseline"]
    baseline = db_session.get(Baseline, bid)
    form = baseline.models[0]["model"]["form"]
    html = mv["esco"].get(f"/projects/{pid}/mv/baselines/{bid}", headers=ZH).get_data(as_text=True)
    cell = re.search(r'data-testid="model-form">([^<]*)<', html)
    said = {translate("zh_CN", m) for m in MODEL_FORM_LABELS.values()}
    assert cell and cell.group(1) in said and form not in html
    sheet = _text(mv["esco"].get(f"/api/v1/projects/{pid}/baselines/{bid}.pdf").data)
    assert form not in sheet
    assert "公共机构合同能源管理 · 能耗基准审批单" in sheet  # the footer


def test_the_report_page_and_pdf_say_factors_warnings_and_baseline_in_chinese(mv, db_session):
    pid, rid = mv["project"], _draft(mv)
    report = db_session.get(MvReport, rid)
    report.factors = [*report.factors, ZHEJIANG_CO2]
    report.warnings = [
        *report.warnings,
        {
            "code": "no_temperature",
            "message": "The site has no weather station or the station has no temperatures "
            "between 2024-01-01 and 2024-02-01.",
            "data": {"start": "2024-01-01", "end": "2024-02-01"},
            "disqualifying": False,
        },
    ]
    db_session.flush()
    html = mv["esco"].get(f"/projects/{pid}/mv/reports/{rid}", headers=ZH).get_data(as_text=True)
    assert "浙江" in html and "· 330000" not in html
    assert "commit" not in html and "13b65986" not in html
    assert "场所没有气象站，或其气象站缺少 2024-01-01 – 2024-01-31 的气温数据。" in html
    assert "The site has no weather station" not in html
    # The journal names the baseline by its version (as the link beside it does), not its id.
    assert mv["baseline"] != 1  # the demo's baselines come first: the id is not the version
    text = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))
    assert "能耗基准：v1" in text and f"能耗基准：{mv['baseline']}" not in text
    pdf = _text(mv["esco"].get(f"/api/v1/projects/{pid}/mv-reports/{rid}.pdf").data)
    assert "[no_temperature]" not in pdf and "no_temperature" not in pdf
    assert "场所没有气象站" in pdf
    assert "13b65986" not in pdf and "浙江" in pdf
    assert "公共机构合同能源管理 · 测量与验证报告" in pdf and "emc · programme" not in pdf
    kinds = [line for line in pdf.splitlines() if line.startswith(("电力", "Electricity"))]
    assert kinds and not any(re.search(r"\bco2\b|\btce\b", line) for line in kinds)


def test_a_refused_draft_keeps_the_dates_and_says_the_problem_under_the_field(mv):
    r = mv["esco"].post(
        f"/projects/{mv['project']}/mv/reports",
        data={"period_start": "2024-01-01", "period_last": "2023-12-31"},
        headers=ZH,
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    form = html[html.index('data-testid="draft-form"') :]
    assert 'value="2024-01-01"' in form and 'value="2023-12-31"' in form
    assert 'data-field="period_last"' in form and "须晚于开始日期" in form
    assert "期间的结束日期必须晚于开始日期" in html and "早于开始" not in html


def test_a_plan_without_a_meter_is_refused_in_chinese_naming_the_boundary(mv):
    r = mv["inst"].post(
        f"/projects/{mv['project']}/mv/plan",
        data={
            "method": "daily",
            "baseline_start": "2023-01-01",
            "baseline_end": "2024-01-01",
            "reporting_frequency": "monthly",
        },
        headers=ZH,
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Length must be" not in html
    assert 'data-field="boundary"' in html and "请在测量边界中至少选择一个计量表" in html


def test_a_refused_adjustment_form_is_said_from_the_catalogue_not_as_a_dict(mv, monkeypatch):
    """Whatever the adjustment's form loader refuses with marshmallow's own error is said as
    the catalogue's sentence with its fields named (never ``str(error)``: a dict's repr)."""
    import marshmallow as ma

    from emc.mv import api as mv_api

    def refuse():
        raise ma.ValidationError({"amount": ["Not a valid number."]})

    rid = _draft(mv)
    monkeypatch.setattr(mv_api, "adjustment_from_request", refuse)
    r = mv["esco"].post(
        f"/projects/{mv['project']}/mv/reports/{rid}/adjustments", data={}, headers=ZH
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "{'amount'" not in html and "{&#39;amount" not in html and "Not a valid" not in html
    assert "金额" in html


def test_the_draft_form_asks_for_the_last_day_and_a_todo_fills_it(mv):
    """The to-do said 2025-02-01 至 2025-02-28 and the form's end was exclusive: typing 02-28
    drafted a report of 02-01 – 02-27. The form asks for the last day, as periods are shown."""
    esco = mv["esco"]
    page = esco.get(
        f"/projects/{mv['project']}/mv?period_start=2024-03-01&period_last=2024-03-31", headers=ZH
    ).get_data(as_text=True)
    form = page[page.index('data-testid="draft-form"') :]
    assert 'value="2024-03-01"' in form and 'value="2024-03-31"' in form
    assert "报告期最后一天（含当日）" in form and "不含" not in form[: form.index("</form>")]

"""The M&V report and baseline approval sheet PDFs carry the key figures (text via pypdf)."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import select
from test_mv_support import demo_project_id

from emc.mv.models import Baseline, MvReport, ReportStatus


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _demo(db_session):
    pid = demo_project_id(db_session)
    report = db_session.scalar(
        select(MvReport)
        .where(MvReport.project_id == pid, MvReport.status == ReportStatus.ACCEPTED)
        .order_by(MvReport.period_start.desc())
    )
    return pid, report, db_session.get(Baseline, report.baseline_id)


def test_report_pdf_in_chinese_has_parties_figures_and_history(login_as, db_session):
    pid, report, baseline = _demo(db_session)
    response = login_as("viewer@school.demo").get(
        f"/api/v1/projects/{pid}/mv-reports/{report.id}.pdf"
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    for expected in (
        "测量与验证报告",
        "杭州市第一中学",
        "绿能节能服务有限公司",
        "一中暖通空调节能改造",
        f"{report.savings_value:,.2f}",
        str(report.tce_avoided),
        str(report.tco2_avoided),
        report.months[0]["month"],
        f"{report.fsu_68 * 100:.1f} %",
        "GB/T 2589-2020",
        "签字",
    ):
        assert expected in text, expected
    intercept = baseline.models[0]["model"]["intercept"]
    assert f"{intercept:,.3f}" in text


def test_report_pdf_gives_each_months_price_days_and_the_contract_year_split(login_as, db_session):
    """No figure without its source: the value of each month stands beside the contract price
    it was valued at and the days it rests on, and the value per contract year with the
    payment it gives, as the report's page shows them."""
    pid, report, _baseline = _demo(db_session)
    text = _text(
        login_as("energy@school.demo")
        .get(f"/api/v1/projects/{pid}/mv-reports/{report.id}.pdf")
        .data
    )
    month = report.months[0]
    assert f"{month['price']}/{month['price_unit']}" in text
    assert f"{month['n_days_used']}/{month['n_days']}" in text
    assert "合同单价" in text and "有数据的" in text
    assert "按合同年度的节能效益及对应付款" in text
    part = report.valuation["parts"][0]
    assert f"{Decimal(part['savings_value']):,.2f}" in text
    line = report.valuation["lines"][0]
    flat = text.replace("\n", "")
    assert f"{Decimal(line['amount']):,.2f}" in text and "节能效益分享款" in flat


def test_report_pdf_in_english(login_as, db_session):
    pid, report, _baseline = _demo(db_session)
    response = login_as("engineer@esco.demo").get(
        f"/api/v1/projects/{pid}/mv-reports/{report.id}.pdf?lang=en"
    )
    text = _text(response.data)
    assert "M&V report" in text and "Monthly results" in text and "Signatures" in text
    assert f"{Decimal(report.carriers[0]['avoided']):,.1f} kWh" in text


def test_baseline_approval_sheet(login_as, db_session):
    pid, _report, baseline = _demo(db_session)
    response = login_as("energy@school.demo").get(
        f"/api/v1/projects/{pid}/baselines/{baseline.id}.pdf"
    )
    assert response.status_code == 200
    text = _text(response.data)
    st = baseline.models[0]["statistics"]
    assert "基准" in text and "暖通空调分项" in text
    assert f"{st['cvrmse'] * 100:.1f} %" in text and f"{st['r_squared']:,.4f}" in text
    assert "ASHRAE" in text
    en = _text(
        login_as("energy@school.demo")
        .get(f"/api/v1/projects/{pid}/baselines/{baseline.id}.pdf?lang=en")
        .data
    )
    assert "Baseline approval sheet" in en and "G14 verdict" in en and "pass" in en


def test_pdf_statuses_are_the_pages_words(login_as, db_session):
    """A proposed baseline read 已提交 on its page and 待审批 in its PDF: both now take the one
    label table (emc.labels)."""
    from sqlalchemy import update

    pid, report, baseline = _demo(db_session)
    db_session.execute(update(Baseline).where(Baseline.id == baseline.id).values(status="proposed"))
    db_session.expire_all()
    client = login_as("energy@school.demo")
    page = client.get(f"/projects/{pid}/mv/baselines/{baseline.id}").get_data(as_text=True)
    sheet = _text(client.get(f"/api/v1/projects/{pid}/baselines/{baseline.id}.pdf").data)
    assert "已提交" in page and "已提交" in sheet and "待审批" not in sheet
    text = _text(client.get(f"/api/v1/projects/{pid}/mv-reports/{report.id}.pdf").data)
    assert "已接受" in text and "accepted" not in text


def test_baseline_sheet_gives_the_day_type_intercepts_it_approves(login_as, db_session):
    """The signed sheet shows the whole model: a day-type baseline's intercept per day type,
    the baseline days behind each, the merges and the vacation slopes, as the page does."""
    pid, _report, baseline = _demo(db_session)
    dtp = baseline.models[0]["model"]["day_types"]
    text = _text(
        login_as("energy@school.demo")
        .get(f"/api/v1/projects/{pid}/baselines/{baseline.id}.pdf")
        .data
    )
    assert "日类型" in text and "调休上班日" in text and "法定节假日" in text
    for name in ("workday", "weekend", "holiday"):
        assert f"{dtp['intercepts'][name]:,.3f}" in text, name
        assert str(dtp["day_counts"][name]) in text
    assert "采用“周末”的截距" in text
    assert f"{dtp['vacation_beta_hdd']:,.3f}" in text


def test_each_payment_line_reconciles_with_the_unrounded_value_and_share(login_as, db_session):
    """3,337.17 × 80 % = 2,669.74 beside a line of 2,669.73: the line is the unrounded value
    times the share, rounded once; the page and the PDF give that value and the share."""
    from decimal import ROUND_HALF_UP

    pid, _report, _baseline = _demo(db_session)
    reports = db_session.scalars(
        select(MvReport).where(MvReport.project_id == pid, MvReport.status == ReportStatus.ACCEPTED)
    ).all()
    client = login_as("energy@school.demo")
    for report in reports:
        for line in report.valuation["lines"]:
            exact, share = Decimal(line["savings_value_exact"]), Decimal(line["esco_share"])
            amount = (exact * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert amount == Decimal(line["amount"]), line
    report = reports[0]
    line = report.valuation["lines"][0]
    shown = f"{Decimal(line['savings_value_exact']):,.4f}"
    page = client.get(f"/projects/{pid}/mv/reports/{report.id}").get_data(as_text=True)
    assert shown in page and "未舍入" in page
    pdf = _text(client.get(f"/api/v1/projects/{pid}/mv-reports/{report.id}.pdf").data)
    assert shown in pdf

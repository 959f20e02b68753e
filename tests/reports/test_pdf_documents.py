"""Every kind of PDF emc produces stands on its own: each font it uses is embedded (a subset),
its text extracts as the expected Chinese, the signs of energy documents (² ³ · ± ℃ ‰,
full-width punctuation) have glyphs, and the time it was generated names the site's zone."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from emc import clock
from emc.reports import pdf

SIGNS = "²³·±℃‰，。：；（）【】、“”—→≤≥×"


def fonts_of(data: bytes) -> dict[str, bool]:
    """Every font the document uses → whether its program is embedded in the file."""
    found: dict[str, bool] = {}

    def walk(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if font.get("/Subtype") == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            found[str(font.get("/BaseFont"))] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
        for xobject in (resources.get("/XObject") or {}).values():
            walk(xobject.get_object().get("/Resources"))

    for page in PdfReader(io.BytesIO(data)).pages:
        walk(page.get("/Resources"))
    return found


def text_of(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


def assert_stands_on_its_own(data: bytes, *expected: str) -> str:
    assert data.startswith(b"%PDF")
    fonts = fonts_of(data)
    assert fonts, "no font at all"
    assert all(fonts.values()), f"fonts not embedded: {[f for f, e in fonts.items() if not e]}"
    # Subsets only (the six-letter tag), never a whole CJK font in every file.
    assert all(re.match(r"/[A-Z]{6}\+", f) for f in fonts), fonts
    text = text_of(data)
    for phrase in expected:
        assert re.sub(r"\s+", "", phrase) in text, phrase
    return text


@pytest.fixture(autouse=True)
def _evening_in_shanghai():
    # 2026-03-05 17:30 UTC is already 03-06 01:30 in Shanghai: the header's date and the
    # footer's time must both be the local ones.
    clock.freeze(dt.datetime(2026, 3, 5, 17, 30, tzinfo=dt.UTC))
    yield
    clock.freeze(None)


def test_the_fonts_draw_every_sign_of_an_energy_document():
    assert pdf.missing_glyphs(SIGNS) == set()
    assert pdf.missing_glyphs("合同能源管理节能量吨标准煤二氧化碳") == set()
    data = pdf.build_pdf(
        pdf.PageInfo(title="符号", generated_at=clock.now()),
        [pdf.paragraph(f"室外温度 25℃ · 单位面积能耗 12.5 kgce/m²·a ±5 % ‰ {SIGNS}")],
    )
    text = assert_stands_on_its_own(data, "25℃", "kgce/m²·a", "±5", "‰")
    assert "2026-03-0601:30Asia/Shanghai(UTC+08:00)" in text


def _demo_ids(db_session):
    from emc.audit.models import EnergyAudit
    from emc.auth.models import Organization
    from emc.contracts.models import EmcProject
    from emc.mv.models import MvReport, ReportStatus

    school = db_session.scalar(
        select(Organization.id).where(Organization.name_zh == "杭州市第一中学")
    )
    report = db_session.scalar(
        select(MvReport)
        .join(EmcProject, EmcProject.id == MvReport.project_id)
        .where(MvReport.status == ReportStatus.ACCEPTED, EmcProject.organization_id == school)
        .order_by(MvReport.id)
    )
    audit = db_session.scalar(
        select(EnergyAudit.id).where(EnergyAudit.organization_id == school).order_by(EnergyAudit.id)
    )
    return report, audit


def test_mv_report_and_baseline_pdfs_embed_their_fonts_and_read_in_chinese(login_as, db_session):
    report, _audit = _demo_ids(db_session)
    client = login_as("energy@school.demo")
    data = client.get(f"/api/v1/projects/{report.project_id}/mv-reports/{report.id}.pdf").data
    text = assert_stands_on_its_own(data, "测量与验证报告", "杭州市第一中学", "签字")
    # Chart titles in the document's language.
    assert "实测与校准基准能耗" in text and "observed" not in text
    assert "2026-03-0601:30Asia/Shanghai" in text
    data = client.get(
        f"/api/v1/projects/{report.project_id}/baselines/{report.baseline_id}.pdf"
    ).data
    text = assert_stands_on_its_own(data, "杭州市第一中学", "提出人", "决定人")
    assert "Proposed by" not in text and "Decided by" not in text


def test_schedule_pdf_embeds_its_fonts_and_reads_in_chinese(login_as, db_session):
    report, _audit = _demo_ids(db_session)
    data = (
        login_as("finance@school.demo")
        .get(f"/api/v1/projects/{report.project_id}/schedule.pdf")
        .data
    )
    text = assert_stands_on_its_own(data, "付款计划", "应付明细", "付款方", "应付合计")
    # The header's date is the footer's day, both in Shanghai.
    assert "截至2026-03-06" in text and "2026-03-0601:30Asia/Shanghai" in text


def test_audit_pdf_embeds_its_fonts_and_reads_in_chinese(login_as, db_session):
    _report, audit = _demo_ids(db_session)
    data = login_as("energy@school.demo").get(f"/api/v1/audits/{audit}/report.pdf").data
    assert_stands_on_its_own(data, "能源审计报告", "杭州市第一中学", "kgce/m²·a")


def test_audit_pdf_shows_an_unknown_cost_as_unknown(login_as, db_session):
    """A carrier whose bills carry no cost read 费用 0.00 in the audit PDF: it is "—", and so
    is the total it is part of."""
    from emc.audit.models import AuditConsumption

    _report, audit = _demo_ids(db_session)
    rows = db_session.scalars(
        select(AuditConsumption).where(AuditConsumption.audit_id == audit)
    ).all()
    carrier = rows[0].carrier
    for row in rows:
        if row.carrier == carrier:
            row.cost = None
    db_session.flush()
    data = login_as("energy@school.demo").get(f"/api/v1/audits/{audit}/report.pdf").data
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    lines = text.split("费用 (元)", 1)[1].splitlines()[1:]
    label = {"electricity": "电力", "natural_gas": "天然气"}[str(carrier)]
    row = lines[lines.index(label) : lines.index(label) + 5]  # label, quantity, tce, tCO2, cost
    assert row[4] == "—", row
    total = lines[lines.index("合计") : lines.index("合计") + 4]
    assert total[3] == "—", total


def test_programme_pdf_embeds_its_fonts_and_reads_in_chinese(login_as):
    data = login_as("officer@zhejiang.demo").get("/programme/summary.pdf").data
    assert_stands_on_its_own(data, "浙江")


def test_english_pdfs_embed_the_same_fonts(login_as, db_session):
    report, _audit = _demo_ids(db_session)
    data = (
        login_as("energy@school.demo")
        .get(f"/api/v1/projects/{report.project_id}/mv-reports/{report.id}.pdf?lang=en")
        .data
    )
    assert_stands_on_its_own(data, "M&V report", "observed vs adjusted baseline")


def test_a_single_month_draws_bars_not_an_empty_chart():
    chart = pdf.line_chart(["2026-01"], {"校准基准": [120.0], "报告期": [100.0]}, title="能耗")
    bars = [n for n in chart.getContents() if type(n).__name__ == "VerticalBarChart"]
    assert bars and bars[0].data == [[120.0], [100.0]]
    several = pdf.line_chart(["1月", "2月"], {"报告期": [1.0, 2.0]}, title="能耗")
    lines = [n for n in several.getContents() if type(n).__name__ == "HorizontalLineChart"]
    assert lines and lines[0].lines[0].symbol is not None  # each point is marked


def test_numbers_in_tables_never_wrap():
    table = pdf.table(
        [["项目", "n", "金额（元）"], ["很长的说明文字" * 8, "2020", "27,870,000.00"]],
        col_widths=[150, 12, 12],
        numeric_cols=(1, 2),
    )
    widths = table._colWidths
    assert widths[1] >= pdf._width("2020") + 12 and widths[2] >= pdf._width("27,870,000.00") + 12
    assert sum(widths) == pytest.approx(174)
    data = pdf.build_pdf(pdf.PageInfo(title="t"), [table])
    assert "27,870,000.00" in text_of(data) and "2020" in text_of(data)


def test_the_web_chart_marks_a_single_month():
    from emc.mv.views.common import svg_chart

    svg = str(svg_chart(["2024-01"], {"校准基准": [120.0], "报告期": [100.0]}, unit="kWh"))
    assert svg.count("<circle") == 2
    # In the middle of the plot, not on its left edge.
    assert 'cx="453.0"' in svg


def test_the_web_chart_ticks_are_distinct_and_its_last_date_stays_inside():
    """A month without data drew ticks 1, 1, 0, 0, 0, and the last date ran off the right edge
    ("2023-12-2")."""
    import re

    from emc.mv.views.common import svg_chart

    zero = str(svg_chart(["2025-02"], {"报告期": [0.0]}))
    ticks = re.findall(r'text-anchor="end">([^<]+)</text>', zero)
    assert len(ticks) == 5 and len(set(ticks)) == 5, ticks
    dates = [f"2023-{m:02d}-28" for m in range(1, 13)] + ["2024-01-28"]  # the last is labelled
    wide = str(svg_chart(dates, {"报告期": [float(m) for m in range(13)]}))
    last = re.findall(r'<text x="([0-9.]+)"[^>]*text-anchor="(\w+)">2024-01-28<', wide)
    assert last and last[0][1] == "end", last
    big = str(svg_chart(dates, {"报告期": [1000.0 * m for m in range(13)]}))
    assert ">12,000<" in big and ">3,000<" in big  # whole numbers where the range is wide


def test_schedule_pdf_names_signers_paid_date_voucher_and_the_real_due_rule(login_as, db_session):
    report, _audit = _demo_ids(db_session)
    from emc.contracts.models import PaymentLine

    line = db_session.scalar(
        select(PaymentLine)
        .where(PaymentLine.project_id == report.project_id, PaymentLine.source == "actual")
        .order_by(PaymentLine.period_start)
    )
    url = f"/api/v1/payment-lines/{line.id}"
    f1, f2 = login_as("finance@school.demo"), login_as("finance2@school.demo")
    version = line.version
    if line.status.value == "scheduled":
        assert f1.post(f"{url}/prepare", json={"version": version}).status_code == 200
        version += 1
        assert f2.post(f"{url}/approve", json={"version": version}).status_code == 200
        version += 1
        paid = {"version": version, "paid_on": "2026-03-01", "payment_reference": "ICBC-0301"}
        assert f1.post(f"{url}/pay", json=paid).status_code == 200
    db_session.refresh(line)
    data = f1.get(f"/api/v1/projects/{report.project_id}/schedule.pdf").data
    text = assert_stands_on_its_own(
        data, "审批与付款记录", "制单人", "审批人", "付款日期", "付款凭证号", line.payment_reference
    )
    assert "一中财务" in text and "一中财务复核" in text and line.paid_on.isoformat() in text
    # The due rule as the contract states it, not a bare "30 天".
    assert "测量与验证报告确认后" in text

"""The shared PDF template renders Chinese text that a reviewer's tools can extract."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from pypdf import PdfReader

from emc.reports import pdf


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_carries_title_tables_charts_and_chinese_text():
    info = pdf.PageInfo(
        title="测量与验证报告",
        subtitle="杭州市第一中学 / 绿能节能服务有限公司",
        generated_at=dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC),
    )
    story = [
        pdf.paragraph("节能量汇总", "h1"),
        pdf.table(
            [
                ["月份", "节能量 (kWh)", "金额 (元)"],
                ["2026-01", "12,345.6", pdf.money(Decimal("9876.54"))],
            ],
            numeric_cols=(1, 2),
        ),
        pdf.line_chart(
            ["1月", "2月", "3月"],
            {"校准基准": [10, 12, 11], "报告期": [8, 9, 9]},
            title="能耗",
            unit="kWh",
        ),
        pdf.pie_chart(["电", "天然气"], [70, 30], title="能源结构"),
    ]
    data = pdf.build_pdf(info, story)
    assert data.startswith(b"%PDF")
    text = _text(data)
    for expected in ("测量与验证报告", "节能量汇总", "9,876.54", "杭州市第一中学", "2026-11-24"):
        assert expected in text


def test_money_and_quantity_formatting():
    assert pdf.money(Decimal("1234567.5")) == "1,234,567.50"
    assert pdf.money(None) == ""
    assert pdf.quantity(1234.56, 1) == "1,234.6"


def test_a_long_running_header_is_cut_before_the_organisation():
    """A 120-character project name ran over the organisation's name and off the page."""
    long_name = "付款计划：" + "杭州市第一中学西湖新校区教学楼照明与空调节能改造项目" * 5
    info = pdf.PageInfo(title=long_name, subtitle="杭州市第一中学", generated_at=None)
    data = pdf.build_pdf(info, [pdf.paragraph("正文", "body")])
    text = _text(data)
    assert "杭州市第一中学" in text and "…" in text
    width, room = pdf.A4[0], pdf.A4[0] - 2 * pdf.PAGE_MARGIN
    cut = pdf.clipped(long_name, room / 2, 8)
    assert cut.endswith("…") and pdf._width(cut, 8) <= room / 2 < width
    assert pdf.clipped("短标题", room, 8) == "短标题"

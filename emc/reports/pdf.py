"""The shared PDF page template and building blocks (reportlab). Data in, bytes out.

Every emc PDF — M&V report, baseline approval sheet, payment schedule, audit report, programme
summary — is built by :func:`build_pdf` from a list of flowables, so they share one look: a
header with the document title and the parties, page numbers, the time of generation, and
Chinese text in Adobe's ``STSong-Light`` CID font (no font file to ship; every PDF reader has it).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
BRAND = colors.HexColor("#0b6e4f")
GRID = colors.HexColor("#d9e0e7")
SERIES_COLOURS = [
    BRAND,
    colors.HexColor("#d97706"),
    colors.HexColor("#2563eb"),
    colors.HexColor("#9333ea"),
]

_registered = False


def _register_fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


def styles() -> dict[str, ParagraphStyle]:
    _register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8, leading=11, textColor=colors.grey
        ),
        "h1": ParagraphStyle(
            "h1", parent=base, fontSize=17, leading=24, spaceAfter=6, textColor=BRAND
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=13, leading=19, spaceBefore=10, spaceAfter=4
        ),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }


@dataclass(frozen=True)
class PageInfo:
    """What the page template prints on every page."""

    title: str
    subtitle: str = ""
    generated_at: dt.datetime | None = None
    footer: str = "emc"


def build_pdf(info: PageInfo, story: Sequence) -> bytes:
    """Lay out ``story`` (reportlab flowables) on A4 pages with the emc header and footer."""
    _register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=24 * mm,
        bottomMargin=18 * mm,
        title=info.title,
        author="emc",
        subject=info.subtitle,
    )

    def _decorate(canvas, document):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.grey)
        width, height = A4
        canvas.drawString(18 * mm, height - 12 * mm, info.title)
        if info.subtitle:
            canvas.drawRightString(width - 18 * mm, height - 12 * mm, info.subtitle)
        canvas.setStrokeColor(GRID)
        canvas.line(18 * mm, height - 14 * mm, width - 18 * mm, height - 14 * mm)
        stamp = info.generated_at.strftime("%Y-%m-%d %H:%M %Z") if info.generated_at else ""
        canvas.drawString(18 * mm, 10 * mm, f"{info.footer}  {stamp}".strip())
        canvas.drawRightString(width - 18 * mm, 10 * mm, f"{document.page}")
        canvas.restoreState()

    doc.build(list(story), onFirstPage=_decorate, onLaterPages=_decorate)
    return buffer.getvalue()


def money(value: Decimal | None) -> str:
    """Yuan with thousands separators and two decimals (already rounded by the caller)."""
    return "" if value is None else f"{value:,.2f}"


def quantity(value: float | Decimal | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def table(
    rows: Sequence[Sequence], *, header_rows: int = 1, col_widths=None, numeric_cols=()
) -> Table:
    """A ruled table; cells that are strings become CJK-wrapping paragraphs."""
    st = styles()
    cells = []
    for r, row in enumerate(rows):
        out = []
        for c, cell in enumerate(row):
            if isinstance(cell, str):
                style = st["right"] if c in numeric_cols and r >= header_rows else st["body"]
                out.append(Paragraph(cell, style))
            else:
                out.append(cell)
        cells.append(out)
    t = Table(cells, colWidths=col_widths, repeatRows=header_rows)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#f2f4f7")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


def line_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str = "",
    unit: str = "",
    width: float = 170 * mm,
    height: float = 70 * mm,
) -> Drawing:
    """A line chart of named series over categories (e.g. months), with a legend."""
    _register_fonts()
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 40, 30
    chart.width, chart.height = width - 60, height - 60
    chart.data = [list(map(float, values)) for values in series.values()]
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    for i in range(len(chart.data)):
        chart.lines[i].strokeColor = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        chart.lines[i].strokeWidth = 1.5
    drawing.add(chart)
    if title or unit:
        drawing.add(
            String(
                40,
                height - 14,
                f"{title} {f'({unit})' if unit else ''}".strip(),
                fontName=FONT,
                fontSize=9,
            )
        )
    drawing.add(_legend(list(series), width - 10, height - 10))
    return drawing


def pie_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str = "", size: float = 70 * mm
) -> Drawing:
    """A pie of shares (e.g. the energy structure by carrier)."""
    _register_fonts()
    drawing = Drawing(size * 2, size)
    pie = Pie()
    pie.x, pie.y = 20, 10
    pie.width = pie.height = size - 30
    pie.data = [max(float(v), 0.0) for v in values]
    pie.labels = None
    for i in range(len(pie.data)):
        pie.slices[i].fillColor = (
            SERIES_COLOURS[i % len(SERIES_COLOURS)] if i < 4 else colors.HexColor("#94a3b8")
        )
        pie.slices[i].strokeColor = colors.white
    drawing.add(pie)
    total = sum(pie.data) or 1.0
    drawing.add(
        _legend(
            [f"{lab} {v / total:.0%}" for lab, v in zip(labels, pie.data, strict=True)],
            size * 2 - 10,
            size - 10,
        )
    )
    if title:
        drawing.add(String(20, size - 8, title, fontName=FONT, fontSize=9))
    return drawing


def _legend(names: Sequence[str], x: float, y: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.fontName = FONT
    legend.fontSize = 7
    legend.colorNamePairs = [
        (SERIES_COLOURS[i % len(SERIES_COLOURS)], name) for i, name in enumerate(names)
    ]
    legend.boxAnchor = "ne"
    return legend


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


def paragraph(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, styles()[style])

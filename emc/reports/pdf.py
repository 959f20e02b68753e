"""The shared PDF page template and building blocks (reportlab). Data in, bytes out.

Every emc PDF — M&V report, baseline approval sheet, payment schedule, audit report, programme
summary — is built by :func:`build_pdf` from a list of flowables, so they share one look: a
header with the document title and the parties, page numbers, and the time of generation in the
site's timezone with the zone named.

Fonts are embedded as subsets in every document, so a PDF reads the same in any viewer and in
ten years. Both are TrueType (glyf outlines), which reportlab embeds (it cannot embed the
CFF-outline Noto CJK / Source Han OTFs), and both are installed by ``pip install`` with the
project, from PyPI wheels:

* :data:`FONT`: WenQuanYi Micro Hei (文泉驿微米黑; Apache License 2.0), from the
  ``paperang-p2-fonts-cjk`` wheel: CJK, Latin, full-width punctuation, ² ³ · ± ‰ ≤ ≥ → ×;
* :data:`FALLBACK_FONT`: Noto Sans (SIL OFL 1.1), from the ``fontpkg-noto-sans`` wheel, for the
  few signs whose glyph the first font lacks or leaves empty (℃ among them): such characters are
  set in it one by one (:func:`with_fallback`), so no glyph is drawn as a box or a blank.

Nothing is drawn in one of the PDF standard-14 fonts (never embedded): the page template,
tables, charts and legends all use these two.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import unescape
from zoneinfo import ZoneInfo

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from emc.i18n import N_

FONT = "EmcSans"
FALLBACK_FONT = "EmcSymbols"
# The font files inside their wheels (a TrueType collection: face 0 is the proportional face).
FONT_PACKAGE, FONT_FILE, FONT_FACE = "paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc", 0
FALLBACK_PACKAGE, FALLBACK_FILE = "fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf"
DEFAULT_ZONE = "Asia/Shanghai"
BRAND = colors.HexColor("#0b6e4f")
GRID = colors.HexColor("#d9e0e7")
SERIES_COLOURS = [
    BRAND,
    colors.HexColor("#d97706"),
    colors.HexColor("#2563eb"),
    colors.HexColor("#9333ea"),
]
PAGE_MARGIN = 18 * mm
FRAME_WIDTH = A4[0] - 2 * PAGE_MARGIN
BODY_SIZE = 10
CELL_PADDING = 6  # reportlab's default left and right cell padding, in points
SHORT_CELL = 3.2 * BODY_SIZE  # up to three CJK characters: kept on one line

_registered = False


def font_path(package: str = FONT_PACKAGE, name: str = FONT_FILE) -> str:
    """The path of an embedded font file (a clear error when its wheel is missing)."""
    try:
        return str(importlib.resources.files(package).joinpath(name))
    except ModuleNotFoundError as exc:  # pragma: no cover — an install without dependencies
        raise RuntimeError(
            f"the PDF font package {package!r} is not installed: run `pip install -e .`"
        ) from exc


def _register_fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(FONT, font_path(), subfontIndex=FONT_FACE))
        pdfmetrics.registerFont(TTFont(FALLBACK_FONT, font_path(FALLBACK_PACKAGE, FALLBACK_FILE)))
        # <b>/<i> in paragraphs resolve to the same faces: the fonts are registered without
        # bold or italic, and an unmapped family would fall back to a standard font that is
        # never embedded.
        for name in (FONT, FALLBACK_FONT):
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(name, bold, italic, name)
        _registered = True


def _draws(font: str, ch: str) -> bool:
    face = pdfmetrics.getFont(font).face
    glyph = face.charToGlyph.get(ord(ch))
    if glyph is None:
        return False
    # A mapped glyph with no outline draws nothing (WenQuanYi maps ℃ to an empty glyph).
    return ch.isspace() or face.glyphPos[glyph + 1] > face.glyphPos[glyph]


@functools.cache
def _font_for(ch: str) -> str | None:
    """The font that draws ``ch``: the main one, else the fallback, else None."""
    _register_fonts()
    if _draws(FONT, ch):
        return FONT
    if _draws(FALLBACK_FONT, ch):
        return FALLBACK_FONT
    return None


def missing_glyphs(text: str) -> set[str]:
    """The characters of ``text`` that neither embedded font draws."""
    return {ch for ch in text if _font_for(ch) is None}


def with_fallback(markup: str) -> str:
    """Paragraph markup with every character that the main font lacks set in the fallback
    font (``<font name=...>``); tags and entities are ASCII, which the main font has."""
    out: list[str] = []
    run: list[str] = []
    for ch in markup:
        if ord(ch) > 0x7F and _font_for(ch) == FALLBACK_FONT:
            run.append(ch)
            continue
        if run:
            out.append(f'<font name="{FALLBACK_FONT}">{"".join(run)}</font>')
            run = []
        out.append(ch)
    if run:
        out.append(f'<font name="{FALLBACK_FONT}">{"".join(run)}</font>')
    return "".join(out)


def plain_text(text: str) -> str:
    """Text for a single-font string (page header, chart labels): a character that the main
    font lacks becomes its compatibility form where that draws (℃ → °C)."""
    out = []
    for ch in text:
        if ord(ch) > 0x7F and _font_for(ch) != FONT:
            alt = unicodedata.normalize("NFKC", ch)
            if alt != ch and all(_font_for(a) == FONT for a in alt):
                ch = alt
        out.append(ch)
    return "".join(out)


def styles() -> dict[str, ParagraphStyle]:
    _register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=BODY_SIZE, leading=15, wordWrap="CJK")
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


def local_time(moment: dt.datetime, zone: str = DEFAULT_ZONE) -> dt.datetime:
    """``moment`` (aware) on the wall clock of ``zone``."""
    return moment.astimezone(ZoneInfo(zone))


def stamp(moment: dt.datetime, zone: str = DEFAULT_ZONE) -> str:
    """``2026-12-07 10:05 Asia/Shanghai (UTC+08:00)``: a time with its zone named, so a reader
    in another zone (or a later reader) knows which wall clock it is."""
    local = local_time(moment, zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {zone} (UTC{offset[:3]}:{offset[3:]})"


@dataclass(frozen=True)
class PageInfo:
    """What the page template prints on every page. ``generated_at`` (aware) is printed on the
    wall clock of ``zone`` (the site's configured zone), with the zone named."""

    title: str
    subtitle: str = ""
    generated_at: dt.datetime | None = None
    footer: str = "emc"
    zone: str = DEFAULT_ZONE


# The product's name, as the pages' footer says it.
PRODUCT = N_("Energy performance contracting for public institutions")


def footer(translate: Callable[[str], str], title: str) -> str:
    """A page footer in the reader's language: the product's name and the document's title
    (``translate``: the document's gettext)."""
    return f"{translate(PRODUCT)} · {title}"


def build_pdf(info: PageInfo, story: Sequence) -> bytes:
    """Lay out ``story`` (reportlab flowables) on A4 pages with the emc header and footer."""
    _register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=24 * mm,
        bottomMargin=18 * mm,
        title=info.title,
        author="emc",
        subject=info.subtitle,
        # The same font for the document's initial font as for everything else: reportlab
        # otherwise declares Helvetica on every page, an unembedded font.
        initialFontName=FONT,
    )

    def _decorate(canvas, document):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.grey)
        width, height = A4
        subtitle = plain_text(info.subtitle) if info.subtitle else ""
        room = width - 2 * PAGE_MARGIN - (_width(subtitle, 8) + 6 * mm if subtitle else 0)
        canvas.drawString(PAGE_MARGIN, height - 12 * mm, clipped(plain_text(info.title), room, 8))
        if subtitle:
            canvas.drawRightString(width - PAGE_MARGIN, height - 12 * mm, subtitle)
        canvas.setStrokeColor(GRID)
        canvas.line(PAGE_MARGIN, height - 14 * mm, width - PAGE_MARGIN, height - 14 * mm)
        when = stamp(info.generated_at, info.zone) if info.generated_at else ""
        canvas.drawString(PAGE_MARGIN, 10 * mm, f"{info.footer}  {when}".strip())
        canvas.drawRightString(width - PAGE_MARGIN, 10 * mm, f"{document.page}")
        canvas.restoreState()

    doc.build(list(story), onFirstPage=_decorate, onLaterPages=_decorate)
    return buffer.getvalue()


def clipped(text: str, room: float, size: float) -> str:
    """``text`` cut to fit ``room`` points at ``size``, ending in "…" when cut (a running header
    with a long project name ran over the organisation's name and off the page)."""
    if _width(text, size) <= room:
        return text
    while text and _width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def money(value: Decimal | None) -> str:
    """Yuan with thousands separators and two decimals (already rounded by the caller)."""
    return "" if value is None else f"{value:,.2f}"


def quantity(value: float | Decimal | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


_TAGS = re.compile(r"<[^>]+>")
# Runs that CJK line breaking should keep whole: anything but spaces and CJK characters.
_TOKEN = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


def _width(text: str, size: float = BODY_SIZE) -> float:
    return pdfmetrics.stringWidth(text, FONT, size)


def _fit_widths(
    natural: list[float], minimum: list[float], given: Sequence[float] | None, total: float
) -> list[float]:
    """Column widths: each at least its minimum (its longest number or word, so no number is
    ever broken across lines), filling ``total`` (or the ``given`` widths' sum)."""
    if given is not None:
        widths = [float(w) for w in given]
        deficit = sum(max(m - w, 0) for w, m in zip(widths, minimum, strict=True))
        if deficit <= 0:
            return widths
        slack = [max(w - m, 0) for w, m in zip(widths, minimum, strict=True)]
        spare = sum(slack)
        take = min(deficit, spare)
        return [
            max(w, m) if w < m else w - (take * s / spare if spare else 0)
            for w, m, s in zip(widths, minimum, slack, strict=True)
        ]
    if sum(natural) <= total:
        leftover = total - sum(natural)
        return [n + leftover * n / sum(natural) for n in natural] if sum(natural) else natural
    room = total - sum(minimum)
    if room <= 0:
        return minimum
    extra = [max(n - m, 0) for n, m in zip(natural, minimum, strict=True)]
    share = sum(extra) or 1.0
    return [m + room * e / share for m, e in zip(minimum, extra, strict=True)]


def table(
    rows: Sequence[Sequence],
    *,
    header_rows: int = 1,
    col_widths=None,
    numeric_cols=(),
    width: float = FRAME_WIDTH,
) -> Table:
    """A ruled table. Text cells become CJK-wrapping paragraphs; cells of ``numeric_cols``
    (below the header) are right-aligned and never wrap. Column widths (computed, or the given
    ones widened where needed) leave room for each column's longest number or word."""
    st = styles()
    n_cols = max((len(row) for row in rows), default=0)
    pad = 2 * CELL_PADDING + 1
    natural = [pad] * n_cols
    minimum = [pad] * n_cols
    cells = []
    for r, row in enumerate(rows):
        out = []
        for c, cell in enumerate(row):
            if isinstance(cell, str):
                plain = unescape(_TAGS.sub("", cell))
                if c in numeric_cols and r >= header_rows:
                    out.append(plain_text(plain))
                    w = _width(plain) + pad
                    natural[c], minimum[c] = max(natural[c], w), max(minimum[c], w)
                else:
                    out.append(Paragraph(with_fallback(cell), st["body"]))
                    longest = max((_width(t) for t in _TOKEN.findall(plain)), default=0.0)
                    whole = max(_width(x) for x in plain.split("\n"))
                    if whole <= SHORT_CELL:
                        longest = whole  # a short label ("已提交") is never split
                    minimum[c] = max(minimum[c], min(longest, width * 0.45) + pad)
                    natural[c] = max(natural[c], whole + pad)
            else:
                out.append(cell)
        cells.append(out)
    widths = _fit_widths(natural, minimum, col_widths, width) if n_cols else None
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), BODY_SIZE),
        ("LEADING", (0, 0), (-1, -1), 15),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header_rows:
        style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#f2f4f7")))
    for c in numeric_cols:
        style.append(("ALIGN", (c, header_rows), (c, -1), "RIGHT"))
    t = Table(cells, colWidths=widths, repeatRows=header_rows)
    t.setStyle(TableStyle(style))
    return t


def _drawing(width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    # A drawing starts in reportlab's default graphics font (Helvetica, never embedded).
    drawing.initialFontName = FONT
    return drawing


def _value_range(data: list[list[float]]) -> tuple[float, float]:
    values = [v for series in data for v in series]
    low, high = min([0.0, *values]), max([0.0, *values])
    if high == low:  # all zero: an axis needs a span
        high = low + 1.0
    return low, high


def _heading(drawing: Drawing, title: str, unit: str, x: float, y: float) -> None:
    text = f"{title} ({unit})" if title and unit else (title or (f"({unit})" if unit else ""))
    if text:
        drawing.add(String(x, y, plain_text(text), fontName=FONT, fontSize=9))


def _axis_fonts(chart) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
    # Ticks read as the tables' figures do: 15,000, not 15000.
    chart.valueAxis.labelTextFormat = _tick


def _tick(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.2g}"


def line_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str = "",
    unit: str = "",
    width: float = 170 * mm,
    height: float = 70 * mm,
) -> Drawing:
    """A line chart of named series over categories (e.g. months), titled, with a legend above
    the plot. Points carry markers, so a short series reads; a single category (one month)
    is drawn as bars, since a line through one point draws nothing."""
    _register_fonts()
    categories = list(categories)
    data = [[float(v) for v in values] for values in series.values()]
    if len(categories) <= 1:
        return bar_chart(categories, series, title=title, unit=unit, width=width, height=height)
    drawing = _drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 40, 20
    chart.width, chart.height = width - 60, height - 56
    chart.data = data
    chart.categoryAxis.categoryNames = [plain_text(c) for c in categories]
    _axis_fonts(chart)
    # The axis starts at zero (or below it, for negative values): an axis from 16,000 made a
    # month's use swing far more than it does.
    low, high = _value_range(data)
    chart.valueAxis.valueMin = low
    if low == 0 and high == 1:
        chart.valueAxis.valueMax = high
    marker = len(categories) <= 40
    for i in range(len(data)):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        chart.lines[i].strokeColor = colour
        chart.lines[i].strokeWidth = 1.5
        if marker:
            chart.lines[i].symbol = makeMarker("FilledCircle", size=3, fillColor=colour)
    drawing.add(chart)
    _heading(drawing, title, unit, 40, height - 12)
    drawing.add(_legend(list(series), 40, height - 20))
    return drawing


def bar_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str = "",
    unit: str = "",
    width: float = 170 * mm,
    height: float = 70 * mm,
) -> Drawing:
    """Grouped bars of named series per category (e.g. one month: each series one bar)."""
    _register_fonts()
    drawing = _drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 20
    chart.width, chart.height = width - 60, height - 56
    data = [[float(v) for v in values] for values in series.values()]
    chart.data = data or [[0.0]]
    chart.categoryAxis.categoryNames = [plain_text(c) for c in categories] or [""]
    _axis_fonts(chart)
    # Bars stand on zero: the axis spans it on both sides (negative savings hung from the
    # top edge of an axis from -2,400 to -1,400).
    low, high = _value_range(chart.data)
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low, high
    chart.categoryAxis.labelAxisMode = "low"  # month labels below the plot, not across bars
    chart.barSpacing = 4
    chart.groupSpacing = 10
    for i in range(len(chart.data)):
        chart.bars[i].fillColor = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        chart.bars[i].strokeColor = None
    # One category: narrow bars in the middle rather than bars as wide as the page.
    if len(chart.categoryAxis.categoryNames) == 1:
        chart.barWidth = 30
        chart.groupSpacing = max(chart.width - 34 * len(chart.data), 10)
    drawing.add(chart)
    _heading(drawing, title, unit, 40, height - 12)
    drawing.add(_legend(list(series), 40, height - 20))
    return drawing


def pie_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str = "", size: float = 70 * mm
) -> Drawing:
    """A pie of shares (e.g. the energy structure by carrier)."""
    _register_fonts()
    drawing = _drawing(size * 2, size)
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
    legend = _legend(
        [f"{lab} {v / total:.0%}" for lab, v in zip(labels, pie.data, strict=True)],
        size * 2 - 10,
        size - 10,
        vertical=True,
    )
    legend.colorNamePairs = [
        (pie.slices[i].fillColor, name) for i, (_c, name) in enumerate(legend.colorNamePairs)
    ]
    drawing.add(legend)
    if title:
        drawing.add(String(20, size - 8, plain_text(title), fontName=FONT, fontSize=9))
    return drawing


def _legend(names: Sequence[str], x: float, y: float, *, vertical: bool = False) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName = FONT
    legend.fontSize = 7
    legend.colorNamePairs = [
        (SERIES_COLOURS[i % len(SERIES_COLOURS)], plain_text(name)) for i, name in enumerate(names)
    ]
    if vertical:
        legend.alignment = "right"
        legend.boxAnchor = "ne"
    else:
        # One row under the title: as many columns as series, each as wide as its label.
        legend.alignment = "right"  # the swatch first, then its name
        legend.boxAnchor = "nw"
        legend.columnMaximum = 1
        legend.deltax = max((_width(n, 7) for n in names), default=0) + 24
        legend.dx = legend.dy = 6
    return legend


def keep_together(flowables: list) -> KeepTogether:
    """A heading, its note and its first table on one page (moved whole to the next page when
    they do not fit what is left of this one)."""
    return KeepTogether(flowables)


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


def paragraph(text: str, style: str = "body") -> Paragraph:
    return Paragraph(with_fallback(text), styles()[style])

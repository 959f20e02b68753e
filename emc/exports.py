"""Every CSV and XLSX download of emc goes through here: one place for headers, typed cells,
number formats, the CSV byte-order mark, the HTTP headers and the CSV-injection rule.

A download is described as a :class:`Table` (typed :class:`Column` s and rows of Python values)
and written by :func:`csv_bytes` / :func:`csv_chunks` or :func:`xlsx_bytes`, then sent as a
:class:`Download` (body, ``Content-Type``, ``Content-Disposition``). What the rules are:

* **Injection** (OWASP "CSV Injection"): a text cell that starts with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return is neutralised by a leading single quote, in CSV and XLSX alike, so
  no spreadsheet program reads it as a formula; XLSX text cells are also stored as strings
  explicitly, never as formulas. Cells typed as numbers are numbers (a negative amount is not
  text and is not touched).
* **Types**: money (``Decimal``) is a number with two places (``#,##0.00`` in XLSX, ``1234.50``
  in CSV, never thousands separators that a reader would take as text); dates are dates
  (``yyyy-mm-dd``); instants are shown on the wall clock of the site's zone (the column title
  names it); integers and decimals are numbers.
* **CSV**: UTF-8 with a BOM (so Excel opens Chinese text correctly), CRLF line ends (RFC 4180),
  header first; ``Content-Type: text/csv; charset=utf-8`` exactly once.
* **File names**: ``Content-Disposition`` carries an ASCII fallback and the UTF-8 name
  (RFC 6266 / RFC 5987 ``filename*``), so a Chinese file name arrives intact.

No Flask at import time (services write workbooks through this module); :meth:`Download.response`
builds the Flask response.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
DEFAULT_ZONE = "Asia/Shanghai"

MONEY_FORMAT = "#,##0.00"
INTEGER_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# OWASP: the characters a spreadsheet program may read as the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry (openpyxl refuses them): dropped from text cells.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Kind(StrEnum):
    """How a column's values are typed in a spreadsheet."""

    TEXT = "text"
    MONEY = "money"  # Decimal yuan, two places
    INTEGER = "integer"
    DECIMAL = "decimal"  # a quantity with ``Column.places`` places (tce, tCO2, kWh)
    DATE = "date"
    DATETIME = "datetime"  # an aware instant, shown in the site's zone


@dataclass(frozen=True)
class Column:
    """One column: its title (in the reader's language), type, and XLSX width (characters)."""

    title: str
    kind: Kind = Kind.TEXT
    width: float | None = None
    places: int = 3  # Kind.DECIMAL only

    @property
    def number_format(self) -> str | None:
        return {
            Kind.MONEY: MONEY_FORMAT,
            Kind.INTEGER: INTEGER_FORMAT,
            Kind.DECIMAL: "#,##0." + "0" * self.places if self.places else "#,##0",
            Kind.DATE: DATE_FORMAT,
            Kind.DATETIME: DATETIME_FORMAT,
        }.get(self.kind)


@dataclass(frozen=True)
class Table:
    """A table to export: typed columns, rows of Python values (None is an empty cell), and
    total rows written after the data (bold in XLSX). ``preamble`` lines (a title, the parties,
    when it was generated) go above the header in XLSX only: a CSV keeps its header first, so
    that programs read it. ``name`` is the XLSX sheet title."""

    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    name: str = "Sheet1"
    totals: Sequence[Sequence[Any]] = ()
    preamble: Sequence[str] = ()
    freeze_header: bool = True


def neutralise(text: str) -> str:
    """``text`` made safe for a spreadsheet cell: a leading ``'`` when it starts with a formula
    character (OWASP CSV injection), characters XML cannot carry removed."""
    text = _ILLEGAL_XML.sub("", text)
    return "'" + text if _formula_like(text) else text


def _formula_like(text: str) -> bool:
    # Quotes before a formula character are quoted too, so that :func:`restore` is exact: a
    # text written as "'=x" comes back as "'=x", not "=x".
    return text.lstrip("'").startswith(FORMULA_PREFIXES)


def restore(text: str) -> str:
    """The inverse of :func:`neutralise` for a file coming back (an exported template filled in
    and uploaded): a leading ``'`` before a formula character is dropped."""
    if text.startswith("'") and _formula_like(text[1:]):
        return text[1:]
    return text


def put(sheet: Any, row: int, column: int, value: Any, number_format: str | None = None) -> Any:
    """Write one cell of a hand-laid-out openpyxl sheet by the same rules as :func:`xlsx_bytes`:
    text neutralised and stored as a string (never a formula), numbers and dates typed, with
    ``number_format`` when given. Returns the cell."""
    if isinstance(value, str):
        cell = sheet.cell(row=row, column=column, value=neutralise(value))
        cell.data_type = "s"
        return cell
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError("aware datetimes: convert to the site's wall clock first")
    cell = sheet.cell(row=row, column=column, value=value)
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def _local(moment: dt.datetime, zone: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime in an export: instants must be aware")
    return moment.astimezone(ZoneInfo(zone))


def _typed(value: Any, column: Column, zone: str) -> Any:
    """``value`` as the spreadsheet cell value of ``column`` (XLSX)."""
    if value is None or value == "":
        return None
    kind = column.kind
    if kind is Kind.TEXT or isinstance(value, str):
        # A text cell, or a label in a typed column (a total row's caption, "—").
        return neutralise(str(value))
    if kind is Kind.MONEY:
        return Decimal(value).quantize(Decimal("0.01"))
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.DECIMAL:
        return Decimal(value) if not isinstance(value, float) else value
    if kind is Kind.DATETIME:
        if isinstance(value, dt.datetime):
            # openpyxl stores wall-clock times: the site's, named in the column title.
            return _local(value, zone).replace(tzinfo=None, second=0, microsecond=0)
        return value
    if kind is Kind.DATE:
        return value
    return value  # pragma: no cover — every Kind is handled above


def _text(value: Any, column: Column, zone: str) -> str:
    """``value`` as CSV text of ``column``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    kind = column.kind
    if kind is Kind.MONEY:
        return f"{Decimal(value).quantize(Decimal('0.01')):f}"
    if kind is Kind.DECIMAL:
        if isinstance(value, Decimal):
            return f"{value:f}"
        return repr(value) if isinstance(value, float) else str(value)
    if kind is Kind.INTEGER:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return f"{_local(value, zone):%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float | Decimal):
        return str(value)
    return neutralise(str(value))


class _Buffer:
    """A file-like object whose writes are collected (for csv.writer)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        out, self.parts = "".join(self.parts), []
        return out


def csv_chunks(
    table: Table, *, zone: str = DEFAULT_ZONE, rows_per_chunk: int = 2000
) -> Iterator[str]:
    """The CSV text of ``table`` in chunks (a streamed response): BOM and header first, then the
    rows, then the totals."""
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    cols = list(table.columns)
    writer.writerow([neutralise(c.title) for c in cols])
    yield "\ufeff" + buffer.take()
    for count, row in enumerate(itertools.chain(table.rows, table.totals), start=1):
        writer.writerow([_text(v, c, zone) for v, c in zip(row, cols, strict=False)])
        if count % rows_per_chunk == 0:
            yield buffer.take()
    rest = buffer.take()
    if rest:
        yield rest


def csv_bytes(table: Table, *, zone: str = DEFAULT_ZONE) -> bytes:
    """``table`` as UTF-8 CSV with a BOM and CRLF line ends."""
    return "".join(csv_chunks(table, zone=zone)).encode("utf-8")


def xlsx_bytes(
    tables: Sequence[Table],
    *,
    title: str = "",
    zone: str = DEFAULT_ZONE,
    write_only: bool = False,
) -> bytes:
    """``tables`` as one XLSX workbook, one sheet each: preamble lines, a bold, filled, frozen
    header with filters, typed cells with number formats, bold totals. ``write_only`` streams
    rows with constant memory (large lists); its sheets keep the frozen header and filters
    (openpyxl writes both after the streamed rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_fill = PatternFill("solid", fgColor="DDEBF7")
    bold = Font(bold=True)
    book = Workbook(write_only=write_only)
    if not write_only:
        book.remove(book.active)
    if title:
        book.properties.title = neutralise(title)
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.name))
        cols = list(table.columns)
        for i, col in enumerate(cols, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = col.width or max(
                10, min(40, 2 * len(col.title) + 2)
            )

        def cell(value, col, *, style: Font | None = None, fill=None, sheet=sheet):
            c = WriteOnlyCell(sheet, value=_typed(value, col, zone))
            _finish(c, col)
            if style is not None:
                c.font = style
            if fill is not None:
                c.fill = fill
            return c

        header_row = len(table.preamble) + (2 if table.preamble else 1)
        if table.freeze_header:  # before any row: a streamed sheet writes its view first
            sheet.freeze_panes = f"A{header_row + 1}"
        text_col = Column("")
        for line in table.preamble:
            sheet.append([cell(line, text_col, style=bold)])
        if table.preamble:
            sheet.append([])
        header = []
        for col in cols:
            c = cell(col.title, text_col, style=bold, fill=header_fill)
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            header.append(c)
        sheet.append(header)
        n = 0
        for row in table.rows:
            sheet.append([cell(v, c) for v, c in zip(row, cols, strict=False)])
            n += 1
        for row in table.totals:
            sheet.append([cell(v, c, style=bold) for v, c in zip(row, cols, strict=False)])
        last = get_column_letter(max(len(cols), 1))
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(n, 1)}"
        sheet.print_title_rows = f"{header_row}:{header_row}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _finish(cell, column: Column) -> None:
    """Number format of a typed cell; text stored as a string, never as a formula."""
    if cell.value is None:
        return
    if isinstance(cell.value, str):
        cell.data_type = "s"
        return
    fmt = column.number_format
    if fmt:
        cell.number_format = fmt


def _sheet_title(name: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\ .
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip() or "Sheet1"
    return cleaned[:31]


# --- HTTP --------------------------------------------------------------------------------------


# Characters Windows, macOS or Linux refuse in a file name (and control characters).
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def document_name(*parts: object, ext: str) -> str:
    """A document's file name as people save it, in the document's language: its parts
    (project, document, period, version) joined by "-", without the characters file systems
    refuse ("一中暖通空调节能改造-测量与验证报告-2024-12-01–2024-12-31-v1.pdf"). The response
    sends it whole (``filename*``) with an ASCII fallback (:func:`content_disposition`)."""
    words = (
        re.sub(r"\s+", " ", _UNSAFE_IN_NAME.sub(" ", str(p))).strip()
        for p in parts
        if p is not None
    )
    stem = "-".join(w for w in words if w)[:150].strip() or "download"
    return f"{stem}.{ext}"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''…`` (RFC 6266, RFC 5987): the ASCII
    fallback for old clients, the exact UTF-8 name for every current one."""
    stem, dot, ext = filename.rpartition(".")
    if not (dot and ext.isascii() and ext.isalnum()):
        stem, ext = filename, ""
    # Accents dropped (é → e); every other non-ASCII word becomes one separator, and what
    # that leaves between the parts collapses to one "-" or "_", none at the ends.
    plain = unicodedata.normalize("NFKD", stem)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = re.sub(r"[^A-Za-z0-9._()\-]+", "_", plain)
    plain = re.sub(r"[-_]*-[-_]*", "-", plain)
    plain = re.sub(r"_+", "_", plain).strip("_.-") or "download"
    ascii_name = f"{plain}.{ext}" if ext else plain
    disposition = "inline" if inline else "attachment"
    value = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


@dataclass(frozen=True)
class Download:
    """A file to send: its body (bytes, or text chunks to stream), type and file name."""

    body: bytes | Iterable[str]
    content_type: str
    filename: str
    inline: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        return {
            "Content-Disposition": content_disposition(self.filename, inline=self.inline),
            # A download of private data: never kept by a shared cache.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            **self.headers,
        }

    def response(self):
        """The Flask response (``content_type`` as given: charset stated once)."""
        from flask import Response, stream_with_context

        body = self.body
        if not isinstance(body, bytes | str):
            body = stream_with_context(_encoded(body))
        return Response(body, content_type=self.content_type, headers=self.all_headers())


def _encoded(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")


def csv_download(table: Table, filename: str, *, zone: str = DEFAULT_ZONE) -> Download:
    """``table`` as a CSV download named ``filename``."""
    return Download(csv_bytes(table, zone=zone), CSV_TYPE, filename)


def csv_stream(table: Table, filename: str, *, zone: str = DEFAULT_ZONE) -> Download:
    """``table`` (whose rows may be a generator) as a streamed CSV download."""
    return Download(csv_chunks(table, zone=zone), CSV_TYPE, filename)


def xlsx_download(
    tables: Sequence[Table],
    filename: str,
    *,
    title: str = "",
    zone: str = DEFAULT_ZONE,
    write_only: bool = False,
) -> Download:
    """``tables`` as an XLSX download named ``filename``."""
    body = xlsx_bytes(tables, title=title, zone=zone, write_only=write_only)
    return Download(body, XLSX_TYPE, filename)


def pdf_download(body: bytes, filename: str, *, inline: bool = True) -> Download:
    """A PDF (shown in the browser by default) named ``filename``."""
    return Download(body, PDF_TYPE, filename, inline=inline)


# --- request side (views and API resources only) ------------------------------------------------


def request_locale() -> str:
    """The language of a document requested now: ``?lang=en`` / ``?lang=zh_CN`` when given,
    else the page's language."""
    from flask import request

    from emc.web.templating import page_locale

    lang = request.args.get("lang")
    if lang in ("en", "zh_CN"):
        return lang
    return page_locale()


def site_zone() -> str:
    """The configured site timezone (``EMC_TIMEZONE``), for times in documents."""
    from flask import current_app

    return str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE)

"""Opening an uploaded file: type and encoding detection, hashing, rows, header roles. Pure.

Files are read as a stream: CSV through a text wrapper (one line at a time), XLSX through
openpyxl's read-only mode (one row at a time). Every byte read is hashed on the way through.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import shutil
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

__all__ = [
    "APPLIED_VALUE_NAMES",
    "HEADER_SCAN_ROWS",
    "ROLE_NAMES",
    "Source",
    "SourceError",
    "open_source",
    "role_word",
    "split_header",
]

_SNIFF = 64 * 1024
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (BIFF) and other OLE2 documents
HEADER_SCAN_ROWS = 10  # exports often start with a title line or two above the header


class SourceError(Exception):
    """The file cannot be read at all; ``code`` is the problem code."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class _HashingRaw(io.RawIOBase):
    """Serves ``prefix`` then the rest of ``stream``, hashing every byte handed out.

    Closing it does not close the caller's stream.
    """

    def __init__(self, stream: IO[bytes], prefix: bytes, hasher: Any) -> None:
        self._stream = stream
        self._prefix = memoryview(prefix)
        self._hasher = hasher
        self.bytes_read = len(prefix)
        self.at_eof = False
        hasher.update(prefix)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        if not data:
            self.at_eof = True
            return 0
        n = len(data)
        buffer[:n] = data
        self._hasher.update(data)
        self.bytes_read += n
        return n


def _read_prefix(stream: IO[bytes], size: int) -> bytes:
    parts, remaining = [], size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


@dataclass
class Source:
    """An opened file: ``rows`` yields each row as a sequence of cells (str for CSV; str,
    number, datetime or None for XLSX), row 1 first."""

    file_type: str
    encoding: str | None
    sheet: str | None
    rows: Iterator[Any]
    hasher: Any
    _raw: _HashingRaw | None = None
    _closers: list[Any] = field(default_factory=list)
    _total: int = 0
    csv_reader: Any = None

    @property
    def bytes_read(self) -> int:
        return self._raw.bytes_read if self._raw is not None else self._total

    @property
    def complete(self) -> bool:
        return self._raw.at_eof if self._raw is not None else True

    def drain(self) -> None:
        """Read (and hash) what is left, so that the hash covers the whole file."""
        if self._raw is not None:
            while self._raw.read(1 << 20):
                pass

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers.clear()


def open_source(stream: IO[bytes], filename: str, sheet: str | None = None) -> Source:
    """Open ``stream`` as CSV or XLSX. The type comes from the magic bytes (a renamed file is
    still recognised), else from the extension (``.csv``/``.txt`` or ``.xlsx``/``.xlsm``).

    Raises:
        SourceError: empty, legacy .xls, unreadable workbook, or missing sheet.
    """
    hasher = hashlib.sha256()
    prefix = _read_prefix(stream, _SNIFF)
    if not prefix:
        raise SourceError("empty_file", "the file is empty")
    extension = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    if prefix.startswith(_OLE_MAGIC) or extension == "xls":
        raise SourceError(
            "unsupported_file", "legacy .xls workbooks are not supported; save as .xlsx or CSV"
        )
    if prefix.startswith(_XLSX_MAGIC):
        return _open_xlsx(stream, prefix, hasher, sheet)
    if _looks_binary(prefix):
        raise SourceError(
            "binary_file", "the file is not a CSV text file or an XLSX workbook (binary data)"
        )
    return _open_csv(stream, prefix, hasher)


# Bytes that no text file of meter readings holds: C0 controls other than tab, line feed,
# vertical tab, form feed, carriage return and 0x1A (a DOS end-of-file mark). GBK and GB18030
# never use them inside a character either.
_CONTROL = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1A))


def _looks_binary(prefix: bytes) -> bool:
    """Whether the start of a non-XLSX file is binary data (an image, a PDF, an archive …)
    rather than text: any NUL byte outside UTF-16, or more than one control byte in a
    hundred. A renamed PNG is then refused before any column mapping is offered."""
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    sample = prefix[:8192]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls * 100 > len(sample)


def _detect_encoding(prefix: bytes, complete: bool) -> str:
    if prefix.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=complete)
    except UnicodeDecodeError:
        # Chinese Excel and WPS save CSV in the ANSI code page, GBK; GB18030 is its superset.
        return "gb18030"
    return "utf-8"


def _detect_delimiter(prefix: bytes, encoding: str) -> str:
    text = prefix[:4096].decode(encoding, errors="ignore")
    for line in text.splitlines():
        if line.strip(" ,;\t\ufeff"):
            counts = {d: line.count(d) for d in (",", ";", "\t")}
            best = max(counts, key=counts.__getitem__)
            return best if counts[best] else ","
    return ","


def _open_csv(stream: IO[bytes], prefix: bytes, hasher: Any) -> Source:
    encoding = _detect_encoding(prefix, complete=len(prefix) < _SNIFF)
    delimiter = _detect_delimiter(prefix, encoding)
    raw = _HashingRaw(stream, prefix, hasher)
    text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    return Source(
        file_type="csv",
        encoding=encoding,
        sheet=None,
        rows=reader,
        hasher=hasher,
        _raw=raw,
        _closers=[text.close],
        csv_reader=reader,
    )


def _open_xlsx(stream: IO[bytes], prefix: bytes, hasher: Any, sheet: str | None) -> Source:
    import openpyxl  # imported here: CSV-only callers do not pay for it

    # The zip directory is at the end of the file, so openpyxl needs a seekable file: hash the
    # stream into a spooled temporary file (in memory up to 16 MiB) and hand that over.
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 (closed below)
    closers: list[Any] = [spool.close]
    raw = _HashingRaw(stream, prefix, hasher)
    shutil.copyfileobj(raw, spool, 1 << 20)
    total = raw.bytes_read
    spool.seek(0)
    try:
        # openpyxl warns about workbook features it ignores (styles, extensions); they do not
        # concern readings.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(spool, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        spool.close()
        raise SourceError(
            "unreadable_file", f"not a readable .xlsx workbook ({exc})", detail=str(exc)
        ) from None
    closers.append(workbook.close)
    if sheet is None:
        worksheet = workbook.worksheets[0]
    elif sheet in workbook.sheetnames:
        worksheet = workbook[sheet]
    else:
        for close in reversed(closers):
            close()
        names = ", ".join(repr(n) for n in workbook.sheetnames)
        raise SourceError(
            "sheet_not_found", f"no sheet {sheet!r} (sheets: {names})", sheet=sheet, sheets=names
        )
    # Some exporters write a wrong <dimension>; without resetting it read-only mode would cut
    # rows or columns off.
    worksheet.reset_dimensions()

    def rows() -> Iterator[Any]:
        cells = worksheet.iter_rows(values_only=True)
        while True:
            # Fetch in chunks inside catch_warnings, so that the filter never spans a yield.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    chunk = list(islice(cells, 2048))
                except Exception as exc:
                    # A damaged sheet fails inside openpyxl's XML parsing in many ways; to the
                    # uploader they are all the same problem.
                    raise SourceError(
                        "unreadable_file",
                        f"the sheet cannot be read ({type(exc).__name__})",
                        detail=type(exc).__name__,
                    ) from exc
            if not chunk:
                return
            yield from chunk

    return Source(
        file_type="xlsx",
        encoding=None,
        sheet=worksheet.title,
        rows=rows(),
        hasher=hasher,
        _closers=closers,
        _total=total,
    )


# --------------------------------------------------------------------------------------------
# Header roles

ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "timestamp": (
        "timestamp",
        "time stamp",
        "time",
        "datetime",
        "date time",
        "date",
        "时间",
        "时间戳",
        "日期时间",
        "日期",
        "采集时间",
        "抄表时间",
        "记录时间",
        "数据时间",
        "读表时间",
        "抄读时间",
        "冻结时间",
        "上报时间",
        "采集日期",
        "抄表日期",
        "数据日期",
    ),
    "start": (
        "start",
        "start time",
        "start date",
        "period start",
        "from",
        "开始",
        "开始时间",
        "开始日期",
        "起始",
        "起始时间",
        "起始日期",
    ),
    "end": (
        "end",
        "end time",
        "end date",
        "period end",
        "to",
        "结束",
        "结束时间",
        "结束日期",
        "截止",
        "截止时间",
        "截止日期",
    ),
    "value": (
        "value",
        "consumption",
        "usage",
        "用量",
        "消耗量",
        "用电量",
        "用气量",
        "用水量",
        "用热量",
        "电量",
        "能耗",
        "数值",
        # 能耗监测 platforms and utility exports: consumption over the row's interval
        "有功电量",
        "正向有功电量",
        "耗电量",
        "用电",
        "耗气量",
        "耗水量",
        "用热",
        "能耗值",
        "本期用量",
        "实际用量",
        "电能消耗",
        "actual consumption",
    ),
    # Register columns: the meter's cumulative count (示数), differenced into consumption.
    "reading": (
        "reading",
        "meter reading",
        "register",
        "读数",
        "表底",
        "表码",
        "示数",
        "表底数",
        "正向有功总电能",
        "正向有功电能",
        "总有功电能",
        "有功总电能",
        "有功电能示数",
        "正向有功总示数",
        "电能示数",
        "抄表读数",
        "抄见读数",
        "本次读数",
        "本次示数",
        "表计读数",
        "累计读数",
        "累计值",
    ),
    "unit": ("unit", "units", "单位"),
    "quality": ("quality", "data quality", "质量", "数据质量"),
}
_ROLE_OF = {name: role for role, names in ROLE_NAMES.items() for name in names}
_UNIT_SUFFIX = re.compile(r"(.*?)\s*[(\[]\s*(.*?)\s*[)\]]")


def normalise_header(cell: Any) -> str:
    text = "" if cell is None else str(cell)
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip().casefold()
    return re.sub(r"[\s_]+", " ", text)


# Value headers that mean the multiplier (倍率, CT/PT ratio) is already applied: 实际用量 is
# 示数差 × 倍率 in Chinese meter reading, and emc's readings export writes these words, so a
# file it wrote reads back unchanged into a meter of any multiplier.
APPLIED_VALUE_NAMES = frozenset({"实际用量", "actual consumption"})


def role_word(cell: Any) -> str:
    """A header's word without the unit written after it (``实际用量(kWh)`` → ``实际用量``)."""
    text = normalise_header(cell)
    m = _UNIT_SUFFIX.fullmatch(text)
    return m.group(1) if m is not None and m.group(1) in _ROLE_OF else text


def split_header(cell: Any) -> tuple[str | None, str | None]:
    """The role a header cell names (or None) and the unit written in it (``用量(kWh)``,
    ``value [MWh]``; or None)."""
    text = normalise_header(cell)
    role = _ROLE_OF.get(text)
    if role is not None:
        return role, None
    m = _UNIT_SUFFIX.fullmatch(text)
    if m is not None:
        role = _ROLE_OF.get(m.group(1))
        if role is not None:
            return role, m.group(2) or None
    return None, None

"""Streaming parser and validator for meter-reading uploads (CSV and XLSX). Pure.

The facilities service calls :func:`read_readings` for one meter and one uploaded file, writes
the batches it yields inside one transaction, and rolls back if iteration raises
:class:`IngestError`. Standard library and openpyxl only (plus :mod:`emc.energy`).

File
    CSV in UTF-8 (with or without BOM), UTF-16 (BOM) or GBK/GB18030 (detected); delimiter
    ``,``, ``;`` or tab (detected from the header line). XLSX read with openpyxl in read-only
    mode, first sheet or a named one; real Excel dates and times are accepted. The header may
    sit below a few title rows (it is searched for in the first 10 rows). Row numbers in
    messages are the file's rows as a spreadsheet shows them.

Columns (Chinese or English, case-insensitive, trimmed; or ``column_map``)
    interval meters ``timestamp, value``; billing meters ``start, end, value``; register meters
    ``timestamp, reading`` (or, as their readings export writes them, the periods between
    reads ``start, end, value``); optionally ``quality`` (measured/实测, estimated/估算,
    replaced/替换; empty = measured) and ``unit`` (per row). A unit in the value header
    (``用量(kWh)``, ``value [MWh]``) or the ``unit`` argument converts values to the meter's
    unit via :mod:`emc.energy`. Values are multiplied by the meter's multiplier (倍率),
    except in a value column headed 实际用量 / actual consumption: that is consumption with the
    multiplier applied (示数差 × 倍率), as the readings export writes it.

Time
    Timestamps without an offset are local time in the meter's site zone; ``+08:00``/``Z``
    offsets are honoured. Everything comes out as UTC epoch seconds. Intervals are half-open
    ``[start, end)``: an interval row's timestamp is its start; a billing ``end`` given as a
    date is exclusive, so monthly bills may share a boundary date — unless the file shows
    inclusive ends (bills starting the day after the previous end, or ending on their start
    day), which are then stored as the next local midnight (an ``inclusive_ends`` warning).

Plausibility
    Values are finite and at most the meter's ``max_per_hour`` times the hours a reading
    covers (never above 10¹²); a register drop counts as a roll-over only from the top tenth
    of the register's range to its bottom tenth; a date without a time is refused on a meter
    with intervals shorter than a day.

Output
    :class:`Batch` — columnar lists ``start``, ``end`` (None for interval meters),
    ``value`` (meter unit, multiplier applied), ``quality``. After iteration,
    ``reader.summary`` (:class:`IngestSummary`): rows, first start/last end, sha256 of the bytes,
    detected file type, encoding, columns and unit, and warnings (gaps …).

Errors
    Every rule has a stable :class:`Code`; all problems (up to ``max_problems``) are reported
    with row and column, e.g. ``meter.csv row 17, column "时间": "2024-13-01 00:00" is not a
    valid timestamp``.
"""

from .model import (
    Batch,
    Code,
    IngestError,
    IngestProblem,
    IngestSummary,
    IngestWarning,
    MeterKind,
    MeterSpec,
    Quality,
)
from .reader import ReadingsReader, header_names, peek_rows, read_readings

__all__ = [
    "Batch",
    "Code",
    "IngestError",
    "IngestProblem",
    "IngestSummary",
    "IngestWarning",
    "MeterKind",
    "MeterSpec",
    "Quality",
    "ReadingsReader",
    "header_names",
    "peek_rows",
    "read_readings",
]

"""The data that goes in and out of meter-reading ingestion. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emc.energy import Carrier, unit_for

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
]


class MeterKind(StrEnum):
    INTERVAL = "interval"  # consumption per fixed interval, timestamp = interval start
    BILLING = "billing"  # consumption per billing period [start, end)
    REGISTER = "register"  # cumulative register reads, differenced into consumption


class Quality(StrEnum):
    MEASURED = "measured"
    ESTIMATED = "estimated"
    REPLACED = "replaced"  # a substituted value; on a register meter, the first read of a new meter


class Code(StrEnum):
    """Stable problem and warning codes (the web layer translates them)."""

    # file level
    EMPTY_FILE = "empty_file"
    UNSUPPORTED_FILE = "unsupported_file"
    UNREADABLE_FILE = "unreadable_file"
    BINARY_FILE = "binary_file"
    ENCODING = "encoding"
    SHEET_NOT_FOUND = "sheet_not_found"
    NO_HEADER = "no_header"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    BAD_COLUMN_MAP = "bad_column_map"
    FORMAT_MISMATCH = "format_mismatch"
    UNIT_CONFLICT = "unit_conflict"
    TOO_MANY_ROWS = "too_many_rows"
    TOO_MANY_ERRORS = "too_many_errors"
    # cells and rows
    BAD_UNIT = "bad_unit"
    MISSING_TIMESTAMP = "missing_timestamp"
    BAD_TIMESTAMP = "bad_timestamp"
    NONEXISTENT_TIME = "nonexistent_time"
    OFF_GRID = "off_grid"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    MISSING_VALUE = "missing_value"
    BAD_VALUE = "bad_value"
    NON_FINITE = "non_finite"
    NEGATIVE_VALUE = "negative_value"
    BAD_QUALITY = "bad_quality"
    BAD_PERIOD = "bad_period"
    SHORT_PERIOD = "short_period"
    OVERLAP = "overlap"
    REGISTER_DECREASE = "register_decrease"
    READING_EXCEEDS_ROLLOVER = "reading_exceeds_rollover"
    IMPLAUSIBLE_VALUE = "implausible_value"
    DATE_ONLY = "date_only"
    # warnings (never errors)
    GAPS = "gaps"
    AMBIGUOUS_TIME = "ambiguous_time"
    ROLLOVER = "rollover"
    METER_REPLACED = "meter_replaced"
    IGNORED_COLUMNS = "ignored_columns"
    SKIPPED_ROWS = "skipped_rows"
    INCLUSIVE_ENDS = "inclusive_ends"


@dataclass(frozen=True)
class MeterSpec:
    """What the file is read against: the meter's carrier, unit and kind.

    ``unit`` is the meter's unit (any spelling :func:`emc.energy.unit_for` reads; values come out
    in it). ``interval_minutes`` (interval meters only) must divide a day: 15, 30, 60, 1440 ….
    ``multiplier`` (CT/PT ratio, 倍率) scales every value (for register meters, every
    difference). ``timezone`` is the site's IANA zone; file timestamps without an offset are
    local time there. ``rollover`` (register meters) is the register's modulus: the count at
    which it wraps to zero, e.g. 100000 for a five-digit register whose largest display is
    99999.9 (consumption across a wrap is ``reading + rollover − previous``). ``max_per_hour``
    is the meter's rated capacity or maximum demand in its unit per hour (kW for a kWh meter,
    m³/h for a gas meter), multiplier included: no reading may exceed it times the hours it
    covers. Without it, only the absolute ceiling of 10¹² units a reading applies.

    Raises:
        ValueError: inconsistent fields (unknown carrier/kind/zone, unit that does not fit the
            carrier, missing or non-dividing interval, non-positive multiplier or rollover).
    """

    carrier: str
    unit: str
    kind: str
    interval_minutes: int | None = None
    multiplier: float = 1.0
    timezone: str = "Asia/Shanghai"
    rollover: float | None = None
    max_per_hour: float | None = None

    def __post_init__(self) -> None:
        carrier = Carrier(self.carrier)
        kind = MeterKind(self.kind)
        unit_for(carrier, self.unit)
        if kind is MeterKind.INTERVAL:
            minutes = self.interval_minutes
            if not isinstance(minutes, int) or minutes <= 0 or 1440 % minutes:
                raise ValueError(
                    f"interval meters need interval_minutes dividing a day (15, 30, 60, 1440 …),"
                    f" not {minutes!r}"
                )
        if not self.multiplier > 0 or self.multiplier == float("inf"):
            raise ValueError(f"multiplier must be a positive number, not {self.multiplier!r}")
        if self.rollover is not None and not 0 < self.rollover < float("inf"):
            raise ValueError(f"rollover must be a positive number, not {self.rollover!r}")
        if self.max_per_hour is not None and not 0 < self.max_per_hour < float("inf"):
            raise ValueError(f"max_per_hour must be a positive number, not {self.max_per_hour!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None


@dataclass(frozen=True)
class IngestProblem:
    """One error. ``row`` is the 1-based row of the file as a spreadsheet shows it (the header
    row is usually row 1; equal to the line number unless a quoted CSV field spans lines);
    ``column`` is the header text as written in the file. Both are None where they do not
    apply. ``message`` is the full English sentence, starting with the file name. ``params``
    are the values a translated sentence for ``code`` needs (``cell``: the cell as quoted,
    ``other_row`` …); the web layer says the problem in the page's language from them."""

    row: int | None
    column: str | None
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class IngestWarning:
    """Something worth showing that does not stop the import (gaps, ambiguous local times …).

    ``count`` is how many (missing intervals for gaps, rows otherwise); ``rows`` the first few
    rows concerned; ``ranges`` the first few ``[start, end)`` UTC epoch-second ranges (gaps).
    """

    code: str
    message: str
    count: int
    rows: tuple[int, ...] = ()
    ranges: tuple[tuple[int, int], ...] = ()
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


class IngestError(Exception):
    """The file has problems; nothing from it should be kept.

    ``problems`` holds every problem found (up to the reader's limit, then one
    ``too_many_errors`` note); ``filename`` the file's name; ``summary`` what was read.
    """

    def __init__(
        self,
        filename: str,
        problems: list[IngestProblem],
        summary: IngestSummary | None = None,
    ) -> None:
        self.filename = filename
        self.problems = list(problems)
        self.summary = summary
        shown = "\n".join(p.message for p in self.problems[:10])
        more = len(self.problems) - 10
        tail = f"\n… and {more} more" if more > 0 else ""
        plural = "s" if len(self.problems) != 1 else ""
        super().__init__(f"{filename}: {len(self.problems)} problem{plural}\n{shown}{tail}")


@dataclass
class Batch:
    """A run of consecutive readings, columnar (ready for COPY / executemany).

    ``start``: period start, UTC epoch seconds. ``end``: period end (exclusive), UTC epoch
    seconds, for billing and register meters; None for interval meters, whose end is
    ``start + interval_minutes * 60``. ``value``: consumption over the period in the meter's
    unit, multiplier applied. ``quality``: one of :class:`Quality` values per reading.
    """

    start: list[int]
    end: list[int] | None
    value: list[float]
    quality: list[str]

    def __len__(self) -> int:
        return len(self.start)


@dataclass(frozen=True)
class IngestSummary:
    """What a reader read; available as ``reader.summary`` once iteration has ended.

    ``rows_read`` counts rows after the header (blank ones included); ``readings`` the
    readings produced. ``first_start``/``last_end`` bound the readings as ``[first, last)`` UTC
    epoch seconds (None if there were none). ``sha256``/``bytes_read`` cover the bytes read:
    the whole file when ``complete`` (always the case without problems). ``source_unit`` is the
    unit found in the file (or given), ``per-row`` when a unit column was used; ``unit`` the
    meter's unit the values were converted to. ``columns`` maps roles to header text.
    """

    filename: str
    file_type: str  # "csv" | "xlsx"
    encoding: str | None  # CSV only: "utf-8", "utf-8-sig", "utf-16", "gb18030"
    sheet: str | None  # XLSX only
    fmt: str | None  # MeterKind value
    columns: dict[str, str]
    header_row: int | None
    source_unit: str | None
    unit: str
    rows_read: int
    readings: int
    first_start: int | None
    last_end: int | None
    sha256: str
    bytes_read: int
    complete: bool
    warnings: tuple[IngestWarning, ...] = field(default=())

"""Problem collection and cell parsing shared by the interval, billing and register readers."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from emc.energy import Carrier, UnitError, float_factor, unit_for
from emc.messages import term

from .clock import AMBIGUOUS, Clock, NonexistentTime, parse_timestamp_text
from .model import Code, IngestProblem, IngestWarning, MeterSpec, Quality

__all__ = ["QUALITY_NAMES", "Context", "Stop", "show"]

_INF = math.inf
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_SHOWN = 5  # rows / ranges listed in a warning

QUALITY_NAMES: dict[str, Quality] = {
    **dict.fromkeys(["", "measured", "actual", "a", "实测", "正常", "实际"], Quality.MEASURED),
    **dict.fromkeys(
        ["estimated", "estimate", "est", "e", "估算", "估计", "预估"], Quality.ESTIMATED
    ),
    **dict.fromkeys(
        ["replaced", "replacement", "substituted", "替换", "已替换", "换表"], Quality.REPLACED
    ),
}


class Stop(Exception):
    """Reading cannot or should not go on (a file-level problem, or too many problems)."""


def show(cell: Any) -> str:
    """A cell as quoted in messages."""
    if isinstance(cell, datetime):
        return f'"{cell.isoformat(sep=" ")}"'
    if isinstance(cell, str):
        return f'"{cell}"'
    return repr(cell)


def where(filename: str, row: int | None, column: str | None) -> str:
    text = filename
    if row is not None:
        text += f" row {row}"
    if column is not None:
        text += f', column "{column}"'
    return text


@dataclass
class _Gaps:
    count: int = 0  # missing intervals (or uncovered periods for bills)
    gaps: int = 0
    ranges: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Context:
    """Everything a kind-specific reader needs: the spec, the clock, problem and warning
    collection, and the resolved value scale."""

    filename: str
    spec: MeterSpec
    max_problems: int
    clock: Clock = field(init=False)
    carrier: Carrier = field(init=False)
    problems: list[IngestProblem] = field(default_factory=list)
    scale: float = 1.0  # file unit → meter unit, times the multiplier
    # The multiplier the file's values take: the meter's, or 1 for a value column headed 实际用量
    # (the multiplier already applied); None until the header is read (then the meter's).
    multiplier: float | None = None
    gaps: _Gaps = field(default_factory=_Gaps)
    notes: dict[str, list[int]] = field(default_factory=dict)  # warning code → rows
    rows_read: int = 0
    readings: int = 0
    first_start: int | None = None
    last_end: int | None = None
    _unit_scales: dict[Any, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.clock = Clock(self.spec.timezone)
        self.carrier = Carrier(self.spec.carrier)

    # ---------------------------------------------------------------- reporting

    def problem(
        self, row: int | None, column: str | None, code: Code, message: str, **params: Any
    ) -> None:
        """Record a problem; raises :class:`Stop` once the limit is reached. ``params``: what a
        translated sentence for ``code`` needs (see :class:`IngestProblem`)."""
        self.problems.append(
            IngestProblem(
                row,
                column,
                code.value,
                f"{where(self.filename, row, column)}: {message}",
                params,
            )
        )
        if len(self.problems) >= self.max_problems:
            self.problems.append(
                IngestProblem(
                    None,
                    None,
                    Code.TOO_MANY_ERRORS.value,
                    f"{self.filename}: stopped after {self.max_problems} problems;"
                    " fix these and upload the file again",
                    {"count": self.max_problems},
                )
            )
            raise Stop

    def fatal(
        self, row: int | None, column: str | None, code: Code, message: str, **params: Any
    ) -> None:
        """Record a problem after which the file cannot be read further."""
        self.problem(row, column, code, message, **params)
        raise Stop

    def note(self, code: Code, row: int) -> None:
        self.notes.setdefault(code.value, []).append(row)

    def gap(self, start: int, end: int, missing: int) -> None:
        gaps = self.gaps
        gaps.count += missing
        gaps.gaps += 1
        if len(gaps.ranges) < _SHOWN:
            gaps.ranges.append((start, end))

    def warnings(self, what: str) -> list[IngestWarning]:
        result = []
        gaps = self.gaps
        if gaps.gaps:
            shown = ", ".join(
                f"{self.clock.local_text(a)} – {self.clock.local_text(b)}" for a, b in gaps.ranges
            )
            more = " …" if gaps.gaps > len(gaps.ranges) else ""
            result.append(
                IngestWarning(
                    Code.GAPS.value,
                    f"{self.filename}: {gaps.count} missing {what} in {gaps.gaps} gap"
                    f"{'s' if gaps.gaps != 1 else ''} (local time: {shown}{more})",
                    gaps.count,
                    ranges=tuple(gaps.ranges),
                    params={
                        "count": gaps.count,
                        "what": term(what),
                        "gaps": gaps.gaps,
                        "ranges": shown + more,
                    },
                )
            )
        texts = {
            Code.AMBIGUOUS_TIME.value: "local times that occur twice (clocks set back) were read"
            " as the first occurrence unless the row order showed the second",
            Code.ROLLOVER.value: "register rolled over",
            Code.METER_REPLACED.value: "meter replaced; no consumption is attributed across the"
            " replacement",
            Code.INCLUSIVE_ENDS.value: "bills follow each other the day after the previous end"
            " date, so end dates were read as inclusive (each bill covers its end date)",
        }
        for code, rows in self.notes.items():
            listed = ", ".join(map(str, rows[:_SHOWN])) + (" …" if len(rows) > _SHOWN else "")
            result.append(
                IngestWarning(
                    code,
                    f"{self.filename} rows {listed}: {texts[code]}",
                    len(rows),
                    rows=tuple(rows[:_SHOWN]),
                    params={"rows": listed},
                )
            )
        return result

    # ---------------------------------------------------------------- cells

    def timestamp(
        self, cell: Any, row: int, column: str, after: int | None = None
    ) -> tuple[int, bool, datetime | None] | None:
        """``(epoch, has_time, local)`` of a timestamp cell, or None after reporting why.

        ``local`` is the naive local time when the cell had no offset, else None. Excel
        datetimes at midnight count as dates (``has_time`` False): Excel stores dates that way.
        """
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            self.problem(row, column, Code.MISSING_TIMESTAMP, "timestamp is empty", cell="")
            return None
        if isinstance(cell, datetime):
            dt, has_time = cell.replace(microsecond=0), cell.time() != datetime.min.time()
        elif isinstance(cell, date):
            dt, has_time = datetime.combine(cell, datetime.min.time()), False
        elif isinstance(cell, str):
            try:
                dt, has_time = parse_timestamp_text(cell)
            except ValueError as exc:
                reason = "" if str(exc) == "not a timestamp" else f" ({exc})"
                self.problem(
                    row,
                    column,
                    Code.BAD_TIMESTAMP,
                    f"{show(cell)} is not a valid timestamp{reason}",
                    cell=show(cell),
                )
                return None
        else:
            self.problem(
                row,
                column,
                Code.BAD_TIMESTAMP,
                f"{show(cell)} is not a valid timestamp (format the cells as dates or text)",
                cell=show(cell),
            )
            return None
        if dt.tzinfo is not None:
            return int(dt.timestamp()), has_time, None
        try:
            epoch, status = self.clock.epoch(dt, after)
        except NonexistentTime as exc:
            self.problem(row, column, Code.NONEXISTENT_TIME, f"{show(cell)} {exc}", cell=show(cell))
            return None
        if status == AMBIGUOUS:
            self.note(Code.AMBIGUOUS_TIME, row)
        return epoch, has_time, dt

    def number(self, cell: Any, row: int, column: str, what: str = "value") -> float | None:
        """A non-negative finite number from a cell (``1,234.5`` and full-width digits
        accepted), or None after reporting why."""
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            self.problem(row, column, Code.MISSING_VALUE, f"{what} is empty", cell="")
            return None
        if isinstance(cell, bool) or not isinstance(cell, int | float | str):
            self.problem(
                row, column, Code.BAD_VALUE, f"{show(cell)} is not a number", cell=show(cell)
            )
            return None
        if isinstance(cell, str):
            text = cell.strip()
            if not text.isascii():
                text = unicodedata.normalize("NFKC", text).strip()
            if _THOUSANDS.fullmatch(text):
                text = text.replace(",", "")
            try:
                x = float(text)
            except ValueError:
                self.problem(
                    row, column, Code.BAD_VALUE, f"{show(cell)} is not a number", cell=show(cell)
                )
                return None
        else:
            x = float(cell)
        if not -_INF < x < _INF:
            self.problem(
                row,
                column,
                Code.NON_FINITE,
                f"{show(cell)} is not a finite number",
                cell=show(cell),
            )
            return None
        if x < 0:
            noun = "consumption" if what == "value" else f"a {what}"
            self.problem(
                row,
                column,
                Code.NEGATIVE_VALUE,
                f"{show(cell)} is negative; {noun} cannot be negative",
                cell=show(cell),
            )
            return None
        return x + 0.0  # -0.0 → 0.0

    def quality(self, cell: Any, row: int, column: str) -> str | None:
        key = "" if cell is None else unicodedata.normalize("NFKC", str(cell)).strip().casefold()
        quality = QUALITY_NAMES.get(key)
        if quality is None:
            self.problem(
                row,
                column,
                Code.BAD_QUALITY,
                f"{show(cell)} is not a data quality (measured/实测, estimated/估算,"
                " replaced/替换)",
                cell=show(cell),
            )
            return None
        return quality.value

    def unit_scale(self, cell: Any, row: int, column: str) -> float | None:
        """File unit → meter unit factor (times the multiplier) for a per-row unit cell; the
        column-wide scale for an empty cell. None after reporting a unit that does not fit."""
        try:
            return self._unit_scales[cell]
        except (KeyError, TypeError):
            pass
        if cell is None or not str(cell).strip():
            return self.scale
        try:
            unit = unit_for(self.carrier, str(cell))
        except UnitError as exc:
            self.problem(row, column, Code.BAD_UNIT, str(exc), unit=str(cell))
            return None
        multiplier = self.spec.multiplier if self.multiplier is None else self.multiplier
        scale = float_factor(unit, self.spec.unit, self.carrier) * multiplier
        self._unit_scales[cell] = scale
        return scale

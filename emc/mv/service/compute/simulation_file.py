"""Option D by upload: a calibrated simulation's outputs by period, as CSV or XLSX.

One table per meter: a header row naming the columns ``period`` (时段/月份/时间), ``value``
(模拟值/模拟用量/用量; a unit may follow in brackets, ``模拟用量(kWh)``) and optionally
``unit`` (单位), then one row per local month ``YYYY-MM`` (monthly) or hour
``YYYY-MM-DD HH:MM`` (hourly). Periods inside the plan's baseline period are the simulation of
the metered baseline (judged for calibration against the meter); periods from the baseline end
on are the simulated baseline of the reporting periods. Every problem is reported with its row
and column, and nothing is kept unless the whole file is good.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from typing import Any

from emc.errors import Invalid
from emc.facilities.ingest.source import SourceError, open_source
from emc.messages import msg

PERIOD_NAMES = ("period", "month", "hour", "时段", "期间", "月份", "时间", "日期时间")
VALUE_NAMES = ("value", "simulated", "simulation", "模拟值", "模拟用量", "模拟能耗", "用量")
UNIT_NAMES = ("unit", "units", "单位")
MAX_PROBLEMS = 20


def _norm(cell: Any) -> str:
    text = "" if cell is None else str(cell)
    return unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip().casefold()


def _header(cell: Any) -> tuple[str, str | None]:
    """(name, unit in brackets or None) of a header cell."""
    text = _norm(cell)
    for open_, close in (("(", ")"), ("[", "]")):
        if text.endswith(close) and open_ in text:
            name, unit = text[:-1].split(open_, 1)
            return name.strip(), unit.strip() or None
    return text, None


def _period(cell: Any, interval: str) -> tuple[str, dt.date]:
    """The period key and its first local day, from text or a spreadsheet date/time."""
    if isinstance(cell, dt.datetime | dt.date):
        moment = cell if isinstance(cell, dt.datetime) else dt.datetime.combine(cell, dt.time())
    else:
        text = _norm(cell)
        if not text:
            raise ValueError("empty")
        try:
            moment = (
                dt.datetime.strptime(text, "%Y-%m")
                if interval == "monthly" and len(text) <= 7
                else dt.datetime.fromisoformat(text)
            )
        except ValueError:
            want = "YYYY-MM" if interval == "monthly" else "YYYY-MM-DD HH:MM"
            raise ValueError(f"{cell!s} is not a period ({want})") from None
    if interval == "monthly":
        return moment.strftime("%Y-%m"), moment.date().replace(day=1)
    if moment.minute or moment.second:
        raise ValueError(f"{moment:%Y-%m-%d %H:%M} does not start an hour")
    return moment.strftime("%Y-%m-%d %H:%M"), moment.date()


def _csv(values: dict[str, float], unit: str) -> str:
    return "period,value,unit\n" + "".join(f"{k},{v!r},{unit}\n" for k, v in values.items())


def parse_simulation_file(
    content: bytes,
    filename: str,
    *,
    meter_id: int,
    interval: str,
    unit: str,
    baseline_start: dt.date,
    baseline_end: dt.date,
    field: str,
) -> dict[str, Any]:
    """The simulation document of one option D meter (as the API takes it: ``meter_id``,
    ``interval``, ``calibration_csv``, ``baseline_csv``) from an uploaded table.

    Raises:
        Invalid: an unreadable file, missing columns, a bad or repeated period, a value that is
            not a finite non-negative number, a unit other than the meter's, a period before
            the baseline, or no period on one side of the baseline end — each named by row and
            column under ``field``.
    """
    if interval not in ("monthly", "hourly"):
        raise Invalid(msg("mv.interval_monthly_hourly"), fields={field: [msg("mv.monthly_hourly")]})
    try:
        source = open_source(io.BytesIO(content), filename)
    except SourceError as exc:
        raise Invalid(
            msg("file.problem_in", file=filename, problem=str(exc)), fields={field: [str(exc)]}
        ) from None
    problems: list[str] = []
    calibration: dict[str, float] = {}
    reporting: dict[str, float] = {}
    columns: dict[str, int] = {}
    header_unit = None
    try:
        for row_no, row in enumerate(source.rows, start=1):
            cells = list(row or ())
            if not any(_norm(c) for c in cells):
                continue
            if not columns:
                for i, cell in enumerate(cells):
                    name, cell_unit = _header(cell)
                    for role, names in (
                        ("period", PERIOD_NAMES),
                        ("value", VALUE_NAMES),
                        ("unit", UNIT_NAMES),
                    ):
                        if name in names and role not in columns:
                            columns[role] = i
                            if role == "value":
                                header_unit = cell_unit
                missing = [r for r in ("period", "value") if r not in columns]
                if missing:
                    raise Invalid(
                        msg(
                            "mv.simulation_columns",
                            file=filename,
                            row=row_no,
                            missing=", ".join(missing),
                        ),
                        fields={
                            field: [
                                msg(
                                    "mv.simulation_columns",
                                    file=filename,
                                    row=row_no,
                                    missing=", ".join(missing),
                                )
                            ]
                        },
                    )
                continue
            if len(problems) >= MAX_PROBLEMS:
                break

            def cell(role: str, cells=cells) -> Any:
                i = columns.get(role)
                return cells[i] if i is not None and i < len(cells) else None

            try:
                key, first_day = _period(cell("period"), interval)
            except ValueError as exc:
                problems.append(f"row {row_no}, column period: {exc}")
                continue
            raw = cell("value")
            try:
                value = float(raw if not isinstance(raw, str) else raw.strip())
                if not math.isfinite(value) or value < 0:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(
                    f"row {row_no}, column value: {raw!s} is not a finite non-negative number"
                )
                continue
            row_unit = _norm(cell("unit")) if "unit" in columns else header_unit
            if row_unit is None:
                problems.append(
                    f"row {row_no}: no unit (add a unit column or write it in the value "
                    f"header, e.g. value({unit}))"
                )
                continue
            if row_unit != unit.casefold():
                problems.append(f"row {row_no}, column unit: {row_unit}, the meter reads {unit}")
                continue
            if first_day < baseline_start:
                problems.append(
                    f"row {row_no}, column period: {key} is before the baseline period "
                    f"({baseline_start})"
                )
                continue
            target = calibration if first_day < baseline_end else reporting
            if key in calibration or key in reporting:
                problems.append(f"row {row_no}, column period: {key} repeated")
                continue
            target[key] = value
    except SourceError as exc:
        raise Invalid(
            msg("file.problem_in", file=filename, problem=str(exc)), fields={field: [str(exc)]}
        ) from None
    finally:
        source.close()
    if not columns:
        problems.append("the file has no header row and no data")
    elif not problems:
        if not calibration:
            problems.append(
                f"no period inside the baseline period {baseline_start} – {baseline_end}"
            )
        if not reporting:
            problems.append(
                f"no period from the baseline end {baseline_end} on (the reporting periods)"
            )
    if problems:
        raise Invalid(
            msg("file.problems_in", file=filename, count=len(problems)),
            fields={field: problems},
        )
    return {
        "meter_id": meter_id,
        "interval": interval,
        "calibration_csv": _csv(calibration, unit),
        "baseline_csv": _csv(reporting, unit),
    }

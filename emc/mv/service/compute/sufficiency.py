"""CalTRACK data sufficiency of a baseline or reporting period: a verdict needs data.

Per meter whose savings are computed from its data (options B and C; A and D stipulate or
simulate): at least 90 % of the period's days must have a use (electricity zeros count as
missing) and 90 % a mean temperature; hourly data need 90 % of the hours of every calendar
month with both. A period that fails is "insufficient data" (数据不足): never a pass or a fail.
The assessment names the missing days (as date ranges) and what to upload, so the page can
say exactly what is needed.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from emc.mv import data

MIN_FRACTION = 0.9
# How many missing-day ranges a message lists before "and N more".
SHOWN_RANGES = 8


def _ranges(days: list[dt.date]) -> list[dict[str, str]]:
    """Consecutive days as ``[{"start", "end"}]`` with ``end`` inclusive (as people read it)."""
    out: list[dict[str, str]] = []
    for day in sorted(days):
        if out and dt.date.fromisoformat(out[-1]["end"]) + dt.timedelta(days=1) == day:
            out[-1]["end"] = day.isoformat()
        else:
            out.append({"start": day.isoformat(), "end": day.isoformat()})
    return out


def _missing(value: float, carrier: str) -> bool:
    return not math.isfinite(value) or (carrier == "electricity" and value == 0)


def assess_daily(series: data.DailyInputs) -> dict[str, Any]:
    n = (series.end - series.start).days
    usage = {d: u for d, u in zip(series.dates, series.usage, strict=True)}
    temps = {d: t for d, t in zip(series.dates, series.temperature, strict=True)}
    days = [series.start + dt.timedelta(days=k) for k in range(n)]
    if series.billed:  # a billing meter: a day has a use when a bill covers it
        billed = series.billed_days()
        no_use = [d for d in days if d not in billed]
    else:
        no_use = [d for d in days if _missing(usage.get(d, math.nan), series.carrier)]
    no_temp = [d for d in days if not math.isfinite(temps.get(d, math.nan))]
    problems = []
    if n and (n - len(no_use)) / n < MIN_FRACTION:
        problems.append("usage_days")
    if n and (n - len(no_temp)) / n < MIN_FRACTION:
        problems.append("temperature_days")
    if n == 0:
        problems.append("usage_days")
    return {
        "interval": "billing" if series.billed else "daily",
        "n_days": n,
        "n_days_with_usage": n - len(no_use),
        "n_days_with_temperature": n - len(no_temp),
        "missing_usage": _ranges(no_use),
        "missing_temperature": _ranges(no_temp),
        "months": [],
        "problems": problems,
    }


def assess_hourly(series: data.HourlyInputs) -> dict[str, Any]:
    local = series.local_dates()
    by_day: dict[dt.date, list[int]] = {}
    for day, u, t in zip(local, series.usage, series.temperature, strict=True):
        slot = by_day.setdefault(day.astype(dt.date), [0, 0, 0])
        slot[0] += 1
        slot[1] += 0 if _missing(u, series.carrier) else 1
        slot[2] += 1 if math.isfinite(t) else 0
    n = (series.end - series.start).days
    days = [series.start + dt.timedelta(days=k) for k in range(n)]
    no_use = [d for d in days if d not in by_day or by_day[d][1] < by_day[d][0]]
    no_temp = [d for d in days if d not in by_day or by_day[d][2] < by_day[d][0]]
    months = [
        {"month": m, "hours": h, "hours_with_data": k, "fraction": (k / h if h else 0.0)}
        for m, h, k in series.months
    ]
    problems = ["hours_per_month"] if any(m["fraction"] < MIN_FRACTION for m in months) else []
    if not months:
        problems.append("hours_per_month")
    return {
        "interval": "hourly",
        "n_days": n,
        "n_days_with_usage": n - len(no_use),
        "n_days_with_temperature": n - len(no_temp),
        "missing_usage": _ranges(no_use),
        "missing_temperature": _ranges(no_temp),
        "months": months,
        "problems": problems,
    }


def assess(meters: list[tuple[dict[str, Any], Any, bool]]) -> dict[str, Any]:
    """Sufficiency of each ``(meter identity, series, stipulated)``; ``sufficient`` when every
    computed meter has enough data (a stipulated or simulated meter is not assessed)."""
    out = []
    for identity, series, stipulated in meters:
        if stipulated:
            row = {"interval": None, "problems": [], "assessed": False}
        elif isinstance(series, data.HourlyInputs):
            row = assess_hourly(series) | {"assessed": True}
        else:
            row = assess_daily(series) | {"assessed": True}
        out.append(
            {
                "meter_id": identity["meter_id"],
                "meter_name": identity.get("meter_name"),
                "carrier": identity.get("carrier"),
                "unit": identity.get("unit"),
                **row,
                "sufficient": not row["problems"],
            }
        )
    return {"sufficient": all(m["sufficient"] for m in out), "meters": out}


def describe_ranges(ranges: list[dict[str, str]]) -> str:
    """``2024-02-01 – 2024-02-28, 2024-03-05`` (at most :data:`SHOWN_RANGES`, then a count)."""
    shown = [r["start"] if r["start"] == r["end"] else f"{r['start']} – {r['end']}" for r in ranges]
    text = ", ".join(shown[:SHOWN_RANGES])
    if len(shown) > SHOWN_RANGES:
        text += f" (+{len(shown) - SHOWN_RANGES})"
    return text

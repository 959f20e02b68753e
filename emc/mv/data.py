"""Stored meter and weather data as the M&V engine takes it: daily series, fingerprints, factors.

Days are the **site's local** days; periods are half-open ``[start, end)`` dates. Daily use comes
from the facilities SQL aggregate (a reading counts in the day its period starts); a day of an
interval meter with fewer readings than the day holds is *missing* (``nan``), never a partial
total. Daily mean temperatures come from the site's weather station through the engine's own
:func:`emc.mv.engine.daily_temperature` on local wall-clock timestamps — exactly what
``emc mv fit`` does with the CSV files :func:`export_csv` writes, so both give the same model.

The inputs fingerprint is the SHA-256 of the exact series a computation used (dates, usage and
temperature of every meter, floats written with ``repr``): if any stored reading under a result
changes, the fingerprint does too.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from emc.energy import FactorSet
from emc.errors import Invalid
from emc.facilities import rollup
from emc.facilities.ingest import MeterKind
from emc.facilities.models import Meter, Site, WeatherStation
from emc.facilities.service import analysis, factors, weather
from emc.messages import msg
from emc.mv import engine

DAY = 86400
NAN = float("nan")
# A register meter whose reads are typically this many days apart or more is read like bills.
MONTHLY_READ_DAYS = 25


@dataclass(frozen=True)
class DailyInputs:
    """One meter's daily use and the site's daily mean temperature over ``[start, end)``.

    ``usage`` is in the meter's unit; ``temperature`` in °C; ``nan`` marks a missing value.
    ``temperature_readings`` are the station's readings used, as (local wall-clock time, °C).
    ``bills`` are a billing or register meter's own periods inside ``[start, end)`` as
    ``(first local day, local day after the last, use)`` (empty for an interval meter): the
    billing method fits and reports on them, not on days (a bill's use counts in ``usage`` on
    the day it starts only).
    """

    meter_id: int
    unit: str
    carrier: str
    timezone: str
    start: dt.date
    end: dt.date
    dates: tuple[dt.date, ...]
    usage: tuple[float, ...]
    temperature: tuple[float, ...]
    temperature_readings: tuple[tuple[dt.datetime, float], ...] = field(repr=False)
    warnings: tuple[engine.Warning, ...] = ()
    bills: tuple[tuple[dt.date, dt.date, float], ...] = ()
    billed: bool = False  # a billing meter (or a register meter read monthly): use ``bills``

    @property
    def complete(self) -> bool:
        """Every day has both a use (for a billing meter: a bill covers it) and a
        temperature."""
        if self.billed:
            billed = self.billed_days()
            return all(
                d in billed and math.isfinite(t)
                for d, t in zip(self.dates, self.temperature, strict=True)
            )
        return all(
            math.isfinite(u) and math.isfinite(t)
            for u, t in zip(self.usage, self.temperature, strict=True)
        )

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.array(self.dates, dtype="datetime64[D]"),
            np.array(self.usage, dtype=float),
            np.array(self.temperature, dtype=float),
        )

    def bill_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bills as ``(starts, ends, use)``: ``datetime64[D]``, ``datetime64[D]``, float."""
        return (
            np.array([b[0] for b in self.bills], dtype="datetime64[D]"),
            np.array([b[1] for b in self.bills], dtype="datetime64[D]"),
            np.array([b[2] for b in self.bills], dtype=float),
        )

    def billed_days(self) -> set[dt.date]:
        """The days a bill with a use covers."""
        return {
            a + dt.timedelta(days=k)
            for a, b, v in self.bills
            if math.isfinite(v)
            for k in range((b - a).days)
        }


epoch = rollup.midnight  # epoch seconds of the local midnight that starts a day


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def daily_usage(
    session: Session, meter: Meter, site: Site, start: dt.date, end: dt.date
) -> list[float]:
    """Use per local day of ``[start, end)`` in the meter's unit; ``nan`` for a missing day or,
    for interval meters, a day with fewer readings than it holds."""
    zone = ZoneInfo(site.timezone)
    lo, hi = epoch(start, zone), epoch(end, zone)
    rows = {
        d: (t, n) for d, t, n in analysis.local_day_rows(session, meter.id, site.timezone, lo, hi)
    }
    step = (meter.interval_minutes or 0) * 60
    out = []
    for day in days(start, end):
        total, count = rows.get(day, (NAN, 0))
        if count and meter.kind is MeterKind.INTERVAL and step:
            expected = (epoch(day + dt.timedelta(days=1), zone) - epoch(day, zone)) // step
            if count < expected:
                total = NAN
        out.append(float(total) if count else NAN)
    return out


def temperature_readings(
    session: Session, site: Site, start: dt.date, end: dt.date
) -> list[tuple[dt.datetime, float]]:
    """The site's station temperatures over the local days ``[start, end)`` as (naive local
    wall-clock time, °C); empty without a station."""
    if site.weather_station_id is None:
        return []
    station = session.get(WeatherStation, site.weather_station_id)
    zone = ZoneInfo(site.timezone)
    rows = weather.temperatures(session, station, epoch(start, zone), epoch(end, zone))
    return [(dt.datetime.fromtimestamp(s, zone).replace(tzinfo=None), t) for s, t in rows]


def bill_periods(
    session: Session, meter: Meter, site: Site, start: dt.date, end: dt.date
) -> list[tuple[dt.date, dt.date, float]]:
    """A billing or register meter's periods wholly inside the local days ``[start, end)``, as
    ``(first local day, local day after the last, use)``; empty for an interval meter, and for a
    register meter read more often than monthly (its reads are days, not bills). A bill's ends
    are the local days of its stored instants (bills run from midnight to midnight)."""
    if meter.kind is MeterKind.INTERVAL:
        return []
    zone = ZoneInfo(site.timezone)
    lo, hi = epoch(start, zone), epoch(end, zone)
    rows = session.execute(
        text(
            "SELECT start_ts, end_ts, value FROM meter_readings"
            " WHERE meter_id = :m AND start_ts >= :lo AND start_ts < :hi AND end_ts IS NOT NULL"
            " AND end_ts <= :hi ORDER BY start_ts"
        ),
        {"m": meter.id, "lo": lo, "hi": hi},
    ).all()
    out = []
    for a, b, v in rows:
        first = dt.datetime.fromtimestamp(int(a), zone).date()
        after = dt.datetime.fromtimestamp(int(b), zone).date()
        if after > first:
            out.append((first, after, float(v)))
    if meter.kind is MeterKind.REGISTER and out:
        lengths = sorted((b - a).days for a, b, _v in out)
        if lengths[len(lengths) // 2] < MONTHLY_READ_DAYS:
            return []
    return out


def daily_inputs(
    session: Session, meter: Meter, site: Site, start: dt.date, end: dt.date
) -> DailyInputs:
    """A meter's :class:`DailyInputs` over ``[start, end)`` (local days of its site), with its
    bills for a billing or register meter."""
    usage = daily_usage(session, meter, site, start, end)
    bills = tuple(bill_periods(session, meter, site, start, end))
    readings = temperature_readings(session, site, start, end)
    if readings:
        temp = engine.daily_temperature(
            [t for t, _ in readings], [v for _, v in readings], start, end, unit="C"
        )
        temperature = [float(v) for v in temp.temperature]
        warnings = tuple(temp.warnings)
    else:
        temperature = [NAN] * len(usage)
        warnings = (
            engine.Warning(
                "no_temperature",
                "The site has no weather station or the station has no temperatures "
                f"between {start} and {end}.",
                {"start": str(start), "end": str(end)},
            ),
        )
    return DailyInputs(
        meter_id=meter.id,
        unit=meter.unit,
        carrier=str(meter.carrier),
        timezone=site.timezone,
        start=start,
        end=end,
        dates=tuple(days(start, end)),
        usage=tuple(usage),
        temperature=tuple(temperature),
        temperature_readings=tuple(readings),
        warnings=warnings,
        bills=bills,
        billed=meter.kind is MeterKind.BILLING or bool(bills),
    )


HOUR = 3600
# CalTRACK 2.0 hourly data sufficiency: at least 90 % of the hours of every calendar month.
HOURLY_SUFFICIENCY = 0.9


@dataclass(frozen=True)
class HourlyInputs:
    """One meter's hourly use and the site's hourly mean temperature over the local days
    ``[start, end)``.

    ``hours`` are the UTC instants starting each local hour (naive UTC ``datetime``s, as
    ``dates`` for :func:`fingerprint`); ``usage`` in the meter's unit, ``nan`` when the hour
    lacks any of its readings; ``temperature`` in °C, the station's readings averaged per hour
    with gaps of at most 6 hours interpolated (CalTRACK), ``nan`` elsewhere. ``months`` gives,
    per local calendar month ``YYYY-MM``, ``(hours, hours with use and temperature)``.
    """

    meter_id: int
    unit: str
    carrier: str
    timezone: str
    start: dt.date
    end: dt.date
    dates: tuple[dt.datetime, ...]
    usage: tuple[float, ...]
    temperature: tuple[float, ...]
    months: tuple[tuple[str, int, int], ...] = ()
    warnings: tuple[engine.Warning, ...] = ()

    @property
    def complete(self) -> bool:
        """Every calendar month has at least 90 % of its hours with use and temperature."""
        return bool(self.months) and all(
            n and k / n >= HOURLY_SUFFICIENCY for _m, n, k in self.months
        )

    def insufficient_months(self) -> list[str]:
        return [
            f"{m}: {k} of {n} hours ({(k / n if n else 0):.1%}) have use and temperature"
            for m, n, k in self.months
            if not n or k / n < HOURLY_SUFFICIENCY
        ]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(UTC hour starts as datetime64[s], usage, temperature °C)``."""
        return (
            np.array(self.dates, dtype="datetime64[s]"),
            np.array(self.usage, dtype=float),
            np.array(self.temperature, dtype=float),
        )

    def local_dates(self) -> np.ndarray:
        """The site-local day of each hour, ``datetime64[D]``."""
        zone = ZoneInfo(self.timezone)
        return np.array(
            [h.replace(tzinfo=dt.UTC).astimezone(zone).date() for h in self.dates],
            dtype="datetime64[D]",
        )


def _hour_rows(session: Session, meter: Meter, zone: str, lo: int, hi: int) -> dict[int, tuple]:
    """(total, readings) per local hour in ``[lo, hi)``, keyed by the hour's UTC start, summed
    in SQL. A reading counts in the hour its period starts."""
    offset = rollup.fixed_offset(zone, lo, hi)
    if offset is None:
        tz = ZoneInfo(zone)
        whole = all(
            int(dt.datetime.fromtimestamp(t, tz).utcoffset().total_seconds()) % HOUR == 0
            for t in range(lo, hi, 30 * DAY)
        )
        if not whole:
            raise Invalid(
                msg("mv.hourly_whole_hour_zone", zone=str(zone)),
                fields={"method": [msg("mv.hourly_needs_whole_hour_timezone")]},
            )
        offset = 0  # every offset is whole hours, so local hours are UTC hours
    rows = session.execute(
        text(
            "SELECT ((start_ts + :off) / 3600) * 3600 - :off AS h, sum(value), count(*)"
            " FROM meter_readings WHERE meter_id = :m AND start_ts >= :lo AND start_ts < :hi"
            " GROUP BY 1 ORDER BY 1"
        ),
        {"m": meter.id, "lo": lo, "hi": hi, "off": offset},
    ).all()
    return {int(h): (float(t), int(n)) for h, t, n in rows}


def hourly_inputs(
    session: Session, meter: Meter, site: Site, start: dt.date, end: dt.date
) -> HourlyInputs:
    """A meter's :class:`HourlyInputs` over the local days ``[start, end)`` of its site.

    Raises:
        Invalid: the meter is not an interval meter of at most one hour, or the site's zone
            has a non-whole-hour offset (``method``).
    """
    step = (meter.interval_minutes or 0) * 60
    if meter.kind is not MeterKind.INTERVAL or not step or HOUR % step:
        raise Invalid(
            msg("mv.hourly_needs_interval", meter=meter.name),
            fields={"method": [msg("mv.hourly_needs_interval", meter=meter.name)]},
        )
    zone = ZoneInfo(site.timezone)
    lo, hi = epoch(start, zone), epoch(end, zone)
    rows = _hour_rows(session, meter, site.timezone, lo, hi)
    per_hour = HOUR // step
    hours = list(range(lo, hi, HOUR))
    usage = []
    for h in hours:
        total, count = rows.get(h, (NAN, 0))
        usage.append(total if count >= per_hour else NAN)
    temperature = [NAN] * len(hours)
    warnings: list[engine.Warning] = []
    station = (
        session.get(WeatherStation, site.weather_station_id) if site.weather_station_id else None
    )
    readings = (
        weather.temperatures(session, station, lo - 6 * HOUR, hi + 6 * HOUR) if station else []
    )
    if readings:
        grid, temps, n_filled = engine.interpolate_hourly_gaps(
            np.array([s for s, _ in readings], dtype="datetime64[s]"),
            [v for _, v in readings],
        )
        first = int(grid[0].astype("datetime64[s]").astype(np.int64))
        for i, h in enumerate(hours):
            j = (h - first) // HOUR
            if 0 <= j < grid.size:
                temperature[i] = float(temps[j])
        if n_filled:
            warnings.append(
                engine.Warning(
                    "temperature_interpolated",
                    f"{n_filled} missing hours of temperature (gaps of at most 6 hours) "
                    "were interpolated.",
                    {"n_hours": n_filled},
                )
            )
    else:
        warnings.append(
            engine.Warning(
                "no_temperature",
                "The site has no weather station or the station has no temperatures "
                f"between {start} and {end}.",
                {"start": str(start), "end": str(end)},
            )
        )
    counts: dict[str, list[int]] = {}
    for h, u, t in zip(hours, usage, temperature, strict=True):
        key = dt.datetime.fromtimestamp(h, zone).strftime("%Y-%m")
        c = counts.setdefault(key, [0, 0])
        c[0] += 1
        c[1] += int(math.isfinite(u) and math.isfinite(t))
    return HourlyInputs(
        meter_id=meter.id,
        unit=meter.unit,
        carrier=str(meter.carrier),
        timezone=site.timezone,
        start=start,
        end=end,
        dates=tuple(dt.datetime.fromtimestamp(h, dt.UTC).replace(tzinfo=None) for h in hours),
        usage=tuple(usage),
        temperature=tuple(temperature),
        months=tuple((m, n, k) for m, (n, k) in counts.items()),
        warnings=tuple(warnings),
    )


def _num(v: float) -> str | None:
    return repr(float(v)) if math.isfinite(v) else None


def fingerprint(inputs: list[DailyInputs | HourlyInputs]) -> str:
    """SHA-256 of the exact input series (every meter's days or hours, use and temperature, and
    a billing meter's bills)."""
    document = [
        {
            "meter_id": i.meter_id,
            "unit": i.unit,
            "dates": [d.isoformat() for d in i.dates],
            "usage": [_num(v) for v in i.usage],
            "temperature": [_num(v) for v in i.temperature],
        }
        | (
            {"bills": [[a.isoformat(), b.isoformat(), _num(v)] for a, b, v in i.bills]}
            if getattr(i, "billed", False)
            else {}
        )
        for i in sorted(inputs, key=lambda x: x.meter_id)
    ]
    text = json.dumps(document, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def export_csv(inputs: DailyInputs) -> tuple[str, str]:
    """The series as the two CSV files ``emc mv fit`` reads: ``date,value`` (daily use; a
    missing day is an empty value) and ``timestamp,temperature`` (the station readings, local
    wall-clock time)."""
    usage = ["date,value"] + [
        f"{d.isoformat()},{'' if not math.isfinite(v) else repr(v)}"
        for d, v in zip(inputs.dates, inputs.usage, strict=True)
    ]
    temps = ["timestamp,temperature"] + [
        f"{t.isoformat(timespec='minutes')},{v!r}" for t, v in inputs.temperature_readings
    ]
    return "\n".join(usage) + "\n", "\n".join(temps) + "\n"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def reporting_periods(first: dt.date, months: int, until: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Consecutive periods of ``months`` calendar months from the first month start on or after
    ``first``, each ending on or before ``until``."""
    start = first if first.day == 1 else add_months(month_start(first), 1)
    out = []
    while (end := add_months(start, months)) <= until:
        out.append((start, end))
        start = end
    return out


def factor_set(session: Session) -> FactorSet:
    """The emission factors in force (corrections replace what they supersede) as an
    :class:`emc.energy.FactorSet`; the built-in national defaults when the table is empty."""
    return factors.current_factor_set(session)

"""Weather stations and their temperature series (the driver of M&V models).

Stations are platform reference data shared by every site, so only platform admins create them
and import temperatures (``facilities:weather:manage`` is granted to the platform admin alone);
everyone signed in may read them. Institution admins and energy managers do not write: a station
has no owning organisation, and the temperatures of a station feed the M&V models of every site
linked to it, so a write by one institution would change another institution's (and its ESCO's)
baseline and savings. A site's own sensor becomes a station created by the platform. A temperature file is CSV or XLSX
with a time column (``timestamp``/``时间`` …) and a temperature column (``temperature``/``温度``/
``气温``, in °C unless the header says ``(°F)``); times without an offset are local time at the
station. The import is all or nothing, problems are named by row and column, and overlapping
stored temperatures are refused unless ``replace``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import require
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.facilities import store
from emc.facilities.ingest.clock import Clock, NonexistentTime, parse_timestamp_text
from emc.facilities.ingest.source import ROLE_NAMES, SourceError, normalise_header, open_source
from emc.facilities.models import WeatherStation

log = logging.getLogger(__name__)

_TEMPERATURE_NAMES = ("temperature", "temp", "air temperature", "温度", "气温", "干球温度")
_TIME_NAMES = set(ROLE_NAMES["timestamp"])
_UNIT = re.compile(r"(.*?)\s*[(\[]\s*(.*?)\s*[)\]]")
_MAX_PROBLEMS = 100


def create_station(
    session: Session, actor: Actor, *, code: str, name: str, timezone: str = "Asia/Shanghai"
) -> WeatherStation:
    """Add a weather station (platform admins).

    Raises:
        Forbidden; Invalid: unknown time zone; Conflict: the code exists.
    """
    require(actor, Permission.FACILITIES_WEATHER_MANAGE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            "unknown time zone", fields={"timezone": [f"unknown IANA time zone {timezone!r}"]}
        ) from None
    if session.scalar(select(WeatherStation.id).where(WeatherStation.code == code)) is not None:
        raise Conflict(f"station {code} exists", fields={"code": ["already exists"]})
    station = WeatherStation(code=code, name=name, timezone=timezone)
    session.add(station)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        station,
        organization_id=None,
        after={"code": code, "name": name, "timezone": timezone},
    )
    return station


def find_station(session: Session, key: str | int) -> WeatherStation:
    """A station by id or code (reference data: visible to everyone)."""
    station = None
    if isinstance(key, int) or str(key).isdigit():
        station = session.get(WeatherStation, int(key))
    if station is None:
        station = session.scalar(select(WeatherStation).where(WeatherStation.code == str(key)))
    if station is None:
        raise NotFound(f"weather station {key!r} not found")
    return station


@dataclass(frozen=True)
class WeatherResult:
    station: WeatherStation
    rows: int
    first: dt.datetime
    last: dt.datetime
    replaced: int


def _header_roles(row: Any) -> tuple[int | None, int | None, str]:
    time_index = temp_index = None
    unit = "c"
    for i, cell in enumerate(row):
        name = normalise_header(cell)
        m = _UNIT.fullmatch(name)
        base, suffix = (m.group(1), m.group(2)) if m else (name, "")
        if base in _TIME_NAMES and time_index is None:
            time_index = i
        elif base in _TEMPERATURE_NAMES and temp_index is None:
            temp_index = i
            if "f" in suffix.replace("°", "").replace("℉", "f"):
                unit = "f"
    return time_index, temp_index, unit


def import_weather(
    session: Session,
    actor: Actor,
    station_id: int | str,
    stream: IO[bytes],
    *,
    filename: str,
    replace: bool = False,
) -> WeatherResult:
    """Import a temperature file for a station, all or nothing (see the module).

    Raises:
        Forbidden: not a platform admin. NotFound: unknown station. Invalid: problems, keyed
            ``row N, column X``. Conflict: overlaps stored temperatures (without ``replace``).
    """
    require(actor, Permission.FACILITIES_WEATHER_MANAGE)
    station = find_station(session, station_id)
    problems: dict[str, list[str]] = {}
    count = 0

    def problem(key: str, message: str) -> None:
        nonlocal count
        count += 1
        problems.setdefault(key, []).append(message)

    starts: list[int] = []
    temps: list[float] = []
    try:
        source = open_source(stream, filename)
    except SourceError as exc:
        raise Invalid(f"{filename}: {exc}", fields={"file": [str(exc)]}) from None
    try:
        clock = Clock(station.timezone)
        header = None
        rows = iter(source.rows)
        for row_no, row in enumerate(rows, 1):
            t_i, v_i, unit = _header_roles(row)
            if t_i is not None and v_i is not None:
                header = (row_no, t_i, v_i, unit, [str(c).strip() for c in row])
                break
            if row_no >= 10:
                break
        if header is None:
            message = "no header with a time column and a temperature column in the first 10 rows"
            raise Invalid(f"{filename}: {message}", fields={"file": [message]})
        header_row, t_i, v_i, unit, names = header
        for row_no, row in enumerate(rows, header_row + 1):
            if count >= _MAX_PROBLEMS:
                problem("file", f"stopped after {_MAX_PROBLEMS} problems")
                break
            cells = list(row)
            if all(c is None or str(c).strip() == "" for c in cells):
                continue
            stamp = cells[t_i] if t_i < len(cells) else None
            value = cells[v_i] if v_i < len(cells) else None
            where_t = f"row {row_no}, column {names[t_i]}"
            where_v = f"row {row_no}, column {names[v_i]}"
            epoch = _epoch(stamp, clock, where_t, problem)
            temperature = _temperature(value, unit, where_v, problem)
            if epoch is None or temperature is None:
                continue
            if starts and epoch <= starts[-1]:
                problem(where_t, f"{stamp!s} is not after the previous row")
                continue
            starts.append(epoch)
            temps.append(temperature)
    finally:
        source.close()
    if problems:
        raise Invalid(
            f"{filename}: {count} problem{'s' if count != 1 else ''}, nothing was imported",
            fields=problems,
            code="invalid_file",
        )
    if not starts:
        raise Invalid(f"{filename}: no temperatures", fields={"file": ["no temperatures"]})
    lo, hi = starts[0], starts[-1] + 1
    params = {"s": station.id, "lo": lo, "hi": hi}
    where = "station_id = :s AND start_ts >= :lo AND start_ts < :hi"
    stored = session.execute(
        text(f"SELECT count(*) FROM temperature_readings WHERE {where}"), params
    ).scalar_one()
    if stored and not replace:
        raise Conflict(
            f"{filename} overlaps {stored} stored temperatures of station {station.code};"
            " import with replace to overwrite them",
            fields={"overlap": {"count": int(stored)}},
            code="overlap",
        )
    with session.begin_nested():
        if stored:
            session.execute(text(f"DELETE FROM temperature_readings WHERE {where}"), params)
        store.write_temperatures(session, station.id, starts, temps)
    journal.record(
        session,
        actor,
        "import_temperatures",
        station,
        organization_id=None,
        before={"replaced": int(stored)} if stored else None,
        after={"filename": filename, "rows": len(starts)},
        summary=f"{len(starts)} temperatures from {filename}",
    )
    log.info("station %s: %s temperatures imported by %s", station.code, len(starts), actor.label)
    return WeatherResult(
        station,
        len(starts),
        dt.datetime.fromtimestamp(lo, dt.UTC),
        dt.datetime.fromtimestamp(starts[-1], dt.UTC),
        int(stored),
    )


def _epoch(stamp: Any, clock: Clock, where: str, problem) -> int | None:
    if stamp is None or (isinstance(stamp, str) and not stamp.strip()):
        problem(where, "missing time")
        return None
    try:
        if isinstance(stamp, dt.datetime):
            moment = stamp
        else:
            moment, _has_time = parse_timestamp_text(str(stamp))
        if moment.tzinfo is not None:
            return int(moment.timestamp())
        return clock.epoch(moment)[0]
    except NonexistentTime as exc:
        problem(where, f'"{stamp}" {exc}')
    except ValueError:
        problem(where, f'"{stamp}" is not a valid timestamp')
    return None


def _temperature(value: Any, unit: str, where: str, problem) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problem(where, "missing temperature")
        return None
    try:
        number = float(str(value).strip().replace("℃", "").replace("°C", ""))
    except ValueError:
        problem(where, f'"{value}" is not a number')
        return None
    if unit == "f":
        number = (number - 32) * 5 / 9
    if not math.isfinite(number) or not -90 <= number <= 60:
        problem(where, f"{value} is not a plausible outdoor temperature (−90 to 60 °C)")
        return None
    return number


def temperatures(
    session: Session, station: WeatherStation, lo: int, hi: int
) -> list[tuple[int, float]]:
    """Stored temperatures ``(start_ts, °C)`` of a station in ``[lo, hi)``."""
    return [
        (int(s), float(t))
        for s, t in session.execute(
            text(
                "SELECT start_ts, temperature_c FROM temperature_readings"
                " WHERE station_id = :s AND start_ts >= :lo AND start_ts < :hi ORDER BY start_ts"
            ),
            {"s": station.id, "lo": lo, "hi": hi},
        )
    ]


def list_stations(session: Session, actor: Actor | None) -> list[WeatherStation]:
    """Every weather station (reference data), by code.

    Raises:
        Forbidden: not signed in.
    """
    if actor is None:
        raise Forbidden("sign in to read reference data")
    return list(session.scalars(select(WeatherStation).order_by(WeatherStation.code)))


def station_by_id(session: Session, station_id: int) -> WeatherStation:
    """A station by its id (NotFound otherwise)."""
    station = session.get(WeatherStation, station_id)
    if station is None:
        raise NotFound(f"weather station {station_id} not found")
    return station


@dataclass(frozen=True)
class TemperaturePage:
    station: WeatherStation
    rows: list[tuple[int, float]]
    next_start: dt.datetime | None


def read_temperatures(
    session: Session,
    actor: Actor | None,
    station_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 10_000,
) -> TemperaturePage:
    """Stored temperatures ``(start_ts, °C)`` starting in ``[start, end)`` (aware datetimes;
    None: unbounded), oldest first, at most ``limit``; ``next_start`` continues the list.

    Raises:
        Forbidden: not signed in. NotFound: unknown station. Invalid: naive datetimes, or
            ``end`` not after ``start``.
    """
    if actor is None:
        raise Forbidden("sign in to read reference data")
    station = station_by_id(session, station_id)
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise Invalid(f"{name} needs a UTC offset", fields={name: ["needs a UTC offset"]})
    lo = int(start.timestamp()) if start is not None else -(2**62)
    hi = int(end.timestamp()) if end is not None else 2**62
    if hi <= lo:
        raise Invalid("end before start", fields={"end": ["must be after start"]})
    rows = [
        (int(s), float(t))
        for s, t in session.execute(
            text(
                "SELECT start_ts, temperature_c FROM temperature_readings"
                " WHERE station_id = :s AND start_ts >= :lo AND start_ts < :hi"
                " ORDER BY start_ts LIMIT :n"
            ),
            {"s": station.id, "lo": lo, "hi": hi, "n": limit + 1},
        )
    ]
    next_start = None
    if len(rows) > limit:
        next_start = dt.datetime.fromtimestamp(rows[limit][0], dt.UTC)
        rows = rows[:limit]
    return TemperaturePage(station, rows, next_start)

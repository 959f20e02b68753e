"""Weather stations and their temperature series (the driver of M&V models).

Ownership (rules in ``emc.auth.policy``): a station without an owning organisation is platform
reference data, read by everyone signed in and written only by platform admins. An institution
may own stations (a sensor on its campus, a station it subscribes to): its admins and energy
managers create them and upload their temperatures, and the ESCOs contracted on its projects
read them, never write them. A site uses a reference station or one of its own institution's,
so an institution's write never changes another institution's (or its ESCO's) baselines.

A temperature file is CSV or XLSX with a time column (``timestamp``/``时间`` …) and a temperature
column (``temperature``/``温度``/``气温``, in °C unless the header says ``(°F)``); times without an
offset are local time at the station. Files are opened and timestamps parsed by the meter-data
ingest (:mod:`emc.facilities.ingest.source`, :mod:`emc.facilities.ingest.clock`). The import is
all or nothing, problems are named by row and column, and overlapping stored temperatures are
refused unless ``replace``; :func:`preview_weather` runs the same parse and checks and writes
nothing (the "check" button, ``dry_run``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, require_station_writer, scoped
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.facilities import store
from emc.facilities.ingest.clock import Clock, NonexistentTime, parse_timestamp_text
from emc.facilities.ingest.source import ROLE_NAMES, SourceError, normalise_header, open_source
from emc.facilities.models import WeatherStation
from emc.facilities.service import rights
from emc.messages import msg, record

log = logging.getLogger(__name__)

_TEMPERATURE_NAMES = ("temperature", "temp", "air temperature", "温度", "气温", "干球温度")
_TIME_NAMES = set(ROLE_NAMES["timestamp"])
_UNIT = re.compile(r"(.*?)\s*[(\[]\s*(.*?)\s*[)\]]")
_MAX_PROBLEMS = 100


def create_station(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    timezone: str = "Asia/Shanghai",
    organization_id: int | None = None,
) -> WeatherStation:
    """Add a weather station. An institution's admins and energy managers add stations owned
    by their institution (``organization_id`` defaults to it); platform admins add reference
    stations (no owner) or one for a named institution.

    Raises:
        Forbidden; Invalid: unknown time zone or owner; Conflict: the code exists.
    """
    require(actor, Permission.FACILITIES_WEATHER_MANAGE)
    if not actor.is_platform_admin:
        if actor.org_kind is not OrgKind.INSTITUTION:
            raise Forbidden(msg("facilities.not_permitted_only_institutions_own"))
        if organization_id not in (None, actor.organization_id):
            raise Invalid(
                msg("facilities.unknown_organisation"),
                fields={"organization_id": [msg("facilities.unknown_organisation")]},
            )
        organization_id = actor.organization_id
    elif organization_id is not None:
        owner = session.get(Organization, organization_id)
        if owner is None or owner.kind is not OrgKind.INSTITUTION:
            raise Invalid(
                msg("facilities.unknown_institution"),
                fields={
                    "organization_id": [
                        msg("facilities.weather_stations_belong_public_institutions")
                    ]
                },
            )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            msg("facilities.unknown_time_zone"),
            fields={"timezone": [msg("facilities.unknown_time_zone_named", zone=timezone)]},
        ) from None
    if session.scalar(select(WeatherStation.id).where(WeatherStation.code == code)) is not None:
        raise Conflict(
            msg("facilities.station_exists", code=code),
            fields={"code": [msg("field.already_exists")]},
        )
    station = WeatherStation(
        code=code, name=name, timezone=timezone, organization_id=organization_id
    )
    session.add(station)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        station,
        organization_id=organization_id,
        after={
            "code": code,
            "name": name,
            "timezone": timezone,
            "organization_id": organization_id,
        },
    )
    return station


def find_station(session: Session, key: str | int, actor: Actor | None = None) -> WeatherStation:
    """A station by id or code; with ``actor``, only one the actor sees (else NotFound)."""

    def lookup(condition):
        stmt = (
            scoped(actor, WeatherStation) if actor is not None else select(WeatherStation)
        ).where(condition)
        return session.scalar(stmt)

    station = None
    if isinstance(key, int) or str(key).isdigit():
        station = lookup(WeatherStation.id == int(key))
    if station is None:
        station = lookup(WeatherStation.code == str(key))
    if station is None:
        raise NotFound(msg("not_found", what=record("WeatherStation"), id=key))
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


@dataclass
class _Parsed:
    """A temperature file read: ``starts`` (UTC epoch seconds, increasing) and ``temps`` (°C),
    or ``problems`` keyed ``row N, column X`` (``count`` of them)."""

    starts: list[int]
    temps: list[float]
    problems: dict[str, list[str]]
    count: int = 0


def _parse(station: WeatherStation, stream: IO[bytes], filename: str) -> _Parsed:
    parsed = _Parsed([], [], {})

    def problem(key: str, message: str) -> None:
        parsed.count += 1
        parsed.problems.setdefault(key, []).append(message)

    try:
        source = open_source(stream, filename)
    except SourceError as exc:
        problem("file", str(exc))
        return parsed
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
            problem(
                "file",
                "no header with a time column and a temperature column in the first 10 rows",
            )
            return parsed
        header_row, t_i, v_i, unit, names = header
        starts, temps = parsed.starts, parsed.temps
        for row_no, row in enumerate(rows, header_row + 1):
            if parsed.count >= _MAX_PROBLEMS:
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
    if not parsed.problems and not parsed.starts:
        problem("file", "no temperatures")
    return parsed


_WHERE = "station_id = :s AND start_ts >= :lo AND start_ts < :hi"


def _stored_between(session: Session, station: WeatherStation, lo: int, hi: int) -> int:
    return int(
        session.execute(
            text(f"SELECT count(*) FROM temperature_readings WHERE {_WHERE}"),
            {"s": station.id, "lo": lo, "hi": hi},
        ).scalar_one()
    )


def _writable_station(session: Session, actor: Actor, station_id: int | str) -> WeatherStation:
    require(actor, Permission.FACILITIES_WEATHER_MANAGE)
    station = find_station(session, station_id, actor)
    require_station_writer(actor, station)
    return station


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
        NotFound: unknown or invisible station. Forbidden: the actor may not write it.
        Invalid: problems, keyed ``row N, column X``. Conflict: overlaps stored temperatures
            (without ``replace``).
    """
    station = _writable_station(session, actor, station_id)
    parsed = _parse(station, stream, filename)
    if parsed.problems:
        count = parsed.count
        raise Invalid(
            msg("file.problems_in", file=filename, count=count),
            fields=parsed.problems,
            code="invalid_file",
        )
    starts, temps = parsed.starts, parsed.temps
    lo, hi = starts[0], starts[-1] + 1
    stored = _stored_between(session, station, lo, hi)
    if stored and not replace:
        raise Conflict(
            msg(
                "facilities.temperatures_overlap", file=filename, count=stored, station=station.code
            ),
            fields={"overlap": {"count": int(stored)}},
            code="overlap",
        )
    # Temperatures under an approved baseline or accepted report are inputs of frozen figures:
    # like the meter readings, they are neither replaced nor added to.
    frozen = rights.station_frozen_conflict(session, station.id, lo, hi)
    if frozen is not None:
        raise frozen
    with session.begin_nested():
        if stored:
            session.execute(
                text(f"DELETE FROM temperature_readings WHERE {_WHERE}"),
                {"s": station.id, "lo": lo, "hi": hi},
            )
        store.write_temperatures(session, station.id, starts, temps)
    journal.record(
        session,
        actor,
        "import_temperatures",
        station,
        organization_id=station.organization_id,
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


#: How many parsed temperatures a preview shows.
SAMPLE_ROWS = 20


@dataclass(frozen=True)
class WeatherPreview:
    """What :func:`import_weather` would do with a file, written nothing: ``rows`` parsed,
    ``first``/``last`` (aware, station zone), ``sample`` of ``(start, °C)``, ``problems`` keyed
    ``row N, column X``, ``overlap`` the count of stored temperatures in the file's range."""

    station: WeatherStation
    filename: str
    replace: bool
    rows: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    sample: tuple[tuple[dt.datetime, float], ...] = ()
    problems: dict[str, list[str]] = field(default_factory=dict)
    overlap: int = 0
    #: The refusal when the file reaches into a frozen period (``rights.FrozenReadings``).
    frozen: Any = None

    @property
    def status(self) -> str:
        """``invalid``, ``frozen``, ``overlap`` (refused without replace) or ``ok``."""
        if self.problems:
            return "invalid"
        if self.frozen is not None:
            return "frozen"
        return "overlap" if self.overlap and not self.replace else "ok"


def preview_weather(
    session: Session,
    actor: Actor,
    station_id: int | str,
    stream: IO[bytes],
    *,
    filename: str,
    replace: bool = False,
) -> WeatherPreview:
    """Check a temperature file exactly as :func:`import_weather` would, writing nothing.

    Raises:
        NotFound, Forbidden: as the import (file problems and overlaps are returned).
    """
    station = _writable_station(session, actor, station_id)
    parsed = _parse(station, stream, filename)
    if parsed.problems:
        return WeatherPreview(station, filename, replace, problems=parsed.problems)
    zone = ZoneInfo(station.timezone)
    starts, temps = parsed.starts, parsed.temps
    return WeatherPreview(
        station,
        filename,
        replace,
        rows=len(starts),
        first=dt.datetime.fromtimestamp(starts[0], zone),
        last=dt.datetime.fromtimestamp(starts[-1], zone),
        sample=tuple(
            (dt.datetime.fromtimestamp(s, zone), t)
            for s, t in zip(starts[:SAMPLE_ROWS], temps[:SAMPLE_ROWS], strict=True)
        ),
        overlap=_stored_between(session, station, starts[0], starts[-1] + 1),
        frozen=rights.station_frozen_conflict(session, station.id, starts[0], starts[-1] + 1),
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
    """The weather stations the actor sees (reference ones and those shared with it), by code.

    Raises:
        Forbidden: not signed in.
    """
    if actor is None:
        raise Forbidden(msg("forbidden.sign_in"))
    return list(session.scalars(scoped(actor, WeatherStation).order_by(WeatherStation.code)))


def station_by_id(session: Session, station_id: int, actor: Actor | None = None) -> WeatherStation:
    """A station by its id (NotFound otherwise, or if ``actor`` is given and does not see it)."""
    if actor is not None:
        return load(session, actor, WeatherStation, station_id)
    station = session.get(WeatherStation, station_id)
    if station is None:
        raise NotFound(msg("not_found", what=record("WeatherStation"), id=station_id))
    return station


def station_summary(
    session: Session, station: WeatherStation
) -> tuple[int, int | None, int | None]:
    """(count, first start, last start) of a station's stored temperatures (epoch seconds)."""
    n, lo, hi = session.execute(
        text(
            "SELECT count(*), min(start_ts), max(start_ts) FROM temperature_readings"
            " WHERE station_id = :s"
        ),
        {"s": station.id},
    ).one()
    return int(n), lo, hi


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
        raise Forbidden(msg("forbidden.sign_in"))
    station = station_by_id(session, station_id, actor)
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise Invalid(
                msg("facilities.needs_utc_offset"),
                fields={name: [msg("facilities.needs_utc_offset")]},
            )
    lo = int(start.timestamp()) if start is not None else -(2**62)
    hi = int(end.timestamp()) if end is not None else 2**62
    if hi <= lo:
        raise Invalid(
            msg("facilities.end_before_start"), fields={"end": [msg("field.after_start")]}
        )
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

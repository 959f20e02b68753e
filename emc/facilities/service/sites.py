"""Use cases for sites, buildings and meters, and the link of sites to EMC projects.

Each function takes ``(session, actor, ...)``, checks permission and visibility first, flushes but
never commits, and journals what it changed. Creation checks the permission first and then
treats a parent the actor may not see exactly like one that does not exist (an ``Invalid`` on
the field), so that existence does not leak; changes load the object first (404 for another
tenant's) and then check the permission.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emc import clock, journal
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, Region
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.energy import Carrier, UnitError, unit_for
from emc.errors import Conflict, Invalid, NotFound
from emc.facilities import rollup
from emc.facilities.ingest import MeterKind, MeterSpec
from emc.facilities.models import (
    Building,
    BuildingType,
    ClimateZone,
    Meter,
    MeterReading,
    Site,
    WeatherStation,
)
from emc.messages import msg

log = logging.getLogger(__name__)

SITE_FIELDS = (
    "organization_id",
    "name",
    "address",
    "region_code",
    "timezone",
    "weather_station_id",
)
BUILDING_FIELDS = (
    "site_id",
    "name",
    "floor_area_m2",
    "building_type",
    "year_built",
    "occupants",
    "climate_zone",
)
METER_FIELDS = (
    "site_id",
    "building_id",
    "name",
    "carrier",
    "unit",
    "kind",
    "interval_minutes",
    "multiplier",
    "parent_meter_id",
    "serial_number",
    "rollover",
    "max_per_hour",
)
# What defines the stored values: these cannot change once readings exist.
_METER_DATA_FIELDS = ("carrier", "unit", "kind", "interval_minutes")


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, fields={field: [message]})


def _visible_or_invalid(session: Session, actor: Actor, model: type, obj_id: Any, field: str):
    try:
        return load(session, actor, model, obj_id)
    except NotFound:
        # A forged or foreign id reads exactly like one that does not exist.
        raise _invalid(field, f"unknown {model.__name__.lower()} {obj_id!r}") from None


# --- sites ---------------------------------------------------------------------------------


def create_site(session: Session, actor: Actor, **data: Any) -> Site:
    """Create a site of an institution.

    ``organization_id`` defaults to the actor's own organisation; a platform admin names the
    institution. ``data`` has been loaded by ``SiteIn``.

    Raises:
        Forbidden: the actor may not manage facilities. Invalid: unknown or non-institution
            organisation, unknown region, time zone or weather station, duplicate name.
    """
    require(actor, Permission.FACILITIES_MANAGE)
    if data.get("organization_id") is None:
        data["organization_id"] = actor.organization_id
    org = _visible_or_invalid(
        session, actor, Organization, data["organization_id"], "organization_id"
    )
    if not actor.is_platform_admin and org.id != actor.organization_id:
        raise _invalid("organization_id", f"unknown organization {org.id!r}")
    if org.kind is not OrgKind.INSTITUTION:
        raise _invalid("organization_id", "sites belong to public institutions")
    _check_site(session, actor, data)
    site = Site(**data)
    journal.add_created(session, actor, site, fields=SITE_FIELDS, organization_id=org.id)
    log.info("site %s created by %s", site.id, actor.label)
    return site


def update_site(session: Session, actor: Actor, site_id: int, **changes: Any) -> Site:
    """Change a site's name, address, region, time zone or weather station.

    Raises:
        NotFound: not visible. Forbidden: may not manage. Invalid: as :func:`create_site`.
    """
    site = load(session, actor, Site, site_id)
    require(actor, Permission.FACILITIES_MANAGE)
    if "organization_id" in changes and changes["organization_id"] != site.organization_id:
        raise _invalid("organization_id", "a site cannot move to another organisation")
    before = journal.snapshot(site, SITE_FIELDS)
    _check_site(session, actor, {**before, **changes}, exclude_id=site.id)
    journal.apply_update(
        session,
        actor,
        site,
        changes,
        before=before,
        fields=SITE_FIELDS,
        organization_id=site.organization_id,
    )
    if site.timezone != before["timezone"]:
        # Local days moved: the daily totals of every meter of the site are recomputed.
        for meter_id in session.scalars(select(Meter.id).where(Meter.site_id == site.id)):
            rollup.rebuild(session, meter_id, site.timezone)
    return site


def _check_site(
    session: Session, actor: Actor, data: dict[str, Any], exclude_id: int | None = None
) -> None:
    fields: dict[str, list[str]] = {}
    if session.get(Region, data["region_code"]) is None:
        fields["region_code"] = [msg("facilities.unknown_region_code", code=data["region_code"])]
    try:
        ZoneInfo(data.get("timezone") or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        fields["timezone"] = [msg("facilities.not_a_time_zone", zone=data.get("timezone"))]
    station_id = data.get("weather_station_id")
    if station_id is not None:
        # A reference station or one of the site's own institution, that the actor sees: another
        # institution's station is not the site's to use (its owner may change it at any time).
        station = session.scalar(
            scoped(actor, WeatherStation).where(WeatherStation.id == station_id)
        )
        if station is None or station.organization_id not in (None, data["organization_id"]):
            fields["weather_station_id"] = ["not a weather station this site may use"]
    stmt = select(Site.id).where(
        Site.organization_id == data["organization_id"], Site.name == data["name"]
    )
    if exclude_id is not None:
        stmt = stmt.where(Site.id != exclude_id)
    if session.scalar(stmt) is not None:
        fields["name"] = ["the organisation already has a site with this name"]
    if fields:
        raise Invalid(msg("facilities.site_has_invalid_fields"), fields=fields)


# --- buildings -----------------------------------------------------------------------------


def create_building(session: Session, actor: Actor, **data: Any) -> Building:
    """Add a building to a site the actor manages (``data`` loaded by ``BuildingIn``).

    Raises:
        Forbidden: may not manage. Invalid: unknown site, duplicate name, bad values.
    """
    require(actor, Permission.FACILITIES_MANAGE)
    site = _visible_or_invalid(session, actor, Site, data["site_id"], "site_id")
    _check_building(session, {**data, "site_id": site.id})
    building = Building(**data)
    journal.add_created(
        session, actor, building, fields=BUILDING_FIELDS, organization_id=site.organization_id
    )
    return building


def update_building(session: Session, actor: Actor, building_id: int, **changes: Any) -> Building:
    """Change a building (not its site)."""
    building = load(session, actor, Building, building_id)
    require(actor, Permission.FACILITIES_MANAGE)
    if "site_id" in changes and changes["site_id"] != building.site_id:
        raise _invalid("site_id", "a building cannot move to another site")
    before = journal.snapshot(building, BUILDING_FIELDS)
    _check_building(session, {**before, **changes}, exclude_id=building.id)
    site = session.get(Site, building.site_id)
    journal.apply_update(
        session,
        actor,
        building,
        changes,
        before=before,
        fields=BUILDING_FIELDS,
        organization_id=site.organization_id,
    )
    return building


FIRST_YEAR_BUILT = 1800


def year_built_problem(year: int | None) -> str | None:
    """Why ``year`` cannot be a building's year of construction (not before 1800, not after
    this year), or None."""
    last = clock.now().year
    if year is None or FIRST_YEAR_BUILT <= year <= last:
        return None
    return msg("facilities.year_built_range", first=FIRST_YEAR_BUILT, last=last, year=year)


def _check_building(session: Session, data: dict[str, Any], exclude_id: int | None = None):
    fields: dict[str, list[str]] = {}
    if (problem := year_built_problem(data.get("year_built"))) is not None:
        fields["year_built"] = [problem]
    if Decimal(data["floor_area_m2"]) <= 0:
        fields["floor_area_m2"] = ["must be greater than 0 m²"]
    BuildingType(data["building_type"])
    ClimateZone(data["climate_zone"])
    stmt = select(Building.id).where(
        Building.site_id == data["site_id"], Building.name == data["name"]
    )
    if exclude_id is not None:
        stmt = stmt.where(Building.id != exclude_id)
    if session.scalar(stmt) is not None:
        fields["name"] = ["the site already has a building with this name"]
    if fields:
        raise Invalid(msg("facilities.building_has_invalid_fields"), fields=fields)


# --- meters --------------------------------------------------------------------------------


def meter_spec(meter: Meter, site: Site) -> MeterSpec:
    """What an upload for ``meter`` is read against (the pure ingest module's view of it)."""
    return MeterSpec(
        carrier=Carrier(meter.carrier).value,
        unit=meter.unit,
        kind=MeterKind(meter.kind).value,
        interval_minutes=meter.interval_minutes,
        multiplier=float(meter.multiplier),
        timezone=site.timezone,
        rollover=float(meter.rollover) if meter.rollover is not None else None,
        max_per_hour=float(meter.max_per_hour) if meter.max_per_hour is not None else None,
    )


def create_meter(session: Session, actor: Actor, **data: Any) -> Meter:
    """Add a meter to a site the actor manages (``data`` loaded by ``MeterIn``).

    The unit is stored in its canonical spelling (``度`` → ``kWh``) and must fit the carrier.

    Raises:
        Forbidden: may not manage. Invalid: unknown site/building/parent, a unit that does not
            fit the carrier, an interval that does not divide a day, duplicate name.
    """
    require(actor, Permission.FACILITIES_MANAGE)
    site = _visible_or_invalid(session, actor, Site, data["site_id"], "site_id")
    data.setdefault("multiplier", Decimal(1))
    _check_meter(session, site, data)
    meter = Meter(**data)
    journal.add_created(
        session, actor, meter, fields=METER_FIELDS, organization_id=site.organization_id
    )
    log.info("meter %s created by %s", meter.id, actor.label)
    return meter


def update_meter(session: Session, actor: Actor, meter_id: int, **changes: Any) -> Meter:
    """Change a meter. Carrier, unit, kind and interval are fixed once readings are stored
    (the stored values are in that unit and on that grid); a new multiplier or rollover applies
    to later uploads only.

    Raises:
        NotFound, Forbidden, Invalid (as :func:`create_meter`), Conflict: data fields changed
            on a meter with readings.
    """
    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_MANAGE)
    if "site_id" in changes and changes["site_id"] != meter.site_id:
        raise _invalid("site_id", "a meter cannot move to another site")
    before = journal.snapshot(meter, METER_FIELDS)
    merged = {**before, **changes}
    site = session.get(Site, meter.site_id)
    _check_meter(session, site, merged, exclude_id=meter.id)
    changed_data = [f for f in _METER_DATA_FIELDS if str(merged[f]) != str(before[f])]
    if changed_data:
        stored = session.scalar(
            select(func.count()).select_from(MeterReading).where(MeterReading.meter_id == meter.id)
        )
        if stored:
            raise Conflict(
                msg("facilities.meter_has_readings", count=stored, unit=meter.unit),
                fields={f: [msg("facilities.fixed_once_readings")] for f in changed_data},
            )
    journal.apply_update(
        session,
        actor,
        meter,
        {key: merged[key] for key in changes},
        before=before,
        fields=METER_FIELDS,
        organization_id=site.organization_id,
    )
    return meter


def _check_meter(
    session: Session, site: Site, data: dict[str, Any], exclude_id: int | None = None
) -> None:
    """Validate and normalise ``data`` in place (canonical unit, enums)."""
    fields: dict[str, list[str]] = {}
    carrier = Carrier(data["carrier"])
    kind = MeterKind(data["kind"])
    data["carrier"], data["kind"] = carrier, kind
    # As stored (Numeric(12, 4)), so the object reads the same before and after a reload.
    data["multiplier"] = Decimal(str(data.get("multiplier") or 1)).quantize(Decimal("0.0001"))
    try:
        data["unit"] = unit_for(carrier, data["unit"]).value
    except UnitError as exc:
        fields["unit"] = [str(exc)]
    if kind is not MeterKind.INTERVAL and data.get("interval_minutes") is not None:
        fields["interval_minutes"] = ["only interval meters have an interval"]
    if kind is not MeterKind.REGISTER and data.get("rollover") is not None:
        fields["rollover"] = ["only register meters roll over"]
    minutes = data.get("interval_minutes")
    if kind is MeterKind.INTERVAL and (minutes is None or minutes <= 0 or 1440 % minutes):
        fields["interval_minutes"] = [
            msg("field.required")
            if minutes is None
            else msg("facilities.interval_divides_day", minutes=minutes)
        ]
    if "unit" not in fields and "interval_minutes" not in fields:
        try:
            MeterSpec(
                carrier=carrier.value,
                unit=data["unit"],
                kind=kind.value,
                interval_minutes=data.get("interval_minutes"),
                multiplier=float(data.get("multiplier") or 1),
                timezone=site.timezone,
                rollover=float(data["rollover"]) if data.get("rollover") is not None else None,
                max_per_hour=float(data["max_per_hour"])
                if data.get("max_per_hour") is not None
                else None,
            )
        except ValueError as exc:
            message = str(exc)
            field = (
                "interval_minutes"
                if "interval" in message
                else "multiplier"
                if "multiplier" in message
                else "max_per_hour"
                if "max_per_hour" in message
                else "rollover"
            )
            fields[field] = [message]
    building_id = data.get("building_id")
    if building_id is not None:
        building = session.get(Building, building_id)
        if building is None or building.site_id != site.id:
            fields["building_id"] = [f"no building {building_id!r} on this site"]
    parent_id = data.get("parent_meter_id")
    if parent_id is not None:
        problem = _parent_problem(session, site, parent_id, exclude_id)
        if problem:
            fields["parent_meter_id"] = [problem]
    stmt = select(Meter.id).where(Meter.site_id == site.id, Meter.name == data["name"])
    if exclude_id is not None:
        stmt = stmt.where(Meter.id != exclude_id)
    if session.scalar(stmt) is not None:
        fields["name"] = ["the site already has a meter with this name"]
    if fields:
        raise Invalid(msg("facilities.meter_has_invalid_fields"), fields=fields)


def _parent_problem(session: Session, site: Site, parent_id: int, meter_id: int | None) -> str:
    seen = {meter_id} if meter_id is not None else set()
    current = parent_id
    while current is not None:
        if current in seen:
            return "a meter cannot be its own (indirect) parent"
        parent = session.get(Meter, current)
        if parent is None or parent.site_id != site.id:
            return f"no meter {current!r} on this site"
        seen.add(current)
        current = parent.parent_meter_id
    return ""


def retire_meter(
    session: Session, actor: Actor, meter_id: int, *, reason: str, version: int | None = None
) -> Meter:
    """Take a meter out of service. Its readings, uploads and the baselines and reports built on
    them stay; it accepts no new readings. A meter is never deleted: readings are evidence.

    Raises:
        NotFound: not visible. Forbidden: may not manage. Invalid: no reason.
        Conflict: already retired.
    """
    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_MANAGE)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", "say why the meter is retired")
    if meter.retired_at is not None:
        raise Conflict(
            msg("facilities.meter_already_retired"),
            fields={"reason": [msg("facilities.meter_already_retired")]},
        )
    site = session.get(Site, meter.site_id)
    meter.retired_at = clock.now()
    meter.retired_reason = reason[:500]
    session.flush()
    journal.record(
        session,
        actor,
        "retire_meter",
        meter,
        organization_id=site.organization_id,
        after={"retired_at": meter.retired_at.isoformat(), "reason": meter.retired_reason},
        summary=f"meter {meter.id} retired",
    )
    log.info("meter %s retired by %s", meter.id, actor.label)
    return meter

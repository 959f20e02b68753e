"""Annual energy statistics from a spreadsheet (XLSX) or summed from the institution's main
meters."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.energy import Carrier, UnitError
from emc.energy import unit_for as energy_unit_for
from emc.errors import Invalid
from emc.facilities.models import Building, Meter, Site
from emc.messages import msg
from emc.programme.models import (
    FIRST_YEAR,
    LAST_YEAR,
    InstitutionEnergyStat,
    StatSource,
)
from emc.programme.service.statistics import (
    CarrierFigure,
    _require_institution,
    _save_stat,
    factor_set,
)

# Column titles of the import sheet (Chinese or English), one row per year and carrier.
_IMPORT_HEADERS = {
    "year": ("year", "年份", "年度"),
    "floor_area_m2": ("floor_area_m2", "floor area", "建筑面积", "建筑面积(m²)", "建筑面积(m2)"),
    "occupants": ("occupants", "用能人数", "人数"),
    "carrier": ("carrier", "能源品种", "能源种类"),
    "quantity": ("quantity", "消费量", "用量", "数量"),
    "unit": ("unit", "单位", "计量单位"),
}
CARRIER_NAMES = {
    "电力": Carrier.ELECTRICITY,
    "电": Carrier.ELECTRICITY,
    "天然气": Carrier.NATURAL_GAS,
    "热力": Carrier.DISTRICT_HEAT,
    "煤炭": Carrier.COAL,
    "原煤": Carrier.COAL,
    "柴油": Carrier.DIESEL,
    "汽油": Carrier.GASOLINE,
    "液化石油气": Carrier.LPG,
    "燃料油": Carrier.FUEL_OIL,
    "水": Carrier.WATER,
    "光伏发电": Carrier.PV_GENERATION,
}


def _header_map(header: tuple) -> dict[str, int]:
    norm = [str(h).strip().lower() if h is not None else "" for h in header]
    found = {}
    for key, names in _IMPORT_HEADERS.items():
        for i, text in enumerate(norm):
            if text in {n.lower() for n in names}:
                found[key] = i
                break
    missing = [
        k for k in ("year", "floor_area_m2", "carrier", "quantity", "unit") if k not in found
    ]
    if missing:
        raise Invalid(
            msg("programme.sheet_lacks_required_columns"),
            fields={"file": [msg("file.missing_columns", columns=", ".join(missing))]},
        )
    return found


def _decimal_cell(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("is required")
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except ArithmeticError:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError("must be a number ≥ 0")
    return number


def import_stats(
    session: Session, actor: Actor, stream: IO[bytes], *, filename: str
) -> list[InstitutionEnergyStat]:
    """Import statistics from an XLSX sheet with one row per year and carrier (columns year,
    floor_area_m2, occupants, carrier, quantity, unit; Chinese titles accepted).

    All or nothing: every row is checked first, and any problem raises Invalid with one field
    per problem (``row 3.unit``); nothing is written unless every row is valid.
    """
    _require_institution(actor)
    import openpyxl

    if not filename.lower().endswith(".xlsx"):
        raise Invalid(
            msg("programme.not_xlsx_file"), fields={"file": [msg("programme.upload_xlsx_workbook")]}
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(stream.read()), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 — any unreadable file is the user's input error
        raise Invalid(
            msg("programme.unreadable_workbook"), fields={"file": [str(error)[:200]]}
        ) from None
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        raise Invalid(
            msg("programme.empty_sheet"), fields={"file": [msg("programme.first_sheet_empty")]}
        )
    cols = _header_map(rows[0])
    problems: dict[str, list[str]] = {}
    years: dict[int, dict[str, Any]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in row):
            continue

        def cell(key: str, row=row):
            i = cols.get(key)
            return row[i] if i is not None and i < len(row) else None

        where = f"row {n}"
        try:
            year = int(_decimal_cell(cell("year")))
            if not 2000 <= year <= 2100:
                raise ValueError("must be between 2000 and 2100")
        except ValueError as error:
            problems[f"{where}.year"] = [str(error)]
            continue
        entry = years.setdefault(year, {"area": None, "occupants": None, "figures": [], "rows": []})
        try:
            area = _decimal_cell(cell("floor_area_m2"))
            if area <= 0:
                raise ValueError("must be more than 0")
            if entry["area"] is not None and entry["area"] != area:
                raise ValueError(f"differs from {entry['area']} given for {year} above")
            entry["area"] = area
        except ValueError as error:
            problems[f"{where}.floor_area_m2"] = [str(error)]
        occ = cell("occupants")
        if occ not in (None, ""):
            try:
                entry["occupants"] = int(_decimal_cell(occ))
            except ValueError as error:
                problems[f"{where}.occupants"] = [str(error)]
        raw = str(cell("carrier") or "").strip()
        carrier = CARRIER_NAMES.get(raw) or (raw.lower() if raw.lower() in set(Carrier) else None)
        if carrier is None:
            problems[f"{where}.carrier"] = [f"unknown carrier {raw!r}"]
            continue
        try:
            quantity = _decimal_cell(cell("quantity"))
        except ValueError as error:
            problems[f"{where}.quantity"] = [str(error)]
            continue
        unit = str(cell("unit") or "").strip()
        try:
            energy_unit_for(carrier, unit)
        except UnitError as error:
            problems[f"{where}.unit"] = [str(error)]
            continue
        if any(f.carrier == str(carrier) for f in entry["figures"]):
            problems[f"{where}.carrier"] = [f"{carrier} is given twice for {year}"]
            continue
        entry["figures"].append(CarrierFigure(str(carrier), quantity, unit, StatSource.IMPORTED))
        entry["rows"].append(n)
    if not years and not problems:
        raise Invalid(
            msg("programme.no_data_rows"),
            fields={"file": [msg("programme.sheet_has_no_data_rows")]},
        )
    if problems:
        raise Invalid(msg("file.problems_in", file=filename, count=len(problems)), fields=problems)
    factors = factor_set(session)
    saved = []
    for year, entry in sorted(years.items()):
        try:
            saved.append(
                _save_stat(
                    session,
                    actor,
                    factors,
                    year=year,
                    floor_area_m2=entry["area"],
                    occupants=entry["occupants"],
                    figures=entry["figures"],
                    area_source=StatSource.IMPORTED,
                )
            )
        except Invalid as error:
            # Name the sheet rows, not the positions inside one year's carriers.
            fields = {}
            for key, messages in error.fields.items():
                index, _, rest = key.removeprefix("carriers.").partition(".")
                row = entry["rows"][int(index)] if index.isdigit() else "?"
                fields[f"row {row}.{rest or key}"] = messages
            raise Invalid(
                msg("file.problems_in", file=filename, count=sum(len(v) for v in fields.values())),
                fields=fields,
            ) from None
    return saved


def _year_bounds(zone: str, year: int) -> tuple[int, int]:
    tz = ZoneInfo(zone)
    lo = dt.datetime(year, 1, 1, tzinfo=tz)
    hi = dt.datetime(year + 1, 1, 1, tzinfo=tz)
    return int(lo.timestamp()), int(hi.timestamp())


def stats_from_meters(session: Session, actor: Actor, *, year: int) -> InstitutionEnergyStat:
    """Sum the institution's main meters (those without a parent meter, so sub-meters are not
    counted twice) over the local calendar ``year`` of each site, in SQL; floor area and
    occupants from its building register. A reading counts in the year its period starts."""
    _require_institution(actor)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        # The API's schema bounds the year too; a page posts what was typed.
        raise Invalid(
            msg("programme.stat_has_invalid_fields"),
            fields={"year": [msg("programme.year_between", first=FIRST_YEAR, last=LAST_YEAR)]},
        )
    sites = session.execute(
        select(Site.id, Site.timezone).where(Site.organization_id == actor.organization_id)
    ).all()
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    from emc.facilities.models import MeterReading

    for site_id, zone in sites:
        lo, hi = _year_bounds(zone, year)
        rows = session.execute(
            select(Meter.carrier, Meter.unit, func.sum(MeterReading.value))
            .join(MeterReading, MeterReading.meter_id == Meter.id)
            .where(
                Meter.site_id == site_id,
                Meter.parent_meter_id.is_(None),
                MeterReading.start_ts >= lo,
                MeterReading.start_ts < hi,
            )
            .group_by(Meter.carrier, Meter.unit)
        ).all()
        for carrier, unit, total in rows:
            if total is not None:
                totals[(str(carrier), unit)] += Decimal(str(total))
    if not totals:
        raise Invalid(
            msg("programme.no_meter_readings"),
            fields={"year": [msg("programme.no_readings_in", year=year)]},
        )
    area, occupants = session.execute(
        select(func.sum(Building.floor_area_m2), func.sum(Building.occupants))
        .join(Site, Site.id == Building.site_id)
        .where(Site.organization_id == actor.organization_id)
    ).one()
    if not area:
        raise Invalid(
            msg("programme.no_buildings"),
            fields={"floor_area_m2": [msg("programme.register_buildings_floor_area_first")]},
        )
    # Quantities of one carrier in different units are brought to its canonical unit.
    merged: dict[str, tuple[Decimal, str]] = {}
    from emc.energy import canonical_unit, convert

    for (carrier, unit), total in sorted(totals.items()):
        canon = canonical_unit(carrier)
        value = convert(total, unit, canon, carrier)
        prev = merged.get(carrier, (Decimal(0), canon.value))[0]
        merged[carrier] = (prev + value, canon.value)
    figures = [
        CarrierFigure(
            c, q.quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN), u, StatSource.METERS
        )
        for c, (q, u) in merged.items()
    ]
    return _save_stat(
        session,
        actor,
        factor_set(session),
        year=year,
        floor_area_m2=Decimal(area),
        occupants=int(occupants) if occupants is not None else None,
        figures=figures,
        area_source=StatSource.METERS,
    )

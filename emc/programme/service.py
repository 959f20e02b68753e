"""Use cases of programme tracking: targets, annual energy statistics, the dashboard, project
lists, and the nightly snapshot.

Each user action takes ``(session, actor, *, ...)``, checks the permission first (agencies only
for targets and dashboards: 403 for everyone else), loads through the scoped loader (another
region's target is 404), flushes but never commits, and journals what it changed.

Aggregates are grouped in the database. The counting rule is written once in words and as a
pure function in :mod:`emc.programme.stats`, and once as the SQL condition :func:`counted`
below; the tests check that both agree. Verified savings are the figures of **accepted** M&V
reports (``mv_reports``: the latest accepted version of each project and period).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    delete,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.exc import StaleDataError

from emc import clock, journal
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, Region
from emc.auth.permissions import Permission, can
from emc.auth.policy import load, region_filter, require, scope_condition, scoped
from emc.auth.regions import in_subtree, is_valid_code, level_of, parent_of
from emc.contracts.finance import ContractType
from emc.contracts.models import Contract, EmcProject, Investor, ProjectStatus
from emc.energy import DEFAULT_FACTORS, Carrier, Factor, FactorNotFound, FactorSet, UnitError
from emc.energy import unit_for as energy_unit_for
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.facilities.models import Building, EmissionFactor, Meter, Site
from emc.i18n import N_
from emc.mv.models import MvReport, ReportStatus
from emc.programme import stats
from emc.programme.models import (
    InstitutionEnergyCarrier,
    InstitutionEnergyStat,
    Metric,
    ProgrammeSnapshot,
    ProgrammeTarget,
    StatSource,
)

log = logging.getLogger(__name__)

# The service's local calendar (DESIGN: institutions are in China; Asia/Shanghai has no DST).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_WINDOW = (2021, 2025)
DEFAULT_BASE_YEAR = 2020
TARGET_FIELDS = (
    "region_code",
    "metric",
    "start_year",
    "end_year",
    "project_count",
    "reduction_pct",
    "base_year",
    "note",
    "set_by_organization_id",
)
STAT_FIELDS = (
    "year",
    "floor_area_m2",
    "floor_area_source",
    "occupants",
    "occupants_source",
    "energy_tce",
    "co2_t",
)
# Private capital: the ESCO's own and a lessor's; shared investment is reported beside it.
PRIVATE_INVESTORS = (Investor.ESCO, Investor.LESSOR)


def local_today() -> dt.date:
    return clock.now().astimezone(LOCAL_ZONE).date()


# --- the counting rule in SQL ----------------------------------------------------------------


def counted() -> ColumnElement[bool]:
    """SQL twin of :func:`emc.programme.stats.count_decision`: signed, in a signed status, and
    not terminated before operation started."""
    signed = [ProjectStatus(s) for s in sorted(stats.SIGNED_STATUSES)]
    return and_(
        EmcProject.signed_on.is_not(None),
        EmcProject.status.in_(signed),
        or_(
            EmcProject.status != ProjectStatus.TERMINATED,
            EmcProject.operation_start_on.is_not(None),
        ),
    )


def _contract_type_key() -> ColumnElement[str]:
    # Projects without a contract yet are grouped under "none".
    return func.coalesce(Contract.contract_type, literal("none"), type_=String(30))


def _in_window(start_year: int, end_year: int) -> ColumnElement[bool]:
    return and_(
        EmcProject.signed_on >= dt.date(start_year, 1, 1),
        EmcProject.signed_on < dt.date(end_year + 1, 1, 1),
    )


def _region_projects(region: str) -> Select:
    """Projects of the institutions in ``region``'s subtree, joined to their institution (its
    region *now*: see the counting rule) and, if any, their contract."""
    return (
        select()
        .select_from(EmcProject)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .outerjoin(Contract, Contract.project_id == EmcProject.id)
        .where(
            Organization.kind == OrgKind.INSTITUTION,
            region_filter(Organization.region_code, region),
        )
    )


# --- access ----------------------------------------------------------------------------------


def _agency_region(actor: Actor, region: str | None) -> str:
    """The region an agency asks about (default: its own), or NotFound outside its subtree."""
    require(actor, Permission.PROGRAMME_READ)
    region = region or actor.region_code
    if not is_valid_code(region) or not in_subtree(region, actor.region_code):
        raise NotFound(f"region {region!r} not found")
    return region


def region_names(session: Session, codes, locale: str = "zh_CN") -> dict[str, str]:
    codes = set(codes)
    rows = session.execute(
        select(Region.code, Region.name_zh, Region.name_en).where(Region.code.in_(codes))
    ).all()
    names = {c: (en if locale == "en" and en else zh) for c, zh, en in rows}
    return {c: names.get(c, c) for c in codes}


def breadcrumb(session: Session, actor: Actor, region: str, locale: str) -> list[dict[str, str]]:
    """From the actor's own region down to ``region``."""
    chain, code = [], region
    while code is not None:
        chain.append(code)
        if code == actor.region_code:
            break
        code = parent_of(code)
    chain.reverse()
    names = region_names(session, chain, locale)
    return [{"code": c, "name": names[c]} for c in chain]


# --- targets ---------------------------------------------------------------------------------


def list_targets(
    session: Session, actor: Actor, *, region: str | None = None, metric: Metric | None = None
) -> list[ProgrammeTarget]:
    """Targets the agency may see (its subtree and its ancestors'), by region and window."""
    require(actor, Permission.PROGRAMME_READ)
    stmt = scoped(actor, ProgrammeTarget)
    if region is not None:
        stmt = stmt.where(ProgrammeTarget.region_code == region)
    if metric is not None:
        stmt = stmt.where(ProgrammeTarget.metric == metric)
    return list(
        session.scalars(
            stmt.order_by(
                ProgrammeTarget.region_code, ProgrammeTarget.metric, ProgrammeTarget.start_year
            )
        )
    )


def get_target(session: Session, actor: Actor, target_id: int) -> ProgrammeTarget:
    require(actor, Permission.PROGRAMME_READ)
    return load(session, actor, ProgrammeTarget, target_id)


def _check_target_values(data: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    if data["end_year"] < data["start_year"]:
        problems["end_year"] = [N_("must not be before start_year")]
    if data["metric"] is Metric.PROJECTS:
        if data.get("project_count") is None:
            problems["project_count"] = [N_("is required for a project-count target")]
        if data.get("reduction_pct") is not None:
            problems["reduction_pct"] = [N_("applies to intensity targets only")]
        if data.get("base_year") is not None:
            problems["base_year"] = [N_("applies to intensity targets only")]
    else:
        if data.get("reduction_pct") is None:
            problems["reduction_pct"] = [N_("is required for an intensity target")]
        if data.get("base_year") is None:
            problems["base_year"] = [N_("is required for an intensity target")]
        elif data["base_year"] >= data["start_year"]:
            problems["base_year"] = [N_("must be before start_year")]
        if data.get("project_count") is not None:
            problems["project_count"] = [N_("applies to project-count targets only")]
    if problems:
        raise Invalid("invalid target", fields=problems)


def _same_window(session: Session, target: ProgrammeTarget) -> list[ProgrammeTarget]:
    return list(
        session.scalars(
            select(ProgrammeTarget).where(
                ProgrammeTarget.metric == target.metric,
                ProgrammeTarget.start_year == target.start_year,
                ProgrammeTarget.end_year == target.end_year,
                ProgrammeTarget.id != (target.id or 0),
            )
        )
    )


def _check_allocation(session: Session, target: ProgrammeTarget) -> None:
    """Allocations to sub-regions may not exceed the region's own target, on both sides of
    ``target``: its siblings' and its own share of its parent, and its children's share of it."""
    if target.metric is not Metric.PROJECTS:
        return
    others = _same_window(session, target)
    parent = parent_of(target.region_code)
    parent_target = next((t for t in others if t.region_code == parent), None)
    if parent_target is not None:
        siblings = [t.project_count for t in others if parent_of(t.region_code) == parent]
        problem = stats.allocation_problem(
            parent_target.project_count, [*siblings, target.project_count]
        )
        if problem:
            raise Invalid(
                f"the allocations of {parent} would exceed its target",
                fields={"project_count": [problem]},
            )
    children = [t.project_count for t in others if parent_of(t.region_code) == target.region_code]
    if children and sum(children) > target.project_count:
        raise Invalid(
            "the target is below what it already allocates",
            fields={
                "project_count": [
                    f"sub-regions are allocated {sum(children)} in total, more than "
                    f"{target.project_count}"
                ]
            },
        )


def _check_overlap(session: Session, target: ProgrammeTarget) -> None:
    clash = session.scalar(
        select(ProgrammeTarget.id).where(
            ProgrammeTarget.region_code == target.region_code,
            ProgrammeTarget.metric == target.metric,
            ProgrammeTarget.id != (target.id or 0),
            ProgrammeTarget.start_year <= target.end_year,
            ProgrammeTarget.end_year >= target.start_year,
        )
    )
    if clash is not None:
        raise Conflict(
            "a target of this region and metric already covers these years",
            fields={"start_year": [f"overlaps target {clash}"]},
        )


def create_target(session: Session, actor: Actor, **data: Any) -> ProgrammeTarget:
    """Set a target for the agency's own region or one in its subtree (``data`` from
    ``TargetIn``). Raises Invalid naming the field (region outside the subtree, values that do
    not fit the metric, allocations above the parent's target), Conflict for an overlap."""
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    region = data["region_code"]
    if not in_subtree(region, actor.region_code):
        raise Invalid(
            "region outside your area", fields={"region_code": [N_("not in your region")]}
        )
    if session.get(Region, region) is None:
        raise Invalid("unknown region", fields={"region_code": [N_("unknown division code")]})
    _check_target_values(data)
    target = ProgrammeTarget(set_by_organization_id=actor.organization_id, **data)
    _check_overlap(session, target)
    _check_allocation(session, target)
    session.add(target)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        target,
        organization_id=actor.organization_id,
        after=journal.snapshot(target, TARGET_FIELDS),
    )
    log.info("target %s for %s set by %s", target.id, region, actor.label)
    return target


def _editable(session: Session, actor: Actor, target: ProgrammeTarget) -> None:
    """A target is changed by the agency that set it or by an agency above that one: a city
    cannot rewrite the allocation its province gave it."""
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    setter_region = session.scalar(
        select(Organization.region_code).where(Organization.id == target.set_by_organization_id)
    )
    if not in_subtree(target.region_code, actor.region_code) or not (
        setter_region is not None and in_subtree(setter_region, actor.region_code)
    ):
        raise Forbidden("this target was set by a higher-level agency")


def update_target(
    session: Session, actor: Actor, target_id: int, *, version: int | None = None, **changes: Any
) -> ProgrammeTarget:
    """Change a target's values (not its region, metric or window: set a new one instead)."""
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    target = load(session, actor, ProgrammeTarget, target_id)
    _editable(session, actor, target)
    if version is not None and version != target.version:
        raise Conflict(
            "the target was changed meanwhile", fields={"version": [N_("stale: reload and retry")]}
        )
    before = journal.snapshot(target, TARGET_FIELDS)
    merged = {**{k: getattr(target, k) for k in TARGET_FIELDS}, **changes}
    _check_target_values(merged)
    # Checked on a detached probe first: a refused change must not linger in the session.
    _check_allocation(session, ProgrammeTarget(id=target.id, **merged))
    for key, value in changes.items():
        setattr(target, key, value)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "the target was changed meanwhile", fields={"version": [N_("stale")]}
        ) from None
    journal.record(
        session,
        actor,
        "update",
        target,
        organization_id=actor.organization_id,
        before=before,
        after=journal.snapshot(target, TARGET_FIELDS),
    )
    return target


def delete_target(session: Session, actor: Actor, target_id: int) -> None:
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    target = load(session, actor, ProgrammeTarget, target_id)
    _editable(session, actor, target)
    journal.record(
        session,
        actor,
        "delete",
        target,
        organization_id=actor.organization_id,
        before=journal.snapshot(target, TARGET_FIELDS),
    )
    session.delete(target)
    session.flush()


def _window_target(
    session: Session, region: str, metric: Metric, year: int, window: tuple[int, int] | None
) -> ProgrammeTarget | None:
    stmt = select(ProgrammeTarget).where(
        ProgrammeTarget.region_code == region, ProgrammeTarget.metric == metric
    )
    if window is not None:
        stmt = stmt.where(
            ProgrammeTarget.start_year == window[0], ProgrammeTarget.end_year == window[1]
        )
    rows = list(session.scalars(stmt.order_by(ProgrammeTarget.start_year)))
    current = [t for t in rows if t.start_year <= year <= t.end_year]
    return (current or rows[-1:] or [None])[0]


# --- annual energy statistics ----------------------------------------------------------------


def factor_set(session: Session) -> FactorSet:
    """The reference factors of the ``emission_factors`` table (the built-in defaults if the
    table is empty)."""
    rows = session.scalars(select(EmissionFactor)).all()
    if not rows:
        return FactorSet(DEFAULT_FACTORS)
    return FactorSet(
        Factor(
            carrier=r.carrier,
            kind=r.kind,
            value=Decimal(r.value),
            unit=r.unit,
            year=r.year,
            scope=r.scope,
            region=r.region,
            variant=r.variant,
            source=r.source,
        )
        for r in rows
    )


def list_stats(
    session: Session, actor: Actor, *, year: int | None = None, organization_id: int | None = None
) -> list[InstitutionEnergyStat]:
    """Statistics the actor may see: an institution's own (admin, energy manager) or those of
    the institutions in an agency's region."""
    if not (can(actor, Permission.PROGRAMME_STATS_MANAGE) or can(actor, Permission.PROGRAMME_READ)):
        raise Forbidden("not permitted: programme statistics")
    stmt = scoped(actor, InstitutionEnergyStat).options(
        selectinload(InstitutionEnergyStat.carriers)
    )
    if year is not None:
        stmt = stmt.where(InstitutionEnergyStat.year == year)
    if organization_id is not None:
        stmt = stmt.where(InstitutionEnergyStat.organization_id == organization_id)
    return list(
        session.scalars(
            stmt.order_by(InstitutionEnergyStat.organization_id, InstitutionEnergyStat.year.desc())
        )
    )


@dataclass(frozen=True)
class CarrierFigure:
    carrier: str
    quantity: Decimal
    unit: str
    source: StatSource


def _account_carriers(
    factors: FactorSet, figures: list[CarrierFigure], year: int, region: str, prefix: str
) -> tuple[list[InstitutionEnergyCarrier], list[str]]:
    problems: dict[str, list[str]] = {}
    rows, notes, seen = [], [], set()
    for i, fig in enumerate(figures):
        where = f"{prefix}{i}"
        if fig.carrier in seen:
            problems[f"{where}.carrier"] = [N_("is given twice")]
            continue
        seen.add(fig.carrier)
        try:
            unit = energy_unit_for(fig.carrier, fig.unit)
            done = stats.account(
                factors, fig.carrier, fig.quantity, unit, year=year, region_code=region
            )
        except UnitError as error:
            problems[f"{where}.unit"] = [str(error)]
            continue
        except (FactorNotFound, ValueError) as error:
            problems[f"{where}.carrier"] = [str(error)]
            continue
        notes.extend(done.notes)
        rows.append(
            InstitutionEnergyCarrier(
                carrier=str(fig.carrier),
                quantity=fig.quantity,
                unit=unit.value,
                source=fig.source,
                tce=done.tce.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN),
                co2_t=done.co2_t.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN),
            )
        )
    if problems:
        raise Invalid("invalid energy statistics", fields=problems)
    return rows, notes


def _require_institution(actor: Actor) -> None:
    require(actor, Permission.PROGRAMME_STATS_MANAGE)
    if actor.org_kind is not OrgKind.INSTITUTION:
        raise Forbidden("only an institution enters its energy statistics")


def _save_stat(
    session: Session,
    actor: Actor,
    factors: FactorSet,
    *,
    year: int,
    floor_area_m2: Decimal,
    occupants: int | None,
    figures: list[CarrierFigure],
    area_source: StatSource,
    field_prefix: str = "carriers.",
) -> InstitutionEnergyStat:
    carriers, notes = _account_carriers(factors, figures, year, actor.region_code, field_prefix)
    stat = session.scalar(
        select(InstitutionEnergyStat)
        .where(
            InstitutionEnergyStat.organization_id == actor.organization_id,
            InstitutionEnergyStat.year == year,
        )
        .options(selectinload(InstitutionEnergyStat.carriers))
    )
    before = journal.snapshot(stat, STAT_FIELDS) if stat is not None else None
    if stat is None:
        stat = InstitutionEnergyStat(organization_id=actor.organization_id, year=year, carriers=[])
        session.add(stat)
    else:
        stat.carriers.clear()
        session.flush()
    stat.floor_area_m2 = Decimal(floor_area_m2).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    stat.floor_area_source = area_source
    stat.occupants = occupants
    stat.occupants_source = area_source if occupants is not None else None
    stat.carriers.extend(carriers)
    stat.energy_tce = sum((c.tce for c in carriers), Decimal(0)).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_EVEN
    )
    stat.co2_t = sum((c.co2_t for c in carriers), Decimal(0)).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_EVEN
    )
    stat.factor_notes = sorted(set(notes))
    session.flush()
    after = journal.snapshot(stat, STAT_FIELDS)
    after["carriers"] = [
        {"carrier": c.carrier, "quantity": str(c.quantity), "unit": c.unit, "source": c.source}
        for c in carriers
    ]
    journal.record(
        session,
        actor,
        "create" if before is None else "update",
        stat,
        organization_id=actor.organization_id,
        before=before,
        after=after,
    )
    return stat


def save_stat(
    session: Session,
    actor: Actor,
    *,
    year: int,
    floor_area_m2: Decimal,
    occupants: int | None = None,
    carriers: list[dict[str, Any]],
) -> InstitutionEnergyStat:
    """Enter (or replace) the institution's statistics for ``year``: consumption by carrier in
    the given units, converted to tce and tCO2 with that year's reference factors.

    Raises Invalid naming ``carriers.<i>.unit`` / ``carriers.<i>.carrier`` for a unit that does
    not fit its carrier, a carrier given twice, or one without factors.
    """
    _require_institution(actor)
    if not carriers:
        raise Invalid(
            "no consumption given", fields={"carriers": [N_("enter at least one carrier")]}
        )
    figures = [
        CarrierFigure(str(c["carrier"]), Decimal(c["quantity"]), c["unit"], StatSource.ENTERED)
        for c in carriers
    ]
    return _save_stat(
        session,
        actor,
        factor_set(session),
        year=year,
        floor_area_m2=floor_area_m2,
        occupants=occupants,
        figures=figures,
        area_source=StatSource.ENTERED,
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
            "the sheet lacks required columns",
            fields={"file": [f"missing column(s): {', '.join(missing)}"]},
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
        raise Invalid("not an XLSX file", fields={"file": [N_("upload an .xlsx workbook")]})
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(stream.read()), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 — any unreadable file is the user's input error
        raise Invalid("unreadable workbook", fields={"file": [str(error)[:200]]}) from None
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        raise Invalid("empty sheet", fields={"file": [N_("the first sheet is empty")]})
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
        raise Invalid("no data rows", fields={"file": [N_("the sheet has no data rows")]})
    if problems:
        raise Invalid(
            f"{len(problems)} problem(s) in {filename}; nothing imported", fields=problems
        )
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
            raise Invalid(f"problems in {filename}; nothing imported", fields=fields) from None
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
        raise Invalid("no meter readings", fields={"year": [f"no meter readings in {year}"]})
    area, occupants = session.execute(
        select(func.sum(Building.floor_area_m2), func.sum(Building.occupants))
        .join(Site, Site.id == Building.site_id)
        .where(Site.organization_id == actor.organization_id)
    ).one()
    if not area:
        raise Invalid(
            "no buildings",
            fields={"floor_area_m2": [N_("register the buildings' floor area first")]},
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


# --- the dashboard ---------------------------------------------------------------------------


@dataclass
class Dashboard:
    """Everything the dashboard page, its JSON and its PDF show, for one region and window."""

    region: dict[str, Any]
    breadcrumb: list[dict[str, str]]
    window: dict[str, Any]
    as_of: dt.date
    counting_rule: str
    progress: dict[str, Any]
    monthly: list[dict[str, Any]]
    by_year: list[dict[str, Any]]
    by_type: list[dict[str, Any]]
    by_sector: list[dict[str, Any]]
    by_status: list[dict[str, Any]]
    children: list[dict[str, Any]]
    savings: dict[str, Any]
    investment: dict[str, Any]
    intensity: dict[str, Any]
    trend: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _child_prefix_len(region: str) -> int:
    return {"national": 2, "province": 4}.get(level_of(region).value, 6)


def _child_code(prefix: str) -> str:
    return prefix.ljust(6, "0")


def verified_savings(
    session: Session, region: str, *, until: dt.date | None = None
) -> dict[str, Any]:
    """Sums of the latest accepted M&V report of each project and period in ``region``:
    tce and tCO2 avoided and their value in yuan at contract prices; by year of period start."""
    newer = aliased(MvReport)
    latest = ~exists().where(
        newer.project_id == MvReport.project_id,
        newer.period_start == MvReport.period_start,
        newer.status == ReportStatus.ACCEPTED,
        newer.version > MvReport.version,
    )
    year = extract("year", MvReport.period_start)
    stmt = (
        select(
            year,
            func.coalesce(func.sum(MvReport.tce_avoided), 0),
            func.coalesce(func.sum(MvReport.tco2_avoided), 0),
            func.coalesce(func.sum(MvReport.savings_value), 0),
            func.count(MvReport.id),
        )
        .join(EmcProject, EmcProject.id == MvReport.project_id)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .where(
            MvReport.status == ReportStatus.ACCEPTED,
            latest,
            Organization.kind == OrgKind.INSTITUTION,
            region_filter(Organization.region_code, region),
        )
        .group_by(year)
        .order_by(year)
    )
    if until is not None:
        stmt = stmt.where(MvReport.accepted_on <= until)
    by_year = [
        {
            "year": int(y),
            "tce": Decimal(t),
            "tco2": Decimal(c),
            "cny": Decimal(v).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN),
            "reports": int(n),
        }
        for y, t, c, v, n in session.execute(stmt).all()
    ]
    return {
        "source": "mv_reports",
        "tce": sum((r["tce"] for r in by_year), Decimal(0)),
        "tco2": sum((r["tco2"] for r in by_year), Decimal(0)),
        "cny": sum((r["cny"] for r in by_year), Decimal("0.00")),
        "reports": sum(r["reports"] for r in by_year),
        "by_year": by_year,
    }


def _intensity(
    session: Session, region: str, window: tuple[int, int], as_of: dt.date
) -> dict[str, Any]:
    rows = session.execute(
        select(
            InstitutionEnergyStat.year,
            func.sum(InstitutionEnergyStat.energy_tce),
            func.sum(InstitutionEnergyStat.co2_t),
            func.sum(InstitutionEnergyStat.floor_area_m2),
            func.count(InstitutionEnergyStat.id),
        )
        .join(Organization, Organization.id == InstitutionEnergyStat.organization_id)
        .where(
            Organization.kind == OrgKind.INSTITUTION,
            region_filter(Organization.region_code, region),
        )
        .group_by(InstitutionEnergyStat.year)
        .order_by(InstitutionEnergyStat.year)
    ).all()
    years = [
        stats.intensity(int(y), Decimal(e or 0), Decimal(c or 0), Decimal(a or 0), int(n))
        for y, e, c, a, n in rows
    ]
    by_year = stats.series_by_year(years)
    energy_target = _window_target(session, region, Metric.ENERGY_INTENSITY, as_of.year, window)
    co2_target = _window_target(session, region, Metric.CO2_INTENSITY, as_of.year, window)
    base_year = (
        energy_target.base_year
        if energy_target
        else co2_target.base_year
        if co2_target
        else DEFAULT_BASE_YEAR
    )
    latest = max((y.year for y in years if base_year < y.year <= window[1]), default=None)
    base, cur = by_year.get(base_year), by_year.get(latest) if latest else None

    def change(metric: str, target: ProgrammeTarget | None):
        if base is None or cur is None:
            return None
        value = stats.intensity_change(
            getattr(base, metric),
            getattr(cur, metric),
            base_year,
            cur.year,
            target.reduction_pct if target else None,
        )
        return None if value is None else {**asdict(value), "met": value.met}

    return {
        "base_year": base_year,
        "latest_year": latest,
        "years": [
            {
                "year": y.year,
                "energy_tce": y.energy_tce,
                "co2_t": y.co2_t,
                "floor_area_m2": y.floor_area_m2,
                "institutions": y.institutions,
                "energy_kgce_per_m2": _r(y.energy_kgce_per_m2, 3),
                "co2_kg_per_m2": _r(y.co2_kg_per_m2, 3),
            }
            for y in years
        ],
        "energy": change("energy_kgce_per_m2", energy_target),
        "co2": change("co2_kg_per_m2", co2_target),
        "energy_target_pct": energy_target.reduction_pct if energy_target else None,
        "co2_target_pct": co2_target.reduction_pct if co2_target else None,
    }


def _r(value: Decimal | None, places: int) -> Decimal | None:
    return None if value is None else stats.round_to(value, places)


def dashboard(
    session: Session,
    actor: Actor,
    *,
    region: str | None = None,
    start_year: int | None = None,
    end_year: int | None = None,
    as_of: dt.date | None = None,
    locale: str = "zh_CN",
) -> Dashboard:
    """Progress of ``region`` (default: the agency's own) over a window of years: counts against
    the target with pace and projection, monthly cumulative counts, breakdowns, sub-regions,
    verified savings, investment mobilised, intensity change and the snapshot trend.

    Raises Forbidden without ``programme:read``; NotFound for a region outside the subtree.
    """
    region = _agency_region(actor, region)
    as_of = as_of or local_today()
    given = (start_year, end_year) if start_year and end_year else None
    target = _window_target(session, region, Metric.PROJECTS, as_of.year, given)
    if given:
        window = given
    elif target is not None:
        window = (target.start_year, target.end_year)
    else:
        window = DEFAULT_WINDOW
    if window[1] < window[0]:
        raise Invalid("bad window", fields={"end_year": [N_("must not be before start_year")]})
    base = _region_projects(region)
    in_window = and_(counted(), _in_window(*window))

    # Counted projects by type × sector × month in the window: one grouped query.
    y, m = extract("year", EmcProject.signed_on), extract("month", EmcProject.signed_on)
    ctype = _contract_type_key()
    sector = func.coalesce(Organization.sector, literal("other"), type_=String(20))
    rows = session.execute(
        base.add_columns(y, m, ctype, sector, func.count(EmcProject.id))
        .where(in_window)
        .group_by(y, m, ctype, sector)
    ).all()
    monthly: dict[tuple[int, int], int] = defaultdict(int)
    yearly: dict[int, int] = defaultdict(int)
    types: dict[str, int] = defaultdict(int)
    sectors: dict[str, int] = defaultdict(int)
    total = 0
    for yy, mm, t, s, n in rows:
        monthly[(int(yy), int(mm))] += n
        yearly[int(yy)] += n
        types[str(t)] += n
        sectors[str(s)] += n
        total += n
    end_month = min((as_of.year, as_of.month), (window[1], 12))
    cumulative = stats.cumulative(monthly, window[0], end_month)

    # Every project listed in the region by status (drafts included), and how many of them
    # are not counted because they were terminated before operation.
    status_rows = session.execute(
        base.add_columns(EmcProject.status, func.count(EmcProject.id)).group_by(EmcProject.status)
    ).all()
    terminated_early = session.scalar(
        base.add_columns(func.count(EmcProject.id)).where(
            EmcProject.status == ProjectStatus.TERMINATED,
            EmcProject.operation_start_on.is_(None),
            EmcProject.signed_on.is_not(None),
        )
    )

    # Sub-regions: counts by the leading digits of the institution's division code.
    plen = _child_prefix_len(region)
    prefix = func.substr(Organization.region_code, 1, plen)
    child_counts = dict(
        session.execute(
            base.add_columns(prefix, func.count(EmcProject.id)).where(in_window).group_by(prefix)
        ).all()
    )
    child_targets = {
        t.region_code: t.project_count
        for t in session.scalars(
            select(ProgrammeTarget).where(
                ProgrammeTarget.metric == Metric.PROJECTS,
                ProgrammeTarget.start_year == window[0],
                ProgrammeTarget.end_year == window[1],
                region_filter(ProgrammeTarget.region_code, region),
                ProgrammeTarget.region_code != region,
            )
        )
        if parent_of(t.region_code) == region
    }
    child_codes = {_child_code(p) for p in child_counts} | set(child_targets)
    if level_of(region).value in ("national", "province"):
        child_codes |= set(
            session.scalars(
                select(Region.code).where(region_filter(Region.code, region), Region.code != region)
            )
        )
        child_codes = {c for c in child_codes if parent_of(c) == region or c == region}
    names = region_names(session, child_codes | {region}, locale)
    children = []
    for code in sorted(child_codes):
        n = child_counts.get(code[:plen], 0)
        tgt = child_targets.get(code)
        p = stats.pace(n, tgt, *window, as_of)
        children.append(
            {
                "code": code,
                "name": names[code],
                "is_self": code == region,
                "counted": n,
                "target": tgt,
                "share": p.share,
                "projected": p.projected,
                "on_track": p.on_track,
                "drillable": code != region and level_of(code).value in ("province", "city"),
            }
        )

    inv_rows = session.execute(
        base.add_columns(
            EmcProject.investor,
            func.coalesce(func.sum(EmcProject.total_investment), 0),
            func.count(EmcProject.id),
        )
        .where(in_window)
        .group_by(EmcProject.investor)
    ).all()
    by_investor = {
        str(Investor(i)): Decimal(v).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        for i, v, _n in inv_rows
    }
    investment = {
        "by_investor": by_investor,
        "private": sum(
            (by_investor.get(str(i), Decimal(0)) for i in PRIVATE_INVESTORS), Decimal("0.00")
        ),
        "total": sum(by_investor.values(), Decimal("0.00")),
    }

    progress = stats.pace(total, target.project_count if target else None, *window, as_of)
    trend = [
        {"date": s.snapshot_date, "counted": s.projects_counted, "tce": s.savings_tce}
        for s in session.scalars(
            select(ProgrammeSnapshot)
            .where(ProgrammeSnapshot.region_code == region)
            .order_by(ProgrammeSnapshot.snapshot_date)
        )
    ]
    return Dashboard(
        region={"code": region, "name": names[region], "level": level_of(region).value},
        breadcrumb=breadcrumb(session, actor, region, locale),
        window={
            "start_year": window[0],
            "end_year": window[1],
            "target_id": target.id if target else None,
        },
        as_of=as_of,
        counting_rule=stats.COUNTING_RULE["en" if locale == "en" else "zh_CN"],
        progress={
            **asdict(progress),
            "on_track": progress.on_track,
            "custody": types.get(ContractType.ENERGY_COST_CUSTODY.value, 0),
            "terminated_before_operation": int(terminated_early or 0),
        },
        monthly=[{"month": k, "cumulative": v} for k, v in cumulative],
        by_year=[{"year": k, "counted": yearly[k]} for k in range(window[0], window[1] + 1)],
        by_type=[{"key": k, "counted": v} for k, v in sorted(types.items(), key=lambda i: -i[1])],
        by_sector=[
            {"key": k, "counted": v} for k, v in sorted(sectors.items(), key=lambda i: -i[1])
        ],
        by_status=[{"key": str(ProjectStatus(s)), "listed": n} for s, n in status_rows],
        children=children,
        savings=verified_savings(session, region),
        investment=investment,
        intensity=_intensity(session, region, window, as_of),
        trend=trend,
    )


# --- the project list ------------------------------------------------------------------------


def _project_filters(stmt: Select, filters: dict[str, Any]) -> Select:
    if filters.get("status") is not None:
        stmt = stmt.where(EmcProject.status == filters["status"])
    if filters.get("contract_type") is not None:
        stmt = stmt.where(Contract.contract_type == filters["contract_type"])
    if filters.get("sector") is not None:
        stmt = stmt.where(Organization.sector == filters["sector"])
    if filters.get("year") is not None:
        stmt = stmt.where(_in_window(filters["year"], filters["year"]))
    if filters.get("counted") is True:
        stmt = stmt.where(counted())
    elif filters.get("counted") is False:
        stmt = stmt.where(~counted())
    if filters.get("q"):
        stmt = stmt.where(
            EmcProject.name.contains(filters["q"], autoescape=True)
            | Organization.name_zh.contains(filters["q"], autoescape=True)
        )
    return stmt


def _row(values) -> dict[str, Any]:
    (pid, name, inst, region, sector, esco, status, ctype, signed, op_start, inv, investor) = values
    decision = stats.count_decision(str(ProjectStatus(status)), signed, op_start)
    return {
        "id": pid,
        "name": name,
        "institution": inst,
        "region_code": region,
        "sector": str(sector) if sector is not None else None,
        "esco": esco,
        "status": str(ProjectStatus(status)),
        "contract_type": str(ctype) if ctype is not None else None,
        "signed_on": signed,
        "counted": decision.counted,
        "count_year": decision.year,
        "reason": decision.reason.value,
        "total_investment": inv,
        "investor": str(Investor(investor)),
    }


def _project_select(actor: Actor, region: str, filters: dict[str, Any]) -> Select:
    esco = aliased(Organization)
    stmt = (
        select(
            EmcProject.id,
            EmcProject.name,
            Organization.name_zh,
            Organization.region_code,
            Organization.sector,
            esco.name_zh,
            EmcProject.status,
            Contract.contract_type,
            EmcProject.signed_on,
            EmcProject.operation_start_on,
            EmcProject.total_investment,
            EmcProject.investor,
        )
        .select_from(EmcProject)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .outerjoin(Contract, Contract.project_id == EmcProject.id)
        .outerjoin(esco, esco.id == EmcProject.esco_organization_id)
        .where(
            # Lists start from the policy's scope; the region narrows it down.
            scope_condition(actor, EmcProject),
            Organization.kind == OrgKind.INSTITUTION,
            region_filter(Organization.region_code, region),
        )
    )
    return _project_filters(stmt, filters)


def project_page(
    session: Session,
    actor: Actor,
    *,
    region: str | None = None,
    page: int = 1,
    per_page: int = 50,
    **filters: Any,
) -> dict[str, Any]:
    """One page of the region's projects (newest signing first), with whether each counts."""
    region = _agency_region(actor, region)
    stmt = _project_select(actor, region, filters)
    order = (EmcProject.signed_on.desc().nulls_last(), EmcProject.id.desc())
    # Count and pick the page's ids over the project ids alone: PostgreSQL then drops the outer
    # joins nothing refers to (contract, ESCO: at most one row each), and joins them for the
    # page's rows only rather than for the whole region before sorting.
    ids = stmt.with_only_columns(EmcProject.id)
    total = session.scalar(select(func.count()).select_from(ids.subquery()))
    page_ids = ids.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    rows = session.execute(
        stmt.where(EmcProject.id.in_(page_ids.scalar_subquery())).order_by(*order)
    ).all()
    return {"total": total, "page": page, "per_page": per_page, "items": [_row(r) for r in rows]}


def iter_projects(
    session: Session, actor: Actor, *, region: str | None = None, **filters: Any
) -> Iterator[dict[str, Any]]:
    """Every project of the region matching ``filters``, for exports (streamed in batches)."""
    region = _agency_region(actor, region)
    stmt = _project_select(actor, region, filters).order_by(
        Organization.region_code, EmcProject.signed_on, EmcProject.id
    )
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        yield _row(row)


# --- snapshots -------------------------------------------------------------------------------


def list_snapshots(
    session: Session, actor: Actor, *, region: str | None = None
) -> list[ProgrammeSnapshot]:
    region = _agency_region(actor, region)
    return list(
        session.scalars(
            select(ProgrammeSnapshot)
            .where(ProgrammeSnapshot.region_code == region)
            .order_by(ProgrammeSnapshot.snapshot_date)
        )
    )


def _level_aggregates(session: Session, plen: int, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """Aggregates of every region at one level (prefix length 0, 2 or 4 of the division code)
    as of ``as_of``: counts, custody, by type, investment; savings come separately."""
    key = func.substr(Organization.region_code, 1, plen) if plen else literal("")
    signed_by = EmcProject.signed_on <= as_of
    ctype = _contract_type_key()
    is_counted = and_(counted(), signed_by)
    private = case(
        (
            and_(is_counted, EmcProject.investor.in_(PRIVATE_INVESTORS)),
            func.coalesce(EmcProject.total_investment, 0),
        ),
        else_=0,
    )
    invested = case((is_counted, func.coalesce(EmcProject.total_investment, 0)), else_=0)
    rows = session.execute(
        _region_projects("000000")
        .add_columns(
            key,
            ctype,
            func.sum(case((is_counted, 1), else_=0)),
            func.count(EmcProject.id),
            func.sum(invested),
            func.sum(private),
        )
        # Listed as of the date: signed by then, or not signed (yet).
        .where(or_(EmcProject.signed_on.is_(None), signed_by))
        .group_by(key, ctype)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for prefix, t, n_counted, n_listed, inv, priv in rows:
        code = _child_code(prefix) if plen else "000000"
        agg = out.setdefault(
            code,
            {
                "projects_counted": 0,
                "projects_listed": 0,
                "custody_counted": 0,
                "by_type": {},
                "investment_total": Decimal("0.00"),
                "investment_private": Decimal("0.00"),
            },
        )
        n_counted = int(n_counted or 0)
        agg["projects_counted"] += n_counted
        agg["projects_listed"] += int(n_listed)
        if n_counted:
            agg["by_type"][str(t)] = agg["by_type"].get(str(t), 0) + n_counted
        if t == ContractType.ENERGY_COST_CUSTODY.value:
            agg["custody_counted"] += n_counted
        agg["investment_total"] += Decimal(inv or 0).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_EVEN
        )
        agg["investment_private"] += Decimal(priv or 0).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_EVEN
        )
    return out


def _level_savings(session: Session, plen: int, as_of: dt.date) -> dict[str, tuple]:
    key = func.substr(Organization.region_code, 1, plen) if plen else literal("")
    newer = aliased(MvReport)
    latest = ~exists().where(
        newer.project_id == MvReport.project_id,
        newer.period_start == MvReport.period_start,
        newer.status == ReportStatus.ACCEPTED,
        newer.version > MvReport.version,
        newer.accepted_on <= as_of,
    )
    rows = session.execute(
        select(
            key,
            func.sum(MvReport.tce_avoided),
            func.sum(MvReport.tco2_avoided),
            func.sum(MvReport.savings_value),
        )
        .join(EmcProject, EmcProject.id == MvReport.project_id)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .where(
            MvReport.status == ReportStatus.ACCEPTED,
            MvReport.accepted_on <= as_of,
            latest,
            Organization.kind == OrgKind.INSTITUTION,
        )
        .group_by(key)
    ).all()
    return {(_child_code(p) if plen else "000000"): (t, c, v) for p, t, c, v in rows}


def take_snapshot(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Store the aggregates of every region (national, provinces, cities) as of ``as_of``.

    Idempotent by date: the rows of ``as_of`` are replaced, so running twice stores the same.
    Regions with a target but no projects get a row of zeros, so their trend has no gaps.
    """
    session.execute(delete(ProgrammeSnapshot).where(ProgrammeSnapshot.snapshot_date == as_of))
    aggregates: dict[str, dict[str, Any]] = {}
    savings: dict[str, tuple] = {}
    for plen in (0, 2, 4):
        aggregates.update(_level_aggregates(session, plen, as_of))
        savings.update(_level_savings(session, plen, as_of))
    for code in session.scalars(select(ProgrammeTarget.region_code).distinct()):
        if level_of(code).value in ("national", "province", "city"):
            aggregates.setdefault(
                code,
                {
                    "projects_counted": 0,
                    "projects_listed": 0,
                    "custody_counted": 0,
                    "by_type": {},
                    "investment_total": Decimal("0.00"),
                    "investment_private": Decimal("0.00"),
                },
            )
    for code, agg in aggregates.items():
        tce, co2, cny = savings.get(code, (0, 0, 0))
        session.add(
            ProgrammeSnapshot(
                snapshot_date=as_of,
                region_code=code,
                savings_tce=Decimal(tce or 0).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN),
                savings_co2_t=Decimal(co2 or 0).quantize(
                    Decimal("0.001"), rounding=ROUND_HALF_EVEN
                ),
                savings_cny=Decimal(cny or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN),
                **agg,
            )
        )
    session.flush()
    return {"date": as_of.isoformat(), "regions": len(aggregates)}


# --- demo ------------------------------------------------------------------------------------


def build_demo(session: Session, *, projects: bool = False) -> None:
    """Demo programme data: the national 3,000-project target for 2021–2025 with Zhejiang's and
    Hangzhou's allocations and the intensity targets, the school's and the hospital's annual
    statistics (2020 base year entered, 2024 from meters), and — with ``projects`` — a small set
    of signed projects across Hangzhou, Ningbo and Guangzhou with a monthly snapshot history.

    Tests build the demo without projects: other domains' tests assume the demo has none.
    """
    from emc.auth.models import User

    def actor(email: str) -> Actor:
        user = session.scalar(select(User).where(User.email == email))
        user.organization = session.get(Organization, user.organization_id)
        return Actor.of(user)

    national, zhejiang = actor("officer@national.demo"), actor("officer@zhejiang.demo")
    create_target(
        session,
        national,
        region_code="000000",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=3000,
        note="“十四五”公共机构节约能源资源工作规划",
    )
    for metric, pct in ((Metric.ENERGY_INTENSITY, "5"), (Metric.CO2_INTENSITY, "7")):
        create_target(
            session,
            national,
            region_code="000000",
            metric=metric,
            start_year=2021,
            end_year=2025,
            reduction_pct=Decimal(pct),
            base_year=2020,
        )
    create_target(
        session,
        national,
        region_code="330000",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=180,
    )
    create_target(
        session,
        zhejiang,
        region_code="330100",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=40,
    )
    create_target(
        session,
        zhejiang,
        region_code="330200",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=30,
    )
    for email, area, occupants, kwh, gas in (
        ("energy@school.demo", "22700", 2700, "2150000", "36000"),
        ("energy@hospital.demo", "42000", 1800, "9800000", "238000"),
    ):
        save_stat(
            session,
            actor(email),
            year=2020,
            floor_area_m2=Decimal(area),
            occupants=occupants,
            carriers=[
                {"carrier": "electricity", "quantity": Decimal(kwh), "unit": "kWh"},
                {"carrier": "natural_gas", "quantity": Decimal(gas), "unit": "m³"},
            ],
        )
        stats_from_meters(session, actor(email), year=2024)
    if projects:
        _demo_projects(session, actor)


def _demo_projects(session: Session, actor) -> None:
    from emc.contracts import finance
    from emc.contracts.models import terms_to_document

    def terms(kind: ContractType, start: dt.date) -> dict[str, Any]:
        price = (finance.CarrierPrice("electricity", "kWh", Decimal("0.80")),)
        if kind is ContractType.ENERGY_COST_CUSTODY:
            component = finance.EnergyCostCustodyTerms(
                baseline=(
                    finance.BaselineCarrierCost(
                        "electricity", "kWh", Decimal(1_500_000), Decimal("0.80")
                    ),
                ),
                coefficient=Decimal("0.92"),
                floor_area_m2=Decimal(20000),
            )
        else:
            component = finance.SharedSavingsTerms(
                shares=(finance.ShareBand(1, 5, Decimal("0.80")),)
            )
            kind = ContractType.SHARED_SAVINGS
        return terms_to_document(
            finance.ContractTerms(
                contract_type=kind,
                term_years=5,
                start_date=start,
                payment_frequency=finance.PaymentFrequency.ANNUAL,
                payment_due_days=30,
                discount_rate=Decimal("0.05"),
                components=(component,),
                prices=price,
            )
        )

    esco = session.scalar(
        select(Organization.id).where(Organization.name_zh == "绿能节能服务有限公司")
    )
    plan = [
        (
            "energy@school.demo",
            "一中照明与空调改造",
            dt.date(2022, 3, 15),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
            "1850000",
        ),
        (
            "energy@school.demo",
            "一中能源费用托管",
            dt.date(2024, 9, 1),
            ProjectStatus.IMPLEMENTING,
            ContractType.ENERGY_COST_CUSTODY,
            "2600000",
        ),
        (
            "energy@hospital.demo",
            "人民医院锅炉与热泵改造",
            dt.date(2023, 5, 20),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
            "6200000",
        ),
        (
            "energy@hospital.demo",
            "人民医院光伏屋顶",
            dt.date(2023, 11, 2),
            ProjectStatus.TERMINATED,
            ContractType.SHARED_SAVINGS,
            "3100000",
        ),
        (
            "energy@hospital.demo",
            "人民医院能源托管",
            dt.date(2025, 2, 10),
            ProjectStatus.CONTRACTED,
            ContractType.ENERGY_COST_CUSTODY,
            "4800000",
        ),
        (
            "energy@office.demo",
            "宁波市府大楼节能改造",
            dt.date(2022, 8, 8),
            ProjectStatus.COMPLETED,
            ContractType.SHARED_SAVINGS,
            "2900000",
        ),
        (
            "energy@office.demo",
            "宁波市府数据机房改造",
            dt.date(2024, 4, 18),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
            "1250000",
        ),
        (
            "energy@gym.demo",
            "天河体育馆照明改造",
            dt.date(2023, 7, 1),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
            "980000",
        ),
    ]
    for email, name, signed, status, kind, investment in plan:
        who = actor(email)
        project = EmcProject(
            organization_id=who.organization_id,
            esco_organization_id=esco,
            name=name,
            status=status,
            signed_on=signed,
            total_investment=Decimal(investment),
            investor=Investor.ESCO,
            ecms=[],
            operation_start_on=(
                signed + dt.timedelta(days=150)
                if status in (ProjectStatus.OPERATING, ProjectStatus.COMPLETED)
                else None
            ),
            termination_reason="屋顶结构评估未通过" if status is ProjectStatus.TERMINATED else None,
        )
        session.add(project)
        session.flush()
        session.add(
            Contract(
                project_id=project.id,
                contract_type=kind,
                terms=terms(kind, signed),
                savings_estimates=[],
            )
        )
        journal.record(
            session,
            None,
            "create",
            project,
            organization_id=project.organization_id,
            summary="demo",
        )
    session.flush()
    today = local_today()
    month = dt.date(today.year - 1, today.month, 1)
    while month <= today:
        take_snapshot(session, month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    take_snapshot(session, today)

"""An audit's accounts and indicators, computed with the factor set recorded in it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from emc.audit import indicators as ind
from emc.audit.models import AuditConsumption, EnergyAudit, EnergyQuota, QuotaBasis
from emc.audit.service.quotas import _quota, find_quota
from emc.audit.service.records import _consumption, _invalid, _rows, get_audit, scope_of
from emc.auth.actor import Actor
from emc.energy import FactorNotFound, FactorSet
from emc.facilities.models import Building, BuildingType, Site
from emc.i18n import N_


@dataclass(frozen=True)
class AuditFigures:
    """Everything the pages, the API and the report show about an audit's figures."""

    audit: EnergyAudit
    sites: list[Site]
    buildings: list[Building]
    rows: list[AuditConsumption]
    accounts: ind.Accounts
    indicators: ind.Indicators
    building_type: BuildingType | None
    quota: EnergyQuota | None
    comparison: ind.QuotaComparison | None
    custody_flags: list[str]
    generation_available: bool
    data_centre: bool
    # Months of the base period without any consumption row: while there are some, the
    # indicators are not compared with a quota (an annual figure of nine months reads low).
    missing_months: list[dt.date] = field(default_factory=list)
    # The factors the accounts used (no figure without its source): one entry per carrier,
    # kind and factor, with the base-period years it converted.
    factors_used: list[dict] = field(default_factory=list)


def figures(
    session: Session, actor: Actor, audit_id: int, *, variant: str | None = None
) -> AuditFigures:
    """The audit's accounts and indicators, computed with the factor set recorded in it.

    ``variant`` ``generation`` shows electricity at 等价值 when the recorded set has that factor
    (else Invalid); the default is 当量值.
    """
    audit = get_audit(session, actor, audit_id)
    factors = ind.factor_set_from_snapshot(audit.factor_snapshot)
    generation = ind.has_generation_factor(factors)
    if variant not in (None, "calorific", "generation"):
        raise _invalid("tce_variant", N_("must be calorific or generation"))
    if variant == "generation" and not generation:
        raise _invalid("tce_variant", N_("no generation-equivalent factor is recorded"))
    sites, buildings = scope_of(session, audit)
    rows = _consumption(session, audit.id)
    years = audit.period_end.year - audit.period_start.year
    accounts = ind.account(
        _rows(rows), factors, region_code=audit.region_code, years=years, variant=variant
    )
    area = sum((b.floor_area_m2 for b in buildings), Decimal(0)) or None
    people = audit.occupants
    if people is None:
        counted = [b.occupants for b in buildings if b.occupants is not None]
        people = sum(counted) if counted else None
    split = {k: Decimal(v) for k, v in (audit.end_use_split or {}).items()}
    indicators = ind.indicators(accounts, floor_area_m2=area, occupants=people, end_use_split=split)
    building_type = audit.building_type or _dominant_type(buildings)
    quota, comparison = None, None
    # No verdict without data: an audit with no consumption recorded read 0.00 kgce/m²,
    # "达到引导值", and one with three months of a year read a quarter of its use against
    # an annual quota. Every month of the base period needs its consumption first.
    missing = missing_months(audit, rows)
    if building_type is not None and has_data(rows) and not missing:
        for basis, value in (
            (QuotaBasis.PER_AREA, indicators.kgce_per_m2),
            (QuotaBasis.PER_PERSON, indicators.kgce_per_person),
        ):
            if value is None:
                continue
            quota = find_quota(
                session, audit.region_code, building_type, basis, audit.period_end.year - 1
            )
            if quota is not None:
                comparison = ind.compare_quota(value, _quota(quota))
                break
    data_centre = audit.data_centre_pue is not None or any(
        b.building_type is BuildingType.DATA_CENTER for b in buildings
    )
    flags = ind.custody_flags(
        annual_tce=accounts.annual_tce,
        comparison=comparison,
        data_centre=data_centre,
        pue=audit.data_centre_pue,
    )
    return AuditFigures(
        audit=audit,
        sites=sites,
        buildings=buildings,
        rows=rows,
        accounts=accounts,
        indicators=indicators,
        building_type=building_type,
        quota=quota,
        comparison=comparison,
        custody_flags=flags,
        generation_available=generation,
        data_centre=data_centre,
        missing_months=missing,
        factors_used=factors_used(
            factors,
            list(accounts.by_carrier),
            range(audit.period_start.year, audit.period_end.year),
            region_code=audit.region_code,
            variant=variant,
        ),
    )


def factors_used(
    factors: FactorSet,
    carriers: Sequence[str],
    years: Sequence[int],
    *,
    region_code: str,
    variant: str | None,
) -> list[dict]:
    """Each factor that converts ``carriers`` over ``years`` (tce, then CO2): carrier, kind,
    value, unit, the factor's own year and region, its source, the years it converted and
    whether it stood in for a later year (``stale``)."""
    out: dict[tuple, dict] = {}
    for carrier in carriers:
        for kind in ("tce", "co2"):
            for year in years:
                electric = carrier in ("electricity", "pv_generation")
                chosen_variant = variant if kind == "tce" and electric else None
                try:
                    choice = factors.select(carrier, kind, year, region_code, chosen_variant)
                except (FactorNotFound, ValueError):
                    continue
                f = choice.factor
                key = (carrier, kind, f.year, f.region, f.variant, str(f.value))
                entry = out.setdefault(
                    key,
                    {
                        "carrier": carrier,
                        "kind": kind,
                        "value": f.value,
                        "unit": f.unit,
                        "year": f.year,
                        "region": f.region,
                        "scope": f.scope.value,
                        "source": f.source,
                        "years": [],
                        "stale": False,
                    },
                )
                entry["years"].append(year)
                entry["stale"] = entry["stale"] or choice.stale or choice.before_first
    return list(out.values())


def missing_months(audit: EnergyAudit, rows: Sequence[AuditConsumption]) -> list[dt.date]:
    """The first days of the base period's months ``[period_start, period_end)`` that have no
    consumption row of any carrier (a carrier not used in a month is recorded as 0 where
    the bills say so; electricity is used every month)."""
    recorded = {r.month.replace(day=1) for r in rows}
    month, end = audit.period_start.replace(day=1), audit.period_end
    missing = []
    while month < end:
        if month not in recorded:
            missing.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return missing


def has_data(rows: Sequence[AuditConsumption]) -> bool:
    """Whether any consumption is recorded (without, no indicator is compared with a quota)."""
    return any(r.quantity for r in rows)


def _dominant_type(buildings: Sequence[Building]) -> BuildingType | None:
    areas: Counter = Counter()
    for b in buildings:
        areas[b.building_type] += b.floor_area_m2
    return areas.most_common(1)[0][0] if areas else None

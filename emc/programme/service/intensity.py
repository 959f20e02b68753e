"""Energy and CO2 per m² of floor area by year for a region, and their change against the base
year of its intensity targets (from institutions' annual statistics)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from emc.auth.models import Organization, OrgKind
from emc.auth.policy import region_filter
from emc.programme import stats
from emc.programme.models import (
    InstitutionEnergyStat,
    Metric,
    ProgrammeTarget,
)
from emc.programme.service._common import (
    DEFAULT_BASE_YEAR,
)
from emc.programme.service.targets import (
    _window_target,
)


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
    # The same energy with one grid factor for every year (the base year's): what the CO2
    # change would be without the grid getting cleaner. Shown beside "each year's factor".
    fixed_year = base_year
    fixed_co2 = _co2_at_fixed_factor(session, region, fixed_year)
    fixed = {
        y.year: (
            fixed_co2[y.year] * 1000 / y.floor_area_m2
            if y.year in fixed_co2 and y.floor_area_m2
            else None
        )
        for y in years
    }

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
                "co2_fixed_t": fixed_co2.get(y.year),
                "co2_fixed_kg_per_m2": _r(fixed[y.year], 3),
            }
            for y in years
        ],
        "energy": change("energy_kgce_per_m2", energy_target),
        "co2": change("co2_kg_per_m2", co2_target),
        "fixed_factor_year": fixed_year,
        "co2_fixed": _fixed_change(fixed, base_year, cur.year if cur else None, co2_target),
        "energy_target_pct": energy_target.reduction_pct if energy_target else None,
        "co2_target_pct": co2_target.reduction_pct if co2_target else None,
    }


def _co2_at_fixed_factor(session: Session, region: str, year: int) -> dict[int, Decimal]:
    """Tonnes of CO2 of each statistics year's energy with the factors of ``year`` (the one
    rule of :meth:`emc.energy.FactorSet.select`, per institution's region)."""
    from emc.programme.models import InstitutionEnergyCarrier
    from emc.programme.service.statistics import factor_set

    rows = session.execute(
        select(
            InstitutionEnergyStat.year,
            Organization.region_code,
            InstitutionEnergyCarrier.carrier,
            InstitutionEnergyCarrier.unit,
            func.sum(InstitutionEnergyCarrier.quantity),
        )
        .join(InstitutionEnergyStat, InstitutionEnergyStat.id == InstitutionEnergyCarrier.stat_id)
        .join(Organization, Organization.id == InstitutionEnergyStat.organization_id)
        .where(
            Organization.kind == OrgKind.INSTITUTION,
            region_filter(Organization.region_code, region),
        )
        .group_by(
            InstitutionEnergyStat.year,
            Organization.region_code,
            InstitutionEnergyCarrier.carrier,
            InstitutionEnergyCarrier.unit,
        )
    ).all()
    if not rows:
        return {}
    factors = factor_set(session)
    out: dict[int, Decimal] = {}
    for stat_year, region_code, carrier, unit, quantity in rows:
        try:
            done = stats.account(
                factors, carrier, Decimal(quantity), unit, year=year, region_code=region_code
            )
        except (LookupError, ValueError):
            continue
        out[int(stat_year)] = out.get(int(stat_year), Decimal(0)) + done.co2_t
    return out


def _fixed_change(
    fixed: dict[int, Decimal | None], base_year: int, year: int | None, target
) -> dict[str, Any] | None:
    if year is None or fixed.get(base_year) is None or fixed.get(year) is None:
        return None
    value = stats.intensity_change(
        fixed[base_year], fixed[year], base_year, year, target.reduction_pct if target else None
    )
    return None if value is None else {**asdict(value), "met": value.met}


def _r(value: Decimal | None, places: int) -> Decimal | None:
    return None if value is None else stats.round_to(value, places)

"""Annual energy statistics of institutions: list, enter (carriers converted with the reference
factors), and the source of each figure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session, selectinload

from emc import journal
from emc.auth.actor import Actor
from emc.auth.models import OrgKind
from emc.auth.permissions import Permission, can
from emc.auth.policy import require, scoped
from emc.energy import FactorNotFound, FactorSet, UnitError
from emc.energy import unit_for as energy_unit_for
from emc.errors import Forbidden, Invalid
from emc.facilities.service.factors import current_factor_set
from emc.i18n import N_
from emc.messages import msg
from emc.programme import stats
from emc.programme.models import (
    InstitutionEnergyCarrier,
    InstitutionEnergyStat,
    StatSource,
)
from emc.programme.service._common import (
    STAT_FIELDS,
)


def factor_set(session: Session) -> FactorSet:
    """The reference factors in force (corrections replace what they supersede); the built-in
    defaults if the ``emission_factors`` table is empty."""
    return current_factor_set(session)


def list_stats(
    session: Session, actor: Actor, *, year: int | None = None, organization_id: int | None = None
) -> list[InstitutionEnergyStat]:
    """Statistics the actor may see: an institution's own (admin, energy manager) or those of
    the institutions in an agency's region."""
    if not (can(actor, Permission.PROGRAMME_STATS_MANAGE) or can(actor, Permission.PROGRAMME_READ)):
        raise Forbidden(msg("programme.not_permitted_programme_statistics"))
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
        # Consumption is what was used: a negative figure is a typo, never a credit (PV
        # generation has its own carrier).
        if fig.quantity < 0:
            problems[f"{where}.quantity"] = [msg("programme.negative_consumption")]
            continue
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
        # Every tce / tCO2 figure names the factor row that produced it.
        notes.extend(f"{fig.carrier} {kind}: {ref}" for kind, ref in done.factors)
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
        raise Invalid(msg("programme.invalid_energy_statistics"), fields=problems)
    return rows, notes


def _require_institution(actor: Actor) -> None:
    require(actor, Permission.PROGRAMME_STATS_MANAGE)
    if actor.org_kind is not OrgKind.INSTITUTION:
        raise Forbidden(msg("programme.only_institution_enters_energy_statistics"))


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
    area_problems: dict[str, list] = {}
    if Decimal(floor_area_m2) <= 0:
        area_problems["floor_area_m2"] = [msg("programme.floor_area_not_positive")]
    if occupants is not None and occupants < 0:
        area_problems["occupants"] = [msg("programme.not_negative")]
    try:
        carriers, notes = _account_carriers(factors, figures, year, actor.region_code, field_prefix)
    except Invalid as error:  # every bad field at once
        raise Invalid(error.message, fields={**area_problems, **error.fields}) from None
    if area_problems:
        raise Invalid(msg("programme.invalid_energy_statistics"), fields=area_problems)
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

    Raises Invalid naming ``carriers.<i>.unit`` / ``carriers.<i>.carrier`` /
    ``carriers.<i>.quantity`` for a unit that does not fit its carrier, a carrier given twice,
    one without factors or a negative quantity, and ``floor_area_m2`` / ``occupants`` for a
    floor area that is not positive or a negative number of occupants (all at once).
    """
    _require_institution(actor)
    if not carriers:
        raise Invalid(
            msg("programme.no_consumption_given"),
            fields={"carriers": [msg("programme.enter_at_least_one_carrier")]},
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

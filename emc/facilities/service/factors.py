"""Emission-factor reference data: standard-coal (tce) and CO2 factors by carrier, year and region.

Everyone signed in reads the table; platform admins add rows (new years, provincial and regional
grid values, other calorific values), each with its source.

Rows are **never edited in place and never deleted**: an energy audit snapshots the factors it
used (``emc.audit.indicators.factor_snapshot``), programme statistics and PDF reports print the
factor behind each tonne, and the journal names the row. Changing a stored value would make those
records disagree with the table they cite, so a newer value is a new row (another year, scope or
region) and a wrong value is corrected by :func:`correct_factor`: a new row with the same key
that supersedes the old one, with the reason. The old row stays readable as the evidence of what
was used; lookups (:func:`current_factors`) take only rows nothing supersedes, and audit
snapshots taken before keep the values they recorded.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.models import Region
from emc.auth.permissions import Permission
from emc.auth.policy import require
from emc.energy import (
    CALORIFIC,
    DEFAULT_FACTORS,
    GRID_REGIONS,
    NATIONAL_AVERAGE,
    Carrier,
    Factor,
    FactorKind,
    FactorScope,
    FactorSet,
    UnitError,
    province_of,
)
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.facilities.models import EmissionFactor
from emc.messages import msg, record

log = logging.getLogger(__name__)

#: Scopes an administrator may add (``fuel`` rows are properties of a fuel, seeded only).
ADMIN_SCOPES = (FactorScope.NATIONAL, FactorScope.REGIONAL, FactorScope.PROVINCIAL)
MIN_YEAR, MAX_YEAR = 1990, 2100
_PLACES = Decimal("1e-8")
_MAX_VALUE = Decimal("1e10")
_DEFAULT_VARIANT = {
    (Carrier.ELECTRICITY, FactorKind.TCE): CALORIFIC,
    (Carrier.ELECTRICITY, FactorKind.CO2): NATIONAL_AVERAGE,
}
# The columns of the table's unique key, named in a duplicate's Conflict.
KEY_FIELDS = ("carrier", "kind", "variant", "scope", "region", "year")


def _checked_value(value: Decimal, problems: dict[str, list[str]]) -> Decimal:
    """``value`` as the column stores it (Numeric(18, 8)), or a problem under ``value``."""
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        problems["value"] = ["must be greater than 0"]
    elif value != value.quantize(_PLACES) or value >= _MAX_VALUE:
        problems["value"] = ["at most 10 digits before and 8 after the decimal point"]
    else:
        return value.quantize(_PLACES)
    return value


def _check_with_core(problems: dict[str, list[str]], **fields: object) -> None:
    # The pure core's own validation: the unit must be <kgce|tce|kgCO2|tCO2>/<unit of the
    # carrier>, and the variant one the carrier has.
    try:
        Factor(**fields)
    except UnitError as exc:
        problems["unit"] = [str(exc)]
    except ValueError as exc:
        field = "variant" if "variant" in str(exc) else "unit"
        problems[field] = [str(exc)]


def _factor_of(row: EmissionFactor) -> Factor:
    return Factor(
        carrier=row.carrier,
        kind=row.kind,
        value=Decimal(row.value),
        unit=row.unit,
        year=row.year,
        scope=row.scope,
        region=row.region,
        variant=row.variant,
        source=row.source,
    )


def current_factors(session: Session) -> list[Factor]:
    """The factors in force, as the pure core's :class:`~emc.energy.Factor` (rows that a
    correction supersedes are left out), in the order they were added. For lookups and audit
    snapshots; reference data, so no actor is needed."""
    rows = session.scalars(
        select(EmissionFactor)
        .where(EmissionFactor.superseded_by_id.is_(None))
        .order_by(EmissionFactor.id)
    )
    return [_factor_of(row) for row in rows]


def current_factor_set(session: Session) -> FactorSet:
    """:func:`current_factors` as the pure core's :class:`~emc.energy.FactorSet` (the built-in
    :data:`~emc.energy.DEFAULT_FACTORS` when the table is empty), with each province's regional
    grid (:data:`~emc.energy.GRID_REGIONS`): a site takes its province's factor of the year where
    one is published, else its grid's, else the national one. A set holds one factor per
    selection, so it must be built from the current rows, never from the whole table."""
    factors = current_factors(session) or DEFAULT_FACTORS
    return FactorSet(factors, grid_regions=GRID_REGIONS)


def list_factors(
    session: Session,
    actor: Actor | None,
    *,
    carrier: str | None = None,
    kind: str | None = None,
    year: int | None = None,
    region: str | None = None,
    current: bool = False,
) -> list[EmissionFactor]:
    """The reference factors, optionally of one carrier, kind (``tce``/``co2``), data year and
    region (province code or grid name), ordered carrier, kind, year, scope. Superseded rows are
    listed too (each names its correction in ``superseded_by_id``) unless ``current``.

    Raises:
        Forbidden: not signed in.
    """
    if actor is None:
        raise Forbidden(msg("forbidden.sign_in"))
    stmt = select(EmissionFactor)
    if current:
        stmt = stmt.where(EmissionFactor.superseded_by_id.is_(None))
    if carrier:
        stmt = stmt.where(EmissionFactor.carrier == carrier)
    if kind:
        stmt = stmt.where(EmissionFactor.kind == kind)
    if year is not None:
        stmt = stmt.where(EmissionFactor.year == year)
    if region:
        stmt = stmt.where(EmissionFactor.region == region)
    stmt = stmt.order_by(
        EmissionFactor.carrier,
        EmissionFactor.kind,
        EmissionFactor.year,
        EmissionFactor.scope,
        EmissionFactor.region,
        EmissionFactor.id,
    )
    return list(session.scalars(stmt))


def create_factor(
    session: Session,
    actor: Actor,
    *,
    carrier: str,
    kind: str,
    unit: str,
    value: Decimal,
    scope: str,
    source: str,
    year: int | None = None,
    region: str | None = None,
    variant: str | None = None,
) -> EmissionFactor:
    """Add one reference factor (platform admins).

    ``value`` is in ``unit`` (``kgce/kWh``, ``tCO2/MWh``, ``kgCO2/m³`` …, the denominator a unit
    of the carrier); ``year`` the data year (None: every year); ``region`` the 6-digit province
    code (scope provincial, must exist) or the grid name (scope regional); ``variant`` defaults
    to 当量值 (electricity tce) or the national average (electricity CO2).

    Raises:
        Forbidden: not a platform admin. Invalid: a field is wrong (named). Conflict: a row with
            the same carrier, kind, variant, scope, region and year exists (rows are never
            edited; see the module).
    """
    require(actor, Permission.PLATFORM_FACTORS_MANAGE)
    problems: dict[str, list[str]] = {}
    try:
        carrier_v = Carrier(carrier)
    except ValueError:
        problems["carrier"] = [f"unknown carrier {carrier!r}"]
        carrier_v = None
    try:
        kind_v = FactorKind(kind)
    except ValueError:
        problems["kind"] = ["must be tce or co2"]
        kind_v = None
    if scope not in {s.value for s in ADMIN_SCOPES}:
        problems["scope"] = ["must be national, regional or provincial"]
    value = _checked_value(value, problems)
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        problems["year"] = [f"must be between {MIN_YEAR} and {MAX_YEAR}"]
    source = (source or "").strip()
    if not source:
        problems["source"] = ["name the publication the value comes from"]
    region = (region or "").strip() or None
    variant = (variant or "").strip() or None
    if scope == FactorScope.PROVINCIAL:
        if region is None:
            problems["region"] = ["a provincial factor needs the province code"]
        elif not (region.isdigit() and len(region) == 6 and province_of(region) == region):
            problems["region"] = ["must be a 6-digit province code (xx0000)"]
        elif session.get(Region, region) is None:
            problems["region"] = [msg("facilities.unknown_region_code", code=region)]
    elif scope == FactorScope.REGIONAL and region is None:
        problems["region"] = ["a regional factor needs the grid name (华东, 华北 …)"]
    elif scope == FactorScope.NATIONAL and region is not None:
        problems["region"] = ["a national factor has no region"]
    if carrier_v is not None and kind_v is not None:
        if variant is None:
            variant = _DEFAULT_VARIANT.get((carrier_v, kind_v))
        if not problems:
            _check_with_core(
                problems,
                carrier=carrier_v,
                kind=kind_v,
                value=value,
                unit=unit,
                year=year,
                scope=FactorScope(scope),
                region=region,
                variant=variant,
                source=source,
            )
    if problems:
        raise Invalid(msg("facilities.factor_invalid"), fields=problems)
    assert carrier_v is not None and kind_v is not None
    key = {
        "carrier": carrier_v.value,
        "kind": kind_v.value,
        "variant": variant,
        "scope": scope,
        "region": region,
        "year": year,
    }
    dup = select(EmissionFactor.id)
    for name, wanted in key.items():
        column = getattr(EmissionFactor, name)
        dup = dup.where(column.is_(None) if wanted is None else column == wanted)
    existing = session.scalar(dup.order_by(EmissionFactor.superseded_by_id.is_not(None)))
    if existing is not None:
        message = "a factor with this carrier, kind, variant, scope, region and year exists"
        raise Conflict(
            msg("facilities.factor_duplicate", factor=existing),
            fields={name: [message] for name in KEY_FIELDS},
            code="duplicate",
        )
    row = EmissionFactor(**key, value=value, unit=unit, source=source)
    session.add(row)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        row,
        organization_id=None,
        after={**key, "value": str(value), "unit": unit, "source": source},
        summary=f"{carrier_v.value} {kind_v.value} {value} {unit}",
    )
    log.info("emission factor %s added by %s", row.id, actor.label)
    return row


#: The columns a correction may change (the key stays: a correction is the same factor).
CORRECTED_FIELDS = ("value", "unit", "source")


def correct_factor(
    session: Session,
    actor: Actor,
    factor_id: int,
    *,
    value: Decimal,
    reason: str,
    unit: str | None = None,
    source: str | None = None,
) -> EmissionFactor:
    """Correct a wrong stored factor (platform admins): a new row with the same key (carrier,
    kind, variant, scope, region, year) and the corrected ``value`` (and, when given, ``unit``
    and ``source``; otherwise the old ones) supersedes row ``factor_id``, with ``reason``.

    The old row is never changed: it stays listed, marked superseded, as the evidence of what
    earlier audits and reports used; their recorded snapshots keep their values. Lookups and
    new snapshots use the correction (:func:`current_factors`). Journaled on both rows.

    Raises:
        Forbidden: not a platform admin. NotFound: no such factor. Conflict: the factor was
            already corrected (correct the current row, which the error names). Invalid: no
            reason, a bad value, unit or source (named), or a correction that changes nothing.
    """
    require(actor, Permission.PLATFORM_FACTORS_MANAGE)
    old = session.get(EmissionFactor, factor_id, with_for_update=True)
    if old is None:
        raise NotFound(msg("not_found", what=record("EmissionFactor"), id=factor_id))
    # Asked of the database, not the loaded row: a correction flushed earlier in this
    # transaction is not in the row's cached superseded_by_id.
    later = session.scalar(select(EmissionFactor.id).where(EmissionFactor.supersedes_id == old.id))
    if later is not None:
        raise Conflict(
            msg("facilities.factor_superseded", factor=old.id, later=later),
            fields={"factor_id": [msg("facilities.factor_superseded", factor=old.id, later=later)]},
            code="superseded",
        )
    problems: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        problems["reason"] = ["say why the stored value is wrong"]
    elif len(reason) > 500:
        problems["reason"] = ["at most 500 characters"]
    value = _checked_value(value, problems)
    unit = (unit or "").strip() or old.unit
    source = (source or "").strip() or old.source
    if len(source) > 500:
        problems["source"] = ["at most 500 characters"]
    if "value" not in problems and "source" not in problems:
        _check_with_core(
            problems,
            carrier=old.carrier,
            kind=old.kind,
            value=value,
            unit=unit,
            year=old.year,
            scope=old.scope,
            region=old.region,
            variant=old.variant,
            source=source,
        )
    if not problems and (value, unit, source) == (Decimal(old.value), old.unit, old.source):
        problems["value"] = ["the correction changes nothing: give the right value, unit or source"]
    if problems:
        raise Invalid(msg("facilities.correction_invalid", factor=old.id), fields=problems)
    row = EmissionFactor(
        **{name: getattr(old, name) for name in KEY_FIELDS},
        value=value,
        unit=unit,
        source=source,
        supersedes_id=old.id,
        correction_reason=reason,
    )
    session.add(row)
    session.flush()
    session.expire(old, ["superseded_by_id"])
    summary = f"#{old.id} {old.value} {old.unit} → #{row.id} {value} {unit}: {reason}"
    journal.record(
        session,
        actor,
        "correct",
        row,
        organization_id=None,
        before={name: str(getattr(old, name)) for name in CORRECTED_FIELDS},
        after={
            **{name: str(getattr(row, name)) for name in CORRECTED_FIELDS},
            "supersedes_id": old.id,
            "reason": reason,
        },
        summary=summary,
    )
    journal.record(
        session,
        actor,
        "supersede",
        old,
        organization_id=None,
        after={"superseded_by_id": row.id, "reason": reason},
        summary=summary,
    )
    log.info("emission factor %s corrected by %s (%s) by %s", old.id, row.id, reason, actor.label)
    return row

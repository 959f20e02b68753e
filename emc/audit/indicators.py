"""Energy and carbon accounts and indicators of an energy audit. Pure.

Accounts
    Consumption rows (carrier, unit, calendar month, quantity, cost, source) are converted to
    tonnes of standard coal (tce) and CO2 (tCO2) with a :class:`~emc.energy.FactorSet` — the one
    recorded in the audit (:func:`factor_set_from_snapshot`), never the live reference table — for
    the row's year and the audit's province. Where a carrier and month have bill rows, its meter
    rows are not counted (a bill is the settled figure; counting both would double the use).

Indicators (DESIGN.md §5, GB/T 17166)
    Annual figures are the base-period totals divided by its number of calendar years. Energy per
    m² is kgce/m²·a over the gross floor area in scope; per person kgce/人·a; CO2 per m²
    kgCO2/m²·a. The electricity share counts purchased electricity and on-site PV generation;
    the coal share raw coal. Shares are fractions of total tce (0..1).

Quotas and custody
    A value is compared with a quota's 引导值 (guide) ≤ 基准值 (baseline) ≤ 约束值 (constraint).
    An institution is flagged as suitable for energy-cost custody (能源费用托管) when its energy
    use is above the quota's 基准值 and over 500 tce a year, or when a data centre in scope runs
    at a PUE above 1.4.

Nothing here is rounded except by :func:`rounded`, the one helper that reports use; figures stay
unrounded ``Decimal`` until printed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from emc.energy import (
    CALORIFIC,
    GENERATION,
    GRID_REGIONS,
    Carrier,
    Factor,
    FactorKind,
    FactorNotFound,
    FactorSet,
    canonical_unit,
    convert,
)

__all__ = [
    "CUSTODY_MIN_TCE",
    "CUSTODY_MAX_PUE",
    "END_USES",
    "Accounts",
    "BaselineLine",
    "CarrierTotal",
    "MissingCost",
    "Indicators",
    "Quota",
    "QuotaComparison",
    "Row",
    "account",
    "SplitError",
    "check_end_use_split",
    "compare_quota",
    "counted_rows",
    "custody_baseline",
    "custody_flags",
    "factor_set_from_snapshot",
    "has_generation_factor",
    "indicators",
    "rounded",
    "simple_payback",
    "snapshot_of",
]

_CTX = Context(prec=28)
_ZERO = Decimal(0)
_THOUSAND = Decimal(1000)

#: Annual energy use above which a large institution is a custody candidate (tce/a).
CUSTODY_MIN_TCE = Decimal(500)
#: Power usage effectiveness above which a data centre is a custody candidate.
CUSTODY_MAX_PUE = Decimal("1.4")
#: End uses of the optional split (GB/T 17166 分项): lighting and sockets, HVAC, power, special.
END_USES = ("lighting_sockets", "hvac", "power", "special")

_ELECTRIC = frozenset({Carrier.ELECTRICITY, Carrier.PV_GENERATION})


def rounded(value: Decimal | None, places: int = 2) -> Decimal | None:
    """``value`` to ``places`` decimals, half up (the rounding of printed statistics)."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_CTX)


# --- factor snapshots ---------------------------------------------------------------------------


def snapshot_of(factors: Iterable[Factor], *, region_code: str, taken_at: dt.datetime) -> dict:
    """A JSON-safe record of the factors that apply at ``region_code`` (provincial ones of other
    provinces and regional ones of other grids are left out), its regional grid
    (:data:`~emc.energy.GRID_REGIONS`, None if unmapped), and when it was taken; see
    :func:`factor_set_from_snapshot`."""
    province = region_code[:2] + "0000"
    grid = GRID_REGIONS.get(province)
    rows = []
    for f in factors:
        if f.scope.value == "provincial" and f.region != province:
            continue
        if f.scope.value == "regional" and f.region != grid:
            continue
        rows.append(
            {
                "carrier": f.carrier.value,
                "kind": f.kind.value,
                "value": str(f.value),
                "unit": f.unit,
                "year": f.year,
                "scope": f.scope.value,
                "region": f.region,
                "variant": f.variant,
                "source": f.source,
            }
        )
    rows.sort(key=lambda r: (r["carrier"], r["kind"], r["variant"] or "", r["year"] or 0))
    return {
        "taken_at": taken_at.isoformat(),
        "region_code": region_code,
        "grid": grid,
        "factors": rows,
    }


def factor_set_from_snapshot(snapshot: Mapping[str, Any]) -> FactorSet:
    """The :class:`FactorSet` recorded in an audit's snapshot. Its regional factor applies only
    if the snapshot names the grid (snapshots taken before grids were mapped do not, and keep
    the figures they were accepted with).

    Raises:
        ValueError: a malformed factor row.
    """
    factors = [
        Factor(**{**row, "value": Decimal(str(row["value"]))})
        for row in snapshot.get("factors", [])
    ]
    grid, region_code = snapshot.get("grid"), snapshot.get("region_code")
    grids = {region_code[:2] + "0000": grid} if grid and region_code else None
    return FactorSet(factors, grid_regions=grids)


def has_generation_factor(factors: FactorSet) -> bool:
    """Whether an electricity 等价值 (generation-equivalent) tce factor is available."""
    return any(
        f.carrier is Carrier.ELECTRICITY and f.kind is FactorKind.TCE and f.variant == GENERATION
        for f in factors.factors
    )


# --- accounts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One consumption row: ``quantity`` of ``carrier`` in ``unit`` during ``month`` (its first
    day); ``cost`` in yuan or None; ``source`` ``meter`` or ``bill``."""

    carrier: str
    unit: str
    month: dt.date
    quantity: Decimal
    cost: Decimal | None
    source: str


@dataclass(frozen=True)
class CarrierTotal:
    """A carrier over the base period: quantity in its canonical unit, tce, tCO2, cost (yuan)."""

    carrier: str
    quantity: Decimal
    unit: str
    tce: Decimal
    tco2: Decimal
    cost: Decimal


@dataclass(frozen=True)
class Accounts:
    """Energy and carbon accounts over a base period of ``years`` calendar years.

    ``by_month`` maps each month to (tce, tCO2); ``by_year`` each year to (tce, tCO2, cost);
    ``warnings`` name stale or missing factors (a missing factor counts the row as zero).
    """

    variant: str
    years: int
    by_carrier: dict[str, CarrierTotal]
    by_month: dict[dt.date, tuple[Decimal, Decimal]]
    by_year: dict[int, tuple[Decimal, Decimal, Decimal]]
    total_tce: Decimal
    total_tco2: Decimal
    total_cost: Decimal
    warnings: tuple[str, ...] = ()

    @property
    def annual_tce(self) -> Decimal:
        return _CTX.divide(self.total_tce, Decimal(self.years))

    @property
    def annual_tco2(self) -> Decimal:
        return _CTX.divide(self.total_tco2, Decimal(self.years))

    @property
    def annual_cost(self) -> Decimal:
        return _CTX.divide(self.total_cost, Decimal(self.years))

    def share(self, carriers: Iterable[str]) -> Decimal | None:
        """The fraction (0..1) of total tce from ``carriers``; None when the total is zero."""
        if self.total_tce == 0:
            return None
        part = sum((self.by_carrier[c].tce for c in carriers if c in self.by_carrier), _ZERO)
        return _CTX.divide(part, self.total_tce)


def counted_rows(rows: Sequence[Row]) -> list[Row]:
    """The rows that count: for a (carrier, month) with bill rows, only the bill rows."""
    billed = {(r.carrier, r.month) for r in rows if r.source == "bill"}
    return [r for r in rows if r.source == "bill" or (r.carrier, r.month) not in billed]


def account(
    rows: Sequence[Row],
    factors: FactorSet,
    *,
    region_code: str,
    years: int,
    variant: str | None = None,
) -> Accounts:
    """Convert consumption rows to tce and tCO2 and total them by carrier, month and year.

    ``variant`` None or ``calorific`` is 当量值; ``generation`` is 等价值 (electricity only; the
    other carriers have one value). ``years`` is the number of calendar years of the base period.

    Raises:
        ValueError: ``years`` < 1, or an unknown variant.
        UnitError: a row's unit does not fit its carrier.
    """
    if years < 1:
        raise ValueError("a base period has at least one year")
    variant = variant or CALORIFIC
    if variant not in (CALORIFIC, GENERATION):
        raise ValueError(f"unknown tce variant {variant!r}")
    warnings: list[str] = []
    carriers: dict[str, list[Decimal]] = {}
    months: dict[dt.date, list[Decimal]] = defaultdict(lambda: [_ZERO, _ZERO])
    by_year: dict[int, list[Decimal]] = defaultdict(lambda: [_ZERO, _ZERO, _ZERO])
    for row in counted_rows(rows):
        carrier = Carrier(row.carrier)
        tce_variant = variant if carrier in _ELECTRIC else None
        tce = _converted(factors, "tce", row, region_code, tce_variant, warnings)
        co2 = _converted(factors, "co2", row, region_code, None, warnings)
        acc = carriers.setdefault(row.carrier, [_ZERO, _ZERO, _ZERO, _ZERO])
        acc[0] += convert(row.quantity, row.unit, canonical_unit(carrier), carrier)
        acc[1] += tce
        acc[2] += co2
        acc[3] += row.cost or _ZERO
        months[row.month][0] += tce
        months[row.month][1] += co2
        year = by_year[row.month.year]
        year[0] += tce
        year[1] += co2
        year[2] += row.cost or _ZERO
    by_carrier = {
        c: CarrierTotal(c, q, canonical_unit(c).value, t, co2, cost)
        for c, (q, t, co2, cost) in sorted(carriers.items(), key=lambda kv: -kv[1][1])
    }
    return Accounts(
        variant=variant,
        years=years,
        by_carrier=by_carrier,
        by_month={m: (v[0], v[1]) for m, v in sorted(months.items())},
        by_year={y: (v[0], v[1], v[2]) for y, v in sorted(by_year.items())},
        total_tce=sum((v.tce for v in by_carrier.values()), _ZERO),
        total_tco2=sum((v.tco2 for v in by_carrier.values()), _ZERO),
        total_cost=sum((v.cost for v in by_carrier.values()), _ZERO),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _converted(
    factors: FactorSet,
    kind: str,
    row: Row,
    region_code: str,
    variant: str | None,
    warnings: list[str],
) -> Decimal:
    convert_ = factors.to_tce if kind == "tce" else factors.to_co2
    try:
        result = convert_(
            row.quantity,
            row.unit,
            row.carrier,
            year=row.month.year,
            region_code=region_code,
            variant=variant,
        )
    except FactorNotFound as missing:
        warnings.append(str(missing))
        return _ZERO
    if result.stale and result.factor is not None:
        warnings.append(
            f"no {kind} factor for {row.carrier} in {row.month.year}: "
            f"the {result.factor.year} value is used"
        )
    return result.amount


# --- indicators ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicators:
    """Annual indicators; each None when its denominator is missing or zero."""

    annual_tce: Decimal
    annual_tco2: Decimal
    annual_cost: Decimal
    floor_area_m2: Decimal | None
    occupants: int | None
    kgce_per_m2: Decimal | None
    kgce_per_person: Decimal | None
    kgco2_per_m2: Decimal | None
    electricity_share: Decimal | None
    coal_share: Decimal | None
    end_use_tce: dict[str, Decimal] = field(default_factory=dict)


def indicators(
    accounts: Accounts,
    *,
    floor_area_m2: Decimal | None,
    occupants: int | None,
    end_use_split: Mapping[str, Decimal] | None = None,
) -> Indicators:
    """Annual energy per m² (kgce/m²·a) and per person (kgce/人·a), CO2 per m² (kgCO2/m²·a),
    electricity and coal shares of tce, and the annual tce of each end use (percent shares of
    ``end_use_split`` applied to the annual total)."""
    annual_tce, annual_tco2 = accounts.annual_tce, accounts.annual_tco2
    area = floor_area_m2 if floor_area_m2 and floor_area_m2 > 0 else None
    people = occupants if occupants and occupants > 0 else None
    split = {
        use: _CTX.divide(_CTX.multiply(annual_tce, Decimal(share)), Decimal(100))
        for use, share in (end_use_split or {}).items()
    }
    return Indicators(
        annual_tce=annual_tce,
        annual_tco2=annual_tco2,
        annual_cost=accounts.annual_cost,
        floor_area_m2=area,
        occupants=people,
        kgce_per_m2=_CTX.divide(annual_tce * _THOUSAND, area) if area else None,
        kgce_per_person=_CTX.divide(annual_tce * _THOUSAND, Decimal(people)) if people else None,
        kgco2_per_m2=_CTX.divide(annual_tco2 * _THOUSAND, area) if area else None,
        electricity_share=accounts.share(c.value for c in _ELECTRIC),
        coal_share=accounts.share([Carrier.COAL.value]),
        end_use_tce=split,
    )


class SplitError(ValueError):
    """An end-use split refused: ``code`` is its message catalogue key (``audit.end_use_…``)
    and ``params`` the values it names; the text is the English sentence."""

    def __init__(self, code: str, text: str, **params: Any) -> None:
        super().__init__(text)
        self.code, self.params = code, params


def check_end_use_split(split: Mapping[str, Any]) -> dict[str, Decimal]:
    """Validate an end-use split: known end uses, percentages 0–100 that add up to 100.

    Raises:
        SplitError: naming the problem, with its catalogue code.
    """
    out: dict[str, Decimal] = {}
    for use, share in split.items():
        if use not in END_USES:
            raise SplitError(
                "audit.end_use_unknown",
                f"unknown end use {use!r} (known: {', '.join(END_USES)})",
                use=use,
            )
        value = Decimal(str(share))
        if not value.is_finite() or value < 0 or value > 100:
            raise SplitError(
                "audit.end_use_share_range",
                f"share of {use} must be a percentage from 0 to 100",
                use=use,
            )
        out[use] = value
    total = sum(out.values(), _ZERO)
    if out and total != 100:
        raise SplitError(
            "audit.end_use_shares_sum",
            f"the end-use shares must add up to 100, not {total}",
            total=f"{total.normalize():f}",
        )
    return out


# --- quotas and custody -------------------------------------------------------------------------


@dataclass(frozen=True)
class Quota:
    """A quota's three values (kgce/m²·a or kgce/人·a, by ``basis``) and where it applies."""

    basis: str
    constraint_value: Decimal
    baseline_value: Decimal
    guide_value: Decimal
    region_code: str
    building_type: str
    year: int
    source: str


@dataclass(frozen=True)
class QuotaComparison:
    """``value`` against ``quota``: ``level`` is ``above_constraint`` (over 约束值),
    ``above_baseline`` (over 基准值), ``within_baseline`` (at most 基准值, over 引导值) or
    ``meets_guide`` (at most 引导值); ``ratio`` is value / 基准值."""

    quota: Quota
    value: Decimal
    level: str
    ratio: Decimal | None


def compare_quota(value: Decimal, quota: Quota) -> QuotaComparison:
    """Place ``value`` (same unit as the quota) among the quota's values."""
    if value > quota.constraint_value:
        level = "above_constraint"
    elif value > quota.baseline_value:
        level = "above_baseline"
    elif value > quota.guide_value:
        level = "within_baseline"
    else:
        level = "meets_guide"
    ratio = _CTX.divide(value, quota.baseline_value) if quota.baseline_value else None
    return QuotaComparison(quota, value, level, ratio)


def custody_flags(
    *,
    annual_tce: Decimal,
    comparison: QuotaComparison | None,
    data_centre: bool,
    pue: Decimal | None,
) -> list[str]:
    """Reasons the institution suits energy-cost custody (empty when none):
    ``above_baseline_over_500_tce`` and ``data_centre_pue_over_1_4``."""
    flags = []
    if (
        comparison is not None
        and comparison.level in ("above_baseline", "above_constraint")
        and annual_tce > CUSTODY_MIN_TCE
    ):
        flags.append("above_baseline_over_500_tce")
    if data_centre and pue is not None and pue > CUSTODY_MAX_PUE:
        flags.append("data_centre_pue_over_1_4")
    return flags


class MissingCost(ValueError):
    """A carrier of the base period cannot be priced: a counted row has no cost, or there is a
    cost without any quantity."""

    def __init__(self, carrier: str) -> None:
        super().__init__(f"the base-period cost of {carrier} is incomplete")
        self.carrier = carrier


@dataclass(frozen=True)
class BaselineLine:
    """One carrier of a custody baseline: the base period's annual quantity (canonical unit,
    3 decimals) and annual cost (yuan, to the fen), and a unit price whose product with the
    quantity gives that cost to within 0.0001 yuan."""

    carrier: str
    unit: str
    annual_quantity: Decimal
    annual_cost: Decimal
    price_per_unit: Decimal


def _unit_price(quantity: Decimal, cost: Decimal) -> Decimal:
    # The shortest price (4 to 12 decimals) reproducing the cost: the sum over carriers of
    # quantity × price then rounds to the sum of the carriers' costs, to the fen.
    exact_price = _CTX.divide(cost, quantity)
    for places in range(4, 13):
        price = exact_price.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if abs(_CTX.multiply(quantity, price) - cost) < Decimal("0.0001"):
            return price
    return exact_price


def custody_baseline(rows: Sequence[Row], accounts: Accounts) -> list[BaselineLine]:
    """The audited baseline energy cost of energy-cost custody (能源费用托管), per carrier.

    Annual quantity and cost are the base-period totals of the counted rows (bills over meter
    totals, as in :func:`account`) divided by the number of years; the price is cost / quantity.
    On-site PV generation is not bought and is left out, as are carriers used and paid nothing.
    Carriers are in the order of ``accounts.by_carrier`` (largest tce first).

    Raises:
        MissingCost: a carrier with a counted row without cost, or with a cost but no quantity.
    """
    uncosted = {r.carrier for r in counted_rows(rows) if r.cost is None}
    years = Decimal(accounts.years)
    lines = []
    for carrier, total in accounts.by_carrier.items():
        if carrier == Carrier.PV_GENERATION.value:
            continue
        if total.quantity == 0 and total.cost == 0:
            continue
        if carrier in uncosted or total.quantity == 0:
            raise MissingCost(carrier)
        quantity = rounded(_CTX.divide(total.quantity, years), 3)
        cost = rounded(_CTX.divide(total.cost, years), 2)
        if quantity == 0:
            raise MissingCost(carrier)
        lines.append(BaselineLine(carrier, total.unit, quantity, cost, _unit_price(quantity, cost)))
    return lines


def simple_payback(investment: Decimal | None, annual_savings: Decimal | None) -> Decimal | None:
    """Simple payback in years, investment / annual money savings; None without both or with no
    savings."""
    if investment is None or not annual_savings or annual_savings <= 0:
        return None
    return _CTX.divide(investment, annual_savings)

"""Energy carriers, their units, and standard-coal (tce) and CO2 factors. Pure.

Carriers and units
    Every :class:`Carrier` has a canonical :class:`Unit` and a fixed set of accepted units, each
    with an exact conversion factor to the canonical unit (held as a :class:`~fractions.Fraction`,
    returned as :class:`~decimal.Decimal`). Unit text from files and forms (``kWh``, ``度``,
    ``千瓦时``, ``m3``, ``立方米``, ``万m³``, ``吨`` …) is read by :func:`parse_unit`;
    :func:`unit_for` also checks that the unit fits the carrier.

Factors (DESIGN.md §5)
    :data:`DEFAULT_FACTORS` holds the national reference values with their sources: standard coal
    from GB/T 2589-2020 and CO2 from the MEE/NBS grid-factor announcements and the NDRC
    greenhouse-gas accounting guidelines. :class:`FactorSet` selects the most specific factor for
    a year and region and turns a quantity into tce or tCO2 (:meth:`FactorSet.to_tce`,
    :meth:`FactorSet.to_co2`). Regional and provincial grid factors, other natural-gas calorific
    values and the per-year 等价值 of electricity are reference data that the database layer adds
    (each row with its source) — they are not invented here.

Arithmetic is ``Decimal`` in a private 28-digit context, so results do not depend on the caller's
decimal context; nothing is rounded here (rounding belongs to the one reporting helper that
prints the figure). Floats are offered only as a fast path for bulk arrays (:func:`float_factor`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

from emc.messages import carrier as carrier_word
from emc.messages import msg

__all__ = [
    "DEFAULT_FACTORS",
    "GRID_REGIONS",
    "Carrier",
    "Factor",
    "FactorChoice",
    "FactorKind",
    "FactorNotFound",
    "FactorScope",
    "FactorSet",
    "Unit",
    "UnitError",
    "Accounted",
    "accepted_units",
    "canonical_unit",
    "conversion_factor",
    "convert",
    "float_factor",
    "parse_unit",
    "province_of",
    "unit_for",
]

# One context for every operation in this module: 28 significant digits, the decimal default,
# but pinned so that a caller's localcontext() cannot change our results.
_CTX = Context(prec=28)


class Carrier(StrEnum):
    ELECTRICITY = "electricity"
    NATURAL_GAS = "natural_gas"
    DISTRICT_HEAT = "district_heat"
    COAL = "coal"
    DIESEL = "diesel"
    GASOLINE = "gasoline"
    LPG = "lpg"
    FUEL_OIL = "fuel_oil"
    WATER = "water"
    PV_GENERATION = "pv_generation"


class Unit(StrEnum):
    """Units of quantity, valued by their printed symbol.

    Unit symbols are case-sensitive (MWh is not mWh), so unlike other enums in the project the
    values are the symbols as printed, not lowercase words.
    """

    WH = "Wh"
    KWH = "kWh"
    MWH = "MWh"
    MJ = "MJ"
    GJ = "GJ"
    M3 = "m³"
    WAN_M3 = "万m³"  # 10⁴ m³, the unit of gas statistics and large gas bills
    KG = "kg"
    T = "t"


class UnitError(ValueError):
    """A unit that cannot be read, or that does not fit the carrier.

    ``unit`` is the text or unit concerned; ``carrier`` is set when the unit was checked against
    a carrier.
    """

    def __init__(self, message: str, *, unit: str, carrier: Carrier | None = None) -> None:
        super().__init__(message)
        self.unit = unit
        self.carrier = carrier

    def __str__(self) -> str:
        # The message itself: a catalogue Text (emc.messages) keeps its code and params through
        # ``str(error)``, so that callers that file it under a field have it said in the reader's
        # language.
        return self.args[0]


# Each carrier: canonical unit first, then every accepted unit → size in canonical units.
# Ratios are exact fractions (1 kWh = 3.6 MJ by definition of the joule/watt-hour).
_KWH_IN_GJ = Fraction(36, 10_000)
_ELECTRIC = {Unit.WH: Fraction(1, 1000), Unit.KWH: Fraction(1), Unit.MWH: Fraction(1000)}
_FUEL_MASS = {Unit.KG: Fraction(1, 1000), Unit.T: Fraction(1)}
_CARRIER_UNITS: dict[Carrier, tuple[Unit, dict[Unit, Fraction]]] = {
    Carrier.ELECTRICITY: (Unit.KWH, _ELECTRIC),
    Carrier.PV_GENERATION: (Unit.KWH, _ELECTRIC),
    Carrier.NATURAL_GAS: (Unit.M3, {Unit.M3: Fraction(1), Unit.WAN_M3: Fraction(10_000)}),
    # Heat meters (热量表) read GJ, MJ, kWh or MWh.
    Carrier.DISTRICT_HEAT: (
        Unit.GJ,
        {
            Unit.MJ: Fraction(1, 1000),
            Unit.GJ: Fraction(1),
            Unit.KWH: _KWH_IN_GJ,
            Unit.MWH: _KWH_IN_GJ * 1000,
        },
    ),
    # Energy statistics of public institutions report solid and liquid fuels in tonnes (吨).
    Carrier.COAL: (Unit.T, _FUEL_MASS),
    Carrier.DIESEL: (Unit.T, _FUEL_MASS),
    Carrier.GASOLINE: (Unit.T, _FUEL_MASS),
    Carrier.LPG: (Unit.T, _FUEL_MASS),
    Carrier.FUEL_OIL: (Unit.T, _FUEL_MASS),
    # Water bills and meters use 吨 and 立方米 interchangeably (1 t of water taken as 1 m³).
    Carrier.WATER: (Unit.M3, {Unit.M3: Fraction(1), Unit.T: Fraction(1)}),
}

# Spellings after normalisation (see _normalise_unit_text): NFKC, casefolded, without spaces,
# dots and middle dots. Case is folded because no two accepted units differ only in case.
_UNIT_ALIASES: dict[str, Unit] = {
    **dict.fromkeys(["wh", "瓦时", "瓦特小时"], Unit.WH),
    **dict.fromkeys(["kwh", "千瓦时", "千瓦小时", "度", "kw时"], Unit.KWH),
    **dict.fromkeys(["mwh", "兆瓦时", "兆瓦小时", "千度", "千千瓦时"], Unit.MWH),
    **dict.fromkeys(["mj", "兆焦", "兆焦耳"], Unit.MJ),
    **dict.fromkeys(["gj", "吉焦", "吉焦耳", "百万千焦"], Unit.GJ),
    **dict.fromkeys(["m3", "m^3", "立方米", "立方", "方", "米3"], Unit.M3),
    **dict.fromkeys(
        ["万m3", "万立方米", "万立方", "万方", "10^4m3", "104m3", "1e4m3", "万米3"], Unit.WAN_M3
    ),
    **dict.fromkeys(["kg", "千克", "公斤", "kgs"], Unit.KG),
    **dict.fromkeys(["t", "吨", "tonne", "tonnes", "公吨"], Unit.T),
}


def _normalise_unit_text(text: str) -> str:
    # NFKC turns full-width letters and the superscripts ³/⁴ into plain characters (m³ → m3,
    # 10⁴m³ → 104m3, which is why "104m3" is an alias above).
    folded = unicodedata.normalize("NFKC", text).casefold()
    for ch in " \t·•.*_-":
        folded = folded.replace(ch, "")
    return folded


def parse_unit(text: str | Unit) -> Unit:
    """Read a unit from its common spellings (``kWh``, ``度``, ``m3``, ``立方米``, ``吨`` …).

    Raises:
        UnitError: the text is not a known unit.
    """
    if isinstance(text, Unit):
        return text
    unit = _UNIT_ALIASES.get(_normalise_unit_text(str(text)))
    if unit is None:
        known = ", ".join(u.value for u in Unit)
        raise UnitError(msg("energy.unknown_unit", unit=str(text), known=known), unit=str(text))
    return unit


def _carrier(carrier: Carrier | str) -> Carrier:
    try:
        return Carrier(carrier)
    except ValueError:
        known = ", ".join(c.value for c in Carrier)
        raise ValueError(f"unknown carrier {carrier!r} (known: {known})") from None


def canonical_unit(carrier: Carrier | str) -> Unit:
    """The unit in which quantities of ``carrier`` are stored and summed."""
    return _CARRIER_UNITS[_carrier(carrier)][0]


def accepted_units(carrier: Carrier | str) -> tuple[Unit, ...]:
    """Units that fit ``carrier``, smallest first."""
    table = _CARRIER_UNITS[_carrier(carrier)][1]
    return tuple(sorted(table, key=table.__getitem__))


def unit_for(carrier: Carrier | str, text: str | Unit) -> Unit:
    """Parse ``text`` and check that it fits ``carrier``.

    Raises:
        UnitError: unknown unit, or one that does not fit the carrier; the message names both,
            e.g. ``the unit m³ does not fit Electricity (accepted: Wh, kWh, MWh)`` (the
            catalogue's ``energy.unit_not_for_carrier``, the carrier said by its name).
    """
    carrier = _carrier(carrier)
    unit = parse_unit(text)
    if unit not in _CARRIER_UNITS[carrier][1]:
        accepted = ", ".join(u.value for u in accepted_units(carrier))
        raise UnitError(
            msg(
                "energy.unit_not_for_carrier",
                unit=unit.value,
                carrier=carrier_word(carrier.value),
                accepted=accepted,
            ),
            unit=unit.value,
            carrier=carrier,
        )
    return unit


def _ratio(from_unit: str | Unit, to_unit: str | Unit, carrier: Carrier | str) -> Fraction:
    table = _CARRIER_UNITS[_carrier(carrier)][1]
    return table[unit_for(carrier, from_unit)] / table[unit_for(carrier, to_unit)]


def _fraction_to_decimal(value: Fraction) -> Decimal:
    # Exact whenever the ratio terminates in base 10; otherwise 28 significant digits.
    return _CTX.divide(Decimal(value.numerator), Decimal(value.denominator))


def conversion_factor(
    from_unit: str | Unit, to_unit: str | Unit, carrier: Carrier | str
) -> Decimal:
    """How many ``to_unit`` make one ``from_unit`` of ``carrier`` (e.g. MWh → kWh: 1000).

    Exact where the ratio terminates in base 10 (every ratio except those into kWh from heat
    units, e.g. GJ → kWh = 277.77…, given to 28 significant digits).

    Raises:
        UnitError: either unit is unknown or does not fit the carrier.
    """
    return _fraction_to_decimal(_ratio(from_unit, to_unit, carrier))


def float_factor(from_unit: str | Unit, to_unit: str | Unit, carrier: Carrier | str) -> float:
    """:func:`conversion_factor` as a float, for multiplying bulk arrays (ingestion, M&V)."""
    return float(_ratio(from_unit, to_unit, carrier))


def convert(
    value: Decimal | int, from_unit: str | Unit, to_unit: str | Unit, carrier: Carrier | str
) -> Decimal:
    """Convert a quantity of ``carrier`` from one unit to another.

    The value is multiplied by the numerator and divided by the denominator of the exact ratio,
    so 1 GJ → kWh → GJ comes back as 1 to 28 significant digits, and terminating conversions
    (MWh → kWh, 万m³ → m³, kWh → GJ) are exact.

    Raises:
        UnitError: either unit is unknown or does not fit the carrier.
        TypeError: ``value`` is a float (convert it with ``Decimal(str(x))`` at the edge).
    """
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise TypeError(f"convert() takes a Decimal or int, not {type(value).__name__}")
    ratio = _ratio(from_unit, to_unit, carrier)
    scaled = _CTX.multiply(Decimal(value), Decimal(ratio.numerator))
    return _CTX.divide(scaled, Decimal(ratio.denominator))


def province_of(region_code: str) -> str:
    """The GB/T 2260 province code (first two digits + ``0000``) of a 6-digit division code.

    Raises:
        ValueError: not a 6-digit code.
    """
    if len(region_code) != 6 or not region_code.isdigit() or not region_code.isascii():
        raise ValueError(f"region code {region_code!r} is not a 6-digit GB/T 2260 code")
    return region_code[:2] + "0000"


# --------------------------------------------------------------------------------------------
# Factors


class FactorKind(StrEnum):
    TCE = "tce"
    CO2 = "co2"


class FactorScope(StrEnum):
    NATIONAL = "national"
    REGIONAL = "regional"  # a regional grid (华北, 华东, …): region is the grid name
    PROVINCIAL = "provincial"  # region is the 6-digit province code (xx0000)
    FUEL = "fuel"  # a property of the fuel, valid everywhere


# Variants that make sense for each (carrier, kind), the first being the default.
# 当量值 (calorific) is the default for public-institution energy statistics; the national
# average grid factor is the default for institutional carbon accounting, the carbon-market
# factor being the one that covered entities report with.
CALORIFIC = "calorific"  # 当量值
GENERATION = "generation"  # 等价值
NATIONAL_AVERAGE = "national_average"
CARBON_MARKET = "carbon_market"
_VARIANTS: dict[tuple[Carrier, FactorKind], tuple[str, ...]] = {
    (Carrier.ELECTRICITY, FactorKind.TCE): (CALORIFIC, GENERATION),
    (Carrier.ELECTRICITY, FactorKind.CO2): (NATIONAL_AVERAGE, CARBON_MARKET),
}

_NUMERATORS = {
    FactorKind.TCE: {"kgce": Fraction(1, 1000), "tce": Fraction(1)},
    FactorKind.CO2: {"kgco2": Fraction(1, 1000), "tco2": Fraction(1)},
}


@dataclass(frozen=True)
class Factor:
    """One conversion factor to standard coal or CO2, with where it comes from.

    ``value`` is in ``unit``, written ``<kgce|tce|kgCO2|tCO2>/<unit of the carrier>``
    (``kgce/kWh``, ``tCO2/MWh``, ``kgCO2/m³``). ``year`` is the data year for values that change
    by year (grid factors), else None (valid for any year). ``region`` is the province code
    (scope provincial) or grid name (scope regional), else None. ``variant`` distinguishes
    当量值/等价值 (electricity tce: ``calorific``/``generation``) and the national-average and
    carbon-market grid factors (electricity CO2: ``national_average``/``carbon_market``); None
    for other carriers.

    Raises:
        ValueError / UnitError: inconsistent fields (unit that does not fit the carrier or kind,
            a variant the carrier does not have, a region missing or malformed for its scope,
            a negative value).
    """

    carrier: Carrier
    kind: FactorKind
    value: Decimal
    unit: str
    year: int | None
    scope: FactorScope
    region: str | None
    variant: str | None
    source: str

    def __post_init__(self) -> None:
        # Coerce plain strings (rows loaded from the database) so that comparisons are exact.
        object.__setattr__(self, "carrier", _carrier(self.carrier))
        object.__setattr__(self, "kind", FactorKind(self.kind))
        object.__setattr__(self, "scope", FactorScope(self.scope))
        if not isinstance(self.value, Decimal) or not self.value.is_finite() or self.value < 0:
            raise ValueError(f"factor value must be a finite non-negative Decimal: {self.value!r}")
        self._split_unit()
        allowed = _VARIANTS.get((self.carrier, self.kind), (None,))
        if self.variant not in allowed:
            raise ValueError(
                f"variant {self.variant!r} does not apply to {self.carrier.value} {self.kind.value}"
                f" factors (allowed: {', '.join(map(str, allowed))})"
            )
        if self.scope is FactorScope.PROVINCIAL:
            if self.region is None or province_of(self.region) != self.region:
                raise ValueError(f"provincial factor needs a province code, not {self.region!r}")
        elif self.scope is FactorScope.REGIONAL:
            if not self.region:
                raise ValueError("regional factor needs the grid name as region")
        elif self.region is not None:
            raise ValueError(f"{self.scope.value} factor takes no region (got {self.region!r})")
        if not self.source.strip():
            raise ValueError("factor needs a source")

    def _split_unit(self) -> tuple[Fraction, Unit]:
        numerator, sep, denominator = self.unit.partition("/")
        scale = _NUMERATORS[self.kind].get(numerator.strip().casefold()) if sep else None
        if scale is None:
            want = "kgce or tce" if self.kind is FactorKind.TCE else "kgCO2 or tCO2"
            raise ValueError(f"factor unit {self.unit!r} must be <{want}>/<unit>")
        return scale, unit_for(self.carrier, denominator)

    def apply(self, quantity: Decimal | int, unit: str | Unit) -> Decimal:
        """``quantity`` (in ``unit`` of this factor's carrier) in tonnes of ce or CO2."""
        scale, per_unit = self._split_unit()
        in_factor_unit = convert(quantity, unit, per_unit, self.carrier)
        tonnes_per = _CTX.multiply(self.value, _fraction_to_decimal(scale))
        return _CTX.multiply(in_factor_unit, tonnes_per)


class FactorChoice(NamedTuple):
    """The factor :meth:`FactorSet.select` picked; ``stale`` when it is from an earlier year
    than the one asked for (no value published yet for that year); ``before_first`` when the
    year asked for precedes the first published year and the earliest one stands in for it."""

    factor: Factor
    stale: bool
    before_first: bool = False


class Accounted(NamedTuple):
    """A quantity in tce or tCO2 (``amount``, Decimal tonnes) and the factor used.

    ``factor`` is None when the carrier carries no factor of that kind (water; CO2 of on-site
    PV generation), in which case ``amount`` is zero. ``stale`` as in :class:`FactorChoice`.
    """

    amount: Decimal
    factor: Factor | None
    stale: bool
    before_first: bool = False


class FactorNotFound(LookupError):
    """No factor applies: none for the carrier/kind/variant, or only ones for later years."""


_SCOPE_RANK = {
    FactorScope.PROVINCIAL: 0,
    FactorScope.REGIONAL: 1,
    FactorScope.NATIONAL: 2,
    FactorScope.FUEL: 2,
}

_ZERO = Decimal(0)


class FactorSet:
    """A fixed selection of factors (e.g. :data:`DEFAULT_FACTORS`, or the rows the database
    layer loads), and the rules that pick one for a quantity.

    ``grid_regions`` maps province codes (``xx0000``) to the grid name used by regional factors
    (e.g. ``{"320000": "华东"}``, :data:`GRID_REGIONS` for the published grids); without it,
    regional factors are never selected. The set is immutable: build a new one to change it.
    """

    __slots__ = ("_factors", "_grid_regions")

    def __init__(
        self, factors: Iterable[Factor], *, grid_regions: Mapping[str, str] | None = None
    ) -> None:
        self._factors: tuple[Factor, ...] = tuple(factors)
        self._grid_regions: dict[str, str] = dict(grid_regions or {})
        seen: dict[tuple, Factor] = {}
        for f in self._factors:
            key = (f.carrier, f.kind, f.variant, f.scope, f.region, f.year)
            if key in seen:
                raise ValueError(f"two factors for the same selection: {seen[key]} and {f}")
            seen[key] = f

    @property
    def factors(self) -> tuple[Factor, ...]:
        return self._factors

    def select(
        self,
        carrier: Carrier | str,
        kind: FactorKind | str,
        year: int | None = None,
        region_code: str | None = None,
        variant: str | None = None,
    ) -> FactorChoice:
        """The factor to use for ``carrier``/``kind`` in ``year`` at ``region_code``.

        ``variant`` None means the default (当量值 for electricity tce, the national average for
        electricity CO2). Candidates are year-independent factors and factors for ``year``; the
        most specific scope wins: provincial (the province of ``region_code``), then regional
        (the grid of that province, see ``grid_regions``), then national/fuel. If no candidate
        exists for ``year``, the latest earlier year is used (again most specific scope first)
        and the choice is flagged ``stale``; if ``year`` precedes every published year, the
        earliest is used and flagged ``before_first``. ``year`` None takes the latest year
        available.

        Raises:
            FactorNotFound: nothing applies (no factor for the carrier, kind and variant).
            ValueError: malformed region code, unknown carrier/kind/variant.
        """
        carrier, kind = _carrier(carrier), FactorKind(kind)
        variants = _VARIANTS.get((carrier, kind), (None,))
        variant = variants[0] if variant is None else variant
        if variant not in variants:
            raise ValueError(
                f"variant {variant!r} does not apply to {carrier.value} {kind.value} factors"
            )
        province = province_of(region_code) if region_code is not None else None
        grid = self._grid_regions.get(province) if province else None

        def applies(f: Factor) -> bool:
            if f.scope is FactorScope.PROVINCIAL:
                return f.region == province
            if f.scope is FactorScope.REGIONAL:
                return grid is not None and f.region == grid
            return True

        candidates = [
            f
            for f in self._factors
            if f.carrier is carrier and f.kind is kind and f.variant == variant and applies(f)
        ]
        current = [f for f in candidates if f.year is None or year is None or f.year == year]
        if year is None and current:
            # No year asked: the latest data year at each scope, most specific scope first.
            best = min(current, key=lambda f: (_SCOPE_RANK[f.scope], -(f.year or 0)))
            return FactorChoice(best, False)
        if current:
            return FactorChoice(min(current, key=lambda f: _SCOPE_RANK[f.scope]), False)
        earlier = [f for f in candidates if f.year is not None and f.year < year]
        if earlier:
            best = min(earlier, key=lambda f: (-f.year, _SCOPE_RANK[f.scope]))
            return FactorChoice(best, True)
        later = [f for f in candidates if f.year is not None and f.year > year]
        if later:
            # Before the first published year (grid CO2 before 2021): the earliest published
            # year is the closest estimate. One rule for reports and statistics, and every
            # figure it produces says so (``before_first``).
            best = min(later, key=lambda f: (f.year, _SCOPE_RANK[f.scope]))
            return FactorChoice(best, False, True)
        years = sorted({f.year for f in candidates if f.year is not None})
        where = f" for region {region_code}" if region_code else ""
        raise FactorNotFound(
            f"no {kind.value} factor for {carrier.value} (variant {variant}) in {year}{where}"
            + (f"; available years: {', '.join(map(str, years))}" if years else "")
        )

    def to_tce(
        self,
        quantity: Decimal | int,
        unit: str | Unit,
        carrier: Carrier | str,
        *,
        year: int | None = None,
        region_code: str | None = None,
        variant: str | None = None,
    ) -> Accounted:
        """``quantity`` of ``carrier`` in tonnes of standard coal (tce), unrounded.

        On-site PV generation counts in total energy use like purchased electricity (its
        electricity factor is used). Water is not energy: zero, no factor.

        Raises:
            UnitError: the unit does not fit the carrier. FactorNotFound: see :meth:`select`.
        """
        return self._account(FactorKind.TCE, quantity, unit, carrier, year, region_code, variant)

    def to_co2(
        self,
        quantity: Decimal | int,
        unit: str | Unit,
        carrier: Carrier | str,
        *,
        year: int | None = None,
        region_code: str | None = None,
        variant: str | None = None,
    ) -> Accounted:
        """``quantity`` of ``carrier`` in tonnes of CO2, unrounded.

        Carbon is counted on purchased energy: on-site PV generation emits nothing here (zero,
        no factor), which is how PV reduces an institution's CO2; water: zero, no factor.

        Raises:
            UnitError: the unit does not fit the carrier. FactorNotFound: see :meth:`select`.
        """
        return self._account(FactorKind.CO2, quantity, unit, carrier, year, region_code, variant)

    def _account(self, kind, quantity, unit, carrier, year, region_code, variant) -> Accounted:
        carrier = _carrier(carrier)
        unit_for(carrier, unit)  # a wrong unit is an error even where the answer is zero
        if carrier is Carrier.WATER or (
            carrier is Carrier.PV_GENERATION and kind is FactorKind.CO2
        ):
            return Accounted(_ZERO, None, False)
        factor_carrier = Carrier.ELECTRICITY if carrier is Carrier.PV_GENERATION else carrier
        choice = self.select(factor_carrier, kind, year, region_code, variant)
        # The factor is for electricity; the quantity's unit is one that PV shares with it.
        amount = choice.factor.apply(quantity, unit)
        return Accounted(amount, choice.factor, choice.stale, choice.before_first)


# --------------------------------------------------------------------------------------------
# Reference values (DESIGN.md §5)

_GB2589 = "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数"
_NDRC_GUIDE = (
    "国家发展改革委《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》(2015) 附录"
    " 缺省值"
)


def _ndrc_fuel(ncv: str, carbon: str, oxidation: str) -> str:
    return (
        f"{_NDRC_GUIDE}: 低位发热量 {ncv} × 单位热值含碳量 {carbon} × 碳氧化率 {oxidation} × 44/12"
    )


def _tce(carrier: Carrier, value: str, unit: str, note: str = "") -> Factor:
    return Factor(
        carrier=carrier,
        kind=FactorKind.TCE,
        value=Decimal(value),
        unit=unit,
        year=None,
        scope=FactorScope.FUEL if carrier is not Carrier.ELECTRICITY else FactorScope.NATIONAL,
        region=None,
        variant=CALORIFIC if carrier is Carrier.ELECTRICITY else None,
        source=_GB2589 + note,
    )


def _co2_fuel(carrier: Carrier, value: str, unit: str, source: str) -> Factor:
    return Factor(
        carrier=carrier,
        kind=FactorKind.CO2,
        value=Decimal(value),
        unit=unit,
        year=None,
        scope=FactorScope.FUEL,
        region=None,
        variant=None,
        source=source,
    )


def _grid(year: int, value: str, unit: str, variant: str, source: str) -> Factor:
    return Factor(
        carrier=Carrier.ELECTRICITY,
        kind=FactorKind.CO2,
        value=Decimal(value),
        unit=unit,
        year=year,
        scope=FactorScope.NATIONAL,
        region=None,
        variant=variant,
        source=source,
    )


#: The regional grid of each province, for regional grid factors (``FactorSet(grid_regions=…)``):
#: 《2021年电力二氧化碳排放因子计算说明》表1 (MEE, 2024-04-12,
#: https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202404/W020240412827267566470.pdf), which the 2022
#: and 2023 announcements keep. 内蒙古 is left out: its east (赤峰, 通辽, 呼伦贝尔, 兴安盟) is in
#: 东北 and the rest in 华北, and a province code cannot say which; 西藏 is in no regional table.
#: Both fall back to the national factor when they have no provincial one.
GRID_REGIONS: Mapping[str, str] = {
    **dict.fromkeys(("110000", "120000", "130000", "140000", "370000"), "华北"),
    **dict.fromkeys(("210000", "220000", "230000"), "东北"),
    **dict.fromkeys(("310000", "320000", "330000", "340000", "350000"), "华东"),
    **dict.fromkeys(("360000", "410000", "420000", "430000"), "华中"),
    **dict.fromkeys(("610000", "620000", "630000", "640000", "650000"), "西北"),
    **dict.fromkeys(("440000", "450000", "460000", "520000", "530000"), "南方"),
    **dict.fromkeys(("500000", "510000"), "西南"),
}

_MEE_GRID = "生态环境部、国家统计局《关于发布{year}年电力二氧化碳排放因子的公告》: 全国电力平均二氧化碳排放因子"

#: Every reference value of DESIGN.md §5. The 等价值 (generation) tce factor of electricity is
#: deliberately absent: it is the national average coal use of thermal generation of a given
#: year (about 0.30–0.31 kgce/kWh), published year by year in the China Energy Statistical
#: Yearbook, and a value is only useful with that year's citation — the database layer adds it
#: as reference data (variant "generation", with year and source) when a programme adopts it.
DEFAULT_FACTORS: tuple[Factor, ...] = (
    _tce(Carrier.ELECTRICITY, "0.1229", "kgce/kWh", " (电力, 当量值)"),
    _tce(Carrier.NATURAL_GAS, "1.2143", "kgce/m³", " (天然气; 参考范围 1.1000–1.3300)"),
    _tce(Carrier.COAL, "0.7143", "kgce/kg", " (原煤)"),
    _tce(Carrier.GASOLINE, "1.4714", "kgce/kg", " (汽油)"),
    _tce(Carrier.DIESEL, "1.4571", "kgce/kg", " (柴油)"),
    _tce(Carrier.FUEL_OIL, "1.4286", "kgce/kg", " (燃料油)"),
    _tce(Carrier.LPG, "1.7143", "kgce/kg", " (液化石油气)"),
    _tce(Carrier.DISTRICT_HEAT, "0.03412", "kgce/MJ", " (热力, 当量值)"),
    _grid(2021, "0.5568", "kgCO2/kWh", NATIONAL_AVERAGE, _MEE_GRID.format(year=2021)),
    _grid(2022, "0.5366", "kgCO2/kWh", NATIONAL_AVERAGE, _MEE_GRID.format(year=2022)),
    _grid(2023, "0.5306", "kgCO2/kWh", NATIONAL_AVERAGE, _MEE_GRID.format(year=2023)),
    _grid(
        2022,
        "0.5703",
        "tCO2/MWh",
        CARBON_MARKET,
        "生态环境部办公厅《关于做好2023—2025年发电行业企业温室气体排放报告管理有关工作的通知》"
        "（环办气候函〔2023〕43号）: 全国电网平均排放因子",
    ),
    _co2_fuel(
        Carrier.NATURAL_GAS,
        "2.1622",
        "kgCO2/m³",
        _ndrc_fuel("389.31 GJ/10⁴Nm³", "15.3 tC/TJ", "99%"),
    ),
    _co2_fuel(
        Carrier.GASOLINE, "2.9251", "kgCO2/kg", _ndrc_fuel("43.070 GJ/t", "18.9 tC/TJ", "98%")
    ),
    _co2_fuel(Carrier.DIESEL, "3.0959", "kgCO2/kg", _ndrc_fuel("42.652 GJ/t", "20.2 tC/TJ", "98%")),
    _co2_fuel(
        Carrier.COAL,
        "1.90",
        "kgCO2/kg",
        _ndrc_fuel("20.908 GJ/t", "26.37 tC/TJ", "94%") + " ≈ 1.900 (原煤)",
    ),
    _co2_fuel(Carrier.DISTRICT_HEAT, "0.11", "tCO2/GJ", f"{_NDRC_GUIDE}: 热力供应排放因子"),
    # Not in DESIGN.md §5, derived the same way from the same guideline's defaults, so that every
    # fuel carrier can be accounted for.
    _co2_fuel(Carrier.LPG, "3.1013", "kgCO2/kg", _ndrc_fuel("50.179 GJ/t", "17.2 tC/TJ", "98%")),
    _co2_fuel(
        Carrier.FUEL_OIL, "3.1705", "kgCO2/kg", _ndrc_fuel("41.816 GJ/t", "21.1 tC/TJ", "98%")
    ),
)

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emc.energy import (
    DEFAULT_FACTORS,
    Carrier,
    Factor,
    FactorKind,
    FactorNotFound,
    FactorScope,
    FactorSet,
    Unit,
    UnitError,
    accepted_units,
    canonical_unit,
    conversion_factor,
    convert,
    float_factor,
    parse_unit,
    province_of,
    unit_for,
)

D = Decimal
DEFAULTS = FactorSet(DEFAULT_FACTORS)


# ---------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("kWh", Unit.KWH),
        ("kwh", Unit.KWH),
        ("KWH", Unit.KWH),
        ("kW·h", Unit.KWH),
        ("千瓦时", Unit.KWH),
        ("度", Unit.KWH),
        ("ｋＷｈ", Unit.KWH),
        ("Wh", Unit.WH),
        ("MWh", Unit.MWH),
        ("兆瓦时", Unit.MWH),
        ("m³", Unit.M3),
        ("m3", Unit.M3),
        ("立方米", Unit.M3),
        ("万m³", Unit.WAN_M3),
        ("万立方米", Unit.WAN_M3),
        ("10⁴m³", Unit.WAN_M3),
        ("GJ", Unit.GJ),
        ("MJ", Unit.MJ),
        ("kg", Unit.KG),
        ("公斤", Unit.KG),
        ("t", Unit.T),
        ("吨", Unit.T),
        (" kWh ", Unit.KWH),
    ],
)
def test_common_unit_spellings_are_read(text, unit):
    assert parse_unit(text) is unit


def test_unknown_unit_is_an_error():
    with pytest.raises(UnitError, match="unknown unit 'furlong'"):
        parse_unit("furlong")


def test_unit_that_does_not_fit_the_carrier_names_both():
    with pytest.raises(UnitError) as err:
        unit_for(Carrier.ELECTRICITY, "m3")
    assert str(err.value) == "the unit m³ does not fit Electricity (accepted: Wh, kWh, MWh)"
    assert err.value.carrier is Carrier.ELECTRICITY
    # A catalogue sentence: the web layer says it in the reader's language, carrier and all.
    said = str(err.value)
    assert said.code == "energy.unit_not_for_carrier" and said.params["unit"] == "m³"
    assert said.params["carrier"] == "Electricity" and said.params["accepted"] == "Wh, kWh, MWh"


def test_every_carrier_has_a_canonical_unit_it_accepts():
    for carrier in Carrier:
        assert canonical_unit(carrier) in accepted_units(carrier)


@pytest.mark.parametrize(
    ("carrier", "from_unit", "to_unit", "factor"),
    [
        (Carrier.ELECTRICITY, "MWh", "kWh", "1000"),
        (Carrier.ELECTRICITY, "Wh", "kWh", "0.001"),
        (Carrier.PV_GENERATION, "MWh", "kWh", "1000"),
        (Carrier.NATURAL_GAS, "万m³", "m³", "10000"),
        (Carrier.DISTRICT_HEAT, "kWh", "GJ", "0.0036"),
        (Carrier.DISTRICT_HEAT, "kWh", "MJ", "3.6"),
        (Carrier.DISTRICT_HEAT, "GJ", "MJ", "1000"),
        (Carrier.DISTRICT_HEAT, "MWh", "GJ", "3.6"),
        (Carrier.COAL, "t", "kg", "1000"),
        (Carrier.DIESEL, "kg", "t", "0.001"),
        (Carrier.WATER, "t", "m³", "1"),
    ],
)
def test_conversion_factors_are_exact(carrier, from_unit, to_unit, factor):
    assert conversion_factor(from_unit, to_unit, carrier) == D(factor)
    assert float_factor(from_unit, to_unit, carrier) == float(D(factor))


def test_conversion_into_kwh_from_heat_units_is_given_to_28_digits():
    assert conversion_factor("GJ", "kWh", Carrier.DISTRICT_HEAT) == D(
        "277.7777777777777777777777778"
    )


def test_convert_is_independent_of_the_callers_decimal_context():
    with localcontext() as ctx:
        ctx.prec = 3
        assert convert(D("1234.5678"), "MWh", "kWh", "electricity") == D("1234567.8")


@pytest.mark.parametrize("carrier", list(Carrier))
def test_round_trip_through_every_accepted_unit(carrier):
    value = D("12345.678")
    for a in accepted_units(carrier):
        for b in accepted_units(carrier):
            back = convert(convert(value, a, b, carrier), b, a, carrier)
            assert abs(back - value) < D("1e-20")


@given(st.decimals(min_value=0, max_value=10**9, places=3))
def test_terminating_conversions_round_trip_exactly(value):
    there = convert(value, "kWh", "MWh", Carrier.ELECTRICITY)
    assert convert(there, "MWh", "kWh", Carrier.ELECTRICITY) == value


def test_convert_refuses_floats():
    with pytest.raises(TypeError):
        convert(1.5, "kWh", "MWh", Carrier.ELECTRICITY)


def test_wrong_unit_in_convert_is_an_error():
    with pytest.raises(UnitError, match="does not fit Natural gas"):
        convert(D(1), "kWh", "m³", Carrier.NATURAL_GAS)


def test_province_of_a_county_code():
    assert province_of("320102") == "320000"
    with pytest.raises(ValueError):
        province_of("3201")


# ---------------------------------------------------------------------------- factors


def test_defaults_hold_every_design_value_with_a_source():
    values = {(f.carrier, f.kind, f.year, f.variant): (f.value, f.unit) for f in DEFAULT_FACTORS}
    e, tce, co2 = Carrier.ELECTRICITY, FactorKind.TCE, FactorKind.CO2
    assert values[(e, tce, None, "calorific")] == (D("0.1229"), "kgce/kWh")
    assert values[(Carrier.NATURAL_GAS, tce, None, None)] == (D("1.2143"), "kgce/m³")
    assert values[(Carrier.COAL, tce, None, None)] == (D("0.7143"), "kgce/kg")
    assert values[(Carrier.GASOLINE, tce, None, None)] == (D("1.4714"), "kgce/kg")
    assert values[(Carrier.DIESEL, tce, None, None)] == (D("1.4571"), "kgce/kg")
    assert values[(Carrier.FUEL_OIL, tce, None, None)] == (D("1.4286"), "kgce/kg")
    assert values[(Carrier.LPG, tce, None, None)] == (D("1.7143"), "kgce/kg")
    assert values[(Carrier.DISTRICT_HEAT, tce, None, None)] == (D("0.03412"), "kgce/MJ")
    assert values[(e, co2, 2021, "national_average")] == (D("0.5568"), "kgCO2/kWh")
    assert values[(e, co2, 2022, "national_average")] == (D("0.5366"), "kgCO2/kWh")
    assert values[(e, co2, 2023, "national_average")] == (D("0.5306"), "kgCO2/kWh")
    assert values[(e, co2, 2022, "carbon_market")] == (D("0.5703"), "tCO2/MWh")
    assert values[(Carrier.NATURAL_GAS, co2, None, None)] == (D("2.1622"), "kgCO2/m³")
    assert values[(Carrier.GASOLINE, co2, None, None)] == (D("2.9251"), "kgCO2/kg")
    assert values[(Carrier.DIESEL, co2, None, None)] == (D("3.0959"), "kgCO2/kg")
    assert values[(Carrier.COAL, co2, None, None)] == (D("1.90"), "kgCO2/kg")
    assert values[(Carrier.DISTRICT_HEAT, co2, None, None)] == (D("0.11"), "tCO2/GJ")
    assert all(f.source.strip() for f in DEFAULT_FACTORS)
    assert not any(f.variant == "generation" for f in DEFAULT_FACTORS)


@pytest.mark.parametrize(
    ("carrier", "ncv", "carbon", "oxidation", "places"),
    [
        # NCV (GJ/t or GJ/10⁴m³), carbon content (tC/TJ), oxidation: the guideline defaults.
        (Carrier.NATURAL_GAS, "389.31", "15.3", "0.99", "0.0001"),
        (Carrier.GASOLINE, "43.070", "18.9", "0.98", "0.0001"),
        (Carrier.DIESEL, "42.652", "20.2", "0.98", "0.0001"),
        (Carrier.LPG, "50.179", "17.2", "0.98", "0.0001"),
        (Carrier.FUEL_OIL, "41.816", "21.1", "0.98", "0.0001"),
        (Carrier.COAL, "20.908", "26.37", "0.94", "0.01"),
    ],
)
def test_fuel_co2_factors_agree_with_their_stated_derivation(
    carrier, ncv, carbon, oxidation, places
):
    # tCO2 per t (or per 10⁴ m³) = GJ × tC/TJ / 1000 × oxidation × 44/12
    derived = D(ncv) * D(carbon) / 1000 * D(oxidation) * 44 / 12
    if carrier is Carrier.NATURAL_GAS:
        derived /= 10  # per 10⁴ m³ → kg per m³
    factor = DEFAULTS.select(carrier, "co2").factor
    assert derived.quantize(D(places)) == factor.value


def test_one_million_kwh_is_122_9_tce():
    result = DEFAULTS.to_tce(D(1_000_000), "kWh", Carrier.ELECTRICITY)
    assert result.amount == D("122.9")
    assert result.factor.variant == "calorific"
    assert not result.stale


def test_natural_gas_tce_and_co2():
    assert DEFAULTS.to_tce(D(10_000), "m³", Carrier.NATURAL_GAS).amount == D("12.143")
    assert DEFAULTS.to_co2(D(10_000), "m3", Carrier.NATURAL_GAS).amount == D("21.622")
    assert DEFAULTS.to_co2(D(1), "万m³", Carrier.NATURAL_GAS).amount == D("21.622")


def test_heat_tce_goes_through_megajoules_and_co2_through_gigajoules():
    assert DEFAULTS.to_tce(D(500), "GJ", Carrier.DISTRICT_HEAT).amount == D("17.06")
    assert DEFAULTS.to_co2(D(500), "GJ", Carrier.DISTRICT_HEAT).amount == D("55")
    # 1000 kWh of heat = 3.6 GJ
    assert DEFAULTS.to_co2(D(1000), "kWh", Carrier.DISTRICT_HEAT).amount == D("0.396")


def test_liquid_and_solid_fuels_in_tonnes():
    assert DEFAULTS.to_tce(D(2), "t", Carrier.DIESEL).amount == D("2.9142")
    assert DEFAULTS.to_co2(D(2), "吨", Carrier.DIESEL).amount == D("6.1918")
    assert DEFAULTS.to_tce(D(1000), "kg", Carrier.GASOLINE).amount == D("1.4714")
    assert DEFAULTS.to_co2(D(100), "t", Carrier.COAL).amount == D("190")
    assert DEFAULTS.to_tce(D(1), "t", Carrier.LPG).amount == D("1.7143")


def test_grid_co2_by_year():
    assert DEFAULTS.to_co2(D(1000), "kWh", "electricity", year=2021).amount == D("0.5568")
    assert DEFAULTS.to_co2(D(1000), "MWh", "electricity", year=2022).amount == D("536.6")
    assert DEFAULTS.to_co2(D(1000), "kWh", "electricity", year=2023).amount == D("0.5306")


def test_carbon_market_variant_in_tonnes_per_mwh():
    result = DEFAULTS.to_co2(D(1000), "kWh", "electricity", year=2022, variant="carbon_market")
    assert result.amount == D("0.5703")


def test_a_year_without_a_value_takes_the_latest_earlier_one_and_says_so():
    result = DEFAULTS.to_co2(D(1000), "kWh", "electricity", year=2025)
    assert result.factor.year == 2023
    assert result.stale


def test_a_year_before_the_first_published_one_takes_the_earliest_and_says_so():
    # One rule for reports and statistics (issue 14): 2019 has no grid factor; 2021's 0.5568
    # stands in, flagged before_first (not stale, which means "a later year not yet out").
    result = DEFAULTS.to_co2(D(1000), "kWh", "electricity", year=2019)
    assert result.amount == D("0.5568")
    assert result.factor.year == 2021
    assert result.before_first and not result.stale


def test_pv_generation_counts_in_energy_but_emits_nothing():
    tce = DEFAULTS.to_tce(D(1_000_000), "kWh", Carrier.PV_GENERATION)
    assert tce.amount == D("122.9")
    assert tce.factor.carrier is Carrier.ELECTRICITY
    co2 = DEFAULTS.to_co2(D(1_000_000), "kWh", Carrier.PV_GENERATION, year=2023)
    assert co2 == (D(0), None, False, False)


def test_water_has_neither_tce_nor_co2_but_its_unit_is_still_checked():
    assert DEFAULTS.to_tce(D(100), "吨", Carrier.WATER) == (D(0), None, False, False)
    assert DEFAULTS.to_co2(D(100), "m³", Carrier.WATER) == (D(0), None, False, False)
    with pytest.raises(UnitError):
        DEFAULTS.to_tce(D(100), "kWh", Carrier.WATER)


def test_no_generation_equivalent_by_default():
    with pytest.raises(FactorNotFound):
        DEFAULTS.to_tce(D(1), "kWh", "electricity", variant="generation")


def _grid_factor(value, year, scope, region=None):
    return Factor(
        carrier=Carrier.ELECTRICITY,
        kind=FactorKind.CO2,
        value=D(value),
        unit="kgCO2/kWh",
        year=year,
        scope=scope,
        region=region,
        variant="national_average",
        source="test",
    )


SELECTION = FactorSet(
    [
        _grid_factor("0.5366", 2022, FactorScope.NATIONAL),
        _grid_factor("0.5306", 2023, FactorScope.NATIONAL),
        _grid_factor("0.6000", 2022, FactorScope.REGIONAL, "华东"),
        _grid_factor("0.7000", 2022, FactorScope.PROVINCIAL, "320000"),
        _grid_factor("0.6500", 2023, FactorScope.REGIONAL, "华东"),
    ],
    grid_regions={"320000": "华东", "330000": "华东", "110000": "华北"},
)


def test_provincial_factor_wins_for_a_county_of_that_province():
    choice = SELECTION.select("electricity", "co2", 2022, region_code="320102")
    assert choice.factor.value == D("0.7000")
    assert not choice.stale


def test_regional_factor_wins_where_the_province_has_none():
    assert SELECTION.select("electricity", "co2", 2022, "330100").factor.value == D("0.6000")


def test_national_factor_where_neither_province_nor_grid_has_one():
    assert SELECTION.select("electricity", "co2", 2022, "110000").factor.value == D("0.5366")
    assert SELECTION.select("electricity", "co2", 2022).factor.value == D("0.5366")


def test_a_current_year_value_beats_a_stale_more_specific_one():
    # Jiangsu has a 2022 provincial value only; 2023 has a regional one: the current year wins.
    choice = SELECTION.select("electricity", "co2", 2023, "320100")
    assert choice.factor.value == D("0.6500")
    assert not choice.stale


def test_stale_selection_prefers_the_latest_year_then_the_most_specific_scope():
    choice = SELECTION.select("electricity", "co2", 2024, "320100")
    assert (choice.factor.year, choice.factor.value, choice.stale) == (2023, D("0.6500"), True)
    choice = SELECTION.select("electricity", "co2", 2024, "110000")
    assert (choice.factor.value, choice.stale) == (D("0.5306"), True)


def test_without_a_year_the_latest_value_is_taken():
    assert SELECTION.select("electricity", "co2").factor.year == 2023


def test_factor_rows_from_the_database_are_validated():
    with pytest.raises(UnitError, match="does not fit Electricity"):
        _grid_factor("0.5", 2022, FactorScope.NATIONAL).__class__(
            carrier="electricity",
            kind="co2",
            value=D("0.5"),
            unit="kgCO2/m³",
            year=2022,
            scope="national",
            region=None,
            variant="national_average",
            source="x",
        )
    with pytest.raises(ValueError, match="province code"):
        _grid_factor("0.5", 2022, FactorScope.PROVINCIAL, "320100")
    with pytest.raises(ValueError, match="variant"):
        Factor(Carrier.WATER, FactorKind.TCE, D(1), "kgce/t", None, "fuel", None, "calorific", "x")


def test_two_factors_for_the_same_selection_are_refused():
    f = _grid_factor("0.5", 2022, FactorScope.NATIONAL)
    with pytest.raises(ValueError, match="same selection"):
        FactorSet([f, f])


def test_the_seeded_regional_and_provincial_grid_factors_carry_their_source(db_session):
    """Migration 0014_settle: the MEE/NBS 2022 and 2023 regional values and the ten 2022
    provincial values the cited articles print, each with its source."""
    from sqlalchemy import select

    from emc.facilities.models import EmissionFactor

    rows = db_session.scalars(
        select(EmissionFactor).where(EmissionFactor.scope.in_(["regional", "provincial"]))
    ).all()
    by_key = {(r.scope, r.region, r.year): r for r in rows}
    assert by_key["regional", "华东", 2022].value == D("0.5617")
    assert by_key["regional", "华北", 2023].value == D("0.6361")
    assert by_key["provincial", "530000", 2022].value == D("0.1073")
    assert all("电力二氧化碳排放因子的公告" in r.source and "http" in r.source for r in rows)
    assert len({k for k in by_key if k[0] == "regional"}) == 21


def test_provinces_with_a_provincial_factor_have_one_every_published_year(db_session):
    """Migrations 0016_settle and 0017_factors: every province of the announcements' tables
    (30; 西藏 has none) has its provincial factor for 2021, 2022 and 2023, so a site is
    accounted at its province's factor every year. A 河北 site: 1,000 kWh × 0.7901 / 0.7252 /
    0.6516 kgCO2/kWh = 0.7901 / 0.7252 / 0.6516 tCO2; a 杭州 site (浙江, 0017_factors):
    1,000 × 0.5422 / 0.5153 / 0.4974 = 0.5422 / 0.5153 / 0.4974 tCO2 (it had the national
    0.5568 / 0.5366 / 0.5306 before). A 拉萨 site keeps the national factor."""
    from emc.facilities.service.factors import current_factor_set

    factors = current_factor_set(db_session)
    provincial = {
        (f.region, f.year)
        for f in factors.factors
        if f.scope == "provincial" and f.kind == "co2" and f.variant == "national_average"
    }
    assert {year for _r, year in provincial} == {2021, 2022, 2023}
    assert len({r for r, _y in provincial}) == 30 and len(provincial) == 90
    assert "540000" not in {r for r, _y in provincial}

    def co2(year, region_code):
        return factors.to_co2(D(1000), "kWh", "electricity", year=year, region_code=region_code)

    hebei = {year: co2(year, "130100") for year in (2020, 2021, 2022, 2023, 2024)}
    assert [hebei[y].amount for y in (2021, 2022, 2023)] == [D("0.7901"), D("0.7252"), D("0.6516")]
    assert all(hebei[y].factor.scope == "provincial" for y in hebei)
    assert hebei[2020].before_first and hebei[2020].factor.year == 2021
    assert hebei[2024].stale and hebei[2024].factor.year == 2023
    hangzhou = [co2(year, "330100") for year in (2021, 2022, 2023)]
    assert [a.amount for a in hangzhou] == [D("0.5422"), D("0.5153"), D("0.4974")]
    assert {(a.factor.scope, a.factor.region) for a in hangzhou} == {("provincial", "330000")}
    lhasa = co2(2023, "540100")
    assert (lhasa.amount, lhasa.factor.scope) == (D("0.5306"), "national")
    source = factors.select("electricity", "co2", 2022, "330100").factor.source
    assert "公告2024年第33号" in source and "https://www.mee.gov.cn/" in source
    source = factors.select("electricity", "co2", 2023, "510100").factor.source
    assert "公告2025年第47号" in source and "https://www.mee.gov.cn/" in source
    regional_2021 = [
        f.value
        for f in factors.factors
        if f.scope == "regional" and f.year == 2021 and f.region == "华东"
    ]
    assert regional_2021 == [D("0.5992")]


def test_a_regional_factor_applies_where_the_province_has_none_of_that_year(db_session):
    """The one rule: the province's factor of the year where published, else its grid's (the
    live set maps provinces to grids, GRID_REGIONS), else the national one. With a 2024 华东
    value only, a 杭州 site takes it for 2024 (1,000 kWh × 0.5000 = 0.5000 tCO2), not 浙江's
    2023 provincial value; 内蒙古 (split between two grids) and 西藏 (in no grid) are unmapped."""
    from emc.energy import GRID_REGIONS
    from emc.facilities.service.factors import current_factors

    east_2024 = _grid_factor("0.5000", 2024, FactorScope.REGIONAL, "华东")
    factors = FactorSet([*current_factors(db_session), east_2024], grid_regions=GRID_REGIONS)
    done = factors.to_co2(D(1000), "kWh", "electricity", year=2024, region_code="330100")
    assert (done.amount, done.factor.scope, done.stale) == (D("0.5000"), "regional", False)
    beijing = factors.to_co2(D(1000), "kWh", "electricity", year=2024, region_code="110100")
    assert (beijing.factor.scope, beijing.factor.year, beijing.stale) == ("provincial", 2023, True)
    assert "150000" not in GRID_REGIONS and "540000" not in GRID_REGIONS
    assert len(GRID_REGIONS) == 29 and set(GRID_REGIONS.values()) == {
        "华北",
        "东北",
        "华东",
        "华中",
        "西北",
        "南方",
        "西南",
    }

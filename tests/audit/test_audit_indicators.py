"""The pure arithmetic of audits: conversions, indicators, quotas, custody flags, payback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from emc.audit import indicators as ind
from emc.energy import DEFAULT_FACTORS, FactorSet

FACTORS = FactorSet(DEFAULT_FACTORS)
SNAPSHOT = ind.snapshot_of(
    DEFAULT_FACTORS, region_code="330100", taken_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
)


def row(carrier, unit, quantity, month=dt.date(2023, 3, 1), cost=None, source="bill"):
    return ind.Row(carrier, unit, month, D(quantity), None if cost is None else D(cost), source)


def accounts(rows, years=1, variant=None):
    factors = ind.factor_set_from_snapshot(SNAPSHOT)
    return ind.account(rows, factors, region_code="330100", years=years, variant=variant)


# Hand computed from DESIGN.md §5: quantity × factor, in tonnes.
@pytest.mark.parametrize(
    ("carrier", "unit", "quantity", "tce", "tco2"),
    [
        ("electricity", "kWh", "10000", "1.229", "5.306"),  # 0.1229 kgce/kWh; 2023 grid 0.5306
        ("electricity", "MWh", "10", "1.229", "5.306"),
        ("natural_gas", "m³", "1000", "1.2143", "2.1622"),
        ("natural_gas", "万m³", "0.1", "1.2143", "2.1622"),
        ("district_heat", "GJ", "100", "3.412", "11"),  # 0.03412 kgce/MJ; 0.11 tCO2/GJ
        ("coal", "t", "2", "1.4286", "3.8"),  # 0.7143 kgce/kg; 1.90 kgCO2/kg
        ("diesel", "t", "1", "1.4571", "3.0959"),
        ("gasoline", "kg", "500", "0.7357", "1.46255"),
        ("lpg", "t", "1", "1.7143", "3.1013"),
        ("fuel_oil", "t", "1", "1.4286", "3.1705"),
        ("water", "m³", "100", "0", "0"),  # not energy
        ("pv_generation", "kWh", "1000", "0.1229", "0"),  # counts in energy, not in carbon
    ],
)
def test_each_carrier_converts_to_tce_and_co2(carrier, unit, quantity, tce, tco2):
    result = accounts([row(carrier, unit, quantity)])
    total = result.by_carrier[carrier]
    assert total.tce == D(tce)
    assert total.tco2 == D(tco2)
    assert result.warnings == ()


def test_snapshot_round_trips_every_factor_and_drops_other_provinces():
    factors = ind.factor_set_from_snapshot(SNAPSHOT)
    assert set(factors.factors) == set(DEFAULT_FACTORS)
    assert SNAPSHOT["region_code"] == "330100"


def test_a_snapshot_keeps_its_grid_and_an_older_one_without_a_grid_keeps_its_figures():
    """A snapshot records the province's grid (华东 for 杭州) and only that grid's regional rows;
    read back, a 2023 华东 value applies to a 杭州 site without a provincial one: 1,000 kWh ×
    0.5500 kgCO2/kWh = 0.55 tCO2. A snapshot taken before grids were recorded (no "grid") keeps
    the national 0.5306 it was accepted with."""
    from emc.energy import Factor

    def regional(name, value):
        return Factor(
            "electricity",
            "co2",
            D(value),
            "kgCO2/kWh",
            2023,
            "regional",
            name,
            "national_average",
            "test",
        )

    factors = [*DEFAULT_FACTORS, regional("华东", "0.5500"), regional("华北", "0.6361")]
    taken_at = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    snapshot = ind.snapshot_of(factors, region_code="330100", taken_at=taken_at)
    assert snapshot["grid"] == "华东"
    assert [r["region"] for r in snapshot["factors"] if r["scope"] == "regional"] == ["华东"]
    done = ind.factor_set_from_snapshot(snapshot).to_co2(
        D(1000), "kWh", "electricity", year=2023, region_code="330100"
    )
    assert (done.amount, done.factor.region) == (D("0.55"), "华东")
    older = {k: v for k, v in snapshot.items() if k != "grid"}
    done = ind.factor_set_from_snapshot(older).to_co2(
        D(1000), "kWh", "electricity", year=2023, region_code="330100"
    )
    assert (done.amount, done.factor.scope) == (D("0.5306"), "national")


def test_a_later_year_without_a_grid_factor_uses_the_latest_and_says_so():
    result = accounts([row("electricity", "kWh", "1000", month=dt.date(2024, 1, 1))])
    assert result.by_carrier["electricity"].tco2 == D("0.5306")
    assert result.warnings == ("no co2 factor for electricity in 2024: the 2023 value is used",)


def test_generation_variant_without_a_factor_counts_zero_with_a_warning():
    result = accounts([row("electricity", "kWh", "1000")], variant="generation")
    assert result.total_tce == 0
    assert "generation" in result.warnings[0]
    assert not ind.has_generation_factor(FACTORS)


def test_bills_replace_meter_rows_of_the_same_carrier_and_month():
    rows = [
        row("electricity", "kWh", "1000", source="meter"),
        row("electricity", "kWh", "1200", source="bill", cost="960.00"),
        row("electricity", "kWh", "900", month=dt.date(2023, 4, 1), source="meter"),
        row("natural_gas", "m³", "100", source="meter"),
    ]
    counted = ind.counted_rows(rows)
    assert [r.quantity for r in counted] == [D(1200), D(900), D(100)]
    result = accounts(rows)
    assert result.by_carrier["electricity"].quantity == D(2100)
    assert result.by_carrier["electricity"].cost == D("960.00")


def test_indicators_are_annual_per_area_per_person_and_shares():
    rows = [
        # two years: 2 × 100 000 kWh and 2 × 10 000 m³ of gas, 1 t of coal once
        row("electricity", "kWh", "100000", month=dt.date(2023, 1, 1), cost="80000.00"),
        row("electricity", "kWh", "100000", month=dt.date(2024, 1, 1), cost="80000.00"),
        row("natural_gas", "m³", "10000", month=dt.date(2023, 1, 1)),
        row("natural_gas", "m³", "10000", month=dt.date(2024, 1, 1)),
        row("coal", "t", "1", month=dt.date(2024, 2, 1)),
    ]
    result = accounts(rows, years=2)
    # tce: electricity 2 × 12.29 = 24.58, gas 2 × 12.143 = 24.286, coal 0.7143 → 49.5803
    assert result.total_tce == D("49.5803")
    assert result.annual_tce == D("24.79015")
    assert result.by_year[2023][0] == D("24.433")
    values = ind.indicators(
        result, floor_area_m2=D(1000), occupants=50, end_use_split={"hvac": D(40), "power": D(60)}
    )
    assert values.kgce_per_m2 == D("24.79015")  # 24.79015 tce × 1000 / 1000 m²
    assert values.kgce_per_person == D("495.803")  # × 1000 / 50
    # CO2: electricity 53.06 (2023) + 53.06 (2024, stale 2023 value) + gas 43.244 + coal 1.9
    assert result.total_tco2 == D("151.264")
    assert values.kgco2_per_m2 == D("75.632")
    assert values.electricity_share == D("24.58") / D("49.5803")
    assert values.coal_share == D("0.7143") / D("49.5803")
    assert values.end_use_tce == {"hvac": D("9.91606"), "power": D("14.87409")}
    assert values.annual_cost == D("80000.00")


def test_indicators_without_area_or_people_are_none():
    values = ind.indicators(accounts([]), floor_area_m2=None, occupants=0)
    assert values.kgce_per_m2 is None and values.kgce_per_person is None
    assert values.electricity_share is None


QUOTA = ind.Quota("per_area", D(16), D(12), D(8), "330000", "school", 2022, "test")


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (D("16.01"), "above_constraint"),
        (D(16), "above_baseline"),
        (D("12.001"), "above_baseline"),
        (D(12), "within_baseline"),
        (D("8.5"), "within_baseline"),
        (D(8), "meets_guide"),
    ],
)
def test_quota_comparison_levels(value, level):
    comparison = ind.compare_quota(value, QUOTA)
    assert comparison.level == level
    assert comparison.ratio == value / D(12)


def test_custody_flags_need_above_baseline_and_over_500_tce_or_a_pue_over_1_4():
    above = ind.compare_quota(D(13), QUOTA)
    within = ind.compare_quota(D(11), QUOTA)
    assert ind.custody_flags(
        annual_tce=D("500.01"), comparison=above, data_centre=False, pue=None
    ) == ["above_baseline_over_500_tce"]
    assert ind.custody_flags(annual_tce=D(500), comparison=above, data_centre=False, pue=None) == []
    assert (
        ind.custody_flags(annual_tce=D(900), comparison=within, data_centre=False, pue=None) == []
    )
    assert ind.custody_flags(annual_tce=D(900), comparison=None, data_centre=False, pue=None) == []
    assert ind.custody_flags(annual_tce=D(1), comparison=None, data_centre=True, pue=D("1.41")) == [
        "data_centre_pue_over_1_4"
    ]
    assert ind.custody_flags(annual_tce=D(1), comparison=None, data_centre=True, pue=D("1.4")) == []


def test_simple_payback_and_rounding():
    assert ind.simple_payback(D("260000.00"), D("115000.00")) == D(260000) / D(115000)
    assert ind.rounded(ind.simple_payback(D("260000.00"), D("115000.00")), 1) == D("2.3")
    assert ind.simple_payback(None, D(1)) is None
    assert ind.simple_payback(D(1), D(0)) is None
    assert ind.rounded(D("2.25"), 1) == D("2.3")


def test_end_use_split_must_add_up_to_100():
    assert ind.check_end_use_split({"hvac": "55", "lighting_sockets": "45"}) == {
        "hvac": D(55),
        "lighting_sockets": D(45),
    }
    with pytest.raises(ValueError, match="add up to 100"):
        ind.check_end_use_split({"hvac": "55"})
    with pytest.raises(ValueError, match="unknown end use"):
        ind.check_end_use_split({"cooking": "100"})

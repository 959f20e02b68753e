"""One factor rule for M&V reports and programme statistics (issue 14): a year before the first
published grid factor takes the earliest, labelled as such, and each figure names its row."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from emc.energy import DEFAULT_FACTORS, FactorSet
from emc.mv.service.compute.report import _account
from emc.programme import stats


def test_a_2020_report_uses_the_2021_grid_factor_labelled_as_the_earliest():
    # 10,000 kWh avoided in 2020 × 0.5568 kgCO2/kWh (2021, the first published year)
    # = 5.568 tCO2 — no 409 any more; the factor row says it stands in for 2020.
    seen: dict = {}
    refs: dict = {}
    site = SimpleNamespace(region_code="330100")
    tco2 = _account(
        FactorSet(DEFAULT_FACTORS),
        "co2",
        Decimal(10000),
        "kWh",
        "electricity",
        2020,
        site,
        seen,
        refs,
    )
    assert tco2 == Decimal("5.568")
    (row,) = seen.values()
    assert (row["year"], row["for_year"], row["before_first"], row["stale"]) == (
        2021,
        2020,
        True,
        False,
    )
    assert refs["co2"] == row["ref"] == "electricity/co2/national_average/national/-/2021"


def test_statistics_apply_the_same_rule_and_name_the_rows():
    done = stats.account(
        FactorSet(DEFAULT_FACTORS),
        "electricity",
        Decimal(10000),
        "kWh",
        year=2020,
        region_code="330100",
    )
    assert done.co2_t == Decimal("5.568")
    assert any("before the first published year" in n for n in done.notes)
    assert dict(done.factors)["co2"] == "electricity/co2/national_average/national/-/2021"
    assert dict(done.factors)["tce"] == "electricity/tce/calorific/national/-/-"

"""The pure programme arithmetic: counting rule, pace and projection, intensity change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from emc.contracts.models import SIGNED_STATUSES
from emc.energy import DEFAULT_FACTORS, FactorSet
from emc.programme import stats
from emc.programme.stats import CountReason


def test_signed_statuses_match_the_contracts_domain():
    assert {s.value for s in SIGNED_STATUSES} == stats.SIGNED_STATUSES


@pytest.mark.parametrize(
    ("status", "signed", "operating", "counted", "reason", "year"),
    [
        ("contracted", dt.date(2023, 5, 2), None, True, CountReason.COUNTED, 2023),
        ("operating", dt.date(2022, 12, 31), dt.date(2023, 3, 1), True, CountReason.COUNTED, 2022),
        ("completed", dt.date(2021, 1, 1), dt.date(2021, 6, 1), True, CountReason.COUNTED, 2021),
        # Terminated after operation started: the project happened, it counts.
        ("terminated", dt.date(2022, 4, 1), dt.date(2022, 9, 1), True, CountReason.COUNTED, 2022),
        (
            "terminated",
            dt.date(2022, 4, 1),
            None,
            False,
            CountReason.TERMINATED_BEFORE_OPERATION,
            None,
        ),
        ("proposed", None, None, False, CountReason.NOT_SIGNED, None),
        ("draft", dt.date(2022, 4, 1), None, False, CountReason.NOT_SIGNED, None),
        ("contracted", None, None, False, CountReason.NOT_SIGNED, None),
    ],
)
def test_count_decision(status, signed, operating, counted, reason, year):
    decision = stats.count_decision(status, signed, operating)
    assert (decision.counted, decision.reason, decision.year) == (counted, reason, year)


def test_counting_rule_is_written_in_both_languages():
    assert "terminated before operation" in stats.COUNTING_RULE["en"]
    assert "投入运行前即终止" in stats.COUNTING_RULE["zh_CN"]


def test_pace_and_linear_projection_by_hand():
    # Window 2021–2025 = 1826 days; on 2023-07-02 elapsed = 365 + 365 + 183 = 913 days = 0.5.
    p = stats.pace(1200, 3000, 2021, 2025, dt.date(2023, 7, 2))
    assert p.elapsed == Decimal(913) / Decimal(1826) == Decimal("0.5")
    assert p.expected == Decimal("1500.0")
    assert p.projected == Decimal("2400.0")
    assert p.share == Decimal("0.4000")
    assert p.on_track is False
    ahead = stats.pace(1600, 3000, 2021, 2025, dt.date(2023, 7, 2))
    assert ahead.projected == Decimal("3200.0") and ahead.on_track is True


def test_pace_before_and_after_the_window():
    before = stats.pace(0, 100, 2021, 2025, dt.date(2020, 6, 1))
    assert before.elapsed == 0 and before.projected is None and before.on_track is None
    after = stats.pace(90, 100, 2021, 2025, dt.date(2027, 1, 1))
    assert after.elapsed == 1 and after.projected == Decimal("90.0") and not after.on_track
    assert stats.pace(5, None, 2021, 2025, dt.date(2022, 1, 1)).share is None


def test_cumulative_by_month_fills_empty_months():
    out = stats.cumulative({(2021, 2): 2, (2021, 4): 1, (2022, 1): 3}, 2021, (2022, 1))
    assert out[0] == ("2021-01", 0)
    assert out[1] == ("2021-02", 2) and out[2] == ("2021-03", 2) and out[3] == ("2021-04", 3)
    assert out[-1] == ("2022-01", 6) and len(out) == 13


def test_allocation_problem():
    assert stats.allocation_problem(3000, [1000, 2000]) is None
    assert "3001" in stats.allocation_problem(3000, [1000, 2001])
    assert stats.allocation_problem(None, [5]) is None


def test_intensity_change_by_hand():
    base = stats.intensity(2020, Decimal("100"), Decimal("400"), Decimal("10000"), 2)
    cur = stats.intensity(2024, Decimal("96"), Decimal("370"), Decimal("10000"), 2)
    # 10 kgce/m² → 9.6 kgce/m²: −4 %; 40 → 37 kgCO2/m²: −7.5 %.
    assert base.energy_kgce_per_m2 == Decimal("10")
    energy = stats.intensity_change(
        base.energy_kgce_per_m2, cur.energy_kgce_per_m2, 2020, 2024, Decimal(5)
    )
    co2 = stats.intensity_change(base.co2_kg_per_m2, cur.co2_kg_per_m2, 2020, 2024, Decimal(7))
    assert energy.change_pct == Decimal("-4.00") and energy.met is False
    assert co2.change_pct == Decimal("-7.50") and co2.met is True
    assert stats.intensity_change(None, Decimal(1), 2020, 2024) is None
    assert stats.intensity(2020, 0, 0, Decimal(0), 0).energy_kgce_per_m2 is None


def test_accounting_uses_the_earliest_published_grid_factor_for_an_earlier_year():
    factors = FactorSet(DEFAULT_FACTORS)
    done = stats.account(
        factors, "electricity", Decimal(1000), "kWh", year=2020, region_code="330100"
    )
    assert done.tce == Decimal("0.1229")
    # No 2020 grid factor is published: 2021's 0.5568 kgCO2/kWh is used, and said so.
    assert done.co2_t == Decimal("0.5568")
    assert any("2021" in note for note in done.notes)
    gas = stats.account(factors, "natural_gas", Decimal(1000), "m³", year=2024, region_code=None)
    assert gas.tce == Decimal("1.2143") and gas.co2_t == Decimal("2.1622") and gas.notes == ()

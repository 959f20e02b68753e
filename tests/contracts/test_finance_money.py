"""Rounding, exact intermediates and the contract calendar."""

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest

from emc.contracts.finance import PaymentFrequency as F
from emc.contracts.finance import add_months, payment_periods, round_fen, year_fraction
from emc.contracts.finance.periods import contract_year_of, split_by_contract_year


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), D("0.01")),
        (D("0.004999"), D("0.00")),
        (D("2.675"), D("2.68")),  # a float would give 2.67
        (D("-0.005"), D("-0.01")),
        (D("84048"), D("84048.00")),
        (7, D("7.00")),
    ],
)
def test_round_fen_rounds_half_up(value, expected):
    result = round_fen(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


def test_round_fen_rounds_an_exact_half_fen_up_even_when_it_came_from_a_twelfth():
    # 1,000,000.02 / 12 = 83,333.335 exactly; 1,000,000.02 × 0.08333… (28 digits) would be
    # 83,333.33499… and lose the fen.
    assert round_fen(Fraction(D("1000000.02")) / 12) == D("83333.34")
    assert round_fen(Fraction(-1, 200)) == D("-0.01")
    assert round_fen(Fraction(1, 3)) == D("0.33")


def test_round_fen_refuses_float():
    with pytest.raises(TypeError):
        round_fen(0.1)


def test_add_months_clamps_to_month_end_from_the_start_not_chained():
    start = date(2024, 1, 31)
    assert add_months(start, 1) == date(2024, 2, 29)
    assert add_months(start, 2) == date(2024, 3, 31)
    assert add_months(start, 13) == date(2025, 2, 28)


def test_periods_tile_the_term_half_open_with_contract_years():
    periods = payment_periods(date(2024, 7, 1), 2, F.QUARTERLY)
    assert len(periods) == 8
    assert periods[0].start == date(2024, 7, 1) and periods[0].end == date(2024, 10, 1)
    assert all(a.end == b.start for a, b in zip(periods, periods[1:], strict=False))
    assert periods[-1].end == date(2026, 7, 1)
    assert [p.contract_year for p in periods] == [1, 1, 1, 1, 2, 2, 2, 2]


def test_year_fraction_counts_whole_months_as_twelfths_and_partial_months_by_days():
    start = date(2025, 1, 1)
    assert year_fraction(start, date(2025, 2, 1), date(2025, 3, 1)) == Fraction(1, 12)
    assert year_fraction(start, date(2025, 1, 1), date(2026, 1, 1)) == 1
    # 16 of July's 31 days
    assert year_fraction(start, date(2025, 7, 16), date(2025, 8, 1)) == Fraction(16, 31 * 12)


def test_split_by_contract_year_cuts_at_anniversaries():
    start = date(2024, 7, 1)
    assert contract_year_of(start, date(2025, 6, 30)) == 1
    assert contract_year_of(start, date(2025, 7, 1)) == 2
    assert split_by_contract_year(start, date(2025, 1, 1), date(2026, 1, 1)) == (
        (1, date(2025, 1, 1), date(2025, 7, 1)),
        (2, date(2025, 7, 1), date(2026, 1, 1)),
    )

"""节能效益分享型: worked examples, amounts computed by hand in the comments."""

from datetime import date
from decimal import Decimal as D

from emc.contracts.finance import (
    CarrierPrice,
    ContractTerms,
    ContractType,
    EnergyQuantity,
    LineKind,
    LineSource,
    MvResult,
    Party,
    PaymentFrequency,
    PeriodSavingsEstimate,
    SavingsEstimate,
    ShareBand,
    SharedSavingsTerms,
    actual_lines,
    contractual_lines,
    projected_schedule,
    total_amount,
)

ELECTRICITY = CarrierPrice("electricity", "kWh", D("0.80"), D("0.03"))
GAS = CarrierPrice("natural_gas", "m3", D("3.20"))


def make_terms(start=date(2024, 1, 1), **overrides):
    values = dict(
        contract_type=ContractType.SHARED_SAVINGS,
        term_years=5,
        start_date=start,
        payment_frequency=PaymentFrequency.MONTHLY,
        payment_due_days=30,
        discount_rate=D("0.06"),
        components=(
            SharedSavingsTerms(shares=(ShareBand(1, 3, D("0.85")), ShareBand(4, 5, D("0.60")))),
        ),
        prices=(ELECTRICITY, GAS),
    )
    values.update(overrides)
    return ContractTerms(**values)


def kwh(quantity):
    return EnergyQuantity("electricity", "kWh", D(quantity))


def test_shared_savings_pays_verified_savings_at_escalated_price_times_share():
    # Year 2 (2025): price 0.80 × 1.03 = 0.824 ¥/kWh; 120000 × 0.824 × 0.85 = 84,048.00
    result = MvResult(date(2025, 1, 1), date(2025, 2, 1), (kwh(120000),), date(2025, 2, 10))
    (line,) = actual_lines(make_terms(), result)
    assert line.amount == D("84048.00")
    assert line.kind is LineKind.SHARED_SAVINGS
    assert line.source is LineSource.ACTUAL
    assert (line.payer, line.payee) == (Party.INSTITUTION, Party.ESCO)
    assert line.contract_year == 2
    assert (line.period_start, line.period_end) == (date(2025, 1, 1), date(2025, 2, 1))
    assert line.due_date == date(2025, 3, 12)  # acceptance 10 Feb + 30 days
    assert line.key == "actual:shared_savings:shared_savings:2025-01-01:2025-02-01"
    assert line.basis["carriers"] == [
        {
            "carrier": "electricity",
            "unit": "kWh",
            "savings": "120000",
            "price_per_unit": "0.824",
            "value": "98880",
        }
    ]
    assert line.basis["esco_share"] == "0.85"


def test_shared_savings_sums_carriers_into_one_line_per_period():
    # Year 1: 120000 kWh × 0.80 = 96,000 + 5000 m³ × 3.20 = 16,000 → 112,000 × 0.85 = 95,200.00
    savings = (kwh(120000), EnergyQuantity("natural_gas", "m3", D(5000)))
    result = MvResult(date(2024, 3, 1), date(2024, 4, 1), savings, date(2024, 4, 5))
    (line,) = actual_lines(make_terms(), result)
    assert line.amount == D("95200.00")
    assert [c["carrier"] for c in line.basis["carriers"]] == ["electricity", "natural_gas"]
    assert line.basis["savings_value"] == "112000"


def test_shared_savings_period_that_lost_energy_pays_nothing_and_charges_nothing():
    # 10000 kWh × 0.80 = 8,000; −3000 m³ × 3.20 = −9,600; net −1,600 → 0.00
    savings = (kwh(10000), EnergyQuantity("natural_gas", "m3", D(-3000)))
    result = MvResult(date(2024, 3, 1), date(2024, 4, 1), savings, date(2024, 4, 5))
    (line,) = actual_lines(make_terms(), result)
    assert line.amount == D("0.00")
    assert line.basis["savings_value"] == "-1600"


def test_shared_savings_result_spanning_an_anniversary_is_split_by_contract_year():
    # Contract from 1 Jul 2024; a 6-month result Apr–Sep 2025 of 60000 kWh: 3 months in each year
    # year 1: 30000 × 0.80 × 0.85 = 20,400.00; year 2: 30000 × 0.824 × 0.85 = 21,012.00
    terms = make_terms(start=date(2024, 7, 1))
    result = MvResult(date(2025, 4, 1), date(2025, 10, 1), (kwh(60000),), date(2025, 10, 20))
    first, second = actual_lines(terms, result)
    assert (first.contract_year, first.amount) == (1, D("20400.00"))
    assert (second.contract_year, second.amount) == (2, D("21012.00"))
    assert first.period_end == second.period_start == date(2025, 7, 1)
    assert first.basis["allocation"] == "0.5"
    assert first.due_date == second.due_date == date(2025, 11, 19)


def test_projected_shared_savings_schedule_for_the_whole_term():
    # 1,200,000 kWh a year → 100,000 a month:
    # y1 100000 × 0.80       × 0.85 = 68,000.00
    # y2 100000 × 0.824      × 0.85 = 70,040.00
    # y3 100000 × 0.84872    × 0.85 = 72,141.20
    # y4 100000 × 0.8741816  × 0.60 = 52,450.896   → 52,450.90
    # y5 100000 × 0.900407048 × 0.60 = 54,024.42288 → 54,024.42
    lines = projected_schedule(make_terms(), (SavingsEstimate("electricity", "kWh", D(1200000)),))
    assert len(lines) == 60
    by_year = {}
    for line in lines:
        by_year.setdefault(line.contract_year, set()).add(line.amount)
    assert by_year == {
        1: {D("68000.00")},
        2: {D("70040.00")},
        3: {D("72141.20")},
        4: {D("52450.90")},
        5: {D("54024.42")},
    }
    # 12 × (68,000.00 + 70,040.00 + 72,141.20 + 52,450.90 + 54,024.42) = 3,799,878.24
    assert total_amount(lines) == D("3799878.24")
    assert lines[0].due_date == date(2024, 3, 2)  # period end 1 Feb + 30 days
    assert all(line.source is LineSource.PROJECTED for line in lines)
    assert len({line.key for line in lines}) == 60


def test_projected_schedule_uses_a_per_period_estimate_where_given():
    # March 2024 estimated at 50,000 kWh: 50000 × 0.80 × 0.85 = 34,000.00; other months 68,000.00
    estimates = (
        SavingsEstimate("electricity", "kWh", D(1200000)),
        PeriodSavingsEstimate(date(2024, 3, 1), "electricity", "kWh", D(50000)),
    )
    lines = projected_schedule(make_terms(), estimates)
    assert lines[2].period_start == date(2024, 3, 1)
    assert lines[2].amount == D("34000.00")
    assert lines[1].amount == lines[3].amount == D("68000.00")


def test_projected_schedule_uses_a_year_specific_estimate_over_the_all_years_one():
    # Year 1 ramp-up 600,000 kWh → 50,000 a month × 0.80 × 0.85 = 34,000.00
    estimates = (
        SavingsEstimate("electricity", "kWh", D(1200000)),
        SavingsEstimate("electricity", "kWh", D(600000), contract_year=1),
    )
    lines = projected_schedule(make_terms(), estimates)
    assert {line.amount for line in lines if line.contract_year == 1} == {D("34000.00")}
    assert {line.amount for line in lines if line.contract_year == 2} == {D("70040.00")}


def test_shared_savings_has_no_fixed_lines():
    assert contractual_lines(make_terms()) == ()


def test_inputs_are_not_mutated_and_terms_stay_equal():
    terms = make_terms()
    before = repr(terms)
    result = MvResult(date(2025, 1, 1), date(2025, 2, 1), (kwh(120000),), date(2025, 2, 10))
    actual_lines(terms, result)
    assert repr(terms) == before

"""节能量保证型: service fee, shortfall paid by the ESCO, shared excess — worked examples."""

import dataclasses
from datetime import date
from decimal import Decimal as D

from emc.contracts.finance import (
    CarrierPrice,
    ContractTerms,
    ContractType,
    EnergyQuantity,
    FeeBand,
    GuaranteedSavingsTerms,
    LineKind,
    MvResult,
    Party,
    PaymentFrequency,
    SavingsEstimate,
    actual_lines,
    contractual_lines,
    projected_schedule,
    total_amount,
)

GUARANTEE = GuaranteedSavingsTerms(
    guarantees=(
        EnergyQuantity("electricity", "kWh", D(1000000)),
        EnergyQuantity("natural_gas", "m3", D(20000)),
    ),
    fees=(FeeBand(1, 3, D(400000)),),
    excess_share=D("0.5"),
)


def make_terms(component=GUARANTEE):
    return ContractTerms(
        contract_type=ContractType.GUARANTEED_SAVINGS,
        term_years=3,
        start_date=date(2024, 1, 1),
        payment_frequency=PaymentFrequency.QUARTERLY,
        payment_due_days=15,
        discount_rate=D("0.05"),
        components=(component,),
        prices=(
            CarrierPrice("electricity", "kWh", D("0.80"), D("0.02")),
            CarrierPrice("natural_gas", "m3", D("3.20")),
        ),
    )


def savings(kwh, m3):
    return (
        EnergyQuantity("electricity", "kWh", D(kwh)),
        EnergyQuantity("natural_gas", "m3", D(m3)),
    )


def year_two(kwh, m3):
    return MvResult(date(2025, 1, 1), date(2026, 1, 1), savings(kwh, m3), date(2026, 2, 1))


def test_guaranteed_shortfall_is_billed_to_esco_and_excess_is_shared_per_carrier():
    # Year 2 electricity price 0.80 × 1.02 = 0.816.
    # Electricity: guaranteed 1,000,000, verified 900,000 → shortfall 100,000 × 0.816 = 81,600.00
    # Gas: guaranteed 20,000, verified 25,000 → excess 5,000 × 3.20 = 16,000 × 0.5 = 8,000.00
    shortfall, excess = actual_lines(make_terms(), year_two(900000, 25000))
    assert shortfall.kind is LineKind.SHORTFALL
    assert shortfall.amount == D("81600.00")
    assert (shortfall.payer, shortfall.payee) == (Party.ESCO, Party.INSTITUTION)
    assert excess.kind is LineKind.EXCESS_SHARE
    assert excess.amount == D("8000.00")
    assert (excess.payer, excess.payee) == (Party.INSTITUTION, Party.ESCO)
    assert shortfall.due_date == excess.due_date == date(2026, 2, 16)
    assert shortfall.basis["carriers"][0] == {
        "carrier": "electricity",
        "unit": "kWh",
        "guaranteed": "1000000",
        "verified": "900000",
        "price_per_unit": "0.816",
        "difference_value": "-81600",
    }
    assert shortfall.key != excess.key


def test_guaranteed_offset_tests_total_value_across_carriers():
    # −81,600 + 16,000 = −65,600 → shortfall 65,600.00, no excess
    component = dataclasses.replace(GUARANTEE, offset_carriers=True)
    (line,) = actual_lines(make_terms(component), year_two(900000, 25000))
    assert line.kind is LineKind.SHORTFALL
    assert line.amount == D("65600.00")


def test_guaranteed_quarter_is_tested_against_a_quarter_of_the_annual_guarantee():
    # Q2 2024: guaranteed 250,000 kWh, verified 240,000 → 10,000 × 0.80 = 8,000.00;
    # gas 5,000 of 5,000 → nothing.
    result = MvResult(date(2024, 4, 1), date(2024, 7, 1), savings(240000, 5000), date(2024, 7, 20))
    (line,) = actual_lines(make_terms(), result)
    assert line.amount == D("8000.00")
    assert line.basis["year_fraction"] == "0.25"


def test_guaranteed_savings_met_exactly_produce_no_lines():
    assert actual_lines(make_terms(), year_two(1000000, 20000)) == ()


def test_guarantee_fee_is_paid_by_the_institution_each_period():
    # 400,000 a year, quarterly → 100,000.00 per quarter, due 15 days after the quarter
    lines = contractual_lines(make_terms())
    assert len(lines) == 12
    assert {line.amount for line in lines} == {D("100000.00")}
    assert all(line.kind is LineKind.GUARANTEE_FEE for line in lines)
    assert lines[0].due_date == date(2024, 4, 16)
    assert total_amount(lines) == D("1200000.00")


def test_projected_guaranteed_schedule_shares_the_estimated_excess():
    # Estimated 1,100,000 kWh → 25,000 kWh a quarter above the guarantee, × 0.5:
    # y1 25000 × 0.80    × 0.5 = 10,000.00; y2 × 0.816 = 10,200.00; y3 × 0.83232 = 10,404.00
    estimates = (
        SavingsEstimate("electricity", "kWh", D(1100000)),
        SavingsEstimate("natural_gas", "m3", D(20000)),
    )
    lines = projected_schedule(make_terms(), estimates)
    excess = [line for line in lines if line.kind is LineKind.EXCESS_SHARE]
    assert [line.amount for line in excess] == [D("10000.00")] * 4 + [D("10200.00")] * 4 + [
        D("10404.00")
    ] * 4
    assert not [line for line in lines if line.kind is LineKind.SHORTFALL]
    assert len([line for line in lines if line.kind is LineKind.GUARANTEE_FEE]) == 12

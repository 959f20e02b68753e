"""能源费用托管型: custody fee from the audited baseline, agreed adjustments and true-ups."""

from datetime import date
from decimal import Decimal as D

from emc.contracts.finance import (
    BaselineCarrierCost,
    ContractTerms,
    ContractType,
    EnergyCostCustodyTerms,
    EnergyPriceChange,
    FloorAreaChange,
    LineKind,
    LineSource,
    Party,
    PaymentFrequency,
    contractual_lines,
    projected_schedule,
    total_amount,
)

CUSTODY = EnergyCostCustodyTerms(
    baseline=(
        BaselineCarrierCost("electricity", "kWh", D(2000000), D("0.75")),
        BaselineCarrierCost("natural_gas", "m3", D(100000), D("3.20")),
    ),
    coefficient=D("0.92"),  # 8 % concession
    floor_area_m2=D(10000),
    om_fee_annual=D(120000),
)
TERMS = ContractTerms(
    contract_type=ContractType.ENERGY_COST_CUSTODY,
    term_years=8,
    start_date=date(2025, 1, 1),
    payment_frequency=PaymentFrequency.MONTHLY,
    payment_due_days=10,
    discount_rate=D("0.05"),
    components=(CUSTODY,),
)
# Baseline cost 2,000,000 × 0.75 + 100,000 × 3.20 = 1,820,000; × 0.92 = 1,674,400 a year;
# / 12 = 139,533.333… → 139,533.33 a month. O&M 120,000 / 12 = 10,000.00.
AREA = FloorAreaChange("A-1", date(2025, 6, 15), date(2025, 4, 1), D(11000))
PRICE = EnergyPriceChange(
    "A-2", date(2025, 7, 1), date(2025, 7, 16), "electricity", "kWh", D("0.80")
)


def fee(lines, kind, start):
    (line,) = [x for x in lines if x.kind is kind and x.period_start == start]
    return line


def test_custody_fee_is_baseline_cost_times_coefficient_split_monthly_and_constant():
    lines = contractual_lines(TERMS)
    custody = [x for x in lines if x.kind is LineKind.CUSTODY_FEE]
    om = [x for x in lines if x.kind is LineKind.OM_FEE]
    assert len(custody) == len(om) == 96
    # Eleven months at 139,533.33; December takes the residue: 1,674,400.00 − 11 × 139,533.33
    # = 139,533.37, so the year bills the annual fee exactly (not 12 × 139,533.33 = .96).
    assert {x.amount for x in custody if x.period_start.month != 12} == {D("139533.33")}
    assert {x.amount for x in custody if x.period_start.month == 12} == {D("139533.37")}
    assert {x.amount for x in om} == {D("10000.00")}
    assert all((x.payer, x.payee) == (Party.INSTITUTION, Party.ESCO) for x in lines)
    assert custody[0].due_date == date(2025, 2, 11)
    assert custody[0].basis["energy_cost"] == "151666.6666666666666666666666666667"
    for year in range(1, 9):
        assert total_amount(x for x in custody if x.contract_year == year) == D("1674400.00")


def test_back_dated_floor_area_change_is_trued_up_and_applied_from_the_next_bill():
    lines = contractual_lines(TERMS, (AREA,))
    # January–May were billed before the change was agreed on 15 June: unchanged.
    for month in (1, 4, 5):
        assert fee(lines, LineKind.CUSTODY_FEE, date(2025, month, 1)).amount == D("139533.33")
    # New fee 1,674,400 × 11,000 / 10,000 / 12 = 153,486.666… → 153,486.67 from June.
    assert fee(lines, LineKind.CUSTODY_FEE, date(2025, 6, 1)).amount == D("153486.67")
    assert fee(lines, LineKind.OM_FEE, date(2025, 6, 1)).amount == D("11000.00")
    # One net true-up per revised period, April and May: custody 153,486.67 − 139,533.33
    # = 13,953.34 plus O&M 11,000.00 − 10,000.00 = 1,000.00 → 14,953.34 each (27,906.68 +
    # 2,000.00 over the two months, as before, but per period and net).
    april, may = sorted(
        (x for x in lines if x.kind is LineKind.TRUE_UP), key=lambda x: x.period_start
    )
    assert (april.amount, may.amount) == (D("14953.34"), D("14953.34"))
    assert (april.payer, april.payee) == (Party.INSTITUTION, Party.ESCO)
    assert (april.period_start, april.period_end) == (date(2025, 4, 1), date(2025, 5, 1))
    assert april.due_date == date(2025, 6, 25)  # agreed 15 June + 10 days
    assert april.key == "actual:energy_cost_custody:true_up:2025-06-15:2025-04-01:2025-05-01"
    assert april.basis["fees"] == [
        {
            "fee_kind": "custody_fee",
            "billed": "139533.33",
            "revised": "153486.67",
            "difference": "13953.34",
        },
        {
            "fee_kind": "om_fee",
            "billed": "10000.00",
            "revised": "11000.00",
            "difference": "1000.00",
        },
    ]


def test_energy_price_change_re_prices_the_energy_part_pro_rata_from_its_effective_date():
    lines = contractual_lines(TERMS, (AREA, PRICE))
    # New energy cost 2,000,000 × 0.80 + 320,000 = 1,920,000; × 1.1 area × 0.92 = 1,943,040 a year
    # → 161,920.00 a month. July: 15/31 of the old 1,841,840 / 12 plus 16/31 of the new:
    # (15 × 153,486.666… + 16 × 161,920) / 31 = (2,302,300 + 2,590,720) / 31 = 157,839.354… → .35
    assert fee(lines, LineKind.CUSTODY_FEE, date(2025, 7, 1)).amount == D("157839.35")
    assert fee(lines, LineKind.CUSTODY_FEE, date(2025, 8, 1)).amount == D("161920.00")
    # O&M is not an energy cost: unchanged by the price.
    assert fee(lines, LineKind.OM_FEE, date(2025, 7, 1)).amount == D("11000.00")
    # Agreed before it took effect: no true-up for A-2.
    assert {x.basis["reference"] for x in lines if x.kind is LineKind.TRUE_UP} == {"A-1"}


def test_back_dated_reduction_is_refunded_by_the_esco():
    # Area 10,000 → 9,000 from 1 Jan 2025, agreed 10 Mar: Jan and Feb billed at 139,533.33,
    # revised 1,674,400 × 0.9 / 12 = 125,580.00 → 13,953.33 a month back to the institution
    smaller = FloorAreaChange("A-3", date(2025, 3, 10), date(2025, 1, 1), D(9000))
    lines = contractual_lines(TERMS, (smaller,))
    true_ups = [x for x in lines if x.kind is LineKind.TRUE_UP]
    # Per month, net: custody 13,953.33 and O&M 10,000.00 − 9,000.00 = 1,000.00 → 14,953.33.
    assert [x.amount for x in true_ups] == [D("14953.33"), D("14953.33")]
    assert {(x.payer, x.payee) for x in true_ups} == {(Party.ESCO, Party.INSTITUTION)}
    assert true_ups[0].basis["net_to_esco"] == "-14953.33"


def test_billed_fees_plus_true_ups_equal_the_revised_fees():
    with_changes = contractual_lines(TERMS, (AREA, PRICE))
    billed = sum(
        (x.signed_for(Party.ESCO) for x in with_changes if x.kind is not LineKind.TRUE_UP), D(0)
    )
    true_ups = sum(
        (x.signed_for(Party.ESCO) for x in with_changes if x.kind is LineKind.TRUE_UP), D(0)
    )
    # Agreed on the first day: every period billed at the revised fee from the start.
    early = (
        FloorAreaChange("A-1", date(2025, 1, 1), AREA.effective_date, AREA.new_floor_area_m2),
        EnergyPriceChange(
            "A-2", date(2025, 1, 1), PRICE.effective_date, "electricity", "kWh", D("0.80")
        ),
    )
    revised = contractual_lines(TERMS, early)
    assert not [x for x in revised if x.kind is LineKind.TRUE_UP]
    assert billed + true_ups == total_amount(revised)


def test_a_temporary_area_change_nets_to_one_line_per_period():
    # Area 10,000 → 12,000 for March–May 2025, back to 10,000 from June; both agreed on 10 July.
    # Each of March, April, May: custody 1,674,400 × 1.2 / 12 = 167,440.00 − 139,533.33
    # = 27,906.67 and O&M 12,000.00 − 10,000.00 = 2,000.00 → one line of 29,906.67 per month;
    # June was billed before the agreement at 139,533.33 and stays so: no line.
    up = FloorAreaChange("T-1", date(2025, 7, 10), date(2025, 3, 1), D(12000))
    down = FloorAreaChange("T-2", date(2025, 7, 10), date(2025, 6, 1), D(10000))
    lines = contractual_lines(TERMS, (up, down))
    true_ups = sorted(
        (x for x in lines if x.kind is LineKind.TRUE_UP), key=lambda x: x.period_start
    )
    assert [(x.period_start.month, x.amount) for x in true_ups] == [
        (3, D("29906.67")),
        (4, D("29906.67")),
        (5, D("29906.67")),
    ]
    assert true_ups[0].basis["references"] == ["T-1", "T-2"]


def test_projected_custody_schedule_carries_the_same_fees_as_projected_lines():
    projected = projected_schedule(TERMS, (), (AREA,))
    actual = contractual_lines(TERMS, (AREA,))
    assert all(x.source is LineSource.PROJECTED for x in projected)
    assert [(x.kind, x.period_start, x.amount) for x in projected] == [
        (x.kind, x.period_start, x.amount) for x in actual
    ]
    assert projected[0].key.startswith("projected:")

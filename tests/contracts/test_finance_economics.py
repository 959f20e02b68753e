"""NPV (first flow at t = 0), IRR, paybacks, party cash flows, sensitivity, projected vs actual."""

from datetime import date
from decimal import Decimal as D

import numpy_financial as npf
import pytest

from emc.contracts.finance import (
    BaselineCarrierCost,
    CarrierPrice,
    CashFlowItem,
    ContractTerms,
    ContractType,
    EconomicsAssumptions,
    EnergyCostCustodyTerms,
    EnergyQuantity,
    LineKind,
    MvResult,
    Party,
    PaymentFrequency,
    SavingsEstimate,
    ShareBand,
    SharedSavingsTerms,
    actual_lines,
    compare_projected_actual,
    discounted_payback,
    irr,
    npv,
    party_cash_flows,
    projected_economics,
    projected_schedule,
    savings_value_by_year,
    sensitivity,
    simple_payback,
)

FLOWS = [D(-1000), D(300), D(400), D(500)]
SHARED = ContractTerms(
    contract_type=ContractType.SHARED_SAVINGS,
    term_years=5,
    start_date=date(2024, 1, 1),
    payment_frequency=PaymentFrequency.MONTHLY,
    payment_due_days=30,
    discount_rate=D("0.06"),
    components=(
        SharedSavingsTerms(shares=(ShareBand(1, 3, D("0.85")), ShareBand(4, 5, D("0.60")))),
    ),
    prices=(CarrierPrice("electricity", "kWh", D("0.80"), D("0.03")),),
)
ESTIMATES = (SavingsEstimate("electricity", "kWh", D(1200000)),)


def test_npv_puts_the_first_flow_at_t0():
    # −1000 + 300/1.08 + 400/1.08² + 500/1.08³ = −1000 + 277.7778 + 342.9355 + 396.9161 = 17.6294
    assert npv(D("0.08"), FLOWS) == D("17.63")
    assert npv(D("0.10"), [D(-100), D(110)]) == D("0.00")
    assert npv(D("0.10"), [D(250)]) == D("250.00")  # a lone flow is not discounted
    explicit = sum(float(f) / 1.08**t for t, f in enumerate(FLOWS))
    assert float(npv(D("0.08"), FLOWS)) == pytest.approx(explicit, abs=0.005)
    assert float(npv(D("0.08"), FLOWS)) == pytest.approx(
        npf.npv(0.08, [-1000, 300, 400, 500]), abs=0.005
    )


def test_irr_matches_numpy_financial_and_is_none_when_undefined():
    assert irr([D(-100), D(39), D(59), D(55), D(20)]) == D("0.280948")
    assert float(irr(FLOWS)) == pytest.approx(npf.irr([-1000, 300, 400, 500]), abs=1e-6)
    assert npv(irr(FLOWS), FLOWS) == D("0.00")
    assert irr([D(100), D(30)]) is None  # never negative
    assert irr([D(-100), D(-30)]) is None  # never positive
    assert irr([D(0), D(0)]) is None


def test_simple_payback_interpolates_inside_the_year():
    # Cumulative −1000, −700, −300, +200: recovered in year 3 after 300 of its 500 → 2.60
    assert simple_payback(FLOWS) == D("2.60")
    assert simple_payback([D(-1000), D(100), D(100)]) is None
    assert simple_payback([D(0), D(100)]) == D("0.00")
    # Nothing paid at signing, more paid than received later: never paid back (not 0).
    assert simple_payback([D(0), D(-100), D(-50)]) is None
    assert discounted_payback(D("0.06"), [D(0), D(-100), D(20)]) is None
    # No cash flow at all: nothing to pay back.
    assert simple_payback([D(0), D(0), D(0)]) is None
    assert simple_payback([D(-100), D(60), D(60)]) == D("1.67")


def test_discounted_payback_uses_discounted_flows():
    # Discounted at 8 %: −1000, 277.78, 342.94, 396.92; cumulative after year 2 −379.29
    # → 2 + 379.29 / 396.92 = 2.956 → 2.96
    assert discounted_payback(D("0.08"), FLOWS) == D("2.96")
    assert discounted_payback(D("0.50"), FLOWS) is None


def test_party_cash_flows_put_lines_in_their_contract_year_with_signs():
    lines = projected_schedule(SHARED, ESTIMATES)
    flows = party_cash_flows(lines, 5, (CashFlowItem(Party.ESCO, 0, D(-2000000), "investment"),))
    # ESCO year 1: 12 × 68,000.00; institution pays the same
    assert flows[Party.ESCO][:2] == (D(-2000000), D("816000.00"))
    assert flows[Party.INSTITUTION][1] == D("-816000.00")
    assert flows[Party.LESSOR] == (D(0),) * 6


def test_projected_economics_of_shared_savings():
    result = projected_economics(
        SHARED, ESTIMATES, EconomicsAssumptions(esco_investment=D(2000000))
    )
    # Savings value y1 1,200,000 × 0.80 = 960,000.00; y2 × 0.824 = 988,800.00
    assert result.savings_value[:3] == (D(0), D("960000.00"), D("988800.00"))
    esco, institution = result.esco, result.institution
    assert esco.cash_flows == (
        D(-2000000),
        D("816000.00"),
        D("840480.00"),
        D("865694.40"),
        D("629410.80"),
        D("648293.04"),
    )
    # The institution keeps 15 % in years 1–3 and 40 % in years 4–5 at no investment.
    assert institution.cash_flows[1] == D("144000.00")
    assert institution.irr is None
    assert institution.simple_payback_years == D("0.00")
    assert esco.cumulative[-1] == sum(esco.cash_flows)
    assert esco.npv == npv(D("0.06"), esco.cash_flows)
    assert esco.discounted_cumulative[-1] == esco.npv
    # Cumulative −2,000,000, −1,184,000, −343,520, +522,174.40 → 2 + 343,520 / 865,694.40 = 2.40
    assert esco.simple_payback_years == D("2.40")
    assert float(esco.irr) == pytest.approx(npf.irr([float(f) for f in esco.cash_flows]), abs=1e-6)
    # Both sides together share exactly the savings value less the investment.
    for year in range(6):
        together = institution.cash_flows[year] + esco.cash_flows[year]
        assert together == result.savings_value[year] - (D(2000000) if year == 0 else 0)


def test_custody_economics_give_the_esco_the_bills_and_the_savings():
    terms = ContractTerms(
        contract_type=ContractType.ENERGY_COST_CUSTODY,
        term_years=5,
        start_date=date(2025, 1, 1),
        payment_frequency=PaymentFrequency.QUARTERLY,
        payment_due_days=10,
        discount_rate=D("0.05"),
        components=(
            EnergyCostCustodyTerms(
                baseline=(BaselineCarrierCost("electricity", "kWh", D(1000000), D("0.80")),),
                coefficient=D("0.95"),
                floor_area_m2=D(5000),
            ),
        ),
        prices=(CarrierPrice("electricity", "kWh", D("0.80")),),
    )
    estimates = (SavingsEstimate("electricity", "kWh", D(200000)),)
    result = projected_economics(terms, estimates, EconomicsAssumptions(esco_investment=D(300000)))
    # Institution: bills avoided 800,000 − fee 760,000 = 40,000 a year.
    assert result.institution.cash_flows[1:] == (D("40000.00"),) * 5
    # ESCO: fee 760,000 − bills (800,000 − savings 160,000) = 120,000 a year; pays back in 2.5.
    assert result.esco.cash_flows == (D(-300000),) + (D("120000.00"),) * 5
    assert result.esco.simple_payback_years == D("2.50")


def test_sensitivity_table_covers_savings_and_price_cases():
    table = sensitivity(SHARED, ESTIMATES, EconomicsAssumptions(esco_investment=D(2000000)))
    names = [case.name for case in table]
    assert names == [
        "base",
        "savings -20%",
        "savings -10%",
        "savings +10%",
        "savings +20%",
        "price -10%",
        "price +10%",
    ]
    base = projected_economics(SHARED, ESTIMATES, EconomicsAssumptions(esco_investment=D(2000000)))
    assert (table[0].esco_npv, table[0].esco_irr) == (base.esco.npv, base.esco.irr)
    by_name = {case.name: case for case in table}
    assert (
        by_name["savings -20%"].esco_npv
        < by_name["savings -10%"].esco_npv
        < by_name["base"].esco_npv
        < by_name["savings +10%"].esco_npv
        < by_name["savings +20%"].esco_npv
    )
    assert (
        by_name["price -10%"].esco_irr < by_name["base"].esco_irr < by_name["price +10%"].esco_irr
    )


def test_savings_value_by_year_is_rounded_per_year():
    assert savings_value_by_year(SHARED, ESTIMATES)[5] == D("1080488.46")  # 1.2e6 × 0.900407048


def test_projected_vs_actual_compares_net_payments_by_year_and_kind():
    projected = projected_schedule(SHARED, ESTIMATES)
    result = MvResult(
        date(2025, 1, 1),
        date(2025, 2, 1),
        (EnergyQuantity("electricity", "kWh", D(120000)),),
        date(2025, 2, 10),
    )
    rows = compare_projected_actual(projected, actual_lines(SHARED, result))
    year_two = next(row for row in rows if row.contract_year == 2)
    assert year_two.kind is LineKind.SHARED_SAVINGS
    assert year_two.projected == D("840480.00")  # 12 × 70,040.00
    assert year_two.actual == D("84048.00")
    assert year_two.variance == D("-756432.00")
    assert next(row for row in rows if row.contract_year == 1).actual == D(0)


# --- running costs per party and the lease purchase option (issue 14) ----------------------


def guaranteed_with_costs(costs=()):
    from emc.contracts.finance import FeeBand, GuaranteedSavingsTerms

    return ContractTerms(
        contract_type=ContractType.GUARANTEED_SAVINGS,
        term_years=3,
        start_date=date(2024, 1, 1),
        payment_frequency=PaymentFrequency.ANNUAL,
        payment_due_days=30,
        discount_rate=D("0.06"),
        components=(
            GuaranteedSavingsTerms(
                guarantees=(EnergyQuantity("electricity", "kWh", D(100000)),),
                fees=(FeeBand(1, 3, D(100000)),),
            ),
        ),
        prices=(CarrierPrice("electricity", "kWh", D("0.80")),),
        costs=costs,
    )


def test_each_partys_escalating_running_costs_enter_npv_and_irr():
    from emc.contracts.finance import CostKind, CostParty, PartyCost

    costs = (
        # ESCO O&M 10,000 a year rising 5 %: 10,000.00, 10,500.00, 11,025.00.
        PartyCost(CostParty.ESCO, CostKind.OPERATION_MAINTENANCE, D(10000), D("0.05")),
        # ESCO M&V fee 3,000 flat.
        PartyCost(CostParty.ESCO, CostKind.MV_FEE, D(3000)),
        # Institution energy monitoring 2,000 a year from year 2.
        PartyCost(CostParty.INSTITUTION, CostKind.MONITORING, D(2000), first_year=2),
    )
    estimates = (SavingsEstimate("electricity", "kWh", D(100000)),)
    assumptions = EconomicsAssumptions(esco_investment=D(200000))
    bare = projected_economics(guaranteed_with_costs(), estimates, assumptions)
    result = projected_economics(guaranteed_with_costs(costs), estimates, assumptions)
    # ESCO: −200,000; fee 100,000 less costs 13,000 / 13,500 / 14,025.
    assert result.esco.cash_flows == (D(-200000), D(87000), D(86500), D(85975))
    # NPV at 6 %: −200,000 + 87,000/1.06 + 86,500/1.06² + 85,975/1.06³ = 31,246.43
    assert result.esco.npv == D("31246.43")
    assert float(result.esco.npv) == pytest.approx(
        npf.npv(0.06, [-200000, 87000, 86500, 85975]), abs=0.005
    )
    assert float(result.esco.irr) == pytest.approx(
        npf.irr([-200000, 87000, 86500, 85975]), abs=1e-6
    )
    assert result.esco.npv < bare.esco.npv
    # Institution: savings 80,000 − fee 100,000 = −20,000, and −2,000 monitoring from year 2.
    assert result.institution.cash_flows == (D(0), D(-20000), D(-22000), D(-22000))
    # The sensitivity table carries the costs in every case.
    (base, *_rest) = sensitivity(guaranteed_with_costs(costs), estimates, assumptions)
    assert base.esco_npv == D("31246.43")


def test_the_lease_purchase_option_is_a_scheduled_line_in_the_economics():
    from emc.contracts.finance import FinanceLeaseTerms, contractual_lines

    terms = ContractTerms(
        contract_type=ContractType.FINANCE_LEASE,
        term_years=3,
        start_date=date(2024, 1, 1),
        payment_frequency=PaymentFrequency.ANNUAL,
        payment_due_days=0,
        discount_rate=D("0.06"),
        components=(FinanceLeaseTerms(D(300000), D("0.05"), residual_value=D(24000)),),
    )
    lines = contractual_lines(terms)
    (residual,) = [x for x in lines if x.kind is LineKind.LEASE_RESIDUAL]
    # The institution buys the equipment for 24,000.00 at the end of year 3, to the lessor.
    assert (residual.amount, residual.contract_year) == (D("24000.00"), 3)
    assert (residual.payer, residual.payee) == (Party.INSTITUTION, Party.LESSOR)
    assert residual.period_end == date(2027, 1, 1)
    rents = [x for x in lines if x.kind is LineKind.LEASE_RENT]
    # Rents: numpy-financial pmt(5 %, 3, −300,000, 24,000) = 102,549.56; the last repays the
    # balance exactly down to the residual.
    assert rents[0].amount == D("102549.56")
    assert float(rents[0].amount) == pytest.approx(npf.pmt(0.05, 3, -300000, 24000), abs=0.005)
    economics = projected_economics(terms, ())
    # Year 3 of the institution pays the last rent and the residual.
    assert economics.institution.cash_flows[3] == -(rents[-1].amount + D("24000.00"))

"""Settlement of verified savings: periods across a contract year, carry-forward, year-end
reconciliation of a guarantee. Every expected figure is worked by hand in the comments."""

from datetime import date, timedelta
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from emc.contracts.finance import (
    CarrierPrice,
    ContractTerms,
    ContractType,
    EnergyQuantity,
    FeeBand,
    GuaranteedSavingsTerms,
    LineKind,
    MvResult,
    NegativeSavings,
    Party,
    PaymentFrequency,
    Reconciliation,
    SavingsSegment,
    ShareBand,
    SharedSavingsTerms,
    actual_lines,
    add_months,
    round_fen,
    settlement_lines,
    total_amount,
    value_segments,
)


def shared_2021(**component):
    """The issue's contract: signed for 8 years from 2021-02-01, ESCO share 70 % in years 1–5
    and 50 % in years 6–8, electricity at 0.80 ¥/kWh escalating 5 % a year."""
    return ContractTerms(
        contract_type=ContractType.SHARED_SAVINGS,
        term_years=8,
        start_date=date(2021, 2, 1),
        payment_frequency=PaymentFrequency.QUARTERLY,
        payment_due_days=30,
        discount_rate=D("0.06"),
        components=(
            SharedSavingsTerms(
                shares=(ShareBand(1, 5, D("0.70")), ShareBand(6, 8, D("0.50"))), **component
            ),
        ),
        prices=(CarrierPrice("electricity", "kWh", D("0.80"), D("0.05")),),
    )


def kwh(q):
    return EnergyQuantity("electricity", "kWh", D(q))


def seg(start, end, q):
    return SavingsSegment(start, end, "electricity", "kWh", D(q))


Q1_2026 = (date(2026, 1, 1), date(2026, 4, 1))


def test_quarter_across_a_contract_year_values_each_month_at_its_years_share_and_price():
    # January 2026 is in contract year 5 (2025-02-01 … 2026-02-01), February–March in year 6.
    # Year 5 price 0.80 × 1.05⁴ = 0.97240500; 46,500 kWh × 0.972405 = 45,216.8325 → × 0.70
    #   = 31,651.78275 → 31,651.78.
    # Year 6 price 0.80 × 1.05⁵ = 1.021025250; 147,500 kWh × 1.02102525 = 150,601.224375 → × 0.50
    #   = 75,300.6121875 → 75,300.61.
    # The ESCO is paid 31,651.78 + 75,300.61 = 106,952.39 (not 110,043.83).
    result = MvResult(
        *Q1_2026,
        (kwh(194000),),
        date(2026, 4, 20),
        segments=(
            seg(date(2026, 1, 1), date(2026, 2, 1), 46500),
            seg(date(2026, 2, 1), date(2026, 3, 1), 70000),
            seg(date(2026, 3, 1), date(2026, 4, 1), 77500),
        ),
    )
    year5, year6 = actual_lines(shared_2021(), result)
    assert (year5.contract_year, year5.period_start, year5.period_end) == (
        5,
        date(2026, 1, 1),
        date(2026, 2, 1),
    )
    assert year5.amount == D("31651.78") and year6.amount == D("75300.61")
    assert total_amount((year5, year6)) == D("106952.39")
    # The report shows the same value of the same kWh: 45,216.83 + 150,601.22 = 195,818.05.
    parts = value_segments(shared_2021(), *Q1_2026, result.segments)
    assert [p.value_fen for p in parts] == [D("45216.83"), D("150601.22")]
    assert [year5.basis["savings_value_fen"], year6.basis["savings_value_fen"]] == [
        "45216.83",
        "150601.22",
    ]


def test_period_totals_without_a_breakdown_are_still_split_by_time():
    # An API client sending only the quarter's 194,000 kWh gets the time split (1/3 in year 5,
    # 2/3 in year 6): 64,666.67 × 0.972405 × 0.7 + 129,333.33 × 1.02102525 × 0.5 = 110,043.83.
    result = MvResult(*Q1_2026, (kwh(194000),), date(2026, 4, 20))
    assert total_amount(actual_lines(shared_2021(), result)) == D("110043.83")


def test_a_month_across_the_boundary_is_split_by_days():
    # A contract starting 2021-02-15: March 2026 has 14 days in year 5 and 17 in year 6.
    terms = ContractTerms(**{**shared_2021().__dict__, "start_date": date(2021, 3, 15)})
    result = MvResult(
        date(2026, 3, 1),
        date(2026, 4, 1),
        (kwh(31000),),
        date(2026, 4, 20),
        segments=(seg(date(2026, 3, 1), date(2026, 4, 1), 31000),),
    )
    a, b = actual_lines(terms, result)
    # 14,000 kWh × 0.972405 × 0.70 = 9,529.569 → 9,529.57; 17,000 × 1.02102525 × 0.5
    # = 8,678.714625 → 8,678.71.
    assert (a.amount, b.amount) == (D("9529.57"), D("8678.71"))


def test_segments_that_do_not_add_up_to_the_totals_are_refused():
    import pytest

    from emc.contracts.finance import SavingsInputError

    result = MvResult(
        *Q1_2026,
        (kwh(194000),),
        date(2026, 4, 20),
        segments=(seg(date(2026, 1, 1), date(2026, 4, 1), 190000),),
    )
    with pytest.raises(SavingsInputError) as error:
        actual_lines(shared_2021(), result)
    assert error.value.field == "result.segments"


# --- negative savings carried forward -------------------------------------------------------


def quarterly_shared(policy):
    """Share 80 % every year, electricity 1.00 ¥/kWh flat, quarters from 2024-01-01."""
    return ContractTerms(
        contract_type=ContractType.SHARED_SAVINGS,
        term_years=3,
        start_date=date(2024, 1, 1),
        payment_frequency=PaymentFrequency.QUARTERLY,
        payment_due_days=0,
        discount_rate=D("0.05"),
        components=(SharedSavingsTerms((ShareBand(1, 3, D("0.8")),), negative_savings=policy),),
        prices=(CarrierPrice("electricity", "kWh", D("1.00")),),
    )


def quarter(k, q):
    start = add_months(date(2024, 1, 1), 3 * k)
    return MvResult(start, add_months(start, 3), (kwh(q),), add_months(start, 3))


def test_a_negative_quarter_is_carried_forward_against_later_quarters():
    # Q1 +10,000 → 8,000.00. Q2 −3,000 → 0.00, deficit 3,000 carried. Q3 +5,000 − 3,000
    # = 2,000 → 1,600.00, nothing left. Q4 +4,000 → 3,200.00.
    results = (quarter(0, 10000), quarter(1, -3000), quarter(2, 5000), quarter(3, 4000))
    lines = settlement_lines(quarterly_shared(NegativeSavings.CARRY_CONTRACT_YEAR), results)
    assert [line.amount for line in lines] == [D(8000), D(0), D(1600), D(3200)]
    assert lines[1].basis["carried_forward"] == "-3000.00"
    assert lines[2].basis["carried_in"] == "-3000.00"
    assert lines[2].basis["carried_forward"] == "0.00"
    # Floored (the default): Q3 pays 5,000 × 0.8 = 4,000.00 and the loss is forgotten.
    floored = settlement_lines(quarterly_shared(NegativeSavings.FLOOR), results)
    assert [line.amount for line in floored] == [D(8000), D(0), D(4000), D(3200)]
    assert "carried_in" not in floored[2].basis


def test_carry_within_the_contract_year_stops_at_the_year_end_but_term_carry_does_not():
    # Q4 of year 1 −2,000; Q1 of year 2 +5,000: within the year the deficit is dropped
    # (5,000 × 0.8 = 4,000.00); over the term it is set off ((5,000 − 2,000) × 0.8 = 2,400.00).
    results = (quarter(3, -2000), quarter(4, 5000))
    year = settlement_lines(quarterly_shared(NegativeSavings.CARRY_CONTRACT_YEAR), results)
    term = settlement_lines(quarterly_shared(NegativeSavings.CARRY_TERM), results)
    assert year[-1].amount == D("4000.00") and term[-1].amount == D("2400.00")


def test_results_given_out_of_order_are_settled_in_period_order():
    results = (quarter(2, 5000), quarter(1, -3000))
    lines = settlement_lines(quarterly_shared(NegativeSavings.CARRY_TERM), results)
    assert [line.amount for line in lines] == [D(0), D(1600)]


# --- guarantee reconciled per contract year -------------------------------------------------


def guaranteed(reconciliation):
    """100,000 kWh a year guaranteed at 0.80 ¥/kWh, half the excess to the ESCO, quarterly."""
    return ContractTerms(
        contract_type=ContractType.GUARANTEED_SAVINGS,
        term_years=3,
        start_date=date(2024, 1, 1),
        payment_frequency=PaymentFrequency.QUARTERLY,
        payment_due_days=30,
        discount_rate=D("0.05"),
        components=(
            GuaranteedSavingsTerms(
                guarantees=(kwh(100000),),
                fees=(FeeBand(1, 3, D(40000)),),
                excess_share=D("0.5"),
                reconciliation=reconciliation,
            ),
        ),
        prices=(CarrierPrice("electricity", "kWh", D("0.80")),),
    )


# A year-end line covers the whole contract year: (start, end, contract year).
CONTRACT_YEAR_1 = (date(2024, 1, 1), date(2025, 1, 1), 1)
YEAR_1 = (quarter(0, 20000), quarter(1, 30000), quarter(2, 25000), quarter(3, 24000))


def test_guarantee_reconciled_per_contract_year_trues_up_the_quarters_on_account():
    # Each quarter is 1/4 of the 100,000 kWh guarantee, 25,000 kWh:
    #   Q1 20,000: short 5,000 × 0.80 = 4,000.00 (ESCO pays, on account)
    #   Q2 30,000: long 5,000 × 0.80 × 0.5 = 2,000.00 (excess share, institution pays)
    #   Q3 25,000: nothing
    #   Q4 24,000: short 1,000 × 0.80 = 800.00
    # On account the ESCO paid 4,000 − 2,000 + 800 = 2,800.00 net.
    # The year: 99,000 kWh against 100,000: short 1,000 × 0.80 = 800.00 net from the ESCO.
    # Reconciliation: 800 − 2,800 = −2,000.00, the institution pays the ESCO 2,000.00.
    lines = settlement_lines(guaranteed(Reconciliation.CONTRACT_YEAR), YEAR_1)
    on_account = [line for line in lines if line.kind is not LineKind.RECONCILIATION]
    assert [(line.kind, line.amount) for line in on_account] == [
        (LineKind.SHORTFALL, D("4000.00")),
        (LineKind.EXCESS_SHARE, D("2000.00")),
        (LineKind.SHORTFALL, D("800.00")),
    ]
    (rec,) = [line for line in lines if line.kind is LineKind.RECONCILIATION]
    assert (rec.payer, rec.payee, rec.amount) == (Party.INSTITUTION, Party.ESCO, D("2000.00"))
    assert (rec.period_start, rec.period_end, rec.contract_year) == CONTRACT_YEAR_1
    assert rec.basis["annual_shortfall"] == "800.00"
    assert rec.basis["paid_on_account_by_esco"] == "2800.00"
    assert rec.due_date == date(2025, 1, 1) + timedelta(days=30)
    # Net over the year, the ESCO pays exactly the annual shortfall.
    net = sum(-line.signed_for(Party.ESCO) for line in lines)
    assert net == D("800.00")


def test_guarantee_without_the_term_is_settled_per_period_as_before():
    lines = settlement_lines(guaranteed(Reconciliation.PERIOD), YEAR_1)
    assert not [line for line in lines if line.kind is LineKind.RECONCILIATION]
    assert sum(-line.signed_for(Party.ESCO) for line in lines) == D("2800.00")


def test_no_reconciliation_until_the_contract_year_is_covered():
    lines = settlement_lines(guaranteed(Reconciliation.CONTRACT_YEAR), YEAR_1[:3])
    assert not [line for line in lines if line.kind is LineKind.RECONCILIATION]


# --- property: the report's value is the payment's value ------------------------------------


@st.composite
def periods_with_segments(draw):
    start = date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    terms = ContractTerms(**{**shared_2021().__dict__, "start_date": start})
    first = start + timedelta(days=draw(st.integers(0, 1200)))
    length = draw(st.integers(1, 400))
    end = first + timedelta(days=length)
    cuts = sorted(set(draw(st.lists(st.integers(1, length - 1), max_size=6)) if length > 1 else []))
    bounds = [first, *(first + timedelta(days=c) for c in cuts), end]
    segments = tuple(
        seg(a, b, draw(st.decimals(-5000, 50000, places=3, allow_nan=False)))
        for a, b in zip(bounds, bounds[1:], strict=False)
    )
    return terms, first, end, segments


@settings(max_examples=150, deadline=None)
@given(periods_with_segments())
def test_report_value_equals_payment_value_for_any_period_boundaries(case):
    terms, start, end, segments = case
    total = sum((s.quantity for s in segments), D(0))
    result = MvResult(start, end, (kwh(total),), end, segments=segments)
    lines = actual_lines(terms, result)
    parts = value_segments(terms, start, end, segments)
    # What the report shows for each contract-year part is what the payment line carries.
    assert [p.value_fen for p in parts] == [D(line.basis["savings_value_fen"]) for line in lines]
    for part, line in zip(parts, lines, strict=True):
        share = D("0.70") if part.contract_year <= 5 else D("0.50")
        assert line.amount == round_fen(max(part.value, Fraction(0)) * Fraction(share))
    assert sum((p.savings["electricity"] for p in parts), Fraction(0)) == Fraction(total)


# --- shared-savings annual minimum and cap --------------------------------------------------


def bounded_shared(reconciliation=Reconciliation.CONTRACT_YEAR, policy=NegativeSavings.FLOOR):
    """``quarterly_shared`` (80 %, 1.00 ¥/kWh, quarters from 2024-01-01) with an annual minimum
    of 20,000.00 and an annual cap of 30,000.00 on the ESCO's share."""
    terms = quarterly_shared(policy)
    (component,) = terms.components
    bounded = SharedSavingsTerms(
        component.shares,
        negative_savings=policy,
        annual_minimum=D("20000.00"),
        annual_cap=D("30000.00"),
        reconciliation=reconciliation,
    )
    return ContractTerms(**{**terms.__dict__, "components": (bounded,)})


# Year 1 (2024): 10,000 / 3,000 / 5,000 / 4,000 kWh. Year 2 (2025): 15,000 / 12,000 / 10,000 /
# 8,000 kWh.
BOUNDED_YEARS = (
    quarter(0, 10000),
    quarter(1, 3000),
    quarter(2, 5000),
    quarter(3, 4000),
    quarter(4, 15000),
    quarter(5, 12000),
    quarter(6, 10000),
    quarter(7, 8000),
)


def test_shared_savings_minimum_and_cap_are_trued_up_at_the_contract_year_end():
    """Worked by hand. Each quarter pays 80 % of its savings × 1.00 ¥/kWh on account:
    year 1: 8,000.00 + 2,400.00 + 4,000.00 + 3,200.00 = 17,600.00, below the 20,000.00 minimum:
    the year-end line has the institution pay the ESCO 20,000 − 17,600 = 2,400.00.
    year 2: 12,000.00 + 9,600.00 + 8,000.00 + 6,400.00 = 36,000.00, above the 30,000.00 cap:
    the ESCO pays back 36,000 − 30,000 = 6,000.00.
    Net over each year the ESCO receives exactly 20,000.00 and 30,000.00."""
    lines = settlement_lines(bounded_shared(), BOUNDED_YEARS)
    on_account = [line for line in lines if line.kind is LineKind.SHARED_SAVINGS]
    assert [line.amount for line in on_account] == [
        D(8000),
        D(2400),
        D(4000),
        D(3200),
        D(12000),
        D(9600),
        D(8000),
        D(6400),
    ]
    year1, year2 = [line for line in lines if line.kind is LineKind.SHARE_RECONCILIATION]
    assert (year1.payer, year1.payee, year1.amount) == (Party.INSTITUTION, Party.ESCO, D("2400.00"))
    assert (year1.period_start, year1.period_end, year1.contract_year) == CONTRACT_YEAR_1
    assert year1.basis["paid_on_account_to_esco"] == "17600.00"
    assert year1.basis["annual_share_due"] == "20000.00"
    assert (year2.payer, year2.payee, year2.amount) == (Party.ESCO, Party.INSTITUTION, D("6000.00"))
    assert year2.basis["annual_cap"] == "30000.00"
    # Due after the latest acceptance of the year (payment_due_days = 0).
    assert year2.due_date == date(2026, 1, 1)
    for year, expected in ((1, D(20000)), (2, D(30000))):
        net = sum(line.signed_for(Party.ESCO) for line in lines if line.contract_year == year)
        assert net == expected
    # The interim lines say they are on account under the bounds.
    assert on_account[0].basis["limits_reconciliation"] == "contract_year"


def test_no_minimum_or_cap_true_up_until_the_contract_year_is_covered():
    lines = settlement_lines(bounded_shared(), BOUNDED_YEARS[:3])
    assert not [line for line in lines if line.kind is LineKind.SHARE_RECONCILIATION]


def test_minimum_and_cap_reconciled_per_period_hold_each_quarter_to_a_quarter_of_them():
    """A quarter is 3 contract months / 12 = 1/4 of the year: bounds 5,000.00 … 7,500.00.
    Year 1 on its own: 8,000 → 7,500.00; 2,400 → 5,000.00; 4,000 → 5,000.00;
    3,200 → 5,000.00 (22,500.00 for the year, where the annual reconciliation gives 20,000.00)."""
    lines = settlement_lines(bounded_shared(Reconciliation.PERIOD), BOUNDED_YEARS[:4])
    assert [line.amount for line in lines] == [D(7500), D(5000), D(5000), D(5000)]
    assert all(line.kind is LineKind.SHARED_SAVINGS for line in lines)
    assert lines[0].basis["share_before_limits"] == "8000"
    assert lines[1].basis["minimum_for_period"] == "5000"


def test_a_projection_holds_each_period_within_its_part_of_the_bounds():
    # 100,000 kWh a year spread evenly: 25,000 kWh a quarter × 0.8 = 20,000.00, capped at
    # 7,500.00 a quarter, i.e. exactly the 30,000.00 annual cap.
    from emc.contracts.finance import SavingsEstimate, projected_schedule

    projected = projected_schedule(
        bounded_shared(), (SavingsEstimate("electricity", "kWh", D(100000)),)
    )
    year1 = [line for line in projected if line.contract_year == 1]
    assert [line.amount for line in year1] == [D(7500)] * 4


@st.composite
def quarters_and_policy(draw):
    n = draw(st.integers(1, 12))
    savings = draw(st.lists(st.integers(-8000, 20000), min_size=n, max_size=n))
    policy = draw(st.sampled_from(list(NegativeSavings)))
    reconciliation = draw(st.sampled_from(list(Reconciliation)))
    return tuple(quarter(k, q) for k, q in enumerate(savings)), policy, reconciliation


@settings(max_examples=100, deadline=None)
@given(quarters_and_policy())
def test_without_a_minimum_or_cap_the_schedule_is_unchanged(case):
    """No minimum and no cap: whatever the reconciliation term says, each quarter pays
    max(0, value + deficit carried in) × 80 %, as before the bounds existed, with no
    year-end line and no bound in the basis; the projection is unchanged too."""
    results, policy, reconciliation = case
    plain = quarterly_shared(policy)
    (component,) = plain.components
    other = ContractTerms(
        **{
            **plain.__dict__,
            "components": (
                SharedSavingsTerms(
                    component.shares, negative_savings=policy, reconciliation=reconciliation
                ),
            ),
        }
    )
    lines = settlement_lines(other, results)
    assert lines == settlement_lines(plain, results)
    expected, balance, year = [], Fraction(0), 1
    for k, result in enumerate(results):
        this_year = k // 4 + 1
        if policy is NegativeSavings.CARRY_CONTRACT_YEAR and this_year != year:
            balance = Fraction(0)
        year = this_year
        value = Fraction(result.savings[0].quantity)
        net = value + (balance if policy is not NegativeSavings.FLOOR else 0)
        if policy is not NegativeSavings.FLOOR:
            balance = min(net, Fraction(0))
        expected.append(round_fen(max(net, Fraction(0)) * Fraction(4, 5)))
    assert [line.amount for line in lines] == expected
    assert all(line.kind is LineKind.SHARED_SAVINGS for line in lines)
    assert not any("annual_minimum" in line.basis for line in lines)
    from emc.contracts.finance import SavingsEstimate, projected_schedule

    estimates = (SavingsEstimate("electricity", "kWh", D(50000)),)
    assert projected_schedule(other, estimates) == projected_schedule(plain, estimates)


@settings(max_examples=100, deadline=None)
@given(quarters_and_policy())
def test_a_covered_contract_year_nets_to_within_the_minimum_and_cap(case):
    results, policy, _reconciliation = case
    lines = settlement_lines(bounded_shared(Reconciliation.CONTRACT_YEAR, policy), results)
    for year in range(1, len(results) // 4 + 1):
        net = sum(line.signed_for(Party.ESCO) for line in lines if line.contract_year == year)
        assert D(20000) <= net <= D(30000)

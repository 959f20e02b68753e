"""融资租赁型: annuity rent split into interest and principal; numpy-financial cross-checks."""

from datetime import date
from decimal import Decimal as D

import numpy_financial as npf
import pytest

from emc.contracts.finance import (
    ContractTerms,
    ContractType,
    FinanceLeaseTerms,
    LineKind,
    Party,
    PaymentFrequency,
    contractual_lines,
    lease_instalments,
)


def make_terms(lease, frequency=PaymentFrequency.ANNUAL, due_days=0):
    return ContractTerms(
        contract_type=ContractType.FINANCE_LEASE,
        term_years=5,
        start_date=date(2024, 1, 1),
        payment_frequency=frequency,
        payment_due_days=due_days,
        discount_rate=D("0.05"),
        components=(lease,),
    )


def test_annual_lease_schedule_worked_example():
    # 1,000,000 at 6 % over 5 years: rent = 1,000,000 × 0.06 / (1 − 1.06^−5) = 237,396.3998 → .40
    # n  opening        interest (×0.06)  principal     closing
    # 1  1,000,000.00   60,000.00         177,396.40    822,603.60
    # 2    822,603.60   49,356.22 (.216)  188,040.18    634,563.42
    # 3    634,563.42   38,073.81 (.8052) 199,322.59    435,240.83
    # 4    435,240.83   26,114.45 (.4498) 211,281.95    223,958.88
    # 5    223,958.88   13,437.53 (.5328) 223,958.88 (all that is left) → rent 237,396.41
    rows = [
        (i.opening_balance, i.rent, i.interest, i.principal, i.closing_balance)
        for i in lease_instalments(make_terms(FinanceLeaseTerms(D(1000000), D("0.06"))))
    ]
    assert rows == [
        (D("1000000.00"), D("237396.40"), D("60000.00"), D("177396.40"), D("822603.60")),
        (D("822603.60"), D("237396.40"), D("49356.22"), D("188040.18"), D("634563.42")),
        (D("634563.42"), D("237396.40"), D("38073.81"), D("199322.59"), D("435240.83")),
        (D("435240.83"), D("237396.40"), D("26114.45"), D("211281.95"), D("223958.88")),
        (D("223958.88"), D("237396.41"), D("13437.53"), D("223958.88"), D("0.00")),
    ]


def test_monthly_lease_with_residual_matches_numpy_financial():
    lease = FinanceLeaseTerms(D(1000000), D("0.06"), residual_value=D(100000))
    instalments = lease_instalments(make_terms(lease, PaymentFrequency.MONTHLY))
    assert len(instalments) == 60
    rate, n = 0.06 / 12, 60
    expected_rent = npf.pmt(rate, n, -1000000, 100000)
    assert all(i.rent == D(f"{expected_rent:.2f}") for i in instalments[:-1])
    for i in instalments[:-1]:
        assert float(i.interest) == pytest.approx(
            npf.ipmt(rate, i.number, n, -1000000, 100000), abs=0.05
        )
        assert float(i.principal) == pytest.approx(
            npf.ppmt(rate, i.number, n, -1000000, 100000), abs=0.05
        )
    # The last instalment absorbs the fen rounding of the 59 before it.
    last = instalments[-1]
    assert float(last.principal) == pytest.approx(npf.ppmt(rate, n, n, -1000000, 100000), abs=0.5)
    assert sum(i.principal for i in instalments) == D("900000.00")
    assert instalments[-1].closing_balance == D("100000.00")
    assert all(i.rent == i.interest + i.principal for i in instalments)


def test_zero_rate_lease_repays_evenly():
    lease = FinanceLeaseTerms(D(100000), D(0), residual_value=D(10000))
    instalments = lease_instalments(make_terms(lease, PaymentFrequency.QUARTERLY))
    # (100,000 − 10,000) / 20 = 4,500.00 a quarter, no interest
    assert {i.rent for i in instalments} == {D("4500.00")}
    assert {i.interest for i in instalments} == {D("0.00")}


def test_lease_rent_lines_are_paid_to_the_lessor_and_carry_the_split():
    lease = FinanceLeaseTerms(D(1000000), D("0.06"), term_years=3, label="lease")
    lines = contractual_lines(make_terms(lease, PaymentFrequency.SEMI_ANNUAL, due_days=5))
    assert len(lines) == 6  # the lease term, not the contract term
    first = lines[0]
    assert first.kind is LineKind.LEASE_RENT
    assert (first.payer, first.payee) == (Party.INSTITUTION, Party.LESSOR)
    assert first.due_date == date(2024, 7, 6)
    assert [line.contract_year for line in lines] == [1, 1, 2, 2, 3, 3]
    assert first.basis["interest"] == "30000.00"  # 1,000,000 × 0.06 / 2
    assert D(first.basis["interest"]) + D(first.basis["principal"]) == first.amount
    assert first.key == "actual:lease:lease_rent:2024-01-01:2024-07-01"

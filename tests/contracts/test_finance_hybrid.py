"""混合型: each component yields its own lines, labelled by component."""

from datetime import date
from decimal import Decimal as D

import pytest

from emc.contracts.finance import (
    CarrierPrice,
    ContractTerms,
    ContractTermsError,
    ContractType,
    EnergyQuantity,
    FinanceLeaseTerms,
    LineKind,
    MvResult,
    PaymentFrequency,
    SavingsEstimate,
    ShareBand,
    SharedSavingsTerms,
    actual_lines,
    contractual_lines,
    projected_schedule,
)

TERMS = ContractTerms(
    contract_type=ContractType.HYBRID,
    term_years=4,
    start_date=date(2025, 1, 1),
    payment_frequency=PaymentFrequency.QUARTERLY,
    payment_due_days=20,
    discount_rate=D("0.06"),
    components=(
        SharedSavingsTerms(shares=(ShareBand(1, 4, D("0.7")),), label="lighting"),
        FinanceLeaseTerms(D(400000), D("0.05"), label="chiller_lease"),
    ),
    prices=(CarrierPrice("electricity", "kWh", D("0.90")),),
)


def test_hybrid_components_each_produce_their_own_labelled_lines():
    # Lighting: 400,000 kWh a year → 100,000 a quarter × 0.90 × 0.7 = 63,000.00
    lines = projected_schedule(TERMS, (SavingsEstimate("electricity", "kWh", D(400000)),))
    lighting = [x for x in lines if x.component == "lighting"]
    lease = [x for x in lines if x.component == "chiller_lease"]
    assert len(lighting) == len(lease) == 16
    assert {x.kind for x in lighting} == {LineKind.SHARED_SAVINGS}
    assert {x.amount for x in lighting} == {D("63000.00")}
    assert {x.kind for x in lease} == {LineKind.LEASE_RENT}
    assert len({x.key for x in lines}) == 32
    assert all(x.key.split(":")[1] == x.component for x in lines)


def test_hybrid_actual_lines_come_only_from_the_savings_component():
    result = MvResult(
        date(2025, 1, 1),
        date(2025, 4, 1),
        (EnergyQuantity("electricity", "kWh", D(90000)),),
        date(2025, 4, 15),
    )
    (line,) = actual_lines(TERMS, result)
    # 90,000 × 0.90 × 0.7 = 56,700.00
    assert (line.component, line.amount) == ("lighting", D("56700.00"))
    assert {x.component for x in contractual_lines(TERMS)} == {"chiller_lease"}


def test_hybrid_labels_must_be_unique():
    bad = ContractTerms(
        **{
            **TERMS.__dict__,
            "components": (
                SharedSavingsTerms(shares=(ShareBand(1, 4, D("0.7")),), label="x"),
                FinanceLeaseTerms(D(400000), D("0.05"), label="x"),
            ),
        }
    )
    with pytest.raises(ContractTermsError) as error:
        contractual_lines(bad)
    assert error.value.field == "components[1].label"

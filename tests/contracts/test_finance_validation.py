"""Bad terms and inputs raise typed errors naming the offending field."""

import dataclasses
from datetime import date
from decimal import Decimal as D

import pytest

from emc.contracts.finance import (
    BaselineCarrierCost,
    CarrierPrice,
    ContractTerms,
    ContractTermsError,
    ContractType,
    CostKind,
    CostParty,
    EnergyCostCustodyTerms,
    EnergyQuantity,
    FeeBand,
    FinanceInputError,
    FinanceLeaseTerms,
    FloorAreaChange,
    GuaranteedSavingsTerms,
    MvResult,
    PartyCost,
    PaymentFrequency,
    PeriodSavingsEstimate,
    SavingsEstimate,
    SavingsInputError,
    ShareBand,
    SharedSavingsTerms,
    actual_lines,
    contractual_lines,
    projected_schedule,
    validate_terms,
)

SHARES = (ShareBand(1, 3, D("0.8")), ShareBand(4, 5, D("0.6")))
GOOD = ContractTerms(
    contract_type=ContractType.SHARED_SAVINGS,
    term_years=5,
    start_date=date(2024, 1, 1),
    payment_frequency=PaymentFrequency.MONTHLY,
    payment_due_days=30,
    discount_rate=D("0.06"),
    components=(SharedSavingsTerms(shares=SHARES),),
    prices=(CarrierPrice("electricity", "kWh", D("0.80"), D("0.03")),),
)
CUSTODY = EnergyCostCustodyTerms(
    baseline=(BaselineCarrierCost("electricity", "kWh", D(100000), D("0.8")),),
    coefficient=D("0.9"),
    floor_area_m2=D(1000),
)


def shared(*bands):
    return (SharedSavingsTerms(shares=bands),)


def lease(**overrides):
    values = dict(principal=D(100000), annual_rate=D("0.05"))
    values.update(overrides)
    return (FinanceLeaseTerms(**values),)


def guaranteed(**overrides):
    values = dict(
        guarantees=(EnergyQuantity("electricity", "kWh", D(1000)),),
        fees=(FeeBand(1, 5, D(1000)),),
    )
    values.update(overrides)
    return (GuaranteedSavingsTerms(**values),)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"term_years": 0}, "term_years"),
        ({"payment_due_days": -1}, "payment_due_days"),
        ({"discount_rate": D("-0.01")}, "discount_rate"),
        ({"currency": "USD"}, "currency"),
        ({"prices": (CarrierPrice("electricity", "kWh", D("-0.8")),)}, "prices[0].base_price"),
        ({"prices": (CarrierPrice("electricity", "kWh", 0.8),)}, "prices[0].base_price"),
        (
            {"prices": (CarrierPrice("electricity", "kWh", D("0.8"), D("-1")),)},
            "prices[0].escalation",
        ),
        ({"prices": ()}, "prices"),
        (
            {"components": shared(ShareBand(1, 3, D("0.8")), ShareBand(4, 5, D("1.2")))},
            "components[0].shares[1].share",
        ),
        ({"components": shared(ShareBand(1, 3, D("0.8")))}, "components[0].shares"),
        (
            {"components": shared(ShareBand(1, 3, D("0.8")), ShareBand(3, 5, D("0.6")))},
            "components[0].shares[1].first_year",
        ),
        (
            {"components": shared(ShareBand(1, 6, D("0.8")))},
            "components[0].shares[0].last_year",
        ),
        ({"components": ()}, "components"),
        (
            {
                "contract_type": ContractType.FINANCE_LEASE,
                "components": lease(annual_rate=D("-0.01")),
            },
            "components[0].annual_rate",
        ),
        (
            {
                "contract_type": ContractType.FINANCE_LEASE,
                "components": lease(residual_value=D(100000)),
            },
            "components[0].residual_value",
        ),
        (
            {"contract_type": ContractType.FINANCE_LEASE, "components": lease(term_years=6)},
            "components[0].term_years",
        ),
        (
            {
                "contract_type": ContractType.GUARANTEED_SAVINGS,
                "components": guaranteed(
                    guarantees=(EnergyQuantity("heat", "GJ", D(10)),),
                ),
            },
            "components[0].guarantees[0].carrier",
        ),
        (
            {
                "contract_type": ContractType.GUARANTEED_SAVINGS,
                "components": guaranteed(excess_share=D("1.5")),
            },
            "components[0].excess_share",
        ),
        (
            {
                "contract_type": ContractType.ENERGY_COST_CUSTODY,
                "components": (dataclasses.replace(CUSTODY, coefficient=D("1.1")),),
            },
            "components[0].coefficient",
        ),
        (
            {"contract_type": ContractType.HYBRID},
            "components",
        ),
        (
            {"contract_type": ContractType.FINANCE_LEASE},
            "components",
        ),
        # Range checks (issue 14): every quantity, rate and date has sane bounds.
        ({"term_years": 31}, "term_years"),
        ({"start_date": date(1989, 12, 31)}, "start_date"),
        ({"start_date": date(2100, 1, 1)}, "start_date"),
        ({"payment_due_days": 400}, "payment_due_days"),
        ({"discount_rate": D("1.5")}, "discount_rate"),
        ({"prices": (CarrierPrice("electricity", "kWh", D("20000")),)}, "prices[0].base_price"),
        (
            {"prices": (CarrierPrice("electricity", "kWh", D("0.8"), D("2")),)},
            "prices[0].escalation",
        ),
        (
            {
                "contract_type": ContractType.FINANCE_LEASE,
                "components": lease(annual_rate=D("1.2")),
            },
            "components[0].annual_rate",
        ),
        (
            {
                "contract_type": ContractType.FINANCE_LEASE,
                "components": lease(principal=D("2e12")),
            },
            "components[0].principal",
        ),
        (
            {
                "contract_type": ContractType.ENERGY_COST_CUSTODY,
                "components": (dataclasses.replace(CUSTODY, floor_area_m2=D("2e8")),),
            },
            "components[0].floor_area_m2",
        ),
        (
            {
                "contract_type": ContractType.GUARANTEED_SAVINGS,
                "components": guaranteed(guarantees=(EnergyQuantity("electricity", "kWh", D(-1)),)),
            },
            "components[0].guarantees[0].quantity",
        ),
        (
            {"components": (SharedSavingsTerms(shares=SHARES, negative_savings="sometimes"),)},
            "components[0].negative_savings",
        ),
        (
            {
                "contract_type": ContractType.GUARANTEED_SAVINGS,
                "components": guaranteed(reconciliation="monthly"),
            },
            "components[0].reconciliation",
        ),
        (
            {"components": (SharedSavingsTerms(shares=SHARES, annual_minimum=D("-1")),)},
            "components[0].annual_minimum",
        ),
        (
            {"components": (SharedSavingsTerms(shares=SHARES, annual_cap=D("-0.01")),)},
            "components[0].annual_cap",
        ),
        (
            {
                "components": (
                    SharedSavingsTerms(
                        shares=SHARES, annual_minimum=D("30000"), annual_cap=D("20000")
                    ),
                )
            },
            "components[0].annual_minimum",
        ),
        (
            {"components": (SharedSavingsTerms(shares=SHARES, annual_cap=D("100.005")),)},
            "components[0].annual_cap",
        ),
        (
            {"components": (SharedSavingsTerms(shares=SHARES, annual_cap=D("2e12")),)},
            "components[0].annual_cap",
        ),
        (
            {"components": (SharedSavingsTerms(shares=SHARES, reconciliation="weekly"),)},
            "components[0].reconciliation",
        ),
        (
            {"costs": (PartyCost(CostParty.ESCO, CostKind.INSURANCE, D(-5)),)},
            "costs[0].annual_amount",
        ),
        (
            {"costs": (PartyCost(CostParty.ESCO, CostKind.INSURANCE, D(5), D("-1")),)},
            "costs[0].escalation",
        ),
        (
            {"costs": (PartyCost(CostParty.ESCO, CostKind.MV_FEE, D(5), first_year=6),)},
            "costs[0].first_year",
        ),
        (
            {"costs": (PartyCost(CostParty.ESCO, CostKind.MV_FEE, D(5), last_year=9),)},
            "costs[0].last_year",
        ),
        (
            {"costs": (PartyCost("lessor", CostKind.MV_FEE, D(5)),)},
            "costs[0].party",
        ),
    ],
)
def test_bad_terms_name_the_field(overrides, field):
    terms = dataclasses.replace(GOOD, **overrides)
    with pytest.raises(ContractTermsError) as error:
        validate_terms(terms)
    assert error.value.field == field
    assert error.value.message
    assert str(error.value).startswith(f"{field}: ")
    assert isinstance(error.value, FinanceInputError | ValueError)


def test_every_generator_validates_terms():
    bad = dataclasses.replace(GOOD, term_years=0)
    result = MvResult(date(2024, 1, 1), date(2024, 2, 1), (), date(2024, 2, 5))
    for call in (
        lambda: contractual_lines(bad),
        lambda: projected_schedule(bad, ()),
        lambda: actual_lines(bad, result),
    ):
        with pytest.raises(ContractTermsError, match="term_years"):
            call()


def test_missing_price_for_a_savings_carrier_is_a_terms_error():
    estimates = (SavingsEstimate("natural_gas", "m3", D(1000)),)
    with pytest.raises(ContractTermsError) as error:
        projected_schedule(GOOD, estimates)
    assert error.value.field == "prices"
    assert "natural_gas" in error.value.message


@pytest.mark.parametrize(
    ("result", "field"),
    [
        (
            MvResult(
                date(2024, 1, 1),
                date(2024, 2, 1),
                (EnergyQuantity("electricity", "MWh", D(120)),),
                date(2024, 2, 5),
            ),
            "result.savings[0].unit",
        ),
        (
            MvResult(
                date(2024, 1, 1),
                date(2024, 2, 1),
                (EnergyQuantity("electricity", "kWh", 120.0),),
                date(2024, 2, 5),
            ),
            "result.savings[0].quantity",
        ),
        (
            MvResult(date(2023, 12, 1), date(2024, 1, 1), (), date(2024, 2, 5)),
            "result.period_start",
        ),
        (MvResult(date(2024, 2, 1), date(2024, 2, 1), (), date(2024, 2, 5)), "result.period_end"),
    ],
)
def test_bad_mv_results_name_the_field(result, field):
    with pytest.raises(SavingsInputError) as error:
        actual_lines(GOOD, result)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("estimate", "field"),
    [
        (
            SavingsEstimate("electricity", "kWh", D(1), contract_year=6),
            "estimates[0].contract_year",
        ),
        # A negative estimate used to project 0.00 payments and be accepted (issue 14).
        (SavingsEstimate("electricity", "kWh", D(-1000)), "estimates[0].annual_quantity"),
        (SavingsEstimate("electricity", "kWh", D("1e13")), "estimates[0].annual_quantity"),
        (SavingsEstimate("electricity", "kWh", D("NaN")), "estimates[0].annual_quantity"),
        (
            PeriodSavingsEstimate(date(2024, 1, 1), "electricity", "kWh", D(-1)),
            "estimates[0].quantity",
        ),
    ],
)
def test_bad_estimates_name_the_field(estimate, field):
    with pytest.raises(SavingsInputError) as error:
        projected_schedule(GOOD, (estimate,))
    assert error.value.field == field


def test_bad_adjustments_name_the_field():
    terms = dataclasses.replace(
        GOOD, contract_type=ContractType.ENERGY_COST_CUSTODY, components=(CUSTODY,)
    )
    outside = FloorAreaChange("A-1", date(2024, 3, 1), date(2030, 1, 1), D(1200))
    with pytest.raises(ContractTermsError) as error:
        contractual_lines(terms, (outside,))
    assert error.value.field == "adjustments[0].effective_date"
    twice = FloorAreaChange("A-1", date(2024, 3, 1), date(2024, 3, 1), D(1200))
    with pytest.raises(ContractTermsError) as error:
        contractual_lines(terms, (twice, twice))
    assert error.value.field == "adjustments[1].reference"


def test_every_bad_field_is_named_at_once():
    """A form shows all its errors after one submit: validation goes on past the first bad
    field, and the error still reads as its first field for callers that want one."""
    from emc.contracts.finance import ContractTermsErrors, each_error

    terms = dataclasses.replace(
        GOOD,
        term_years=0,
        payment_due_days=-5,
        prices=(CarrierPrice("electricity", "kWh", D("-0.5"), D(0)),),
        components=shared(ShareBand(3, 1, D("1.5"))),
    )
    with pytest.raises(ContractTermsErrors) as error:
        validate_terms(terms)
    fields = [e.field for e in each_error(error.value)]
    assert error.value.field == fields[0] == "term_years"
    for field in (
        "payment_due_days",
        "prices[0].base_price",
        "components[0].shares[0].share",
        "components[0].shares[0].last_year",
    ):
        assert field in fields, (field, fields)
    # One bad field: the plain error, as before.
    with pytest.raises(ContractTermsError) as one:
        validate_terms(dataclasses.replace(GOOD, payment_due_days=-5))
    assert not isinstance(one.value, ContractTermsErrors) and one.value.field == "payment_due_days"


def test_a_document_reports_its_bad_leaves_and_the_other_bad_fields_together():
    from emc.contracts.documents import decode_terms_all, terms_to_document
    from emc.contracts.service.contracts import check_terms
    from emc.errors import Invalid

    document = terms_to_document(dataclasses.replace(GOOD, payment_due_days=-5))
    document["discount_rate"] = "abc"
    terms, problems = decode_terms_all(document)
    assert [p.field for p in problems] == ["discount_rate"]
    assert problems[0].message.code == "finance.not_decimal"
    with pytest.raises(Invalid) as error:
        check_terms(document, [])
    # The undecodable rate once (not again from validation), and the other bad field too.
    assert error.value.fields == {
        "terms.discount_rate": [problems[0].message],
        "terms.payment_due_days": [error.value.fields["terms.payment_due_days"][0]],
    }

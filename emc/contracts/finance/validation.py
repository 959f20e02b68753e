"""Validation of contract terms and agreed adjustments, naming the offending field by path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from emc.messages import Text, msg

from .money import CURRENCY, round_fen
from .terms import (
    _COMPONENT_TYPE,
    Component,
    ContractTerms,
    ContractTermsError,
    ContractType,
    CostKind,
    CostParty,
    CustodyAdjustment,
    EnergyCostCustodyTerms,
    EnergyPriceChange,
    FinanceInputError,
    FloorAreaChange,
    GuaranteedSavingsTerms,
    NegativeSavings,
    PartyCost,
    PaymentFrequency,
    Reconciliation,
    SharedSavingsTerms,
    component_type,
)

# Range checks: a figure outside these is a typing slip, not a contract (a 40-year EPC, a
# 500 % discount rate or a price of a million yuan per kWh are refused naming the field).
MAX_TERM_YEARS = 30
MAX_DUE_DAYS = 366
MAX_RATE = Decimal("1")
MAX_ESCALATION = Decimal("1")
MAX_AMOUNT = Decimal("1e12")
MAX_FLOOR_AREA_M2 = Decimal("1e8")
MAX_QUANTITY = Decimal("1e12")
MIN_START = date(1990, 1, 1)
MAX_START = date(2100, 1, 1)

__all__ = ["validate_adjustments", "validate_terms"]


def _fail(field: str, message: Text | str) -> None:
    raise ContractTermsError(field, message)


def _check_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        _fail(field, msg("finance.not_decimal", type=type(value).__name__))
    value = Decimal(value)
    if not value.is_finite():
        _fail(field, msg("finance.not_finite"))
    return value


def _check_non_negative(value: object, field: str, maximum: Decimal = MAX_AMOUNT) -> None:
    v = _check_decimal(value, field)
    if v < 0:
        _fail(field, msg("finance.negative"))
    if v > maximum:
        _fail(field, msg("finance.at_most", maximum=maximum))


def _check_fraction(value: object, field: str) -> None:
    v = _check_decimal(value, field)
    if v < 0 or v > 1:
        _fail(field, msg("finance.fraction"))


def _check_int(value: object, field: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(field, msg("finance.not_integer", type=type(value).__name__))
    if value < minimum:
        _fail(field, msg("finance.at_least", minimum=minimum))


def _check_text(value: object, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        _fail(field, msg("finance.empty_text"))


def _check_bands(bands: object, field: str, term_years: int, value_name: str) -> None:
    """Bands must cover contract years 1..term exactly once each."""
    if not isinstance(bands, tuple) or not bands:
        _fail(field, msg("finance.empty_list"))
    covered: dict[int, int] = {}
    for i, band in enumerate(bands):
        path = f"{field}[{i}]"
        _check_int(band.first_year, f"{path}.first_year", 1)
        _check_int(band.last_year, f"{path}.last_year", band.first_year)
        if band.last_year > term_years:
            _fail(f"{path}.last_year", msg("finance.beyond_term", years=term_years))
        if value_name == "share":
            _check_fraction(band.share, f"{path}.share")
        else:
            _check_non_negative(band.annual_amount, f"{path}.annual_amount")
        for year in range(band.first_year, band.last_year + 1):
            if year in covered:
                _fail(
                    f"{path}.first_year",
                    msg("finance.year_repeated", year=year),
                )
            covered[year] = i
    for year in range(1, term_years + 1):
        if year not in covered:
            _fail(field, msg("finance.year_uncovered", year=year))


def _check_quantity_unit(
    terms: ContractTerms, carrier: str, unit: str, field: str, error: type[FinanceInputError]
) -> None:
    price = terms.price_for(carrier)
    if price is None:
        raise error(f"{field}.carrier", msg("finance.no_price", carrier=carrier))
    if unit != price.unit:
        raise error(
            f"{field}.unit",
            msg("finance.unit_mismatch", unit=unit, price_unit=price.unit),
        )


def validate_terms(terms: ContractTerms) -> None:
    """Check ``terms`` and raise :class:`ContractTermsError` naming the first bad field."""
    if not isinstance(terms.contract_type, ContractType):
        _fail("contract_type", msg("finance.must_contracttype"))
    _check_int(terms.term_years, "term_years", 1)
    if terms.term_years > MAX_TERM_YEARS:
        _fail("term_years", msg("finance.at_most", maximum=MAX_TERM_YEARS))
    if not isinstance(terms.start_date, date):
        _fail("start_date", msg("finance.must_date"))
    if not MIN_START <= terms.start_date < MAX_START:
        _fail("start_date", msg("finance.date_between", first=MIN_START, last=MAX_START))
    if not isinstance(terms.payment_frequency, PaymentFrequency):
        _fail("payment_frequency", msg("finance.must_paymentfrequency"))
    _check_int(terms.payment_due_days, "payment_due_days", 0)
    if terms.payment_due_days > MAX_DUE_DAYS:
        _fail("payment_due_days", msg("finance.at_most", maximum=MAX_DUE_DAYS))
    _check_non_negative(terms.discount_rate, "discount_rate", MAX_RATE)
    if terms.currency != CURRENCY:
        _fail("currency", msg("finance.currency", currency=CURRENCY))

    if not isinstance(terms.prices, tuple):
        _fail("prices", msg("finance.must_tuple"))
    seen: dict[str, int] = {}
    for i, price in enumerate(terms.prices):
        path = f"prices[{i}]"
        _check_text(price.carrier, f"{path}.carrier")
        _check_text(price.unit, f"{path}.unit")
        if price.carrier in seen:
            _fail(
                f"{path}.carrier",
                msg("finance.carrier_twice", carrier=price.carrier),
            )
        seen[price.carrier] = i
        _check_non_negative(price.base_price, f"{path}.base_price", Decimal(10000))
        escalation = _check_decimal(price.escalation, f"{path}.escalation")
        if escalation <= -1:
            _fail(f"{path}.escalation", msg("finance.must_greater_than_1"))
        if escalation > MAX_ESCALATION:
            _fail(f"{path}.escalation", msg("finance.at_most", maximum=MAX_ESCALATION))

    if not isinstance(terms.components, tuple) or not terms.components:
        _fail("components", msg("finance.must_non_empty_tuple"))
    types = []
    labels: dict[str, int] = {}
    for i, component in enumerate(terms.components):
        path = f"components[{i}]"
        if type(component) not in _COMPONENT_TYPE:
            _fail(path, msg("finance.unknown_kind", type=type(component).__name__))
        types.append(component_type(component))
        _check_text(component.label, f"{path}.label")
        if ":" in component.label:
            _fail(f"{path}.label", msg("finance.must_not_contain_part_line"))
        if component.label in labels:
            _fail(f"{path}.label", msg("finance.label_used", other=labels[component.label] + 1))
        labels[component.label] = i
        _validate_component(terms, component, path)
    _validate_costs(terms)
    if terms.contract_type is ContractType.HYBRID:
        if len(terms.components) < 2:
            _fail("components", msg("finance.hybrid_contract_needs_at_least"))
    elif len(terms.components) != 1 or types[0] is not terms.contract_type:
        _fail(
            "components",
            msg("finance.one_component"),
        )


def _validate_costs(terms: ContractTerms) -> None:
    if not isinstance(terms.costs, tuple):
        _fail("costs", msg("finance.must_tuple"))
    for i, cost in enumerate(terms.costs):
        path = f"costs[{i}]"
        if not isinstance(cost, PartyCost):
            _fail(path, msg("finance.unknown_kind", type=type(cost).__name__))
        if not isinstance(cost.party, CostParty):
            _fail(f"{path}.party", msg("finance.must_institution_esco"))
        if not isinstance(cost.kind, CostKind):
            _fail(f"{path}.kind", msg("finance.must_costkind"))
        _check_non_negative(cost.annual_amount, f"{path}.annual_amount")
        escalation = _check_decimal(cost.escalation, f"{path}.escalation")
        if escalation <= -1 or escalation > MAX_ESCALATION:
            _fail(f"{path}.escalation", msg("finance.escalation_range", maximum=MAX_ESCALATION))
        _check_int(cost.first_year, f"{path}.first_year", 1)
        if cost.first_year > terms.term_years:
            _fail(f"{path}.first_year", msg("finance.beyond_contract_term"))
        if cost.last_year is not None:
            _check_int(cost.last_year, f"{path}.last_year", cost.first_year)
            if cost.last_year > terms.term_years:
                _fail(f"{path}.last_year", msg("finance.beyond_contract_term"))
        if not isinstance(cost.description, str) or len(cost.description) > 200:
            _fail(f"{path}.description", msg("finance.must_text_at_most_200"))


def _validate_component(terms: ContractTerms, component: Component, path: str) -> None:
    if isinstance(component, SharedSavingsTerms):
        _check_bands(component.shares, f"{path}.shares", terms.term_years, "share")
        if not isinstance(component.negative_savings, NegativeSavings):
            _fail(f"{path}.negative_savings", msg("finance.must_floor_carry_contract_year"))
        for bound in ("annual_minimum", "annual_cap"):
            if getattr(component, bound) is not None:
                _check_non_negative(getattr(component, bound), f"{path}.{bound}")
                if Decimal(getattr(component, bound)) != round_fen(getattr(component, bound)):
                    _fail(f"{path}.{bound}", msg("finance.whole_fen"))
        if (
            component.annual_minimum is not None
            and component.annual_cap is not None
            and component.annual_minimum > component.annual_cap
        ):
            _fail(f"{path}.annual_minimum", msg("finance.minimum_above_cap"))
        if not isinstance(component.reconciliation, Reconciliation):
            _fail(f"{path}.reconciliation", msg("finance.must_period_or_contract_year"))
        if not terms.prices:
            _fail("prices", msg("finance.shared_savings_needs_contract_price"))
    elif isinstance(component, GuaranteedSavingsTerms):
        if not isinstance(component.guarantees, tuple) or not component.guarantees:
            _fail(f"{path}.guarantees", msg("finance.must_non_empty_tuple"))
        carriers: set[str] = set()
        for i, guarantee in enumerate(component.guarantees):
            gpath = f"{path}.guarantees[{i}]"
            _check_non_negative(guarantee.quantity, f"{gpath}.quantity")
            if guarantee.carrier in carriers:
                _fail(f"{gpath}.carrier", msg("finance.carrier_twice", carrier=guarantee.carrier))
            carriers.add(guarantee.carrier)
            _check_quantity_unit(
                terms, guarantee.carrier, guarantee.unit, gpath, ContractTermsError
            )
        _check_bands(component.fees, f"{path}.fees", terms.term_years, "fee")
        _check_fraction(component.excess_share, f"{path}.excess_share")
        if not isinstance(component.reconciliation, Reconciliation):
            _fail(f"{path}.reconciliation", msg("finance.must_period_contract_year"))
    elif isinstance(component, EnergyCostCustodyTerms):
        if not isinstance(component.baseline, tuple) or not component.baseline:
            _fail(f"{path}.baseline", msg("finance.must_non_empty_tuple"))
        carriers = set()
        for i, item in enumerate(component.baseline):
            bpath = f"{path}.baseline[{i}]"
            _check_text(item.carrier, f"{bpath}.carrier")
            _check_text(item.unit, f"{bpath}.unit")
            if item.carrier in carriers:
                _fail(f"{bpath}.carrier", msg("finance.carrier_twice", carrier=item.carrier))
            carriers.add(item.carrier)
            _check_non_negative(item.annual_quantity, f"{bpath}.annual_quantity")
            _check_non_negative(item.price_per_unit, f"{bpath}.price_per_unit")
        coefficient = _check_decimal(component.coefficient, f"{path}.coefficient")
        if coefficient <= 0 or coefficient > 1:
            _fail(f"{path}.coefficient", msg("finance.must_greater_than_0_at"))
        area = _check_decimal(component.floor_area_m2, f"{path}.floor_area_m2")
        if area <= 0:
            _fail(f"{path}.floor_area_m2", msg("finance.must_positive"))
        if area > MAX_FLOOR_AREA_M2:
            _fail(f"{path}.floor_area_m2", msg("finance.at_most", maximum=MAX_FLOOR_AREA_M2))
        _check_non_negative(component.om_fee_annual, f"{path}.om_fee_annual")
    else:
        principal = _check_decimal(component.principal, f"{path}.principal")
        if principal <= 0:
            _fail(f"{path}.principal", msg("finance.must_positive"))
        if principal > MAX_AMOUNT:
            _fail(f"{path}.principal", msg("finance.at_most", maximum=MAX_AMOUNT))
        _check_non_negative(component.annual_rate, f"{path}.annual_rate", MAX_RATE)
        _check_non_negative(component.residual_value, f"{path}.residual_value")
        if component.residual_value >= component.principal:
            _fail(f"{path}.residual_value", msg("finance.must_less_than_principal"))
        if component.term_years is not None:
            _check_int(component.term_years, f"{path}.term_years", 1)
            if component.term_years > terms.term_years:
                _fail(f"{path}.term_years", msg("finance.must_not_exceed_contract_term"))
        if not isinstance(component.purchase_option, bool):
            _fail(f"{path}.purchase_option", msg("finance.must_true_false"))
        if component.payment_frequency is not None and not isinstance(
            component.payment_frequency, PaymentFrequency
        ):
            _fail(f"{path}.payment_frequency", msg("finance.must_paymentfrequency"))


def validate_adjustments(
    terms: ContractTerms, adjustments: tuple[CustodyAdjustment, ...], term_end: date
) -> None:
    """Check agreed custody fee adjustments against ``terms``; raise :class:`ContractTermsError`.

    Field paths are relative to the ``adjustments`` argument (``adjustments[1].effective_date``).
    """
    if not isinstance(adjustments, tuple):
        _fail("adjustments", msg("finance.must_tuple"))
    custody = {c.label: c for c in terms.components if isinstance(c, EnergyCostCustodyTerms)}
    references: dict[str, int] = {}
    for i, adj in enumerate(adjustments):
        path = f"adjustments[{i}]"
        if not isinstance(adj, FloorAreaChange | EnergyPriceChange):
            _fail(path, msg("finance.unknown_kind", type=type(adj).__name__))
        if not custody:
            _fail(path, msg("contracts.contract_has_no_energy_cost"))
        _check_text(adj.reference, f"{path}.reference")
        if ":" in adj.reference:
            _fail(f"{path}.reference", msg("finance.must_not_contain_part_line"))
        if adj.reference in references:
            _fail(
                f"{path}.reference",
                msg("finance.reference_used", other=references[adj.reference] + 1),
            )
        references[adj.reference] = i
        if not isinstance(adj.agreed_on, date):
            _fail(f"{path}.agreed_on", msg("finance.must_date"))
        if not isinstance(adj.effective_date, date):
            _fail(f"{path}.effective_date", msg("finance.must_date"))
        if not terms.start_date <= adj.effective_date < term_end:
            _fail(f"{path}.effective_date", msg("finance.must_fall_within_contract_term"))
        if adj.component is not None and adj.component not in custody:
            _fail(f"{path}.component", msg("finance.no_component", label=adj.component))
        targets = [custody[adj.component]] if adj.component is not None else list(custody.values())
        if isinstance(adj, FloorAreaChange):
            area = _check_decimal(adj.new_floor_area_m2, f"{path}.new_floor_area_m2")
            if area <= 0:
                _fail(f"{path}.new_floor_area_m2", msg("finance.must_positive"))
            if area > MAX_FLOOR_AREA_M2:
                _fail(
                    f"{path}.new_floor_area_m2", msg("finance.at_most", maximum=MAX_FLOOR_AREA_M2)
                )
        else:
            _check_non_negative(adj.new_price_per_unit, f"{path}.new_price_per_unit")
            for target in targets:
                units = {b.carrier: b.unit for b in target.baseline}
                if adj.carrier not in units:
                    _fail(
                        f"{path}.carrier",
                        msg(
                            "finance.carrier_not_in_baseline",
                            carrier=adj.carrier,
                            label=target.label,
                        ),
                    )
                if adj.unit != units[adj.carrier]:
                    _fail(
                        f"{path}.unit",
                        msg(
                            "finance.unit_mismatch_baseline",
                            unit=adj.unit,
                            baseline_unit=units[adj.carrier],
                        ),
                    )

"""Validation of contract terms and agreed adjustments, naming the offending field by path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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


def _fail(field: str, message: str) -> None:
    raise ContractTermsError(field, message)


def _check_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        _fail(field, f"must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        _fail(field, "must be a finite number")
    return value


def _check_non_negative(value: object, field: str, maximum: Decimal = MAX_AMOUNT) -> None:
    v = _check_decimal(value, field)
    if v < 0:
        _fail(field, "must not be negative")
    if v > maximum:
        _fail(field, f"must be at most {maximum}")


def _check_fraction(value: object, field: str) -> None:
    v = _check_decimal(value, field)
    if v < 0 or v > 1:
        _fail(field, "must be between 0 and 1")


def _check_int(value: object, field: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(field, f"must be an integer, not {type(value).__name__}")
    if value < minimum:
        _fail(field, f"must be at least {minimum}")


def _check_text(value: object, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        _fail(field, "must be a non-empty string")


def _check_bands(bands: object, field: str, term_years: int, value_name: str) -> None:
    """Bands must cover contract years 1..term exactly once each."""
    if not isinstance(bands, tuple) or not bands:
        _fail(field, "must be a non-empty tuple")
    covered: dict[int, int] = {}
    for i, band in enumerate(bands):
        path = f"{field}[{i}]"
        _check_int(band.first_year, f"{path}.first_year", 1)
        _check_int(band.last_year, f"{path}.last_year", band.first_year)
        if band.last_year > term_years:
            _fail(f"{path}.last_year", f"is beyond the contract term of {term_years} years")
        if value_name == "share":
            _check_fraction(band.share, f"{path}.share")
        else:
            _check_non_negative(band.annual_amount, f"{path}.annual_amount")
        for year in range(band.first_year, band.last_year + 1):
            if year in covered:
                _fail(
                    f"{path}.first_year",
                    f"contract year {year} is already in {field}[{covered[year]}]",
                )
            covered[year] = i
    for year in range(1, term_years + 1):
        if year not in covered:
            _fail(field, f"contract year {year} has no {value_name}")


def _check_quantity_unit(
    terms: ContractTerms, carrier: str, unit: str, field: str, error: type[FinanceInputError]
) -> None:
    price = terms.price_for(carrier)
    if price is None:
        raise error(f"{field}.carrier", f"no contract price for carrier {carrier!r}")
    if unit != price.unit:
        raise error(
            f"{field}.unit",
            f"unit {unit!r} does not match the contract price unit {price.unit!r} for {carrier!r}",
        )


def validate_terms(terms: ContractTerms) -> None:
    """Check ``terms`` and raise :class:`ContractTermsError` naming the first bad field."""
    if not isinstance(terms.contract_type, ContractType):
        _fail("contract_type", "must be a ContractType")
    _check_int(terms.term_years, "term_years", 1)
    if terms.term_years > MAX_TERM_YEARS:
        _fail("term_years", f"must be at most {MAX_TERM_YEARS}")
    if not isinstance(terms.start_date, date):
        _fail("start_date", "must be a date")
    if not MIN_START <= terms.start_date < MAX_START:
        _fail("start_date", f"must be between {MIN_START} and {MAX_START}")
    if not isinstance(terms.payment_frequency, PaymentFrequency):
        _fail("payment_frequency", "must be a PaymentFrequency")
    _check_int(terms.payment_due_days, "payment_due_days", 0)
    if terms.payment_due_days > MAX_DUE_DAYS:
        _fail("payment_due_days", f"must be at most {MAX_DUE_DAYS}")
    _check_non_negative(terms.discount_rate, "discount_rate", MAX_RATE)
    if terms.currency != CURRENCY:
        _fail("currency", f"only {CURRENCY} is supported")

    if not isinstance(terms.prices, tuple):
        _fail("prices", "must be a tuple")
    seen: dict[str, int] = {}
    for i, price in enumerate(terms.prices):
        path = f"prices[{i}]"
        _check_text(price.carrier, f"{path}.carrier")
        _check_text(price.unit, f"{path}.unit")
        if price.carrier in seen:
            _fail(
                f"{path}.carrier",
                f"carrier {price.carrier!r} already priced in prices[{seen[price.carrier]}]",
            )
        seen[price.carrier] = i
        _check_non_negative(price.base_price, f"{path}.base_price", Decimal(10000))
        escalation = _check_decimal(price.escalation, f"{path}.escalation")
        if escalation <= -1:
            _fail(f"{path}.escalation", "must be greater than -1")
        if escalation > MAX_ESCALATION:
            _fail(f"{path}.escalation", f"must be at most {MAX_ESCALATION}")

    if not isinstance(terms.components, tuple) or not terms.components:
        _fail("components", "must be a non-empty tuple")
    types = []
    labels: dict[str, int] = {}
    for i, component in enumerate(terms.components):
        path = f"components[{i}]"
        if type(component) not in _COMPONENT_TYPE:
            _fail(path, f"unknown component {type(component).__name__}")
        types.append(component_type(component))
        _check_text(component.label, f"{path}.label")
        if ":" in component.label:
            _fail(f"{path}.label", "must not contain ':' (it is part of line keys)")
        if component.label in labels:
            _fail(f"{path}.label", f"label already used by components[{labels[component.label]}]")
        labels[component.label] = i
        _validate_component(terms, component, path)
    _validate_costs(terms)
    if terms.contract_type is ContractType.HYBRID:
        if len(terms.components) < 2:
            _fail("components", "a hybrid contract needs at least two components")
    elif len(terms.components) != 1 or types[0] is not terms.contract_type:
        _fail(
            "components",
            f"a {terms.contract_type} contract has exactly one {terms.contract_type} component",
        )


def _validate_costs(terms: ContractTerms) -> None:
    if not isinstance(terms.costs, tuple):
        _fail("costs", "must be a tuple")
    for i, cost in enumerate(terms.costs):
        path = f"costs[{i}]"
        if not isinstance(cost, PartyCost):
            _fail(path, f"unknown cost {type(cost).__name__}")
        if not isinstance(cost.party, CostParty):
            _fail(f"{path}.party", "must be institution or esco")
        if not isinstance(cost.kind, CostKind):
            _fail(f"{path}.kind", "must be a CostKind")
        _check_non_negative(cost.annual_amount, f"{path}.annual_amount")
        escalation = _check_decimal(cost.escalation, f"{path}.escalation")
        if escalation <= -1 or escalation > MAX_ESCALATION:
            _fail(f"{path}.escalation", f"must be greater than -1 and at most {MAX_ESCALATION}")
        _check_int(cost.first_year, f"{path}.first_year", 1)
        if cost.first_year > terms.term_years:
            _fail(f"{path}.first_year", "is beyond the contract term")
        if cost.last_year is not None:
            _check_int(cost.last_year, f"{path}.last_year", cost.first_year)
            if cost.last_year > terms.term_years:
                _fail(f"{path}.last_year", "is beyond the contract term")
        if not isinstance(cost.description, str) or len(cost.description) > 200:
            _fail(f"{path}.description", "must be text of at most 200 characters")


def _validate_component(terms: ContractTerms, component: Component, path: str) -> None:
    if isinstance(component, SharedSavingsTerms):
        _check_bands(component.shares, f"{path}.shares", terms.term_years, "share")
        if not isinstance(component.negative_savings, NegativeSavings):
            _fail(f"{path}.negative_savings", "must be floor, carry_contract_year or carry_term")
        for bound in ("annual_minimum", "annual_cap"):
            if getattr(component, bound) is not None:
                _check_non_negative(getattr(component, bound), f"{path}.{bound}")
                if Decimal(getattr(component, bound)) != round_fen(getattr(component, bound)):
                    _fail(f"{path}.{bound}", "must be in whole fen (at most 2 decimal places)")
        if (
            component.annual_minimum is not None
            and component.annual_cap is not None
            and component.annual_minimum > component.annual_cap
        ):
            _fail(f"{path}.annual_minimum", "must not exceed the annual cap")
        if not isinstance(component.reconciliation, Reconciliation):
            _fail(f"{path}.reconciliation", "must be period or contract_year")
        if not terms.prices:
            _fail("prices", "shared savings needs a contract price for every savings carrier")
    elif isinstance(component, GuaranteedSavingsTerms):
        if not isinstance(component.guarantees, tuple) or not component.guarantees:
            _fail(f"{path}.guarantees", "must be a non-empty tuple")
        carriers: set[str] = set()
        for i, guarantee in enumerate(component.guarantees):
            gpath = f"{path}.guarantees[{i}]"
            _check_non_negative(guarantee.quantity, f"{gpath}.quantity")
            if guarantee.carrier in carriers:
                _fail(f"{gpath}.carrier", f"carrier {guarantee.carrier!r} is guaranteed twice")
            carriers.add(guarantee.carrier)
            _check_quantity_unit(
                terms, guarantee.carrier, guarantee.unit, gpath, ContractTermsError
            )
        _check_bands(component.fees, f"{path}.fees", terms.term_years, "fee")
        _check_fraction(component.excess_share, f"{path}.excess_share")
        if not isinstance(component.reconciliation, Reconciliation):
            _fail(f"{path}.reconciliation", "must be period or contract_year")
    elif isinstance(component, EnergyCostCustodyTerms):
        if not isinstance(component.baseline, tuple) or not component.baseline:
            _fail(f"{path}.baseline", "must be a non-empty tuple")
        carriers = set()
        for i, item in enumerate(component.baseline):
            bpath = f"{path}.baseline[{i}]"
            _check_text(item.carrier, f"{bpath}.carrier")
            _check_text(item.unit, f"{bpath}.unit")
            if item.carrier in carriers:
                _fail(f"{bpath}.carrier", f"carrier {item.carrier!r} appears twice")
            carriers.add(item.carrier)
            _check_non_negative(item.annual_quantity, f"{bpath}.annual_quantity")
            _check_non_negative(item.price_per_unit, f"{bpath}.price_per_unit")
        coefficient = _check_decimal(component.coefficient, f"{path}.coefficient")
        if coefficient <= 0 or coefficient > 1:
            _fail(f"{path}.coefficient", "must be greater than 0 and at most 1")
        area = _check_decimal(component.floor_area_m2, f"{path}.floor_area_m2")
        if area <= 0:
            _fail(f"{path}.floor_area_m2", "must be positive")
        if area > MAX_FLOOR_AREA_M2:
            _fail(f"{path}.floor_area_m2", f"must be at most {MAX_FLOOR_AREA_M2}")
        _check_non_negative(component.om_fee_annual, f"{path}.om_fee_annual")
    else:
        principal = _check_decimal(component.principal, f"{path}.principal")
        if principal <= 0:
            _fail(f"{path}.principal", "must be positive")
        if principal > MAX_AMOUNT:
            _fail(f"{path}.principal", f"must be at most {MAX_AMOUNT}")
        _check_non_negative(component.annual_rate, f"{path}.annual_rate", MAX_RATE)
        _check_non_negative(component.residual_value, f"{path}.residual_value")
        if component.residual_value >= component.principal:
            _fail(f"{path}.residual_value", "must be less than the principal")
        if component.term_years is not None:
            _check_int(component.term_years, f"{path}.term_years", 1)
            if component.term_years > terms.term_years:
                _fail(f"{path}.term_years", "must not exceed the contract term")
        if not isinstance(component.purchase_option, bool):
            _fail(f"{path}.purchase_option", "must be true or false")
        if component.payment_frequency is not None and not isinstance(
            component.payment_frequency, PaymentFrequency
        ):
            _fail(f"{path}.payment_frequency", "must be a PaymentFrequency")


def validate_adjustments(
    terms: ContractTerms, adjustments: tuple[CustodyAdjustment, ...], term_end: date
) -> None:
    """Check agreed custody fee adjustments against ``terms``; raise :class:`ContractTermsError`.

    Field paths are relative to the ``adjustments`` argument (``adjustments[1].effective_date``).
    """
    if not isinstance(adjustments, tuple):
        _fail("adjustments", "must be a tuple")
    custody = {c.label: c for c in terms.components if isinstance(c, EnergyCostCustodyTerms)}
    references: dict[str, int] = {}
    for i, adj in enumerate(adjustments):
        path = f"adjustments[{i}]"
        if not isinstance(adj, FloorAreaChange | EnergyPriceChange):
            _fail(path, f"unknown adjustment {type(adj).__name__}")
        if not custody:
            _fail(path, "the contract has no energy-cost custody component")
        _check_text(adj.reference, f"{path}.reference")
        if ":" in adj.reference:
            _fail(f"{path}.reference", "must not contain ':' (it is part of line keys)")
        if adj.reference in references:
            _fail(
                f"{path}.reference",
                f"reference already used by adjustments[{references[adj.reference]}]",
            )
        references[adj.reference] = i
        if not isinstance(adj.agreed_on, date):
            _fail(f"{path}.agreed_on", "must be a date")
        if not isinstance(adj.effective_date, date):
            _fail(f"{path}.effective_date", "must be a date")
        if not terms.start_date <= adj.effective_date < term_end:
            _fail(f"{path}.effective_date", "must fall within the contract term")
        if adj.component is not None and adj.component not in custody:
            _fail(f"{path}.component", f"no custody component labelled {adj.component!r}")
        targets = [custody[adj.component]] if adj.component is not None else list(custody.values())
        if isinstance(adj, FloorAreaChange):
            area = _check_decimal(adj.new_floor_area_m2, f"{path}.new_floor_area_m2")
            if area <= 0:
                _fail(f"{path}.new_floor_area_m2", "must be positive")
            if area > MAX_FLOOR_AREA_M2:
                _fail(f"{path}.new_floor_area_m2", f"must be at most {MAX_FLOOR_AREA_M2}")
        else:
            _check_non_negative(adj.new_price_per_unit, f"{path}.new_price_per_unit")
            for target in targets:
                units = {b.carrier: b.unit for b in target.baseline}
                if adj.carrier not in units:
                    _fail(
                        f"{path}.carrier",
                        f"carrier {adj.carrier!r} is not in the {target.label} baseline",
                    )
                if adj.unit != units[adj.carrier]:
                    _fail(
                        f"{path}.unit",
                        f"unit {adj.unit!r} does not match the baseline unit {units[adj.carrier]!r}",
                    )

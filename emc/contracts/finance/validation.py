"""Validation of contract terms and agreed adjustments, naming the offending field by path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from emc.messages import Text, msg

from .money import CURRENCY, round_fen
from .terms import (
    _COMPONENT_TYPE,
    Component,
    ContractTerms,
    ContractTermsError,
    ContractTermsErrors,
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
    each_error,
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


class _Found:
    """The bad fields found so far: each check runs in its own :meth:`check`, so one bad field
    does not hide the others (a form shows every error after one submit).

    ``tolerant``: the terms were decoded from a document with bad leaves left as they were
    typed; a check that trips over such a value (comparing text with a number) is skipped, as
    that field's own error is already known. Likewise once any bad field has been found.
    """

    def __init__(self, tolerant: bool = False) -> None:
        self.errors: list[FinanceInputError] = []
        self.tolerant = tolerant

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except FinanceInputError as error:
            self.errors.extend(each_error(error))
        except (TypeError, ValueError, ArithmeticError, AttributeError):
            # A check that trips over a value already found bad (a text term_years compared
            # with a band's year) adds nothing; with nothing found yet it is a real fault.
            if not (self.tolerant or self.errors):
                raise

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ContractTermsErrors(self.errors)


def _check_bands(
    found: _Found, bands: object, field: str, term_years: int, value_name: str
) -> None:
    """Bands must cover contract years 1..term exactly once each."""
    if not isinstance(bands, tuple) or not bands:
        with found.check():
            _fail(field, msg("finance.empty_list"))
        return
    covered: dict[int, int] = {}
    years_known = True
    for i, band in enumerate(bands):
        path = f"{field}[{i}]"
        with found.check():
            if value_name == "share":
                _check_fraction(band.share, f"{path}.share")
            else:
                _check_non_negative(band.annual_amount, f"{path}.annual_amount")
        before = len(found.errors)
        with found.check():
            _check_int(band.first_year, f"{path}.first_year", 1)
            _check_int(band.last_year, f"{path}.last_year", band.first_year)
        with found.check():
            if band.last_year > term_years:
                _fail(f"{path}.last_year", msg("finance.beyond_term", years=term_years))
        if len(found.errors) > before:
            years_known = False
            continue
        with found.check():
            for year in range(band.first_year, band.last_year + 1):
                if year in covered:
                    _fail(
                        f"{path}.first_year",
                        msg("finance.year_repeated", year=year),
                    )
                covered[year] = i
    if not years_known:  # the years' own errors say it; gaps would only repeat them
        return
    with found.check():
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


def validate_terms(terms: ContractTerms, *, tolerant: bool = False) -> None:
    """Check ``terms`` and raise :class:`ContractTermsError` naming the bad field, or
    :class:`ContractTermsErrors` naming every bad field when there are several.

    ``tolerant``: skip the checks that cannot run on a value left undecoded (see
    :class:`_Found`); for reporting more errors of a document that failed to decode.
    """
    found = _Found(tolerant)
    with found.check():
        if not isinstance(terms.contract_type, ContractType):
            _fail("contract_type", msg("finance.must_contracttype"))
    with found.check():
        _check_int(terms.term_years, "term_years", 1)
        if terms.term_years > MAX_TERM_YEARS:
            _fail("term_years", msg("finance.at_most", maximum=MAX_TERM_YEARS))
    with found.check():
        if not isinstance(terms.start_date, date):
            _fail("start_date", msg("finance.must_date"))
        if not MIN_START <= terms.start_date < MAX_START:
            _fail("start_date", msg("finance.date_between", first=MIN_START, last=MAX_START))
    with found.check():
        if not isinstance(terms.payment_frequency, PaymentFrequency):
            _fail("payment_frequency", msg("finance.must_paymentfrequency"))
    with found.check():
        _check_int(terms.payment_due_days, "payment_due_days", 0)
        if terms.payment_due_days > MAX_DUE_DAYS:
            _fail("payment_due_days", msg("finance.at_most", maximum=MAX_DUE_DAYS))
    with found.check():
        _check_non_negative(terms.discount_rate, "discount_rate", MAX_RATE)
    with found.check():
        if terms.currency != CURRENCY:
            _fail("currency", msg("finance.currency", currency=CURRENCY))

    prices = terms.prices if isinstance(terms.prices, tuple) else ()
    if not isinstance(terms.prices, tuple):
        with found.check():
            _fail("prices", msg("finance.must_tuple"))
    seen: dict[str, int] = {}
    for i, price in enumerate(prices):
        path = f"prices[{i}]"
        with found.check():
            _check_text(price.carrier, f"{path}.carrier")
            if price.carrier in seen:
                _fail(
                    f"{path}.carrier",
                    msg("finance.carrier_twice", carrier=price.carrier),
                )
            seen[price.carrier] = i
        with found.check():
            _check_text(price.unit, f"{path}.unit")
        with found.check():
            _check_non_negative(price.base_price, f"{path}.base_price", Decimal(10000))
        with found.check():
            escalation = _check_decimal(price.escalation, f"{path}.escalation")
            if escalation <= -1:
                _fail(f"{path}.escalation", msg("finance.must_greater_than_1"))
            if escalation > MAX_ESCALATION:
                _fail(f"{path}.escalation", msg("finance.at_most", maximum=MAX_ESCALATION))

    components = terms.components if isinstance(terms.components, tuple) else ()
    if not components:
        with found.check():
            _fail("components", msg("finance.must_non_empty_tuple"))
    types = []
    labels: dict[str, int] = {}
    for i, component in enumerate(components):
        path = f"components[{i}]"
        if type(component) not in _COMPONENT_TYPE:
            with found.check():
                _fail(path, msg("finance.unknown_kind", type=type(component).__name__))
            continue
        types.append(component_type(component))
        with found.check():
            _check_text(component.label, f"{path}.label")
            if ":" in component.label:
                _fail(f"{path}.label", msg("finance.must_not_contain_part_line"))
            if component.label in labels:
                _fail(f"{path}.label", msg("finance.label_used", other=labels[component.label] + 1))
            labels[component.label] = i
        _validate_component(found, terms, component, path)
    _validate_costs(found, terms)
    with found.check():
        if terms.contract_type is ContractType.HYBRID:
            if len(components) < 2:
                _fail("components", msg("finance.hybrid_contract_needs_at_least"))
        elif components and (len(components) != 1 or types[:1] != [terms.contract_type]):
            _fail(
                "components",
                msg("finance.one_component"),
            )
    found.raise_any()


def _validate_costs(found: _Found, terms: ContractTerms) -> None:
    if not isinstance(terms.costs, tuple):
        with found.check():
            _fail("costs", msg("finance.must_tuple"))
        return
    for i, cost in enumerate(terms.costs):
        path = f"costs[{i}]"
        if not isinstance(cost, PartyCost):
            with found.check():
                _fail(path, msg("finance.unknown_kind", type=type(cost).__name__))
            continue
        with found.check():
            if not isinstance(cost.party, CostParty):
                _fail(f"{path}.party", msg("finance.must_institution_esco"))
        with found.check():
            if not isinstance(cost.kind, CostKind):
                _fail(f"{path}.kind", msg("finance.must_costkind"))
        with found.check():
            _check_non_negative(cost.annual_amount, f"{path}.annual_amount")
        with found.check():
            escalation = _check_decimal(cost.escalation, f"{path}.escalation")
            if escalation <= -1 or escalation > MAX_ESCALATION:
                _fail(f"{path}.escalation", msg("finance.escalation_range", maximum=MAX_ESCALATION))
        with found.check():
            _check_int(cost.first_year, f"{path}.first_year", 1)
            if cost.first_year > terms.term_years:
                _fail(f"{path}.first_year", msg("finance.beyond_contract_term"))
        with found.check():
            if cost.last_year is not None:
                _check_int(cost.last_year, f"{path}.last_year", cost.first_year)
                if cost.last_year > terms.term_years:
                    _fail(f"{path}.last_year", msg("finance.beyond_contract_term"))
        with found.check():
            if not isinstance(cost.description, str) or len(cost.description) > 200:
                _fail(f"{path}.description", msg("finance.must_text_at_most_200"))


def _validate_component(
    found: _Found, terms: ContractTerms, component: Component, path: str
) -> None:
    if isinstance(component, SharedSavingsTerms):
        _check_bands(found, component.shares, f"{path}.shares", terms.term_years, "share")
        with found.check():
            if not isinstance(component.negative_savings, NegativeSavings):
                _fail(f"{path}.negative_savings", msg("finance.must_floor_carry_contract_year"))
        bounds_ok = True
        for bound in ("annual_minimum", "annual_cap"):
            before = len(found.errors)
            with found.check():
                if getattr(component, bound) is not None:
                    _check_non_negative(getattr(component, bound), f"{path}.{bound}")
                    if Decimal(getattr(component, bound)) != round_fen(getattr(component, bound)):
                        _fail(f"{path}.{bound}", msg("finance.whole_fen"))
            bounds_ok = bounds_ok and len(found.errors) == before
        with found.check():
            if (
                bounds_ok
                and component.annual_minimum is not None
                and component.annual_cap is not None
                and component.annual_minimum > component.annual_cap
            ):
                _fail(f"{path}.annual_minimum", msg("finance.minimum_above_cap"))
        with found.check():
            if not isinstance(component.reconciliation, Reconciliation):
                _fail(f"{path}.reconciliation", msg("finance.must_period_or_contract_year"))
        with found.check():
            if not terms.prices:
                _fail("prices", msg("finance.shared_savings_needs_contract_price"))
    elif isinstance(component, GuaranteedSavingsTerms):
        if not isinstance(component.guarantees, tuple) or not component.guarantees:
            with found.check():
                _fail(f"{path}.guarantees", msg("finance.must_non_empty_tuple"))
        carriers: set[str] = set()
        for i, guarantee in enumerate(component.guarantees or ()):
            gpath = f"{path}.guarantees[{i}]"
            with found.check():
                _check_non_negative(guarantee.quantity, f"{gpath}.quantity")
            with found.check():
                if guarantee.carrier in carriers:
                    _fail(
                        f"{gpath}.carrier",
                        msg("finance.carrier_twice", carrier=guarantee.carrier),
                    )
                carriers.add(guarantee.carrier)
                _check_quantity_unit(
                    terms, guarantee.carrier, guarantee.unit, gpath, ContractTermsError
                )
        _check_bands(found, component.fees, f"{path}.fees", terms.term_years, "fee")
        with found.check():
            _check_fraction(component.excess_share, f"{path}.excess_share")
        with found.check():
            if not isinstance(component.reconciliation, Reconciliation):
                _fail(f"{path}.reconciliation", msg("finance.must_period_contract_year"))
    elif isinstance(component, EnergyCostCustodyTerms):
        if not isinstance(component.baseline, tuple) or not component.baseline:
            with found.check():
                _fail(f"{path}.baseline", msg("finance.must_non_empty_tuple"))
        carriers = set()
        for i, item in enumerate(component.baseline or ()):
            bpath = f"{path}.baseline[{i}]"
            with found.check():
                _check_text(item.carrier, f"{bpath}.carrier")
                if item.carrier in carriers:
                    _fail(f"{bpath}.carrier", msg("finance.carrier_twice", carrier=item.carrier))
                carriers.add(item.carrier)
            with found.check():
                _check_text(item.unit, f"{bpath}.unit")
            with found.check():
                _check_non_negative(item.annual_quantity, f"{bpath}.annual_quantity")
            with found.check():
                _check_non_negative(item.price_per_unit, f"{bpath}.price_per_unit")
        with found.check():
            coefficient = _check_decimal(component.coefficient, f"{path}.coefficient")
            if coefficient <= 0 or coefficient > 1:
                _fail(f"{path}.coefficient", msg("finance.must_greater_than_0_at"))
        with found.check():
            area = _check_decimal(component.floor_area_m2, f"{path}.floor_area_m2")
            if area <= 0:
                _fail(f"{path}.floor_area_m2", msg("finance.must_positive"))
            if area > MAX_FLOOR_AREA_M2:
                _fail(f"{path}.floor_area_m2", msg("finance.at_most", maximum=MAX_FLOOR_AREA_M2))
        with found.check():
            _check_non_negative(component.om_fee_annual, f"{path}.om_fee_annual")
    else:
        principal_ok = False
        with found.check():
            principal = _check_decimal(component.principal, f"{path}.principal")
            if principal <= 0:
                _fail(f"{path}.principal", msg("finance.must_positive"))
            if principal > MAX_AMOUNT:
                _fail(f"{path}.principal", msg("finance.at_most", maximum=MAX_AMOUNT))
            principal_ok = True
        with found.check():
            _check_non_negative(component.annual_rate, f"{path}.annual_rate", MAX_RATE)
        with found.check():
            _check_non_negative(component.residual_value, f"{path}.residual_value")
            if principal_ok and component.residual_value >= component.principal:
                _fail(f"{path}.residual_value", msg("finance.must_less_than_principal"))
        with found.check():
            if component.term_years is not None:
                _check_int(component.term_years, f"{path}.term_years", 1)
                if component.term_years > terms.term_years:
                    _fail(f"{path}.term_years", msg("finance.must_not_exceed_contract_term"))
        with found.check():
            if not isinstance(component.purchase_option, bool):
                _fail(f"{path}.purchase_option", msg("finance.must_true_false"))
        with found.check():
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

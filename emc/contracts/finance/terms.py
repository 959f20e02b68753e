"""Contract terms for the five GB/T 24915-2020 contract types, and their validation.

Everything here is a frozen dataclass or a ``StrEnum``. Terms are checked by
:func:`validate_terms`, which raises :class:`ContractTermsError` naming the offending field by
its path inside :class:`ContractTerms` (``components[0].shares[3].share``), so the service layer
can map it onto a form field.

Units: money in yuan (``Decimal``), prices in yuan per carrier unit, rates and shares as
fractions (0.85, not 85), floor area in m², dates as ``date``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from emc.messages import Text, term

from .money import CURRENCY, ZERO

__all__ = [
    "BaselineCarrierCost",
    "CarrierPrice",
    "Component",
    "ContractTerms",
    "ContractTermsError",
    "ContractType",
    "CostKind",
    "CostParty",
    "CustodyAdjustment",
    "EnergyCostCustodyTerms",
    "EnergyPriceChange",
    "EnergyQuantity",
    "FeeBand",
    "FinanceInputError",
    "FinanceLeaseTerms",
    "FloorAreaChange",
    "GuaranteedSavingsTerms",
    "NegativeSavings",
    "PartyCost",
    "PaymentFrequency",
    "Reconciliation",
    "SavingsInputError",
    "ShareBand",
    "SharedSavingsTerms",
    "component_type",
]


class FinanceInputError(ValueError):
    """Bad input to the finance core; ``field`` is the path of the offending value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        # A catalogue sentence (emc.messages) that the web layer says in the reader's language.
        self.message = message if isinstance(message, Text) else term(message)


class ContractTermsError(FinanceInputError):
    """Contract terms (or an agreed fee adjustment) that cannot produce a schedule."""


class ContractTermsErrors(ContractTermsError):
    """Several bad fields found at once (a form shows them all after one submit): ``errors``
    lists each one in document order; the first is also this error's ``field`` and
    ``message``, so a caller that handles one error at a time still reads a true one."""

    def __init__(self, errors: Sequence[FinanceInputError]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.errors = tuple(errors)


def each_error(error: FinanceInputError) -> tuple[FinanceInputError, ...]:
    """The single errors an error stands for (itself, or those of a :class:`ContractTermsErrors`)."""
    return tuple(getattr(error, "errors", (error,)))


class SavingsInputError(FinanceInputError):
    """Savings estimates or an M&V result that do not fit the contract."""


class ContractType(StrEnum):
    SHARED_SAVINGS = "shared_savings"  # 节能效益分享型
    GUARANTEED_SAVINGS = "guaranteed_savings"  # 节能量保证型
    ENERGY_COST_CUSTODY = "energy_cost_custody"  # 能源费用托管型
    FINANCE_LEASE = "finance_lease"  # 融资租赁型
    HYBRID = "hybrid"  # 混合型


class PaymentFrequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUAL = "semi_annual"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        """Calendar months in one payment period."""
        return _MONTHS[self]

    @property
    def periods_per_year(self) -> int:
        return 12 // _MONTHS[self]


_MONTHS = {
    PaymentFrequency.MONTHLY: 1,
    PaymentFrequency.QUARTERLY: 3,
    PaymentFrequency.SEMI_ANNUAL: 6,
    PaymentFrequency.ANNUAL: 12,
}


class Reconciliation(StrEnum):
    """When a guarantee (or a shared-savings floor or cap) is settled.

    ``period``: each M&V period on its own (the behaviour of terms that do not say).
    ``contract_year``: each M&V period pays on account; once accepted results cover the whole
    contract year, one reconciliation line trues the year up to the annual guarantee
    (GB/T 24915 and ESPC practice: the guarantee is an annual quantity).
    """

    PERIOD = "period"
    CONTRACT_YEAR = "contract_year"


class NegativeSavings(StrEnum):
    """What a period with negative savings value does to later periods (shared savings).

    ``floor``: the period pays nothing and is forgotten (the behaviour of terms that do not say).
    ``carry_contract_year``: the deficit is carried forward against later periods of the same
    contract year, then dropped. ``carry_term``: carried forward over the whole term.
    """

    FLOOR = "floor"
    CARRY_CONTRACT_YEAR = "carry_contract_year"
    CARRY_TERM = "carry_term"


@dataclass(frozen=True)
class EnergyQuantity:
    """An amount of one energy carrier in its unit, e.g. ``("electricity", "kWh", 120000)``."""

    carrier: str
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class CarrierPrice:
    """Contract price of one carrier: yuan per ``unit`` in contract year 1, escalated yearly.

    The price in contract year k is ``base_price × (1 + escalation) ** (k − 1)``, computed
    exactly and never rounded (only payment lines are); see ``savings.price_in_year``.
    """

    carrier: str
    unit: str
    base_price: Decimal
    escalation: Decimal = ZERO


@dataclass(frozen=True)
class ShareBand:
    """The ESCO's share of savings value for contract years ``first_year..last_year`` inclusive."""

    first_year: int
    last_year: int
    share: Decimal


@dataclass(frozen=True)
class FeeBand:
    """An annual amount in yuan for contract years ``first_year..last_year`` inclusive."""

    first_year: int
    last_year: int
    annual_amount: Decimal


@dataclass(frozen=True)
class SharedSavingsTerms:
    """节能效益分享型: each period the institution pays the ESCO savings value × its share.

    ``annual_minimum`` (保底) and ``annual_cap`` (封顶), yuan per contract year, bound what the
    ESCO's share comes to in one contract year; None (the default) is no bound, and the
    schedule is exactly what it is without them. ``reconciliation`` says when they are
    applied: ``contract_year`` (the default, as they are annual amounts): the periods pay their
    share on account and, once accepted results cover the contract year, one
    ``share_reconciliation`` line brings the year's total up to the minimum or down to the cap;
    ``period``: each period's payment is held within its part of the year
    (``year_fraction``) of the minimum and the cap.
    """

    shares: tuple[ShareBand, ...]
    label: str = "shared_savings"
    negative_savings: NegativeSavings = NegativeSavings.FLOOR
    annual_minimum: Decimal | None = None
    annual_cap: Decimal | None = None
    reconciliation: Reconciliation = Reconciliation.CONTRACT_YEAR

    @property
    def has_limits(self) -> bool:
        """Whether the contract bounds the ESCO's annual share (a minimum, a cap or both)."""
        return self.annual_minimum is not None or self.annual_cap is not None


@dataclass(frozen=True)
class GuaranteedSavingsTerms:
    """节能量保证型: the institution pays a service fee; the ESCO guarantees savings.

    ``guarantees`` are annual quantities per carrier; a verified period is tested against the
    guarantee pro rata to the part of the contract year it covers. A shortfall is valued at the
    contract price and paid by the ESCO; ``excess_share`` of the value above the guarantee is
    paid to the ESCO. With ``offset_carriers`` the test is on total value across carriers
    (a surplus in one carrier covers a shortfall in another); otherwise carrier by carrier.
    Savings of carriers without a guarantee are ignored here (listed in the line's basis).
    """

    guarantees: tuple[EnergyQuantity, ...]
    fees: tuple[FeeBand, ...]
    excess_share: Decimal = ZERO
    offset_carriers: bool = False
    label: str = "guaranteed_savings"
    reconciliation: Reconciliation = Reconciliation.PERIOD


@dataclass(frozen=True)
class BaselineCarrierCost:
    """Audited annual baseline use of one carrier and the unit price it was costed at."""

    carrier: str
    unit: str
    annual_quantity: Decimal
    price_per_unit: Decimal


@dataclass(frozen=True)
class EnergyCostCustodyTerms:
    """能源费用托管型: annual custody fee = audited baseline energy cost × ``coefficient``.

    ``coefficient`` is typically 1 − concession (0.95 for a 5 % concession). The O&M fee is a
    separate annual amount. Both are paid in equal parts per payment period and stay constant
    unless an agreed adjustment (:class:`FloorAreaChange`, :class:`EnergyPriceChange`) applies.
    """

    baseline: tuple[BaselineCarrierCost, ...]
    coefficient: Decimal
    floor_area_m2: Decimal
    om_fee_annual: Decimal = ZERO
    label: str = "energy_cost_custody"


@dataclass(frozen=True)
class FinanceLeaseTerms:
    """融资租赁型: level rent in arrears repaying ``principal`` down to ``residual_value``.

    ``annual_rate`` is nominal; the rate per period is ``annual_rate / periods_per_year``.
    ``term_years`` and ``payment_frequency`` default to the contract's.
    """

    principal: Decimal
    annual_rate: Decimal
    residual_value: Decimal = ZERO
    term_years: int | None = None
    payment_frequency: PaymentFrequency | None = None
    label: str = "finance_lease"
    # The institution buys the equipment for the residual value at the end of the lease (the
    # purchase option, 留购价): scheduled as its own line after the last rent.
    purchase_option: bool = True


class CostParty(StrEnum):
    INSTITUTION = "institution"
    ESCO = "esco"


class CostKind(StrEnum):
    OPERATION_MAINTENANCE = "operation_maintenance"  # 运维
    MV_FEE = "mv_fee"  # 测量和验证费
    INSURANCE = "insurance"  # 保险
    MONITORING = "monitoring"  # 能耗监测
    OTHER = "other"


@dataclass(frozen=True)
class PartyCost:
    """A running cost one party bears outside the payment schedule, for the economics.

    ``annual_amount`` yuan in ``first_year``, escalated by ``escalation`` a year:
    year k costs ``annual_amount × (1 + escalation) ** (k − first_year)`` for
    ``first_year <= k <= last_year`` (``last_year`` None: to the end of the term).
    """

    party: CostParty
    kind: CostKind
    annual_amount: Decimal
    escalation: Decimal = ZERO
    first_year: int = 1
    last_year: int | None = None
    description: str = ""


Component = SharedSavingsTerms | GuaranteedSavingsTerms | EnergyCostCustodyTerms | FinanceLeaseTerms

_COMPONENT_TYPE: dict[type, ContractType] = {
    SharedSavingsTerms: ContractType.SHARED_SAVINGS,
    GuaranteedSavingsTerms: ContractType.GUARANTEED_SAVINGS,
    EnergyCostCustodyTerms: ContractType.ENERGY_COST_CUSTODY,
    FinanceLeaseTerms: ContractType.FINANCE_LEASE,
}


@dataclass(frozen=True)
class ContractTerms:
    """The terms common to every type plus one component (or several for ``hybrid``).

    ``payment_due_days``: actual lines fall due that many days after M&V acceptance, projected
    and fixed-fee lines that many days after the period end. ``discount_rate`` is annual and
    used for NPV. ``prices`` are the contract prices per carrier that value savings.
    """

    contract_type: ContractType
    term_years: int
    start_date: date
    payment_frequency: PaymentFrequency
    payment_due_days: int
    discount_rate: Decimal
    components: tuple[Component, ...]
    prices: tuple[CarrierPrice, ...] = ()
    currency: str = CURRENCY
    costs: tuple[PartyCost, ...] = ()

    def price_for(self, carrier: str) -> CarrierPrice | None:
        """The contract price of ``carrier``, or None."""
        for price in self.prices:
            if price.carrier == carrier:
                return price
        return None


@dataclass(frozen=True)
class FloorAreaChange:
    """Agreed change of the served floor area: fees × new / contract area from ``effective_date``.

    ``agreed_on`` is when both parties signed the change; periods that ended on or before it
    were billed at the old fee and are corrected by a true-up line. ``component`` names the
    custody component (its label); None applies to every custody component.
    """

    reference: str
    agreed_on: date
    effective_date: date
    new_floor_area_m2: Decimal
    component: str | None = None


@dataclass(frozen=True)
class EnergyPriceChange:
    """Agreed change of one carrier's unit price: the energy part of the custody fee is re-priced
    from ``effective_date`` (the O&M fee is not). Timing rules as :class:`FloorAreaChange`."""

    reference: str
    agreed_on: date
    effective_date: date
    carrier: str
    unit: str
    new_price_per_unit: Decimal
    component: str | None = None


CustodyAdjustment = FloorAreaChange | EnergyPriceChange


def component_type(component: Component) -> ContractType:
    """The GB/T 24915 type a component implements."""
    return _COMPONENT_TYPE[type(component)]

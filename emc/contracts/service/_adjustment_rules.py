"""The rules a custody fee adjustment must meet (a custody component to adjust, the shape of
each kind, line keys that fit, and the finance core's own validation), and the conversion of a
stored agreement into the finance core's adjustments. Errors name the request's fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from emc.contracts import finance
from emc.contracts.models import (
    Contract,
    CustodyAdjustmentKind,
    CustodyFeeAdjustment,
    terms_from_document,
)
from emc.errors import Conflict, Invalid
from emc.messages import msg


def to_finance(
    adjustment: CustodyFeeAdjustment, agreed_on: dt.date | None = None
) -> tuple[finance.CustodyAdjustment, ...]:
    """The finance core's adjustments of one stored agreement: one :class:`FloorAreaChange`, or
    one :class:`EnergyPriceChange` per repriced carrier (with several carriers each reference is
    ``<reference>/<carrier>``, so every true-up line keeps a key of its own). ``agreed_on``
    overrides the stored date (a hypothetical agreement today, to validate a proposal)."""
    day = agreed_on or adjustment.agreed_on
    if day is None:
        raise ValueError(f"custody adjustment {adjustment.id} has no agreement date")
    if adjustment.kind is CustodyAdjustmentKind.FLOOR_AREA:
        return (
            finance.FloorAreaChange(
                reference=adjustment.reference,
                agreed_on=day,
                effective_date=adjustment.effective_date,
                new_floor_area_m2=Decimal(adjustment.new_floor_area_m2),
                component=adjustment.component,
            ),
        )
    several = len(adjustment.prices) > 1
    return tuple(
        finance.EnergyPriceChange(
            reference=f"{adjustment.reference}/{p['carrier']}" if several else adjustment.reference,
            agreed_on=day,
            effective_date=adjustment.effective_date,
            carrier=p["carrier"],
            unit=p["unit"],
            new_price_per_unit=Decimal(p["new_price_per_unit"]),
            component=adjustment.component,
        )
        for p in adjustment.prices
    )


def custody_terms(contract: Contract | None) -> finance.ContractTerms:
    """The contract's terms if they have a custody component; Invalid naming ``kind`` if not."""
    if contract is None:
        raise Invalid(
            msg("contracts.project_has_no_contract_yet"),
            fields={"kind": [msg("contracts.project_has_no_contract")]},
        )
    try:
        terms = terms_from_document(contract.terms)
    except finance.FinanceInputError as error:
        raise Invalid(msg("contracts.terms_unreadable"), fields={"kind": [error.message]}) from None
    if not any(isinstance(c, finance.EnergyCostCustodyTerms) for c in terms.components):
        raise Invalid(
            msg("contracts.adjustment_needs_custody"),
            fields={"kind": [msg("contracts.contract_has_no_energy_cost")]},
        )
    return terms


# Where a finance-core error about one adjustment lands among the request's fields.
_CORE_FIELDS = {
    "reference": "reference",
    "effective_date": "effective_date",
    "new_floor_area_m2": "new_floor_area_m2",
    "component": "component",
}


def check_with_core(
    terms: finance.ContractTerms,
    agreed: tuple[finance.CustodyAdjustment, ...],
    candidate: tuple[finance.CustodyAdjustment, ...],
    prices: list[dict[str, Any]],
) -> None:
    """Validate ``candidate`` after the ``agreed`` adjustments with the finance core and compute
    the fixed lines once (so an agreement can never leave a schedule that does not compute).
    Invalid naming the request's field (``effective_date``, ``prices[1].carrier``)."""
    try:
        finance.contractual_lines(terms, agreed + candidate)
    except finance.FinanceInputError as error:
        name = None
        for i in range(len(candidate)):
            head = f"adjustments[{len(agreed) + i}]"
            if error.field == head or error.field.startswith(head + "."):
                rest = error.field[len(head) + 1 :]
                if rest in ("carrier", "unit", "new_price_per_unit") and prices:
                    name = f"prices[{i}].{rest}"
                else:
                    name = _CORE_FIELDS.get(rest, "kind")
                break
        if name is None:
            # An earlier agreement (or the terms) no longer computes: not this request's fault.
            raise Conflict(
                msg("contracts.adjustments_no_longer_fit", problem=error.message)
            ) from None
        raise Invalid(msg("contracts.adjustment_invalid"), fields={name: [error.message]}) from None


# PaymentLine.key is String(200); a true-up's key ends with the adjustment's reference.
_KEY_LENGTH = 200


def check_key_length(
    terms: finance.ContractTerms, candidate: tuple[finance.CustodyAdjustment, ...]
) -> None:
    """Invalid naming ``reference`` if a true-up line's key would not fit its column."""
    labels = [c.label for c in terms.components if isinstance(c, finance.EnergyCostCustodyTerms)]
    for adj in candidate:
        for label in labels:
            key = f"{finance.LineSource.PROJECTED}:{label}:{finance.LineKind.TRUE_UP}:"
            key += f"{finance.LineKind.CUSTODY_FEE}:{adj.reference}"
            if len(key) > _KEY_LENGTH:
                room = _KEY_LENGTH - len(key) + len(adj.reference)
                raise Invalid(
                    msg("contracts.reference_too_long_for_payment"),
                    fields={"reference": [msg("contracts.reference_room", room=room)]},
                )


def check_shape(
    kind: CustodyAdjustmentKind,
    new_floor_area_m2: Decimal | None,
    prices: list[dict[str, Any]],
) -> None:
    """Invalid naming the field if the values do not match the kind: a floor area change has a
    new area and no prices; a price change has prices (each carrier once) and no area."""
    if kind is CustodyAdjustmentKind.FLOOR_AREA:
        if new_floor_area_m2 is None:
            raise Invalid(
                msg("contracts.floor_area_change_needs_new"),
                fields={"new_floor_area_m2": [msg("contracts.required_for_floor_area_change")]},
            )
        if prices:
            raise Invalid(
                msg("contracts.floor_area_change_does_not"),
                fields={"prices": [msg("contracts.only_for_energy_price_change")]},
            )
    else:
        if not prices:
            raise Invalid(
                msg("contracts.energy_price_change_needs_at"),
                fields={"prices": [msg("contracts.at_least_one_carrier_s")]},
            )
        if new_floor_area_m2 is not None:
            raise Invalid(
                msg("contracts.energy_price_change_does_not"),
                fields={"new_floor_area_m2": [msg("contracts.only_for_floor_area_change")]},
            )
        seen: dict[str, int] = {}
        for i, p in enumerate(prices):
            if p["carrier"] in seen:
                raise Invalid(
                    msg("contracts.repriced_twice", carrier=p["carrier"]),
                    fields={
                        f"prices[{i}].carrier": [msg("finance.carrier_twice", carrier=p["carrier"])]
                    },
                )
            seen[p["carrier"]] = i

"""The custody fee adjustment form on the project page: which carriers it offers, how its inputs
become the ``CustodyAdjustmentIn`` document (the API's body) and how errors about that document
land back on its inputs. No request handling here: views pass the posted form in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emc.contracts import finance
from emc.contracts.documents import stored_terms
from emc.contracts.models import Contract

PRICE_PREFIX = "price__"
FIELDS = ("kind", "reference", "effective_date", "new_floor_area_m2", "reason")


def baseline_carriers(contract: Contract | None) -> list[dict[str, str]] | None:
    """The carriers (and baseline units and prices) of the contract's custody components, in
    order; None if the contract has no custody component (the form is not offered)."""
    terms = stored_terms(contract)
    if terms is None:
        return None
    custody = [c for c in terms.components if isinstance(c, finance.EnergyCostCustodyTerms)]
    if not custody:
        return None
    carriers: dict[str, dict[str, str]] = {}
    for component in custody:
        for b in component.baseline:
            carriers.setdefault(
                b.carrier,
                {"carrier": b.carrier, "unit": b.unit, "price": str(b.price_per_unit)},
            )
    return list(carriers.values())


def document(form: Mapping[str, str], carriers: list[dict[str, str]]) -> dict[str, Any]:
    """The ``CustodyAdjustmentIn`` document of the posted form: blank inputs left out, one
    ``prices`` entry per carrier whose new price was filled in (in baseline order)."""
    data: dict[str, Any] = {}
    for name in FIELDS:
        value = (form.get(name) or "").strip()
        if value:
            data[name] = value
    prices = []
    for c in carriers:
        value = (form.get(PRICE_PREFIX + c["carrier"]) or "").strip()
        if value:
            prices.append({"carrier": c["carrier"], "unit": c["unit"], "new_price_per_unit": value})
    if prices:
        data["prices"] = prices
    return data


def _price_input(data: dict[str, Any], index: Any) -> str:
    try:
        return PRICE_PREFIX + data["prices"][int(index)]["carrier"]
    except (KeyError, IndexError, TypeError, ValueError):
        return "prices"


def map_errors(errors: Mapping[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    """Errors keyed by the document's fields (marshmallow's nested dicts, or the service's
    ``prices[0].new_price_per_unit`` paths) keyed by the form's inputs instead."""
    out: dict[str, list[str]] = {}

    def add(name: str, messages: Any) -> None:
        if isinstance(messages, dict):
            for value in messages.values():
                add(name, value)
            return
        if isinstance(messages, str):
            messages = [messages]
        out.setdefault(name, []).extend(str(m) for m in messages)

    for key, messages in errors.items():
        if key == "prices" and isinstance(messages, dict):
            for index, inner in messages.items():
                add(_price_input(data, index), inner)
        elif key.startswith("prices["):
            add(_price_input(data, key[len("prices[") : key.index("]")]), messages)
        elif key in FIELDS or key == "prices" or key == "_":
            add(key, messages)
        else:
            add("_", messages)
    return out

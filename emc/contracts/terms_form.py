"""The structured contract-terms form of ``/projects/<id>/terms``.

Three translations, no rules of its own (validation lives once, in ``ContractIn`` and the
finance core):

* :func:`build` turns posted fields into the document ``ContractIn`` loads — the same
  ``{"terms": ..., "savings_estimates": [...], "reason", "version"}`` an API client sends — and
  records which form field each document path came from;
* :func:`map_errors` puts schema and service errors (named by document path,
  ``terms.components[0].shares[1].share``) next to the form field they came from;
* :func:`values_from_document` fills the form from stored terms.

Field names: common terms by their document name (``term_years``); repeatable rows as
``<table>-<row>-<field>`` (``prices-0-base_price``); a component's fields prefixed with its type
(``shared_savings-shares-2-share_pct``), so a hybrid reuses the fieldsets of its component types.
Rates, shares and escalation are entered in per cent (``_pct``) and stored as fractions.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from emc import energy_labels
from emc.contracts import finance
from emc.energy import Carrier, Unit, canonical_unit
from emc.labels import percent
from emc.messages import msg

ContractType = finance.ContractType
COMPONENT_TYPES = (
    ContractType.SHARED_SAVINGS,
    ContractType.GUARANTEED_SAVINGS,
    ContractType.ENERGY_COST_CUSTODY,
    ContractType.FINANCE_LEASE,
)
# The energy carriers' names, as every other page shows them (coal is 原煤, the carrier the
# GB/T 2589 conversion factor is for).
CARRIER_LABELS = {c: _l(m) for c, m in energy_labels.CARRIER_LABELS.items()}
FREQUENCY_LABELS = {
    finance.PaymentFrequency.MONTHLY: _l("Monthly"),
    finance.PaymentFrequency.QUARTERLY: _l("Quarterly"),
    finance.PaymentFrequency.SEMI_ANNUAL: _l("Semi-annual"),
    finance.PaymentFrequency.ANNUAL: _l("Annual"),
}
UNIT_CHOICES = [(u.value, u.value) for u in Unit]
RECONCILIATION_LABELS = {
    finance.Reconciliation.CONTRACT_YEAR: _l(
        "Per contract year: each M&V period pays on account, the year end trues up to the "
        "annual guarantee"
    ),
    finance.Reconciliation.PERIOD: _l("Per M&V period: each period settled on its own"),
}
SHARE_RECONCILIATION_LABELS = {
    finance.Reconciliation.CONTRACT_YEAR: _l(
        "Per contract year: each M&V period pays on account, the year end trues up to the "
        "annual minimum or cap"
    ),
    finance.Reconciliation.PERIOD: _l(
        "Per M&V period: each period's payment is held within its part of the annual minimum "
        "and cap"
    ),
}
NEGATIVE_SAVINGS_LABELS = {
    finance.NegativeSavings.FLOOR: _l(
        "Floored at zero: a period with negative savings pays nothing"
    ),
    finance.NegativeSavings.CARRY_CONTRACT_YEAR: _l(
        "Carried forward against later periods of the same contract year"
    ),
    finance.NegativeSavings.CARRY_TERM: _l("Carried forward over the whole term"),
}
PURCHASE_OPTION_LABELS = {
    "yes": _l("Yes: the institution buys the equipment for the residual value at the end"),
    "no": _l("No: the equipment is returned"),
}
COST_PARTY_LABELS = {
    finance.CostParty.INSTITUTION: _l("Institution"),
    finance.CostParty.ESCO: _l("ESCO"),
}
COST_KIND_LABELS = {
    finance.CostKind.OPERATION_MAINTENANCE: _l("Operation and maintenance"),
    finance.CostKind.MV_FEE: _l("M&V fees"),
    finance.CostKind.INSURANCE: _l("Insurance"),
    finance.CostKind.MONITORING: _l("Energy monitoring"),
    finance.CostKind.OTHER: _l("Other"),
}
CANONICAL_UNITS = {c.value: canonical_unit(c).value for c in Carrier}

# Document leaves entered in per cent on the form.
_PERCENT = ("discount_rate", "escalation", "share", "excess_share", "annual_rate")
_INTEGER = ("term_years", "payment_due_days", "first_year", "last_year", "contract_year")
_COMMON = ("contract_type", "term_years", "start_date", "payment_frequency", "payment_due_days")
# Repeatable tables: their fields in document names, and spare blank rows shown on the form.
TABLES = {
    "prices": ("carrier", "unit", "base_price", "escalation"),
    "estimates": ("carrier", "unit", "annual_quantity", "contract_year"),
    "shared_savings-shares": ("first_year", "last_year", "share"),
    "guaranteed_savings-guarantees": ("carrier", "unit", "quantity"),
    "guaranteed_savings-fees": ("first_year", "last_year", "annual_amount"),
    "energy_cost_custody-baseline": ("carrier", "unit", "annual_quantity", "price_per_unit"),
    "costs": ("party", "kind", "annual_amount", "escalation", "first_year", "last_year"),
}
SPARE_ROWS = 2
_SCALARS = {
    ContractType.SHARED_SAVINGS: (
        "negative_savings",
        "annual_minimum",
        "annual_cap",
        "reconciliation",
    ),
    ContractType.GUARANTEED_SAVINGS: ("excess_share", "reconciliation"),
    ContractType.ENERGY_COST_CUSTODY: ("coefficient", "floor_area_m2", "om_fee_annual"),
    ContractType.FINANCE_LEASE: (
        "principal",
        "annual_rate",
        "residual_value",
        "purchase_option",
        "term_years",
        "payment_frequency",
    ),
}
_TEXT = (
    "carrier",
    "unit",
    "contract_type",
    "payment_frequency",
    "start_date",
    "label",
    "party",
    "kind",
    "reconciliation",
    "negative_savings",
)
_ROW = re.compile(r"^(?P<table>.+)-(?P<row>\d+)-(?P<field>[a-z_]+)$")
_STEP = re.compile(r"\.?([a-z_]+)|\[(\d+)\]")


def form_name(field: str) -> str:
    """The form input of a document leaf (``share`` → ``share_pct``)."""
    return f"{field}_pct" if field in _PERCENT else field


def wants_json(form) -> bool:
    """The advanced JSON editor was chosen (or a client posted the API's JSON fields)."""
    return form.get("editor") == "json" or ("terms" in form and "contract_type" not in form)


def posted_values(form) -> dict[str, Any]:
    """The posted fields as re-render values (stripped text; the hybrid checkboxes a list)."""
    values: dict[str, Any] = {k: v.strip() for k, v in form.items() if k != "csrf_token"}
    values["hybrid_components"] = form.getlist("hybrid_components")
    return values


# --- posted fields → ContractIn document ----------------------------------------------------


def _number_text(text: str) -> str:
    # Thousands separators are a display habit, not part of the number.
    return text.replace(",", "").replace("，", "").replace(" ", "")


def _convert(field: str, text: str) -> Any:
    """One posted leaf in the document's form; text that does not parse is passed on as it is,
    so the schema / finance core names the field and the problem."""
    if field in _INTEGER:
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else text
    if field in _PERCENT:
        try:
            number = Decimal(_number_text(text))
        except InvalidOperation:
            return text
        return str(number.scaleb(-2)) if number.is_finite() else text
    if field in _TEXT:
        return text
    if field == "purchase_option":
        return {"yes": True, "no": False}.get(text, text)
    return _number_text(text)


class _Builder:
    def __init__(self, form) -> None:
        self.form = form
        self.paths: dict[str, str] = {
            "terms": "_",
            "savings_estimates": "estimates",
            "reason": "reason",
            "version": "version",
        }
        self.errors: dict[str, list[str]] = {}

    def text(self, name: str) -> str:
        return (self.form.get(name) or "").strip()

    def leaf(self, out: dict, field: str, name: str, path: str) -> None:
        self.paths[path] = name
        text = self.text(name)
        if text:
            out[field] = _convert(field, text)

    def rows(self, table: str, path: str) -> list[dict]:
        """The non-blank rows of a repeatable table, in row order; a unit left blank is the
        carrier's standard unit."""
        self.paths[path] = table
        fields = TABLES[table]
        numbers = sorted(
            {
                int(m["row"])
                for key in self.form
                if (m := _ROW.match(key)) and m["table"] == table and m["field"] in _names(fields)
            }
        )
        out = []
        for number in numbers:
            prefix = f"{table}-{number}"
            if not any(self.text(f"{prefix}-{form_name(f)}") for f in fields):
                continue
            row: dict[str, Any] = {}
            row_path = f"{path}[{len(out)}]"
            self.paths[row_path] = prefix
            for field in fields:
                self.leaf(row, field, f"{prefix}-{form_name(field)}", f"{row_path}.{field}")
            if "unit" in fields and "unit" not in row and row.get("carrier") in CANONICAL_UNITS:
                row["unit"] = CANONICAL_UNITS[row["carrier"]]
            out.append(row)
        return out

    def component(self, kind: ContractType, path: str) -> dict:
        prefix = kind.value
        self.paths[path] = "contract_type"
        doc: dict[str, Any] = {"type": kind.value}
        self.leaf(doc, "label", f"{prefix}-label", f"{path}.label")
        if kind is ContractType.SHARED_SAVINGS:
            doc["shares"] = self.rows(f"{prefix}-shares", f"{path}.shares")
        elif kind is ContractType.GUARANTEED_SAVINGS:
            doc["guarantees"] = self.rows(f"{prefix}-guarantees", f"{path}.guarantees")
            doc["fees"] = self.rows(f"{prefix}-fees", f"{path}.fees")
            self.paths[f"{path}.offset_carriers"] = f"{prefix}-offset_carriers"
            doc["offset_carriers"] = self.text(f"{prefix}-offset_carriers") == "offset"
        elif kind is ContractType.ENERGY_COST_CUSTODY:
            doc["baseline"] = self.rows(f"{prefix}-baseline", f"{path}.baseline")
        for field in _SCALARS.get(kind, ()):
            self.leaf(doc, field, f"{prefix}-{form_name(field)}", f"{path}.{field}")
        if kind is ContractType.ENERGY_COST_CUSTODY:
            concession = self.concession(prefix, doc.get("coefficient"))
            if concession is not None and "coefficient" not in doc:
                doc["coefficient"] = str(1 - concession)
                self.paths[f"{path}.coefficient"] = f"{prefix}-concession_pct"
        return doc

    def concession(self, prefix: str, coefficient: str | None) -> Decimal | None:
        """Custody: a concession in per cent instead of the coefficient (coefficient = 1 −
        concession); given both, they must agree."""
        name = f"{prefix}-concession_pct"
        if not self.text(name):
            return None
        try:
            concession = Decimal(_number_text(self.text(name))).scaleb(-2)
        except InvalidOperation:
            self.errors[name] = [_("%(value)s is not a number", value=self.text(name))]
            return None
        try:
            clash = coefficient is not None and Decimal(coefficient) != 1 - concession
        except InvalidOperation:
            return None  # the coefficient's own error is reported on the coefficient
        if clash:
            self.errors[name] = [_("does not match the custody coefficient: enter one of the two")]
            return None
        return concession


def _names(fields: tuple[str, ...]) -> set[str]:
    return {form_name(f) for f in fields}


def _keep_spelling(new: Any, old: Any, field: str = "") -> Any:
    """A per-cent entry equal to the current fraction keeps its current spelling (50 % of a
    stored ``"0.5"`` stays ``"0.5"``, not ``"0.50"``): re-saving unchanged terms changes nothing."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: _keep_spelling(v, old.get(k), k) for k, v in new.items()}
    if isinstance(new, list) and isinstance(old, list):
        return [
            _keep_spelling(v, old[i] if i < len(old) else None, field) for i, v in enumerate(new)
        ]
    if field in _PERCENT and isinstance(new, str) and isinstance(old, str):
        try:
            return old if Decimal(new) == Decimal(old) else new
        except InvalidOperation:
            return new
    return new


def build(
    form, current: dict | None = None
) -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
    """(the ``ContractIn`` input, document path → form field, errors found before loading).

    Only the fieldsets of the chosen contract type (for a hybrid: of the ticked component
    types) are read; the others are ignored, as the page hides them. ``current`` is the stored
    terms document the form was filled from.
    """
    b = _Builder(form)
    terms: dict[str, Any] = {"currency": "CNY"}
    for field in (*_COMMON, "discount_rate"):
        b.leaf(terms, field, form_name(field), f"terms.{field}")
    terms["prices"] = b.rows("prices", "terms.prices")
    costs = b.rows("costs", "terms.costs")
    if costs or (current or {}).get("costs"):
        terms["costs"] = costs
    chosen = terms.get("contract_type")
    if chosen == ContractType.HYBRID:
        ticked = set(form.getlist("hybrid_components"))
        kinds = [k for k in COMPONENT_TYPES if k.value in ticked]
        b.paths["terms.components"] = "hybrid_components"
    else:
        kinds = [ContractType(chosen)] if chosen in set(COMPONENT_TYPES) else []
        b.paths["terms.components"] = "contract_type"
    terms["components"] = [b.component(k, f"terms.components[{i}]") for i, k in enumerate(kinds)]
    data: dict[str, Any] = {
        "terms": _keep_spelling(terms, current or {}),
        "savings_estimates": b.rows("estimates", "savings_estimates"),
    }
    for name in ("reason", "version"):
        if b.text(name):
            data[name] = b.text(name)
    return data, b.paths, b.errors


# --- errors by document path → form fields ---------------------------------------------------


def flatten(messages: Any, path: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors as ``{"savings_estimates[0].unit": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, inner in messages.items():
            step = f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
            for p, m in flatten(inner, path + step).items():
                out.setdefault(p, []).extend(m)
    elif isinstance(messages, list):
        for message in messages:
            for p, m in flatten(message, path).items():
                out.setdefault(p, []).extend(m)
    else:
        out[path or "_"] = [str(messages)]
    return out


_PERCENT_MESSAGES = {
    "must be between 0 and 1": _l("must be between 0 and 100 %"),
    str(msg("finance.fraction")): _l("must be between 0 and 100 %"),
    "must be greater than -1": _l("must be greater than -100 %"),
}


# The document's keys as the reader knows them (a message about ``terms.prices[1].base_price``
# names 各能源品种合同单价 › 第 2 项 › 单价, never the path). ``parent.key`` where one key means
# two things. A key without a label (one the user typed in the JSON editor) is shown as typed.
DOCUMENT_LABELS = {
    "terms": _l("Terms (JSON document)"),
    "savings_estimates": _l("Estimated annual savings"),
    "reason": _l("Reason for the amendment"),
    "version": _l("Version"),
    "contract_type": _l("Contract type"),
    "term_years": _l("Term (years)"),
    "components.term_years": _l("Lease term (years)"),
    "start_date": _l("Start date"),
    "payment_frequency": _l("Payment frequency"),
    "components.payment_frequency": _l("Rent frequency"),
    "payment_due_days": _l("Payment due (days)"),
    "discount_rate": _l("Discount rate"),
    "currency": _l("Currency"),
    "prices": _l("Contract price per energy carrier"),
    "carrier": _l("Energy carrier"),
    "unit": _l("Unit"),
    "base_price": _l("Price (yuan per unit)"),
    "escalation": _l("Escalation per year"),
    "components": _l("Components"),
    "type": _l("Component type"),
    "label": _l("Component name"),
    "shares": _l("ESCO share by contract year"),
    "share": _l("Share"),
    "first_year": _l("From contract year"),
    "last_year": _l("To contract year"),
    "negative_savings": _l("A period with negative savings"),
    "annual_minimum": _l("Minimum ESCO payment per contract year (yuan, optional)"),
    "annual_cap": _l("Cap on the ESCO payment per contract year (yuan, optional)"),
    "reconciliation": _l("Reconciliation"),
    "guarantees": _l("Guaranteed annual savings"),
    "quantity": _l("Guaranteed savings per year"),
    "fees": _l("Service fee schedule"),
    "fees.annual_amount": _l("Service fee per year (yuan)"),
    "annual_amount": _l("Amount per year (yuan)"),
    "excess_share": _l("ESCO share of savings above the guarantee"),
    "offset_carriers": _l("Shortfall rule"),
    "baseline": _l("Baseline energy cost (from the audit)"),
    "baseline.annual_quantity": _l("Baseline use per year"),
    "savings_estimates.annual_quantity": _l("Savings per year"),
    "price_per_unit": _l("Unit price (yuan)"),
    "coefficient": _l("Custody coefficient"),
    "floor_area_m2": _l("Served floor area (m²)"),
    "om_fee_annual": _l("O&M fee per year (yuan)"),
    "principal": _l("Principal (yuan)"),
    "annual_rate": _l("Annual interest rate"),
    "residual_value": _l("Residual value (yuan)"),
    "purchase_option": _l("Purchase option at the residual value"),
    "costs": _l("Running costs of each party (for the economics)"),
    "party": _l("Borne by"),
    "kind": _l("Cost"),
    "description": _l("Description"),
    "contract_year": _l("Contract year"),
}


def path_label(path: str, after: str = "") -> str:
    """A document path in the reader's words: ``terms.components[0].shares[1].share`` →
    合同分项 › 第 1 项 › 各合同年度分享比例 › 第 2 项 › 分成比例. The steps of ``after`` (the
    path of the field the message is shown under) are left out; ``""`` if nothing is left."""
    parts: list[str] = []
    parent = ""
    for m in _STEP.finditer(path):
        name, index = m.group(1), m.group(2)
        shown = m.end() > len(after)
        if index is not None:
            if shown:
                parts.append(_("item %(n)s", n=int(index) + 1))
            continue
        if name.startswith("_"):  # marshmallow's _schema: the message stands alone
            continue
        if shown:
            label = DOCUMENT_LABELS.get(f"{parent}.{name}") or DOCUMENT_LABELS.get(name)
            parts.append(str(label) if label else name)
        parent = name
    return " › ".join(parts)


def map_errors(by_path: dict[str, list[str]], paths: dict[str, str]) -> dict[str, list[str]]:
    """Errors by document path under the form field the value came from. A path without its
    own field goes to the nearest enclosing one, prefixed with the path in the reader's words
    (:func:`path_label`), so nothing is lost."""
    out: dict[str, list[str]] = {}
    for path, messages in by_path.items():
        target, cut = "_", path
        while cut:
            if cut in paths:
                target = paths[cut]
                break
            cut = cut[: max(cut.rfind("."), cut.rfind("["), 0)]
        exact = cut == path
        for message in messages:
            if target.endswith("_pct"):
                message = str(_PERCENT_MESSAGES.get(message, message))
            where = "" if exact else path_label(path, after=cut)
            if where:
                message = _("%(field)s: %(problem)s", field=where, problem=message)
            out.setdefault(target, []).append(message)
    return out


# --- stored terms → form values ---------------------------------------------------------------


def _text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if field == "purchase_option":
        return "yes" if value else "no"
    if isinstance(value, bool):
        return "offset" if value else "per_carrier"
    return percent(value) if field in _PERCENT else str(value)


def _fill_rows(values: dict, table: str, rows: list[dict]) -> None:
    for i, row in enumerate(rows or []):
        for field in TABLES[table]:
            values[f"{table}-{i}-{form_name(field)}"] = _text(field, row.get(field))


def values_from_document(terms: dict, estimates: list[dict]) -> tuple[dict[str, Any], bool]:
    """(form values of a stored terms document, whether the form shows all of it). A hybrid
    with two components of one type has no structured form: the JSON editor shows it."""
    values: dict[str, Any] = {
        f: _text(f, terms.get(f)) for f in (*_COMMON, "discount_rate") if f in terms
    }
    values = {form_name(k): v for k, v in values.items()}
    _fill_rows(values, "prices", terms.get("prices", []))
    _fill_rows(values, "estimates", estimates)
    _fill_rows(values, "costs", terms.get("costs", []))
    complete = True
    kinds: list[str] = []
    for component in terms.get("components", []):
        kind = component.get("type")
        if kind in kinds or kind not in {k.value for k in COMPONENT_TYPES}:
            complete = False
            continue
        kinds.append(kind)
        if component.get("label") not in (None, kind):
            values[f"{kind}-label"] = component["label"]
        for field, value in component.items():
            if field in ("type", "label"):
                continue
            if f"{kind}-{field}" in TABLES:
                _fill_rows(values, f"{kind}-{field}", value)
            else:
                values[f"{kind}-{form_name(field)}"] = _text(field, value)
    values["hybrid_components"] = kinds if terms.get("contract_type") == "hybrid" else []
    # Stored terms without the term keep their meaning (settled per period); a guarantee being
    # written now is proposed per contract year, as GB/T 24915 and ESPC practice reconcile it.
    guaranteed = ContractType.GUARANTEED_SAVINGS.value
    values.setdefault(
        f"{guaranteed}-reconciliation",
        finance.Reconciliation.PERIOD.value
        if guaranteed in kinds
        else finance.Reconciliation.CONTRACT_YEAR.value,
    )
    return values, complete


def row_numbers(values: dict, table: str) -> list[int]:
    """Rows to render for a repeatable table: every filled row plus spare blank ones."""
    used = [
        int(m["row"])
        for key, value in values.items()
        if value and (m := _ROW.match(key)) and m["table"] == table
    ]
    last = max(used, default=-1)
    return list(range(last + 1 + SPARE_ROWS))


def custody_fee(values: dict) -> Decimal | None:
    """The annual custody fee the entered baseline and coefficient give (baseline energy cost ×
    coefficient, to the fen), shown beside the form; None while an input is missing."""
    prefix = "energy_cost_custody"
    try:
        cost = sum(
            (
                Decimal(_number_text(values[f"{prefix}-baseline-{i}-annual_quantity"]))
                * Decimal(_number_text(values[f"{prefix}-baseline-{i}-price_per_unit"]))
                for i in row_numbers(values, f"{prefix}-baseline")
                if values.get(f"{prefix}-baseline-{i}-carrier")
            ),
            Decimal(0),
        )
        coefficient_text = values.get(f"{prefix}-coefficient")
        if coefficient_text:
            coefficient = Decimal(_number_text(coefficient_text))
        elif values.get(f"{prefix}-concession_pct"):
            coefficient = 1 - Decimal(_number_text(values[f"{prefix}-concession_pct"])).scaleb(-2)
        else:
            return None
    except (KeyError, InvalidOperation):
        return None
    if not cost or not coefficient.is_finite():
        return None
    return finance.round_fen(cost * coefficient)

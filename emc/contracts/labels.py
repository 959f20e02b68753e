"""The one vocabulary of the contracts domain: the English msgid of every stored value that a
page, a CSV/XLSX export or a PDF shows. Each surface translates these through the same catalog
(Flask-Babel on pages, :func:`emc.i18n.translate` in exports and PDFs), so a payment line's
status reads the same on the page, in the workbook and on paper.

Pure (no Flask): keys are the stored values (``StrEnum`` members compare equal to them).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from emc.i18n import N_

PROJECT_STATUS = {
    "draft": N_("Draft"),
    "proposed": N_("Proposed"),
    "contracted": N_("Contracted"),
    "implementing": N_("Implementing"),
    "operating": N_("Operating"),
    "completed": N_("Completed"),
    "terminated": N_("Terminated"),
}
CONTRACT_TYPE = {
    "shared_savings": N_("Shared savings"),
    "guaranteed_savings": N_("Guaranteed savings"),
    "energy_cost_custody": N_("Energy-cost custody"),
    "finance_lease": N_("Finance lease"),
    "hybrid": N_("Hybrid"),
}
LINE_KIND = {
    "shared_savings": N_("Savings share"),
    "guarantee_fee": N_("Guarantee service fee"),
    "shortfall": N_("Guarantee shortfall"),
    "excess_share": N_("Excess savings share"),
    "custody_fee": N_("Custody fee"),
    "om_fee": N_("O&M fee"),
    "true_up": N_("True-up"),
    "lease_rent": N_("Lease rent"),
    "lease_residual": N_("Lease purchase option (residual value)"),
    "reconciliation": N_("Year-end guarantee reconciliation"),
    "share_reconciliation": N_("Year-end minimum / cap reconciliation"),
}
PARTY = {"institution": N_("Institution"), "esco": N_("ESCO"), "lessor": N_("Lessor")}
LINE_STATUS = {
    "scheduled": N_("Scheduled"),
    "prepared": N_("Prepared"),
    "approved": N_("Approved"),
    "paid": N_("Paid"),
    "on_hold": N_("On hold"),
}
LINE_SOURCE = {"actual": N_("Payable"), "projected": N_("Projected")}
FREQUENCY = {
    "monthly": N_("Monthly"),
    "quarterly": N_("Quarterly"),
    "semi_annual": N_("Semiannual"),
    "annual": N_("Annual"),
}
INVESTOR = {
    "esco": N_("ESCO"),
    "institution": N_("Institution"),
    "shared": N_("Shared"),
    "lessor": N_("Lessor"),
}


def label(table: dict[str, str], value: object) -> str:
    """The msgid of ``value`` (a StrEnum member or its stored string) in ``table``; an unknown
    value comes back as it is (never an error in a document)."""
    key = getattr(value, "value", value)
    return table.get(str(key), str(key)) if key is not None else ""


def component(name: str, t) -> str:
    """A contract component's name for display: components named after their type (the
    default name, ``shared_savings``) read as the type's label, translated by ``t``."""
    return t(CONTRACT_TYPE[name]) if name in CONTRACT_TYPE else name


SHARE_LIMITS_RECONCILIATION = {
    "contract_year": N_("trued up at each contract year end"),
    "period": N_("held within each M&V period's part of the year"),
}


def share_limits(component: dict, t) -> str:
    """The annual minimum and cap of a stored shared-savings component in words (``""`` when
    it has neither), translated by ``t``: "minimum 20,000.00 yuan · cap 30,000.00 yuan ·
    trued up at each contract year end"."""

    def yuan(value: object) -> str:
        try:
            return f"{Decimal(str(value)):,.2f}"
        except InvalidOperation:
            return str(value)

    parts = []
    if component.get("annual_minimum") is not None:
        parts.append(t(N_("minimum %(amount)s yuan"), amount=yuan(component["annual_minimum"])))
    if component.get("annual_cap") is not None:
        parts.append(t(N_("cap %(amount)s yuan"), amount=yuan(component["annual_cap"])))
    if not parts:
        return ""
    rule = SHARE_LIMITS_RECONCILIATION.get(str(component.get("reconciliation", "contract_year")))
    if rule:
        parts.append(t(rule))
    return " · ".join(parts)

"""The printable payment schedule of one EMC project: the parties, the contract type and key
terms, and the schedule lines (payable, then projected) with their totals. Data in, bytes out.

Takes loaded objects from the caller, so it runs no query and needs no request; text is in the
reader's language through ``emc.i18n.translate`` (Chinese by default). Amounts are the stored
fen-rounded lines; each total is the exact sum of its lines (a sum of rounded lines, never a
rounded sum). A line not yet paid whose due date has passed is marked overdue; one due within
:data:`DUE_SOON_DAYS` days is marked due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib.units import mm

from emc import clock
from emc.i18n import N_, translate
from emc.reports import pdf

DUE_SOON_DAYS = 30

CONTRACT_TYPES = {
    "shared_savings": N_("Shared savings"),
    "guaranteed_savings": N_("Guaranteed savings"),
    "energy_cost_custody": N_("Energy-cost custody"),
    "finance_lease": N_("Finance lease"),
    "hybrid": N_("Hybrid"),
}
KINDS = {
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
}
PARTIES = {"institution": N_("Institution"), "esco": N_("ESCO"), "lessor": N_("Lessor")}
PROJECT_STATUSES = {
    "draft": N_("Draft"),
    "proposed": N_("Proposed"),
    "contracted": N_("Contracted"),
    "implementing": N_("Implementing"),
    "operating": N_("Operating"),
    "completed": N_("Completed"),
    "terminated": N_("Terminated"),
}
STATUSES = {
    "scheduled": N_("Scheduled"),
    "prepared": N_("Prepared"),
    "approved": N_("Approved"),
    "paid": N_("Paid"),
    "on_hold": N_("On hold"),
}
FREQUENCIES = {
    "monthly": N_("Monthly"),
    "quarterly": N_("Quarterly"),
    "semi_annual": N_("Semiannual"),
    "annual": N_("Annual"),
}


def _value(x: Any) -> str:
    return getattr(x, "value", x)


def total(lines: Sequence[Any]) -> Decimal:
    """The exact sum of the (already fen-rounded) line amounts."""
    return sum((line.amount for line in lines), Decimal("0.00"))


def due_mark(line: Any, today: dt.date) -> str:
    """``"overdue"``, ``"due"`` (within :data:`DUE_SOON_DAYS`) or ``""`` for a line."""
    if _value(line.status) == "paid":
        return ""
    if line.due_on < today:
        return "overdue"
    if (line.due_on - today).days <= DUE_SOON_DAYS:
        return "due"
    return ""


def build(
    project: Any,
    contract: Any | None,
    lines: Sequence[Any],
    *,
    names: Mapping[int | None, str],
    today: dt.date,
    locale: str = "zh_CN",
) -> bytes:
    """The schedule PDF of ``project`` (an ``EmcProject``) with its ``contract`` (or None) and
    payment ``lines`` (``PaymentLine``s in schedule order); ``names`` maps organisation ids to
    display names; ``today`` (the institutions' local date) decides due / overdue."""

    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    def label(table: Mapping[str, str], key: Any) -> str:
        key = _value(key)
        return t(table[key]) if key in table else str(key)

    title = t(N_("Payment schedule: %(project)s"), project=project.name)
    story: list = [
        pdf.paragraph(title, "h1"),
        pdf.paragraph(t(N_("As of %(date)s"), date=today.isoformat())),
        pdf.paragraph(t(N_("Project and parties")), "h2"),
        pdf.table(
            [
                [t(N_("Institution")), names.get(project.organization_id, "")],
                [t(N_("ESCO")), names.get(project.esco_organization_id, "—")],
                [t(N_("Status")), label(PROJECT_STATUSES, project.status)],
                [t(N_("Signed on")), _date(project.signed_on)],
                [
                    t(N_("Total investment (yuan)")),
                    pdf.money(project.total_investment) if project.total_investment else "—",
                ],
            ],
            header_rows=0,
            col_widths=[50 * mm, 124 * mm],
        ),
    ]
    story.append(pdf.paragraph(t(N_("Contract")), "h2"))
    if contract is None:
        story.append(pdf.paragraph(t(N_("No contract terms yet."))))
    else:
        terms = contract.terms
        rows = [
            [t(N_("Contract type")), label(CONTRACT_TYPES, contract.contract_type)],
            [t(N_("Version")), str(contract.version)],
            [
                t(N_("Term")),
                t(
                    N_("%(years)s years from %(start)s"),
                    years=terms.get("term_years"),
                    start=terms.get("start_date"),
                ),
            ],
            [t(N_("Payment frequency")), label(FREQUENCIES, terms.get("payment_frequency"))],
            [
                t(N_("Payment due")),
                t(N_("%(days)s days after the period"), days=terms.get("payment_due_days")),
            ],
            [t(N_("Discount rate")), str(terms.get("discount_rate", ""))],
            [
                t(N_("Components")),
                ", ".join(
                    f"{c.get('label')} ({label(CONTRACT_TYPES, c.get('type'))})"
                    for c in terms.get("components", [])
                ),
            ],
        ]
        for price in terms.get("prices", []):
            rows.append(
                [
                    t(N_("Contract price (yuan per unit)")),
                    f"{price.get('carrier')} {price.get('base_price')} / {price.get('unit')}",
                ]
            )
        story.append(
            pdf.table(rows, header_rows=0, col_widths=[50 * mm, 124 * mm]),
        )

    actual = [x for x in lines if _value(x.source) == "actual"]
    projected = [x for x in lines if _value(x.source) == "projected"]
    header = [
        t(N_("Period")),
        t(N_("Kind")),
        t(N_("Payer → payee")),
        t(N_("Due on")),
        t(N_("Status")),
        t(N_("Amount (yuan)")),
    ]
    widths = [36 * mm, 28 * mm, 40 * mm, 26 * mm, 18 * mm, 26 * mm]
    marks = {"overdue": t(N_("overdue")), "due": t(N_("due soon"))}
    for heading, items, mark in (
        (N_("Payable lines"), actual, True),
        (N_("Projected schedule"), projected, False),
    ):
        story.append(pdf.paragraph(t(heading), "h2"))
        if not items:
            story.append(pdf.paragraph(t(N_("No lines in this part of the schedule.")), "small"))
            continue
        rows = [header]
        for line in items:
            due = line.due_on.isoformat()
            flag = due_mark(line, today) if mark else ""
            if flag:
                due = f"{due} <b>{marks[flag]}</b>"
            status = label(STATUSES, line.status)
            if line.hold_reason:
                status = f"{status}: {line.hold_reason}"
            rows.append(
                [
                    f"{line.period_start.isoformat()} – {line.period_end.isoformat()}",
                    label(KINDS, line.kind),
                    f"{label(PARTIES, line.payer)} → {label(PARTIES, line.payee)}",
                    due,
                    status,
                    pdf.money(line.amount),
                ]
            )
        rows.append([t(N_("Total")), "", "", "", "", pdf.money(total(items))])
        story.append(pdf.table(rows, col_widths=widths, numeric_cols=(5,)))
    if actual:
        paid = [x for x in actual if _value(x.status) == "paid"]
        overdue = [x for x in actual if due_mark(x, today) == "overdue"]
        story += [
            pdf.spacer(),
            pdf.paragraph(
                t(
                    N_(
                        "Paid: %(paid)s yuan. Outstanding: %(open)s yuan, of which overdue "
                        "%(overdue)s yuan."
                    ),
                    paid=pdf.money(total(paid)),
                    open=pdf.money(total(actual) - total(paid)),
                    overdue=pdf.money(total(overdue)),
                )
            ),
        ]
    info = pdf.PageInfo(
        title=title,
        subtitle=names.get(project.organization_id, ""),
        generated_at=clock.now(),
    )
    return pdf.build_pdf(info, story)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"

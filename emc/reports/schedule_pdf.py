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
from xml.sax.saxutils import escape

from reportlab.lib.units import mm

from emc.contracts import labels
from emc.contracts.exports import by_direction
from emc.energy import Carrier
from emc.energy_labels import CARRIER_LABELS
from emc.i18n import N_, translate
from emc.labels import period
from emc.reports import pdf

DUE_SOON_DAYS = 30

# One vocabulary with the page and the exports (emc.contracts.labels).
CONTRACT_TYPES = labels.CONTRACT_TYPE
KINDS = labels.LINE_KIND
PARTIES = labels.PARTY
PROJECT_STATUSES = labels.PROJECT_STATUS
STATUSES = labels.LINE_STATUS
FREQUENCIES = labels.FREQUENCY
# Components whose lines wait for an accepted M&V report, and those due after each period.
_SAVINGS_TYPES = {"shared_savings", "guaranteed_savings"}
_PERIOD_TYPES = {"guaranteed_savings", "energy_cost_custody", "finance_lease"}


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


def payment_terms_text(terms: Mapping[str, Any], locale: str = "zh_CN") -> str:
    """When lines fall due, as the contract's terms say (the finance core's rule): lines that
    wait for verified savings fall due ``payment_due_days`` after the M&V report is accepted;
    fees, rent and the projected schedule that many days after the end of their period."""

    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    days = terms.get("payment_due_days")
    if days is None:
        return "—"
    types = {c.get("type") for c in terms.get("components", [])} or {terms.get("contract_type")}
    parts = []
    if types & _SAVINGS_TYPES:
        parts.append(
            t(N_("savings-based lines: %(days)s days after the M&V report is accepted"), days=days)
        )
    if types & _PERIOD_TYPES:
        parts.append(t(N_("fees and rent: %(days)s days after the end of each period"), days=days))
    parts.append(t(N_("projected lines: %(days)s days after the end of the period"), days=days))
    return ("; " if locale == "en" else "；").join(parts)


def build(
    project: Any,
    contract: Any | None,
    lines: Sequence[Any],
    *,
    names: Mapping[int | None, str],
    people: Mapping[int, str] | None = None,
    generated_at: dt.datetime | None = None,
    zone: str = pdf.DEFAULT_ZONE,
    today: dt.date | None = None,
    locale: str = "zh_CN",
) -> bytes:
    """The schedule PDF of ``project`` (an ``EmcProject``) with its ``contract`` (or None) and
    payment ``lines`` (``PaymentLine``s in schedule order); ``names`` maps organisation ids to
    display names, ``people`` user ids to names (who prepared, approved and paid). Dates and
    times are on the wall clock of ``zone``: "as of" is the local date of ``generated_at``
    (the same instant the footer prints), which decides due / overdue; ``today`` overrides it."""
    people = people or {}
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    local = pdf.local_time(generated_at, zone)
    today = today or local.date()

    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    def label(table: Mapping[str, str], key: Any) -> str:
        key = _value(key)
        return t(table[key]) if key in table else str(key)

    def carrier(value: Any) -> str:
        try:
            return t(CARRIER_LABELS[Carrier(value)])
        except ValueError:
            return str(value)

    def person(user_id: int | None, at: dt.datetime | None = None) -> str:
        if user_id is None:
            return "—"
        name = escape(people.get(user_id, str(user_id)))
        if at is None:
            return name
        return f'{name}<br/><font size="8">{pdf.local_time(at, zone):%Y-%m-%d %H:%M}</font>'

    title = t(N_("Payment schedule: %(project)s"), project=project.name)
    story: list = [
        pdf.paragraph(escape(title), "h1"),
        pdf.paragraph(
            t(N_("As of %(date)s"), date=today.isoformat())
            + " · "
            + t(N_("Times in %(zone)s"), zone=zone)
        ),
        pdf.paragraph(t(N_("Project and parties")), "h2"),
        pdf.table(
            [
                [t(N_("Institution")), escape(names.get(project.organization_id, ""))],
                [t(N_("ESCO")), escape(names.get(project.esco_organization_id, "—"))],
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
            [t(N_("Payment due")), payment_terms_text(terms, locale)],
            [t(N_("Discount rate")), _percent(terms.get("discount_rate"))],
            [
                t(N_("Components")),
                ", ".join(
                    _component(c, t, label(CONTRACT_TYPES, c.get("type")))
                    for c in terms.get("components", [])
                ),
            ],
        ]
        for component in terms.get("components", []):
            if component.get("type") != "shared_savings":
                continue
            limits = labels.share_limits(component, t)
            if limits:
                rows.append([t(N_("ESCO payment per contract year")), escape(limits)])
        for price in terms.get("prices", []):
            rows.append(
                [
                    t(N_("Contract price (yuan per unit)")),
                    f"{carrier(price.get('carrier'))} {price.get('base_price')} / "
                    f"{price.get('unit')}",
                ]
            )
            # The yearly escalation, so that a later year's price can be reconciled.
            rows.append(
                [
                    t(N_("Escalation per year")),
                    f"{carrier(price.get('carrier'))} {_percent(price.get('escalation') or '0')}",
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
    widths = [36 * mm, 28 * mm, 36 * mm, 26 * mm, 20 * mm, 28 * mm]
    marks = {"overdue": t(N_("overdue")), "due": t(N_("due soon"))}
    parts = (
        (N_("Payable lines"), actual, True, N_("Total payable")),
        (N_("Projected schedule"), projected, False, N_("Total projected (forecast, not payable)")),
    )
    directions = len(by_direction(actual)) > 1 or len(by_direction(projected)) > 1

    def way(direction: tuple[str, str]) -> str:
        """ " (payer → payee)" after a total when the schedule runs more than one way."""
        if not directions:
            return ""
        payer, payee = direction
        return t(
            N_(" (%(payer)s → %(payee)s)"),
            payer=label(PARTIES, payer),
            payee=label(PARTIES, payee),
        )

    for heading, items, mark, total_label in parts:
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
            # A projected line is a forecast, never in the payment workflow (as on the page).
            status = label(STATUSES, line.status) if mark else t(N_("Projected"))
            if line.hold_reason:
                status = f"{status}: {escape(line.hold_reason)}"
            rows.append(
                [
                    period(line.period_start, line.period_end),
                    label(KINDS, line.kind),
                    f"{label(PARTIES, line.payer)} → {label(PARTIES, line.payee)}",
                    due,
                    status,
                    pdf.money(line.amount),
                ]
            )
        for direction, part in by_direction(items).items():
            rows.append([t(total_label) + way(direction), "", "", "", "", pdf.money(total(part))])
        story.append(pdf.table(rows, col_widths=widths, numeric_cols=(5,)))
    if actual:
        story.append(pdf.spacer())
        for direction, part in by_direction(actual).items():
            paid = [x for x in part if _value(x.status) == "paid"]
            overdue = [x for x in part if due_mark(x, today) == "overdue"]
            story.append(
                pdf.paragraph(
                    t(
                        N_(
                            "Paid: %(paid)s yuan. Outstanding: %(open)s yuan, of which overdue "
                            "%(overdue)s yuan."
                        ),
                        paid=pdf.money(total(paid)),
                        open=pdf.money(total(part) - total(paid)),
                        overdue=pdf.money(total(overdue)),
                    )
                    + way(direction)
                )
            )
        worked = [x for x in actual if x.prepared_by_user_id is not None or x.paid_on]
        story.append(pdf.paragraph(t(N_("Approvals and payments")), "h2"))
        if not worked:
            story.append(
                pdf.paragraph(t(N_("No line has been prepared for payment yet.")), "small")
            )
        else:
            rows = [
                [
                    t(N_("Period")),
                    t(N_("Amount (yuan)")),
                    t(N_("Prepared by")),
                    t(N_("Approved by")),
                    t(N_("Paid by")),
                    t(N_("Paid on")),
                    t(N_("Payment reference")),
                ]
            ]
            for line in worked:
                rows.append(
                    [
                        period(line.period_start, line.period_end),
                        pdf.money(line.amount),
                        person(line.prepared_by_user_id, line.prepared_at),
                        person(line.approved_by_user_id, line.approved_at),
                        person(line.paid_by_user_id),
                        _date(line.paid_on),
                        escape(line.payment_reference or "—"),
                    ]
                )
            story.append(
                pdf.table(
                    rows,
                    col_widths=[30 * mm, 22 * mm, 30 * mm, 30 * mm, 18 * mm, 20 * mm, 24 * mm],
                    numeric_cols=(1,),
                )
            )
    info = pdf.PageInfo(
        title=title,
        subtitle=names.get(project.organization_id, ""),
        generated_at=generated_at,
        zone=zone,
    )
    return pdf.build_pdf(info, story)


def _component(component: Mapping[str, Any], t, type_label: str) -> str:
    name = labels.component(str(component.get("label") or ""), t)
    return type_label if name in ("", type_label) else f"{escape(name)} ({type_label})"


def _percent(fraction: Any) -> str:
    """A stored fraction ("0.06") as a percentage ("6 %")."""
    try:
        return f"{(Decimal(str(fraction)) * 100).normalize():f} %"
    except (ArithmeticError, ValueError, TypeError):
        return "—"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"

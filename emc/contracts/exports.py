"""Payment schedule downloads: the CSV and the XLSX workbook a finance office files and signs.

Data in, bytes out (no Flask, no queries), written through :mod:`emc.exports` (typed cells,
number formats, BOM, CSV-injection rule). Text is in the reader's language through
:func:`emc.i18n.translate`, with the words of :mod:`emc.contracts.labels` (the same status words
as the page and the PDF).

Totals are never mixed: payable (actual) lines and projected lines are different things — what
is owed, and a forecast — so each has its own total, and the payable total is split into paid
and outstanding. Each total is the exact sum of its fen-rounded lines, written as a value (every
reader shows it, including ones that do not recalculate formulas). Every payable line names
who prepared, approved and paid it, when, the payment date and the payment voucher.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from emc import exports
from emc.contracts import labels
from emc.exports import Column, Kind, Table
from emc.i18n import N_, translate

# (msgid of the title, kind, width)
_COLUMNS = [
    (N_("No."), Kind.INTEGER, 6),
    (N_("Line"), Kind.INTEGER, 8),
    (N_("Part of the schedule"), Kind.TEXT, 10),
    (N_("Contract year"), Kind.INTEGER, 9),
    (N_("Component"), Kind.TEXT, 16),
    (N_("Kind"), Kind.TEXT, 16),
    (N_("Billing period start"), Kind.DATE, 12),
    (N_("Billing period end (exclusive)"), Kind.DATE, 14),
    (N_("Due on"), Kind.DATE, 12),
    (N_("Payer"), Kind.TEXT, 14),
    (N_("Payee"), Kind.TEXT, 14),
    (N_("Amount (yuan)"), Kind.MONEY, 16),
    (N_("Status"), Kind.TEXT, 10),
    (N_("Hold reason"), Kind.TEXT, 20),
    (N_("Prepared by"), Kind.TEXT, 12),
    (N_("Prepared at (%(zone)s)"), Kind.DATETIME, 17),
    (N_("Approved by"), Kind.TEXT, 12),
    (N_("Approved at (%(zone)s)"), Kind.DATETIME, 17),
    (N_("Paid by"), Kind.TEXT, 12),
    (N_("Paid on"), Kind.DATE, 12),
    (N_("Payment reference"), Kind.TEXT, 18),
]
AMOUNT = 11  # 0-based index of the amount column
CAPTION = 2  # where a total row's caption goes (the "part of the schedule" column)


def _value(x: Any) -> Any:
    return getattr(x, "value", x)


def total(lines: Sequence[Any]) -> Decimal:
    """Sum of the (already fen-rounded) line amounts."""
    return sum((line.amount for line in lines), Decimal("0.00"))


def split(lines: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """(payable lines, projected lines), each in schedule order."""
    actual = [x for x in lines if _value(x.source) == "actual"]
    projected = [x for x in lines if _value(x.source) == "projected"]
    return actual, projected


def totals(lines: Sequence[Any]) -> dict[str, Decimal]:
    """The separate totals: payable, of which paid and outstanding, and projected."""
    actual, projected = split(lines)
    paid = total([x for x in actual if _value(x.status) == "paid"])
    return {
        "payable": total(actual),
        "paid": paid,
        "outstanding": total(actual) - paid,
        "projected": total(projected),
    }


def _columns(t: Callable[..., str], zone: str) -> list[Column]:
    return [
        Column(t(title, zone=zone) if "%(zone)s" in title else t(title), kind, width)
        for title, kind, width in _COLUMNS
    ]


def _row(index: int, line: Any, t: Callable[..., str], people: Mapping[int, str]) -> list:
    def person(user_id: int | None) -> str | None:
        return people.get(user_id, str(user_id)) if user_id is not None else None

    return [
        index,
        line.id,
        t(labels.label(labels.LINE_SOURCE, line.source)),
        line.contract_year,
        labels.component(line.component, t),
        t(labels.label(labels.LINE_KIND, line.kind)),
        line.period_start,
        line.period_end,
        line.due_on,
        t(labels.label(labels.PARTY, line.payer)),
        t(labels.label(labels.PARTY, line.payee)),
        line.amount,
        t(labels.label(labels.LINE_STATUS, line.status)),
        line.hold_reason,
        person(line.prepared_by_user_id),
        line.prepared_at,
        person(line.approved_by_user_id),
        line.approved_at,
        person(line.paid_by_user_id),
        line.paid_on,
        line.payment_reference,
    ]


def by_direction(lines: Sequence[Any]) -> dict[tuple[str, str], list[Any]]:
    """Lines by (payer, payee), in order of first appearance. A schedule can run both ways
    (a guaranteed-savings shortfall is paid by the ESCO to the institution): money owed in
    one direction is never added to money owed in the other."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for line in lines:
        groups.setdefault((_value(line.payer), _value(line.payee)), []).append(line)
    return groups


def _total_row(caption: str, amount: Decimal) -> list:
    row: list = [None] * len(_COLUMNS)
    row[CAPTION], row[AMOUNT] = caption, amount
    return row


def _direction_totals(
    lines: Sequence[Any], t: Callable[..., str], captions: Sequence[str], *, paid: bool
) -> list[list]:
    """Total rows of ``lines`` (with paid and outstanding if ``paid``), one set per direction;
    a caption names the direction only when the lines run more than one way."""
    groups = by_direction(lines) or {("", ""): []}
    rows = []
    for (payer, payee), part in groups.items():
        suffix = ""
        if len(groups) > 1:
            suffix = t(
                N_(" (%(payer)s → %(payee)s)"),
                payer=t(labels.label(labels.PARTY, payer)),
                payee=t(labels.label(labels.PARTY, payee)),
            )
        amounts = [total(part)]
        if paid:
            settled = total([x for x in part if _value(x.status) == "paid"])
            amounts += [settled, amounts[0] - settled]
        rows += [
            _total_row(t(caption) + suffix, amount)
            for caption, amount in zip(captions, amounts, strict=True)
        ]
    return rows


_PAYABLE_CAPTIONS = (N_("Total payable"), N_("of which paid"), N_("of which outstanding"))
_PROJECTED_CAPTIONS = (N_("Total projected (forecast, not payable)"),)


def _total_rows(lines: Sequence[Any], t: Callable[..., str]) -> list[list]:
    actual, projected = split(lines)
    return _direction_totals(actual, t, _PAYABLE_CAPTIONS, paid=True) + _direction_totals(
        projected, t, _PROJECTED_CAPTIONS, paid=False
    )


def _preamble(
    project: Any,
    names: Mapping[int | None, str],
    t: Callable[..., str],
    generated_at,
    zone,
    locale: str,
) -> list[str]:
    colon = ": " if locale == "en" else "："
    return [
        t(N_("Payment schedule: %(project)s"), project=project.name),
        f"{t(N_('Institution'))}{colon}{names.get(project.organization_id, '')}  ·  "
        f"{t(N_('ESCO'))}{colon}{names.get(project.esco_organization_id, '—')}",
        t(N_("Generated at %(time)s"), time=_stamp(generated_at, zone)),
    ]


def _stamp(moment: dt.datetime, zone: str) -> str:
    from emc.reports.pdf import stamp

    return stamp(moment, zone)


def schedule_csv(
    project: Any,
    lines: Sequence[Any],
    *,
    people: Mapping[int, str] | None = None,
    locale: str = "zh_CN",
    zone: str = exports.DEFAULT_ZONE,
) -> bytes:
    """The schedule as one CSV table: payable lines, then projected lines (the "part of the
    schedule" column tells which), then the separate totals."""
    t = _translator(locale)
    actual, projected = split(lines)
    rows = [_row(i, x, t, people or {}) for i, x in enumerate([*actual, *projected], start=1)]
    table = Table(_columns(t, zone), rows, totals=_total_rows(lines, t))
    return exports.csv_bytes(table, zone=zone)


def schedule_xlsx(
    project: Any,
    lines: Sequence[Any],
    *,
    people: Mapping[int, str] | None = None,
    names: Mapping[int | None, str] | None = None,
    generated_at: dt.datetime | None = None,
    locale: str = "zh_CN",
    zone: str = exports.DEFAULT_ZONE,
) -> bytes:
    """The schedule as a workbook of two sheets, payable lines and projected lines, each with
    its own totals (payable: paid and outstanding too); a heading names the project, the
    parties and when it was generated."""
    t = _translator(locale)
    actual, projected = split(lines)
    people = people or {}
    preamble = (
        _preamble(project, names or {}, t, generated_at, zone, locale)
        if generated_at is not None
        else []
    )
    payable = Table(
        _columns(t, zone),
        [_row(i, x, t, people) for i, x in enumerate(actual, start=1)],
        name=t(N_("Payable lines")),
        totals=_direction_totals(actual, t, _PAYABLE_CAPTIONS, paid=True),
        preamble=preamble,
    )
    forecast = Table(
        _columns(t, zone),
        [_row(i, x, t, people) for i, x in enumerate(projected, start=1)],
        name=t(N_("Projected schedule")),
        totals=_direction_totals(projected, t, _PROJECTED_CAPTIONS, paid=False),
        preamble=preamble,
    )
    title = t(N_("Payment schedule: %(project)s"), project=project.name)
    return exports.xlsx_bytes([payable, forecast], title=title, zone=zone)


def _translator(locale: str) -> Callable[..., str]:
    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    return t

"""The finance queue as a work list (on the contracts blueprint; imported by
:mod:`emc.contracts.views`).

By default it shows the actual lines a finance user works on now: those waiting for this user's
action (prepare, approve — never a line the user prepared — or pay), overdue lines, and lines
due within :data:`WINDOW_DAYS`. Filters by status, project and due-date range; sortable;
paginated; the same selection downloads as CSV or XLSX.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session, aliased

from emc import exports
from emc.auth.actor import Actor
from emc.auth.models import User
from emc.auth.permissions import Permission, can
from emc.auth.policy import require, scoped
from emc.contracts.finance import LineSource
from emc.contracts.models import EmcProject, LineStatus, PaymentLine
from emc.contracts.views import (
    LINE_KIND_LABELS,
    LINE_STATUS_LABELS,
    PARTY_LABELS,
    bp,
    line_actions,
    local_today,
)
from emc.exports import Kind
from emc.i18n import N_
from emc.paging import Page, paginate
from emc.web.args import page_arg, parse_int
from emc.web.db import db
from emc.web.security import current_actor

WINDOW_DAYS = 60
PER_PAGE = 50
OPEN = (LineStatus.SCHEDULED, LineStatus.PREPARED, LineStatus.APPROVED, LineStatus.ON_HOLD)
SORTS = {
    "due": (PaymentLine.due_on, PaymentLine.id),
    "amount": (PaymentLine.amount, PaymentLine.id),
    "project": (EmcProject.name, PaymentLine.due_on, PaymentLine.id),
    "status": (PaymentLine.status, PaymentLine.due_on, PaymentLine.id),
}
VIEWS = ("work", "mine", "all")


@dataclass(frozen=True)
class QueueQuery:
    """What the queue shows. ``view``: ``work`` (default: mine, overdue and due within the
    window), ``mine`` (only lines waiting for this user's action), ``all`` (every actual line)."""

    view: str = "work"
    status: LineStatus | None = None
    project_id: int | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    sort: str = "due"
    descending: bool = False


def _mine(actor: Actor, today: dt.date):
    """Lines waiting for this actor: the separation of duties excludes approving one's own."""
    parts = []
    if can(actor, Permission.CONTRACTS_PAYMENT_PREPARE):
        parts.append(
            and_(
                PaymentLine.status == LineStatus.SCHEDULED,
                PaymentLine.due_on <= today + dt.timedelta(days=WINDOW_DAYS),
            )
        )
    if can(actor, Permission.CONTRACTS_PAYMENT_APPROVE):
        parts.append(
            and_(
                PaymentLine.status == LineStatus.PREPARED,
                PaymentLine.prepared_by_user_id != actor.user_id,
            )
        )
    if can(actor, Permission.CONTRACTS_PAYMENT_PAY):
        parts.append(PaymentLine.status == LineStatus.APPROVED)
    return or_(*parts) if parts else PaymentLine.id.is_(None)


def queue_select(actor: Actor, query: QueueQuery, today: dt.date) -> Select:
    """The queue's rows: (line, project name, preparer name, approver name), filtered, sorted."""
    require(actor, Permission.CONTRACTS_PAYMENT_PREPARE)
    preparer, approver = aliased(User), aliased(User)
    stmt = (
        scoped(actor, PaymentLine)
        .add_columns(EmcProject.name, preparer.display_name, approver.display_name)
        .join(EmcProject, EmcProject.id == PaymentLine.project_id)
        .outerjoin(preparer, preparer.id == PaymentLine.prepared_by_user_id)
        .outerjoin(approver, approver.id == PaymentLine.approved_by_user_id)
        .where(PaymentLine.source == LineSource.ACTUAL)
    )
    if query.view == "mine":
        stmt = stmt.where(_mine(actor, today))
    elif query.view == "work":
        stmt = stmt.where(
            or_(
                _mine(actor, today),
                and_(
                    PaymentLine.status.in_(OPEN),
                    PaymentLine.due_on <= today + dt.timedelta(days=WINDOW_DAYS),
                ),
            )
        )
    if query.status is not None:
        stmt = stmt.where(PaymentLine.status == query.status)
    if query.project_id is not None:
        stmt = stmt.where(PaymentLine.project_id == query.project_id)
    if query.due_from is not None:
        stmt = stmt.where(PaymentLine.due_on >= query.due_from)
    if query.due_to is not None:
        stmt = stmt.where(PaymentLine.due_on <= query.due_to)
    order = SORTS.get(query.sort, SORTS["due"])
    return stmt.order_by(*(c.desc() for c in order) if query.descending else order)


def queue_page(
    session: Session, actor: Actor, query: QueueQuery, today: dt.date, page: int, per_page: int
) -> Page:
    return paginate(session, queue_select(actor, query, today), page, per_page, scalars=False)


# --- the page --------------------------------------------------------------------------------


def _date_arg(name: str, errors: dict[str, str]) -> dt.date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Not a valid date (YYYY-MM-DD).")
        return None


def _query_from_args() -> tuple[QueueQuery, dict[str, str]]:
    errors: dict[str, str] = {}
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in LineStatus}:
        errors["status"], status = _("Not a valid choice."), None
    project = request.args.get("project") or None
    if project is not None and parse_int(project) is None:
        errors["project"], project = _("Not a valid choice."), None
    view = request.args.get("view") or "work"
    query = QueueQuery(
        view=view if view in VIEWS else "work",
        status=LineStatus(status) if status else None,
        project_id=int(project) if project else None,
        due_from=_date_arg("due_from", errors),
        due_to=_date_arg("due_to", errors),
        sort=request.args.get("sort") if request.args.get("sort") in SORTS else "due",
        descending=request.args.get("dir") == "desc",
    )
    return query, errors


def _args(query: QueueQuery) -> dict[str, Any]:
    """The query as URL arguments (for sort, page and export links)."""
    args = {
        "view": query.view if query.view != "work" else None,
        "status": query.status.value if query.status else None,
        "project": query.project_id,
        "due_from": query.due_from.isoformat() if query.due_from else None,
        "due_to": query.due_to.isoformat() if query.due_to else None,
        "sort": query.sort if query.sort != "due" else None,
        "dir": "desc" if query.descending else None,
    }
    return {k: v for k, v in args.items() if v is not None}


def render_queue(*, action_error: str | None = None, status: int = 200):
    """The work list page (also re-rendered by a failed line action with its error)."""
    actor = current_actor()
    if not can(actor, Permission.CONTRACTS_PAYMENT_PREPARE):
        abort(403)
    query, errors = _query_from_args()
    page_no = page_arg()
    today = local_today()
    page = queue_page(db(), actor, query, today, page_no, PER_PAGE)
    projects = (
        db()
        .execute(
            scoped(actor, EmcProject)
            .with_only_columns(EmcProject.id, EmcProject.name)
            .order_by(EmcProject.name)
        )
        .all()
    )
    return render_template(
        "contracts/queue.html",
        page=page,
        query=query,
        args=_args(query),
        errors=errors,
        projects=projects,
        statuses=list(LineStatus),
        today=today,
        window_days=WINDOW_DAYS,
        line_actions=line_actions,
        action_error=action_error,
    ), status


@bp.get("/finance/queue")
@login_required
def queue():
    return render_queue()


# --- export ------------------------------------------------------------------------------------

# Titles marked for extraction (N_); translated when a file is written, in the reader's language.
EXPORT_COLUMNS = (
    (N_("Project"), Kind.TEXT, 40),
    (N_("Contract year"), Kind.INTEGER, 10),
    (N_("Kind"), Kind.TEXT, 18),
    # Who pays whom: some lines run from the ESCO to the institution (a guarantee's shortfall).
    (N_("Payer"), Kind.TEXT, 12),
    (N_("Payee"), Kind.TEXT, 12),
    (N_("Billing period start"), Kind.DATE, 12),
    (N_("Billing period end (exclusive)"), Kind.DATE, 14),
    (N_("Due on"), Kind.DATE, 12),
    (N_("Amount (yuan)"), Kind.MONEY, 16),
    (N_("Status"), Kind.TEXT, 10),
    (N_("Prepared by"), Kind.TEXT, 16),
    (N_("Prepared at (%(zone)s)"), Kind.DATETIME, 18),
    (N_("Approved by"), Kind.TEXT, 16),
    (N_("Approved at (%(zone)s)"), Kind.DATETIME, 18),
    (N_("Paid on"), Kind.DATE, 12),
    (N_("Payment reference"), Kind.TEXT, 20),
)


def _export_rows(rows) -> Iterator[list[Any]]:
    for line, project, prepared_by, approved_by in rows:
        yield [
            project,
            line.contract_year,
            str(LINE_KIND_LABELS[line.kind]),
            str(PARTY_LABELS[line.payer]),
            str(PARTY_LABELS[line.payee]),
            line.period_start,
            line.period_end,
            line.due_on,
            line.amount,
            str(LINE_STATUS_LABELS[line.status]),
            prepared_by,
            line.prepared_at,
            approved_by,
            line.approved_at,
            line.paid_on,
            line.payment_reference,
        ]


@bp.get("/finance/queue.<any(csv, xlsx):fmt>")
@login_required
def queue_export(fmt: str):
    """The queue's current selection (every page) as CSV or XLSX, titles in the page language,
    through the one export helper (typed cells, BOM, formula neutralising)."""
    actor = current_actor()
    if not can(actor, Permission.CONTRACTS_PAYMENT_PREPARE):
        abort(403)
    query, _errors = _query_from_args()
    rows = db().execute(queue_select(actor, query, local_today())).all()
    zone = exports.site_zone()
    table = exports.Table(
        columns=[
            exports.Column(str(_(title, zone=zone) if "%(zone)s" in title else _(title)), kind, w)
            for title, kind, w in EXPORT_COLUMNS
        ],
        rows=_export_rows(rows),
        name=str(_("Payment queue")),
    )
    name = exports.document_name(_("Payment queue"), local_today().isoformat(), ext=fmt)
    if fmt == "csv":
        return exports.csv_download(table, name, zone=zone).response()
    return exports.xlsx_download([table], name, zone=zone).response()


def sort_link(query: QueueQuery, column: str) -> str:
    args = {**_args(query), "sort": column}
    args.pop("dir", None)
    if query.sort == column and not query.descending:
        args["dir"] = "desc"
    return url_for("contracts.queue", **args)


@bp.app_context_processor
def _queue_helpers():
    return {"queue_sort_link": sort_link}

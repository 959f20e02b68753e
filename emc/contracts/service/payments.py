"""The payment workflow of actual lines: prepare → approve (another finance user) → pay, or
hold / release; every step checks the version the user saw and is journalled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from emc import clock, workflow
from emc.auth.actor import Actor
from emc.auth.policy import load
from emc.contracts import finance
from emc.contracts.models import (
    EmcProject,
    LineStatus,
    PaymentLine,
)
from emc.contracts.service._common import LINE_FIELDS
from emc.errors import Conflict, Forbidden, Invalid
from emc.i18n import N_
from emc.messages import msg
from emc.workflow import tables

# The payment date is the institutions' (China).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_today() -> dt.date:
    return clock.now().astimezone(LOCAL_ZONE).date()


def _line_parties(session: Session, line: PaymentLine) -> workflow.Parties:
    return workflow.Parties.of_project(session.get(EmcProject, line.project_id))


LINE = workflow.Binding(
    tables.PAYMENT_LINE,
    PaymentLine,
    _line_parties,
    LINE_FIELDS,
    version_attr="version",
    link=lambda line: f"/projects/{line.project_id}/lines/{line.id}",
)


def _transition(
    session: Session,
    actor: Actor,
    line_id: int,
    version: int | None,
    action: str,
    apply: Callable[[PaymentLine], None],
    check: Callable[[PaymentLine, workflow.Parties], None] | None = None,
) -> PaymentLine:
    """Every review step goes through :func:`emc.workflow.transition` (policy load, version
    the user saw, permission, source state, conditional UPDATE, journal, event); only actual
    lines are in the payment workflow."""

    def guard(line: PaymentLine, parties: workflow.Parties) -> None:
        if line.source is not finance.LineSource.ACTUAL:
            raise Conflict(msg("contracts.projected_lines_forecast_only_actual"))
        if check is not None:
            check(line, parties)

    line = load(session, actor, PaymentLine, line_id)
    return workflow.transition(
        session,
        actor,
        LINE,
        action,
        line_id,
        version=version,
        check=guard,
        apply=apply,
        summary=f"{line.key} {line.amount}",
        params={"amount": line.amount, "due_on": line.due_on},
        obj=line,
    )


def prepare_line(
    session: Session, actor: Actor, line_id: int, *, version: int | None
) -> PaymentLine:
    """Finance prepares a scheduled actual line for payment (records the preparer)."""

    def apply(line: PaymentLine) -> None:
        line.status, line.prepared_by_user_id, line.prepared_at = (
            LineStatus.PREPARED,
            actor.user_id,
            clock.now(),
        )

    return _transition(session, actor, line_id, version, "prepare", apply)


def approve_line(
    session: Session, actor: Actor, line_id: int, *, version: int | None
) -> PaymentLine:
    """A second finance user approves a prepared line. Forbidden to the user who prepared it
    (separation of duties); Conflict if ``version`` is stale (so a line is approved once)."""

    def check(line: PaymentLine, _parties: workflow.Parties) -> None:
        if line.prepared_by_user_id == actor.user_id:
            raise Forbidden(
                msg("contracts.separation_duties_you_prepared_payment"),
                code="separation_of_duties",
            )

    def apply(line: PaymentLine) -> None:
        line.status, line.approved_by_user_id, line.approved_at = (
            LineStatus.APPROVED,
            actor.user_id,
            clock.now(),
        )

    return _transition(session, actor, line_id, version, "approve", apply, check)


def pay_line(
    session: Session,
    actor: Actor,
    line_id: int,
    *,
    version: int | None,
    paid_on: dt.date | None,
    payment_reference: str | None,
) -> PaymentLine:
    """Record the payment of an approved line (bank reference and value date). A stale
    ``version`` is a Conflict, so a line is never paid twice.

    Raises:
        Invalid: no payment reference; a paid date in the future (the institutions' calendar)
            or before the line's period starts (fields ``payment_reference``, ``paid_on``).
    """

    reference = (payment_reference or "").strip()

    def check(line: PaymentLine, _parties: workflow.Parties) -> None:
        problems: dict[str, list[str]] = {}
        if not reference:
            problems["payment_reference"] = [N_("the bank's payment reference is required")]
        if paid_on is None:
            problems["paid_on"] = [N_("the date of payment is required")]
        elif paid_on > local_today():
            problems["paid_on"] = [N_("a payment date cannot be in the future")]
        elif paid_on < line.period_start:
            problems["paid_on"] = [N_("a payment date cannot be before the period starts")]
        if problems:
            raise Invalid(
                msg("contracts.payment_not_recorded"),
                fields=problems,
            )

    def apply(line: PaymentLine) -> None:
        line.status, line.paid_on, line.payment_reference, line.paid_by_user_id = (
            LineStatus.PAID,
            paid_on,
            reference,
            actor.user_id,
        )

    return _transition(session, actor, line_id, version, "pay", apply, check)


def hold_line(
    session: Session, actor: Actor, line_id: int, *, version: int | None, reason: str
) -> PaymentLine:
    """Put an unpaid actual line on hold with a reason (e.g. an M&V dispute)."""

    def apply(line: PaymentLine) -> None:
        line.status, line.hold_reason = LineStatus.ON_HOLD, reason

    return _transition(session, actor, line_id, version, "hold", apply)


def release_line(
    session: Session, actor: Actor, line_id: int, *, version: int | None
) -> PaymentLine:
    """Release a hold. A line that had been prepared returns to ``prepared`` and any earlier
    approval is withdrawn (the held amount must be approved afresh); otherwise ``scheduled``."""

    def apply(line: PaymentLine) -> None:
        line.status = LineStatus.PREPARED if line.prepared_by_user_id else LineStatus.SCHEDULED
        line.approved_by_user_id, line.approved_at, line.hold_reason = None, None, None

    return _transition(session, actor, line_id, version, "release", apply)

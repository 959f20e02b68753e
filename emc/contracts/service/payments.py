"""The payment workflow of actual lines: prepare → approve (another finance user) → pay, or
hold / release; every step checks the version the user saw and is journalled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from emc import clock, journal
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.contracts import finance
from emc.contracts.models import (
    EmcProject,
    LineStatus,
    PaymentLine,
)
from emc.contracts.service._common import LINE_FIELDS, log
from emc.errors import Conflict, Forbidden


@dataclass(frozen=True)
class _Step:
    """One move of the finance review: its journal action, who may do it, from which states."""

    action: str
    permission: Permission
    allowed: frozenset[LineStatus]


_PREPARE = _Step("prepare", Permission.CONTRACTS_PAYMENT_PREPARE, frozenset({LineStatus.SCHEDULED}))
_APPROVE = _Step("approve", Permission.CONTRACTS_PAYMENT_APPROVE, frozenset({LineStatus.PREPARED}))
_PAY = _Step("pay", Permission.CONTRACTS_PAYMENT_PAY, frozenset({LineStatus.APPROVED}))
_HOLD = _Step(
    "hold",
    Permission.CONTRACTS_PAYMENT_PREPARE,
    frozenset({LineStatus.SCHEDULED, LineStatus.PREPARED, LineStatus.APPROVED}),
)
_RELEASE = _Step("release", Permission.CONTRACTS_PAYMENT_PREPARE, frozenset({LineStatus.ON_HOLD}))


def _transition(
    session: Session,
    actor: Actor,
    line_id: int,
    version: int,
    step: _Step,
    apply: Callable[[PaymentLine], None],
) -> PaymentLine:
    """The one path of every review step: load the line (404 for another tenant), check the
    permission, that it is an actual line, that ``version`` is the one the user saw and that
    the step is allowed from its state; ``apply`` the change; flush with the optimistic lock
    (a concurrent change is a Conflict, never a double payment); journal before and after."""
    action, allowed = step.action, step.allowed
    line = load(session, actor, PaymentLine, line_id)
    require(actor, step.permission)
    if line.source is not finance.LineSource.ACTUAL:
        raise Conflict("projected lines are the forecast: only actual lines are paid")
    if version != line.version:
        raise Conflict(
            f"this payment line has changed since you loaded it (version {version}, now "
            f"{line.version}, status {line.status}): reload and check before you {action} it",
            fields={"version": [f"stale: the current version is {line.version}"]},
        )
    if line.status not in allowed:
        raise Conflict(
            f"a {line.status} line cannot be {action}d",
            fields={"status": [f"must be one of {', '.join(sorted(allowed))}"]},
        )
    before = journal.snapshot(line, LINE_FIELDS)
    apply(line)
    try:
        # The UPDATE is conditional on the version read: a concurrent change makes it miss.
        session.flush()
    except StaleDataError:
        raise Conflict(
            f"this payment line was changed by someone else at the same time: reload before you "
            f"{action} it",
            fields={"version": ["stale"]},
        ) from None
    project = session.get(EmcProject, line.project_id)
    journal.record(
        session,
        actor,
        action,
        line,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(line, LINE_FIELDS),
        summary=f"{line.key} {line.amount}",
    )
    log.info("payment line %s %s by %s", line.id, action, actor.label)
    return line


def prepare_line(session: Session, actor: Actor, line_id: int, *, version: int) -> PaymentLine:
    """Finance prepares a scheduled actual line for payment (records the preparer)."""

    def apply(line: PaymentLine) -> None:
        line.status, line.prepared_by_user_id, line.prepared_at = (
            LineStatus.PREPARED,
            actor.user_id,
            clock.now(),
        )

    return _transition(session, actor, line_id, version, _PREPARE, apply)


def approve_line(session: Session, actor: Actor, line_id: int, *, version: int) -> PaymentLine:
    """A second finance user approves a prepared line. Forbidden to the user who prepared it
    (separation of duties); Conflict if ``version`` is stale (so a line is approved once)."""

    def apply(line: PaymentLine) -> None:
        if line.prepared_by_user_id == actor.user_id:
            raise Forbidden(
                "separation of duties: you prepared this payment line, so another finance "
                "user must approve it",
                code="separation_of_duties",
            )
        line.status, line.approved_by_user_id, line.approved_at = (
            LineStatus.APPROVED,
            actor.user_id,
            clock.now(),
        )

    return _transition(session, actor, line_id, version, _APPROVE, apply)


def pay_line(
    session: Session,
    actor: Actor,
    line_id: int,
    *,
    version: int,
    paid_on: dt.date,
    payment_reference: str,
) -> PaymentLine:
    """Record the payment of an approved line (bank reference and value date). A stale
    ``version`` is a Conflict, so a line is never paid twice."""

    def apply(line: PaymentLine) -> None:
        line.status, line.paid_on, line.payment_reference, line.paid_by_user_id = (
            LineStatus.PAID,
            paid_on,
            payment_reference,
            actor.user_id,
        )

    return _transition(session, actor, line_id, version, _PAY, apply)


def hold_line(
    session: Session, actor: Actor, line_id: int, *, version: int, reason: str
) -> PaymentLine:
    """Put an unpaid actual line on hold with a reason (e.g. an M&V dispute)."""

    def apply(line: PaymentLine) -> None:
        line.status, line.hold_reason = LineStatus.ON_HOLD, reason

    return _transition(session, actor, line_id, version, _HOLD, apply)


def release_line(session: Session, actor: Actor, line_id: int, *, version: int) -> PaymentLine:
    """Release a hold. A line that had been prepared returns to ``prepared`` and any earlier
    approval is withdrawn (the held amount must be approved afresh); otherwise ``scheduled``."""

    def apply(line: PaymentLine) -> None:
        line.status = LineStatus.PREPARED if line.prepared_by_user_id else LineStatus.SCHEDULED
        line.approved_by_user_id, line.approved_at, line.hold_reason = None, None, None

    return _transition(session, actor, line_id, version, _RELEASE, apply)

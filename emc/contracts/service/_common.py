"""What the contracts use cases share: journalled field lists, the finance-error mapping, the
contract of a project, bounded ``IN`` lists."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from emc.contracts import finance
from emc.contracts.models import Contract
from emc.errors import Conflict, Invalid
from emc.messages import machine as machine_word
from emc.messages import msg

log = logging.getLogger("emc.contracts.service")


PROJECT_FIELDS = (
    "organization_id",
    "esco_organization_id",
    "name",
    "status",
    "termination_reason",
    "signed_on",
    "works_accepted_on",
    "operation_start_on",
    "term_end_on",
    "total_investment",
    "investor",
    "ecms",
)


LINE_FIELDS = (
    "status",
    "version",
    "amount",
    "due_on",
    "hold_reason",
    "prepared_by_user_id",
    "approved_by_user_id",
    "paid_by_user_id",
    "paid_on",
    "payment_reference",
)


# Line attributes that come from the finance core; regeneration compares and sets these.
COMPUTED = (
    "source",
    "kind",
    "component",
    "contract_year",
    "period_start",
    "period_end",
    "due_on",
    "payer",
    "payee",
    "amount",
    "basis",
)


# Fixed obligations (not waiting for M&V) are regenerated with the projected schedule.
FIXED_KINDS = frozenset(
    {
        finance.LineKind.GUARANTEE_FEE,
        finance.LineKind.CUSTODY_FEE,
        finance.LineKind.OM_FEE,
        finance.LineKind.TRUE_UP,
        finance.LineKind.LEASE_RENT,
        finance.LineKind.LEASE_RESIDUAL,
    }
)


def contract_of(session: Session, project_id: int) -> Contract | None:
    return session.scalar(select(Contract).where(Contract.project_id == project_id))


def finance_error(error: finance.FinanceInputError) -> Invalid:
    """The finance core's error (or errors, :class:`~emc.contracts.finance.ContractTermsErrors`)
    as Invalid naming each bad field by its path in the request."""
    fields: dict[str, list] = {}
    for one in finance.each_error(error):
        fields.setdefault(_finance_path(one), []).append(one.message)
    return Invalid(msg("contracts.terms_invalid"), fields=fields)


def _finance_path(error: finance.FinanceInputError) -> str:
    if isinstance(error, finance.SavingsInputError) and error.field.startswith("estimates"):
        return "savings_estimates" + error.field[len("estimates") :]
    if error.field.startswith("adjustments"):
        # An agreed custody fee adjustment that no longer fits (amended) terms.
        return "custody_adjustments" + error.field[len("adjustments") :]
    return f"terms.{error.field}"


def add_numbered(session: Session, row: object, what: str) -> None:
    """Add and flush ``row``, whose per-contract ``number`` was read as the next free one.

    Two proposals at the same moment can read the same number; the database's unique key
    stops the second, which becomes a 409 (inside a savepoint, so the request's transaction
    stays usable) instead of a server error.

    Raises:
        Conflict: another ``what`` took the number (or the same unique value) meanwhile.
    """
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        raise Conflict(msg("contracts.proposed_same_moment", what=machine_word(what))) from error


def chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    # Bounded IN lists: SQLite caps bound parameters per statement.
    for i in range(0, len(ids), size):
        yield ids[i : i + size]

"""The counting rule in SQL: the twin of :func:`emc.programme.stats.count_decision`.

Written once here and used by the dashboard service, the snapshots and the summary table
(``emc.programme.summary``); the tests check that it agrees with the pure function.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, and_, func, literal, or_

from emc.contracts.models import Contract, EmcProject, ProjectStatus
from emc.programme import stats


def counted() -> ColumnElement[bool]:
    """Signed, in a signed status, and not terminated before operation started."""
    signed = [ProjectStatus(s) for s in sorted(stats.SIGNED_STATUSES)]
    return and_(
        EmcProject.signed_on.is_not(None),
        EmcProject.status.in_(signed),
        or_(
            EmcProject.status != ProjectStatus.TERMINATED,
            EmcProject.operation_start_on.is_not(None),
        ),
    )


def contract_type_key() -> ColumnElement[str]:
    """The contract type of a project joined to its contract; "none" without a contract yet."""
    return func.coalesce(Contract.contract_type, literal("none"), type_=String(30))

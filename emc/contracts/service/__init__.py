"""Use cases for EMC projects, contracts, amendments and payment schedules.

Each function takes ``(session, actor, *, ...)``, loads through the scoped loader first (another
tenant's object is 404), then checks the permission (403), flushes but never commits, and
journals what it changed. Money is ``Decimal`` yuan throughout; the finance core computes every
amount and names the offending field of bad terms, which is mapped onto ``Invalid.fields``.

The modules: :mod:`._common` (field lists, error mapping), :mod:`.projects`, :mod:`.contracts`
(terms and amendments), :mod:`.adjustments` (agreed custody fee
adjustments), :mod:`.schedules` (generation, M&V lines, reading), :mod:`.payments`
(the finance review workflow), :mod:`.economics`. Import them through this package
(``from emc.contracts import service``; ``service.create_project(...)``).
"""

from __future__ import annotations

from emc.contracts import notices as _notices  # noqa: F401 - registers the payee's notice
from emc.contracts.service._common import (
    LINE_FIELDS,
    PROJECT_FIELDS,
)
from emc.contracts.service.adjustments import (
    agree_custody_adjustment,
    agreed_adjustments,
    list_custody_adjustments,
    propose_custody_adjustment,
    reject_custody_adjustment,
    withdraw_custody_adjustment,
)
from emc.contracts.service.contracts import (
    agree_amendment,
    check_terms,
    get_amendment,
    get_contract,
    list_amendments,
    propose_project_amendment,
    reject_amendment,
    set_contract_terms,
    stale_amendments,
    withdraw_amendment,
)
from emc.contracts.service.economics import (
    HALF,
    ProjectEconomics,
    economics_assumptions,
    project_economics,
)
from emc.contracts.service.payments import (
    approve_line,
    hold_line,
    pay_line,
    prepare_line,
    release_line,
)
from emc.contracts.service.projects import (
    CONSENT_FIELDS,
    DATE_ORDER,
    create_project,
    date_order_errors,
    get_project,
    list_projects,
    move_project,
    projects_query,
    sign_project,
    update_project,
)
from emc.contracts.service.schedules import (
    UpsertReport,
    finance_queue,
    get_line,
    line_values,
    list_lines,
    record_actual_savings,
    regenerate_schedule,
    regenerate_schedules,
)

__all__ = [
    "DATE_ORDER",
    "date_order_errors",
    "propose_project_amendment",
    "reject_amendment",
    "reject_custody_adjustment",
    "withdraw_amendment",
    "withdraw_custody_adjustment",
    "CONSENT_FIELDS",
    "move_project",
    "sign_project",
    "HALF",
    "LINE_FIELDS",
    "PROJECT_FIELDS",
    "ProjectEconomics",
    "UpsertReport",
    "agree_amendment",
    "agree_custody_adjustment",
    "agreed_adjustments",
    "approve_line",
    "check_terms",
    "create_project",
    "economics_assumptions",
    "finance_queue",
    "get_contract",
    "get_line",
    "get_project",
    "hold_line",
    "line_values",
    "get_amendment",
    "list_amendments",
    "stale_amendments",
    "list_custody_adjustments",
    "list_lines",
    "list_projects",
    "projects_query",
    "pay_line",
    "prepare_line",
    "project_economics",
    "propose_custody_adjustment",
    "record_actual_savings",
    "regenerate_schedule",
    "regenerate_schedules",
    "release_line",
    "set_contract_terms",
    "update_project",
]

"""Use cases of energy audits: commissioning, the auditor's data, review, revisions, accounts,
indicators against quotas, ECMs and the project proposals made from them, and quotas.

Each function takes ``(session, actor, ...)``, loads through the scoped loader first (another
tenant's audit is 404), then checks the permission (403), flushes but never commits, and journals
what it changed. Who does what: the institution (admin, energy manager) commissions an audit
naming the auditor organisation, accepts or returns it, and turns ECMs into a proposal; the
auditor records scope details, consumption and ECMs and submits; agencies read the audits of
their region subtree and maintain quotas for it.

An audit is editable while draft or returned; submitted waits for review; accepted is immutable
and is changed only by a new version (:func:`revise_audit`). The factor set is recorded in the
audit when it is commissioned and again at each submission, and never after acceptance.

The modules: :mod:`.records` (field lists, loading, scope, factor snapshot, consumption rows),
:mod:`.workflow` (commission, change, submit, accept, return, revise; their notifications come
from the workflow's events, :mod:`emc.workflow.notify`), :mod:`.consumption` (bills and meter totals), :mod:`.ecms` (measures and
proposals), :mod:`.custody` (energy-cost custody contracts), :mod:`.accounting` (accounts and
indicators), :mod:`.quotas`, :mod:`.exports` (workbook and PDF report), :mod:`.labels` (msgids of
enumerations), :mod:`.demo` (demo data).
"""

from emc.audit.service.accounting import AuditFigures, figures
from emc.audit.service.consumption import add_bills, consumption_from_meters, list_consumption
from emc.audit.service.custody import create_custody_contract, custody_baseline
from emc.audit.service.demo import DEMO_TARIFFS, build_demo_audits
from emc.audit.service.ecms import add_ecm, create_proposal, list_ecms, update_ecm
from emc.audit.service.exports import (
    export_workbook,
    import_workbook,
    indicator_rows,
    report_pdf,
    workbook_lines,
)
from emc.audit.service.labels import (
    BUILDING_TYPE_LABELS,
    CATEGORY_LABELS,
    CONTRACT_LABELS,
    ECM_STATUS_LABELS,
    END_USE_LABELS,
    FLAG_LABELS,
    LEVEL_LABELS,
    QUOTA_LEVEL_LABELS,
    STATUS_LABELS,
)
from emc.audit.service.quotas import create_quota, find_quota, list_quotas
from emc.audit.service.records import (
    AUDIT_FIELDS,
    COMMISSION_FIELDS,
    ECM_FIELDS,
    ECM_TRANSITIONS,
    MAX_BASE_YEARS,
    QUOTA_FIELDS,
    RECORD_FIELDS,
    audits_query,
    get_audit,
    list_audits,
    scope_ids,
    scope_of,
)
from emc.audit.service.workflow import (
    accept_audit,
    create_audit,
    return_audit,
    revise_audit,
    submit_audit,
    update_audit,
)
from emc.energy_labels import CARRIER_LABELS

__all__ = [
    "AUDIT_FIELDS",
    "AuditFigures",
    "BUILDING_TYPE_LABELS",
    "CARRIER_LABELS",
    "CATEGORY_LABELS",
    "COMMISSION_FIELDS",
    "CONTRACT_LABELS",
    "DEMO_TARIFFS",
    "ECM_FIELDS",
    "ECM_STATUS_LABELS",
    "ECM_TRANSITIONS",
    "END_USE_LABELS",
    "FLAG_LABELS",
    "LEVEL_LABELS",
    "MAX_BASE_YEARS",
    "QUOTA_FIELDS",
    "QUOTA_LEVEL_LABELS",
    "RECORD_FIELDS",
    "STATUS_LABELS",
    "accept_audit",
    "add_bills",
    "add_ecm",
    "build_demo_audits",
    "consumption_from_meters",
    "create_audit",
    "create_custody_contract",
    "create_proposal",
    "create_quota",
    "custody_baseline",
    "export_workbook",
    "figures",
    "find_quota",
    "get_audit",
    "import_workbook",
    "indicator_rows",
    "list_audits",
    "audits_query",
    "list_consumption",
    "list_ecms",
    "list_quotas",
    "report_pdf",
    "return_audit",
    "revise_audit",
    "scope_ids",
    "scope_of",
    "submit_audit",
    "update_audit",
    "update_ecm",
    "workbook_lines",
]

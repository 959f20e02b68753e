"""M&V use cases: plans, baselines, reports and adjustments (one function per user action).

Each takes ``(session, actor, ...)``, loads through the scoped loader (another tenant's object
is 404), checks the permission and the party (an ESCO never approves a baseline or accepts a
report; an institution never proposes or submits on the ESCO's behalf), flushes but never
commits, and journals what it changed. Modules: :mod:`.plans`, :mod:`.baselines`,
:mod:`.reports`, :mod:`.measurements` (option A), :mod:`.evidence` (files), and
:mod:`.compute` (the computations from stored data, no access checks).
"""

from emc.mv.service.baselines import (
    approve_baseline,
    approved_baseline,
    baseline_evidence,
    data_changed,
    get_baseline,
    get_baseline_evidence,
    list_baselines,
    propose_baseline,
    reject_baseline,
    simulation_from_upload,
)
from emc.mv.service.evidence import MAX_EVIDENCE_BYTES
from emc.mv.service.measurements import (
    add_measurement,
    evidence_of_measurements,
    get_measurement,
    get_measurement_evidence,
    list_measurements,
)
from emc.mv.service.plans import get_plan, plan_of, put_plan
from emc.mv.service.reports import (
    accept_report,
    add_adjustment,
    adjustments_of,
    agree_adjustment,
    check_staleness,
    dispute_report,
    draft_report,
    evidence_of,
    get_evidence,
    get_report,
    list_reports,
    revise_report,
    submit_report,
    versions_of,
)

__all__ = [
    "MAX_EVIDENCE_BYTES",
    "accept_report",
    "add_adjustment",
    "add_measurement",
    "adjustments_of",
    "agree_adjustment",
    "approve_baseline",
    "approved_baseline",
    "baseline_evidence",
    "check_staleness",
    "data_changed",
    "dispute_report",
    "draft_report",
    "evidence_of",
    "evidence_of_measurements",
    "get_baseline",
    "get_baseline_evidence",
    "get_evidence",
    "get_measurement",
    "get_measurement_evidence",
    "get_plan",
    "get_report",
    "list_baselines",
    "list_measurements",
    "list_reports",
    "plan_of",
    "propose_baseline",
    "put_plan",
    "reject_baseline",
    "revise_report",
    "simulation_from_upload",
    "submit_report",
    "versions_of",
]

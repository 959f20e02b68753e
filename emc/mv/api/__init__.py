"""JSON API of the M&V workflow under ``/api/v1/projects/{project_id}``: the plan, baselines
(propose, approve, reject, PDF, option D evidence), reports (draft, submit, accept, dispute,
revise, PDF), non-routine adjustments (propose with evidence files, agree, download evidence)
and option A measurements (enter with evidence files, list, download evidence).

:mod:`.common` holds the blueprint and the helpers the pages share; the routes are in
:mod:`.plan`, :mod:`.reports` and :mod:`.measurements` (imported here to register them).
"""

from emc.mv.api import measurements, plan, reports  # noqa: F401 (registers the routes)
from emc.mv.api.common import (
    adjustment_from_request,
    adjustment_payloads,
    baseline_in,
    baseline_payload,
    blp,
    measurement_from_request,
    measurement_payloads,
    pdf_context,
    report_in,
    report_payload,
    uploaded_files,
)

__all__ = [
    "adjustment_from_request",
    "adjustment_payloads",
    "baseline_in",
    "baseline_payload",
    "blp",
    "measurement_from_request",
    "measurement_payloads",
    "pdf_context",
    "report_in",
    "report_payload",
    "uploaded_files",
]

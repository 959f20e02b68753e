"""A verdict needs data, and a failing baseline needs a reason: the checks the baseline and
report transitions call (one function each, so the workflow mechanism can call them as they
are).

* :func:`check_report_submission`: a report whose period fails CalTRACK data sufficiency
  (:mod:`.compute.sufficiency`) shows "insufficient data" and cannot be submitted until the
  missing data are uploaded and the draft recomputed.
* :func:`check_baseline_approval`: a baseline that fails ASHRAE Guideline 14 (or whose data
  are insufficient) is approved only with an explicit override reason, which is recorded on
  the baseline and shown wherever it is used.
"""

from __future__ import annotations

from typing import Any

from emc.errors import Conflict, Invalid
from emc.messages import Joined, msg

INSUFFICIENT = "insufficient_data"
PASSED = "passed"
FAILED = "failed"
UPLOAD_HINT = (
    "insufficient data: upload the missing meter readings (and weather temperatures), then "
    "recompute the draft"
)
OVERRIDE_REQUIRED = "required: the baseline fails ASHRAE Guideline 14 or lacks data"


def status_of(verdict: dict[str, Any] | None) -> str:
    """``passed``, ``failed`` or ``insufficient_data`` of a stored report verdict (older
    verdicts without a status: by ``passed``)."""
    verdict = verdict or {}
    if verdict.get("status"):
        return verdict["status"]
    return PASSED if verdict.get("passed") else FAILED


def report_verdict(meter_verdicts: list[dict], sufficiency: dict[str, Any]) -> dict[str, Any]:
    """The report's verdict: insufficient data wins over pass and fail (never a pass)."""
    passed = all(v["passed"] for v in meter_verdicts)
    status = INSUFFICIENT if not sufficiency["sufficient"] else PASSED if passed else FAILED
    return {
        "passed": passed and sufficiency["sufficient"],
        "status": status,
        "meters": meter_verdicts,
        "sufficiency": sufficiency,
    }


def missing_summary(sufficiency: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per meter short of data: what is missing (for the page and the refusal)."""
    out = []
    for m in (sufficiency or {}).get("meters", []):
        if m.get("sufficient", True):
            continue
        out.append(
            {
                "meter_id": m["meter_id"],
                "meter_name": m.get("meter_name"),
                "problems": m["problems"],
                "missing_usage": m.get("missing_usage", []),
                "missing_temperature": m.get("missing_temperature", []),
                "months": [x for x in m.get("months", []) if x["fraction"] < 0.9],
            }
        )
    return out


def check_report_submission(report) -> None:
    """Conflict (code ``insufficient_data``) naming each meter's missing days when the
    report's period lacks data; nothing to do otherwise."""
    verdict = report.verdict or {}
    if status_of(verdict) != INSUFFICIENT:
        return
    fields: dict[str, list[str]] = {"data": [UPLOAD_HINT]}
    raise Conflict(
        msg("mv.report_insufficient", days=missing_days(verdict.get("sufficiency"))),
        fields=fields,
        code=INSUFFICIENT,
    )


# What each kind of missing range is called, for one day and for several.
_MISSING = {
    "missing_usage": ("mv.missing_usage_day", "mv.missing_usage_days"),
    "missing_temperature": ("mv.missing_temperature_day", "mv.missing_temperature_days"),
}
SHOWN_RANGES = 20


def missing_days(sufficiency: dict[str, Any] | None) -> Joined:
    """Each meter's missing days (usage, then temperature) as messages, first and last day
    inclusive: "HVAC: no usage data 2025-02-01 to 2025-02-28"; at most :data:`SHOWN_RANGES`,
    then how many more."""
    parts = []
    for m in missing_summary(sufficiency):
        meter = m["meter_name"] or str(m["meter_id"])
        for kind, (one, several) in _MISSING.items():
            for r in m[kind]:
                if r["start"] == r["end"]:
                    parts.append(msg(one, meter=meter, day=r["start"]))
                else:
                    parts.append(msg(several, meter=meter, first=r["start"], last=r["end"]))
    if len(parts) > SHOWN_RANGES:
        parts = [*parts[:SHOWN_RANGES], msg("mv.missing_more", count=len(parts) - SHOWN_RANGES)]
    return Joined(parts)


def check_baseline_approval(baseline, override_reason: str | None) -> str | None:
    """The override reason to record: None for a passing baseline; the stripped reason for a
    failing one. Invalid naming ``override_reason`` when a failing baseline has none."""
    reason = (override_reason or "").strip() or None
    if baseline.verdict_passed:
        return None
    if reason is None:
        raise Invalid(
            msg("mv.baseline_fails_ashrae_guideline_14"),
            fields={"override_reason": [OVERRIDE_REQUIRED]},
        )
    return reason

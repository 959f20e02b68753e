"""Baselines: proposed by the ESCO from stored data, approved or rejected by the institution.

An approved baseline is frozen: approving or rejecting it again is a Conflict, and the models
refuse any UPDATE of its figures. A change is a new version with a reason, approved again; the
new approval supersedes the old version, which stays readable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from emc import clock, journal, workflow
from emc.auth.actor import Actor
from emc.auth.policy import load, scoped
from emc.contracts.models import EmcProject
from emc.errors import Conflict, Invalid, NotFound
from emc.facilities import rollup
from emc.facilities.models import Meter
from emc.messages import msg, record
from emc.messages import state as state_word
from emc.mv import data
from emc.mv.models import Baseline, BaselineStatus, MvEvidenceFile
from emc.mv.service import compute, evidence, verdicts
from emc.mv.service._common import esco_side, institution_side, project_for
from emc.mv.service.compute.simulation_file import parse_simulation_file
from emc.mv.service.plans import plan_of
from emc.workflow import tables

log = logging.getLogger(__name__)

BASELINE_FIELDS = (
    "status",
    "decided_by_user_id",
    "decision_comment",
    "override_reason",
    "version",
    "reason",
)


def list_baselines(session: Session, actor: Actor, project_id: int) -> list[Baseline]:
    """Every version of a visible project's baseline, newest first."""
    project = project_for(session, actor, project_id)
    stmt = scoped(actor, Baseline).where(Baseline.project_id == project.id)
    return list(session.scalars(stmt.order_by(Baseline.version.desc())))


def get_baseline(session: Session, actor: Actor, baseline_id: int) -> Baseline:
    """One visible baseline version (NotFound otherwise)."""
    baseline = load(session, actor, Baseline, baseline_id)
    project_for(session, actor, baseline.project_id)
    return baseline


def approved_baseline(session: Session, project_id: int) -> Baseline | None:
    """The project's current approved baseline (the newest approved version)."""
    return session.scalar(
        select(Baseline)
        .where(Baseline.project_id == project_id, Baseline.status == BaselineStatus.APPROVED)
        .order_by(Baseline.version.desc())
        .limit(1)
    )


def data_changed(session: Session, baseline: Baseline) -> bool:
    """Whether the stored meter or weather data under the baseline differ from what it was
    fitted on (its inputs fingerprint no longer matches)."""
    inputs = compute.baseline_inputs(
        session, baseline.models, baseline.start_date, baseline.end_date
    )
    if data.fingerprint(inputs) != baseline.inputs_sha256:
        return True
    # Daily series read whole days from the rollup: check it still matches the raw rows.
    for i in inputs:
        if isinstance(i, data.DailyInputs):
            zone = ZoneInfo(i.timezone)
            lo, hi = data.epoch(i.start, zone), data.epoch(i.end, zone)
            if rollup.drifted(session, i.meter_id, i.timezone, lo, hi):
                return True
    return False


def _simulation_texts(simulations: list[dict]) -> list[evidence.Upload]:
    """The option D results sent as text (the API), as files to keep with the baseline."""
    out = []
    for sim in simulations:
        for part in ("calibration", "baseline"):
            out.append(
                (
                    f"option-d-meter-{sim['meter_id']}-{sim['interval']}-{part}.csv",
                    "text/csv",
                    sim[f"{part}_csv"].encode("utf-8"),
                )
            )
    return out


def baseline_evidence(session: Session, baseline: Baseline) -> list[MvEvidenceFile]:
    """The evidence files kept with a baseline (option D simulation results)."""
    return evidence.files_of(session, MvEvidenceFile.baseline_id, [baseline.id])[baseline.id]


def get_baseline_evidence(
    session: Session, actor: Actor, baseline_id: int, file_id: int
) -> MvEvidenceFile:
    """One evidence file of a visible baseline (NotFound otherwise)."""
    baseline = get_baseline(session, actor, baseline_id)
    found = load(session, actor, MvEvidenceFile, file_id)
    if found.baseline_id != baseline.id:
        raise NotFound(msg("not_found", what=record("EvidenceFile"), id=file_id))
    return found


def simulation_from_upload(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    meter_id: int,
    interval: str,
    filename: str,
    content: bytes,
) -> dict:
    """The option D simulation of one meter of the plan from an uploaded CSV or XLSX table
    (see :mod:`.compute.simulation_file`), ready for :func:`propose_baseline`.

    Raises:
        Conflict: no plan. Invalid: not an option D meter of the plan, or the file's problems
            by row and column (field ``simulation_file_<meter_id>``).
    """
    project = project_for(session, actor, project_id)
    plan = plan_of(session, project.id)
    if plan is None:
        raise Conflict(msg("mv.write_m_v_plan_first"), fields={"plan": [msg("mv.missing")]})
    field = f"simulation_file_{meter_id}"
    if {int(b["meter_id"]): b["option"] for b in plan.boundary}.get(meter_id) != "D":
        raise Invalid(
            msg("mv.simulation_results_uploaded_for_plan"),
            fields={field: [msg("mv.not_option_d_meter_m")]},
        )
    meter = session.get(Meter, meter_id)
    return parse_simulation_file(
        content,
        filename,
        meter_id=meter_id,
        interval=interval,
        unit=meter.unit,
        baseline_start=plan.baseline_start,
        baseline_end=plan.baseline_end,
        field=field,
    )


def propose_baseline(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    reason: str | None = None,
    allow_insufficient: bool = False,
    simulations: list[dict] | None = None,
    simulation_files: Sequence[evidence.Upload] = (),
) -> Baseline:
    """Fit and propose a baseline version from stored data (the project's ESCO).

    Option D meters take their ``simulations`` (see :func:`.compute.fit_baseline`); the
    simulation results are kept as evidence of the baseline: the uploaded
    ``simulation_files`` as they came (the page), else each simulation's CSV texts (the API).

    Uses the plan's boundary, method and baseline period. Once a version has been approved, a
    new one needs a ``reason``. A still pending proposal is superseded by the new one.

    Raises:
        Forbidden: not the project's ESCO. Conflict: no plan. Invalid: insufficient data
            (unless ``allow_insufficient``), unsupported method or option, missing reason.
    """
    project = project_for(session, actor, project_id)
    esco_side(actor, project)
    plan = plan_of(session, project.id)
    if plan is None:
        raise Conflict(msg("mv.write_m_v_plan_first"), fields={"plan": [msg("mv.missing")]})
    current = approved_baseline(session, project.id)
    if current is not None and not (reason or "").strip():
        raise Invalid(
            msg("mv.new_version_approved_baseline_needs"),
            fields={"reason": [msg("mv.required_baseline_has_approved_version")]},
        )
    files = list(simulation_files) or _simulation_texts(simulations or [])
    evidence.check_files(files, field="simulations")
    models, inputs = compute.fit_baseline(
        session, plan, allow_insufficient=allow_insufficient, simulations=simulations
    )
    version = (
        session.scalar(select(func.max(Baseline.version)).where(Baseline.project_id == project.id))
        or 0
    ) + 1
    now = clock.now()
    for pending in session.scalars(
        select(Baseline).where(
            Baseline.project_id == project.id, Baseline.status == BaselineStatus.PROPOSED
        )
    ):
        pending.status = BaselineStatus.SUPERSEDED
        journal.record(
            session,
            actor,
            "supersede",
            pending,
            organization_id=project.organization_id,
            before={"status": "proposed"},
            after={"status": "superseded"},
            summary=f"withdrawn by version {version}",
        )
    warnings = [w | {"meter_id": m["meter_id"]} for m in models for w in m["warnings"]]
    sufficiency = compute.sufficiency.assess(
        [
            (m, series, compute.is_option_a(m) or compute.is_option_d(m))
            for m, series in zip(models, inputs, strict=True)
        ]
    )
    baseline = Baseline(
        project_id=project.id,
        version=version,
        status=BaselineStatus.PROPOSED,
        reason=(reason or "").strip() or None,
        plan_version=plan.version,
        method=plan.method,
        start_date=plan.baseline_start,
        end_date=plan.baseline_end,
        acceptance=dict(plan.acceptance),
        models=models,
        # A verdict needs data: a baseline short of it never passes.
        verdict_passed=all(m["verdict"]["passed"] for m in models) and sufficiency["sufficient"],
        sufficiency=sufficiency,
        warnings=warnings,
        inputs_sha256=data.fingerprint(inputs),
        proposed_by_user_id=actor.user_id,
        proposed_at=now,
        supersedes_id=current.id if current is not None else None,
    )
    try:
        with session.begin_nested():
            session.add(baseline)
            session.flush()
    except (IntegrityError, StaleDataError):
        raise Conflict(
            msg("mv.another_baseline_version_was_proposed"),
            fields={"version": [msg("mv.taken")]},
        ) from None
    stored = evidence.store_files(session, actor, project.id, files, baseline_id=baseline.id)
    journal.record(
        session,
        actor,
        "propose",
        baseline,
        organization_id=project.organization_id,
        after={
            "version": version,
            "method": str(plan.method),
            "period": f"{plan.baseline_start} – {plan.baseline_end}",
            "inputs_sha256": baseline.inputs_sha256,
            "verdict_passed": baseline.verdict_passed,
            "reason": baseline.reason,
            "evidence": [{"filename": f.filename, "sha256": f.sha256} for f in stored],
        },
        summary=f"baseline version {version} proposed",
    )
    workflow.created(session, actor, BASELINE, baseline, version=version)
    log.info(
        "baseline %s (project %s v%s) proposed by %s", baseline.id, project.id, version, actor.label
    )
    return baseline


def _baseline_parties(session: Session, baseline: Baseline) -> workflow.Parties:
    return workflow.Parties.of_project(session.get(EmcProject, baseline.project_id))


BASELINE = workflow.Binding(
    tables.BASELINE,
    Baseline,
    _baseline_parties,
    BASELINE_FIELDS,
    link=lambda b: f"/projects/{b.project_id}/mv/baselines/{b.id}",
)


def _decide(
    session: Session,
    actor: Actor,
    baseline_id: int,
    *,
    approve: bool,
    comment: str,
    version: int | None,
    override_reason: str | None = None,
) -> Baseline:
    baseline = load(session, actor, Baseline, baseline_id)
    project = project_for(session, actor, baseline.project_id)
    institution_side(actor, project)
    if baseline.status is not BaselineStatus.PROPOSED and (
        version is None or version == baseline.row_version
    ):
        frozen = baseline.status is BaselineStatus.APPROVED
        raise Conflict(
            msg(
                "mv.baseline_frozen_version" if frozen else "mv.baseline_decided",
                version=baseline.version,
                state=state_word(baseline.status),
            ),
            fields={"status": [msg("mv.not_proposed", state=state_word(baseline.status))]},
            code="frozen" if frozen else "conflict",
        )

    override: str | None = None

    def check(row: Baseline, _parties: workflow.Parties) -> None:
        nonlocal override
        if not approve and not comment.strip():
            raise Invalid(
                msg("mv.rejection_needs_comment"), fields={"comment": [msg("field.required")]}
            )
        # A baseline failing G14 (or short of data) is approved only with a recorded reason.
        if approve:
            _refuse_open_events(session, row)
            override = verdicts.check_baseline_approval(row, override_reason)

    def apply(row: Baseline) -> None:
        row.decided_by_user_id = actor.user_id
        row.decided_at = clock.now()
        row.decision_comment = comment.strip() or None
        row.override_reason = override

    def effects(row: Baseline) -> None:
        if not approve:
            return
        previous = session.scalar(
            select(Baseline)
            .where(
                Baseline.project_id == project.id,
                Baseline.status == BaselineStatus.APPROVED,
                Baseline.id != row.id,
            )
            .order_by(Baseline.version.desc())
            .limit(1)
        )
        if previous is not None:
            workflow.claim(session, BASELINE, previous, "supersede")
            previous.status = BaselineStatus.SUPERSEDED
            workflow.flush(session, BASELINE, previous, "supersede")
            journal.record(
                session,
                actor,
                "supersede",
                previous,
                organization_id=project.organization_id,
                before={"status": "approved"},
                after={"status": "superseded"},
                summary=f"replaced by approved version {row.version}",
            )

    return workflow.transition(
        session,
        actor,
        BASELINE,
        "approve" if approve else "reject",
        baseline_id,
        version=version,
        check=check,
        apply=apply,
        effects=effects,
        summary=f"baseline version {baseline.version} "
        + ("approved" if approve else "rejected")
        + (f"; override: {override_reason.strip()}" if override_reason else ""),
        params={"comment": comment.strip(), "version": baseline.version},
        obj=baseline,
    )


def _refuse_open_events(session: Session, baseline: Baseline) -> None:
    """A baseline period with a suspected non-routine event still open (the savings watch) is
    not approved: the event is dismissed or turned into an adjustment first, as its page says."""
    from emc.watch.models import EventScope
    from emc.watch.service.events import open_events_in

    events = open_events_in(
        session,
        baseline.project_id,
        baseline.start_date,
        baseline.end_date,
        scope=EventScope.BASELINE,
    )
    if events:
        raise Conflict(
            msg("mv.baseline_open_events", n=len(events), first=events[0].start_date.isoformat()),
            fields={"events": [msg("mv.decide_open_events")]},
        )


def approve_baseline(
    session: Session,
    actor: Actor,
    baseline_id: int,
    *,
    comment: str = "",
    version: int | None = None,
    override_reason: str | None = None,
) -> Baseline:
    """The institution approves a proposed baseline: it is frozen from now on (and supersedes
    the previously approved version). ``version`` is the row version the user saw (the API and
    pages always send it). Conflict unless proposed, or if another decision won meanwhile."""
    return _decide(
        session,
        actor,
        baseline_id,
        approve=True,
        comment=comment,
        version=version,
        override_reason=override_reason,
    )


def reject_baseline(
    session: Session, actor: Actor, baseline_id: int, *, comment: str, version: int | None = None
) -> Baseline:
    """The institution rejects a proposed baseline with a comment. Conflict unless proposed."""
    return _decide(session, actor, baseline_id, approve=False, comment=comment, version=version)

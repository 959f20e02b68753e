"""M&V reports: draft → submitted (the ESCO) → accepted or disputed (the institution).

A report is computed from stored data against the project's approved (frozen) baseline and
records the fingerprint of its inputs. A disputed report is revised as a new version (the
disputed one stays as it was); a draft recomputed is a new version too. An accepted report is
immutable, and its acceptance adds the actual payment lines through
:func:`emc.contracts.service.record_actual_savings`. If the meter data under a submitted or
accepted report change, the report is marked **stale** with a message — its figures never move.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emc import clock, journal, workflow
from emc.auth.actor import Actor
from emc.auth.policy import load, scoped
from emc.contracts import service as contracts
from emc.contracts.finance.periods import term_end
from emc.contracts.models import SIGNED_STATUSES, EmcProject
from emc.errors import Conflict, Invalid, NotFound
from emc.facilities.models import Meter
from emc.labels import last_day_period
from emc.labels import period as period_label
from emc.messages import N_, msg, record, term
from emc.messages import action as action_word
from emc.messages import state as state_word
from emc.mv.models import (
    Baseline,
    MvEvidenceFile,
    MvReport,
    MvReportAdjustment,
    Party,
    ReportStatus,
)
from emc.mv.service import compute, evidence, verdicts
from emc.mv.service._common import (
    esco_side,
    institution_side,
    local_today,
    party_of,
    project_for,
)
from emc.mv.service.baselines import approved_baseline
from emc.mv.service.plans import plan_of
from emc.workflow import tables

log = logging.getLogger(__name__)

LIVE = (ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
REPORT_FIELDS = (
    "status",
    "version",
    "savings_value",
    "tce_avoided",
    "tco2_avoided",
    "inputs_sha256",
    "decision_comment",
    "accepted_on",
    "stale_since",
    "stale_message",
)


# --- reading -------------------------------------------------------------------------------


def list_reports(session: Session, actor: Actor, project_id: int) -> list[MvReport]:
    """Every version of every report of a visible project, newest period first."""
    project = project_for(session, actor, project_id)
    stmt = scoped(actor, MvReport).where(MvReport.project_id == project.id)
    return list(
        session.scalars(stmt.order_by(MvReport.period_start.desc(), MvReport.version.desc()))
    )


def get_report(session: Session, actor: Actor, report_id: int, *, check: bool = True) -> MvReport:
    """One visible report; a submitted or accepted one is checked for staleness on the way."""
    report = load(session, actor, MvReport, report_id)
    project_for(session, actor, report.project_id)
    if check:
        check_staleness(session, report)
    return report


def adjustments_of(session: Session, report: MvReport) -> list[MvReportAdjustment]:
    return list(
        session.scalars(
            select(MvReportAdjustment)
            .where(MvReportAdjustment.report_id == report.id)
            .order_by(MvReportAdjustment.id)
        )
    )


def evidence_of(session: Session, adjustment_ids: list[int]) -> dict[int, list[MvEvidenceFile]]:
    """Evidence files (without loading their bytes into the template) by adjustment id."""
    return evidence.files_of(session, MvEvidenceFile.adjustment_id, adjustment_ids)


def get_evidence(session: Session, actor: Actor, report_id: int, file_id: int) -> MvEvidenceFile:
    """One evidence file of a visible report (NotFound otherwise)."""
    report = get_report(session, actor, report_id, check=False)
    found = load(session, actor, MvEvidenceFile, file_id)
    adjustment = (
        session.get(MvReportAdjustment, found.adjustment_id) if found.adjustment_id else None
    )
    if adjustment is None or adjustment.report_id != report.id:
        raise NotFound(msg("not_found", what=record("EvidenceFile"), id=file_id))
    return found


def versions_of(session: Session, report: MvReport) -> list[MvReport]:
    """Every version of the report's period, oldest first (its version history)."""
    return list(
        session.scalars(
            select(MvReport)
            .where(
                MvReport.project_id == report.project_id,
                MvReport.period_start == report.period_start,
            )
            .order_by(MvReport.version)
        )
    )


def current_fingerprint(session: Session, report: MvReport) -> str:
    baseline = session.get(Baseline, report.baseline_id)
    return compute.report_fingerprint(
        session, report.project_id, baseline, report.period_start, report.period_end
    )


def check_staleness(session: Session, report: MvReport) -> bool:
    """Mark a submitted or accepted report stale if the data under it changed; True if stale.

    The figures are never recomputed: the message tells the parties to revise the report (a
    submitted one is disputed and revised; an accepted one is settled and needs a new report
    version by agreement).
    """
    if report.stale_since is not None:
        return True
    if report.status not in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
        return False
    if current_fingerprint(session, report) == report.inputs_sha256:
        return False
    report.stale_since = clock.now()
    report.stale_message = (
        "The meter or weather data (or the measured values) under this report changed after it was "
        f"{report.status.value}; its figures are those of the data it was computed on. "
        "Dispute and revise it to recompute."
    )
    session.flush()
    project = session.get(EmcProject, report.project_id)
    journal.record(
        session,
        None,
        "mark_stale",
        report,
        organization_id=project.organization_id,
        after={"stale_since": report.stale_since, "inputs_sha256": report.inputs_sha256},
        summary="input data changed",
    )
    log.warning("M&V report %s is stale: its input data changed", report.id)
    return True


# --- drafting ------------------------------------------------------------------------------


def _check_period(session: Session, project: EmcProject, baseline: Baseline, start, end) -> None:
    if end <= start:
        raise Invalid(
            msg("mv.period_ends_before_starts"), fields={"period_end": [msg("mv.after_start")]}
        )
    if start < baseline.end_date:
        raise Invalid(
            msg("mv.reporting_period_starts_inside_baseline"),
            fields={"period_start": [msg("field.on_or_after", date=baseline.end_date.isoformat())]},
        )
    plan = plan_of(session, project.id)
    if plan is not None and (start.day != 1 or end.day != 1):
        # Reports follow the plan's frequency in calendar months (the to-do's periods): a
        # period ending on the 27th left the 28th neither reported nor paid.
        raise Invalid(
            msg("mv.period_whole_months"),
            fields={
                key: [msg("mv.month_boundary")]
                for key, day in (("period_start", start), ("period_end", end))
                if day.day != 1
            },
        )
    if end > local_today() + dt.timedelta(days=1):
        raise Invalid(
            msg("mv.reporting_period_has_not_ended"), fields={"period_end": [msg("mv.future")]}
        )
    terms = compute.contract_terms(session, project)
    last = term_end(terms.start_date, terms.term_years)
    if start < terms.start_date or end > last:
        raise Invalid(
            msg("mv.reporting_period_lies_outside_contract"),
            fields={
                "period_start": [
                    msg("field.within", start=terms.start_date.isoformat(), end=last.isoformat())
                ]
            },
        )


def _apply(report: MvReport, figures: compute.ReportFigures, rolling: list[dict]) -> None:
    report.results = figures.results
    report.months = figures.months
    report.carriers = figures.carriers
    report.factors = figures.factors
    report.rolling = rolling
    report.verdict = figures.verdict
    report.warnings = figures.warnings
    report.savings_value = figures.savings_value
    report.segments = figures.segments
    report.valuation = figures.valuation
    report.tce_avoided = figures.tce
    report.tco2_avoided = figures.tco2
    report.fsu_68 = figures.fsu_68
    report.fsu_90 = figures.fsu_90
    report.inputs_sha256 = figures.sha256


def create_draft(
    session: Session,
    actor: Actor | None,
    project: EmcProject,
    baseline: Baseline,
    start: dt.date,
    end: dt.date,
    *,
    version: int = 1,
    supersedes: MvReport | None = None,
    reason: str | None = None,
) -> MvReport:
    """Compute and store a draft (no permission check: callers check; ``actor`` None = job).
    Conflict if the project's contract is not signed by both parties."""
    require_signed(project)
    adjustments = adjustments_of(session, supersedes) if supersedes is not None else []
    figures = compute.compute_report(session, project, baseline, start, end, adjustments)
    report = MvReport(
        project_id=project.id,
        baseline_id=baseline.id,
        period_start=start,
        period_end=end,
        version=version,
        status=ReportStatus.DRAFT,
        supersedes_id=supersedes.id if supersedes is not None else None,
        revision_reason=reason,
        created_by_user_id=actor.user_id if actor else None,
    )
    _apply(report, figures, compute.rolling_view(session, project.id, figures.months))
    session.add(report)
    session.flush()
    for old in adjustments:
        _copy_adjustment(session, old, report)
    journal.record(
        session,
        actor,
        "draft" if supersedes is None else "revise",
        report,
        organization_id=project.organization_id,
        after=journal.snapshot(report, REPORT_FIELDS)
        | {"period": f"{start} – {end}", "baseline_id": baseline.id, "reason": reason},
        summary=f"M&V report {start} – {end} version {version}",
    )
    return report


def require_signed(project: EmcProject) -> None:
    """No M&V report, and so no payment, before both parties have signed the contract: the
    savings of an unsigned project are owed to no one."""
    if project.status not in SIGNED_STATUSES:
        raise Conflict(
            msg("mv.project_not_signed", state=state_word(project.status)),
            fields={"status": [msg("mv.project_not_signed_field")]},
        )


def _copy_adjustment(session: Session, old: MvReportAdjustment, report: MvReport) -> None:
    # The revised figures are new: only the proposing party's agreement carries over.
    new = MvReportAdjustment(
        report_id=report.id,
        project_id=old.project_id,
        meter_id=old.meter_id,
        reason=old.reason,
        amount=old.amount,
        series=old.series,
        unit=old.unit,
        proposed_by_user_id=old.proposed_by_user_id,
        proposed_by_party=old.proposed_by_party,
    )
    if old.proposed_by_party is Party.ESCO:
        new.esco_agreed_by_user_id, new.esco_agreed_at = (
            old.esco_agreed_by_user_id,
            old.esco_agreed_at,
        )
    else:
        new.institution_agreed_by_user_id = old.institution_agreed_by_user_id
        new.institution_agreed_at = old.institution_agreed_at
    session.add(new)
    session.flush()
    for f in session.scalars(select(MvEvidenceFile).where(MvEvidenceFile.adjustment_id == old.id)):
        session.add(
            MvEvidenceFile(
                adjustment_id=new.id,
                project_id=f.project_id,
                filename=f.filename,
                content_type=f.content_type,
                sha256=f.sha256,
                size_bytes=f.size_bytes,
                data=f.data,
                uploaded_by_user_id=f.uploaded_by_user_id,
                uploaded_at=f.uploaded_at,
                note=f.note,
            )
        )
    session.flush()


def live_report(session: Session, project_id: int, start: dt.date, end: dt.date) -> MvReport | None:
    """A draft, submitted or accepted report overlapping ``[start, end)``, if any."""
    return session.scalar(
        select(MvReport)
        .where(
            MvReport.project_id == project_id,
            MvReport.status.in_(LIVE),
            MvReport.period_start < end,
            MvReport.period_end > start,
        )
        .limit(1)
    )


def draft_report(
    session: Session, actor: Actor, project_id: int, *, period_start: dt.date, period_end: dt.date
) -> MvReport:
    """The ESCO drafts the report of ``[period_start, period_end)`` from stored data.

    Raises:
        Forbidden: not the project's ESCO. Conflict: no approved baseline, or a report of an
            overlapping period exists (a disputed one is revised instead). Invalid: the period.
    """
    project = project_for(session, actor, project_id)
    esco_side(actor, project)
    baseline = approved_baseline(session, project.id)
    if baseline is None:
        raise Conflict(
            msg("mv.project_has_no_approved_baseline"),
            fields={"baseline": [msg("mv.none_approved")]},
        )
    _check_period(session, project, baseline, period_start, period_end)
    existing = live_report(session, project.id, period_start, period_end)
    if existing is not None:
        raise Conflict(
            msg(
                "mv.report_covers_period",
                # The period's first and last day, as the pages show it.
                **last_day_period(existing.period_start, existing.period_end),
                state=state_word(existing.status),
            ),
            fields={"period_start": [msg("mv.report_exists_for_period")]},
        )
    disputed = session.scalar(
        select(MvReport.id).where(
            MvReport.project_id == project.id,
            MvReport.period_start == period_start,
            MvReport.status == ReportStatus.DISPUTED,
        )
    )
    if disputed is not None:
        raise Conflict(
            msg("mv.report_disputed_revise"),
            fields={"period_start": [msg("mv.revise_disputed_report")]},
        )
    report = create_draft(session, actor, project, baseline, period_start, period_end)
    log.info("M&V report %s drafted by %s", report.id, actor.label)
    return report


# --- the workflow --------------------------------------------------------------------------


def _project_parties(session: Session, row) -> workflow.Parties:
    project = session.get(EmcProject, row.project_id)
    proposer = None
    if isinstance(row, MvReportAdjustment):
        proposer = (
            project.esco_organization_id
            if row.proposed_by_party is Party.ESCO
            else project.organization_id
        )
    return workflow.Parties.of_project(project, proposer_org_id=proposer)


REPORT = workflow.Binding(
    tables.REPORT,
    MvReport,
    _project_parties,
    REPORT_FIELDS,
    link=lambda r: f"/projects/{r.project_id}/mv/reports/{r.id}",
)
ADJUSTMENT = workflow.Binding(
    tables.MV_ADJUSTMENT,
    MvReportAdjustment,
    _project_parties,
    ("esco_agreed_by_user_id", "institution_agreed_by_user_id", "reason", "amount", "unit"),
    state_attr=None,
    state_of=lambda a: "agreed" if a.agreed else "proposed",
    link=lambda a: f"/projects/{a.project_id}/mv/reports/{a.report_id}",
)


def _load_for_action(session, actor, report_id) -> tuple[MvReport, EmcProject]:
    report = load(session, actor, MvReport, report_id)
    project = project_for(session, actor, report.project_id)
    return report, project


def _require_status(report: MvReport, allowed: tuple[ReportStatus, ...], action: str) -> None:
    if report.status not in allowed:
        immutable = report.status is ReportStatus.ACCEPTED
        raise Conflict(
            msg(
                "mv.report_accepted_immutable" if immutable else "mv.report_wrong_state",
                state=state_word(report.status),
                action=action_word(action),
            ),
            fields={
                "status": [
                    msg("workflow.must_be_one_of", states=", ".join(s.value for s in allowed))
                ]
            },
            code="immutable" if immutable else "conflict",
        )


def _step(
    session: Session,
    actor: Actor,
    report: MvReport,
    action: str,
    version: int | None,
    allowed: tuple[ReportStatus, ...],
    *,
    check=None,
    effects=None,
    params: dict | None = None,
    **changes,
) -> MvReport:
    """One report transition through :func:`emc.workflow.transition`; the report's own status
    error (``immutable`` for an accepted one) comes first unless the user's version is stale."""
    if version is None or version == report.row_version:
        _require_status(report, allowed, action)

    def apply(row: MvReport) -> None:
        for key, value in changes.items():
            setattr(row, key, value)

    return workflow.transition(
        session,
        actor,
        REPORT,
        action,
        report.id,
        version=version,
        check=check,
        apply=apply,
        effects=effects,
        summary=f"M&V report {report.period_start} – {report.period_end} {action}",
        # The period as the pages say it (first and last day): the inbox names it.
        params={"period": period_label(report.period_start, report.period_end), **(params or {})},
        obj=report,
    )


def submit_report(
    session: Session, actor: Actor, report_id: int, *, version: int | None = None
) -> MvReport:
    """The ESCO submits a draft. Conflict if the data changed since it was computed (revise it
    to recompute), it is not a draft, or ``version`` (the row version the user saw) is stale."""
    report, project = _load_for_action(session, actor, report_id)
    esco_side(actor, project)

    def check(row: MvReport, _parties) -> None:
        verdicts.check_report_submission(row)
        if current_fingerprint(session, row) != row.inputs_sha256:
            raise Conflict(
                msg("mv.meter_weather_data_changed_since"),
                fields={"inputs_sha256": [msg("watch.stale")]},
                code="stale",
            )

    return _step(
        session,
        actor,
        report,
        "submit",
        version,
        (ReportStatus.DRAFT,),
        check=check,
        submitted_by_user_id=actor.user_id,
        submitted_at=clock.now(),
    )


def dispute_report(
    session: Session, actor: Actor, report_id: int, *, comment: str, version: int | None = None
) -> MvReport:
    """The institution disputes a submitted report with a comment (the ESCO then revises)."""
    report, project = _load_for_action(session, actor, report_id)
    institution_side(actor, project)

    def check(_row: MvReport, _parties) -> None:
        if not comment.strip():
            raise Invalid(
                msg("mv.dispute_needs_comment"), fields={"comment": [msg("field.required")]}
            )

    return _step(
        session,
        actor,
        report,
        "dispute",
        version,
        (ReportStatus.SUBMITTED,),
        check=check,
        params={"comment": comment.strip()},
        decided_by_user_id=actor.user_id,
        decided_at=clock.now(),
        decision_comment=comment.strip(),
    )


def accept_report(
    session: Session, actor: Actor, report_id: int, *, comment: str = "", version: int | None = None
) -> MvReport:
    """The institution accepts a submitted report: it becomes immutable and its verified
    savings per carrier become actual payment lines (``record_actual_savings``), made only by
    the request that wins the acceptance.

    Raises:
        Conflict: not submitted, stale data or version, or an adjustment both parties have not
            agreed.
    """
    report, project = _load_for_action(session, actor, report_id)
    institution_side(actor, project)
    require_signed(project)
    accepted_on = local_today()

    def check(row: MvReport, _parties) -> None:
        if check_staleness(session, row):
            raise Conflict(
                row.stale_message or "the report is stale",
                fields={"stale_since": [msg("watch.stale")]},
                code="stale",
            )
        pending = [a for a in adjustments_of(session, row) if not a.agreed]
        if pending:
            # Each named as the report page lists it: its meter and its reason.
            raise Conflict(
                msg("mv.both_parties_must_agree_every"),
                fields={
                    "adjustments": [
                        msg(
                            "mv.adjustment_not_agreed",
                            meter=meter.name if (meter := session.get(Meter, a.meter_id)) else "",
                            reason=a.reason,
                        )
                        for a in pending
                    ]
                },
            )

    def effects(row: MvReport) -> None:
        contracts.record_actual_savings(
            session,
            actor,
            project.id,
            period_start=row.period_start,
            period_end=row.period_end,
            savings=[
                {"carrier": c["carrier"], "unit": c["unit"], "quantity": Decimal(c["avoided"])}
                for c in row.carriers
            ],
            accepted_on=accepted_on,
            segments=row.segments,
        )
        # The savings the period's missing days cannot verify go onto its payment lines.
        from emc.watch.service.at_risk import carry_onto_lines

        carry_onto_lines(session, project, row)

    return _step(
        session,
        actor,
        report,
        "accept",
        version,
        (ReportStatus.SUBMITTED,),
        check=check,
        effects=effects,
        decided_by_user_id=actor.user_id,
        decided_at=clock.now(),
        decision_comment=comment.strip() or None,
        accepted_on=accepted_on,
    )


def revise_report(
    session: Session, actor: Actor, report_id: int, *, reason: str, version: int | None = None
) -> MvReport:
    """The ESCO revises a disputed report, or recomputes a draft, as a new version computed
    from the current data with the same baseline; adjustments are carried over (only their
    proposer's agreement stands). A recomputed draft is superseded; a disputed one stays. The
    revised report is claimed first, so two revisions at once make one new version."""
    report, project = _load_for_action(session, actor, report_id)
    esco_side(actor, project)

    def check(_row: MvReport, _parties) -> None:
        if not reason.strip():
            raise Invalid(
                msg("mv.revision_needs_reason"), fields={"reason": [msg("field.required")]}
            )

    was_draft = report.status is ReportStatus.DRAFT
    changes = {"status": ReportStatus.SUPERSEDED} if was_draft else {}
    created: list[MvReport] = []

    def effects(row: MvReport) -> None:
        baseline = session.get(Baseline, row.baseline_id)
        number = (
            session.scalar(
                select(func.max(MvReport.version)).where(
                    MvReport.project_id == project.id, MvReport.period_start == row.period_start
                )
            )
            or 0
        ) + 1
        created.append(
            create_draft(
                session,
                actor,
                project,
                baseline,
                row.period_start,
                row.period_end,
                version=number,
                supersedes=row,
                reason=reason.strip(),
            )
        )

    if not was_draft:
        # A disputed report keeps its figures: only the lock version moves (the claim).
        changes = {"updated_at": clock.now()}
    _step(
        session,
        actor,
        report,
        "revise",
        version,
        (ReportStatus.DRAFT, ReportStatus.DISPUTED),
        check=check,
        effects=effects,
        **changes,
    )
    return created[0]


# --- adjustments ---------------------------------------------------------------------------


def add_adjustment(
    session: Session,
    actor: Actor,
    report_id: int,
    *,
    meter_id: int,
    reason: str,
    amount: Decimal | None = None,
    series: list[float] | None = None,
    files: list[tuple[str, str, bytes]] = (),
) -> MvReportAdjustment:
    """Either party proposes a non-routine adjustment of one meter's savings on a draft
    (``amount`` in the meter's unit over the period, or ``series`` per day), with evidence
    ``files`` as (filename, content type, bytes). The proposer's party agrees by proposing; the
    draft's figures are recomputed with it.

    Raises:
        Conflict: the report is not a draft. Invalid: no reason, neither or both of amount and
            series, a meter outside the baseline, a series of the wrong length, a file too large.
    """
    report, project = _load_for_action(session, actor, report_id)
    party = party_of(actor, project)
    _require_status(report, (ReportStatus.DRAFT,), "adjust")
    if not reason.strip():
        raise Invalid(msg("mv.adjustment_needs_reason"), fields={"reason": [msg("field.required")]})
    if (amount is None) == (series is None):
        raise Invalid(
            msg("mv.give_amount_series"), fields={"amount": [msg("mv.give_amount_series")]}
        )
    baseline = session.get(Baseline, report.baseline_id)
    if meter_id not in {m["meter_id"] for m in baseline.models}:
        raise Invalid(msg("mv.meter_not_baseline"), fields={"meter_id": [msg("mv.not_baseline")]})
    n_days = (report.period_end - report.period_start).days
    if series is not None and len(series) != n_days:
        raise Invalid(
            msg("mv.series_length", days=n_days),
            fields={"series": [msg("mv.series_length", days=n_days)]},
        )
    evidence.check_files(files)
    meter = session.get(Meter, meter_id)
    now = clock.now()
    adjustment = MvReportAdjustment(
        report_id=report.id,
        project_id=project.id,
        meter_id=meter_id,
        reason=reason.strip(),
        amount=amount,
        series=[float(v) for v in series] if series is not None else None,
        unit=meter.unit,
        proposed_by_user_id=actor.user_id,
        proposed_by_party=party,
    )
    if party is Party.ESCO:
        adjustment.esco_agreed_by_user_id, adjustment.esco_agreed_at = actor.user_id, now
    else:
        adjustment.institution_agreed_by_user_id = actor.user_id
        adjustment.institution_agreed_at = now
    session.add(adjustment)
    session.flush()
    evidence.store_files(session, actor, project.id, files, adjustment_id=adjustment.id)
    before = journal.snapshot(report, REPORT_FIELDS)
    figures = compute.compute_report(
        session,
        project,
        baseline,
        report.period_start,
        report.period_end,
        adjustments_of(session, report),
    )
    _apply(report, figures, compute.rolling_view(session, project.id, figures.months))
    session.flush()
    journal.record(
        session,
        actor,
        "propose",
        adjustment,
        organization_id=project.organization_id,
        after={
            "report_id": report.id,
            "meter_id": meter_id,
            "reason": adjustment.reason,
            "amount": amount,
            "series_days": len(series) if series is not None else None,
            "unit": meter.unit,
            "files": [name for name, _t, _c in files],
            "party": party.value,
        },
    )
    journal.record(
        session,
        actor,
        "recompute",
        report,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(report, REPORT_FIELDS),
        summary=f"with adjustment {adjustment.id}",
    )
    workflow.created(session, actor, ADJUSTMENT, adjustment)
    return adjustment


def agree_adjustment(
    session: Session,
    actor: Actor,
    report_id: int,
    adjustment_id: int,
    *,
    version: int | None = None,
) -> MvReportAdjustment:
    """The other party agrees to an adjustment of a draft or submitted report (``version``: the
    adjustment's row version the user saw).

    Raises:
        Conflict: already agreed by this party, the report is accepted or closed, or stale.
    """
    report, project = _load_for_action(session, actor, report_id)
    adjustment = load(session, actor, MvReportAdjustment, adjustment_id)
    if adjustment.report_id != report.id:
        raise NotFound(msg("not_found", what=term(N_("adjustment")), id=adjustment_id))
    party = party_of(actor, project)
    _require_status(report, (ReportStatus.DRAFT, ReportStatus.SUBMITTED), "adjust")
    agreed_field = (
        adjustment.esco_agreed_by_user_id
        if party is Party.ESCO
        else adjustment.institution_agreed_by_user_id
    )
    if agreed_field is not None:
        raise Conflict(msg("workflow.already_agreed"))
    return workflow.transition(
        session,
        actor,
        ADJUSTMENT,
        "agree",
        adjustment.id,
        version=version,
        summary=f"adjustment {adjustment.id} agreed by {party.value}",
        obj=adjustment,
    )

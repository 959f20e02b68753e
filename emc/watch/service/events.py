"""Suspected non-routine events: listing, dismissal with a reason, conversion into a
non-routine adjustment proposal (through the M&V service's own ``add_adjustment``, so the
both-parties workflow stays the one in ``emc.mv``), and warning acknowledgement.

Either party acts (``emc.mv.service._common.party_of``). A decision checks the version the user
saw: two parties deciding at once get one winner and a conflict.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import clock, journal
from emc.auth.actor import Actor
from emc.errors import Conflict, Invalid, NotFound
from emc.messages import N_, msg, term
from emc.messages import state as state_word
from emc.mv.models import MvReport, ReportStatus
from emc.mv.service import reports as mv_reports
from emc.mv.service._common import party_of
from emc.watch.models import EventScope, EventStatus, SuspectedEvent, WatchWarning
from emc.watch.service.common import project_for

log = logging.getLogger(__name__)

EVENT_FIELDS = ("status", "reason", "decided_by_party", "adjustment_id")


def list_events(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    status: EventStatus | None = None,
    scope: EventScope | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[SuspectedEvent]:
    """A visible project's suspected events, newest start first; optionally only those of a
    status, a scope, or starting in ``[start, end)``."""
    project = project_for(session, actor, project_id)
    stmt = select(SuspectedEvent).where(SuspectedEvent.project_id == project.id)
    if status is not None:
        stmt = stmt.where(SuspectedEvent.status == status)
    if scope is not None:
        stmt = stmt.where(SuspectedEvent.scope == scope)
    if start is not None:
        stmt = stmt.where(SuspectedEvent.start_date >= start)
    if end is not None:
        stmt = stmt.where(SuspectedEvent.start_date < end)
    return list(session.scalars(stmt.order_by(SuspectedEvent.start_date.desc(), SuspectedEvent.id)))


def get_event(session: Session, actor: Actor, project_id: int, event_id: int) -> SuspectedEvent:
    """One suspected event of a visible project (NotFound otherwise)."""
    project = project_for(session, actor, project_id)
    event = session.get(SuspectedEvent, event_id)
    if event is None or event.project_id != project.id:
        raise NotFound(msg("not_found", what=term(N_("suspected event")), id=event_id))
    return event


def _open_for_decision(session, actor, project_id, event_id, version):
    project = project_for(session, actor, project_id)
    event = get_event(session, actor, project.id, event_id)
    party = party_of(actor, project)
    if version is not None and version != event.version:
        raise Conflict(
            msg("watch.event_changed_since_you_saw"),
            fields={"version": [msg("watch.stale")]},
            code="stale",
        )
    if event.status is not EventStatus.OPEN:
        raise Conflict(
            msg("watch.event_already", state=state_word(event.status)),
            fields={"status": [msg("watch.already_decided")]},
        )
    return project, event, party


def dismiss_event(
    session: Session,
    actor: Actor,
    project_id: int,
    event_id: int,
    *,
    reason: str,
    version: int | None = None,
) -> SuspectedEvent:
    """Either party dismisses an open suspected event, saying why.

    Raises:
        Invalid: no reason. Conflict: not open, or changed since ``version``.
        Forbidden: not a party of the project.
    """
    project, event, party = _open_for_decision(session, actor, project_id, event_id, version)
    if not reason.strip():
        raise Invalid(
            msg("watch.dismissal_needs_reason"), fields={"reason": [msg("watch.reason_required")]}
        )
    before = journal.snapshot(event, EVENT_FIELDS)
    event.status = EventStatus.DISMISSED
    event.reason = reason.strip()[:1000]
    event.decided_by_user_id = actor.user_id
    event.decided_by_party = party.value
    event.decided_at = clock.now()
    session.flush()
    journal.record(
        session,
        actor,
        "dismiss",
        event,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(event, EVENT_FIELDS),
    )
    log.info("suspected event %s dismissed by %s", event.id, actor.label)
    return event


def draft_for(session: Session, event: SuspectedEvent) -> MvReport | None:
    """The draft report a reporting-period event can be adjusted in: the earliest draft of the
    project whose period ends after the event's start."""
    return session.scalar(
        select(MvReport)
        .where(
            MvReport.project_id == event.project_id,
            MvReport.status == ReportStatus.DRAFT,
            MvReport.period_end > event.start_date,
        )
        .order_by(MvReport.period_start, MvReport.version.desc())
        .limit(1)
    )


def estimated_effect(event: SuspectedEvent, report: MvReport) -> Decimal:
    """The event's effect over the report's days from its start, in the meter's unit: the
    change per day times those days. Use that went up (a new wing) adds to savings."""
    first = max(event.start_date, report.period_start)
    days = max((report.period_end - first).days, 0)
    return (event.change_per_day * days).quantize(Decimal("0.001"))


def convert_event(
    session: Session,
    actor: Actor,
    project_id: int,
    event_id: int,
    *,
    reason: str = "",
    amount: Decimal | None = None,
    version: int | None = None,
):
    """Either party turns an open reporting-period event into a non-routine adjustment
    proposal on the draft report that holds it, pre-filled with the estimated effect (or the
    ``amount`` the user corrected it to). The adjustment then follows the M&V workflow: the
    proposer's party agrees by proposing, the other party agrees or not.

    Raises:
        Conflict: not open, changed since ``version``, a baseline-period event (the baseline
            is re-proposed instead), or no draft report holds the event yet.
    """
    project, event, party = _open_for_decision(session, actor, project_id, event_id, version)
    if event.scope is EventScope.BASELINE:
        raise Conflict(
            msg("watch.event_baseline_period_not_report"),
            fields={"scope": [msg("watch.baseline_period_event")]},
        )
    report = draft_for(session, event)
    if report is None:
        raise Conflict(
            msg("watch.no_draft_m_v_report"),
            fields={"report": [msg("watch.no_draft_report_covers_event")]},
        )
    amount = estimated_effect(event, report) if amount is None else amount
    text = reason.strip() or default_reason(event)
    adjustment = mv_reports.add_adjustment(
        session, actor, report.id, meter_id=event.meter_id, reason=text, amount=amount
    )
    before = journal.snapshot(event, EVENT_FIELDS)
    event.status = EventStatus.CONVERTED
    event.reason = text[:1000]
    event.decided_by_user_id = actor.user_id
    event.decided_by_party = party.value
    event.decided_at = clock.now()
    event.adjustment_id = adjustment.id
    session.flush()
    journal.record(
        session,
        actor,
        "convert",
        event,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(event, EVENT_FIELDS),
        summary=f"into adjustment {adjustment.id} of report {report.id}",
    )
    return adjustment


def default_reason(event: SuspectedEvent) -> str:
    return (
        f"Suspected non-routine event from {event.start_date}: "
        f"{float(event.change_per_day):+.1f} {event.unit}/day"
    )


def open_events_in(
    session: Session, project_id: int, start: dt.date, end: dt.date, *, scope: EventScope
) -> list[SuspectedEvent]:
    """Open events of a project starting in ``[start, end)`` (for the approval and submission
    pages; the caller has loaded the project through the policy)."""
    return list(
        session.scalars(
            select(SuspectedEvent)
            .where(
                SuspectedEvent.project_id == project_id,
                SuspectedEvent.scope == scope,
                SuspectedEvent.status == EventStatus.OPEN,
                SuspectedEvent.start_date >= start,
                SuspectedEvent.start_date < end,
            )
            .order_by(SuspectedEvent.start_date)
        )
    )


def acknowledge_warning(
    session: Session, actor: Actor, project_id: int, warning_id: int
) -> WatchWarning:
    """A party acknowledges a shortfall warning of its project (its to-do goes away)."""
    project = project_for(session, actor, project_id)
    party_of(actor, project)
    warning = session.get(WatchWarning, warning_id)
    if warning is None or warning.project_id != project.id:
        raise NotFound(msg("not_found", what=term(N_("warning")), id=warning_id))
    if warning.acknowledged_at is not None:
        raise Conflict(msg("watch.warning_already_acknowledged"))
    warning.acknowledged_by_user_id = actor.user_id
    warning.acknowledged_at = clock.now()
    session.flush()
    journal.record(
        session,
        actor,
        "acknowledge",
        warning,
        organization_id=project.organization_id,
        after={"month": warning.month, "probability": warning.probability},
    )
    return warning


def acknowledge_quota_warning(session: Session, actor: Actor, warning_id: int) -> WatchWarning:
    """The institution's admin or energy manager acknowledges its own quota warning."""
    from emc.auth.permissions import Permission
    from emc.auth.policy import require

    require(actor, Permission.MV_APPROVE)
    warning = session.get(WatchWarning, warning_id)
    if warning is None or warning.organization_id != actor.organization_id or warning.project_id:
        raise NotFound(msg("not_found", what=term(N_("warning")), id=warning_id))
    if warning.acknowledged_at is not None:
        raise Conflict(msg("watch.warning_already_acknowledged"))
    warning.acknowledged_by_user_id = actor.user_id
    warning.acknowledged_at = clock.now()
    session.flush()
    journal.record(
        session,
        actor,
        "acknowledge",
        warning,
        organization_id=warning.organization_id,
        after={"month": warning.month, "probability": warning.probability},
    )
    return warning

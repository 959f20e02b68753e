"""What the nightly watch tells people: suspected events (kept per project, meter, scope and
start, matched within :data:`SAME_EVENT_DAYS` of an earlier detection) and shortfall warnings
(one per project and month), each with its notification to the parties' users.

Events are ORM rows (few, and an open one is updated in place); warnings and notifications of a
batch of projects are written together (:class:`Alerts`), so their cost does not grow with a
query and a flush per project.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from emc.contracts.models import EmcProject
from emc.i18n import N_
from emc.mv.engine.events import cusum_events
from emc.notifications.service import Message, notify_many
from emc.watch.models import EventScope, EventStatus, SuspectedEvent, WarningKind, WatchWarning
from emc.watch.service.common import party_users

# A detection whose start lies this close to an earlier one of the same meter is that event.
SAME_EVENT_DAYS = 21


class Alerts:
    """Events created and warnings raised by a batch of projects, announced by :meth:`send`.
    ``warned`` holds the subjects already warned this month (updated as warnings are raised)."""

    def __init__(self, session: Session, warned: set[str] | None = None) -> None:
        self.session = session
        self.warned = warned
        self._parties: dict[tuple[int, int | None], list] = {}
        self._events: list[tuple[EmcProject, SuspectedEvent]] = []
        self._warnings: list[dict[str, Any]] = []
        self._messages: list[Message] = []

    def users(self, project: EmcProject) -> list:
        """The project's parties' users (cached per institution and ESCO)."""
        key = (project.organization_id, project.esco_organization_id)
        if key not in self._parties:
            self._parties[key] = party_users(self.session, project)
        return self._parties[key]

    def upsert_events(
        self,
        project: EmcProject,
        baseline,
        scope: EventScope,
        found,
        meter,
        known: list[SuspectedEvent],
    ) -> list[SuspectedEvent]:
        """Record the detections ``found`` on ``meter``: an open event near an earlier one of
        the same sign is updated, a new one added to the session and to ``known``."""
        existing = [row for row in known if row.meter_id == meter.id and row.scope == scope]
        created = []
        for ev in found:
            same = [
                row
                for row in existing
                if abs((row.start_date - ev.start).days) <= SAME_EVENT_DAYS
                and (float(row.change_per_day) > 0) == (ev.change_per_day > 0)
            ]
            if same:
                row = same[0]
                if row.status is EventStatus.OPEN:
                    row.change_per_day = Decimal(repr(round(ev.change_per_day, 3)))
                    row.change_percent = ev.change_percent
                    row.confidence = ev.confidence
                continue
            row = SuspectedEvent(
                project_id=project.id,
                baseline_id=baseline.id,
                meter_id=meter.id,
                scope=scope,
                start_date=ev.start,
                detected_on=ev.detected,
                change_per_day=Decimal(repr(round(ev.change_per_day, 3))),
                change_percent=ev.change_percent,
                confidence=ev.confidence,
                unit=meter.unit,
                status=EventStatus.OPEN,
            )
            self.session.add(row)
            existing.append(row)
            known.append(row)
            created.append(row)
            self._events.append((project, row))
        return created

    def shortfall(self, project: EmcProject, today: dt.date, unit: str, forecast) -> bool:
        """Raise the month's shortfall warning of ``project`` unless it has one."""
        month = today.strftime("%Y-%m")
        key = f"project:{project.id}"
        if self.warned is not None:
            if key in self.warned:
                return False
            self.warned.add(key)
        elif self.session.scalar(
            select(WatchWarning.id).where(
                WatchWarning.kind == WarningKind.SHORTFALL,
                WatchWarning.subject_key == key,
                WatchWarning.month == month,
            )
        ):
            return False
        self._warnings.append(
            {
                "kind": WarningKind.SHORTFALL,
                "subject_key": key,
                "month": month,
                "organization_id": project.organization_id,
                "project_id": project.id,
                "forecast": forecast["value"],
                "low": forecast["low"],
                "high": forecast["high"],
                "threshold": forecast["threshold"],
                "probability": forecast["probability"],
                "unit": unit,
                "details": {"drivers": forecast["drivers"], "year_end": forecast["year_end"]},
            }
        )
        self._messages.append(
            Message(
                self.users(project),
                kind="watch_shortfall",
                dedupe_key=f"watch-shortfall:{project.id}:{month}",
                subject=N_(
                    "Savings shortfall warning: %(project)s, %(probability)s%% likely short"
                ),
                body=N_(
                    "The contract year of %(project)s ending %(year_end)s is forecast to save "
                    "%(forecast)s %(unit)s (90%% interval %(low)s to %(high)s) against "
                    "%(threshold)s %(unit)s: a %(probability)s%% probability of falling short. "
                    "Days that drove it: %(days)s."
                ),
                link=f"/projects/{project.id}/watch",
                params={
                    "project": project.name,
                    "year_end": forecast["year_end"],
                    "forecast": f"{forecast['value']:,.0f}",
                    "low": f"{forecast['low']:,.0f}",
                    "high": f"{forecast['high']:,.0f}",
                    "threshold": f"{forecast['threshold']:,.0f}",
                    "unit": unit,
                    "probability": f"{100 * forecast['probability']:.0f}",
                    "days": ", ".join(d["date"] for d in forecast["drivers"]) or "—",
                },
            )
        )
        return True

    def send(self) -> None:
        """Store the events and warnings gathered and notify the parties, in one flush."""
        if self._events:
            self.session.flush()
        for project, row in self._events:
            self._messages.append(
                Message(
                    self.users(project),
                    kind="watch_event",
                    dedupe_key=f"watch-event:{row.id}",
                    subject=N_("Suspected non-routine event: %(project)s from %(start)s"),
                    body=N_(
                        "The savings watch found a lasting change of %(change)s %(unit)s per day "
                        "(%(percent)s%%) in %(project)s from %(start)s. Dismiss it with a reason "
                        "or turn it into a non-routine adjustment."
                    ),
                    link=f"/projects/{project.id}/watch",
                    params={
                        "project": project.name,
                        "start": row.start_date.isoformat(),
                        "change": f"{float(row.change_per_day):+,.1f}",
                        "unit": row.unit,
                        "percent": "—"
                        if row.change_percent is None
                        else f"{row.change_percent:+.1f}",
                    },
                )
            )
        if self._warnings:
            self.session.execute(insert(WatchWarning), self._warnings)
        if self._messages:
            notify_many(self.session, self._messages)
        self._events, self._warnings, self._messages = [], [], []


def scan_baseline(session: Session, project: EmcProject, baseline, meters, alerts=None) -> int:
    """Suspected events in the baseline period: the stored daily series (observed and
    modelled) of each daily model, scanned on its own. Returns the events created."""
    own = alerts is None
    alerts = alerts or Alerts(session)
    known = list(
        session.scalars(
            select(SuspectedEvent)
            .where(SuspectedEvent.project_id == project.id)
            .order_by(SuspectedEvent.id)
        )
    )
    created = 0
    for entry in baseline.models:
        if (entry.get("model") or {}).get("method") != "daily":
            continue
        meter = meters.get(int(entry["meter_id"]))
        series = entry.get("series") or {}
        if meter is None or not series.get("dates"):
            continue
        obs = np.array([np.nan if v is None else v for v in series["observed"]], dtype=float)
        mod = np.array([np.nan if v is None else v for v in series["modelled"]], dtype=float)
        st = entry["statistics"]
        cv = st.get("cvrmse")
        if not cv or not np.isfinite(mod).any():
            continue
        found, _ = cusum_events(
            np.array(series["dates"], dtype="datetime64[D]"),
            obs - mod,
            sigma=float(cv) * float(np.nanmean(mod)),
            rho=float(st.get("autocorrelation") or 0.0),
            predicted=mod,
        )
        created += len(
            alerts.upsert_events(project, baseline, EventScope.BASELINE, found, meter, known)
        )
    if own:
        alerts.send()
    return created

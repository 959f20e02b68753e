"""Who may write which meter readings, and which readings are frozen (issue 12, item 7).

Applied by the readings import and its preview alike, so the API, the pages and the CLI follow
the same rules:

1. A retired meter takes no readings.
2. An ESCO writes readings only to meters inside the M&V boundary of a project it is the
   contracted ESCO of. Seeing a site (every meter of a linked site) is not writing it: the
   institution's other meters are its own records.
3. Readings under an approved baseline's period or an accepted M&V report's period, for a meter
   that baseline or report was computed on, are frozen: an upload whose range reaches into such
   a period is refused, whoever sends it, naming the object that freezes them. A later version
   of the baseline or report is the way to use new data for that period.

Frozen periods are local calendar dates of the meter's site, half-open ``[start, end)``; they
are compared with the upload's ``[first, last)`` in UTC epoch seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.models import OrgKind, Role, User
from emc.contracts.models import EmcProject
from emc.errors import Conflict, EmcError, Forbidden
from emc.facilities import rollup
from emc.facilities.models import Meter, ProjectSite, Site
from emc.i18n import N_
from emc.messages import CATALOGUE, Text, msg
from emc.mv.models import Baseline, BaselineStatus, MvPlan, MvReport, ReportStatus

#: Codes of the refusals whose message is a msgid (see :func:`check_writer`).
LOCALISABLE_CODES = ("meter_retired", "outside_boundary")

__all__ = [
    "LOCALISABLE_CODES",
    "FrozenReadings",
    "Freeze",
    "check_writer",
    "station_frozen_conflict",
    "writer_refusal",
    "energy_managers",
    "freezes",
    "frozen_conflict",
]


class FrozenReadings(Conflict):
    """An upload reaching into a frozen period. ``msgid``/``params`` let a page or the API say
    it in the reader's language (``message`` is the English text)."""

    code = "frozen_readings"

    def __init__(self, message: Text, *, fields: dict):
        super().__init__(message, fields=fields)
        self.msgid = CATALOGUE[message.key]


@dataclass(frozen=True)
class Freeze:
    """An approved baseline or an accepted report over ``[start, end)`` (local dates)."""

    kind: str  # "baseline" or "report"
    id: int
    project_id: int
    version: int
    start: dt.date
    end: dt.date


def writer_refusal(session: Session, actor: Actor, meter: Meter) -> EmcError | None:
    """Rules 1 and 2 of the module as data: the error :func:`check_writer` would raise, or None
    (a page uses it to say why it offers no upload form)."""
    if meter.retired_at is not None:
        message = N_("the meter is retired: it takes no new readings")
        return Conflict(message, fields={"file": [message]}, code="meter_retired")
    if actor.org_kind is not OrgKind.ESCO:
        return None
    boundaries = session.scalars(
        select(MvPlan.boundary)
        .join(EmcProject, EmcProject.id == MvPlan.project_id)
        .where(EmcProject.esco_organization_id == actor.organization_id)
    )
    for boundary in boundaries:
        if any(int(item["meter_id"]) == meter.id for item in boundary or []):
            return None
    message = N_(
        "an ESCO writes readings only to meters inside the M&V boundary of its projects;"
        " this meter is not in one"
    )
    return Forbidden(message, fields={"file": [message]}, code="outside_boundary")


def check_writer(session: Session, actor: Actor, meter: Meter) -> None:
    """Rules 1 and 2 of the module (the meter is visible and the actor holds the import
    permission: the caller checked both).

    Raises:
        Conflict: the meter is retired (code ``meter_retired``). Forbidden: an ESCO and the
            meter is outside the M&V boundary of its projects (code ``outside_boundary``). Both
            messages are msgids, so the web layer can translate them.
    """
    refusal = writer_refusal(session, actor, meter)
    if refusal is not None:
        raise refusal


def _meter_ids(entries) -> set[int]:
    ids = set()
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("meter_id") is not None:
            ids.add(int(entry["meter_id"]))
    return ids


def freezes(session: Session, meter: Meter) -> list[Freeze]:
    """The approved baselines and accepted reports computed on ``meter``, oldest first."""
    found: list[Freeze] = []
    # Only projects covering the meter's site can have computed on it.
    projects = select(ProjectSite.project_id).where(ProjectSite.site_id == meter.site_id)
    for b in session.scalars(
        select(Baseline)
        .where(Baseline.status == BaselineStatus.APPROVED, Baseline.project_id.in_(projects))
        .order_by(Baseline.id)
    ):
        if meter.id in _meter_ids(b.models):
            found.append(
                Freeze("baseline", b.id, b.project_id, b.version, b.start_date, b.end_date)
            )
    for r in session.scalars(
        select(MvReport)
        .where(MvReport.status == ReportStatus.ACCEPTED, MvReport.project_id.in_(projects))
        .order_by(MvReport.id)
    ):
        if meter.id in _meter_ids(r.results):
            found.append(
                Freeze("report", r.id, r.project_id, r.version, r.period_start, r.period_end)
            )
    return found


def frozen_conflict(
    session: Session, meter: Meter, site: Site, first: int | None, last: int | None
) -> FrozenReadings | None:
    """The refusal for an upload over ``[first, last)`` (epoch seconds) that reaches into a
    frozen period of ``meter`` (rule 3), or None."""
    if first is None or last is None:
        return None
    # Here, not at the top: emc.labels reads the audit labels, whose package imports this one.
    from emc.labels import last_day_period

    zone = ZoneInfo(site.timezone)
    for freeze in freezes(session, meter):
        lo, hi = rollup.midnight(freeze.start, zone), rollup.midnight(freeze.end, zone)
        if first < hi and last > lo:
            project = session.get(EmcProject, freeze.project_id)
            params = {
                "version": freeze.version,
                "project": project.name if project else freeze.project_id,
                # The sentence reads first and last day; the fields keep the half-open period.
                **last_day_period(freeze.start, freeze.end),
            }
            code = (
                "readings.frozen_baseline"
                if freeze.kind == "baseline"
                else "readings.frozen_report"
            )
            return FrozenReadings(
                msg(code, **params),
                fields={
                    "frozen": {
                        "kind": freeze.kind,
                        "id": freeze.id,
                        "project_id": freeze.project_id,
                        "version": freeze.version,
                        "start": freeze.start.isoformat(),
                        "end": freeze.end.isoformat(),
                    }
                },
            )
    return None


def station_frozen_conflict(
    session: Session, station_id: int, first: int, last: int
) -> FrozenReadings | None:
    """The refusal for replacing a station's temperatures over ``[first, last)`` when an approved
    baseline or accepted report of a meter on a site using the station covers that time: its
    temperatures were inputs of the frozen figures, exactly as the meter's readings were."""
    sites = session.scalars(select(Site).where(Site.weather_station_id == station_id))
    for site in sites:
        for meter in session.scalars(select(Meter).where(Meter.site_id == site.id)):
            refusal = frozen_conflict(session, meter, site, first, last)
            if refusal is not None:
                return refusal
    return None


def energy_managers(session: Session, organization_id: int) -> list[User]:
    """The active energy managers of an institution (its admins when it has none)."""
    users = list(
        session.scalars(
            select(User)
            .where(
                User.organization_id == organization_id,
                User.role == Role.ENERGY_MANAGER,
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )
    if users:
        return users
    return list(
        session.scalars(
            select(User)
            .where(
                User.organization_id == organization_id,
                User.role == Role.ADMIN,
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )

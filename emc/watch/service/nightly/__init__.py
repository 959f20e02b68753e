"""The nightly savings watch: persistence tracking, suspected events, shortfall warnings.

For every project with an approved baseline, over the days since its last accepted report
(or since the baseline / operation start) up to yesterday, the frozen baseline models are
evaluated with the weather seen. The job is **set-based** and runs in batches of
:data:`~emc.watch.service.nightly.inputs.BATCH` projects: the daily mean temperature of every
station is loaded once, the daily use of a batch's meters and its watch records in one grouped
query each (:mod:`.inputs`), every project is evaluated with numpy (:mod:`.evaluate`), and the
batch's events, warnings, notifications (:mod:`.alerts`) and snapshots (:mod:`.store`) are
written together. Everything stays in the caller's transaction.

It is idempotent per project and day: the project's snapshot row is replaced with the same
figures, suspected events are keyed by (project, meter, scope, start) and matched within
:data:`~emc.watch.service.nightly.alerts.SAME_EVENT_DAYS` of an earlier detection, and warnings
are unique per project and month (the notification's dedupe key says the same), so a re-run
changes nothing.

Daily temperatures here are the plain mean of the station's readings of the local day (the
M&V report uses the engine's CalTRACK daily temperature; on complete hourly data they agree).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emc.contracts.models import Contract, EmcProject
from emc.mv.models import Baseline, BaselineStatus, MvReport, ReportStatus
from emc.watch.models import EventScope, WatchSettings
from emc.watch.service.common import DAILY_METHODS, contract_terms, expected_annual
from emc.watch.service.nightly import evaluate
from emc.watch.service.nightly.alerts import SAME_EVENT_DAYS, Alerts, scan_baseline
from emc.watch.service.nightly.inputs import (
    BATCH,
    BatchRecords,
    batch_records,
    daily_temperature_arrays,
    daily_use_arrays,
    load_meters,
    utc_offsets,
    warned_in,
)
from emc.watch.service.nightly.store import Snapshots

__all__ = ["BATCH", "SAME_EVENT_DAYS", "run_nightly", "scan_baseline"]

log = logging.getLogger(__name__)


def _by_id(session: Session, model, column, ids: list[int]) -> dict[int, Any]:
    out = {}
    for i in range(0, len(ids), BATCH):
        for row in session.scalars(select(model).where(column.in_(ids[i : i + BATCH]))):
            out[getattr(row, column.key)] = row
    return out


class _Inputs:
    """Meters and station weather, loaded as batches first need them and kept for the run
    (small); baselines and projects are loaded per batch and let go after it (a baseline's
    stored series weigh tens of kilobytes each)."""

    def __init__(self, session: Session, lo: dt.date, today: dt.date) -> None:
        self.session, self.lo, self.today = session, lo, today
        self.meters: dict[int, Any] = {}
        self.offsets: dict[int, int] = {}
        self._stations: dict[int, dict[int, Any]] = defaultdict(dict)

    def load(self, baselines) -> None:
        wanted = {int(e["meter_id"]) for b in baselines for e in b.models}
        new = load_meters(self.session, sorted(wanted - self.meters.keys()))
        self.meters.update(new)
        self.offsets.update(utc_offsets(new.values(), self.lo, self.today))

    def weather(self, baselines) -> tuple[dt.date, dict[int, Any]]:
        """``(lo, {station: daily mean °C from lo})`` for the stations of ``baselines``'
        meters, each read in its meters' UTC offset."""
        groups: dict[int, set[int]] = defaultdict(set)
        for b in baselines:
            for e in b.models:
                m = self.meters.get(int(e["meter_id"]))
                if m is not None and m.station_id:
                    groups[self.offsets[m.id]].add(m.station_id)
        temps: dict[int, Any] = {}
        for off, stations in groups.items():
            cached = self._stations[off]
            missing = sorted(stations - cached.keys())
            if missing:
                cached.update(
                    daily_temperature_arrays(self.session, missing, off, self.lo, self.today)
                )
            temps.update({st: cached[st] for st in stations})
        return self.lo, temps


def run_nightly(session: Session, today: dt.date) -> dict[str, Any]:
    """The watch of every project with an approved (or, for baseline events, proposed)
    baseline, for the local date ``today`` (data up to yesterday)."""
    rows = session.execute(
        select(Baseline.id, Baseline.project_id, Baseline.status, Baseline.end_date)
        .where(Baseline.status.in_([BaselineStatus.APPROVED, BaselineStatus.PROPOSED]))
        .order_by(Baseline.project_id, Baseline.version)
    ).all()
    if not rows:
        return {"projects": 0, "tracked": 0, "events": 0, "warnings": 0}
    project_ids = sorted({r.project_id for r in rows})
    operation_start: dict[int, dt.date | None] = {}
    for i in range(0, len(project_ids), BATCH):
        operation_start.update(
            session.execute(
                select(EmcProject.id, EmcProject.operation_start_on).where(
                    EmcProject.id.in_(project_ids[i : i + BATCH])
                )
            ).all()
        )
    last_accepted = dict(
        session.execute(
            select(MvReport.project_id, func.max(MvReport.period_end))
            .where(MvReport.status == ReportStatus.ACCEPTED)
            .group_by(MvReport.project_id)
        ).all()
    )
    proposed, work = [], []
    for r in rows:
        if r.status is BaselineStatus.PROPOSED:
            proposed.append(r)
            continue
        start = max(r.end_date, operation_start[r.project_id] or r.end_date)
        if last_accepted.get(r.project_id):
            start = max(start, last_accepted[r.project_id])
        if start < today:
            work.append((r.project_id, r.id, start))
    lo = min((s for _p, _b, s in work), default=today)
    inputs = _Inputs(session, lo, today)
    alerts = Alerts(session, warned_in(session, today.strftime("%Y-%m")))
    events = tracked = warnings = 0
    for i in range(0, len(proposed), BATCH):
        chunk = proposed[i : i + BATCH]
        baselines = _by_id(session, Baseline, Baseline.id, [r.id for r in chunk])
        projects = _by_id(session, EmcProject, EmcProject.id, [r.project_id for r in chunk])
        inputs.load(baselines.values())
        for r in chunk:
            events += scan_baseline(
                session, projects[r.project_id], baselines[r.id], inputs.meters, alerts
            )
        alerts.send()
    snapshots = Snapshots(session)
    for i in range(0, len(work), BATCH):
        t, e, w = _run_batch(session, work[i : i + BATCH], inputs, today, alerts, snapshots)
        tracked += t
        events += e
        warnings += w
    snapshots.refresh_loaded()
    session.flush()
    log.info(
        "savings watch %s: %d projects, %d tracked, %d events, %d warnings",
        today,
        len(project_ids),
        tracked,
        events,
        warnings,
    )
    return {
        "projects": len(project_ids),
        "tracked": tracked,
        "events": events,
        "warnings": warnings,
    }


def _run_batch(session, work, inputs: _Inputs, today, alerts, snapshots):
    """Track one batch of ``(project id, baseline id, start)``; returns (tracked, events,
    warnings)."""
    pids = sorted({p for p, _b, _s in work})
    baselines = _by_id(session, Baseline, Baseline.id, [b for _p, b, _s in work])
    projects = _by_id(session, EmcProject, EmcProject.id, pids)
    contracts = _by_id(session, Contract, Contract.project_id, pids)
    settings = _by_id(session, WatchSettings, WatchSettings.project_id, pids)
    records = batch_records(session, pids)
    inputs.load(baselines.values())
    meters = inputs.meters
    temps = inputs.weather(baselines.values())
    lo = min(s for _p, _b, s in work)
    groups: dict[int, list] = defaultdict(list)
    for b in baselines.values():
        for entry in b.models:
            meter = meters.get(int(entry["meter_id"]))
            if meter is not None:
                groups[inputs.offsets[meter.id]].append(meter)
    use: dict[int, Any] = {}
    for off, group in groups.items():
        use.update(daily_use_arrays(session, group, off, lo, today))
    tracked = events = warnings = 0
    with session.no_autoflush:
        for project_id, baseline_id, start in work:
            t, e, w = _watch_project(
                projects[project_id],
                baselines[baseline_id],
                contracts.get(project_id),
                settings.get(project_id),
                records,
                meters,
                (lo, use),
                temps,
                start,
                today,
                alerts,
                snapshots,
            )
            tracked += t
            events += e
            warnings += w
    alerts.send()
    snapshots.write(records.snapshot_ids)
    return tracked, events, warnings


def _watch_project(
    project: EmcProject,
    b: Baseline,
    contract: Contract | None,
    setting: WatchSettings | None,
    records: BatchRecords,
    meters,
    use,
    temps,
    start: dt.date,
    today: dt.date,
    alerts: Alerts,
    snapshots: Snapshots,
) -> tuple[int, int, int]:
    """Track one project over ``[start, today)``: gathers its events, warning and snapshot
    into ``alerts`` and ``snapshots``; returns (tracked, events created, warned)."""
    entries = [e for e in b.models if (e.get("model") or {}).get("method") in DAILY_METHODS]
    tr = evaluate.track(entries, meters, use, temps, start, today)
    if tr is None:
        return 0, 0, 0
    known = records.events[project.id]
    terms, estimates = contract_terms(contract)
    cyear = evaluate.contract_year(terms, today - dt.timedelta(days=1))
    carrier = meters[int(entries[0]["meter_id"])].carrier
    normal = evaluate.combined_normal(tr)
    expected_year = guaranteed = None
    if cyear is not None:
        expected_year, guaranteed = expected_annual(terms, estimates, carrier, tr.unit, cyear[0])
    annual = expected_year if expected_year is not None else guaranteed
    stats = evaluate.model_stats(entries)
    pr = evaluate.progress(tr, normal, annual, cyear, stats)
    events = 0
    for m, found in evaluate.reporting_events(tr):
        events += len(alerts.upsert_events(project, b, EventScope.REPORTING, found, m.meter, known))
    forecast: dict[str, Any] = {}
    threshold = guaranteed if guaranteed is not None else expected_year
    if threshold is not None:
        forecast = evaluate.shortfall(
            tr,
            pr,
            normal,
            cyear=cyear,
            threshold=threshold,
            threshold_kind="guarantee" if guaranteed is not None else "expected",
            stats=stats,
            known=known,
            accepted=records.accepted.get(project.id, []),
            limit=setting.shortfall_probability if setting is not None else 0.5,
            today=today,
        )
    warned = False
    if forecast and forecast["probability"] >= forecast["limit"]:
        warned = alerts.shortfall(project, today, tr.unit, forecast)
    snapshots.add(
        project.id,
        baseline_id=b.id,
        today=today,
        start=start,
        unit=tr.unit,
        series=evaluate.series(tr, pr),
        forecast=forecast,
        gaps=evaluate.gaps(tr, pr),
    )
    return 1, events, int(warned)

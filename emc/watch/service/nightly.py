"""The nightly savings watch: persistence tracking, suspected events, shortfall warnings.

For every project with an approved baseline, over the days since its last accepted report
(or since the baseline / operation start) up to yesterday, the frozen baseline models are
evaluated with the weather seen. The job is **set-based**: the daily use of every meter and the
daily mean temperature of every station come from one grouped SQL query per batch of meters or
stations (never a query per project and day); everything else is numpy per project.

It is idempotent per project and day: the project's snapshot row is replaced with the same
figures, suspected events are keyed by (project, meter, scope, start) and matched within
:data:`SAME_EVENT_DAYS` of an earlier detection, and warnings are unique per project and month
(the notification's dedupe key says the same), so a re-run changes nothing.

Daily temperatures here are the plain mean of the station's readings of the local day (the
M&V report uses the engine's CalTRACK daily temperature; on complete hourly data they agree).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from emc.contracts.finance.periods import add_months, contract_year_of
from emc.contracts.models import Contract, EmcProject
from emc.energy import UnitError, float_factor
from emc.facilities.ingest import MeterKind
from emc.facilities.models import Meter, Site
from emc.facilities.service.analysis import fixed_offset
from emc.i18n import N_
from emc.mv import engine
from emc.mv.engine.events import cusum_events, savings_cusum
from emc.mv.engine.stats import uncertainty_fraction
from emc.mv.models import Baseline, BaselineStatus, MvReport, ReportStatus
from emc.notifications.service import notify
from emc.watch import forecast as fc
from emc.watch.models import (
    EventScope,
    EventStatus,
    SuspectedEvent,
    WarningKind,
    WatchSettings,
    WatchSnapshot,
    WatchWarning,
)
from emc.watch.service.common import (
    DAILY_METHODS,
    contract_terms,
    expected_annual,
    normal_daily,
    normal_on,
    party_users,
)

log = logging.getLogger(__name__)

DAY = 86400
EPOCH = dt.date(1970, 1, 1)
# A detection whose start lies this close to an earlier one of the same meter is that event.
SAME_EVENT_DAYS = 21
# No shortfall forecast on fewer days of data than this.
MIN_FORECAST_DAYS = 30
BATCH = 500


def _epoch(day: dt.date, offset: int) -> int:
    return (day - EPOCH).days * DAY - offset


# --- set-based loading ---------------------------------------------------------------------


def daily_use(
    session: Session, meters: list[tuple[int, int, int]], offset: int, start: dt.date, end: dt.date
) -> dict[int, dict[int, float]]:
    """Use per meter and local day number (days since 1970-01-01) over ``[start, end)`` for
    ``meters`` ``[(meter_id, readings expected per day or 0, ...)]`` of one UTC offset, in
    grouped queries of :data:`BATCH` meters. An interval meter's day with fewer readings than
    the day holds is left out (missing)."""
    expected = {m: n for m, n, _ in meters}
    out: dict[int, dict[int, float]] = defaultdict(dict)
    stmt = text(
        "SELECT meter_id, (start_ts + :off) / 86400 AS d, sum(value), count(*)"
        " FROM meter_readings WHERE meter_id IN :ids AND start_ts >= :lo AND start_ts < :hi"
        " GROUP BY meter_id, (start_ts + :off) / 86400"
    ).bindparams(bindparam("ids", expanding=True))
    ids = sorted(expected)
    for i in range(0, len(ids), BATCH):
        rows = session.execute(
            stmt,
            {
                "ids": ids[i : i + BATCH],
                "off": offset,
                "lo": _epoch(start, offset),
                "hi": _epoch(end, offset),
            },
        )
        for meter_id, d, total, count in rows:
            if count >= expected[meter_id]:
                out[meter_id][int(d)] = float(total)
    return out


def daily_temperatures(
    session: Session, stations: list[int], offset: int, start: dt.date, end: dt.date
) -> dict[int, dict[int, float]]:
    """Mean temperature (°C) per station and local day number over ``[start, end)``."""
    out: dict[int, dict[int, float]] = defaultdict(dict)
    stmt = text(
        "SELECT station_id, (start_ts + :off) / 86400 AS d, avg(temperature_c)"
        " FROM temperature_readings WHERE station_id IN :ids AND start_ts >= :lo"
        " AND start_ts < :hi GROUP BY station_id, (start_ts + :off) / 86400"
    ).bindparams(bindparam("ids", expanding=True))
    for i in range(0, len(stations), BATCH):
        rows = session.execute(
            stmt,
            {
                "ids": stations[i : i + BATCH],
                "off": offset,
                "lo": _epoch(start, offset),
                "hi": _epoch(end, offset),
            },
        )
        for station, d, t in rows:
            out[station][int(d)] = float(t)
    return out


@dataclass
class _Meter:
    id: int
    unit: str
    carrier: str
    station_id: int | None
    timezone: str
    per_day: int


# --- per project ---------------------------------------------------------------------------


@dataclass
class _Track:
    days: list[dt.date]
    unit: str
    predicted: np.ndarray
    actual: np.ndarray
    missing: np.ndarray
    per_meter: list[tuple[dict[str, Any], _Meter, np.ndarray, np.ndarray, float]]


def _track(entries, meters, use, temps, start: dt.date, end: dt.date) -> _Track | None:
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    n = len(days)
    if n == 0:
        return None
    first = (start - EPOCH).days
    unit = None
    predicted = np.zeros(n)
    actual = np.zeros(n)
    missing = np.zeros(n, dtype=bool)
    per_meter = []
    for entry in entries:
        meter = meters.get(int(entry["meter_id"]))
        if meter is None:
            continue
        unit = unit or meter.unit
        try:
            factor = float_factor(meter.unit, unit, meter.carrier)
        except UnitError:
            continue
        model = engine.model_from_dict(entry["model"])
        series = use.get(meter.id, {})
        station = temps.get(meter.station_id, {}) if meter.station_id else {}
        u = np.array([series.get(first + i, np.nan) for i in range(n)])
        t = np.array([station.get(first + i, np.nan) for i in range(n)])
        p = model.predict(t)
        missing |= ~np.isfinite(u) | ~np.isfinite(p)
        predicted += np.nan_to_num(p) * factor
        actual += np.nan_to_num(u) * factor
        per_meter.append((entry, meter, u, p, factor))
    if unit is None:
        return None
    predicted[missing] = np.nan
    actual[missing] = np.nan
    return _Track(days, unit, predicted, actual, missing, per_meter)


def _stats(entries) -> tuple[float, int, int, float]:
    """G14 inputs of the project's models, the largest model standing for all."""
    best = max(entries, key=lambda e: e["model"].get("intercept") or 0.0)
    st = best["statistics"]
    return (
        float(st.get("cvrmse") or math.nan),
        int(st.get("n") or 0),
        int(st.get("p") or 1),
        float(st.get("autocorrelation") or 0.0),
    )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    out, i, n = [], 0, mask.size
    while i < n:
        if mask[i]:
            j = i
            while j < n and mask[j]:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def _upsert_events(
    session: Session,
    project: EmcProject,
    baseline: Baseline,
    scope: EventScope,
    found,
    meter,
    known: list[SuspectedEvent] | None = None,
):
    if not found:
        return []
    if known is None:
        known = list(
            session.scalars(select(SuspectedEvent).where(SuspectedEvent.project_id == project.id))
        )
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
        session.add(row)
        existing.append(row)
        known.append(row)
        created.append(row)
    if created:
        session.flush()
        for row in created:
            notify(
                session,
                party_users(session, project),
                kind="watch_event",
                dedupe_key=f"watch-event:{row.id}",
                subject=N_("Suspected non-routine event: %(project)s from %(start)s"),
                body=N_(
                    "The savings watch found a lasting change of %(change)s %(unit)s per day "
                    "(%(percent)s%%) in %(project)s from %(start)s. Dismiss it with a reason or "
                    "turn it into a non-routine adjustment."
                ),
                link=f"/projects/{project.id}/watch",
                params={
                    "project": project.name,
                    "start": row.start_date.isoformat(),
                    "change": f"{float(row.change_per_day):+,.1f}",
                    "unit": row.unit,
                    "percent": "—" if row.change_percent is None else f"{row.change_percent:+.1f}",
                },
            )
    return created


def scan_baseline(session: Session, project: EmcProject, baseline: Baseline, meters) -> int:
    """Suspected events in the baseline period: the stored daily series (observed and
    modelled) of each daily model, scanned on its own. Returns the events created."""
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
            series["dates"],
            obs - mod,
            sigma=float(cv) * float(np.nanmean(mod)),
            rho=float(st.get("autocorrelation") or 0.0),
            predicted=mod,
        )
        created += len(
            _upsert_events(session, project, baseline, EventScope.BASELINE, found, meter)
        )
    return created


def _contract_year(terms, day: dt.date) -> tuple[int, dt.date, dt.date] | None:
    if terms is None:
        return None
    year = contract_year_of(terms.start_date, day)
    if year < 1 or year > terms.term_years:
        return None
    start = add_months(terms.start_date, 12 * (year - 1))
    return year, start, add_months(terms.start_date, 12 * year)


def _accepted_in_year(session, project_id, meter_ids, year_start, before, reports=None):
    """Adjusted baseline and savings (meter units) of accepted reports in the contract year."""
    base = saved = 0.0
    days = 0
    if reports is None:
        reports = session.scalars(
            select(MvReport).where(
                MvReport.project_id == project_id, MvReport.status == ReportStatus.ACCEPTED
            )
        )
    for report in reports:
        if report.period_start < year_start or report.period_end > before:
            continue
        days += (report.period_end - report.period_start).days
        for r in report.results:
            if int(r.get("meter_id", -1)) in meter_ids:
                sd = r.get("savings") or {}
                base += float(sd.get("adjusted_baseline") or 0.0)
                saved += float(sd.get("avoided") or 0.0)
    return base, saved, days


def track_project(
    session: Session,
    project: EmcProject,
    baseline: Baseline,
    contract: Contract | None,
    settings: WatchSettings | None,
    meters: dict[int, _Meter],
    use,
    temps,
    start: dt.date,
    today: dt.date,
    prefetched: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate one project (see the module); returns what it did. ``prefetched`` holds the
    run's bulk-loaded events, snapshots and accepted reports by project (else queried)."""
    pre = prefetched or {}
    known = pre.get("events", {}).get(project.id) if "events" in pre else None
    if known is None:
        known = list(
            session.scalars(select(SuspectedEvent).where(SuspectedEvent.project_id == project.id))
        )
    entries = [e for e in baseline.models if (e.get("model") or {}).get("method") in DAILY_METHODS]
    track = _track(entries, meters, use, temps, start, today)
    if track is None:
        return {"tracked": False}
    unit = track.unit
    terms, estimates = contract_terms(contract)
    yesterday = today - dt.timedelta(days=1)
    cyear = _contract_year(terms, yesterday)
    carrier = meters[int(entries[0]["meter_id"])].carrier
    # Normal-weather daily baseline of the whole project (baseline year's weather).
    normals = [(normal_daily(entry), factor) for entry, _m, _u, _p, factor in track.per_meter]

    combined: dict[tuple[int, int], float] = {}
    for nd, f in normals:
        for key, value in nd.items():
            combined[key] = combined.get(key, 0.0) + value * f
    if len(normals) > 1:
        # A calendar day missing from any meter's normal year is unknown for the project.
        common = set.intersection(*(set(nd) for nd, _f in normals))
        combined = {k: v for k, v in combined.items() if k in common}

    def normal(day: dt.date) -> float:
        return normal_on(combined, day)

    expected_year = guaranteed = None
    year_normal = math.nan
    if cyear is not None:
        expected_year, guaranteed = expected_annual(terms, estimates, carrier, unit, cyear[0])
        year_days = [cyear[1] + dt.timedelta(days=i) for i in range((cyear[2] - cyear[1]).days)]
        year_normal = float(np.nansum([normal(d) for d in year_days]))
    annual = expected_year if expected_year is not None else guaranteed
    savings = track.predicted - track.actual
    if annual is not None and year_normal > 0:
        expected = np.array([annual * normal(d) / year_normal for d in track.days])
    else:
        expected = np.full(len(track.days), np.nan)
    ok = ~track.missing
    cum_savings = np.cumsum(np.where(ok, savings, 0.0))
    cum_expected = np.cumsum(np.nan_to_num(expected))
    cum_base = np.cumsum(np.where(ok, track.predicted, 0.0))
    cvrmse, n, p, rho = _stats(entries)
    band = np.zeros(len(track.days))
    if n > p and math.isfinite(cvrmse):
        # G14's fraction scales as 1/sqrt(m): evaluate it once, at m = 1.
        m_days = np.cumsum(ok)
        one = uncertainty_fraction(cvrmse=cvrmse, n=n, p=p, m=1, rho=max(rho, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            band = np.where(m_days >= 1, one / np.sqrt(np.maximum(m_days, 1)) * cum_base, 0.0)
    target = np.where(np.isfinite(expected), expected, np.nan)
    if np.isfinite(target).any():
        resid = np.where(ok, savings - np.nan_to_num(target), 0.0)
        cusum = np.cumsum(resid)
    else:
        cusum = savings_cusum(np.where(ok, savings, np.nan))

    # Suspected events per meter in the reporting days, each period on its own.
    events = []
    for entry, meter, u, pr, _factor in track.per_meter:
        st = entry["statistics"]
        if not st.get("cvrmse") or np.isfinite(pr).sum() < 2 * 14:
            continue
        found, _ = cusum_events(
            track.days,
            u - pr,
            sigma=float(st["cvrmse"]) * float(np.nanmean(pr)),
            rho=float(st.get("autocorrelation") or 0.0),
            predicted=pr,
        )
        events += _upsert_events(
            session, project, baseline, EventScope.REPORTING, found, meter, known
        )

    # Savings at risk from missing days.
    fraction = None
    if annual is not None and year_normal > 0:
        fraction = annual / year_normal
    elif cum_base[-1] > 0:
        fraction = cum_savings[-1] / cum_base[-1]
    gaps = []
    for a, b in _runs(track.missing):
        base = 0.0
        for i in range(a, b):
            value = 0.0
            for (nd, _f), (_e, _m, _u, pr, factor) in zip(normals, track.per_meter, strict=True):
                value += (pr[i] if math.isfinite(pr[i]) else normal_on(nd, track.days[i])) * factor
            base += value if math.isfinite(value) else 0.0
        gaps.append(
            {
                "start": track.days[a].isoformat(),
                "end": (track.days[b - 1] + dt.timedelta(days=1)).isoformat(),
                "days": b - a,
                "adjusted_baseline": round(base, 3),
                "at_risk": round(base * fraction, 3) if fraction is not None else None,
            }
        )

    forecast: dict[str, Any] = {}
    warned = False
    threshold = guaranteed if guaranteed is not None else expected_year
    if cyear is not None and threshold is not None and int(ok.sum()) >= MIN_FORECAST_DAYS:
        _, ystart, yend = cyear
        in_year = np.array([ystart <= d < yend for d in track.days]) & ok
        acc_base, acc_saved, _ = _accepted_in_year(
            session,
            project.id,
            {m.id for _e, m, *_ in track.per_meter},
            ystart,
            start,
            pre.get("accepted", {}).get(project.id, []) if "accepted" in pre else None,
        )
        saved = acc_saved + float(savings[in_year].sum())
        base_seen = acc_base + float(track.predicted[in_year].sum())
        latest = [
            e.start_date
            for e in known
            if e.scope is EventScope.REPORTING
            and e.status is not EventStatus.DISMISSED
            and e.start_date >= start
        ]
        since = max(latest) if latest else track.days[0]
        rate_mask = in_year & np.array([d >= since for d in track.days])
        if rate_mask.sum() < 14:
            rate_mask = in_year
        remaining = [today + dt.timedelta(days=i) for i in range(max((yend - today).days, 0))]
        if rate_mask.sum() >= 1 and track.predicted[rate_mask].sum() > 0:
            f = fc.savings_forecast(
                savings_to_date=saved,
                rate_savings=float(savings[rate_mask].sum()),
                rate_baseline=float(track.predicted[rate_mask].sum()),
                rate_days=int(rate_mask.sum()),
                baseline_to_date=base_seen,
                baseline_remaining=float(np.nansum([normal(d) for d in remaining])),
                days_remaining=len(remaining),
                cvrmse=cvrmse,
                n=n,
                p=p,
                rho=rho,
            )
            probability = f.probability_below(threshold)
            limit = settings.shortfall_probability if settings is not None else 0.5
            shortfall = (savings - np.nan_to_num(expected))[in_year]
            worst = np.argsort(shortfall)[:5]
            in_days = [d for d, keep in zip(track.days, in_year, strict=True) if keep]
            drivers = [
                {"date": in_days[i].isoformat(), "shortfall": round(float(-shortfall[i]), 3)}
                for i in sorted(worst)
                if shortfall[i] < 0
            ]
            forecast = {
                **f.to_dict(),
                "threshold": threshold,
                "threshold_kind": "guarantee" if guaranteed is not None else "expected",
                "probability": probability,
                "limit": limit,
                "year_start": ystart.isoformat(),
                "year_end": yend.isoformat(),
                "rate_since": since.isoformat(),
                "drivers": drivers,
            }
            if probability >= limit:
                warned = _warn_shortfall(
                    session,
                    project,
                    today,
                    unit,
                    forecast,
                    pre.get("warned"),
                    pre.get("users"),
                )
    if "snapshots" in pre:
        snapshot = pre["snapshots"].get(project.id)
    else:
        snapshot = session.scalar(
            select(WatchSnapshot).where(WatchSnapshot.project_id == project.id)
        )
    if snapshot is None:
        snapshot = WatchSnapshot(project_id=project.id)
        session.add(snapshot)

    def clean(a):
        a = np.asarray(a, dtype=float)
        return np.where(np.isfinite(a), np.round(a, 3), None).tolist()

    snapshot.baseline_id = baseline.id
    snapshot.as_of = today
    snapshot.period_start = start
    snapshot.unit = unit
    snapshot.series = {
        "dates": [d.isoformat() for d in track.days],
        "adjusted_baseline": clean(track.predicted),
        "actual": clean(track.actual),
        "savings": clean(np.where(ok, savings, np.nan)),
        "expected": clean(expected),
        "cumulative_savings": clean(cum_savings),
        "cumulative_expected": clean(cum_expected) if np.isfinite(expected).any() else [],
        "band_low": clean(cum_savings - band),
        "band_high": clean(cum_savings + band),
        "cusum": clean(cusum),
    }
    snapshot.forecast = forecast
    snapshot.gaps = gaps
    return {"tracked": True, "events": len(events), "warned": warned}


def _warn_shortfall(session, project, today, unit, forecast, warned=None, users=None) -> bool:
    month = today.strftime("%Y-%m")
    key = f"project:{project.id}"
    if warned is not None:
        exists = key if key in warned else None
    else:
        exists = session.scalar(
            select(WatchWarning.id).where(
                WatchWarning.kind == WarningKind.SHORTFALL,
                WatchWarning.subject_key == key,
                WatchWarning.month == month,
            )
        )
    if exists is not None:
        return False
    if warned is not None:
        warned.add(key)
    warning = WatchWarning(
        kind=WarningKind.SHORTFALL,
        subject_key=key,
        month=month,
        organization_id=project.organization_id,
        project_id=project.id,
        forecast=forecast["value"],
        low=forecast["low"],
        high=forecast["high"],
        threshold=forecast["threshold"],
        probability=forecast["probability"],
        unit=unit,
        details={"drivers": forecast["drivers"], "year_end": forecast["year_end"]},
    )
    session.add(warning)
    notify(
        session,
        users(project) if users is not None else party_users(session, project),
        kind="watch_shortfall",
        dedupe_key=f"watch-shortfall:{project.id}:{month}",
        subject=N_("Savings shortfall warning: %(project)s, %(probability)s%% likely short"),
        body=N_(
            "The contract year of %(project)s ending %(year_end)s is forecast to save "
            "%(forecast)s %(unit)s (90%% interval %(low)s to %(high)s) against %(threshold)s "
            "%(unit)s: a %(probability)s%% probability of falling short. Days that drove it: "
            "%(days)s."
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
    return True


def _prefetch(session: Session, project_ids: list[int], month: str) -> dict[str, Any]:
    """Events, snapshots and accepted reports of the projects, in batched queries."""
    events: dict[int, list[SuspectedEvent]] = {pid: [] for pid in project_ids}
    snapshots: dict[int, WatchSnapshot] = {}
    accepted: dict[int, list[MvReport]] = defaultdict(list)
    for i in range(0, len(project_ids), BATCH):
        ids = project_ids[i : i + BATCH]
        for row in session.scalars(
            select(SuspectedEvent).where(SuspectedEvent.project_id.in_(ids))
        ):
            events[row.project_id].append(row)
        for row in session.scalars(select(WatchSnapshot).where(WatchSnapshot.project_id.in_(ids))):
            snapshots[row.project_id] = row
        for row in session.scalars(
            select(MvReport).where(
                MvReport.project_id.in_(ids), MvReport.status == ReportStatus.ACCEPTED
            )
        ):
            accepted[row.project_id].append(row)
    warned = set(
        session.scalars(
            select(WatchWarning.subject_key).where(
                WatchWarning.kind == WarningKind.SHORTFALL, WatchWarning.month == month
            )
        )
    )
    parties: dict[tuple[int, int | None], list] = {}

    def users(project: EmcProject) -> list:
        key = (project.organization_id, project.esco_organization_id)
        if key not in parties:
            parties[key] = party_users(session, project)
        return parties[key]

    return {
        "events": events,
        "snapshots": snapshots,
        "accepted": accepted,
        "warned": warned,
        "users": users,
    }


def run_nightly(session: Session, today: dt.date) -> dict[str, Any]:
    """The watch of every project with an approved (or, for baseline events, proposed)
    baseline, for the local date ``today`` (data up to yesterday)."""
    baselines = list(
        session.scalars(
            select(Baseline)
            .where(Baseline.status.in_([BaselineStatus.APPROVED, BaselineStatus.PROPOSED]))
            .order_by(Baseline.project_id, Baseline.version)
        )
    )
    if not baselines:
        return {"projects": 0, "tracked": 0, "events": 0, "warnings": 0}
    project_ids = sorted({b.project_id for b in baselines})
    projects = {
        p.id: p for p in session.scalars(select(EmcProject).where(EmcProject.id.in_(project_ids)))
    }
    contracts = {
        c.project_id: c
        for c in session.scalars(select(Contract).where(Contract.project_id.in_(project_ids)))
    }
    settings = {
        s.project_id: s
        for s in session.scalars(
            select(WatchSettings).where(WatchSettings.project_id.in_(project_ids))
        )
    }
    last_accepted = dict(
        session.execute(
            select(MvReport.project_id, func.max(MvReport.period_end))
            .where(MvReport.status == ReportStatus.ACCEPTED)
            .group_by(MvReport.project_id)
        ).all()
    )
    meter_ids = sorted({int(e["meter_id"]) for b in baselines for e in b.models})
    meters: dict[int, _Meter] = {}
    for meter, site in session.execute(
        select(Meter, Site).join(Site, Site.id == Meter.site_id).where(Meter.id.in_(meter_ids))
    ):
        step = (meter.interval_minutes or 0) * 60
        per_day = DAY // step if meter.kind is MeterKind.INTERVAL and step else 1
        meters[meter.id] = _Meter(
            meter.id,
            meter.unit,
            str(meter.carrier),
            site.weather_station_id,
            site.timezone,
            per_day,
        )
    events = tracked = warnings = 0
    work = []
    for b in baselines:
        project = projects[b.project_id]
        if b.status is BaselineStatus.PROPOSED:
            events += scan_baseline(session, project, b, meters)
            continue
        start = max(b.end_date, project.operation_start_on or b.end_date)
        if last_accepted.get(project.id):
            start = max(start, last_accepted[project.id])
        if start < today:
            work.append((project, b, start))
    # Group the meters by UTC offset (a zone with DST falls back to its offset at the start).
    by_offset: dict[int, list] = defaultdict(list)
    if work:
        lo = min(s for _p, _b, s in work)
        for m in meters.values():
            zone = ZoneInfo(m.timezone)
            off = fixed_offset(m.timezone, _epoch(lo, 0), _epoch(today, 0))
            if off is None:
                off = int(dt.datetime.combine(lo, dt.time(), zone).utcoffset().total_seconds())
            by_offset[off].append(m)
        use: dict[int, dict[int, float]] = {}
        temps: dict[int, dict[int, float]] = {}
        for off, group in by_offset.items():
            use.update(daily_use(session, [(m.id, m.per_day, 0) for m in group], off, lo, today))
            stations = sorted({m.station_id for m in group if m.station_id})
            temps.update(daily_temperatures(session, stations, off, lo, today))
        pre = _prefetch(session, sorted({p.id for p, _b, _s in work}), today.strftime("%Y-%m"))
        with session.no_autoflush:
            for project, b, start in work:
                result = track_project(
                    session,
                    project,
                    b,
                    contracts.get(project.id),
                    settings.get(project.id),
                    meters,
                    use,
                    temps,
                    start,
                    today,
                    pre,
                )
                tracked += bool(result.get("tracked"))
                events += result.get("events", 0)
                warnings += bool(result.get("warned"))
    session.flush()
    return {
        "projects": len(project_ids),
        "tracked": tracked,
        "events": events,
        "warnings": warnings,
    }

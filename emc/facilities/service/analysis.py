"""Aggregates and data quality of a meter's readings, computed in SQL.

Local days and months
    Totals are by the **site's local** day or month. A zone whose UTC offset is fixed over the
    data (Asia/Shanghai: +8 h, no DST since 1991) is aggregated entirely in SQL, the local day
    of a reading being ``(start_ts + offset) / 86400`` (integer division; epochs are ≥ 0) and the
    month formatted from ``start_ts + offset`` by the database. For a zone with DST the offset
    changes within the data, so SQL sums per UTC hour (per 15 minutes for zones with
    half-hour offsets) and Python folds those buckets into local days with :mod:`zoneinfo` — one
    row per hour instead of per reading, so still cheap.

Periods
    A reading counts in the day (month) in which its period **starts**. For interval meters
    that is exact; billing and register periods are not split across days (their totals by day
    are the periods themselves; use monthly totals or the periods for billing analysis).

Quality
    Coverage: readings stored / readings expected, per local day and month (interval meters),
    or the share of each day covered by a period (billing and register meters). Gaps: stretches
    between the end of one reading and the start of the next (SQL window ``LAG``). Zero runs:
    consecutive readings of exactly zero lasting at least a day (gaps-and-islands in SQL).
    Outliers: daily totals of complete days (interval) or per-day averages of periods (billing)
    whose robust z-score ``0.6745 (x − median) / MAD`` exceeds 3.5 (Iglewicz and Hoaglin).
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.policy import load
from emc.errors import Invalid
from emc.facilities import rollup
from emc.facilities.ingest import MeterKind
from emc.facilities.models import Meter, Site
from emc.messages import msg

DAY = 86400
OUTLIER_Z = 3.5


@dataclass(frozen=True)
class Total:
    """Consumption over one local day or month (``period`` is its first day), in ``unit``."""

    period: dt.date
    total: float
    readings: int


@dataclass(frozen=True)
class DayCoverage:
    day: dt.date
    readings: int
    fraction: float  # 0..1 of the day covered


@dataclass(frozen=True)
class MonthCoverage:
    month: dt.date
    readings: int
    fraction: float
    days: tuple[DayCoverage, ...]


@dataclass(frozen=True)
class Span:
    """``[start, end)`` as aware UTC datetimes, with how many readings it concerns."""

    start: dt.datetime
    end: dt.datetime
    readings: int


@dataclass(frozen=True)
class Outlier:
    period: dt.date
    value: float
    z: float


@dataclass(frozen=True)
class QualityReport:
    meter: Meter
    site: Site
    readings: int
    first: dt.datetime | None
    last: dt.datetime | None
    by_quality: dict[str, int]
    coverage: tuple[MonthCoverage, ...]
    gaps: tuple[Span, ...]
    gap_seconds: int
    zero_runs: tuple[Span, ...]
    outliers: tuple[Outlier, ...]


def _utc(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _meter(session: Session, actor: Actor, meter_id: int) -> tuple[Meter, Site]:
    meter = load(session, actor, Meter, meter_id)
    return meter, session.get(Site, meter.site_id)


def _bounds(
    session: Session, meter_id: int, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[int, int] | None:
    row = session.execute(
        text("SELECT min(start_ts), max(start_ts) FROM meter_readings WHERE meter_id = :m"),
        {"m": meter_id},
    ).one()
    if row[0] is None:
        return None
    lo = int(start.timestamp()) if start is not None else row[0]
    hi = int(end.timestamp()) if end is not None else row[1] + 1
    if hi <= lo:
        raise Invalid(
            msg("facilities.end_before_start"), fields={"end": [msg("field.after_start")]}
        )
    return lo, hi


def local_day_rows(
    session: Session, meter_id: int, zone: str, lo: int, hi: int
) -> list[tuple[dt.date, float, int]]:
    """(local day, total, readings) per day with readings in ``[lo, hi)``: whole days from the
    daily rollup, partial days at the ends from the readings (:mod:`emc.facilities.rollup`)."""
    return rollup.day_rows(session, meter_id, zone, lo, hi)


def daily_totals(
    session: Session,
    actor: Actor,
    meter_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> tuple[Meter, Site, list[Total]]:
    """Consumption per local day of the site, in the meter's unit (see the module)."""
    meter, site = _meter(session, actor, meter_id)
    bounds = _bounds(session, meter.id, start, end)
    if bounds is None:
        return meter, site, []
    rows = local_day_rows(session, meter.id, site.timezone, *bounds)
    return meter, site, [Total(d, t, n) for d, t, n in rows]


def bill_days(
    session: Session, actor: Actor, meter_id: int, *, start: dt.date, end: dt.date
) -> list[Total]:
    """A billing meter's bills spread over their days: each local day of ``[start, end)`` that
    a bill covers carries the bill's use divided by its days (a chart of days then shows each
    bill as a level over its period, not the whole bill on its first day)."""
    meter, site = _meter(session, actor, meter_id)
    zone = ZoneInfo(site.timezone)
    lo = int(dt.datetime.combine(start, dt.time(), zone).timestamp())
    hi = int(dt.datetime.combine(end, dt.time(), zone).timestamp())
    rows = session.execute(
        text(
            "SELECT start_ts, end_ts, value FROM meter_readings WHERE meter_id = :m"
            " AND start_ts < :hi AND end_ts > :lo ORDER BY start_ts"
        ),
        {"m": meter.id, "lo": lo, "hi": hi},
    ).all()
    days: dict[dt.date, list] = {}
    for s, e, v in rows:
        first = dt.datetime.fromtimestamp(s, zone).date()
        after = dt.datetime.fromtimestamp(e, zone).date()
        n = max((after - first).days, 1)
        for i in range(n):
            day = first + dt.timedelta(days=i)
            if start <= day < end:
                acc = days.setdefault(day, [0.0, 0])
                acc[0] += v / n
                acc[1] += 1
    return [Total(d, t, k) for d, (t, k) in sorted(days.items())]


def monthly_totals(
    session: Session,
    actor: Actor,
    meter_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> tuple[Meter, Site, list[Total]]:
    """Consumption per local calendar month of the site, in the meter's unit."""
    meter, site = _meter(session, actor, meter_id)
    bounds = _bounds(session, meter.id, start, end)
    if bounds is None:
        return meter, site, []
    lo, hi = bounds
    # Months from days: whole days come from the daily rollup, so a meter with years of
    # readings sums a few thousand days, not every reading.
    months: dict[dt.date, list] = {}
    for day, t, n in local_day_rows(session, meter.id, site.timezone, lo, hi):
        acc = months.setdefault(day.replace(day=1), [0.0, 0])
        acc[0] += t
        acc[1] += n
    return meter, site, [Total(m, t, n) for m, (t, n) in sorted(months.items())]


def _day_seconds(day: dt.date, zone: ZoneInfo) -> int:
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return int(end.timestamp() - start.timestamp())


def _coverage(
    session: Session, meter: Meter, site: Site, lo: int, hi: int
) -> tuple[MonthCoverage, ...]:
    zone = ZoneInfo(site.timezone)
    per_day: dict[dt.date, tuple[int, float]] = {}
    if meter.kind is MeterKind.INTERVAL:
        step = meter.interval_minutes * 60
        for day, _total, n in local_day_rows(session, meter.id, site.timezone, lo, hi):
            per_day[day] = (n, min(1.0, n * step / _day_seconds(day, zone)))
    else:
        covered: dict[dt.date, float] = defaultdict(float)
        counts: dict[dt.date, int] = defaultdict(int)
        periods = session.execute(
            text(
                "SELECT start_ts, end_ts FROM meter_readings"
                " WHERE meter_id = :m AND start_ts >= :lo AND start_ts < :hi ORDER BY start_ts"
            ),
            {"m": meter.id, "lo": lo, "hi": hi},
        ).all()
        for s, e in periods:
            counts[dt.datetime.fromtimestamp(s, zone).date()] += 1
            t = s
            while t < e:
                day = dt.datetime.fromtimestamp(t, zone).date()
                day_end = int(
                    dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).timestamp()
                )
                upto = min(e, day_end)
                covered[day] += (upto - t) / _day_seconds(day, zone)
                t = upto
        per_day = {d: (counts.get(d, 0), min(1.0, f)) for d, f in covered.items()}
    if not per_day:
        return ()
    first, last = min(per_day), max(per_day)
    months = []
    month = first.replace(day=1)
    while month <= last:
        ndays = calendar.monthrange(month.year, month.month)[1]
        days = []
        for i in range(ndays):
            day = month + dt.timedelta(days=i)
            n, fraction = per_day.get(day, (0, 0.0))
            days.append(DayCoverage(day, n, fraction))
        months.append(
            MonthCoverage(
                month,
                sum(d.readings for d in days),
                sum(d.fraction for d in days) / ndays,
                tuple(days),
            )
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return tuple(months)


_GAPS_SQL = (
    "SELECT prev_end, start_ts FROM ("
    " SELECT start_ts, LAG(COALESCE(end_ts, start_ts + :iv)) OVER (ORDER BY start_ts)"
    " AS prev_end FROM meter_readings WHERE meter_id = :m{within}) AS t"
    " WHERE start_ts > prev_end ORDER BY start_ts"
)
# Beyond this many stretches of incomplete days, one pass over every reading is cheaper.
_MAX_GAP_STRETCHES = 200


def _gaps(
    session: Session,
    meter: Meter,
    interval: int,
    coverage: tuple[MonthCoverage, ...] = (),
    zone: ZoneInfo | None = None,
) -> tuple[list[Span], int]:
    """Every gap between consecutive readings: ``(end of one, start of the next)``.

    An interval meter's gaps can only touch days its coverage shows incomplete (a complete day
    has every interval), so only those stretches are read, each with a whole day either side
    (the reading before a gap and the one after it lie there at the latest); a meter with years
    of clean data reads almost nothing. Other meters, and very ragged data, are read whole."""
    stretches = _incomplete_stretches(coverage, zone) if interval and zone else None
    if stretches is None or len(stretches) > _MAX_GAP_STRETCHES:
        ranges: list[tuple[int, int] | None] = [None]
    else:
        ranges = list(stretches)
    rows: list = []
    for bounds in ranges:
        params = {"m": meter.id, "iv": interval}
        within = ""
        if bounds is not None:
            within = " AND start_ts >= :lo AND start_ts < :hi"
            params["lo"], params["hi"] = bounds
        rows += session.execute(text(_GAPS_SQL.format(within=within)), params).all()
    spans = [Span(_utc(p), _utc(s), (s - p) // interval if interval else 0) for p, s in rows]
    return spans, sum(s - p for p, s in rows)


def _incomplete_stretches(
    coverage: tuple[MonthCoverage, ...], zone: ZoneInfo
) -> list[tuple[int, int]]:
    """``[lo, hi)`` epoch ranges around each run of incomplete days (a day either side),
    merged where they meet."""
    days = [d for month in coverage for d in month.days]
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(days):
        if days[i].fraction >= 1.0:
            i += 1
            continue
        j = i
        while j + 1 < len(days) and days[j + 1].fraction < 1.0:
            j += 1
        lo = rollup.midnight(days[i].day - dt.timedelta(days=1), zone)
        hi = rollup.midnight(days[j].day + dt.timedelta(days=2), zone)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
        i = j + 1
    return out


def _zero_runs(session: Session, meter: Meter, interval: int, min_seconds: int) -> list[Span]:
    """Runs of consecutive readings (in start order) that are all zero, spanning at least
    ``min_seconds``. Only the zero readings are read and ordered: two of them are consecutive
    when the second starts where the first ends, or else when no reading starts between them
    (an index probe)."""
    rows = session.execute(
        text(
            "WITH z AS (SELECT start_ts, COALESCE(end_ts, start_ts + :iv) AS end_ts"
            "  FROM meter_readings WHERE meter_id = :m AND value = 0),"
            " l AS (SELECT start_ts, end_ts,"
            "  LAG(start_ts) OVER (ORDER BY start_ts) AS prev_start,"
            "  LAG(end_ts) OVER (ORDER BY start_ts) AS prev_end FROM z),"
            " b AS (SELECT start_ts, end_ts, CASE WHEN prev_start IS NOT NULL AND ("
            "   start_ts = prev_end OR NOT EXISTS (SELECT 1 FROM meter_readings r"
            "    WHERE r.meter_id = :m AND r.start_ts > l.prev_start AND r.start_ts < l.start_ts)"
            "  ) THEN 0 ELSE 1 END AS brk FROM l),"
            " g AS (SELECT start_ts, end_ts, SUM(brk) OVER (ORDER BY start_ts) AS grp FROM b)"
            " SELECT min(start_ts), max(end_ts), count(*) FROM g GROUP BY grp"
            " HAVING max(end_ts) - min(start_ts) >= :min ORDER BY 1"
        ),
        {"m": meter.id, "iv": interval, "min": min_seconds},
    ).all()
    return [Span(_utc(s), _utc(e), int(n)) for s, e, n in rows]


def robust_outliers(
    points: list[tuple[dt.date, float]], threshold: float = OUTLIER_Z
) -> list[Outlier]:
    """Points whose robust z-score ``0.6745 (x − median) / MAD`` exceeds ``threshold``.

    With a MAD of zero (more than half the points equal) the mean absolute deviation scaled by
    1.2533 stands in for it (Iglewicz and Hoaglin); if that is zero too, nothing is an outlier.
    """
    if len(points) < 3:
        return []
    values = [v for _, v in points]
    median = statistics.median(values)
    deviations = [abs(v - median) for v in values]
    mad = statistics.median(deviations)
    if mad > 0:
        scale = mad / 0.6745
    else:
        mean_ad = sum(deviations) / len(deviations)
        if mean_ad == 0:
            return []
        scale = mean_ad * 1.2533
    out = []
    for day, v in points:
        z = (v - median) / scale
        if abs(z) > threshold:
            out.append(Outlier(day, v, round(z, 2)))
    return out


# Days of each kind (working days, weekends) a series needs before outliers are judged
# within their kind: a school uses a quarter of a weekday's water on a Saturday, which pooled
# with weekdays is a "robust outlier" every weekend.
GROUP_MIN_DAYS = 14


def grouped_outliers(points: list[tuple[dt.date, float]], *, daily: bool) -> list[Outlier]:
    """Robust outliers judged against like periods: daily values within working days and
    within weekends (once each has :data:`GROUP_MIN_DAYS`, else all together); longer periods
    (bills) within the same calendar month of other years, so that a winter bill is compared
    with winter bills (fewer than three of a month: none is judged)."""
    if daily:
        weekend = [p for p in points if p[0].weekday() >= 5]
        workday = [p for p in points if p[0].weekday() < 5]
        if min(len(weekend), len(workday)) < GROUP_MIN_DAYS:
            return robust_outliers(points)
        groups = [workday, weekend]
    else:
        by_month: dict[int, list[tuple[dt.date, float]]] = {}
        for p in points:
            by_month.setdefault(p[0].month, []).append(p)
        groups = list(by_month.values())
    return sorted((o for g in groups for o in robust_outliers(g)), key=lambda o: o.period)


def quality_report(session: Session, actor: Actor, meter_id: int) -> QualityReport:
    """Coverage by month and day, gaps, zero runs and outliers of a meter's readings."""
    meter, site = _meter(session, actor, meter_id)
    interval = (meter.interval_minutes or 0) * 60
    head = session.execute(
        text(
            "SELECT count(*), min(start_ts), max(COALESCE(end_ts, start_ts + :iv))"
            " FROM meter_readings WHERE meter_id = :m"
        ),
        {"m": meter.id, "iv": interval},
    ).one()
    by_quality = dict(
        session.execute(
            text(
                "SELECT quality, count(*) FROM meter_readings WHERE meter_id = :m"
                " GROUP BY quality ORDER BY quality"
            ),
            {"m": meter.id},
        ).all()
    )
    count = int(head[0])
    if count == 0:
        return QualityReport(meter, site, 0, None, None, {}, (), (), 0, (), ())
    lo, hi = int(head[1]), int(head[2])
    coverage = _coverage(session, meter, site, lo, hi)
    gaps, gap_seconds = _gaps(session, meter, interval, coverage, ZoneInfo(site.timezone))
    zeros = _zero_runs(session, meter, interval, DAY if interval else 1)
    if meter.kind is MeterKind.INTERVAL:
        complete = [
            (day.day, None) for month in coverage for day in month.days if day.fraction >= 1.0
        ]
        totals = {d: t for d, t, _n in local_day_rows(session, meter.id, site.timezone, lo, hi)}
        points = [(d, totals[d]) for d, _ in complete if d in totals]
        daily = True
    else:
        zone = ZoneInfo(site.timezone)
        periods = session.execute(
            text(
                "SELECT start_ts, end_ts, value FROM meter_readings WHERE meter_id = :m"
                " ORDER BY start_ts"
            ),
            {"m": meter.id},
        ).all()
        points = [
            (dt.datetime.fromtimestamp(s, zone).date(), v / ((e - s) / DAY))
            for s, e, v in periods
            if e > s
        ]
        # A register read daily is judged as days are; bills against the same month.
        daily = bool(periods) and max(e - s for s, e, _v in periods) <= DAY
    return QualityReport(
        meter=meter,
        site=site,
        readings=count,
        first=_utc(lo),
        last=_utc(hi),
        by_quality={str(k): int(v) for k, v in by_quality.items()},
        coverage=coverage,
        gaps=tuple(gaps),
        gap_seconds=int(gap_seconds),
        zero_runs=tuple(zeros),
        outliers=tuple(grouped_outliers(points, daily=daily)),
    )

"""The programme dashboard of one region and window: counts against the target, breakdowns,
sub-regions, verified savings, investment, intensity change and the snapshot trend."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.models import Region
from emc.auth.policy import region_filter
from emc.auth.regions import level_of, parent_of
from emc.contracts.finance import ContractType
from emc.contracts.models import Investor, ProjectStatus
from emc.errors import Invalid, NotFound
from emc.messages import msg, record
from emc.programme import stats
from emc.programme.models import (
    Metric,
    ProgrammeSnapshot,
    ProgrammeSummary,
    ProgrammeTarget,
    SummaryDimension,
)
from emc.programme.service._common import (
    DEFAULT_WINDOW,
    PRIVATE_INVESTORS,
    _agency_region,
    _child_code,
    _child_prefix_len,
    breadcrumb,
    local_today,
    region_names,
)
from emc.programme.service.intensity import _intensity
from emc.programme.service.targets import (
    _window_target,
)


@dataclass
class Dashboard:
    """Everything the dashboard page, its JSON and its PDF show, for one region and window."""

    region: dict[str, Any]
    breadcrumb: list[dict[str, str]]
    window: dict[str, Any]
    as_of: dt.date
    counting_rule: str
    progress: dict[str, Any]
    monthly: list[dict[str, Any]]
    by_year: list[dict[str, Any]]
    by_type: list[dict[str, Any]]
    by_sector: list[dict[str, Any]]
    by_status: list[dict[str, Any]]
    children: list[dict[str, Any]]
    savings: dict[str, Any]
    investment: dict[str, Any]
    intensity: dict[str, Any]
    trend: list[dict[str, Any]] = field(default_factory=list)
    # Approved baselines (current versions) that fail G14 and were approved with an override
    # reason, in the region's subtree: the agency sees how often the rule was set aside.
    baseline_overrides: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _summary_figures(session: Session, region: str, window: tuple[int, int]) -> dict[str, Any]:
    """The dashboard's counts and sums for ``region``'s subtree and the window's years, from
    ``programme_summaries`` (kept exact by :mod:`emc.programme.summary`): two grouped reads
    over a few rows per region code instead of scans of every project and M&V report."""
    in_subtree_ = region_filter(ProgrammeSummary.region_code, region)
    in_window = ProgrammeSummary.year.between(*window)
    windowed = (
        SummaryDimension.MONTH,
        SummaryDimension.TYPE,
        SummaryDimension.SECTOR,
        SummaryDimension.INVESTOR,
    )
    dim, key = ProgrammeSummary.dimension, ProgrammeSummary.key
    year, month = ProgrammeSummary.year, ProgrammeSummary.month
    rows = session.execute(
        select(
            dim,
            key,
            year,
            month,
            func.sum(ProgrammeSummary.projects),
            func.sum(ProgrammeSummary.investment),
            func.sum(ProgrammeSummary.tce),
            func.sum(ProgrammeSummary.tco2),
            func.sum(ProgrammeSummary.cny),
        )
        .where(in_subtree_, or_(and_(dim.in_(windowed), in_window), dim.not_in(windowed)))
        .group_by(dim, key, year, month)
    ).all()
    monthly: dict[tuple[int, int], int] = {}
    yearly: dict[int, int] = defaultdict(int)
    types: dict[str, int] = defaultdict(int)
    sectors: dict[str, int] = defaultdict(int)
    invested: dict[str, Decimal] = defaultdict(Decimal)
    statuses: dict[str, int] = {}
    terminated_early = 0
    savings_by_year = []
    for d, k, y, m, n, inv, tce, tco2, cny in sorted(rows, key=lambda r: (r[0], r[1], r[2], r[3])):
        n = int(n or 0)
        if d == SummaryDimension.MONTH:
            monthly[(y, m)] = n
            yearly[y] += n
        elif d == SummaryDimension.TYPE:
            types[k] += n
        elif d == SummaryDimension.SECTOR:
            sectors[k] += n
        elif d == SummaryDimension.INVESTOR:
            invested[k] += Decimal(inv or 0)
        elif d == SummaryDimension.STATUS:
            statuses[k] = n
        elif d == SummaryDimension.TERMINATED_EARLY:
            terminated_early = n
        elif d == SummaryDimension.SAVINGS:
            savings_by_year.append(
                {
                    "year": y,
                    "tce": Decimal(tce or 0),
                    "tco2": Decimal(tco2 or 0),
                    "cny": Decimal(cny or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN),
                    "reports": n,
                }
            )
    plen = _child_prefix_len(region)
    prefix = func.substr(ProgrammeSummary.region_code, 1, plen)
    children = dict(
        session.execute(
            select(prefix, func.sum(ProgrammeSummary.projects))
            .where(in_subtree_, dim == SummaryDimension.MONTH, in_window)
            .group_by(prefix)
        ).all()
    )
    return {
        "monthly": monthly,
        "yearly": yearly,
        "types": types,
        "sectors": sectors,
        "investment": invested,
        "statuses": statuses,
        "terminated_early": terminated_early,
        "children": {p: int(n) for p, n in children.items()},
        "savings": {
            "source": "mv_reports",
            "tce": sum((r["tce"] for r in savings_by_year), Decimal(0)),
            "tco2": sum((r["tco2"] for r in savings_by_year), Decimal(0)),
            "cny": sum((r["cny"] for r in savings_by_year), Decimal("0.00")),
            "reports": sum(r["reports"] for r in savings_by_year),
            "by_year": savings_by_year,
        },
    }


def interval_payload(session: Session, region: str, window: tuple[int, int]) -> dict:
    """The verified savings' 90 % intervals as plain data (cards, PDF, API)."""
    from emc.programme.uncertainty import programme_intervals

    iv = programme_intervals(session, region, *window)
    out = {
        q: {"low": iv[q].low, "high": iv[q].high, "std_error": iv[q].std_error}
        for q in ("tce", "tco2", "cny")
    }
    return {**out, "text": iv["text"], "method": "g14_fsu_aggregated"}


def _whole(value: Any) -> int | None:
    """A count shown to people: a whole number (half up), never "3000.0"."""
    if value is None:
        return None
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _trend(
    session: Session, region: str, as_of: dt.date, counted: int, tce: Any
) -> list[dict[str, Any]]:
    """The nightly snapshots of ``region`` before ``as_of``, ended by today's point computed
    from the same figures as the headline, so the trend's last point always equals it."""
    points = [
        {"date": s.snapshot_date, "counted": s.projects_counted, "tce": s.savings_tce}
        for s in session.scalars(
            select(ProgrammeSnapshot)
            .where(
                ProgrammeSnapshot.region_code == region,
                ProgrammeSnapshot.snapshot_date < as_of,
            )
            .order_by(ProgrammeSnapshot.snapshot_date)
        )
    ]
    points.append({"date": as_of, "counted": counted, "tce": tce})
    return points


def dashboard(
    session: Session,
    actor: Actor,
    *,
    region: str | None = None,
    start_year: int | None = None,
    end_year: int | None = None,
    as_of: dt.date | None = None,
    locale: str = "zh_CN",
) -> Dashboard:
    """Progress of ``region`` (default: the agency's own) over a window of years: counts against
    the target with pace and projection, monthly cumulative counts, breakdowns, sub-regions,
    verified savings, investment mobilised, intensity change and the snapshot trend.

    Raises Forbidden without ``programme:read``; NotFound for a region outside the subtree.
    """
    region = _agency_region(actor, region)
    if session.get(Region, region) is None:  # a well-formed code that is no region: 404
        raise NotFound(
            msg("not_found", what=record("Region"), id=region),
            fields={"region": [msg("programme.unknown_region")]},
        )
    as_of = as_of or local_today()
    given = (start_year, end_year) if start_year and end_year else None
    target = _window_target(session, region, Metric.PROJECTS, as_of.year, given)
    if given:
        window = given
    elif target is not None:
        window = (target.start_year, target.end_year)
    else:
        window = DEFAULT_WINDOW
    if window[1] < window[0]:
        raise Invalid(
            msg("programme.bad_window"),
            fields={"end_year": [msg("programme.must_not_before_start_year")]},
        )
    figures = _summary_figures(session, region, window)
    # 90 % interval of the verified savings (emc.programme.uncertainty: method and help).
    figures["savings"]["interval"] = interval_payload(session, region, window)
    monthly = figures["monthly"]
    yearly, types, sectors = figures["yearly"], figures["types"], figures["sectors"]
    total = sum(monthly.values())
    end_month = min((as_of.year, as_of.month), (window[1], 12))
    cumulative = stats.cumulative(monthly, window[0], end_month)

    # Sub-regions: counts by the leading digits of the institution's division code.
    plen = _child_prefix_len(region)
    child_counts = figures["children"]
    child_targets = {
        t.region_code: t.project_count
        for t in session.scalars(
            select(ProgrammeTarget).where(
                ProgrammeTarget.metric == Metric.PROJECTS,
                ProgrammeTarget.start_year == window[0],
                ProgrammeTarget.end_year == window[1],
                region_filter(ProgrammeTarget.region_code, region),
                ProgrammeTarget.region_code != region,
            )
        )
        if parent_of(t.region_code) == region
    }
    child_codes = {_child_code(p) for p in child_counts} | set(child_targets)
    if level_of(region).value in ("national", "province"):
        child_codes |= set(
            session.scalars(
                select(Region.code).where(region_filter(Region.code, region), Region.code != region)
            )
        )
        child_codes = {c for c in child_codes if parent_of(c) == region or c == region}
    names = region_names(session, child_codes | {region}, locale)
    children = []
    for code in sorted(child_codes):
        n = child_counts.get(code[:plen], 0)
        tgt = child_targets.get(code)
        p = stats.pace(n, tgt, *window, as_of)
        children.append(
            {
                "code": code,
                "name": names[code],
                "is_self": code == region,
                "counted": n,
                "target": tgt,
                "share": p.share,
                "projected": _whole(p.projected),
                "on_track": p.on_track,
                "drillable": code != region and level_of(code).value in ("province", "city"),
            }
        )

    by_investor = {
        str(Investor(i)): v.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        for i, v in figures["investment"].items()
    }
    investment = {
        "by_investor": by_investor,
        "private": sum(
            (by_investor.get(str(i), Decimal(0)) for i in PRIVATE_INVESTORS), Decimal("0.00")
        ),
        "total": sum(by_investor.values(), Decimal("0.00")),
    }

    progress = stats.pace(total, target.project_count if target else None, *window, as_of)
    trend = _trend(session, region, as_of, total, figures["savings"]["tce"])
    return Dashboard(
        region={"code": region, "name": names[region], "level": level_of(region).value},
        breadcrumb=breadcrumb(session, actor, region, locale),
        window={
            "start_year": window[0],
            "end_year": window[1],
            "target_id": target.id if target else None,
        },
        as_of=as_of,
        counting_rule=stats.COUNTING_RULE["en" if locale == "en" else "zh_CN"],
        progress={
            **asdict(progress),
            "expected": _whole(progress.expected),
            "projected": _whole(progress.projected),
            "on_track": progress.on_track,
            "custody": types.get(ContractType.ENERGY_COST_CUSTODY.value, 0),
            "terminated_before_operation": figures["terminated_early"],
        },
        monthly=[{"month": k, "cumulative": v} for k, v in cumulative],
        by_year=[{"year": k, "counted": yearly[k]} for k in range(window[0], window[1] + 1)],
        by_type=[{"key": k, "counted": v} for k, v in sorted(types.items(), key=lambda i: -i[1])],
        by_sector=[
            {"key": k, "counted": v} for k, v in sorted(sectors.items(), key=lambda i: -i[1])
        ],
        # In the order of a project's life (draft → … → completed, terminated), not by count.
        by_status=[
            {"key": str(status), "listed": figures["statuses"][status.value]}
            for status in ProjectStatus
            if status.value in figures["statuses"]
        ],
        children=children,
        savings=figures["savings"],
        investment=investment,
        intensity=_intensity(session, region, window, as_of),
        trend=trend,
        baseline_overrides=_baseline_overrides(session, region),
    )


def _baseline_overrides(session: Session, region: str) -> int:
    """Approved baselines carrying a G14 override reason, in ``region``'s subtree."""
    from emc.auth.models import Organization
    from emc.contracts.models import EmcProject
    from emc.mv.models import Baseline, BaselineStatus

    return (
        session.scalar(
            select(func.count(Baseline.id))
            .join(EmcProject, EmcProject.id == Baseline.project_id)
            .join(Organization, Organization.id == EmcProject.organization_id)
            .where(
                Baseline.status == BaselineStatus.APPROVED,
                Baseline.override_reason.is_not(None),
                region_filter(Organization.region_code, region),
            )
        )
        or 0
    )

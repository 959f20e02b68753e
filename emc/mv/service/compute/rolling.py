"""The rolling twelve-month view of a project's savings, from its accepted reports."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.mv import data
from emc.mv.models import MvReport, ReportStatus


def rolling_view(
    session: Session, project_id: int, months: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Twelve-month windows ending in each of ``months`` (this report's monthly rows), from the
    monthly rows of the project's accepted reports plus these; ``complete`` when all twelve
    months are known."""
    known: dict[tuple[int, str], dict] = {}
    accepted = session.scalars(
        select(MvReport)
        .where(MvReport.project_id == project_id, MvReport.status == ReportStatus.ACCEPTED)
        .order_by(MvReport.period_start, MvReport.version)
    )
    for report in accepted:
        for row in report.months:
            known[(row["meter_id"], row["month"])] = row
    for row in months:
        known[(row["meter_id"], row["month"])] = row
    out = []
    for row in months:
        end = dt.date.fromisoformat(row["month"] + "-01")
        window = [data.add_months(end, -k).strftime("%Y-%m") for k in range(11, -1, -1)]
        rows = [known.get((row["meter_id"], m)) for m in window]
        have = [r for r in rows if r is not None]
        out.append(
            {
                "meter_id": row["meter_id"],
                "unit": row["unit"],
                "start_month": window[0],
                "end_month": window[-1],
                "months_known": len(have),
                "complete": len(have) == 12,
                "adjusted_baseline": sum(r["adjusted_baseline"] for r in have),
                "reporting": sum(r["reporting"] for r in have),
                "avoided": sum(r["avoided"] for r in have),
                "value": str(sum((Decimal(r["value"]) for r in have), Decimal("0.00"))),
            }
        )
    return out


def group_by_meter(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["meter_id"]].append(row)
    return dict(out)

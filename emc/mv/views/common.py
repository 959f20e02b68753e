"""The M&V pages' blueprint, their labels, the server-side SVG chart and shared helpers."""

from __future__ import annotations

import math

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from emc.auth.permissions import Permission, can
from emc.auth.policy import scoped
from emc.errors import EmcError
from emc.facilities.models import Meter, ProjectSite
from emc.mv.models import (
    BaselineStatus,
    IpmvpOption,
    MvMethod,
    ReportingFrequency,
    ReportStatus,
)
from emc.web.db import db
from emc.web.messages import describe
from emc.web.security import current_actor

bp = Blueprint("mv", __name__)

STATUS_LABELS = {
    BaselineStatus.PROPOSED: _l("Proposed"),
    BaselineStatus.APPROVED: _l("Approved"),
    BaselineStatus.REJECTED: _l("Rejected"),
    BaselineStatus.SUPERSEDED: _l("Superseded"),
    ReportStatus.DRAFT: _l("Draft"),
    ReportStatus.SUBMITTED: _l("Submitted"),
    ReportStatus.ACCEPTED: _l("Accepted"),
    ReportStatus.DISPUTED: _l("Disputed"),
}
METHOD_LABELS = {
    MvMethod.DAILY: _l("Daily regression"),
    MvMethod.BILLING: _l("Billing-period regression"),
    MvMethod.HOURLY: _l("Hourly (TOWT)"),
    MvMethod.STIPULATED: _l("Stipulated"),
}
FREQUENCY_LABELS = {
    ReportingFrequency.MONTHLY: _l("Monthly"),
    ReportingFrequency.QUARTERLY: _l("Quarterly"),
    ReportingFrequency.ANNUAL: _l("Annual"),
}
OPTION_LABELS = {
    IpmvpOption.A: _l("A: retrofit isolation, key parameter measured"),
    IpmvpOption.B: _l("B: retrofit isolation, all parameters measured"),
    IpmvpOption.C: _l("C: whole facility"),
    IpmvpOption.D: _l("D: calibrated simulation"),
}
ACCEPTANCE_LABELS = {
    "cvrmse_limit_under_12_months": _l("CV(RMSE) limit, under 12 months of reporting data"),
    "cvrmse_limit_12_to_60_months": _l("CV(RMSE) limit, 12 to 60 months"),
    "cvrmse_limit_over_60_months": _l("CV(RMSE) limit, over 60 months"),
    "nmbe_limit": _l("NMBE limit"),
    "fsu_limit": _l("FSU limit (confidence 68 %)"),
}


@bp.app_context_processor
def _labels():
    return {
        "mv_status_label": lambda s: STATUS_LABELS.get(s, s),
        "mv_method_label": lambda m: METHOD_LABELS.get(MvMethod(m), m),
        "mv_frequency_label": lambda f: FREQUENCY_LABELS.get(ReportingFrequency(f), f),
        "mv_option_label": lambda o: OPTION_LABELS.get(IpmvpOption(o), o),
    }


def svg_chart(
    dates: list[str],
    series: dict[str, list[float | None]],
    *,
    width: int = 860,
    height: int = 240,
    unit: str = "",
) -> Markup:
    """A server-side SVG line chart of named series over dates (no JavaScript, no CDN)."""
    colours = ["#0b6e4f", "#d97706", "#2563eb", "#9333ea"]
    values = [v for s in series.values() for v in s if v is not None and math.isfinite(v)]
    if not dates or not values:
        return Markup("")
    lo, hi = min(values + [0.0]), max(values)
    hi = hi if hi > lo else lo + 1
    left, right, top, bottom = 56, 10, 12, 28
    w, h = width - left - right, height - top - bottom
    n = len(dates)

    def x(i: int) -> float:
        # A single date sits in the middle of the plot, not on its left edge.
        return left + (w * i / (n - 1) if n > 1 else w / 2)

    def y(v: float) -> float:
        return top + h - (v - lo) / (hi - lo) * h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="mv-chart" data-testid="mv-chart">',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fff" stroke="#d9e0e7"/>',
    ]
    # As many decimals as a quarter of the range needs: ticks of a range of 1 read 0, 0.25 …
    # (not 0, 0, 0, 1, 1).
    places = max(0, min(3, -math.floor(math.log10((hi - lo) / 4))))
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 3:.1f}" font-size="10" text-anchor="end">'
            f"{v:,.{places}f}</text>"
        )
    step = max(1, n // 6)
    for i in range(0, n, step):
        # A date label near the right edge ends there instead of running past it.
        anchor = "end" if x(i) + 6 * len(dates[i]) / 2 > width else "middle"
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 10}" font-size="10" text-anchor="{anchor}">'
            f"{escape(dates[i])}</text>"
        )
    for j, (name, vals) in enumerate(series.items()):
        colour = colours[j % len(colours)]
        path, pen = [], "M"
        dots = []
        for i, v in enumerate(vals):
            if v is None or not math.isfinite(v):
                pen = "M"
                continue
            path.append(f"{pen}{x(i):.1f},{y(v):.1f}")
            pen = "L"
            # A marker on each point of a short series, and on a point without neighbours
            # (one month): a line through one point draws nothing.
            alone = all(
                not (0 <= k < n) or vals[k] is None or not math.isfinite(vals[k])
                for k in (i - 1, i + 1)
            )
            if n <= 40 or alone:
                dots.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{4 if alone else 2.5}" '
                    f'fill="{colour}"><title>{escape(name)}: {v:,.1f}</title></circle>'
                )
        parts.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.2">'
            f"<title>{escape(name)}</title></path>"
        )
        parts.extend(dots)
        parts.append(
            f'<text x="{left + 8 + 150 * j}" y="{top + 12}" font-size="11" fill="{colour}">'
            f"{escape(name)}{' (' + escape(unit) + ')' if unit else ''}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def sides_of(project) -> dict[str, bool]:
    actor = current_actor()
    return {
        "esco": can(actor, Permission.MV_PROPOSE)
        and actor.organization_id == project.esco_organization_id,
        "institution": can(actor, Permission.MV_APPROVE)
        and actor.organization_id == project.organization_id,
    }


def project_meters(project_id: int) -> list[Meter]:
    actor = current_actor()
    site_ids = select(ProjectSite.site_id).where(ProjectSite.project_id == project_id)
    return list(
        db().scalars(scoped(actor, Meter).where(Meter.site_id.in_(site_ids)).order_by(Meter.id))
    )


def error_message(error: EmcError) -> str:
    return describe(error)

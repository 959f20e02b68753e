"""The meter page's chart: which local days it shows, its zoom links, and its server-side SVG.

The window is a half-open range of the site's local dates ``[start, end)``, from the page's
``?start=YYYY-MM-DD&end=YYYY-MM-DD`` (``end`` exclusive, as every calendar period here) or, by
default, the last :data:`DEFAULT_DAYS` days with readings. Windows of at most
:data:`DETAIL_DAYS` days show each stored reading of an interval meter (hourly, 15-minute …)
instead of daily totals; billing and register meters, whose periods are days to months long,
always show daily totals. SVG is rendered on the server: no script, no CDN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from markupsafe import Markup, escape

from emc import clock
from emc.errors import Invalid
from emc.facilities.service.analysis import Total
from emc.messages import msg

DEFAULT_DAYS = 366
DETAIL_DAYS = 7
# A window longer than this is refused: one bar per day stays readable up to a few decades.
MAX_DAYS = 366 * 30


@dataclass(frozen=True)
class Window:
    """The chart's local dates ``[start, end)`` and the links around it (query dicts)."""

    start: dt.date
    end: dt.date
    explicit: bool  # chosen by ?start/&end (else the default window)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def detailed(self) -> bool:
        return self.days <= DETAIL_DAYS

    def bounds(self, zone: str) -> tuple[dt.datetime, dt.datetime]:
        """The window as aware instants: local midnight of ``start`` and of ``end``."""
        tz = ZoneInfo(zone)
        return (
            dt.datetime.combine(self.start, dt.time(), tz),
            dt.datetime.combine(self.end, dt.time(), tz),
        )

    def previous(self) -> dict[str, str]:
        return _query(self.start - (self.end - self.start), self.start)

    def next(self) -> dict[str, str]:
        return _query(self.end, self.end + (self.end - self.start))

    def weeks(self) -> list[tuple[str, dict[str, str]]]:
        """Zoom links to detailed 7-day windows from ``start``, for windows up to about three
        months long (month links alone never reach the detailed view): (``MM-DD``, query)."""
        if self.detailed or self.days > 93:
            return []
        links = []
        day = self.start
        while day < self.end:
            following = min(day + dt.timedelta(days=DETAIL_DAYS), self.end)
            links.append((day.strftime("%m-%d"), _query(day, following)))
            day = following
        return links

    def months(self) -> list[tuple[str, dict[str, str]]]:
        """One zoom link per calendar month the window touches: (``YYYY-MM``, query)."""
        links = []
        month = self.start.replace(day=1)
        while month < self.end:
            following = _next_month(month)
            links.append((month.strftime("%Y-%m"), _query(month, following)))
            month = following
        return links


def _query(start: dt.date, end: dt.date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _parse(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(
            msg("facilities.must_date_yyyy_mm_dd"),
            fields={name: [msg("facilities.must_date_yyyy_mm_dd")]},
        ) from None


def window(
    start: str | None,
    end: str | None,
    *,
    first: dt.datetime | None,
    last: dt.datetime | None,
    zone: str,
) -> Window:
    """The chart window from the page's query (``start``/``end`` text, either may be missing)
    and the meter's stored range ``[first, last)`` (aware; None without readings).

    Without either, the window ends the day after the last reading's local day and starts
    :data:`DEFAULT_DAYS` earlier, not before the first reading's day; a missing ``end`` is
    ``start`` + :data:`DEFAULT_DAYS`, a missing ``start`` ``end`` − :data:`DEFAULT_DAYS`.

    Raises:
        Invalid: a date that is not ``YYYY-MM-DD``; ``end`` not after ``start``; a window longer
            than :data:`MAX_DAYS`.
    """
    tz = ZoneInfo(zone)
    start_day = _parse(start, "start") if start else None
    end_day = _parse(end, "end") if end else None
    explicit = start_day is not None or end_day is not None
    span = dt.timedelta(days=DEFAULT_DAYS)
    if start_day is None and end_day is None:
        end_day = _after_last(last, tz) or clock.now().astimezone(tz).date()
        start_day = end_day - span
        if first is not None:
            start_day = max(start_day, first.astimezone(tz).date())
    elif end_day is None:
        end_day = start_day + span
    elif start_day is None:
        start_day = end_day - span
    if end_day <= start_day:
        raise Invalid(
            msg("facilities.end_must_after_start"), fields={"end": [msg("field.after_start")]}
        )
    if (end_day - start_day).days > MAX_DAYS:
        message = f"at most {MAX_DAYS} days"
        raise Invalid(message, fields={"end": [message]})
    return Window(start_day, end_day, explicit)


def all_query(first: dt.datetime | None, last: dt.datetime | None, zone: str) -> dict | None:
    """The query of a window over every stored reading (None without readings)."""
    if first is None or last is None:
        return None
    tz = ZoneInfo(zone)
    return _query(first.astimezone(tz).date(), _after_last(last, tz))


def _after_last(last: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    """The local day after the last reading's: ``last`` is exclusive (the end of the last
    reading), so a reading ending at midnight belongs to the day before."""
    if last is None:
        return None
    return (last - dt.timedelta(seconds=1)).astimezone(tz).date() + dt.timedelta(days=1)


_FRAME = (64, 8, 12, 28)  # left, right, top, bottom


def _frame(width: int, height: int, label: str) -> list[str]:
    left, right, top, bottom = _FRAME
    plot_h = height - top - bottom
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f' class="daily-chart" aria-label="{escape(label)}">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"'
        ' stroke="#98a2b3"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#98a2b3"/>',
    ]


def _axis(parts: list[str], peak: float, width: int, height: int, lo: str, hi: str, unit: str):
    left, right, top, bottom = _FRAME
    plot_h = height - top - bottom
    for fraction in (0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11"'
            f' fill="#6b7785">{peak * fraction:,.{0 if peak >= 10 else 2}f}</text>'
        )
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="11" fill="#6b7785">{lo}</text>')
    parts.append(
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" font-size="11"'
        f' fill="#6b7785">{hi}</text>'
    )
    parts.append(
        f'<text x="4" y="{top + 10}" font-size="11" fill="#6b7785">{escape(unit)}</text></svg>'
    )


# Day-type shading (emc.calendars): days that are not ordinary workdays, behind the bars.
_DAY_TYPE_FILL = {
    "weekend": "#eef1f5",
    "holiday": "#fde2e1",
    "makeup_workday": "#e0ecff",
    "vacation": "#fff3c4",
}


def _day_type_label(kind: str) -> str:
    return {
        "weekend": _("Weekend"),
        "holiday": _("Statutory holiday"),
        "makeup_workday": _("Make-up workday"),
        "vacation": _("Vacation"),
    }[kind]


def _shading(parts, day_types, first, ndays, bar_w, width, height):
    """Runs of equal non-workday types as rectangles, and a legend of the types present."""
    left, right, top, bottom = _FRAME
    plot_h = height - top - bottom
    run_start, run_kind, seen = 0, None, []
    days = [day_types.get(first + dt.timedelta(days=i)) for i in range(ndays)] + [None]
    for i, kind in enumerate(days):
        if kind == run_kind:
            continue
        if run_kind in _DAY_TYPE_FILL:
            # Bands are paths, so that the chart's <rect> elements stay one per bar.
            x0, w = left + run_start * bar_w, (i - run_start) * bar_w
            parts.append(
                f'<path class="daytype daytype-{run_kind}" d="M{x0:.2f} {top}h{w:.2f}v{plot_h}'
                f'h-{w:.2f}z" fill="{_DAY_TYPE_FILL[run_kind]}">'
                f"<title>{escape(_day_type_label(run_kind))}</title></path>"
            )
            if run_kind not in seen:
                seen.append(run_kind)
        run_start, run_kind = i, kind
    x = width - right
    for kind in reversed([k for k in _DAY_TYPE_FILL if k in seen]):
        label = escape(_day_type_label(kind))
        x -= 12 + 12 * len(str(label))
        parts.append(
            f'<g class="daytype-legend"><path d="M{x} 1h10v10h-10z"'
            f' fill="{_DAY_TYPE_FILL[kind]}" stroke="#98a2b3" stroke-width="0.5"/>'
            f'<text x="{x + 13}" y="10" font-size="10" fill="#6b7785">{label}</text></g>'
        )


def daily_chart_svg(
    totals: list[Total],
    unit: str,
    span: tuple[dt.date, dt.date] | None = None,
    width: int = 960,
    height: int = 240,
    day_types: dict[dt.date, str] | None = None,
) -> Markup:
    """Daily totals as an inline SVG bar chart over ``span`` (local dates ``[start, end)``;
    by default from the first to the last total). ``day_types`` (date → workday, weekend,
    holiday, makeup_workday or vacation) shade the days that are not ordinary workdays."""
    if not totals:
        return Markup("")
    left, right, top, bottom = _FRAME
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = (
        (span[0], span[1] - dt.timedelta(days=1))
        if span
        else (
            totals[0].period,
            totals[-1].period,
        )
    )
    ndays = (last - first).days + 1
    peak = max(t.total for t in totals) or 1.0
    bar_w = plot_w / ndays
    parts = _frame(width, height, f"{_('Daily totals')} ({unit})")
    if day_types:
        _shading(parts, day_types, first, ndays, bar_w, width, height)
    for t in totals:
        x = left + (t.period - first).days * bar_w
        h = plot_h * max(t.total, 0.0) / peak
        parts.append(
            f'<rect x="{x:.2f}" y="{top + plot_h - h:.2f}" width="{max(bar_w - 0.3, 0.5):.2f}"'
            f' height="{h:.2f}" fill="#0b6e4f"><title>{t.period.isoformat()}: {t.total:,.1f}'
            f" {escape(unit)}</title></rect>"
        )
    _axis(parts, peak, width, height, first.isoformat(), last.isoformat(), unit)
    return Markup("".join(parts))


def interval_chart_svg(
    rows: list[tuple[int, int, float, str]],
    unit: str,
    lo: dt.datetime,
    hi: dt.datetime,
    zone: str,
    width: int = 960,
    height: int = 240,
) -> Markup:
    """Each reading ``(start_ts, end_ts, value, quality)`` in ``[lo, hi)`` as a bar placed by its
    local time (estimated and replaced values in a lighter colour)."""
    if not rows:
        return Markup("")
    tz = ZoneInfo(zone)
    left, right, top, bottom = _FRAME
    plot_w, plot_h = width - left - right, height - top - bottom
    t0, t1 = lo.timestamp(), hi.timestamp()
    scale = plot_w / (t1 - t0)
    peak = max(v for _s, _e, v, _q in rows) or 1.0
    parts = _frame(width, height, f"{_('Interval values')} ({unit})")
    for s, e, v, q in rows:
        x = left + (s - t0) * scale
        w = max((min(e, t1) - s) * scale - 0.3, 0.5)
        h = plot_h * max(v, 0.0) / peak
        colour = "#0b6e4f" if q == "measured" else "#7fb8a4"
        when = dt.datetime.fromtimestamp(s, tz).strftime("%Y-%m-%d %H:%M")
        parts.append(
            f'<rect x="{x:.2f}" y="{top + plot_h - h:.2f}" width="{w:.2f}" height="{h:.2f}"'
            f' fill="{colour}"><title>{when}: {v:,.3f} {escape(unit)} ({escape(q)})</title></rect>'
        )
    fmt = "%Y-%m-%d %H:%M"
    _axis(
        parts,
        peak,
        width,
        height,
        lo.astimezone(tz).strftime(fmt),
        hi.astimezone(tz).strftime(fmt),
        unit,
    )
    return Markup("".join(parts))

"""The watch's server-side SVG chart: cumulative expected vs achieved savings with the FSU band
(90 %), and the CUSUM of the daily savings against expectation in a panel beneath, sharing the
date axis. No script, no CDN (like ``emc.facilities.charts`` and the M&V charts)."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

GREEN, ORANGE, BAND, BLUE, GREY = "#0b6e4f", "#d97706", "#cfe8dc", "#2563eb", "#d9e0e7"


def _finite(values):
    return [v for v in values if v is not None and math.isfinite(v)]


def persistence_chart(
    series: dict, *, labels: dict[str, str], unit: str, width: int = 860
) -> Markup:
    """Two panels over ``series["dates"]``: cumulative savings (achieved, band, expected) and
    the CUSUM. ``labels``: translated names ``achieved``, ``expected``, ``band``, ``cusum``."""
    dates = series.get("dates") or []
    achieved = series.get("cumulative_savings") or []
    expected = series.get("cumulative_expected") or []
    low, high = series.get("band_low") or [], series.get("band_high") or []
    cusum = series.get("cusum") or []
    top_values = _finite(achieved + expected + low + high)
    if not dates or not top_values:
        return Markup("")
    n = len(dates)
    left, right = 70, 12
    w = width - left - right
    top1, h1 = 24, 220
    top2, h2 = top1 + h1 + 34, 110
    height = top2 + h2 + 30

    def x(i: int) -> float:
        return left + w * i / max(n - 1, 1)

    def scale(values, top, h):
        lo, hi = min(values + [0.0]), max(values + [0.0])
        hi = hi if hi > lo else lo + 1

        def y(v: float) -> float:
            return top + h - (v - lo) / (hi - lo) * h

        return lo, hi, y

    def line(vals, y, colour, name, dash=""):
        path, pen = [], "M"
        for i, v in enumerate(vals):
            if v is None or not math.isfinite(v):
                pen = "M"
                continue
            path.append(f"{pen}{x(i):.1f},{y(v):.1f}")
            pen = "L"
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.6"{extra}>'
            f"<title>{escape(name)}</title></path>"
        )

    def axis(lo, hi, y, top, h):
        out = [f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fff" stroke="{GREY}"/>']
        for k in range(5):
            v = lo + (hi - lo) * k / 4
            out.append(
                f'<text x="{left - 4}" y="{y(v) + 3:.1f}" font-size="10" text-anchor="end">'
                f"{v:,.0f}</text>"
            )
        if lo < 0 < hi:
            out.append(
                f'<line x1="{left}" x2="{left + w}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                f'stroke="#888" stroke-width="0.8"/>'
            )
        return out

    lo1, hi1, y1 = scale(top_values, top1, h1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="mv-chart watch-chart" data-testid="watch-chart">'
    ]
    parts += axis(lo1, hi1, y1, top1, h1)
    if low and high:
        upper = [(x(i), y1(v)) for i, v in enumerate(high) if v is not None and math.isfinite(v)]
        lower = [(x(i), y1(v)) for i, v in enumerate(low) if v is not None and math.isfinite(v)]
        if upper and lower:
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in upper + lower[::-1])
            parts.append(
                f'<polygon points="{points}" fill="{BAND}" stroke="none">'
                f"<title>{escape(labels['band'])}</title></polygon>"
            )
    if expected:
        parts.append(line(expected, y1, ORANGE, labels["expected"], dash="5 3"))
    parts.append(line(achieved, y1, GREEN, labels["achieved"]))
    legend = [(GREEN, labels["achieved"]), (BAND, labels["band"])]
    if expected:
        legend.append((ORANGE, labels["expected"]))
    x0 = left + 8
    for colour, name in legend:
        text = f"{name} ({unit})"
        parts.append(
            f'<rect x="{x0}" y="{top1 - 16}" width="12" height="8" fill="{colour}"/>'
            f'<text x="{x0 + 16}" y="{top1 - 8}" font-size="11">{escape(text)}</text>'
        )
        # CJK glyphs are about one font size wide, Latin about half.
        x0 += 16 + sum(11 if ord(ch) > 0x2E80 else 6 for ch in text) + 24
    values2 = _finite(cusum)
    if values2:
        lo2, hi2, y2 = scale(values2, top2, h2)
        parts += axis(lo2, hi2, y2, top2, h2)
        parts.append(line(cusum, y2, BLUE, labels["cusum"]))
        parts.append(
            f'<text x="{left + 8}" y="{top2 - 6}" font-size="11" fill="{BLUE}">'
            f"{escape(labels['cusum'])} ({escape(unit)})</text>"
        )
    step = max(1, n // 6)
    ticks = list(range(0, n, step))
    if n - 1 - ticks[-1] < step / 2:
        ticks[-1] = n - 1
    else:
        ticks.append(n - 1)
    for i in ticks:
        anchor = "end" if i == n - 1 else "start" if i == 0 else "middle"
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 10}" font-size="10" text-anchor="{anchor}">'
            f"{escape(dates[i])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))

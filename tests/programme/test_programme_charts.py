"""Headline money figures and chart axes stay readable at programme scale."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from emc.programme.views import line_chart, money_short


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("4190", "0.4 万元", "0.4 × 10k yuan"),
        ("15000", "1.5 万元", "1.5 × 10k yuan"),
        ("26690000", "2,669.0 万元", "2,669.0 × 10k yuan"),
        ("4150000", "415.0 万元", "415.0 × 10k yuan"),
        ("-15000", "-1.5 万元", "-1.5 × 10k yuan"),
    ],
)
def test_money_short_is_wan_yuan_with_one_decimal(app, value, zh, en):
    """One money format on the dashboard (issue 15): 万元, one decimal, half up."""
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("zh_CN"):
            assert money_short(Decimal(value), "zh_CN") == zh
        with force_locale("en"):
            assert money_short(Decimal(value), "en") == en
        assert money_short(None, "en") == "–"


@pytest.mark.parametrize("months", [12, 36, 59, 60, 61, 119])
def test_axis_labels_never_overlap_and_the_last_ends_inside(app, months):
    labels = [f"{2021 + i // 12}-{i % 12 + 1:02d}" for i in range(months)]
    with app.test_request_context():
        svg = str(line_chart(labels, {"n": list(range(months))}, title="t", width=760))
    ticks = [
        (float(x), anchor, text)
        for x, anchor, text in re.findall(
            r'<text x="([\d.]+)" y="\d+" text-anchor="(\w+)" font-size="11">([^<]+)</text>', svg
        )
        if text in labels
    ]
    assert ticks[-1][2] == labels[-1] and ticks[-1][1] == "end"
    assert ticks[-1][0] <= 760 - 12
    width = len(labels[0]) * 6.5
    starts = [x - (width if anchor == "end" else width / 2) for x, anchor, _t in ticks]
    ends = [x if anchor == "end" else x + width / 2 for x, anchor, _t in ticks]
    assert all(starts[i + 1] > ends[i] for i in range(len(ticks) - 1)), ticks


def test_a_chart_of_counts_ticks_whole_numbers(app):
    """The trend of counted projects ticked 3.2, 6.5, 9.8 projects."""
    with app.test_request_context():
        svg = str(line_chart(["2024-01", "2024-02", "2024-03"], {"n": [1, 7, 13]}, title="t"))
    ticks = re.findall(r'text-anchor="end" font-size="11">([^<]+)</text>', svg)
    assert ticks[:5] == ["0", "4", "8", "12", "16"], ticks

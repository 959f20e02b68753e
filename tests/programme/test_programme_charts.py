"""Headline money figures and chart axes stay readable at programme scale."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from emc.programme.views import line_chart, money_short


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("4190", "4,190.00", "4,190.00"),
        ("15000", "1.50 万", "15,000.00"),
        ("26690000", "2,669 万", "26.69 m"),
        ("99995000", "1.00 亿", "100.00 m"),
        ("123456789012", "1,235 亿", "123.5 bn"),
        ("-15000", "-1.50 万", "-15,000.00"),
    ],
)
def test_money_short_uses_wan_and_yi_with_four_digits_at_most(app, value, zh, en):
    with app.test_request_context():
        assert money_short(Decimal(value), "zh_CN", currency=False) == zh
        assert money_short(Decimal(value), "en", currency=False) == en
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

"""The programme dashboard says things one way (issue 15): whole counts, one money format,
a trend that ends at the headline, 404 for a region that does not exist, and a platform
admin who may read it."""

from __future__ import annotations

import re

import pytest


def test_platform_admin_reads_the_national_programme(login_as):
    page = login_as("admin@platform.demo").get("/programme")
    assert page.status_code == 200
    assert "全国" in page.get_data(as_text=True)


@pytest.mark.parametrize("email", ["officer@national.demo", "admin@platform.demo"])
def test_a_region_that_does_not_exist_is_404_for_everyone(login_as, email):
    client = login_as(email)
    assert client.get("/programme?region=999999").status_code == 404
    assert client.get("/api/v1/programme/dashboard?region=999999").status_code == 404


def test_counts_are_whole_and_money_is_wan_yuan_with_the_exact_figure_on_hover(login_as):
    page = login_as("officer@national.demo").get("/programme").get_data(as_text=True)
    assert not re.search(r"按进度应完成[：:]\s*\d+\.\d", page)
    kpis = page[page.index('data-testid="kpis"') : page.index("</section>")]
    assert not re.search(r"<b>\s*\d+\.\d+\s*</b>", kpis)  # projected count has no decimals
    for exact, short in re.findall(r'<span class="money" title="([^"]+)">([^<]+)</span>', page):
        assert re.fullmatch(r"-?[\d,]+\.\d{2} 元", exact), exact
        assert re.fullmatch(r"-?[\d,]+\.\d 万元", short), short
    assert "亿" not in kpis


def test_the_trend_ends_at_the_headline_before_any_snapshot(login_as):
    data = login_as("officer@national.demo").get("/api/v1/programme/dashboard").get_json()
    assert data["trend"], "today's point is there even before the nightly snapshot"
    assert data["trend"][-1]["counted"] == data["progress"]["counted"]
    assert isinstance(data["progress"]["expected"], int | None)
    assert isinstance(data["progress"]["projected"], int | None)


def test_sub_regions_are_one_table_with_bars_and_zero_rows_hidden_by_default(login_as):
    c = login_as("officer@national.demo")
    page = c.get("/programme").get_data(as_text=True)
    rows = page.count('data-testid="child-row"')
    every = c.get("/programme?all_regions=1").get_data(as_text=True)
    assert every.count('data-testid="child-row"') >= 31 > rows >= 1
    assert 'data-testid="show-all-regions"' in page and 'data-testid="hide-zero"' in every

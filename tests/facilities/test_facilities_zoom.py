"""The meter page's chart window: ?start=&end= (local dates, end exclusive), detailed interval
values for windows of at most 7 days, zoom links per month and week, previous/next and all."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest

from emc.errors import Invalid
from emc.facilities import charts

SH = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def energy(login_as):
    return login_as("energy@school.demo")


def _meter(client, kind="interval", name="缩放表"):
    site = client.post("/api/v1/sites", json={"name": f"{name}场地", "region_code": "330100"})
    body = {"site_id": site.get_json()["id"], "name": name, "carrier": "electricity"}
    body |= {"unit": "kWh", "kind": kind}
    if kind == "interval":
        body["interval_minutes"] = 60
    meter = client.post("/api/v1/meters", json=body)
    assert meter.status_code == 201, meter.get_json()
    return meter.get_json()["id"]


@pytest.fixture
def hourly(energy):
    """Hourly readings from 2024-01-01 00:00 to 2024-03-01 00:00 local (60 days); value = hour."""
    meter_id = _meter(energy)
    start = dt.datetime(2024, 1, 1, tzinfo=SH)
    lines = ["时间,用量"] + [
        f"{(start + dt.timedelta(hours=h)):%Y-%m-%d %H:%M},{h % 24}" for h in range(60 * 24)
    ]
    response = energy.post(
        f"/api/v1/meters/{meter_id}/readings",
        data={"file": (io.BytesIO("\n".join(lines).encode()), "h.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return meter_id


def _page(client, meter_id, query=""):
    response = client.get(f"/meters/{meter_id}{query}")
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _svg(text):
    match = re.search(r'<svg[^>]*class="daily-chart".*?</svg>', text, re.S)
    return match.group(0) if match else ""


def _link(text, testid):
    return re.search(rf'<a href="([^"]+)"[^>]*data-testid="{testid}"', text).group(1)


def test_default_window_shows_daily_totals_with_month_and_all_links(energy, hourly):
    status, text = _page(energy, hourly)
    assert status == 200
    svg = _svg(text)
    assert svg.count("<rect") == 60
    assert "2024-01-01: 276.0 kWh" in svg  # 0 + 1 + … + 23
    months = text[text.index('data-testid="chart-months"') :][:800]
    assert "start=2024-01-01&end=2024-02-01" in months
    assert "start=2024-02-01&end=2024-03-01" in months
    assert "start=2024-01-01&end=2024-03-01" in _link(text, "chart-all")


def test_a_month_window_has_its_days_and_week_links(energy, hourly):
    status, text = _page(energy, hourly, "?start=2024-01-01&end=2024-02-01")
    assert status == 200
    svg = _svg(text)
    assert svg.count("<rect") == 31 and "2024-01-31" in svg and "2024-02-01" not in svg
    assert "start=2023-12-01&end=2024-01-01" in _link(text, "chart-previous")
    assert "start=2024-02-01&end=2024-03-03" in _link(text, "chart-next")
    weeks = text[text.index('data-testid="chart-weeks"') :][:1500]
    assert "start=2024-01-01&end=2024-01-08" in weeks
    assert "start=2024-01-29&end=2024-02-01" in weeks


def test_a_short_window_shows_each_hourly_value_in_local_time(energy, hourly):
    status, text = _page(energy, hourly, "?start=2024-01-10&end=2024-01-12")
    assert status == 200
    svg = _svg(text)
    assert svg.count("<rect") == 48
    assert "<title>2024-01-10 00:00: 0.000 kWh (measured)</title>" in svg
    assert "<title>2024-01-11 23:00: 23.000 kWh (measured)</title>" in svg
    assert "2024-01-12 00:00:" not in svg
    assert "start=2024-01-08&end=2024-01-10" in _link(text, "chart-previous")
    assert "start=2024-01-12&end=2024-01-14" in _link(text, "chart-next")


def test_seven_days_are_detailed_and_eight_are_daily(energy, hourly):
    _s, seven = _page(energy, hourly, "?start=2024-02-01&end=2024-02-08")
    assert _svg(seven).count("<rect") == 7 * 24
    _s, eight = _page(energy, hourly, "?start=2024-02-01&end=2024-02-09")
    assert _svg(eight).count("<rect") == 8


def test_a_window_without_readings_has_no_chart_but_keeps_its_links(energy, hourly):
    status, text = _page(energy, hourly, "?start=2025-01-01&end=2025-02-01")
    assert status == 200 and _svg(text) == ""
    assert "start=2024-12-01&end=2025-01-01" in _link(text, "chart-previous")


def test_billing_meters_always_show_daily_totals(energy):
    meter_id = _meter(energy, kind="billing", name="账单表")
    csv = "开始,结束,用量\n2024-01-01,2024-01-31,3100\n"
    response = energy.post(
        f"/api/v1/meters/{meter_id}/readings",
        data={"file": (io.BytesIO(csv.encode()), "b.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    # A bill is spread over its days (a lone bill's date end is exclusive: 30 days), one
    # daily bar each, never the whole bill on its first day nor an interval bar.
    _s, text = _page(energy, meter_id, "?start=2024-01-01&end=2024-01-03")
    svg = _svg(text)
    assert svg.count("<rect") == 2 and "<title>2024-01-01: 103.3 kWh</title>" in svg
    assert "3,100.0" not in svg


@pytest.mark.parametrize(
    "query", ["?start=2024-13-01", "?start=2024-01-05&end=2024-01-05", "?end=yesterday"]
)
def test_bad_windows_are_422(energy, hourly, query):
    assert _page(energy, hourly, query)[0] == 422


def test_other_tenants_meter_is_404_with_a_window(login_as, hourly):
    gym = login_as("energy@gym.demo")
    assert _page(gym, hourly, "?start=2024-01-01&end=2024-01-02")[0] == 404


# --- the window itself (no database) ----------------------------------------------------------


def test_default_window_is_the_last_year_of_readings():
    first = dt.datetime(2022, 5, 3, 10, tzinfo=SH)
    last = dt.datetime(2024, 3, 1, 0, tzinfo=SH)  # exclusive: the last reading is on Feb 29
    win = charts.window(None, None, first=first, last=last, zone="Asia/Shanghai")
    assert (win.start, win.end, win.explicit) == (dt.date(2023, 3, 1), dt.date(2024, 3, 1), False)
    short = charts.window(None, None, first=last - dt.timedelta(days=3), last=last, zone="UTC")
    assert short.start == dt.date(2024, 2, 26)  # not before the first reading's (UTC) day
    assert charts.all_query(first, last, "Asia/Shanghai") == {
        "start": "2022-05-03",
        "end": "2024-03-01",
    }


def test_months_cross_the_year_and_previous_next_keep_the_length():
    win = charts.window("2023-12-15", "2024-02-10", first=None, last=None, zone="Asia/Shanghai")
    assert [label for label, _q in win.months()] == ["2023-12", "2024-01", "2024-02"]
    assert win.months()[0][1] == {"start": "2023-12-01", "end": "2024-01-01"}
    assert win.previous() == {"start": "2023-10-19", "end": "2023-12-15"}
    assert win.next() == {"start": "2024-02-10", "end": "2024-04-07"}
    assert not win.detailed
    lo, hi = win.bounds("Asia/Shanghai")
    assert lo == dt.datetime(2023, 12, 15, tzinfo=SH) and hi == dt.datetime(2024, 2, 10, tzinfo=SH)


def test_window_refuses_reversed_and_overlong_ranges():
    with pytest.raises(Invalid):
        charts.window("2024-01-02", "2024-01-01", first=None, last=None, zone="UTC")
    with pytest.raises(Invalid):
        charts.window("1900-01-01", "2024-01-01", first=None, last=None, zone="UTC")

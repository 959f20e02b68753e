"""A person's walk through the facilities pages in Chinese (headless Chromium): an energy manager
creates a site, a building and a meter, uploads a year of daily readings after checking them,
adds the institution's own weather station and a year of temperatures, chooses it for the site,
creates a project and links the site to it; the M&V page then offers the meter.

Set ``EMC_SCREENSHOTS=<folder>`` to keep a screenshot of every step. Skipped where Debian's
chromium is not installed (.ci/run installs it)."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from emc import demo, migrate
    from emc.app import create_app
    from emc.config import Settings
    from emc.db import make_engine, make_session_factory, unit_of_work

    folder = tmp_path_factory.mktemp("facilities-browser")
    url = f"sqlite:///{folder / 'emc.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        demo.build(session)
    engine.dispose()
    app = create_app(
        Settings(database_url=url, secret_key="browser-test-secret-key", instance_path=folder)
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


def _year_csv(path: Path, header: str, value) -> Path:
    day = dt.date(2023, 1, 1)
    lines = [header]
    while day < dt.date(2024, 1, 1):
        lines.append(f"{day:%Y-%m-%d} 00:00,{value(day)}")
        day += dt.timedelta(days=1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_energy_manager_sets_up_a_site_on_pages_alone(server, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = os.environ.get("EMC_SCREENSHOTS")

    def shot(page, name):
        if shots:
            page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)

    readings = _year_csv(tmp_path / "总表-2023.csv", "时间,用电量(kWh)", lambda d: 800 + d.day)
    temperatures = _year_csv(
        tmp_path / "气温-2023.csv",
        "时间,气温(℃)",
        lambda d: round(15 + 10 * ((d.month - 7) / 6), 1),
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(f"{server}/login")
        page.fill("input[name=email]", "energy@school.demo")
        page.fill("input[name=password]", "emc-demo-2026")
        page.click("[data-testid=login-submit]")

        page.goto(f"{server}/sites")
        page.click("[data-testid=new-site]")
        page.fill("input[name=name]", "东校区")
        page.fill("input[name=address]", "杭州市西湖区文三路 100 号")
        shot(page, "01-site-form")
        page.click("[data-testid=site-form] button[type=submit]")
        page.wait_for_selector("[data-testid=new-building]")
        assert "已创建场所 东校区" in page.inner_text("body")

        page.click("[data-testid=new-building]")
        page.fill("input[name=name]", "教学楼")
        page.fill("input[name=floor_area_m2]", "-1")
        page.select_option("select[name=building_type]", "school")
        page.select_option("select[name=climate_zone]", "hot_summer_cold_winter")
        page.click("[data-testid=building-form] button[type=submit]")
        page.wait_for_selector("ul.field-errors[data-field=floor_area_m2]")
        shot(page, "02-building-error")
        page.fill("input[name=floor_area_m2]", "8500")
        page.click("[data-testid=building-form] button[type=submit]")
        page.wait_for_selector("[data-testid=new-meter]")
        assert "夏热冬冷" in page.inner_text("[data-testid=buildings]")

        page.click("[data-testid=new-meter]")
        page.fill("input[name=name]", "东校区总表")
        page.select_option("select[name=carrier]", "electricity")
        page.fill("input[name=unit]", "kWh")
        page.select_option("select[name=kind]", "interval")
        page.fill("input[name=interval_minutes]", "1440")
        shot(page, "03-meter-form")
        page.click("[data-testid=meter-form] button[type=submit]")
        page.wait_for_selector("[data-testid=check-upload]")

        page.set_input_files("input[name=file]", str(readings))
        page.click("[data-testid=check-upload]")
        page.wait_for_selector("[data-testid=upload-preview][data-status=ok]")
        shot(page, "04-meter-check")
        page.set_input_files("input[name=file]", str(readings))
        page.click("form.grid button[type=submit]:not([data-testid])")
        page.wait_for_selector("[data-testid=reading-count]")
        assert page.inner_text("[data-testid=reading-count]") == "365"
        shot(page, "05-meter-data")

        page.goto(f"{server}/weather-stations")
        page.fill("[data-testid=new-station] input[name=code]", "DXQ")
        page.fill("[data-testid=new-station] input[name=name]", "东校区气象站")
        page.click("[data-testid=new-station] button[type=submit]")
        page.wait_for_selector("[data-testid=check-upload]")
        page.set_input_files("input[name=file]", str(temperatures))
        page.click("[data-testid=check-upload]")
        page.wait_for_selector("[data-testid=upload-preview][data-status=ok]")
        shot(page, "06-station-check")
        page.set_input_files("input[name=file]", str(temperatures))
        page.click("form.grid button[type=submit]:not([data-testid])")
        page.wait_for_selector("[data-testid=temperature-count]")
        assert page.inner_text("[data-testid=temperature-count]") == "365"

        page.goto(f"{server}/sites?q=东校区")
        page.click("text=东校区")
        page.click("[data-testid=edit-site]")
        page.select_option("[data-testid=station-select]", label="DXQ · 东校区气象站 (本机构站点)")
        page.click("[data-testid=site-form] button[type=submit]")
        page.wait_for_selector("[data-testid=site-weather]")
        assert "东校区气象站" in page.inner_text("[data-testid=site-weather]")
        shot(page, "07-site")

        page.goto(f"{server}/projects/new")
        page.fill("input[name=name]", "东校区照明改造")
        page.select_option("select[name=esco_organization_id]", index=1)
        page.click("[data-testid=project-form] button[type=submit]")
        page.click("[data-testid=sites-link]")
        page.select_option("[data-testid=link-site] select[name=site_id]", label="东校区")
        page.click("[data-testid=link-site] button[type=submit]")
        page.wait_for_selector("[data-testid=project-site]")
        assert "东校区总表" in page.inner_text("[data-testid=project-site]")
        shot(page, "08-project-sites")
        page.click("[data-testid=choose-boundary]")
        assert "东校区总表" in page.text_content("[data-testid=plan-form]")

        page.goto(f"{server}/meters?q=总表")
        shot(page, "09-meter-list")
        assert "东校区总表" in page.inner_text("[data-testid=meter-list]")
        browser.close()

"""A person's view of a meter file with an unknown header: the energy manager uploads it in
Chinese, is shown its first rows, maps the columns, imports the checked file with "导入", and the
next file of the meter goes in without being asked again. Skipped where Debian's chromium is not
installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.browser.test_browser_home import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
]

FIRST = (
    "某某中学 楼宇电表导出\n"
    "导出人：能源管理员\n"
    "记录点,瞬时累计,备注\n"
    "2024-03-01 00:00,1.5,\n"
    "2024-03-01 01:00,2.5,\n"
    "2024-03-01 02:00,3.5,\n"
).encode("gbk")
SECOND = FIRST.replace("2024-03-01".encode("gbk"), "2024-03-02".encode("gbk"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real app on a migrated SQLite file with the demo data and one new hourly meter of
    the school, served on a loopback port; yields (url, meter id)."""
    from sqlalchemy import select

    from emc import demo, migrate
    from emc.app import create_app
    from emc.auth.models import Organization
    from emc.config import Settings
    from emc.db import make_engine, make_session_factory, unit_of_work
    from emc.facilities.models import Meter, MeterKind, Site

    folder = tmp_path_factory.mktemp("browser-mapping")
    url = f"sqlite:///{folder / 'emc.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        demo.build(session)
        school = session.scalar(
            select(Organization).where(Organization.name_zh == "杭州市第一中学")
        )
        site = session.scalar(select(Site).where(Site.organization_id == school.id).limit(1))
        meter = Meter(
            site_id=site.id,
            name="映射测试电表",
            carrier="electricity",
            unit="kWh",
            kind=MeterKind.INTERVAL,
            interval_minutes=60,
        )
        session.add(meter)
        session.flush()
        meter_id = meter.id
    engine.dispose()
    app = create_app(
        Settings(database_url=url, secret_key="browser-test-secret-key", instance_path=folder)
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", meter_id
    httpd.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _upload(page, path: Path, *, check: bool) -> None:
    page.set_input_files("input[name=file]", str(path))
    page.click(
        "[data-testid=check-upload]" if check else "form button[type=submit]:not(.secondary)"
    )


def test_an_unknown_header_is_mapped_once_and_reused(server, browser, tmp_path):
    base, meter_id = server
    first, second = tmp_path / "电表导出1.csv", tmp_path / "电表导出2.csv"
    first.write_bytes(FIRST)
    second.write_bytes(SECOND)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        page.fill("input[name=email]", "energy@school.demo")
        page.fill("input[name=password]", "emc-demo-2026")
        page.click("[data-testid=login-submit]")
        page.wait_for_selector("[data-testid=home-title]")

        page.goto(f"{base}/meters/{meter_id}")
        _upload(page, first, check=True)
        page.wait_for_selector("[data-testid=mapping-form]")
        text = page.inner_text("body")
        assert "未能识别此文件的列" in text and "记录点" in text and "瞬时累计" in text, text[:500]
        # The two title rows are recognised as such: the header row is preselected below them.
        assert page.is_checked("[data-testid=header-row-3]")
        if os.environ.get("EMC_SCREENSHOTS"):
            page.screenshot(
                path=str(Path(os.environ["EMC_SCREENSHOTS"]) / "meter-mapping-zh.png"),
                full_page=True,
            )
        page.select_option("[data-testid=role-0]", "timestamp")
        page.select_option("[data-testid=role-1]", "value")
        page.click("[data-testid=save-mapping]")
        page.wait_for_selector("[data-testid=upload-preview][data-status=ok]")
        assert "已忽略列：备注" in page.inner_text("[data-testid=upload-preview]")
        assert "已为本表计保存列映射" in page.inner_text("body")
        if os.environ.get("EMC_SCREENSHOTS"):
            page.locator("[data-testid=upload-preview]").screenshot(
                path=str(Path(os.environ["EMC_SCREENSHOTS"]) / "meter-checked-import-zh.png")
            )
        assert page.inner_text("[data-testid=reading-count]") == "0"

        # "导入" imports the checked file without choosing it again.
        page.click("[data-testid=import-checked-button]")
        page.wait_for_selector("[data-testid=reading-count]")
        assert page.inner_text("[data-testid=reading-count]") == "3"

        # The next file of the meter is read with the saved mapping: no mapping page.
        _upload(page, second, check=False)
        page.wait_for_selector("[data-testid=reading-count]")
        assert "/mapping/" not in page.url
        assert page.inner_text("[data-testid=reading-count]") == "6"
    finally:
        context.close()

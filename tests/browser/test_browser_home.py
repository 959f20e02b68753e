"""A person's view: headless Chromium logs in as each demo role and reads the home page in
Chinese, then in English. Skipped (with the reason) where Debian's chromium is not installed;
.ci/run installs it, so CI always runs this.
"""

from __future__ import annotations

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
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
]

ROLES = [
    "admin@platform.demo",
    "officer@national.demo",
    "admin@zhejiang.demo",
    "officer@hangzhou.demo",
    "admin@school.demo",
    "energy@school.demo",
    "finance@school.demo",
    "viewer@school.demo",
    "admin@esco.demo",
    "engineer@esco.demo",
    "admin@auditor.demo",
    "auditor@auditor.demo",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real app on a migrated SQLite file with the demo data, served on a loopback port."""
    from emc import demo, migrate
    from emc.app import create_app
    from emc.config import Settings
    from emc.db import make_engine, make_session_factory, unit_of_work

    folder = tmp_path_factory.mktemp("browser")
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("email", ROLES)
def test_each_role_sees_its_home_page_in_chinese_then_english(server, browser, email, tmp_path):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{server}/")
        assert "/login" in page.url
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", "emc-demo-2026")
        page.click("[data-testid=login-submit]")
        page.wait_for_selector("[data-testid=home-title]")
        text = page.inner_text("body")
        assert "首页" in text and "退出登录" in text, text[:300]
        if os.environ.get("EMC_SCREENSHOTS"):
            page.screenshot(
                path=str(Path(os.environ["EMC_SCREENSHOTS"]) / f"{email}-zh.png"), full_page=True
            )

        page.click("[data-testid=lang-en]")
        page.wait_for_selector("[data-testid=lang-zh]")
        text = page.inner_text("body")
        assert "Home" in text and "Log out" in text, text[:300]
        assert "退出登录" not in text

        page.click("[data-testid=logout]")
        page.wait_for_selector("[data-testid=login-submit]")
    finally:
        context.close()

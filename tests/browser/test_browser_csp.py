"""The Content-Security-Policy holds in a real browser: pages and the API docs load and run
with no violation (no inline script anywhere), and a page refuses to be framed."""

from __future__ import annotations

import pytest

from tests.browser.test_browser_home import CHROMIUM, CHROMIUM_ARGS, browser, server  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

PAGES = ["/", "/sites", "/projects", "/account/tokens", "/account/password", "/inbox"]


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def test_pages_and_api_docs_run_without_a_csp_violation(server, browser):  # noqa: F811
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    violations = _violations(page)
    try:
        page.goto(f"{server}/login")
        page.fill("input[name=email]", "energy@school.demo")
        page.fill("input[name=password]", "emc-demo-2026")
        page.click("[data-testid=login-submit]")
        page.wait_for_selector("[data-testid=home-title]")
        for path in PAGES:
            page.goto(f"{server}{path}")
        page.goto(f"{server}/api/docs")
        page.wait_for_selector(".opblock", timeout=15000)  # Swagger UI started and rendered
    finally:
        context.close()
    assert violations == []


def test_a_page_refuses_to_be_framed(server, browser, tmp_path):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content(f'<iframe src="{server}/login"></iframe>')
        page.wait_for_timeout(1000)
        frame = page.frames[1] if len(page.frames) > 1 else None
        body = frame.content() if frame is not None else ""
    finally:
        context.close()
    assert "login-submit" not in body

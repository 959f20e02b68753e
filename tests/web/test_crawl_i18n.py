"""Every page a demo user can reach speaks the user's language (issue 15).

Each role of the full demo (the one ``emc demo`` builds: projects, payment schedules, M&V
reports, audits, the savings watch) logs in, in zh_CN and then in en, and follows every
same-site link breadth-first from the home page and the navigation (GET only, two pages per URL
pattern with the ids normalised, so two projects of different contract types; at most 200 pages). A page fails on a raw enum value, a Python
repr, an English sentence on a Chinese page or Chinese on an English page. Text that users or
reference data put into the database (names, citations, comments) is data, not UI, and is left
as it was entered.

The demo is built once per module (about 10 s of CPU); each crawl then takes a few seconds.
"""

from __future__ import annotations

import pytest
from crawl_support import Data, chinese_checker, crawl, english_checker, pattern, str_enum_values
from sqlalchemy import text

pytestmark = pytest.mark.slow

ROLES = [
    "energy@school.demo",  # institution energy manager
    "admin@esco.demo",  # ESCO
    "finance@school.demo",  # finance, preparer
    "finance2@school.demo",  # finance, approver
    "officer@national.demo",  # agency: national
    "officer@zhejiang.demo",  # agency: province
    "officer@hangzhou.demo",  # agency: city
    "admin@platform.demo",  # platform admin
    "auditor@auditor.demo",  # audit body
]

# File formats a page explains: the values and column titles a user types into a CSV are shown
# as they must be typed.
FILE_FORMAT_WORDS = {
    "/calendars/statutory/<id>": {"holiday", "makeup_workday", "春节", "春节调休"},
    "/calendars/terms/<id>": {"term", "vacation", "exam"},
    "/programme/stats": {"年份", "建筑面积", "用能人数", "能源品种", "消费量", "单位"},
    "/weather-stations/<id>": {"时间", "气温", "温度"},
}


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    """The app on a SQLite file with the full demo, its engine, and what the checks need."""
    from emc import demo, migrate
    from emc.app import create_app
    from emc.config import Settings
    from emc.db import make_engine, make_session_factory, unit_of_work
    from emc.web.extensions import limiter

    folder = tmp_path_factory.mktemp("crawl")
    url = f"sqlite:///{folder / 'emc.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        demo.build(session, programme_projects=True)
    app = create_app(
        Settings(
            database_url=url,
            secret_key="crawl-test-secret-key-0123456789",
            instance_path=folder,
            testing=True,
            login_rate_limit="1000 per minute",
        )
    )
    limiter.reset()
    yield app, engine, str_enum_values(), Data.of_database(engine)
    engine.dispose()


def _crawl(full_demo, email: str, locale: str):
    from tests.conftest import Client

    app, engine, values, data = full_demo
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET locale = :l WHERE email = :e"), {"l": locale, "e": email}
        )
    client = Client(app)
    assert client.login(email).status_code == 302
    make = chinese_checker if locale == "zh_CN" else english_checker
    result = crawl(client, make(values, data, FILE_FORMAT_WORDS), per_pattern=2)
    return result, result.findings


def _report(findings) -> str:
    seen: dict[tuple, str] = {}
    for f in findings:
        seen.setdefault((pattern(f.url), f.kind, f.text), str(f))
    return "\n".join(list(seen.values())[:40])


@pytest.mark.parametrize("email", ROLES)
def test_every_page_is_chinese_in_zh_cn(full_demo, email):
    result, findings = _crawl(full_demo, email, "zh_CN")
    assert len(result.pages) > 5, result.errors
    assert not result.errors, result.errors  # no link leads to an error page
    assert not findings, _report(findings)


@pytest.mark.parametrize("email", ROLES)
def test_every_page_is_english_in_en(full_demo, email):
    result, findings = _crawl(full_demo, email, "en")
    assert len(result.pages) > 5, result.errors
    assert not result.errors, result.errors
    assert not findings, _report(findings)


def test_the_checks_catch_what_they_are_for():
    """The checks themselves: each kind of leftover of issue 15 is found, good text is not."""
    values = {"electricity", "shared_savings", "monthly"}
    data = Data(["杭州市第一中学", "Hangzhou No. 1 Middle School"])
    zh = chinese_checker(values, data)
    assert {f.kind for f in zh("/x", [("td", "electricity")])} == {"raw enum"}
    assert {f.kind for f in zh("/x", [("td", "付款周期: monthly")])} == {"raw enum"}
    assert zh("/x", [("td", "{'reason': ['required']}")])[0].kind == "repr"
    assert zh("/x", [("td", "None")])[0].kind == "repr"
    assert zh("/x", [("p", "hold payment lines for the project")])[0].kind == "English"
    assert not zh("/x", [("td", "杭州市第一中学 · Hangzhou No. 1 Middle School")])
    assert not zh("/x", [("td", "CV(RMSE) 12.3 % · NMBE 0.1 % · ASHRAE G14")])
    assert not zh("/x", [("code", "shared_savings")])
    en = english_checker(values, data)
    assert en("/x", [("p", "Paid monthly in arrears")]) == []
    assert en("/x", [("td", "shared_savings")])[0].kind == "raw enum"
    assert en("/x", [("p", "Status: 已付款")])[0].kind == "Chinese"
    assert not en("/x", [("p", "Signed by 杭州市第一中学")])

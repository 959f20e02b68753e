"""Issue 12's "done when" walk in Chinese, on web pages alone (headless Chromium), each step as
the user whose job it is: the institution's energy manager sets up a site, a building, a meter,
a year of baseline readings and two years of temperatures, creates a project with its terms; the
institution signs, then the ESCO's admin; the project links the site and its M&V plan chooses the
boundary meter and baseline year; the ESCO proposes a baseline and the institution approves it
(with an override reason if G14 fails); after a reporting year's readings the ESCO drafts and
submits a report and the institution accepts it; one finance user prepares the payment line and
the other approves it and marks it paid with a date and a reference.

At each hand-over the next user's to-do list and inbox are checked. Set
``EMC_SCREENSHOTS=<folder>`` to keep a screenshot of every step. Skipped where Debian's chromium
is not installed (.ci/run installs it)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import threading
from decimal import Decimal
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
PASSWORD = "emc-demo-2026"
WAIT_MS = 60_000  # the machine is heavily loaded: generous, but bounded

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
    """The real app on a migrated SQLite file with only the demo's organisations and users (no
    sites, meters or projects: the walk creates its own), served on a loopback port."""
    from emc import migrate
    from emc.app import create_app
    from emc.config import Settings
    from emc.db import make_engine, make_session_factory, unit_of_work

    folder = tmp_path_factory.mktemp("project-walk")
    url = f"sqlite:///{folder / 'emc.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        _organisations_and_users(session)
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


def _organisations_and_users(session) -> None:
    """The demo's regions, organisations and users through the service functions, nothing else."""
    from emc import demo
    from emc.auth import service
    from emc.auth.models import Region, RegionLevel

    for code, zh, en in demo.CITIES:
        level = RegionLevel.COUNTY if not code.endswith("00") else RegionLevel.CITY
        session.add(Region(code=code, name_zh=zh, name_en=en, level=level))
    session.flush()
    admin = demo.bootstrap_platform_admin(
        session, email="admin@platform.demo", display_name="平台管理员", password=PASSWORD
    )
    actor = demo.actor_for(session, admin.email)
    orgs = {"platform": admin.organization}
    for key, kind, name_zh, name_en, region, sector in demo.ORGS:
        if key != "platform":
            orgs[key] = service.create_organization(
                session,
                actor,
                kind=kind,
                name_zh=name_zh,
                name_en=name_en,
                region_code=region,
                sector=sector,
            )
    for email, key, role, name in demo.USERS:
        if email != admin.email:
            service.create_user(
                session,
                actor,
                email=email,
                display_name=name,
                organization_id=orgs[key].id,
                role=role,
                locale="zh_CN",
                password=PASSWORD,
            )


def _temperature(day: dt.date) -> float:
    """A plausible Hangzhou year: cold January, hot July."""
    return round(17 - 12 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365), 1)


def _use_kwh(day: dt.date, factor: float = 1.0) -> float:
    """Daily use driven by cooling and heating degree-days, with a working-day step."""
    t = _temperature(day)
    base = 900 if day.weekday() < 5 else 500
    return round(factor * (base + 40 * max(t - 22, 0) + 25 * max(14 - t, 0)), 1)


def _csv(path: Path, header: str, first: dt.date, last: dt.date, value) -> Path:
    lines = [header]
    day = first
    while day <= last:
        lines.append(f"{day:%Y-%m-%d} 00:00,{value(day)}")
        day += dt.timedelta(days=1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _terms_json() -> str:
    from emc.contracts import finance
    from emc.contracts.documents import terms_to_document

    terms = finance.ContractTerms(
        contract_type=finance.ContractType.GUARANTEED_SAVINGS,
        term_years=3,
        start_date=dt.date(2024, 1, 1),
        payment_frequency=finance.PaymentFrequency.ANNUAL,
        payment_due_days=30,
        discount_rate=Decimal("0.05"),
        components=(
            finance.GuaranteedSavingsTerms(
                guarantees=(finance.EnergyQuantity("electricity", "kWh", Decimal(20000)),),
                fees=(finance.FeeBand(1, 3, Decimal(30000)),),
            ),
        ),
        prices=(finance.CarrierPrice("electricity", "kWh", Decimal("0.80")),),
    )
    return json.dumps(terms_to_document(terms), ensure_ascii=False)


def test_a_project_walks_from_site_to_paid_line_on_pages_alone(server, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = os.environ.get("EMC_SCREENSHOTS")
    count = iter(range(1, 100))

    def shot(page, name):
        if shots:
            page.screenshot(path=str(Path(shots) / f"{next(count):02d}-{name}.png"), full_page=True)

    baseline = _csv(
        tmp_path / "总表-2023.csv",
        "时间,有功电量(kWh)",
        dt.date(2023, 1, 1),
        dt.date(2023, 12, 31),
        _use_kwh,
    )
    reporting = _csv(
        tmp_path / "总表-2024.csv",
        "时间,有功电量(kWh)",
        dt.date(2024, 1, 1),
        dt.date(2024, 12, 31),
        lambda d: _use_kwh(d, 0.85),
    )
    temperatures = _csv(
        tmp_path / "气温-2023-2024.csv",
        "时间,气温(℃)",
        dt.date(2023, 1, 1),
        dt.date(2024, 12, 31),
        _temperature,
    )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        contexts = {}

        def as_user(email):
            """One browser context per person, logged in once."""
            if email not in contexts:
                context = browser.new_context(locale="zh-CN")
                context.set_default_timeout(WAIT_MS)
                page = context.new_page()
                page.goto(f"{server}/login")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", PASSWORD)
                page.click("[data-testid=login-submit]")
                page.wait_for_selector("[data-testid=home-title]")
                contexts[email] = page
            return contexts[email]

        def todo_text(email) -> str:
            page = as_user(email)
            page.goto(f"{server}/todo")
            return (
                page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
            )

        def inbox_text(email) -> str:
            page = as_user(email)
            page.goto(f"{server}/inbox")
            return page.inner_text("body")

        # 1. The institution's energy manager: site, building, meter, a year of baseline data.
        page = as_user("energy@school.demo")
        page.goto(f"{server}/sites/new")
        page.fill("input[name=name]", "东校区")
        page.fill("input[name=address]", "杭州市西湖区文三路 100 号")
        page.click("[data-testid=site-form] button[type=submit]")
        page.wait_for_selector("[data-testid=new-building]")
        assert "已创建场所 东校区" in page.inner_text("body")
        site_url = page.url

        page.click("[data-testid=new-building]")
        page.fill("input[name=name]", "教学楼")
        page.fill("input[name=floor_area_m2]", "8500")
        page.select_option("select[name=building_type]", "school")
        page.select_option("select[name=climate_zone]", "hot_summer_cold_winter")
        page.click("[data-testid=building-form] button[type=submit]")
        page.wait_for_selector("[data-testid=new-meter]")
        assert "教学楼" in page.inner_text("[data-testid=buildings]")

        page.click("[data-testid=new-meter]")
        page.fill("input[name=name]", "东校区总表")
        page.select_option("select[name=carrier]", "electricity")
        page.fill("input[name=unit]", "kWh")
        page.select_option("select[name=kind]", "interval")
        page.fill("input[name=interval_minutes]", "1440")
        page.click("[data-testid=meter-form] button[type=submit]")
        page.wait_for_selector("[data-testid=check-upload]")
        meter_url = page.url

        page.set_input_files("input[name=file]", str(baseline))
        page.click("[data-testid=check-upload]")
        page.wait_for_selector("[data-testid=upload-preview][data-status=ok]")
        page.set_input_files("input[name=file]", str(baseline))
        page.click("form.grid button[type=submit]:not([data-testid])")
        page.wait_for_selector("[data-testid=reading-count]")
        assert page.inner_text("[data-testid=reading-count]") == "365"
        shot(page, "meter-baseline")

        # 2. Temperatures: the institution's own weather station, chosen for the site.
        page.goto(f"{server}/weather-stations")
        page.fill("[data-testid=new-station] input[name=code]", "DXQ")
        page.fill("[data-testid=new-station] input[name=name]", "东校区气象站")
        page.click("[data-testid=new-station] button[type=submit]")
        page.wait_for_selector("[data-testid=check-upload]")
        page.set_input_files("input[name=file]", str(temperatures))
        page.click("[data-testid=check-upload]")
        page.wait_for_selector("[data-testid=upload-preview][data-status=ok]")
        page.set_input_files("input[name=file]", str(temperatures))
        page.click("form.grid button[type=submit]:not([data-testid])")
        page.wait_for_selector("[data-testid=temperature-count]")
        assert page.inner_text("[data-testid=temperature-count]") == "731"

        page.goto(site_url)
        page.click("[data-testid=edit-site]")
        page.select_option("[data-testid=station-select]", label="DXQ · 东校区气象站 (本机构站点)")
        page.click("[data-testid=site-form] button[type=submit]")
        page.wait_for_selector("[data-testid=site-weather]")
        assert "东校区气象站" in page.inner_text("[data-testid=site-weather]")
        shot(page, "site")

        # 3. The project, its ESCO and its terms.
        page.goto(f"{server}/projects/new")
        page.fill("input[name=name]", "东校区照明改造")
        page.select_option("select[name=esco_organization_id]", label="绿能节能服务有限公司")
        page.click("[data-testid=project-form] button[type=submit]")
        page.wait_for_selector("[data-testid=sites-link]")
        project_url = page.url.split("?")[0].rstrip("/")
        project_id = int(project_url.rsplit("/", 1)[1])

        page.goto(f"{server}/projects/{project_id}/terms")
        page.click("details.terms-json summary")
        page.check("input[name=editor][value=json]")
        page.fill("textarea[name=terms]", _terms_json())
        page.eval_on_selector("[data-testid=terms-form]", "f => f.noValidate = true")
        page.click("[data-testid=terms-form] button[type=submit]")
        page.wait_for_load_state()
        assert page.url.rstrip("/").endswith(f"/projects/{project_id}"), page.inner_text("body")[
            :2000
        ]
        shot(page, "terms")

        # 4. Proposal and signatures: the institution signs, then the ESCO's admin.
        page.goto(f"{server}/projects/{project_id}/life")
        page.click("[data-testid=step-propose] button[type=submit]")
        page.wait_for_selector("[data-testid=step-sign]")
        page.fill("[data-testid=step-sign] input[name=signed_on]", "2023-12-20")
        page.click("[data-testid=step-sign] button[type=submit]")
        page.wait_for_selector("[data-testid=sig-institution]")
        assert "尚未" not in page.inner_text("[data-testid=sig-institution]")
        shot(page, "signed-institution")

        # The ESCO's admin is told, and finds the signature waiting in the to-do list.
        assert "东校区照明改造" in inbox_text("admin@esco.demo")
        assert "东校区照明改造" in todo_text("admin@esco.demo")
        esco = as_user("admin@esco.demo")
        esco.goto(f"{server}/projects/{project_id}/life")
        esco.fill("[data-testid=step-sign] input[name=signed_on]", "2023-12-22")
        esco.click("[data-testid=step-sign] button[type=submit]")
        esco.wait_for_selector("[data-testid=sig-esco]")
        assert "尚未" not in esco.inner_text("[data-testid=sig-esco]")
        shot(esco, "signed-both")

        # 5. The site joins the project; the M&V plan chooses its boundary meter.
        page.goto(f"{server}/projects/{project_id}/sites")
        page.select_option("[data-testid=link-site] select[name=site_id]", label="东校区")
        page.click("[data-testid=link-site] button[type=submit]")
        page.wait_for_selector("[data-testid=project-site]")
        assert "东校区总表" in page.inner_text("[data-testid=project-site]")
        page.click("[data-testid=choose-boundary]")
        assert "东校区总表" in page.text_content("[data-testid=plan-form]")
        shot(page, "plan-form")

        page.click("[data-testid=mv-plan] details > summary")
        page.check("[data-testid=plan-form] input[type=checkbox][name^=meter_]")
        page.fill("[data-testid=plan-form] input[name=baseline_start]", "2023-01-01")
        page.fill("[data-testid=plan-form] input[name=baseline_end]", "2024-01-01")
        page.click("[data-testid=plan-form] button[type=submit]")
        page.wait_for_selector("[data-testid=mv-plan]")
        assert "东校区总表" in page.inner_text("[data-testid=mv-plan]"), page.inner_text("body")[
            :2000
        ]
        shot(page, "plan")

        # 6. The ESCO proposes a baseline; the institution approves it.
        engineer = as_user("engineer@esco.demo")
        engineer.goto(f"{server}/projects/{project_id}/mv")
        engineer.click("[data-testid=propose-form] button[type=submit]")
        engineer.wait_for_selector("[data-testid=baseline-title]")
        assert "action-error" not in engineer.content()
        shot(engineer, "baseline-proposed")

        assert "东校区照明改造" in todo_text("energy@school.demo")
        assert "东校区照明改造" in inbox_text("energy@school.demo")
        page.goto(f"{server}/projects/{project_id}/mv")
        page.click("[data-testid=mv-baselines] a[href*='/baselines/']")
        page.wait_for_selector("[data-testid=decide]")
        override = page.query_selector("[data-testid=decide] input[name=override_reason]")
        if override is not None:
            override.fill("基准期数据完整，模型偏差可接受，经双方确认")
        page.click("[data-testid=decide] form[action$='/approve'] button[type=submit]")
        page.wait_for_selector("[data-testid=frozen]")
        shot(page, "baseline-approved")
        assert "东校区照明改造" in inbox_text("engineer@esco.demo")

        # 7. A year of reporting data; the ESCO drafts and submits, the institution accepts.
        page.goto(meter_url)
        page.set_input_files("input[name=file]", str(reporting))
        page.click("[data-testid=check-upload]")
        page.wait_for_selector("[data-testid=upload-preview][data-status=ok]")
        page.set_input_files("input[name=file]", str(reporting))
        page.click("form.grid button[type=submit]:not([data-testid])")
        page.wait_for_selector("[data-testid=reading-count]")
        assert page.inner_text("[data-testid=reading-count]") == "731"

        engineer.goto(f"{server}/projects/{project_id}/mv")
        engineer.fill("[data-testid=draft-form] input[name=period_start]", "2024-01-01")
        engineer.fill("[data-testid=draft-form] input[name=period_last]", "2024-12-31")
        engineer.click("[data-testid=draft-form] button[type=submit]")
        engineer.wait_for_selector("[data-testid=report-title]")
        shot(engineer, "report-draft")
        engineer.click("form[action$='/submit'] button[type=submit]")
        engineer.wait_for_selector("[data-testid=report-title]")
        assert "action-error" not in engineer.content()

        assert "东校区照明改造" in todo_text("energy@school.demo")
        assert "东校区照明改造" in inbox_text("energy@school.demo")
        page.goto(f"{server}/projects/{project_id}/mv")
        page.click("[data-testid=report-row] a")
        page.click("form[action$='/accept'] button[type=submit]")
        page.wait_for_selector("[data-testid=immutable]")
        shot(page, "report-accepted")
        assert "东校区照明改造" in inbox_text("engineer@esco.demo")

        # 8. The payment line: finance user 1 prepares, finance user 2 approves, then it is paid.
        page.goto(project_url)
        if page.query_selector("[data-testid=actual-lines] form[data-action]") is None:
            page.click("[data-testid=regenerate]")
            page.wait_for_selector("[data-testid=schedule]")
        shot(page, "schedule")

        assert "东校区照明改造" in todo_text("finance@school.demo")
        finance1 = as_user("finance@school.demo")
        finance1.goto(f"{server}/finance/queue?project={project_id}")
        finance1.click("[data-testid=queue-line] form[data-action=prepare] button[type=submit]")
        finance1.wait_for_selector("[data-testid=queue-line] [data-testid=prepared-by]")
        assert "action-error" not in finance1.content()
        line = finance1.query_selector("[data-testid=queue-line][data-status=prepared]")
        assert line is not None, finance1.inner_text("[data-testid=queue]")
        line_key = line.get_attribute("data-line")
        shot(finance1, "line-prepared")

        assert "东校区照明改造" in todo_text("finance2@school.demo")
        finance2 = as_user("finance2@school.demo")
        finance2.goto(f"{server}/")
        assert int(finance2.inner_text("[data-testid=todo-count]")) >= 1  # the 待办 badge
        assert "东校区照明改造" in inbox_text("finance2@school.demo")
        finance2.goto(f"{server}/finance/queue?project={project_id}")
        row = f"[data-testid=queue-line][data-line='{line_key}']"
        finance2.click(f"{row} form[data-action=approve] button[type=submit]")
        finance2.wait_for_selector(f"{row}[data-status=approved]")
        assert "一中财务复核" in finance2.inner_text(f"{row} [data-testid=approved-by]")
        shot(finance2, "line-approved")

        finance2.fill(f"{row} form[data-action=pay] input[name=paid_on]", f"{dt.date.today()}")
        finance2.fill(f"{row} form[data-action=pay] input[name=payment_reference]", "XY-2025-0001")
        finance2.click(f"{row} form[data-action=pay] button[type=submit]")
        finance2.wait_for_load_state()
        assert finance2.query_selector("[data-testid=action-error]") is None, finance2.inner_text(
            "[data-testid=action-error]"
        )
        # A paid line leaves the work list; the list of all actual lines shows it paid.
        finance2.goto(f"{server}/finance/queue?project={project_id}&view=all")
        finance2.wait_for_selector(f"{row}[data-status=paid]")
        assert "XY-2025-0001" in finance2.inner_text(row)
        shot(finance2, "line-paid")

        for context_page in contexts.values():
            context_page.context.close()
        browser.close()

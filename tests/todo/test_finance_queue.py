"""The finance queue is a work list: by default what waits for this user, overdue lines and
lines due within 60 days; filters, sorting, pagination and export over 1,000 lines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from emc import clock
from emc.auth.models import Organization, User
from emc.contracts.finance import LineKind, LineSource, Party
from emc.contracts.models import EmcProject, LineStatus, PaymentLine


@pytest.fixture
def thousand(db_session):
    """1,000 actual lines on two projects of the school: 200 each of scheduled far ahead,
    scheduled due soon, overdue, prepared by finance@, approved."""
    school = db_session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    preparer = db_session.scalar(select(User).where(User.email == "finance@school.demo"))
    projects = []
    for name in ("队列项目甲", "队列项目乙"):
        project = EmcProject(organization_id=school.id, name=name)
        db_session.add(project)
        projects.append(project)
    db_session.flush()
    today = clock.now().date()
    groups = [
        (LineStatus.SCHEDULED, 300, None),
        (LineStatus.SCHEDULED, 20, None),
        (LineStatus.SCHEDULED, -10, None),
        (LineStatus.PREPARED, 40, preparer.id),
        (LineStatus.APPROVED, 50, None),
    ]
    rows = []
    for i in range(1000):
        status, days, prepared_by = groups[i % 5]
        rows.append(
            {
                "project_id": projects[i % 2].id,
                "key": f"actual:queue:{i}",
                "source": LineSource.ACTUAL,
                "kind": LineKind.SHARED_SAVINGS,
                "component": "main",
                "contract_year": 1,
                "period_start": dt.date(2026, 1, 1),
                "period_end": dt.date(2026, 2, 1),
                "due_on": today + dt.timedelta(days=days + i % 7),
                "payer": Party.INSTITUTION,
                "payee": Party.ESCO,
                "amount": Decimal("100.00") + i,
                "basis": {},
                "status": status,
                "prepared_by_user_id": prepared_by,
                "prepared_at": clock.now() if prepared_by else None,
                "version": 1,
            }
        )
    db_session.execute(insert(PaymentLine), rows)
    db_session.flush()
    return projects


def total(page: str) -> int:
    return int(re.search(r'data-testid="queue-total">(\d+)<', page).group(1))


def keys(page: str) -> list[str]:
    return re.findall(r'data-line="(actual:queue:\d+)"', page)


def test_default_is_the_work_list_and_far_lines_are_left_out(login_as, thousand):
    page = login_as("finance2@school.demo").get("/finance/queue").get_data(as_text=True)
    assert total(page) >= 800  # everything but the 200 scheduled far ahead
    assert page.count('data-testid="queue-line"') == 50 and 'data-testid="pager-next"' in page
    assert "队列项目甲" in page and "一中财务" in page  # prepared by, by name


def test_waiting_for_me_never_offers_the_preparer_an_approval(login_as, thousand):
    mine_other = login_as("finance2@school.demo").get("/finance/queue?view=mine&status=prepared")
    assert total(mine_other.get_data(as_text=True)) == 200
    mine_self = login_as("finance@school.demo").get("/finance/queue?view=mine&status=prepared")
    assert total(mine_self.get_data(as_text=True)) == 0


def test_filters_by_status_project_and_due_dates(login_as, thousand):
    c = login_as("finance2@school.demo")
    project = thousand[0].id
    page = c.get(f"/finance/queue?view=all&status=approved&project={project}").get_data(
        as_text=True
    )
    assert total(page) == 100
    today = clock.now().date()
    lo, hi = today + dt.timedelta(days=300), today + dt.timedelta(days=400)
    page = c.get(f"/finance/queue?view=all&due_from={lo}&due_to={hi}").get_data(as_text=True)
    assert total(page) == 200
    bad = c.get("/finance/queue?due_from=31.12.2026")
    assert bad.status_code == 200 and "日期格式无效" in bad.get_data(as_text=True)


def test_pages_and_sorting_cover_every_line_once(login_as, thousand):
    c = login_as("finance2@school.demo")
    seen = []
    for n in range(1, 22):
        page = c.get(f"/finance/queue?view=all&sort=amount&dir=desc&page={n}").get_data(
            as_text=True
        )
        seen += keys(page)
    assert len(seen) == len(set(seen)) == 1000
    assert seen[0] == "actual:queue:999"


def test_export_has_the_whole_selection_with_preparer_columns(login_as, thousand):
    c = login_as("finance2@school.demo")
    response = c.get("/finance/queue.csv?view=all&status=prepared")
    # Through the one export helper: charset once, no shared cache, a BOM for Excel.
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.get_data().startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 201 and "制单人" in rows[0]
    assert rows[1][rows[0].index("制单人")] == "一中财务"
    xlsx = c.get("/finance/queue.xlsx?view=all&status=approved")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 201


ZONE = "Asia/Shanghai"  # the demo sites' zone, named in the time columns' titles


def test_export_titles_are_chinese_and_name_the_time_zone(login_as, thousand):
    c = login_as("finance2@school.demo")
    xlsx = c.get("/finance/queue.xlsx?view=all&status=approved")
    titles = [cell.value for cell in next(load_workbook(io.BytesIO(xlsx.data)).active.rows)]
    english = [t for t in titles if any("a" <= ch.lower() <= "z" for ch in t.replace(ZONE, ""))]
    assert not english, titles
    assert f"制单时间（{ZONE}）" in titles and f"审批时间（{ZONE}）" in titles


def test_export_titles_are_marked_for_extraction(app):
    """The titles are translated when the file is written: each must be in the extracted
    template (marked N_), or a re-extraction drops its translation and the file turns English."""
    from emc import paths
    from emc.contracts.queue_views import EXPORT_COLUMNS

    template = (paths.TRANSLATIONS_DIR / "messages.pot").read_text(encoding="utf-8")
    missing = [t for t, _kind, _w in EXPORT_COLUMNS if f'msgid "{t}"' not in template]
    assert not missing, missing
    source = (paths.TRANSLATIONS_DIR.parent / "contracts" / "queue_views.py").read_text("utf-8")
    block = source[source.index("EXPORT_COLUMNS = (") :].split("\n)\n")[0]
    assert all(f'N_("{t}")' in block for t, _kind, _w in EXPORT_COLUMNS)


def test_a_refused_payment_keeps_the_filters_and_what_was_typed(login_as, thousand, db_session):
    """A pay error (付款日期不能晚于今天) came back to the unfiltered queue with the date and the
    bank reference gone; a success lost the filters too."""
    c = login_as("finance2@school.demo")
    project = thousand[0].id
    query = f"view=all&status=approved&project={project}"
    page = c.get(f"/finance/queue?{query}").get_data(as_text=True)
    action = re.search(r'action="(/payment-lines/(\d+)/pay\?[^"]+)"', page)
    assert action and f"project={project}" in action[1]
    url, line_id = action[1].replace("&amp;", "&"), int(action[2])
    version = db_session.get(PaymentLine, line_id).version
    future = (clock.now().date() + dt.timedelta(days=30)).isoformat()
    refused = c.post(
        url,
        data={
            "version": version,
            "back": "queue",
            "paid_on": future,
            "payment_reference": "BANK-7788",
        },
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert total(html) == 100  # still the filtered queue
    assert 'value="BANK-7788"' in html and f'value="{future}"' in html
    paid = c.post(
        url,
        data={
            "version": version,
            "back": "queue",
            "paid_on": clock.now().date().isoformat(),
            "payment_reference": "BANK-7788",
        },
    )
    assert paid.status_code == 302 and f"project={project}" in paid.headers["Location"]

"""A project page with 1,000 payment lines (the custody project has 192): both schedules are
paged on their own, filtered by status and due year, and every line is on exactly one page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from emc.auth.models import Organization
from emc.contracts.finance import LineKind, LineSource, Party
from emc.contracts.models import EmcProject, LineStatus, PaymentLine

from .conftest import total


@pytest.fixture
def project(db_session):
    school = db_session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    project = EmcProject(organization_id=school.id, name="千行项目")
    db_session.add(project)
    db_session.flush()
    db_session.execute(
        insert(PaymentLine),
        [
            {
                "project_id": project.id,
                "key": f"{'actual' if i < 600 else 'projected'}:list:{i}",
                "source": LineSource.ACTUAL if i < 600 else LineSource.PROJECTED,
                "kind": LineKind.SHARED_SAVINGS,
                "component": "main",
                "contract_year": 1 + i // 12,
                "period_start": dt.date(2026, 1, 1),
                "period_end": dt.date(2026, 2, 1),
                "due_on": dt.date(2026, 1, 1) + dt.timedelta(days=7 * i),
                "payer": Party.INSTITUTION,
                "payee": Party.ESCO,
                "amount": Decimal("100.00") + i,
                "basis": {},
                "status": LineStatus.PAID if i < 100 else LineStatus.SCHEDULED,
                "version": 1,
            }
            for i in range(1000)
        ],
    )
    db_session.flush()
    return project


def _counts(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-testid="list-count" data-total="(\d+)"', page)]


def test_both_schedules_are_paged_separately(login_as, project):
    c = login_as("finance@school.demo")
    url = f"/projects/{project.id}"
    first = c.get(url).get_data(as_text=True)
    assert _counts(first) == [600, 400]
    assert 'data-param="page"' in first and 'data-param="projected_page"' in first
    seen = []
    for n in range(1, 18):
        page = c.get(f"{url}?page={n}&projected_page=2").get_data(as_text=True)
        seen += re.findall(r'data-line="(actual:list:\d+)"', page)
    assert len(seen) == 600 and len(set(seen)) == 600


def test_schedule_filters_by_status_and_year(login_as, project):
    c = login_as("finance@school.demo")
    paid = c.get(f"/projects/{project.id}?status=paid").get_data(as_text=True)
    assert _counts(paid) == [100, 0]
    year = c.get(f"/projects/{project.id}?year=2027").get_data(as_text=True)
    assert sum(_counts(year)) == 52
    assert total(year) == 52

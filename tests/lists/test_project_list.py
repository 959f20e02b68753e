"""/projects over 1,000 projects: paginated, filtered by text, status, year and contract type,
sortable both ways, with the count shown; every project on exactly one page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from emc.auth.models import Organization
from emc.contracts.finance import ContractType
from emc.contracts.models import Contract, EmcProject, ProjectStatus

from .conftest import total, walk

ROW = r'href="/projects/(\d+)">列表项目'


@pytest.fixture
def thousand(db_session):
    school = db_session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    statuses = [ProjectStatus.DRAFT, ProjectStatus.OPERATING]
    db_session.execute(
        insert(EmcProject),
        [
            {
                "organization_id": school.id,
                "name": f"列表项目{n:04d}",
                "status": statuses[n % 2],
                "signed_on": dt.date(2020 + n % 5, 3, 1),
                "total_investment": Decimal(n * 1000),
                "investor": "esco",
                "ecms": [],
            }
            for n in range(1000)
        ],
    )
    db_session.flush()
    ids = db_session.scalars(
        select(EmcProject.id).where(EmcProject.name.like("列表项目%")).order_by(EmcProject.name)
    ).all()
    db_session.execute(
        insert(Contract),
        [
            {"project_id": pid, "contract_type": ContractType.GUARANTEED_SAVINGS, "terms": {}}
            for pid in ids[:10]
        ],
    )
    db_session.flush()
    return ids


def test_projects_list_pages_cover_every_project_once(login_as, thousand):
    c = login_as("admin@school.demo")
    first = c.get("/projects?q=列表项目").get_data(as_text=True)
    assert total(first) == 1000
    assert first.count('data-testid="row"') == 50 and 'data-testid="pager-next"' in first
    seen = walk(c, "/projects?q=列表项目&sort=investment&dir=desc", ROW)
    assert len(seen) == 1000 and set(map(int, seen)) == set(thousand)


def test_projects_filter_by_status_year_type_and_text(login_as, thousand):
    c = login_as("admin@school.demo")
    assert total(c.get("/projects?q=列表项目&status=operating").get_data(as_text=True)) == 500
    assert total(c.get("/projects?q=列表项目&year=2021").get_data(as_text=True)) == 200
    assert total(c.get("/projects?type=guaranteed_savings&q=列表").get_data(as_text=True)) == 10
    assert total(c.get("/projects?q=项目0999").get_data(as_text=True)) == 1
    # a value the page does not offer is ignored, not an error
    assert c.get("/projects?status=bogus&year=abc&sort=x&page=-3").status_code == 200


def test_projects_sort_by_investment_both_ways(login_as, thousand):
    c = login_as("admin@school.demo")
    up = c.get("/projects?q=列表项目&sort=investment").get_data(as_text=True)
    down = c.get("/projects?q=列表项目&sort=investment&dir=desc").get_data(as_text=True)
    assert up.index("列表项目0000") < up.index("列表项目0001")
    assert "列表项目0999" in down and "列表项目0000" not in down
    assert 'aria-sort="descending"' in down


def test_another_institution_sees_none_of_them(login_as, thousand):
    page = login_as("admin@hospital.demo").get("/projects?q=列表项目").get_data(as_text=True)
    assert total(page) == 0

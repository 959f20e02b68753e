"""The audits, organisations and users lists over 1,000 rows: paginated, filtered and sorted,
with the count shown; every row on exactly one page; scoping unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from emc.audit.models import AuditStatus, EnergyAudit
from emc.auth.models import Organization, OrgKind, Role, User

from .conftest import total, walk


@pytest.fixture
def school(db_session):
    return db_session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))


@pytest.fixture
def audits(db_session, school):
    auditor = db_session.scalar(select(Organization).where(Organization.kind == OrgKind.AUDITOR))
    statuses = [AuditStatus.DRAFT, AuditStatus.ACCEPTED]
    db_session.execute(
        insert(EnergyAudit),
        [
            {
                "organization_id": school.id,
                "auditor_organization_id": auditor.id,
                "title": f"列表审计{n:04d}",
                "level": 1 + n % 3,
                "period_start": dt.date(2018 + n % 4, 1, 1),
                "period_end": dt.date(2019 + n % 4, 1, 1),
                "region_code": school.region_code,
                "status": statuses[n % 2],
                "version": 1,
                "factor_snapshot": {},
            }
            for n in range(1000)
        ],
    )
    db_session.flush()


@pytest.fixture
def orgs_and_users(db_session, school):
    db_session.execute(
        insert(Organization),
        [
            {
                "kind": OrgKind.INSTITUTION if n % 2 else OrgKind.ESCO,
                "name_zh": f"列表机构{n:04d}",
                "region_code": school.region_code,
                "is_active": n % 10 != 0,
            }
            for n in range(1000)
        ],
    )
    db_session.execute(
        insert(User),
        [
            {
                "email": f"list{n:04d}@school.demo",
                "display_name": f"列表用户{n:04d}",
                "password_hash": "x",
                "organization_id": school.id,
                "role": Role.VIEWER if n % 2 else Role.FINANCE,
                "locale": "zh_CN",
                "is_active": n % 4 != 0,
            }
            for n in range(1000)
        ],
    )
    db_session.flush()


def test_audits_list_paginates_filters_and_sorts(login_as, audits):
    c = login_as("admin@school.demo")
    first = c.get("/audits?q=列表审计").get_data(as_text=True)
    assert total(first) == 1000 and first.count('data-testid="row"') == 50
    seen = walk(c, "/audits?q=列表审计&sort=title", r'">(列表审计\d{4})</a>')
    assert len(seen) == 1000 and len(set(seen)) == 1000 and seen == sorted(seen)
    assert total(c.get("/audits?q=列表审计&status=accepted").get_data(as_text=True)) == 500
    assert total(c.get("/audits?q=列表审计&year=2019").get_data(as_text=True)) == 250
    assert total(c.get("/audits?q=列表审计&type=2").get_data(as_text=True)) == 333
    assert total(login_as("admin@hospital.demo").get("/audits?q=列表").get_data(as_text=True)) == 0


def test_organisations_list_paginates_filters_and_sorts(login_as, orgs_and_users):
    c = login_as("admin@platform.demo")
    seen = walk(c, "/admin/organizations?q=列表机构&sort=name&dir=desc", r'">(列表机构\d{4})</a>')
    assert len(seen) == 1000 and seen == sorted(seen, reverse=True)
    assert total(c.get("/admin/organizations?q=列表机构&type=esco").get_data(as_text=True)) == 500
    page = c.get("/admin/organizations?q=列表机构&status=inactive").get_data(as_text=True)
    assert total(page) == 100


def test_users_list_paginates_filters_and_sorts(login_as, orgs_and_users):
    for email in ("admin@platform.demo", "admin@school.demo"):
        c = login_as(email)
        seen = walk(c, "/admin/users?q=列表用户&sort=email", r'">(列表用户\d{4})</a>')
        assert len(seen) == 1000 and seen == sorted(seen)
        assert total(c.get("/admin/users?q=列表用户&type=finance").get_data(as_text=True)) == 500
        assert total(c.get("/admin/users?q=列表用户&status=active").get_data(as_text=True)) == 750
        assert "杭州市第一中学" in c.get("/admin/users?q=list0001").get_data(as_text=True)
    empty = login_as("admin@hospital.demo").get("/admin/users?q=列表").get_data(as_text=True)
    assert total(empty) == 0
    assert "没有符合条件的用户。" in empty  # an empty search says so


def test_sites_list_paginates_searches_and_sorts(login_as, db_session, school):
    from emc.facilities.models import Site

    db_session.execute(
        insert(Site),
        [
            {
                "organization_id": school.id,
                "name": f"列表场所{n:04d}",
                "region_code": school.region_code,
                "timezone": "Asia/Shanghai",
            }
            for n in range(1000)
        ],
    )
    db_session.flush()
    c = login_as("energy@school.demo")
    seen = walk(c, "/sites?q=列表场所&sort=name&dir=desc", r'">(列表场所\d{4})</a>')
    assert len(seen) == 1000 and seen == sorted(seen, reverse=True)
    assert total(c.get("/sites?q=场所0007").get_data(as_text=True)) == 1
    assert total(login_as("energy@hospital.demo").get("/sites?q=列表").get_data(as_text=True)) == 0

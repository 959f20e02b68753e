"""The programme's targets list is paged like every other list (emc.paging, the pager macro) and
names its regions (issue 15)."""

from __future__ import annotations

from sqlalchemy import insert, select

from emc.auth.models import Organization, OrgKind
from emc.programme.models import Metric, ProgrammeTarget

from .conftest import total, walk


def test_a_long_targets_list_is_paged_and_shows_region_names(login_as, db_session):
    national = db_session.scalar(
        select(Organization).where(
            Organization.kind == OrgKind.AGENCY, Organization.region_code == "000000"
        )
    )
    db_session.execute(
        insert(ProgrammeTarget),
        [
            {
                "region_code": "330100",
                "metric": Metric.PROJECTS,
                "start_year": 1900 + n,
                "end_year": 1900 + n,
                "project_count": 1000 + n,
                "set_by_organization_id": national.id,
            }
            for n in range(70)
        ],
    )
    db_session.flush()
    client = login_as("officer@national.demo")
    first = client.get("/programme/targets").get_data(as_text=True)
    assert total(first) >= 70 and 'data-testid="pager"' in first
    assert "杭州市" in first and ">330100<" not in first
    counts = walk(client, "/programme/targets", r'<td class="num">(1\d{3})</td>')
    assert sorted(counts) == [str(1000 + n) for n in range(70)]

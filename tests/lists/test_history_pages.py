"""A journal history of 1,000 entries on an object's page is paged, newest first."""

from __future__ import annotations

import re

from sqlalchemy import insert, select

from emc import clock
from emc.auth.models import Organization
from emc.journal import JournalEntry


def test_long_history_is_paged_newest_first(login_as, db_session):
    school = db_session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    now = clock.now()
    db_session.execute(
        insert(JournalEntry),
        [
            {
                "at": now,
                "object_type": "organizations",
                "object_id": str(school.id),
                "action": "update",
                "actor_label": "系统",
                # The history shows what changed, by field (the summary is internal text).
                "after": {"name_zh": f"历史{n:04d}"},
            }
            for n in range(1000)
        ],
    )
    db_session.flush()
    c = login_as("admin@platform.demo")
    url = f"/admin/organizations/{school.id}"
    latest = c.get(url).get_data(as_text=True)
    shown = re.findall(r"历史(\d{4})", latest)
    assert len(shown) == 50 and shown[0] == "0999" and 'data-param="history_page"' in latest
    seen = []
    for n in range(1, 22):
        seen += re.findall(r"历史(\d{4})", c.get(f"{url}?history_page={n}").get_data(as_text=True))
    assert sorted(seen) == [f"{n:04d}" for n in range(1000)]

"""The M&V page of a project with 1,000 reports: the reports list is paged, filtered by status
and period year, with the count shown; every report on exactly one page."""

from __future__ import annotations

import datetime as dt
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert

from emc.mv.models import MvReport, ReportStatus
from emc.mv.service import baselines

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mv"))
from test_mv_support import make_project  # noqa: E402

from .conftest import total  # noqa: E402


@pytest.fixture
def mv_reports(db_session):
    mv = make_project(db_session, months=1)
    baseline = baselines.propose_baseline(db_session, mv["engineer"], mv["project"])
    db_session.execute(
        insert(MvReport),
        [
            {
                "project_id": mv["project"],
                "baseline_id": baseline.id,
                "period_start": dt.date(2000 + n // 12, 1 + n % 12, 1),
                "period_end": dt.date(2000 + n // 12, 1 + n % 12, 28),
                "version": 1,
                "status": ReportStatus.ACCEPTED if n % 4 == 0 else ReportStatus.DRAFT,
                "savings_value": Decimal(n),
                "tce_avoided": Decimal("1.0"),
                "tco2_avoided": Decimal("2.0"),
                "inputs_sha256": "0" * 64,
            }
            for n in range(1000)
        ],
    )
    db_session.flush()
    return mv["project"]


def test_mv_reports_are_paged_and_filtered(login_as, mv_reports):
    c = login_as("energy@school.demo")
    url = f"/projects/{mv_reports}/mv"
    first = c.get(url).get_data(as_text=True)
    assert total(first) == 1000 and first.count('data-testid="report-row"') == 24
    seen = []
    for n in range(1, 43):
        page = c.get(f"{url}?page={n}").get_data(as_text=True)
        seen += re.findall(r'/mv/reports/(\d+)"', page)
    assert len(seen) == 1000 and len(set(seen)) == 1000
    assert total(c.get(f"{url}?status=accepted").get_data(as_text=True)) == 250
    assert total(c.get(f"{url}?year=2001").get_data(as_text=True)) == 12

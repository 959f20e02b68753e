"""The full demo (``emc demo``): an approved baseline and a year of accepted monthly reports."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from emc.cli import cli
from emc.contracts.finance.lines import LineSource
from emc.contracts.models import EmcProject, PaymentLine
from emc.mv import data
from emc.mv.models import Baseline, BaselineStatus, MvReport, ReportStatus
from emc.mv.service.demo import PROJECT_NAME


def test_full_demo_has_a_year_of_accepted_monthly_reports(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    monkeypatch.setenv("EMC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("EMC_DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            project = session.scalar(select(EmcProject).where(EmcProject.name == PROJECT_NAME))
            baselines = session.scalars(
                select(Baseline).where(Baseline.project_id == project.id)
            ).all()
            assert [b.status for b in baselines] == [BaselineStatus.APPROVED]
            reports = session.scalars(
                select(MvReport)
                .where(MvReport.project_id == project.id)
                .order_by(MvReport.period_start)
            ).all()
            # Each accepted month fed the contract's actual payment lines.
            actual_months = set(
                session.scalars(
                    select(PaymentLine.period_start).where(
                        PaymentLine.project_id == project.id,
                        PaymentLine.source == LineSource.ACTUAL,
                    )
                )
            )
    finally:
        engine.dispose()
    accepted = [r for r in reports if r.status is ReportStatus.ACCEPTED]
    months = [data.add_months(dt.date(2024, 1, 1), k) for k in range(12)]
    assert [(r.period_start, r.period_end) for r in accepted] == [
        (m, data.add_months(m, 1)) for m in months
    ]
    assert all(r.savings_value > 0 and r.accepted_on is not None for r in accepted)
    assert actual_months == set(months)
    # Accepted by the institution after the ESCO submitted: both actors are recorded.
    assert all(r.submitted_by_user_id and r.decided_by_user_id for r in accepted)
    assert all(r.submitted_by_user_id != r.decided_by_user_id for r in accepted)
    # December's rolling view is the first complete twelve-month window.
    december = accepted[-1].rolling[0]
    assert december["complete"] and december["months_known"] == 12
    assert december["value"] == str(sum(r.savings_value for r in accepted))
    # The next month is submitted and awaits the institution.
    assert [(r.period_start, r.status) for r in reports[12:]] == [
        (dt.date(2025, 1, 1), ReportStatus.SUBMITTED)
    ]

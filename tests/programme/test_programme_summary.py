"""The dashboard's summary table (``programme_summaries``) stays exact through every kind of write.

After each write — a project created, signed, amended, terminated; its contract's type changed;
its institution moved to another region; an M&V report accepted and re-issued; a bulk delete —
three things must agree: the incrementally kept table, a full rebuild from the live tables, and
the figures computed here in Python from the ORM rows with the pure counting rule
(:func:`emc.programme.stats.count_decision`) that the dashboard shows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from signing_support import sign_by_esco
from sqlalchemy import delete, select

from emc.auth import service as auth_service
from emc.auth.models import Organization, OrgKind, Region
from emc.contracts import service as contracts
from emc.contracts.finance import ContractType
from emc.contracts.models import Contract, EmcProject, Investor, ProjectStatus
from emc.mv.models import MvReport, ReportStatus
from emc.programme import service, stats, summary
from emc.programme.models import ProgrammeSummary
from tests.programme.test_programme_service import (
    OFFICE,
    SCHOOL,
    _report,
    actor_for,
    make_project,
    org_id,
)

WINDOW = {"start_year": 2021, "end_year": 2025}
AS_OF = dt.date(2025, 6, 30)


def _key(row: dict) -> tuple:
    return summary._order(row)


def _normal(rows) -> list[tuple]:
    """Rows compared by value (Decimal('0') == Decimal('0.00'); the enum as its value)."""
    return sorted(
        (
            *_key(r),
            int(r["projects"]),
            Decimal(r["investment"]),
            Decimal(r["tce"]),
            Decimal(r["tco2"]),
            Decimal(r["cny"]),
        )
        for r in rows
    )


def expected_board(session, prefix: str = "") -> dict:
    """What the dashboard must show for the institutions whose code starts with ``prefix``,
    computed row by row in Python with the pure counting rule."""
    orgs = {
        o.id: o
        for o in session.scalars(
            select(Organization).where(Organization.kind == OrgKind.INSTITUTION)
        )
        if o.region_code.startswith(prefix)
    }
    contract_types = dict(
        session.execute(select(Contract.project_id, Contract.contract_type)).all()
    )
    counted, statuses, types, invested = 0, Counter(), Counter(), defaultdict(Decimal)
    terminated_early = 0
    for p in session.scalars(select(EmcProject)):
        if p.organization_id not in orgs:
            continue
        statuses[str(p.status)] += 1
        decision = stats.count_decision(str(p.status), p.signed_on, p.operation_start_on)
        if decision.reason is stats.CountReason.TERMINATED_BEFORE_OPERATION:
            terminated_early += 1
        if decision.counted and WINDOW["start_year"] <= decision.year <= WINDOW["end_year"]:
            counted += 1
            ctype = contract_types.get(p.id)
            types[str(ctype) if ctype else "none"] += 1
            invested[str(p.investor)] += p.total_investment or Decimal(0)
    latest: dict[tuple, MvReport] = {}
    for r in session.scalars(select(MvReport).where(MvReport.status == ReportStatus.ACCEPTED)):
        project = session.get(EmcProject, r.project_id)
        if project.organization_id not in orgs:
            continue
        key = (r.project_id, r.period_start)
        if key not in latest or latest[key].version < r.version:
            latest[key] = r
    return {
        "counted": counted,
        "statuses": dict(statuses),
        "types": dict(types),
        "terminated_early": terminated_early,
        "investment": sum(invested.values(), Decimal(0)),
        "tce": sum((r.tce_avoided for r in latest.values()), Decimal(0)),
        "reports": len(latest),
    }


def shown(session, email: str = "officer@national.demo") -> dict:
    d = service.dashboard(session, actor_for(session, email), as_of=AS_OF, **WINDOW)
    return {
        "counted": d.progress["counted"],
        "statuses": {s["key"]: s["listed"] for s in d.by_status},
        "types": {t["key"]: t["counted"] for t in d.by_type},
        "terminated_early": d.progress["terminated_before_operation"],
        "investment": d.investment["total"],
        "tce": d.savings["tce"],
        "reports": d.savings["reports"],
    }


def check(session) -> dict:
    """The three agree; returns the national figures for the test's own expectations."""
    session.flush()
    kept = _normal(summary.stored(session))
    assert kept == _normal(summary.compute(session)), "incremental summary != rebuild"
    for email, prefix in (
        ("officer@national.demo", ""),
        ("officer@zhejiang.demo", "33"),
        ("officer@hangzhou.demo", "3301"),
        ("officer@ningbo.demo", "3302"),
    ):
        assert shown(session, email) == expected_board(session, prefix), email
    return shown(session)


def test_every_kind_of_write_keeps_the_summary_exact(db_session):
    energy = actor_for(db_session, "energy@school.demo")
    esco = db_session.scalar(select(Organization.id).where(Organization.kind == OrgKind.ESCO))
    start = check(db_session)

    # Created (a draft: listed, not counted).
    project = contracts.create_project(
        db_session,
        energy,
        name="汇总测试项目",
        esco_organization_id=esco,
        investor=Investor.ESCO,
        total_investment=Decimal("2500000.00"),
    )
    after = check(db_session)
    assert after["counted"] == start["counted"]
    assert sum(after["statuses"].values()) == sum(start["statuses"].values()) + 1

    # Signed: terms set, proposed, contracted with a signing date.
    from emc.contracts.models import terms_to_document
    from emc.mv.service.demo import demo_terms

    contracts.set_contract_terms(
        db_session, energy, project.id, terms=terms_to_document(demo_terms())
    )
    contracts.update_project(db_session, energy, project.id, status=ProjectStatus.PROPOSED)
    contracts.update_project(
        db_session,
        energy,
        project.id,
        status=ProjectStatus.CONTRACTED,
        signed_on=dt.date(2024, 7, 1),
    )
    sign_by_esco(db_session, project.id)
    after = check(db_session)
    assert after["counted"] == start["counted"] + 1
    assert after["investment"] == start["investment"] + Decimal("2500000.00")

    # Amended (both parties agree): another signing date (out of the window), investment and
    # contract type.
    def amend(**changes):
        amendment = contracts.propose_project_amendment(
            db_session, energy, project.id, reason="更正", **changes
        )
        for email in ("admin@school.demo", "admin@esco.demo"):
            contracts.agree_amendment(
                db_session, actor_for(db_session, email), project.id, amendment.id
            )

    amend(signed_on=dt.date(2020, 12, 1), total_investment=None)
    assert check(db_session)["counted"] == start["counted"]
    amend(signed_on=dt.date(2025, 1, 2))
    contract = db_session.scalar(select(Contract).where(Contract.project_id == project.id))
    contract.contract_type = ContractType.ENERGY_COST_CUSTODY
    after = check(db_session)
    assert after["types"].get("energy_cost_custody", 0) >= 1

    # Terminated before operation: listed, not counted.
    contracts.update_project(
        db_session,
        energy,
        project.id,
        status=ProjectStatus.TERMINATED,
        termination_reason="测试终止",
    )
    after = check(db_session)
    assert after["counted"] == start["counted"]
    assert after["terminated_early"] == start["terminated_early"] + 1

    # The institution moves from Hangzhou to Ningbo (platform admin, the auth service).
    hangzhou_before = shown(db_session, "officer@hangzhou.demo")
    auth_service.update_organization(
        db_session,
        actor_for(db_session, "admin@platform.demo"),
        org_id(db_session, SCHOOL),
        region_code="330200",
    )
    check(db_session)
    assert shown(db_session, "officer@hangzhou.demo")["counted"] == 0
    assert hangzhou_before["counted"] > 0

    # M&V reports: accepted, re-issued as an accepted version 2, a submitted one ignored.
    signed = make_project(db_session, OFFICE, signed_on=dt.date(2022, 2, 2))
    _report(db_session, signed, 1, ReportStatus.ACCEPTED, "10")
    check(db_session)
    _report(db_session, signed, 2, ReportStatus.ACCEPTED, "12")
    _report(db_session, signed, 3, ReportStatus.SUBMITTED, "99")
    after = check(db_session)
    assert after["tce"] == start["tce"] + Decimal("12")
    submitted = db_session.scalar(
        select(MvReport).where(MvReport.project_id == signed.id, MvReport.version == 3)
    )
    submitted.status = ReportStatus.ACCEPTED
    submitted.accepted_on = dt.date(2024, 5, 1)
    assert check(db_session)["tce"] == start["tce"] + Decimal("99")

    # Deleted one by one (expired first, as after a commit), and in bulk (an ORM bulk
    # statement is followed by a rebuild).
    db_session.expire_all()
    db_session.delete(db_session.get(MvReport, submitted.id))
    check(db_session)
    db_session.expire_all()
    db_session.delete(signed)
    check(db_session)
    db_session.execute(delete(EmcProject))
    after = check(db_session)
    assert after["counted"] == 0 and after["statuses"] == {}


def test_rebuild_is_idempotent_and_repairs_the_table(db_session):
    rows = _normal(summary.stored(db_session))
    assert summary.rebuild(db_session)["rows"] == len(rows)
    assert _normal(summary.stored(db_session)) == rows
    # A damaged table (a row lost, another invented) is put right by the rebuild.
    first = db_session.scalars(select(ProgrammeSummary)).first()
    if first is not None:
        db_session.delete(first)
    db_session.add(
        ProgrammeSummary(
            region_code="110100", dimension="month", key="", year=2023, month=1, projects=7
        )
    )
    db_session.flush()
    assert _normal(summary.stored(db_session)) != rows
    summary.rebuild(db_session)
    assert _normal(summary.stored(db_session)) == rows


def test_the_nightly_snapshot_rebuilds_the_summary(db_session):
    db_session.add(
        ProgrammeSummary(
            region_code="110100", dimension="month", key="", year=2023, month=1, projects=7
        )
    )
    db_session.flush()
    service.take_snapshot(db_session, AS_OF)
    assert _normal(summary.stored(db_session)) == _normal(summary.compute(db_session))


def test_list_pages_follow_the_order_across_signed_and_unsigned(db_session):
    db_session.execute(delete(EmcProject))
    for i, signed in enumerate(
        [dt.date(2023, 5, 1), None, dt.date(2024, 1, 1), dt.date(2023, 5, 1), None, None]
    ):
        make_project(
            db_session,
            SCHOOL if i % 2 else OFFICE,
            signed_on=signed,
            status=ProjectStatus.CONTRACTED if signed else ProjectStatus.DRAFT,
            name=f"P{i}",
        )
    national = actor_for(db_session, "officer@national.demo")
    projects = db_session.scalars(select(EmcProject)).all()
    expected = [
        p.id
        for p in sorted(
            projects,
            key=lambda p: (p.signed_on is None, -(p.signed_on or dt.date.min).toordinal(), -p.id),
        )
    ]
    for per_page in (1, 2, 4, 50):
        seen, page = [], 1
        while True:
            result = service.project_page(db_session, national, page=page, per_page=per_page)
            assert result["total"] == len(projects)
            if not result["items"]:
                break
            seen += [item["id"] for item in result["items"]]
            page += 1
        assert seen == expected, per_page
    filtered = service.project_page(db_session, national, status=ProjectStatus.DRAFT, per_page=2)
    assert filtered["total"] == 3
    assert [i["id"] for i in filtered["items"]] == [p for p in expected if p in expected[3:]][:2]


def test_the_cli_rebuilds_after_a_load_that_bypassed_the_session(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from sqlalchemy import insert

    from emc.cli import cli
    from emc.db import make_engine

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("EMC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("EMC_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], catch_exceptions=False).exit_code == 0
    engine = make_engine(url)
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:  # bare-table inserts: no session, no events
        if conn.scalar(select(Region.code).where(Region.code == "330100")) is None:
            conn.execute(
                insert(Region.__table__),
                [{"code": "330100", "name_zh": "杭州市", "name_en": None, "level": "city"}],
            )
        conn.execute(
            insert(Organization.__table__),
            [
                {
                    "id": 1,
                    "kind": "institution",
                    "name_zh": "载入机构",
                    "region_code": "330100",
                    "sector": "school",
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        conn.execute(
            insert(EmcProject.__table__),
            [
                {
                    "id": 1,
                    "organization_id": 1,
                    "name": "载入项目",
                    "status": "operating",
                    "signed_on": dt.date(2023, 6, 1),
                    "operation_start_on": dt.date(2023, 9, 1),
                    "investor": "esco",
                    "total_investment": Decimal("10.00"),
                    "ecms": [],
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
    result = runner.invoke(cli, ["programme", "rebuild-summary"], catch_exceptions=False)
    assert result.exit_code == 0 and "1 regions" in result.output
    with engine.connect() as conn:
        rows = conn.execute(select(ProgrammeSummary.dimension, ProgrammeSummary.projects)).all()
    engine.dispose()
    assert ("month", 1) in [(str(d), n) for d, n in rows]

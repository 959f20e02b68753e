"""Exactly one winner under concurrency, for every transition kind (DESIGN.md §8).

Each test fires 20 concurrent requests at one object: threads with their own database
connection and session, real commits, on a dedicated committed database (a migrated SQLite file,
and a separate PostgreSQL database when EMC_TEST_DATABASE_URL is set) built with the demo data
and the demo contracts. Every thread reads the object's version first, then all go at once.
Exactly one request wins; the 19 others are refused with a 409 (the version they saw is stale,
or they lost the race for the row); the journal has exactly one entry for the transition, and
side effects (payment lines of an accepted report, the new version of a revised audit, an
amendment's changes) happen once, for the winner only.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from emc import demo, migrate
from emc.audit import service as audits
from emc.audit.models import AuditStatus, EnergyAudit
from emc.config import normalise_database_url
from emc.contracts import service as contracts
from emc.contracts.demo import build_demo_contracts
from emc.contracts.models import (
    AmendmentStatus,
    Contract,
    CustodyFeeAdjustment,
    EmcProject,
    LineStatus,
    PaymentLine,
    ProjectStatus,
)
from emc.db import make_engine, make_session_factory, read_only_transactions, unit_of_work
from emc.demo import actor_for
from emc.errors import EmcError
from emc.journal import JournalEntry
from emc.mv.models import Baseline, MvPlan, MvReport, ReportStatus
from emc.mv.service import baselines, plans, reports
from emc.mv.service.demo import import_month_of_use
from emc.notifications.models import Notification
from tests.databases import drop_postgres, postgres_database

N = 20
PG_URL = os.environ.get("EMC_TEST_DATABASE_URL")
KINDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=KINDS)
def factory(request, tmp_path_factory):
    """A session factory on a committed database with the demo data and contracts."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('race') / 'race.sqlite3'}"
    else:
        url = postgres_database(normalise_database_url(PG_URL), "race")
    # One connection per concurrent request.
    engine_kw = {"pool_size": N + 5, "max_overflow": 5}
    migrate.upgrade(url)
    engine = make_engine(url, **engine_kw)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        demo.build(session)
        build_demo_contracts(session)
    yield factory
    engine.dispose()
    if request.param != "sqlite":
        drop_postgres(normalise_database_url(PG_URL), url)


def race(factory, steps: list[tuple[str, Callable]]) -> list:
    """Run each (user e-mail, step(session, actor)) in its own thread and session at once;
    the outcome of each: "won" (committed), the refusal's HTTP status, or "locked"."""
    barrier = threading.Barrier(len(steps))
    outcomes: list = [None] * len(steps)

    def worker(i: int, email: str, step: Callable) -> None:
        session = factory()
        try:
            # The request's first read, then the decision in a transaction of its own. On SQLite
            # a writing transaction takes the write lock at its first statement (BEGIN
            # IMMEDIATE), so the read must not hold it while the racers gather at the barrier.
            with read_only_transactions():
                actor = actor_for(session, email)
                session.commit()
            barrier.wait(timeout=60)
            step(session, actor)
            session.commit()
            outcomes[i] = "won"
        except EmcError as error:
            session.rollback()
            outcomes[i] = error.status
        except OperationalError:
            session.rollback()
            outcomes[i] = "locked"
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            session.rollback()
            outcomes[i] = repr(error)
        finally:
            session.close()

    threads = [
        threading.Thread(target=worker, args=(i, email, step))
        for i, (email, step) in enumerate(steps)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return outcomes


def one_winner(outcomes: list) -> None:
    assert outcomes.count("won") == 1, outcomes
    assert all(o == 409 for o in outcomes if o != "won"), outcomes


def journal_count(session, table: str, object_id: int, actions: tuple[str, ...]) -> int:
    return session.scalar(
        select(func.count())
        .select_from(JournalEntry)
        .where(
            JournalEntry.object_type == table,
            JournalEntry.object_id == str(object_id),
            JournalEntry.action.in_(actions),
        )
    )


def mv_project_id(session) -> int:
    return session.scalar(select(Baseline.project_id).order_by(Baseline.id).limit(1))


def test_approve_and_reject_racing_on_one_baseline_have_one_winner(factory):
    with unit_of_work(factory) as session:
        engineer = actor_for(session, "engineer@esco.demo")
        baseline = baselines.propose_baseline(
            session, engineer, mv_project_id(session), reason="并发测试"
        )
        bid, seen = baseline.id, baseline.row_version

    def approve(session, actor):
        baselines.approve_baseline(session, actor, bid, comment="同意", version=seen)

    def reject(session, actor):
        baselines.reject_baseline(session, actor, bid, comment="不同意", version=seen)

    outcomes = race(factory, [("energy@school.demo", approve), ("admin@school.demo", reject)] * 10)
    one_winner(outcomes)
    with factory() as session:
        assert journal_count(session, "baselines", bid, ("approve", "reject")) == 1
        status = session.get(Baseline, bid).status.value
        assert status in ("approved", "rejected")
        kinds = set(
            session.scalars(
                select(Notification.kind).where(
                    Notification.dedupe_key.like(f"wf:baseline:{bid}:%")
                )
            )
        )
        assert kinds - {"baseline_proposed"} == {f"baseline_{status}"}


def test_accept_and_dispute_racing_on_one_report_have_one_winner_and_lines_only_if_accepted(
    factory,
):
    with unit_of_work(factory) as session:
        engineer = actor_for(session, "engineer@esco.demo")
        pid = mv_project_id(session)
        last = session.scalar(
            select(func.max(MvReport.period_start)).where(MvReport.project_id == pid)
        )
        start = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
        end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        import_month_of_use(session, start)  # no verdict without data
        report = reports.draft_report(session, engineer, pid, period_start=start, period_end=end)
        report = reports.submit_report(session, engineer, report.id, version=report.row_version)
        rid, seen = report.id, report.row_version
        lines_before = session.scalar(
            select(func.count()).select_from(PaymentLine).where(PaymentLine.project_id == pid)
        )

    def accept(session, actor):
        reports.accept_report(session, actor, rid, comment="同意", version=seen)

    def dispute(session, actor):
        reports.dispute_report(session, actor, rid, comment="请核对", version=seen)

    outcomes = race(factory, [("energy@school.demo", accept), ("admin@school.demo", dispute)] * 10)
    one_winner(outcomes)
    with factory() as session:
        assert journal_count(session, "mv_reports", rid, ("accept", "dispute")) == 1
        status = session.get(MvReport, rid).status
        lines_after = session.scalar(
            select(func.count()).select_from(PaymentLine).where(PaymentLine.project_id == pid)
        )
        if status is ReportStatus.DISPUTED:
            # A disputed report never ends up accepted with payment lines.
            assert lines_after == lines_before
        else:
            assert status is ReportStatus.ACCEPTED and lines_after >= lines_before


def _project(session, name: str) -> EmcProject:
    return session.scalar(select(EmcProject).where(EmcProject.name.contains(name)))


def test_twenty_agreements_of_one_amendment_apply_it_once(factory):
    with unit_of_work(factory) as session:
        energy = actor_for(session, "energy@school.demo")
        admin = actor_for(session, "admin@school.demo")
        project = _project(session, "节能效益分享")
        amendment = contracts.propose_project_amendment(
            session,
            energy,
            project.id,
            reason="追加投资",
            total_investment=project.total_investment + Decimal("10000.00"),
            version=project.row_version,
        )
        amendment = contracts.agree_amendment(
            session, admin, project.id, amendment.id, version=amendment.row_version
        )
        pid, aid, seen = project.id, amendment.id, amendment.row_version
        expected = project.total_investment + Decimal("10000.00")

    def agree(session, actor):
        contracts.agree_amendment(session, actor, pid, aid, version=seen)

    one_winner(race(factory, [("admin@esco.demo", agree)] * N))
    with factory() as session:
        assert session.get(EmcProject, pid).total_investment == expected
        assert journal_count(session, "contract_amendments", aid, ("agree",)) == 2
        assert journal_count(session, "emc_projects", pid, ("amend",)) == 1


def test_twenty_agreements_of_one_custody_adjustment_apply_it_once(factory):
    with unit_of_work(factory) as session:
        energy = actor_for(session, "energy@school.demo")
        admin = actor_for(session, "admin@school.demo")
        project = _project(session, "能源费用托管")
        adjustment = contracts.propose_custody_adjustment(
            session,
            energy,
            project.id,
            kind="floor_area",
            reference="并发-1",
            effective_date=project.operation_start_on + dt.timedelta(days=200),
            new_floor_area_m2=Decimal("50000"),
            reason="扩建",
        )
        adjustment = contracts.agree_custody_adjustment(
            session, admin, project.id, adjustment.id, version=adjustment.version
        )
        pid, aid, seen = project.id, adjustment.id, adjustment.version

    def agree(session, actor):
        contracts.agree_custody_adjustment(session, actor, pid, aid, version=seen)

    one_winner(race(factory, [("admin@esco.demo", agree)] * N))
    with factory() as session:
        assert session.get(CustodyFeeAdjustment, aid).status is AmendmentStatus.AGREED
        assert journal_count(session, "custody_fee_adjustments", aid, ("agree",)) == 2


def test_audit_revision_and_review_races_have_one_winner(factory):
    with factory() as session:
        audit = session.scalar(
            select(EnergyAudit).where(EnergyAudit.status == AuditStatus.ACCEPTED).limit(1)
        )
        audit_id, seen = audit.id, audit.row_version

    def revise(session, actor):
        audits.revise_audit(session, actor, audit_id, reason="并发修订", version=seen)

    one_winner(race(factory, [("energy@school.demo", revise)] * N))
    with unit_of_work(factory) as session:
        copies = session.scalars(
            select(EnergyAudit).where(EnergyAudit.previous_audit_id == audit_id)
        ).all()
        assert len(copies) == 1
        assert journal_count(session, "energy_audits", audit_id, ("revise",)) == 1
        auditor = actor_for(session, "auditor@auditor.demo")
        submitted = audits.submit_audit(
            session, auditor, copies[0].id, version=copies[0].row_version
        )
        new_id, seen = submitted.id, submitted.row_version

    def accept(session, actor):
        audits.accept_audit(session, actor, new_id, version=seen)

    def give_back(session, actor):
        audits.return_audit(session, actor, new_id, comment="请补充", version=seen)

    outcomes = race(
        factory, [("energy@school.demo", accept), ("admin@school.demo", give_back)] * 10
    )
    one_winner(outcomes)
    with factory() as session:
        assert journal_count(session, "energy_audits", new_id, ("accept", "return")) == 1


def test_twenty_approvals_of_one_payment_line_approve_it_once(factory):
    with unit_of_work(factory) as session:
        finance = actor_for(session, "finance@school.demo")
        project = _project(session, "节能量保证")
        line = session.scalar(
            select(PaymentLine)
            .where(
                PaymentLine.project_id == project.id,
                PaymentLine.source == "actual",
                PaymentLine.status == LineStatus.SCHEDULED,
            )
            .order_by(PaymentLine.due_on)
            .limit(1)
        )
        line = contracts.prepare_line(session, finance, line.id, version=line.version)
        line_id, seen = line.id, line.version

    def approve(session, actor):
        contracts.approve_line(session, actor, line_id, version=seen)

    one_winner(race(factory, [("finance2@school.demo", approve)] * N))
    with factory() as session:
        assert session.get(PaymentLine, line_id).status is LineStatus.APPROVED
        assert journal_count(session, "payment_lines", line_id, ("approve",)) == 1


def test_signing_and_withdrawing_one_proposal_at_once_have_one_winner(factory):
    with unit_of_work(factory) as session:
        energy = actor_for(session, "energy@school.demo")
        model = _project(session, "节能效益分享")
        contract = session.scalar(select(Contract).where(Contract.project_id == model.id))
        project = contracts.create_project(
            session,
            energy,
            name="并发签约项目",
            esco_organization_id=model.esco_organization_id,
            investor="esco",
        )
        contracts.set_contract_terms(session, energy, project.id, terms=contract.terms)
        contracts.move_project(session, energy, project.id, "propose", version=None)
        project = contracts.sign_project(
            session, energy, project.id, signed_on=dt.date(2025, 1, 10)
        )
        pid, seen = project.id, project.row_version

    def sign(session, actor):
        contracts.sign_project(session, actor, pid, signed_on=dt.date(2025, 1, 12), version=seen)

    def withdraw(session, actor):
        contracts.move_project(session, actor, pid, "withdraw", version=seen)

    outcomes = race(factory, [("admin@esco.demo", sign), ("energy@school.demo", withdraw)] * 10)
    one_winner(outcomes)
    with factory() as session:
        project = session.get(EmcProject, pid)
        assert (
            journal_count(session, "emc_projects", pid, ("withdraw",))
            + (journal_count(session, "emc_projects", pid, ("sign",)) - 1)
            == 1
        )
        assert project.status in (ProjectStatus.CONTRACTED, ProjectStatus.DRAFT)
        if project.status is ProjectStatus.DRAFT:
            assert project.institution_signed_by_user_id is None


def test_twenty_changes_of_one_plan_version_make_one_new_version(factory):
    with unit_of_work(factory) as session:
        plan = session.scalar(select(MvPlan).order_by(MvPlan.id).limit(1))
        pid, seen = plan.project_id, plan.version
        fields = {
            "boundary": plan.boundary,
            "method": plan.method,
            "baseline_start": plan.baseline_start,
            "baseline_end": plan.baseline_end,
            "reporting_frequency": plan.reporting_frequency,
            "stipulated": plan.stipulated,
        }

    def change(session, actor):
        plans.put_plan(session, actor, pid, **fields, version=seen)

    one_winner(race(factory, [("engineer@esco.demo", change)] * N))
    with factory() as session:
        plan = session.scalar(select(MvPlan).where(MvPlan.project_id == pid))
        assert plan.version == seen + 1
        assert journal_count(session, "mv_plans", plan.id, ("change",)) == 1

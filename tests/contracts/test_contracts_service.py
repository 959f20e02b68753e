"""Contracts service: projects, terms, amendments, schedules and the payment workflow.

Also the factories the other ``test_contracts_*`` modules import: plain functions that go
through the services (so permissions and journal apply) and flush, never commit.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal as D

import pytest
from signing_support import sign_by_esco
from sqlalchemy import func, select, update

from emc import journal
from emc.auth.actor import Actor
from emc.auth.models import Organization, User
from emc.contracts import finance, service
from emc.contracts.models import (
    ContractAmendment,
    LineStatus,
    PaymentLine,
    ProjectStatus,
    terms_from_document,
    terms_to_document,
)
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.journal import JournalEntry

ESCO_NAME = "绿能节能服务有限公司"

# 节能量保证型, 3 years monthly: service fee 120,000 a year → 10,000.00 a month (actual lines).
GUARANTEED = finance.ContractTerms(
    contract_type=finance.ContractType.GUARANTEED_SAVINGS,
    term_years=3,
    start_date=date(2025, 1, 1),
    payment_frequency=finance.PaymentFrequency.MONTHLY,
    payment_due_days=30,
    discount_rate=D("0.05"),
    components=(
        finance.GuaranteedSavingsTerms(
            guarantees=(finance.EnergyQuantity("electricity", "kWh", D(600000)),),
            fees=(finance.FeeBand(1, 3, D(120000)),),
            excess_share=D("0.5"),
        ),
    ),
    prices=(finance.CarrierPrice("electricity", "kWh", D("0.80")),),
)
GUARANTEED_DOC = terms_to_document(GUARANTEED)
# 节能效益分享型, 5 years monthly, ESCO share 85 % then 60 %.
SHARED = finance.ContractTerms(
    contract_type=finance.ContractType.SHARED_SAVINGS,
    term_years=5,
    start_date=date(2024, 1, 1),
    payment_frequency=finance.PaymentFrequency.MONTHLY,
    payment_due_days=30,
    discount_rate=D("0.06"),
    components=(
        finance.SharedSavingsTerms(
            shares=(finance.ShareBand(1, 3, D("0.85")), finance.ShareBand(4, 5, D("0.60")))
        ),
    ),
    prices=(finance.CarrierPrice("electricity", "kWh", D("0.80"), D("0.03")),),
)
SHARED_DOC = terms_to_document(SHARED)
ESTIMATES = [{"carrier": "electricity", "unit": "kWh", "annual_quantity": "720000"}]


def actor_for(session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


def esco_id(session, name: str = ESCO_NAME) -> int:
    return session.scalar(select(Organization.id).where(Organization.name_zh == name))


def make_project(
    session,
    *,
    email: str = "energy@school.demo",
    esco: str = ESCO_NAME,
    terms: dict | None = None,
    estimates: list | None = None,
    sign: bool = True,
    generate: bool = True,
    name: str = "一中照明与空调节能改造",
):
    """A project of ``email``'s institution with terms, signed and scheduled unless told not."""
    energy = actor_for(session, email)
    project = service.create_project(
        session,
        energy,
        name=name,
        esco_organization_id=esco_id(session, esco),
        investor="esco",
        total_investment=D("1250000.00"),
    )
    service.set_contract_terms(
        session,
        energy,
        project.id,
        terms=copy.deepcopy(terms or GUARANTEED_DOC),
        savings_estimates=list(ESTIMATES if estimates is None else estimates),
    )
    if sign:
        service.update_project(session, energy, project.id, status=ProjectStatus.PROPOSED)
        service.update_project(
            session,
            energy,
            project.id,
            status=ProjectStatus.CONTRACTED,
            signed_on=date(2024, 12, 20),
        )
        sign_by_esco(session, project.id)
    if generate:
        service.regenerate_schedule(session, energy, project.id)
    return project


def actual_lines(session, project) -> list[PaymentLine]:
    return list(
        session.scalars(
            select(PaymentLine)
            .where(
                PaymentLine.project_id == project.id,
                PaymentLine.source == finance.LineSource.ACTUAL,
            )
            .order_by(PaymentLine.period_start)
        )
    )


def journal_count(session, action: str, line: PaymentLine) -> int:
    return session.scalar(
        select(func.count())
        .select_from(JournalEntry)
        .where(
            JournalEntry.object_type == "payment_lines",
            JournalEntry.object_id == str(line.id),
            JournalEntry.action == action,
        )
    )


# --- terms ---------------------------------------------------------------------------------


def test_terms_document_round_trips_every_contract_type():
    for terms in (GUARANTEED, SHARED):
        assert terms_from_document(terms_to_document(terms)) == terms


def test_contract_stores_terms_that_round_trip_to_the_finance_core(db_session):
    project = make_project(db_session, generate=False)
    contract = service.get_contract(
        db_session, actor_for(db_session, "viewer@school.demo"), project.id
    )
    assert contract.contract_type is finance.ContractType.GUARANTEED_SAVINGS
    assert terms_from_document(contract.terms) == GUARANTEED
    assert contract.version == 1


def test_bad_terms_name_the_field_inside_the_terms(db_session):
    energy = actor_for(db_session, "energy@school.demo")
    project = service.create_project(db_session, energy, name="p", investor="esco")
    doc = copy.deepcopy(GUARANTEED_DOC)
    doc["components"][0]["fees"][0]["annual_amount"] = "-5"
    with pytest.raises(Invalid) as error:
        service.set_contract_terms(db_session, energy, project.id, terms=doc)
    assert error.value.fields == {
        "terms.components[0].fees[0].annual_amount": ["must not be negative"]
    }
    with pytest.raises(Invalid) as error:
        service.set_contract_terms(
            db_session,
            energy,
            project.id,
            terms=GUARANTEED_DOC,
            savings_estimates=[{"carrier": "electricity", "unit": "MWh", "annual_quantity": "1"}],
        )
    assert list(error.value.fields) == ["savings_estimates[0].unit"]


def test_signed_terms_change_only_by_an_amendment_both_parties_agree(db_session):
    project = make_project(db_session, generate=False)
    energy = actor_for(db_session, "energy@school.demo")
    doc = copy.deepcopy(GUARANTEED_DOC)
    doc["components"][0]["fees"][0]["annual_amount"] = "132000"
    with pytest.raises(Invalid) as error:
        service.set_contract_terms(db_session, energy, project.id, terms=doc)
    assert "reason" in error.value.fields
    contract, amendment = service.set_contract_terms(
        db_session, energy, project.id, terms=doc, reason="新增照明回路"
    )
    assert amendment.number == 1 and contract.version == 1
    assert contract.terms == GUARANTEED_DOC  # not applied yet

    with pytest.raises(Forbidden):  # an energy manager is not a contracting party's admin
        service.agree_amendment(db_session, energy, project.id, amendment.id)
    service.agree_amendment(
        db_session, actor_for(db_session, "admin@school.demo"), project.id, amendment.id
    )
    assert contract.terms == GUARANTEED_DOC
    with pytest.raises(Conflict):
        service.agree_amendment(
            db_session, actor_for(db_session, "admin@school.demo"), project.id, amendment.id
        )
    service.agree_amendment(
        db_session, actor_for(db_session, "admin@esco.demo"), project.id, amendment.id
    )
    assert contract.terms["components"][0]["fees"][0]["annual_amount"] == "132000"
    assert contract.version == 2
    entry = journal.history(db_session, "contracts", contract.id)[-1]
    assert entry.action == "amend" and "新增照明回路" in entry.summary


def test_project_status_moves_along_the_graph_and_termination_needs_a_reason(db_session):
    project = make_project(db_session, generate=False)
    energy = actor_for(db_session, "energy@school.demo")
    with pytest.raises(Conflict):
        service.update_project(db_session, energy, project.id, status=ProjectStatus.COMPLETED)
    with pytest.raises(Invalid) as error:
        service.update_project(db_session, energy, project.id, status=ProjectStatus.TERMINATED)
    assert "termination_reason" in error.value.fields
    service.update_project(
        db_session,
        energy,
        project.id,
        status=ProjectStatus.TERMINATED,
        termination_reason="学校搬迁",
    )
    assert project.status is ProjectStatus.TERMINATED


# --- schedules -----------------------------------------------------------------------------


def test_regeneration_is_idempotent(db_session):
    project = make_project(db_session)
    energy = actor_for(db_session, "energy@school.demo")
    lines = actual_lines(db_session, project)
    assert len(lines) == 36 and {x.amount for x in lines} == {D("10000.00")}
    assert lines[0].due_on == date(2025, 3, 3)  # period end 1 Feb + 30 days
    before = {
        x.key: (x.amount, x.version, x.basis)
        for x in db_session.scalars(select(PaymentLine).where(PaymentLine.project_id == project.id))
    }
    report = service.regenerate_schedule(db_session, energy, project.id)
    assert report.as_dict() == {
        "created": 0,
        "updated": 0,
        "unchanged": len(before),
        "removed": 0,
        "conflicts": [],
    }
    after = {
        x.key: (x.amount, x.version, x.basis)
        for x in db_session.scalars(select(PaymentLine).where(PaymentLine.project_id == project.id))
    }
    assert after == before


def test_batch_regeneration_stores_what_the_finance_core_computes_for_each_project(db_session):
    shared = make_project(db_session, terms=SHARED_DOC, generate=False, name="一中批量甲")
    guaranteed = make_project(db_session, generate=False, name="一中批量乙")
    energy = actor_for(db_session, "energy@school.demo")
    reports = service.regenerate_schedules(db_session, energy, [shared.id, guaranteed.id])
    for project, doc in ((shared, SHARED_DOC), (guaranteed, GUARANTEED_DOC)):
        terms = terms_from_document(doc)
        estimates = (finance.SavingsEstimate("electricity", "kWh", D("720000")),)
        expected = finance.projected_schedule(terms, estimates) + finance.contractual_lines(terms)
        stored = {
            x.key: (x.amount, x.due_on, x.basis, x.status, x.version)
            for x in db_session.scalars(
                select(PaymentLine).where(PaymentLine.project_id == project.id)
            )
        }
        assert stored == {
            x.key: (x.amount, x.due_date, x.basis, LineStatus.SCHEDULED, 1) for x in expected
        }
        assert reports[project.id].created == len(expected) > 0
        entries = db_session.scalars(
            select(JournalEntry).where(
                JournalEntry.object_type == "emc_projects",
                JournalEntry.object_id == str(project.id),
                JournalEntry.action == "regenerate_schedule",
            )
        ).all()
        assert len(entries) == 1
    # A second pass changes nothing.
    again = service.regenerate_schedules(db_session, energy, [shared.id, guaranteed.id])
    assert all(r.created == r.updated == r.removed == 0 for r in again.values())


def test_batch_regeneration_of_an_invisible_project_is_404_and_writes_nothing(db_session):
    own = make_project(db_session, generate=False)
    other = make_project(db_session, email="energy@hospital.demo", generate=False)
    energy = actor_for(db_session, "energy@school.demo")
    with pytest.raises(NotFound):
        service.regenerate_schedules(db_session, energy, [own.id, other.id])
    count = select(func.count()).select_from(PaymentLine).where(PaymentLine.project_id == own.id)
    assert db_session.scalar(count) == 0
    finance_user = actor_for(db_session, "finance@school.demo")
    with pytest.raises(Forbidden):
        service.regenerate_schedules(db_session, finance_user, [own.id])


def test_regeneration_never_alters_approved_or_paid_lines_and_reports_them(db_session):
    project = make_project(db_session, sign=False)
    first = actual_lines(db_session, project)[0]
    service.prepare_line(
        db_session, actor_for(db_session, "finance@school.demo"), first.id, version=first.version
    )
    service.approve_line(
        db_session, actor_for(db_session, "finance2@school.demo"), first.id, version=first.version
    )
    energy = actor_for(db_session, "energy@school.demo")
    doc = copy.deepcopy(GUARANTEED_DOC)
    doc["components"][0]["fees"][0]["annual_amount"] = "132000"
    service.set_contract_terms(
        db_session, energy, project.id, terms=doc, savings_estimates=ESTIMATES
    )
    report = service.regenerate_schedule(db_session, energy, project.id)
    assert report.conflicts == [first.key]
    assert first.amount == D("10000.00") and first.status is LineStatus.APPROVED
    second = actual_lines(db_session, project)[1]
    assert second.amount == D("11000.00")


def test_actual_lines_from_an_accepted_mv_result_are_upserted_by_key(db_session):
    project = make_project(db_session, terms=SHARED_DOC)
    energy = actor_for(db_session, "energy@school.demo")
    assert actual_lines(db_session, project) == []  # shared savings: nothing fixed
    kwargs = dict(
        period_start=date(2025, 1, 1),
        period_end=date(2025, 2, 1),
        savings=[{"carrier": "electricity", "unit": "kWh", "quantity": D(120000)}],
        accepted_on=date(2025, 2, 10),
    )
    report = service.record_actual_savings(db_session, energy, project.id, **kwargs)
    assert report.created == 1
    (line,) = actual_lines(db_session, project)
    # Year 2: 0.80 × 1.03 = 0.824 ¥/kWh; 120,000 × 0.824 × 0.85 = 84,048.00, due 10 Feb + 30.
    assert line.amount == D("84048.00") and line.due_on == date(2025, 3, 12)
    again = service.record_actual_savings(db_session, energy, project.id, **kwargs)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    with pytest.raises(Invalid) as error:
        service.record_actual_savings(
            db_session, energy, project.id, **{**kwargs, "period_end": date(2024, 12, 1)}
        )
    assert list(error.value.fields) == ["period_end"]


def test_a_shared_savings_minimum_is_trued_up_once_the_year_is_accepted(db_session):
    """SHARED with an annual minimum of 100,000.00: year 1 (2024) 12 months of 10,000 kWh at
    0.80 ¥/kWh × 85 % = 6,800.00 a month, 81,600.00 on account; the year-end line has the
    institution pay 100,000 − 81,600 = 18,400.00. A re-issued December with 40,000 kWh
    (27,200.00) brings the year to 102,000.00: the true-up is withdrawn."""
    import dataclasses

    (component,) = SHARED.components
    bounded = dataclasses.replace(
        SHARED, components=(dataclasses.replace(component, annual_minimum=D("100000.00")),)
    )
    project = make_project(db_session, terms=terms_to_document(bounded))
    energy = actor_for(db_session, "energy@school.demo")

    def month(k, kwh):
        start = finance.add_months(date(2024, 1, 1), k)
        return service.record_actual_savings(
            db_session,
            energy,
            project.id,
            period_start=start,
            period_end=finance.add_months(start, 1),
            savings=[{"carrier": "electricity", "unit": "kWh", "quantity": D(kwh)}],
            accepted_on=finance.add_months(start, 1),
        )

    for k in range(11):
        month(k, 10000)
    kinds = [line.kind for line in actual_lines(db_session, project)]
    assert finance.LineKind.SHARE_RECONCILIATION not in kinds
    month(11, 10000)
    (true_up,) = [
        line
        for line in actual_lines(db_session, project)
        if line.kind is finance.LineKind.SHARE_RECONCILIATION
    ]
    assert (true_up.payer, true_up.amount) == (finance.Party.INSTITUTION, D("18400.00"))
    month(11, 40000)
    assert finance.LineKind.SHARE_RECONCILIATION not in [
        line.kind for line in actual_lines(db_session, project)
    ]


# --- the payment workflow ------------------------------------------------------------------


def test_the_preparer_may_not_approve_the_same_line(db_session):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    finance1 = actor_for(db_session, "finance@school.demo")
    service.prepare_line(db_session, finance1, line.id, version=1)
    assert line.prepared_by_user_id == finance1.user_id and line.version == 2
    with pytest.raises(Forbidden, match="separation of duties"):
        service.approve_line(db_session, finance1, line.id, version=2)
    assert line.status is LineStatus.PREPARED
    finance2 = actor_for(db_session, "finance2@school.demo")
    service.approve_line(db_session, finance2, line.id, version=2)
    assert line.status is LineStatus.APPROVED and line.approved_by_user_id == finance2.user_id


def test_a_stale_version_is_a_conflict_and_the_line_is_approved_once(db_session):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    service.prepare_line(
        db_session, actor_for(db_session, "finance@school.demo"), line.id, version=1
    )
    finance2 = actor_for(db_session, "finance2@school.demo")
    service.approve_line(db_session, finance2, line.id, version=2)
    with pytest.raises(Conflict) as error:
        service.approve_line(db_session, finance2, line.id, version=2)
    assert error.value.message_code == "workflow.stale"
    assert error.value.params["seen"] == 2 and error.value.params["version"] == 3
    assert error.value.fields == {"version": ["stale: the current version is 3"]}
    assert journal_count(db_session, "approve", line) == 1


def test_a_concurrent_change_makes_the_conditional_update_miss(db_session):
    """Two requests read version 2; the other one commits first. This one's UPDATE ... WHERE
    version = 2 matches nothing, so it is a conflict, not a second payment."""
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    service.prepare_line(
        db_session, actor_for(db_session, "finance@school.demo"), line.id, version=1
    )
    finance2 = actor_for(db_session, "finance2@school.demo")
    service.approve_line(db_session, finance2, line.id, version=2)
    db_session.execute(
        update(PaymentLine)
        .where(PaymentLine.id == line.id)
        .values(status=LineStatus.PAID, version=4, payment_reference="OTHER")
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(Conflict, match="someone else"):
        service.pay_line(
            db_session,
            finance2,
            line.id,
            version=3,
            paid_on=date(2025, 3, 1),
            payment_reference="BANK-1",
        )
    db_session.rollback()


def test_pay_hold_and_release(db_session):
    project = make_project(db_session)
    first, second = actual_lines(db_session, project)[:2]
    finance1 = actor_for(db_session, "finance@school.demo")
    finance2 = actor_for(db_session, "finance2@school.demo")
    service.prepare_line(db_session, finance1, first.id, version=1)
    service.approve_line(db_session, finance2, first.id, version=2)
    service.pay_line(
        db_session, finance1, first.id, version=3, paid_on=date(2025, 3, 1), payment_reference="B1"
    )
    assert (first.status, first.paid_on, first.payment_reference) == (
        LineStatus.PAID,
        date(2025, 3, 1),
        "B1",
    )
    with pytest.raises(Conflict):
        service.pay_line(
            db_session,
            finance1,
            first.id,
            version=4,
            paid_on=date(2025, 3, 2),
            payment_reference="B2",
        )
    assert journal_count(db_session, "pay", first) == 1

    service.prepare_line(db_session, finance1, second.id, version=1)
    service.approve_line(db_session, finance2, second.id, version=2)
    service.hold_line(db_session, finance1, second.id, version=3, reason="M&V 报告有争议")
    assert second.status is LineStatus.ON_HOLD and second.hold_reason == "M&V 报告有争议"
    service.release_line(db_session, finance1, second.id, version=4)
    # Released to prepared: the approval given before the hold is withdrawn.
    assert second.status is LineStatus.PREPARED and second.approved_by_user_id is None


def test_projected_lines_are_never_paid(db_session):
    project = make_project(db_session)
    projected = db_session.scalar(
        select(PaymentLine).where(
            PaymentLine.project_id == project.id,
            PaymentLine.source == finance.LineSource.PROJECTED,
        )
    )
    with pytest.raises(Conflict, match="forecast"):
        service.prepare_line(
            db_session, actor_for(db_session, "finance@school.demo"), projected.id, version=1
        )


def test_roles_without_the_permission_are_refused(db_session):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    for email in ("energy@school.demo", "viewer@school.demo", "admin@esco.demo"):
        with pytest.raises(Forbidden):
            service.prepare_line(db_session, actor_for(db_session, email), line.id, version=1)
    with pytest.raises(Forbidden):
        service.regenerate_schedule(
            db_session, actor_for(db_session, "finance@school.demo"), project.id
        )


# --- tenancy -------------------------------------------------------------------------------


def test_each_party_and_agency_sees_only_its_projects(db_session):
    project = make_project(db_session)
    visible = {
        email: project.id
        in {p.id for p in service.list_projects(db_session, actor_for(db_session, email))}
        for email in (
            "viewer@school.demo",
            "admin@esco.demo",
            "engineer@esco2.demo",
            "energy@hospital.demo",
            "officer@hangzhou.demo",
            "officer@ningbo.demo",
            "officer@zhejiang.demo",
            "officer@national.demo",
            "admin@platform.demo",
        )
    }
    assert visible == {
        "viewer@school.demo": True,
        "admin@esco.demo": True,
        "engineer@esco2.demo": False,
        "energy@hospital.demo": False,
        "officer@hangzhou.demo": True,
        "officer@ningbo.demo": False,
        "officer@zhejiang.demo": True,
        "officer@national.demo": True,
        "admin@platform.demo": True,
    }
    line = actual_lines(db_session, project)[0]
    for email in ("engineer@esco2.demo", "officer@ningbo.demo", "finance@hospital.demo"):
        with pytest.raises(NotFound):
            service.get_project(db_session, actor_for(db_session, email), project.id)
        with pytest.raises(NotFound):
            service.approve_line(db_session, actor_for(db_session, email), line.id, version=1)
    with pytest.raises(Forbidden):
        service.list_projects(db_session, actor_for(db_session, "auditor@auditor.demo"))


def test_amendments_are_scoped_through_their_project(db_session):
    project = make_project(db_session, generate=False)
    doc = copy.deepcopy(GUARANTEED_DOC)
    doc["payment_due_days"] = 15
    _, amendment = service.set_contract_terms(
        db_session, actor_for(db_session, "energy@school.demo"), project.id, terms=doc, reason="r"
    )
    other = make_project(
        db_session, email="energy@hospital.demo", generate=False, sign=False, name="医院项目"
    )
    with pytest.raises(NotFound):
        service.agree_amendment(
            db_session, actor_for(db_session, "admin@hospital.demo"), other.id, amendment.id
        )
    assert db_session.get(ContractAmendment, amendment.id).institution_agreed_by_user_id is None


def test_two_amendments_reading_the_same_number_give_a_409_not_a_server_error(
    db_session, monkeypatch
):
    # Two proposals at the same moment both read "no amendment yet" and take number 1; the
    # unique (contract, number) key stops the second, which must surface as a Conflict and
    # leave the transaction usable with the first amendment intact.
    from emc.contracts.service import contracts as contracts_service

    project = make_project(db_session, generate=False)
    energy = actor_for(db_session, "energy@school.demo")
    doc = copy.deepcopy(GUARANTEED_DOC)
    doc["components"][0]["fees"][0]["annual_amount"] = "132000"
    _, first = service.set_contract_terms(
        db_session, energy, project.id, terms=doc, reason="新增照明回路"
    )
    monkeypatch.setattr(contracts_service, "list_amendments", lambda *a, **k: [])
    with pytest.raises(Conflict, match="same moment"):
        service.set_contract_terms(db_session, energy, project.id, terms=doc, reason="同时提交")
    monkeypatch.undo()
    stored = db_session.scalars(
        select(ContractAmendment).where(ContractAmendment.contract_id == first.contract_id)
    ).all()
    assert [(a.number, a.reason) for a in stored] == [(1, "新增照明回路")]
    _, second = service.set_contract_terms(
        db_session, energy, project.id, terms=doc, reason="重新提交"
    )
    assert second.number == 2

"""A project's life, consent for signed projects, workflow notifications and the pay step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from emc.auth.models import Organization, User
from emc.contracts import finance
from emc.contracts.documents import terms_to_document
from emc.contracts.models import EmcProject, LineStatus, PaymentLine
from emc.notifications.models import Notification
from emc.workflow import MACHINES, event_kinds
from emc.workflow.notify import RULES

GUARANTEED = terms_to_document(
    finance.ContractTerms(
        contract_type=finance.ContractType.GUARANTEED_SAVINGS,
        term_years=3,
        start_date=dt.date(2025, 1, 1),
        payment_frequency=finance.PaymentFrequency.ANNUAL,
        payment_due_days=30,
        discount_rate=Decimal("0.05"),
        components=(
            finance.GuaranteedSavingsTerms(
                guarantees=(finance.EnergyQuantity("electricity", "kWh", Decimal(600000)),),
                fees=(finance.FeeBand(1, 3, Decimal(120000)),),
            ),
        ),
        prices=(finance.CarrierPrice("electricity", "kWh", Decimal("0.80")),),
    )
)


def fresh(session, pid: int) -> EmcProject:
    """The project as committed by the requests (the test session's copy may be older)."""
    session.expire_all()
    return session.get(EmcProject, pid)


def esco_id(session, name="绿能节能服务有限公司") -> int:
    return session.scalar(select(Organization.id).where(Organization.name_zh == name))


def proposal(energy, session, **extra) -> dict:
    created = energy.post(
        "/api/v1/projects",
        json={"name": "一中锅炉改造", "esco_organization_id": esco_id(session), **extra},
    )
    assert created.status_code == 201, created.get_json()
    pid = created.get_json()["id"]
    terms = energy.post(f"/api/v1/projects/{pid}/contract", json={"terms": GUARANTEED})
    assert terms.status_code == 200, terms.get_json()
    project = energy.get(f"/api/v1/projects/{pid}").get_json()
    moved = energy.post(
        f"/api/v1/projects/{pid}/transitions/propose", json={"row_version": project["row_version"]}
    )
    assert moved.status_code == 200, moved.get_json()
    return moved.get_json()


def signed_project(login_as, session) -> tuple[dict, object, object]:
    energy, esco = login_as("energy@school.demo"), login_as("admin@esco.demo")
    project = proposal(energy, session, total_investment="500000.00")
    pid = project["id"]
    first = energy.post(
        f"/api/v1/projects/{pid}/transitions/sign",
        json={"row_version": project["row_version"], "signed_on": "2025-01-05"},
    )
    assert first.status_code == 200 and first.get_json()["status"] == "proposed"
    second = esco.post(
        f"/api/v1/projects/{pid}/transitions/sign",
        json={"row_version": first.get_json()["row_version"], "signed_on": "2025-01-08"},
    )
    assert second.status_code == 200, second.get_json()
    body = second.get_json()
    assert body["status"] == "contracted" and body["signed_on"] == "2025-01-08"
    assert body["institution_signed_by_user_id"] and body["esco_signed_by_user_id"]
    return body, energy, esco


def test_a_signed_projects_esco_swap_is_refused_and_works_through_an_agreed_amendment(
    login_as, db_session
):
    project, energy, esco = signed_project(login_as, db_session)
    pid, other = project["id"], esco_id(db_session, "南方综合能源服务有限公司")
    for field, value in (
        ("esco_organization_id", other),
        ("signed_on", "2024-01-01"),
        ("total_investment", "1.00"),
    ):
        refused = energy.patch(
            f"/api/v1/projects/{pid}", json={field: value, "row_version": project["row_version"]}
        )
        assert refused.status_code == 409, refused.get_json()
        error = refused.get_json()["error"]
        assert error["code"] == "consent_required" and field in error["fields"]
    # The page says it in Chinese, naming the field.
    page = energy.post(
        f"/projects/{pid}/life/edit",
        data={"row_version": project["row_version"], "esco_organization_id": str(other)},
    )
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "合同变更" in html and "节能服务公司" in html

    proposed = energy.post(
        f"/api/v1/projects/{pid}/amendments",
        json={
            "row_version": project["row_version"],
            "reason": "原公司退出，经双方协商更换",
            "esco_organization_id": other,
        },
    )
    assert proposed.status_code == 201, proposed.get_json()
    amendment = proposed.get_json()
    assert energy.get(f"/api/v1/projects/{pid}").get_json()["esco_organization_id"] != other
    url = f"/api/v1/projects/{pid}/contract/amendments/{amendment['id']}"
    admin = login_as("admin@school.demo")
    agreed = admin.post(f"{url}/agree", json={"row_version": amendment["row_version"]})
    assert agreed.status_code == 200 and agreed.get_json()["status"] == "proposed"
    stale = esco.post(f"{url}/agree", json={"row_version": amendment["row_version"]})
    assert stale.status_code == 409
    outgoing = esco.post(f"{url}/agree", json={"row_version": agreed.get_json()["row_version"]})
    assert outgoing.status_code == 200 and outgoing.get_json()["status"] == "proposed"
    assert admin.get(f"/api/v1/projects/{pid}").get_json()["esco_organization_id"] != other
    # The incoming ESCO agrees too (it sees the amendment, not the project).
    from tests.workflow.test_amendments import make_south_admin

    make_south_admin(db_session)
    incoming = login_as("admin@esco2.demo")
    assert incoming.get(f"/api/v1/projects/{pid}").status_code == 404
    done = incoming.post(f"{url}/agree", json={"row_version": outgoing.get_json()["row_version"]})
    assert done.status_code == 200 and done.get_json()["status"] == "agreed"
    assert admin.get(f"/api/v1/projects/{pid}").get_json()["esco_organization_id"] == other


def test_draft_and_proposal_edits_stay_free_and_an_edit_clears_signatures(login_as, db_session):
    energy = login_as("energy@school.demo")
    project = proposal(energy, db_session)
    pid = project["id"]
    signed = energy.post(
        f"/api/v1/projects/{pid}/transitions/sign",
        json={"row_version": project["row_version"], "signed_on": "2025-01-05"},
    ).get_json()
    other = esco_id(db_session, "南方综合能源服务有限公司")
    edited = energy.patch(
        f"/api/v1/projects/{pid}",
        json={"row_version": signed["row_version"], "esco_organization_id": other},
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["esco_organization_id"] == other
    assert edited.get_json()["institution_signed_by_user_id"] is None


def test_the_project_life_through_the_pages_with_a_stale_form_told_in_chinese(login_as, db_session):
    energy, esco = login_as("energy@school.demo"), login_as("admin@esco.demo")
    created = energy.post(
        "/api/v1/projects", json={"name": "一中照明改造（页面）", "esco_organization_id": None}
    ).get_json()
    pid = created["id"]
    energy.post(f"/api/v1/projects/{pid}/contract", json={"terms": GUARANTEED})
    page = energy.get(f"/projects/{pid}/life")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="choose-esco"' in html and 'data-testid="step-propose"' in html
    version = fresh(db_session, pid).row_version
    # Choosing the ESCO of the proposal.
    chosen = energy.post(
        f"/projects/{pid}/life/edit",
        data={
            "row_version": version,
            "name": "一中照明改造（页面）",
            "esco_organization_id": str(esco_id(db_session)),
            "investor": "esco",
        },
    )
    assert chosen.status_code == 302, chosen.get_data(as_text=True)[:500]
    # A form from before that change is refused, saying what the project is now.
    stale = energy.post(f"/projects/{pid}/life/propose", data={"row_version": version})
    assert stale.status_code == 409
    assert "已被他人更改" in stale.get_data(as_text=True)
    version = fresh(db_session, pid).row_version
    assert (
        energy.post(f"/projects/{pid}/life/propose", data={"row_version": version}).status_code
        == 302
    )
    for client in (energy, esco):
        version = fresh(db_session, pid).row_version
        signed = client.post(
            f"/projects/{pid}/life/sign", data={"row_version": version, "signed_on": "2025-02-01"}
        )
        assert signed.status_code == 302, signed.get_data(as_text=True)[:500]
    project = fresh(db_session, pid)
    assert project.status.value == "contracted"
    missing = energy.post(
        f"/projects/{pid}/life/start_operation", data={"row_version": project.row_version}
    )
    assert missing.status_code == 422 and "验收" in missing.get_data(as_text=True)
    started = energy.post(
        f"/projects/{pid}/life/start_operation",
        data={
            "row_version": project.row_version,
            "works_accepted_on": "2025-03-01",
            "operation_start_on": "2025-03-15",
        },
    )
    assert started.status_code == 302
    project = fresh(db_session, pid)
    assert project.status.value == "operating"
    assert project.operation_start_on == dt.date(2025, 3, 15)
    # The ESCO sees no institution-only steps on the page.
    html = esco.get(f"/projects/{pid}/life").get_data(as_text=True)
    assert 'data-testid="step-complete"' not in html


def test_every_workflow_event_of_a_decision_notifies_someone():
    kinds = set(event_kinds())
    for kind in ("baseline_proposed", "report_submitted", "report_accepted", "report_disputed"):
        assert kind in RULES
    assert "payment_line_prepared" in RULES and "amendment_proposed" in RULES
    assert set(RULES) <= kinds
    assert set(MACHINES) >= {"project", "baseline", "report", "payment_line", "audit"}


def first_payable_line(login_as, db_session) -> PaymentLine:
    """The first payable line of a signed project's generated schedule."""
    project, energy, _esco = signed_project(login_as, db_session)
    pid = project["id"]
    assert energy.post(f"/api/v1/projects/{pid}/schedule", json={}).status_code == 200
    return db_session.scalar(
        select(PaymentLine)
        .where(PaymentLine.project_id == pid, PaymentLine.source == "actual")
        .order_by(PaymentLine.due_on)
        .limit(1)
    )


def test_a_prepared_line_notifies_the_other_finance_users_never_the_preparer(login_as, db_session):
    line = first_payable_line(login_as, db_session)
    finance = login_as("finance@school.demo")
    prepared = finance.post(f"/api/v1/payment-lines/{line.id}/prepare", json={"version": 1})
    assert prepared.status_code == 200
    told = {
        db_session.get(User, n.user_id).email
        for n in db_session.scalars(
            select(Notification).where(Notification.kind == "payment_line_prepared")
        )
    }
    assert "finance2@school.demo" in told and "finance@school.demo" not in told


def test_the_pay_step_refuses_a_future_date_an_early_date_and_no_reference(login_as, db_session):
    project, energy, _esco = signed_project(login_as, db_session)
    pid = project["id"]
    energy.post(f"/api/v1/projects/{pid}/schedule", json={})
    line = db_session.scalar(
        select(PaymentLine)
        .where(PaymentLine.project_id == pid, PaymentLine.source == "actual")
        .order_by(PaymentLine.due_on)
        .limit(1)
    )
    f1, f2 = login_as("finance@school.demo"), login_as("finance2@school.demo")
    assert (
        f1.post(f"/api/v1/payment-lines/{line.id}/prepare", json={"version": 1}).status_code == 200
    )
    assert (
        f2.post(f"/api/v1/payment-lines/{line.id}/approve", json={"version": 2}).status_code == 200
    )
    url = f"/api/v1/payment-lines/{line.id}/pay"
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    early = (line.period_start - dt.timedelta(days=1)).isoformat()
    for paid_on, reference, field in (
        (future, "BANK-1", "paid_on"),
        (early, "BANK-1", "paid_on"),
        (line.period_start.isoformat(), "   ", "payment_reference"),
    ):
        refused = f1.post(
            url, json={"version": 3, "paid_on": paid_on, "payment_reference": reference}
        )
        assert refused.status_code == 422, refused.get_json()
        assert field in refused.get_json()["error"]["fields"]
    paid = f1.post(
        url,
        json={"version": 3, "paid_on": line.period_start.isoformat(), "payment_reference": "B-1"},
    )
    assert paid.status_code == 200 and paid.get_json()["status"] == LineStatus.PAID.value
    assert Decimal(paid.get_json()["amount"]) > 0


def test_only_those_who_may_set_the_terms_are_sent_to_the_terms_form(login_as, db_session):
    """A draft without terms: the institution's manager is pointed to the terms form; the
    ESCO and the agency, who may read the project but not set its terms (the form answers
    them 403), are told there are none yet, without a link to a page they cannot open."""
    energy = login_as("energy@school.demo")
    created = energy.post(
        "/api/v1/projects", json={"name": "无条款草稿", "esco_organization_id": esco_id(db_session)}
    )
    pid = created.get_json()["id"]
    terms_link = f'href="/projects/{pid}/terms"'
    assert terms_link in energy.get(f"/projects/{pid}/life").get_data(as_text=True)
    readers = 0
    for who in ("admin@esco.demo", "officer@zhejiang.demo"):
        reader = login_as(who)
        page = reader.get(f"/projects/{pid}/life")
        if page.status_code == 404:  # not visible to this reader at all
            continue
        readers += 1
        html = page.get_data(as_text=True)
        assert terms_link not in html and 'data-testid="no-terms"' in html, who
        assert reader.get(f"/projects/{pid}/terms").status_code == 403
    assert readers >= 1


def test_signature_times_are_shown_in_local_time(login_as, db_session):
    """The life page showed a signature at 15:15 (UTC) where every other time on the site
    reads 23:15 (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo

    project, energy, _esco = signed_project(login_as, db_session)
    signed_at = fresh(db_session, project["id"]).institution_signed_at
    html = energy.get(f"/projects/{project['id']}/life").get_data(as_text=True)
    shown = html.split('data-testid="sig-institution">', 1)[1].split("</dd>", 1)[0]
    assert shown == signed_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def test_a_notification_names_people_and_money_as_the_pages_do(login_as, db_session):
    """The inbox read "finance2@school.demo 审批了…（21544.85 元…）": people by display name,
    amounts with thousands separators and two places."""
    line = first_payable_line(login_as, db_session)
    line.amount = Decimal("21544.85")
    db_session.flush()
    finance = login_as("finance@school.demo")
    prepared = finance.post(
        f"/api/v1/payment-lines/{line.id}/prepare", json={"version": line.version}
    )
    assert prepared.status_code == 200, prepared.get_json()
    note = db_session.scalar(
        select(Notification).where(Notification.kind == "payment_line_prepared").limit(1)
    )
    preparer = db_session.scalar(select(User).where(User.email == "finance@school.demo"))
    assert note.params["actor"] == preparer.display_name != preparer.email
    assert note.params["amount"] == "21,544.85"


def test_a_refused_life_step_names_its_fields_by_label_never_by_name(login_as, db_session):
    """A form without the row version, or with a field the form does not have, is refused
    naming the version by its label (版本), an unknown field by its message alone: never
    ``row_version`` or the posted name."""
    energy = login_as("energy@school.demo")
    pid = energy.post("/api/v1/projects", json={"name": "一中照明改造（标签）"}).get_json()["id"]
    refused = energy.post(f"/projects/{pid}/life/propose", data={"bogus_field": "1"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "版本：" in html, html[:3000]
    assert "row_version" not in html.replace('name="row_version"', "")
    assert "bogus_field" not in html

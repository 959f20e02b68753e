"""Amendments of a signed project: either party proposes (an admin's own party agrees by
proposing), the other agrees; an ESCO swap also needs the incoming ESCO, which sees the
amendment (not the project's records), finds it in its to-do list and agrees on its page."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from emc.auth import service as auth
from emc.auth.models import Organization, Role, User
from emc.contracts import service as contracts
from emc.contracts.models import AmendmentStatus, ContractAmendment, EmcProject
from emc.demo import DEMO_PASSWORD, actor_for
from emc.errors import Forbidden, NotFound
from emc.notifications.models import Notification
from emc.todo import todos_for
from tests.workflow.test_project_life import esco_id, signed_project

SOUTH = "南方综合能源服务有限公司"


def make_south_admin(db_session) -> User:
    """The admin of the second demo ESCO, able to log in (created where a smaller demo lacks it)."""
    existing = db_session.scalar(select(User).where(User.email == "admin@esco2.demo"))
    if existing is not None:
        return existing
    platform = actor_for(db_session, "admin@platform.demo")
    return auth.create_user(
        db_session,
        platform,
        email="admin@esco2.demo",
        display_name="南方能源管理员",
        organization_id=esco_id(db_session, SOUTH),
        role=Role.ADMIN,
        locale="zh_CN",
        password=DEMO_PASSWORD,
    )


@pytest.fixture
def south_admin(db_session) -> User:
    return make_south_admin(db_session)


@pytest.fixture
def project(login_as, db_session) -> EmcProject:
    body, _energy, _esco = signed_project(login_as, db_session)
    db_session.expire_all()
    return db_session.get(EmcProject, body["id"])


def _told(session, amendment_id_kind: str) -> set[str]:
    return set(
        session.scalars(
            select(User.email)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.kind == amendment_id_kind)
        )
    )


def _todo_keys(session, email) -> set[str]:
    return {
        t.object_key
        for t in todos_for(session, actor_for(session, email))
        if t.kind == "amendment.agree"
    }


def test_the_esco_proposes_and_the_institution_agrees(db_session, project):
    engineer = actor_for(db_session, "engineer@esco.demo")
    with pytest.raises(Forbidden):
        contracts.propose_project_amendment(
            db_session, engineer, project.id, reason="工程师无权", total_investment=Decimal(1)
        )
    esco = actor_for(db_session, "admin@esco.demo")
    amendment = contracts.propose_project_amendment(
        db_session,
        esco,
        project.id,
        reason="追加投资",
        total_investment=Decimal("650000.00"),
        version=project.row_version,
    )
    # The ESCO's admin agrees by proposing: the institution is next.
    assert amendment.esco_agreed_by_user_id == esco.user_id
    assert amendment.institution_agreed_by_user_id is None
    assert _told(db_session, "amendment_proposed") == {"admin@school.demo"}
    key = f"amendment:{amendment.id}"
    assert key in _todo_keys(db_session, "admin@school.demo")
    assert key not in _todo_keys(db_session, "admin@esco.demo")
    # Only a party that did not propose it rejects it; the ESCO may withdraw it.
    energy = actor_for(db_session, "energy@school.demo")
    with pytest.raises(Forbidden):
        contracts.agree_amendment(db_session, energy, project.id, amendment.id)
    agreed = contracts.agree_amendment(
        db_session, actor_for(db_session, "admin@school.demo"), project.id, amendment.id
    )
    assert agreed.status is AmendmentStatus.AGREED
    assert db_session.get(EmcProject, project.id).total_investment == Decimal("650000.00")
    assert key not in _todo_keys(db_session, "admin@school.demo")


def test_an_esco_swap_needs_the_incoming_esco_too(db_session, project, south_admin):
    south = esco_id(db_session, SOUTH)
    school = actor_for(db_session, "admin@school.demo")
    amendment = contracts.propose_project_amendment(
        db_session, school, project.id, reason="原公司退出", esco_organization_id=south
    )
    assert amendment.incoming_esco_organization_id == south
    assert amendment.institution_agreed_by_user_id == school.user_id
    assert _told(db_session, "amendment_proposed") == {"admin@esco.demo", "admin@esco2.demo"}
    key = f"amendment:{amendment.id}"
    assert key in _todo_keys(db_session, "admin@esco.demo")
    assert key in _todo_keys(db_session, "admin@esco2.demo")
    assert key not in _todo_keys(db_session, "admin@school.demo")
    # The incoming ESCO sees the amendment, not the project's records.
    incoming = actor_for(db_session, "admin@esco2.demo")
    seen_project, seen = contracts.get_amendment(db_session, incoming, amendment.id)
    assert seen.id == amendment.id and seen_project.id == project.id
    with pytest.raises(NotFound):
        contracts.get_project(db_session, incoming, project.id)
    # Another ESCO neither sees it nor agrees.
    other = db_session.scalar(
        select(Organization).where(Organization.kind == "esco", Organization.id.not_in([south]))
    )
    assert other.id == project.esco_organization_id
    outgoing = actor_for(db_session, "admin@esco.demo")
    after_outgoing = contracts.agree_amendment(db_session, outgoing, project.id, amendment.id)
    assert after_outgoing.status is AmendmentStatus.PROPOSED
    assert db_session.get(EmcProject, project.id).esco_organization_id != south
    assert key not in _todo_keys(db_session, "admin@esco.demo")
    assert key in _todo_keys(db_session, "admin@esco2.demo")
    assert _told(db_session, "amendment_agreed_partly") >= {"admin@esco2.demo"}
    done = contracts.agree_amendment(db_session, incoming, project.id, amendment.id)
    assert done.status is AmendmentStatus.AGREED
    assert db_session.get(EmcProject, project.id).esco_organization_id == south
    assert key not in _todo_keys(db_session, "admin@esco2.demo")
    # Now the project is the incoming ESCO's.
    assert contracts.get_project(db_session, incoming, project.id).id == project.id


def test_the_incoming_esco_may_refuse_and_nothing_changes(db_session, project, south_admin):
    south = esco_id(db_session, SOUTH)
    school = actor_for(db_session, "admin@school.demo")
    amendment = contracts.propose_project_amendment(
        db_session, school, project.id, reason="更换", esco_organization_id=south
    )
    incoming = actor_for(db_session, "admin@esco2.demo")
    refused = contracts.reject_amendment(
        db_session, incoming, project.id, amendment.id, comment="无力承接"
    )
    assert refused.status is AmendmentStatus.REJECTED
    assert db_session.get(EmcProject, project.id).esco_organization_id != south
    # Nobody else's amendment is visible to it.
    with pytest.raises(NotFound):
        contracts.agree_amendment(
            db_session, actor_for(db_session, "engineer@esco2.demo"), project.id + 999, amendment.id
        )


def test_the_esco_proposes_a_swap_on_the_chinese_page_and_the_incoming_esco_agrees_on_its_page(
    login_as, db_session, project, south_admin
):
    south = esco_id(db_session, SOUTH)
    esco = login_as("admin@esco.demo")
    page = esco.get(f"/projects/{project.id}/life").get_data(as_text=True)
    assert 'data-testid="amend-form"' in page and "变更" in page
    proposed = esco.post(
        f"/projects/{project.id}/life/amend",
        data={
            "row_version": project.row_version,
            "reason": "集团内部转让",
            "esco_organization_id": str(south),
        },
    )
    assert proposed.status_code == 302, proposed.get_data(as_text=True)[:800]
    amendment = db_session.scalar(
        select(ContractAmendment).order_by(ContractAmendment.id.desc()).limit(1)
    )
    assert amendment.esco_agreed_by_user_id is not None
    # The institution agrees on the project's life page.
    admin = login_as("admin@school.demo")
    html = admin.get(f"/projects/{project.id}/life").get_data(as_text=True)
    assert f'data-testid="agree-amendment-{amendment.number}"' in html
    agreed = admin.post(
        f"/projects/{project.id}/life/amendments/{amendment.id}/agree",
        data={"row_version": amendment.row_version},
    )
    assert agreed.status_code == 302
    # The incoming ESCO: its to-do list, then the amendment's page in Chinese.
    incoming = login_as("admin@esco2.demo")
    todo = incoming.get("/todo").get_data(as_text=True)
    assert f"/amendments/{amendment.id}" in todo and "一中锅炉改造" in todo
    assert incoming.get(f"/projects/{project.id}/life").status_code == 404
    page = incoming.get(f"/amendments/{amendment.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "合同变更" in html and "集团内部转让" in html
    assert f'data-testid="agree-amendment-{amendment.number}"' in html
    db_session.expire_all()
    version = db_session.get(ContractAmendment, amendment.id).row_version
    stale = incoming.post(
        f"/projects/{project.id}/life/amendments/{amendment.id}/agree",
        data={"row_version": version - 1},
    )
    assert stale.status_code == 409 and "已被他人更改" in stale.get_data(as_text=True)
    done = incoming.post(
        f"/projects/{project.id}/life/amendments/{amendment.id}/agree",
        data={"row_version": version},
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/projects/{project.id}/life")
    db_session.expire_all()
    assert db_session.get(EmcProject, project.id).esco_organization_id == south
    # A third ESCO user (not a party) gets a 404 for the page.
    assert login_as("engineer@esco.demo").get(f"/amendments/{amendment.id}").status_code == 404


def test_the_esco_proposes_new_contract_terms_and_the_institution_agrees(
    db_session, project, login_as
):
    """A terms amendment (prices, shares, term) may come from either party, as a project
    amendment does: the ESCO's admin proposes on the terms page and has agreed by proposing;
    the institution's admin agrees; its engineer may not propose."""
    contract = contracts.get_contract(
        db_session, actor_for(db_session, "energy@school.demo"), project.id
    )
    terms = dict(contract.terms)
    terms["payment_due_days"] = int(terms.get("payment_due_days", 30)) + 15
    with pytest.raises(Forbidden):
        contracts.set_contract_terms(
            db_session,
            actor_for(db_session, "engineer@esco.demo"),
            project.id,
            terms=terms,
            reason="工程师无权",
        )
    esco = login_as("admin@esco.demo")
    page = esco.get(f"/projects/{project.id}")
    assert 'data-testid="terms-link"' in page.get_data(as_text=True)
    form = esco.get(f"/projects/{project.id}/terms")
    assert form.status_code == 200 and "提出合同补充协议" in form.get_data(as_text=True)
    posted = esco.post(
        f"/projects/{project.id}/terms",
        data={
            "editor": "json",
            "terms": json.dumps(terms),
            "savings_estimates": json.dumps(contract.savings_estimates),
            "version": str(contract.version),
            "reason": "延长付款期限",
        },
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)
    amendment = db_session.scalars(
        select(ContractAmendment)
        .where(ContractAmendment.contract_id == contract.id)
        .order_by(ContractAmendment.id.desc())
    ).first()
    assert amendment.terms_after["payment_due_days"] == terms["payment_due_days"]
    # The terms page lists it with its status in words, not the stored value.
    listed = esco.get(f"/projects/{project.id}/terms").get_data(as_text=True)
    assert "等待各方同意" in listed and ">proposed<" not in listed
    assert amendment.esco_agreed_by_user_id is not None
    assert amendment.institution_agreed_by_user_id is None
    assert f"amendment:{amendment.id}" in _todo_keys(db_session, "admin@school.demo")
    agreed = contracts.agree_amendment(
        db_session, actor_for(db_session, "admin@school.demo"), project.id, amendment.id
    )
    assert agreed.status is AmendmentStatus.AGREED
    db_session.expire_all()
    after = contracts.get_contract(
        db_session, actor_for(db_session, "energy@school.demo"), project.id
    )
    assert after.terms["payment_due_days"] == terms["payment_due_days"]


def test_an_amendment_drafted_before_another_applied_is_out_of_date_everywhere(
    db_session, project, login_as
):
    """Once another amendment changes the contract, an amendment still proposed against the old
    version can no longer be agreed: its page says so and offers only reject or withdraw, the
    other party's to-do says to reject it, and agreeing anyway is a 409 that changes nothing."""
    esco = actor_for(db_session, "admin@esco.demo")
    school = actor_for(db_session, "admin@school.demo")
    old = contracts.propose_project_amendment(
        db_session, esco, project.id, reason="追加投资", total_investment=Decimal("650000.00")
    )
    contract = contracts.get_contract(db_session, school, project.id)
    terms = dict(contract.terms)
    terms["payment_due_days"] = int(terms.get("payment_due_days", 30)) + 15
    _, newer = contracts.set_contract_terms(
        db_session, esco, project.id, terms=terms, reason="延长付款期限"
    )
    assert contracts.stale_amendments(db_session, [old, newer]) == set()
    contracts.agree_amendment(db_session, school, project.id, newer.id)
    db_session.expire_all()
    old = db_session.get(ContractAmendment, old.id)
    assert contracts.stale_amendments(db_session, [old]) == {old.id}

    todo = next(t for t in todos_for(db_session, school) if t.object_key == f"amendment:{old.id}")
    assert "out of date" in todo.title
    browser = login_as("admin@school.demo")
    page = browser.get(f"/projects/{project.id}/life").get_data(as_text=True)
    assert f'data-testid="stale-amendment-{old.number}"' in page
    assert "提出此项合同变更后，合同或项目已有改动" in page
    assert f'data-testid="agree-amendment-{old.number}"' not in page
    assert f'data-testid="reject-amendment-{old.number}"' in page
    terms_page = browser.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'data-testid="stale-amendment-{old.number}"' in terms_page
    refused = browser.post(
        f"/projects/{project.id}/amendments/{old.id}/agree",
        data={"row_version": str(old.row_version)},
    )
    assert refused.status_code == 409
    db_session.expire_all()
    assert db_session.get(ContractAmendment, old.id).status is AmendmentStatus.PROPOSED
    assert db_session.get(EmcProject, project.id).total_investment != Decimal("650000.00")


def test_a_project_amendment_whose_values_moved_since_is_out_of_date(db_session, project):
    """Two amendments of the same project field: once one applies, the other was drafted
    against a value the project no longer has, and is out of date too."""
    esco = actor_for(db_session, "admin@esco.demo")
    school = actor_for(db_session, "admin@school.demo")
    first = contracts.propose_project_amendment(
        db_session, esco, project.id, reason="追加投资", total_investment=Decimal("650000.00")
    )
    second = contracts.propose_project_amendment(
        db_session, esco, project.id, reason="再追加", total_investment=Decimal("700000.00")
    )
    assert contracts.stale_amendments(db_session, [first, second]) == set()
    contracts.agree_amendment(db_session, school, project.id, first.id)
    db_session.expire_all()
    second = db_session.get(ContractAmendment, second.id)
    assert contracts.stale_amendments(db_session, [second]) == {second.id}
    todo = next(
        t for t in todos_for(db_session, school) if t.object_key == f"amendment:{second.id}"
    )
    assert "out of date" in todo.title

"""The project's life on its page: signing dates (not in the future; the contract's date is the
later of the two current signatures, cleared with them), the term's end from the terms after
signing, forms that keep what was typed and show each error beside its field, dates fixed by
the contract shown rather than asked again, and the payee told of a payment."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from signing_support import esco_admin
from sqlalchemy import select
from test_contracts_service import SHARED_DOC, actor_for, actual_lines, make_project

from emc import clock
from emc.auth.models import Organization, OrgKind
from emc.contracts import service
from emc.contracts.models import ProjectStatus
from emc.errors import Invalid
from emc.notifications.models import Notification


@pytest.fixture
def frozen_clock():
    clock.freeze(dt.datetime(2025, 3, 20, 2, 0, tzinfo=dt.UTC))
    yield
    clock.freeze(None)


def _dd(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</dd>', html, re.S)
    assert match, testid
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _proposal(db_session):
    project = make_project(db_session, sign=False, generate=False)
    energy = actor_for(db_session, "energy@school.demo")
    service.update_project(db_session, energy, project.id, status=ProjectStatus.PROPOSED)
    return project, energy


def _esco(db_session, project):
    from emc.auth.actor import Actor
    from emc.auth.models import Organization

    user = esco_admin(db_session, project.esco_organization_id)
    user.organization = db_session.get(Organization, user.organization_id)
    return Actor.of(user)


def test_a_signature_dated_after_today_is_refused_naming_the_field(
    db_session, login_as, frozen_clock
):
    project, energy = _proposal(db_session)
    with pytest.raises(Invalid) as refused:
        service.sign_project(db_session, energy, project.id, signed_on=dt.date(2099, 1, 1))
    assert "signed_on" in refused.value.fields
    db_session.commit()
    page = login_as("energy@school.demo").post(
        f"/projects/{project.id}/life/sign",
        data={"row_version": str(project.row_version), "signed_on": "2099-01-01"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "不能晚于今天（2025-03-20）" in html
    assert 'value="2099-01-01"' in html  # what was typed stays
    # The date input says so before sending.
    assert 'max="2025-03-20"' in login_as("energy@school.demo").get(
        f"/projects/{project.id}/life"
    ).get_data(as_text=True)


def test_the_contract_date_is_the_later_of_the_two_current_signatures(
    db_session, login_as, frozen_clock
):
    project, energy = _proposal(db_session)
    service.sign_project(db_session, energy, project.id, signed_on=dt.date(2025, 3, 1))
    # One signature: not the contract's date, shown nowhere as one.
    assert project.contract_signed_on is None
    db_session.commit()
    viewer = login_as("energy@school.demo")
    assert _dd(viewer.get(f"/projects/{project.id}").get_data(as_text=True), "signed-on") == "—"
    row = re.search(
        r"<tr[^>]*>(?:(?!</tr>).)*一中照明与空调节能改造.*?</tr>",
        viewer.get("/projects").get_data(as_text=True),
        re.S,
    ).group(0)
    assert "2025-03-01" not in row

    # An edit of the proposal clears the signatures and the date derived from them.
    service.update_project(db_session, energy, project.id, name="一中照明改造（修订）")
    assert project.institution_signed_by_user_id is None and project.signed_on is None

    # Signed again: each signature's date counts, not one given before the edit.
    service.sign_project(db_session, energy, project.id, signed_on=dt.date(2024, 12, 22))
    service.sign_project(
        db_session, _esco(db_session, project), project.id, signed_on=dt.date(2024, 12, 20)
    )
    assert project.status is ProjectStatus.CONTRACTED
    assert project.signed_on == dt.date(2024, 12, 22) == project.contract_signed_on


def test_withdrawing_a_proposal_clears_its_signing_date(db_session, frozen_clock):
    project, energy = _proposal(db_session)
    service.sign_project(db_session, energy, project.id, signed_on=dt.date(2025, 3, 1))
    service.move_project(db_session, energy, project.id, "withdraw", version=None)
    assert project.signed_on is None and project.institution_signed_by_user_id is None


def test_the_term_end_by_the_terms_is_shown_after_signing_too(db_session, login_as):
    project = make_project(db_session, generate=False)
    db_session.commit()
    energy = login_as("energy@school.demo")
    life = energy.get(f"/projects/{project.id}/life").get_data(as_text=True)
    assert _dd(life, "life-term-end") == "2027-12-31 （按合同条款）"
    page = energy.get(f"/projects/{project.id}").get_data(as_text=True)
    assert _dd(page, "term-end") == "2027-12-31 （按合同条款）"


def test_a_refused_proposal_edit_keeps_what_was_typed_with_each_error_beside_its_field(
    db_session, login_as
):
    project, _energy = _proposal(db_session)
    other_esco = db_session.scalar(
        select(Organization.id).where(
            Organization.kind == OrgKind.ESCO,
            Organization.is_active,
            Organization.id != project.esco_organization_id,
        )
    )
    db_session.commit()
    page = login_as("energy@school.demo").post(
        f"/projects/{project.id}/life/edit",
        data={
            "row_version": str(project.row_version),
            "name": "  ",
            "esco_organization_id": str(other_esco),
            "investor": "shared",
            "total_investment": "-5",
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    form = html[html.index('data-testid="proposal-edit"') :]
    assert 'name="total_investment" inputmode="decimal" value="-5"' in form
    assert re.search(r'<option value="shared"\s+selected', form)
    assert re.search(rf'<option value="{other_esco}"\s+selected', form)
    assert 'data-field="total_investment"' in form and 'data-field="name"' in form
    assert "请更正下方标出的字段" in html


def test_a_refused_amendment_keeps_its_values_and_names_every_date_out_of_order(
    db_session, login_as
):
    project = make_project(db_session, generate=False)  # signed on 2024-12-20
    db_session.commit()
    page = login_as("energy@school.demo").post(
        f"/projects/{project.id}/life/amend",
        data={
            "row_version": str(project.row_version),
            "reason": "工期调整",
            "works_accepted_on": "2024-06-01",
            "term_end_on": "2020-12-31",
            "total_investment": "1300000",
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    form = html[html.index('data-testid="amend-form"') :]
    for value in ("工期调整", "2024-06-01", "2020-12-31", "1300000"):
        assert f'value="{value}"' in form
    works = re.search(r'data-field="works_accepted_on">(.*?)</ul>', form, re.S).group(1)
    term = re.search(r'data-field="term_end_on">(.*?)</ul>', form, re.S).group(1)
    assert "不能早于签约日期（2024-12-20）" in works
    assert "不能早于签约日期（2024-12-20）" in term


def test_operation_dates_an_agreed_amendment_set_are_shown_not_asked_again(db_session, login_as):
    project = make_project(db_session, generate=False)
    admin = actor_for(db_session, "admin@school.demo")  # agrees by proposing
    amendment = service.propose_project_amendment(
        db_session,
        admin,
        project.id,
        reason="按实际验收",
        works_accepted_on=dt.date(2025, 1, 10),
        operation_start_on=dt.date(2025, 1, 15),
    )
    service.agree_amendment(
        db_session, _esco(db_session, project), project.id, amendment.id, version=None
    )
    assert project.operation_start_on == dt.date(2025, 1, 15)
    db_session.commit()
    client = login_as("energy@school.demo")
    html = client.get(f"/projects/{project.id}/life").get_data(as_text=True)
    step = html[html.index('data-testid="step-start_operation"') :]
    step = step[: step.index("</form>")]
    assert 'data-testid="fixed-operation_start_on"' in step and "2025-01-15" in step
    assert 'type="date"' not in step
    done = client.post(
        f"/projects/{project.id}/life/start_operation",
        data={
            "row_version": str(project.row_version),
            "works_accepted_on": "2025-01-10",
            "operation_start_on": "2025-01-15",
        },
    )
    assert done.status_code == 302
    db_session.refresh(project)
    assert project.status is ProjectStatus.OPERATING


def test_the_esco_is_told_when_a_line_it_is_paid_is_recorded_as_paid(db_session):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    finance1 = actor_for(db_session, "finance@school.demo")
    finance2 = actor_for(db_session, "finance2@school.demo")
    service.prepare_line(db_session, finance1, line.id, version=1)
    service.approve_line(db_session, finance2, line.id, version=2)
    service.pay_line(
        db_session,
        finance1,
        line.id,
        version=3,
        paid_on=dt.date(2025, 3, 1),
        payment_reference="BANK-7",
    )
    notes = db_session.scalars(
        select(Notification).where(Notification.kind == "payment_line_paid")
    ).all()
    admin = esco_admin(db_session, project.esco_organization_id)
    assert {n.user_id for n in notes} == {admin.id}
    body = notes[0].body_in("zh_Hans_CN")
    assert f"{line.amount:,.2f}" in body and "BANK-7" in body
    assert (line.period_end - dt.timedelta(days=1)).isoformat() in body
    assert line.period_start.isoformat() in body


def test_amendments_show_their_values_in_words_and_money(db_session, login_as):
    project = make_project(db_session, generate=False)
    service.propose_project_amendment(
        db_session,
        actor_for(db_session, "admin@school.demo"),
        project.id,
        reason="追加投资",
        investor="shared",
        total_investment=D("1300000.00"),
    )
    db_session.commit()
    html = login_as("energy@school.demo").get(f"/projects/{project.id}/life").get_data(as_text=True)
    row = re.search(r'data-testid="amendment-1">(.*?)</tr>', html, re.S).group(1)
    assert "1,300,000.00" in row and "shared" not in row


def test_the_project_page_gives_rates_as_percentages_and_the_esco_still_to_choose(
    db_session, login_as
):
    signed = make_project(db_session, generate=False)
    draft = make_project(db_session, sign=False, generate=False, name="待选公司项目")
    draft.esco_organization_id = None
    db_session.commit()
    client = login_as("energy@school.demo")
    html = client.get(f"/projects/{signed.id}").get_data(as_text=True)
    assert "5 %" in html and "0.05；" not in html and "折现率 0.05" not in html
    html = client.get(f"/projects/{draft.id}").get_data(as_text=True)
    chosen = re.search(r'data-testid="esco-to-choose">(.*?)</span>', html, re.S).group(1)
    assert "尚未选择" in chosen and f"/projects/{draft.id}/life#proposal-edit" in chosen


def test_the_schedule_pdf_gives_each_price_its_yearly_escalation(db_session, login_as):
    project = make_project(db_session, terms=SHARED_DOC)
    db_session.commit()
    data = login_as("energy@school.demo").get(f"/api/v1/projects/{project.id}/schedule.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "年调价率" in text and "3 %" in text


def test_a_payment_refused_after_a_race_says_so_once_with_iso_dates(
    db_session, login_as, frozen_clock
):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    db_session.commit()
    finance1 = login_as("finance@school.demo")
    assert (
        finance1.post(f"/payment-lines/{line.id}/prepare", data={"version": "1"}).status_code == 302
    )
    stale = finance1.post(f"/payment-lines/{line.id}/prepare", data={"version": "1"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    error = re.search(r'data-testid="action-error">(.*?)</div>', html, re.S).group(1)
    first, last = line.period_start, line.period_end - dt.timedelta(days=1)
    assert f"{first.isoformat()} – {last.isoformat()}" in error
    assert "(" not in error and error.count("核对") == 1, error

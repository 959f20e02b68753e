"""Contracts pages: list, detail with due / overdue lines, the finance queue and its forms,
separation of duties and the stale-form 409 as a clear message, tenancy (404)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_contracts_service import actual_lines, make_project

from emc import clock
from emc.contracts.models import LineStatus, PaymentLine


@pytest.fixture
def frozen_clock():
    # 2025-03-20 in Beijing: lines due on or before 19 March are overdue.
    clock.freeze(dt.datetime(2025, 3, 20, 2, 0, tzinfo=dt.UTC))
    yield
    clock.freeze(None)


def _row(html: str, key: str) -> str:
    """The whole table row of the line with ``key``."""
    match = re.search(rf'<tr class="[^"]*" data-line="{re.escape(key)}".*?</tr>', html, re.S)
    assert match, key
    return match.group(0)


def test_project_pages_show_contract_and_schedule_with_overdue_lines(
    login_as, db_session, frozen_clock
):
    project = make_project(db_session)
    viewer = login_as("viewer@school.demo")
    listing = viewer.get("/projects")
    assert listing.status_code == 200
    assert "一中照明与空调节能改造" in listing.get_data(as_text=True)
    page = viewer.get(f"/projects/{project.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1,250,000.00" in html and "10,000.00" in html and "360,000.00" in html
    lines = actual_lines(db_session, project)
    # Due 3 March (overdue), due 31 March (within 30 days), due 1 May (later).
    assert 'class="overdue"' in _row(html, lines[0].key)
    assert 'class="due"' in _row(html, lines[1].key)
    assert 'class=""' in _row(html, lines[3].key)
    assert f"/api/v1/projects/{project.id}/schedule.xlsx" in html
    # A viewer is offered no payment actions.
    assert "data-action=" not in html


def test_finance_queue_prepare_and_approve_by_two_people(login_as, db_session, frozen_clock):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    finance1 = login_as("finance@school.demo")
    queue = finance1.get("/finance/queue").get_data(as_text=True)
    assert line.key in queue and 'data-action="prepare"' in queue
    response = finance1.post(
        f"/payment-lines/{line.id}/prepare", data={"version": "1", "back": "queue"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/finance/queue")

    # The preparer is not offered the approval, and a forged form is refused by the service.
    queue = finance1.get("/finance/queue").get_data(as_text=True)
    assert 'data-action="approve"' not in _row(queue, line.key)
    forged = finance1.post(f"/payment-lines/{line.id}/approve", data={"version": "2"})
    assert forged.status_code == 403
    assert "职责分离" in forged.get_data(as_text=True)
    # The refusal names its line (period and amount, as the success flash does): the schedule
    # and the queue list many. Its period by ISO dates, as every page shows one.
    first, last = (
        d.isoformat() for d in (line.period_start, line.period_end - dt.timedelta(days=1))
    )
    said = f"付款明细 {first} – {last}（{line.amount:,.2f} 元）：职责分离"
    assert said in forged.get_data(as_text=True)

    finance2 = login_as("finance2@school.demo")
    queue = finance2.get("/finance/queue").get_data(as_text=True)
    assert 'data-action="approve"' in queue
    approved = finance2.post(f"/payment-lines/{line.id}/approve", data={"version": "2"})
    assert approved.status_code == 302
    db_session.expire_all()
    assert db_session.get(PaymentLine, line.id).status is LineStatus.APPROVED


def test_a_stale_form_gets_409_with_a_clear_message(login_as, db_session, frozen_clock):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    finance1 = login_as("finance@school.demo")
    assert (
        finance1.post(f"/payment-lines/{line.id}/prepare", data={"version": "1"}).status_code == 302
    )
    # The same form (version 1) submitted again, e.g. from a second tab.
    stale = finance1.post(f"/payment-lines/{line.id}/prepare", data={"version": "1"})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert 'data-testid="action-error"' in html
    assert "Nothing was saved" in html or "没有保存" in html or "未保存" in html
    # The page shows the line's current state and its current version for the next try.
    assert 'data-status="prepared"' in _row(html, line.key)
    held = finance1.post(
        f"/payment-lines/{line.id}/hold", data={"version": "2", "reason": "", "back": "queue"}
    )
    assert held.status_code == 422
    assert "reason" in held.get_data(as_text=True)


def test_pay_form_records_the_payment(login_as, db_session, frozen_clock):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    finance1, finance2 = login_as("finance@school.demo"), login_as("finance2@school.demo")
    finance1.post(f"/payment-lines/{line.id}/prepare", data={"version": "1"})
    finance2.post(f"/payment-lines/{line.id}/approve", data={"version": "2"})
    paid = finance1.post(
        f"/payment-lines/{line.id}/pay",
        data={"version": "3", "paid_on": "2025-03-18", "payment_reference": "ICBC-0318"},
    )
    assert paid.status_code == 302
    html = finance1.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "ICBC-0318" in html and 'data-status="paid"' in _row(html, line.key)


def test_another_tenants_project_pages_are_404(login_as, db_session):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    for email in ("finance@hospital.demo", "engineer@esco2.demo", "officer@ningbo.demo"):
        client = login_as(email)
        assert client.get(f"/projects/{project.id}").status_code == 404
        assert project.name not in client.get("/projects").get_data(as_text=True)
    hospital = login_as("finance@hospital.demo")
    assert (
        hospital.post(f"/payment-lines/{line.id}/prepare", data={"version": "1"}).status_code == 404
    )
    assert line.key not in hospital.get("/finance/queue").get_data(as_text=True)
    assert login_as("officer@hangzhou.demo").get(f"/projects/{project.id}").status_code == 200
    assert login_as("auditor@auditor.demo").get("/projects").status_code == 403

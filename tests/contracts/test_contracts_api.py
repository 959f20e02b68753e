"""Contracts through the JSON API: the lifecycle per role, separation of duties, the stale 409,
tenancy (404 for another tenant's project, its lines and its downloads), CSV and XLSX exports."""

from __future__ import annotations

import copy
import csv
import io
from datetime import date
from decimal import Decimal as D

import openpyxl
from sqlalchemy import func, select
from test_contracts_service import (
    ESCO_NAME,
    GUARANTEED_DOC,
    actual_lines,
    esco_id,
    journal_count,
    make_project,
)

from emc.contracts.models import Contract, PaymentLine
from emc.journal import JournalEntry


def _lines(client, project_id, source="actual"):
    response = client.get(f"/api/v1/projects/{project_id}/schedule?source={source}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_lifecycle_through_the_api(login_as, db_session):
    energy = login_as("energy@school.demo")
    created = energy.post(
        "/api/v1/projects",
        json={
            "name": "一中照明改造",
            "esco_organization_id": esco_id(db_session, ESCO_NAME),
            "investor": "esco",
            "total_investment": "880000.00",
        },
    )
    assert created.status_code == 201, created.get_json()
    project = created.get_json()
    assert project["status"] == "draft" and project["total_investment"] == "880000.00"
    pid = project["id"]

    put = energy.http.put(
        f"/api/v1/projects/{pid}/contract",
        json={
            "terms": GUARANTEED_DOC,
            "savings_estimates": [
                {"carrier": "electricity", "unit": "kWh", "annual_quantity": "720000"}
            ],
        },
        headers={"X-CSRFToken": energy.csrf},
    )
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["contract_type"] == "guaranteed_savings"
    seen = project["row_version"]
    stale = energy.patch(f"/api/v1/projects/{pid}", json={"status": "proposed", "row_version": 9})
    assert stale.status_code == 409 and "version" in stale.get_json()["error"]["fields"]
    for status, extra in (("proposed", {}), ("contracted", {"signed_on": "2024-12-20"})):
        response = energy.patch(
            f"/api/v1/projects/{pid}", json={"status": status, "row_version": seen, **extra}
        )
        assert response.status_code == 200, response.get_json()
        seen = response.get_json()["row_version"]
    # The institution has signed; the project is signed once its ESCO has signed too.
    assert response.get_json()["status"] == "proposed"
    signed = login_as("admin@esco.demo").post(
        f"/api/v1/projects/{pid}/transitions/sign",
        json={"row_version": seen, "signed_on": "2024-12-18"},
    )
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["status"] == "contracted"
    assert signed.get_json()["signed_on"] == "2024-12-20"  # the later signature
    regenerated = energy.post(f"/api/v1/projects/{pid}/schedule", json={})
    assert regenerated.status_code == 200
    assert regenerated.get_json()["created"] == 36 * 2 + 36  # projected fee + excess, actual fee
    again = energy.post(f"/api/v1/projects/{pid}/schedule", json={}).get_json()
    assert (again["created"], again["updated"], again["removed"]) == (0, 0, 0)

    line = _lines(energy, pid)[0]
    assert (line["amount"], line["status"], line["version"]) == ("10000.00", "scheduled", 1)
    url = f"/api/v1/payment-lines/{line['id']}"
    assert energy.post(f"{url}/prepare", json={"version": 1}).status_code == 403

    finance1 = login_as("finance@school.demo")
    prepared = finance1.post(f"{url}/prepare", json={"version": 1})
    assert prepared.status_code == 200 and prepared.get_json()["status"] == "prepared"
    refused = finance1.post(f"{url}/approve", json={"version": 2})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "separation_of_duties"
    assert "another finance user must approve" in refused.get_json()["error"]["message"]

    finance2 = login_as("finance2@school.demo")
    approved = finance2.post(f"{url}/approve", json={"version": 2})
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    paid = finance1.post(
        f"{url}/pay", json={"version": 3, "paid_on": "2025-03-01", "payment_reference": "ICBC-1"}
    )
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "paid"
    again = finance2.post(
        f"{url}/pay", json={"version": 3, "paid_on": "2025-03-02", "payment_reference": "ICBC-2"}
    )
    assert again.status_code == 409
    assert _lines(finance1, pid)[0]["payment_reference"] == "ICBC-1"


def test_two_approvals_with_the_same_version_one_wins_the_other_gets_409(login_as, db_session):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    finance1 = login_as("finance@school.demo")
    assert (
        finance1.post(f"/api/v1/payment-lines/{line.id}/prepare", json={"version": 1}).status_code
        == 200
    )
    finance2 = login_as("finance2@school.demo")
    first = finance2.post(f"/api/v1/payment-lines/{line.id}/approve", json={"version": 2})
    second = finance2.post(f"/api/v1/payment-lines/{line.id}/approve", json={"version": 2})
    assert first.status_code == 200
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "conflict" and "reload" in error["message"]
    assert error["fields"] == {"version": ["stale: the current version is 3"]}
    db_session.expire_all()
    assert db_session.get(PaymentLine, line.id).status.value == "approved"
    assert journal_count(db_session, "approve", line) == 1


def test_bad_input_names_the_field(login_as, db_session):
    project = make_project(db_session, sign=False, generate=False)
    energy = login_as("energy@school.demo")
    doc = copy.deepcopy(GUARANTEED_DOC)
    doc["components"][0]["excess_share"] = "1.5"
    response = energy.http.put(
        f"/api/v1/projects/{project.id}/contract",
        json={"terms": doc},
        headers={"X-CSRFToken": energy.csrf},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "terms.components[0].excess_share": ["must be between 0 and 1"]
    }
    unknown = energy.post("/api/v1/projects", json={"name": "x", "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["error"]["fields"]
    fen = energy.post("/api/v1/projects", json={"name": "x", "total_investment": "1.005"})
    assert fen.status_code == 422 and "total_investment" in fen.get_json()["error"]["fields"]


def test_another_tenants_project_is_404_in_the_api_and_downloads(login_as, db_session):
    project = make_project(db_session)
    line = actual_lines(db_session, project)[0]
    urls = [
        f"/api/v1/projects/{project.id}",
        f"/api/v1/projects/{project.id}/contract",
        f"/api/v1/projects/{project.id}/schedule",
        f"/api/v1/projects/{project.id}/schedule.csv",
        f"/api/v1/projects/{project.id}/schedule.xlsx",
    ]
    for email in ("energy@hospital.demo", "engineer@esco2.demo", "officer@ningbo.demo"):
        client = login_as(email)
        for url in urls:
            assert client.get(url).status_code == 404, (email, url)
        assert client.get("/api/v1/projects").get_json() == []
        response = client.post(f"/api/v1/payment-lines/{line.id}/prepare", json={"version": 1})
        assert response.status_code == 404
    for email in ("admin@esco.demo", "officer@hangzhou.demo"):
        client = login_as(email)
        assert project.id in [p["id"] for p in client.get("/api/v1/projects").get_json()]
        assert client.get(urls[-1]).status_code == 200
        # Read only: the ESCO and the agency cannot regenerate or touch lines.
        assert client.post(f"/api/v1/projects/{project.id}/schedule", json={}).status_code == 403


def test_csv_export_lists_every_line_and_the_total(login_as, db_session):
    project = make_project(db_session)
    response = login_as("finance@school.demo").get(f"/api/v1/projects/{project.id}/schedule.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["序号", "来源", "合同年度", "组成部分", "款项类型"]
    assert rows[0][10] == "金额(元)"
    body, total = rows[1:-1], rows[-1]
    count = db_session.scalar(
        select(func.count()).select_from(PaymentLine).where(PaymentLine.project_id == project.id)
    )
    assert len(body) == count
    assert sum(D(r[10]) for r in body) == D(total[10])
    actual = [r for r in body if r[1] == "实际"]
    assert len(actual) == 36 and {r[10] for r in actual} == {"10000.00"}
    assert total[0] == "合计"


def test_xlsx_export_is_a_formatted_sheet_with_the_right_figures(login_as, db_session):
    project = make_project(db_session)
    response = login_as("viewer@school.demo").get(f"/api/v1/projects/{project.id}/schedule.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    ws = wb.active
    assert ws.title == "付款计划"
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "序号" and ws["K1"].value == "金额(元)" and ws["A1"].font.bold
    lines = list(
        db_session.scalars(
            select(PaymentLine)
            .where(PaymentLine.project_id == project.id)
            .order_by(PaymentLine.period_start, PaymentLine.due_on, PaymentLine.key)
        )
    )
    last = len(lines) + 1
    amounts = [D(str(ws.cell(row=r, column=11).value)) for r in range(2, last + 1)]
    assert amounts == [x.amount for x in lines]
    assert all(ws.cell(row=r, column=11).number_format == "#,##0.00" for r in range(2, last + 2))
    assert ws.cell(row=2, column=8).value.date() == lines[0].due_on
    assert ws.cell(row=last + 1, column=1).value == "合计"
    assert D(str(ws.cell(row=last + 1, column=11).value)) == sum(x.amount for x in lines)
    fee_total = sum(
        D(str(ws.cell(row=r, column=11).value))
        for r in range(2, last + 1)
        if ws.cell(row=r, column=2).value == "实际"
    )
    assert fee_total == D("360000.00")


def test_the_journal_has_the_project_and_contract_changes(login_as, db_session):
    project = make_project(db_session)
    actions = set(
        db_session.scalars(
            select(JournalEntry.action).where(
                JournalEntry.object_type == "emc_projects",
                JournalEntry.object_id == str(project.id),
            )
        )
    )
    assert {"create", "propose", "sign", "regenerate_schedule"} <= actions
    assert date(2025, 1, 1).isoformat() in str(
        db_session.scalars(
            select(JournalEntry.after).where(
                JournalEntry.object_type == "contracts",
                JournalEntry.object_id
                == str(
                    db_session.scalar(select(Contract.id).where(Contract.project_id == project.id))
                ),
            )
        ).first()
    )

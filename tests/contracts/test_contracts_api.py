"""Contracts through the JSON API: the lifecycle per role, separation of duties, the stale 409,
tenancy (404 for another tenant's project, its lines and its downloads), CSV and XLSX exports."""

from __future__ import annotations

import copy
import csv
import io
import re
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
    error = refused.get_json()["error"]
    assert error["message_code"] == "contracts.separation_duties_you_prepared_payment"
    assert error["message"] == "职责分离：此付款明细由您制单，须由另一位财务人员审批"

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
    assert error["code"] == "conflict" and error["message_code"] == "workflow.stale"
    # The sentence says what changed in words; the version is a parameter and a field.
    assert error["params"]["version"] == 3 and "已批准" in error["message"]
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
        "terms.components[0].excess_share": ["must be a share between 0 and 1 (0 % to 100 %)"]
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


def _pay_first(login_as, db_session, project):
    line = actual_lines(db_session, project)[0]
    url = f"/api/v1/payment-lines/{line.id}"
    f1, f2 = login_as("finance@school.demo"), login_as("finance2@school.demo")
    assert f1.post(f"{url}/prepare", json={"version": 1}).status_code == 200
    assert f2.post(f"{url}/approve", json={"version": 2}).status_code == 200
    paid = f1.post(
        f"{url}/pay", json={"version": 3, "paid_on": "2025-03-01", "payment_reference": "ICBC-9"}
    )
    assert paid.status_code == 200, paid.get_json()


def test_csv_export_lists_every_line_with_signers_and_separate_totals(login_as, db_session):
    project = make_project(db_session)
    _pay_first(login_as, db_session, project)
    response = login_as("finance@school.demo").get(f"/api/v1/projects/{project.id}/schedule.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows[0]
    assert header[:6] == ["序号", "明细编号", "计划类别", "合同年度", "分项", "类型"]
    for title in ("金额（元）", "状态", "制单人", "审批人", "付款登记人", "付款日期", "付款凭证号"):
        assert title in header, title
    amount, part, status = (
        header.index("金额（元）"),
        header.index("计划类别"),
        header.index("状态"),
    )
    body, totals = rows[1:-4], {r[part]: D(r[amount]) for r in rows[-4:]}
    count = db_session.scalar(
        select(func.count()).select_from(PaymentLine).where(PaymentLine.project_id == project.id)
    )
    assert len(body) == count
    payable = [r for r in body if r[part] == "应付"]
    projected = [r for r in body if r[part] == "预测"]
    assert len(payable) == 36 and {r[amount] for r in payable} == {"10000.00"}
    # Never one sum of forecast and payable lines: each part has its own total.
    assert totals["应付合计"] == D("360000.00") == sum(D(r[amount]) for r in payable)
    assert totals["其中：已付款"] == D("10000.00")
    assert totals["其中：未付款"] == D("350000.00")
    assert totals["预测合计（预测值，非应付）"] == sum(D(r[amount]) for r in projected)
    # The page's words: 已付款 / 计划中, and who did what.
    paid = next(r for r in body if r[status] == "已付款")
    assert paid[header.index("制单人")] == "一中财务"
    assert paid[header.index("审批人")] == "一中财务复核"
    assert paid[header.index("付款日期")] == "2025-03-01"
    assert paid[header.index("付款凭证号")] == "ICBC-9"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d$", paid[header.index("审批人") + 1])
    assert {r[status] for r in body} <= {"计划中", "已制单", "已审批", "已付款", "已暂缓"}


def test_xlsx_export_has_payable_and_projected_sheets_with_their_own_totals(login_as, db_session):
    project = make_project(db_session)
    response = login_as("viewer@school.demo").get(f"/api/v1/projects/{project.id}/schedule.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert wb.sheetnames == ["应付明细", "预测付款计划"]
    lines = list(
        db_session.scalars(
            select(PaymentLine)
            .where(PaymentLine.project_id == project.id)
            .order_by(PaymentLine.period_start, PaymentLine.due_on, PaymentLine.key)
        )
    )
    for ws, source in ((wb["应付明细"], "actual"), (wb["预测付款计划"], "projected")):
        values = [[c for c in row] for row in ws.iter_rows()]
        head = next(i for i, r in enumerate(values) if r[0].value == "序号")
        assert ws.freeze_panes == f"A{head + 2}" and values[head][0].font.bold
        titles = [c.value for c in values[head]]
        col = titles.index("金额（元）")
        mine = [x for x in lines if x.source.value == source]
        body = values[head + 1 : head + 1 + len(mine)]
        assert [D(str(r[col].value)) for r in body] == [x.amount for x in mine]
        assert all(r[col].number_format == "#,##0.00" for r in body)
        assert body[0][titles.index("应付日期")].value.date() == mine[0].due_on
        total_row = values[head + 1 + len(mine)]
        assert D(str(total_row[col].value)) == sum(x.amount for x in mine)
        assert total_row[2].value in ("应付合计", "预测合计（预测值，非应付）")
    assert wb["应付明细"]["A1"].value == f"付款计划：{project.name}"
    assert "Asia/Shanghai" in wb["应付明细"]["A3"].value  # generated at, zone named


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

"""The payment schedule PDF: parties, contract type and terms, the lines with due / overdue
marks and totals that are sums of the rounded lines, in Chinese (default) or English; another
tenant's project is 404."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from test_contracts_service import ESCO_NAME, actor_for, actual_lines, make_project

from emc import clock
from emc.contracts import service
from emc.reports import schedule_pdf


@pytest.fixture(autouse=True)
def _frozen_clock():
    # 2025-03-20 10:00 in Asia/Shanghai: the January line (due 2025-03-03) is overdue, the
    # February line (due 2025-03-31) is due soon, later lines are neither.
    clock.freeze(dt.datetime(2025, 3, 20, 2, 0, tzinfo=dt.UTC))
    yield
    clock.freeze(None)


def _text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    # Table cells wrap: join the lines so that a wrapped label reads as one.
    return re.sub(r"[ \t]+", " ", text).replace("\n", "")


def _pay_first_line(login_as, db_session, project) -> None:
    line = actual_lines(db_session, project)[0]
    url = f"/api/v1/payment-lines/{line.id}"
    f1, f2 = login_as("finance@school.demo"), login_as("finance2@school.demo")
    assert f1.post(f"{url}/prepare", json={"version": 1}).status_code == 200
    assert f2.post(f"{url}/approve", json={"version": 2}).status_code == 200
    paid = f1.post(
        f"{url}/pay", json={"version": 3, "paid_on": "2025-03-01", "payment_reference": "ICBC-9"}
    )
    assert paid.status_code == 200, paid.get_json()


def test_schedule_pdf_in_chinese_with_parties_terms_lines_and_totals(login_as, db_session):
    project = make_project(db_session)
    _pay_first_line(login_as, db_session, project)
    client = login_as("finance@school.demo")
    response = client.get(f"/api/v1/projects/{project.id}/schedule.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = _text(response.data)
    # Project and parties, contract type and key terms.
    for label in ("付款计划", project.name, "杭州市第一中学", ESCO_NAME, "节能量保证型"):
        assert label in text, label
    assert "1,250,000.00" in text  # total investment
    assert "3 年" in text and "2025-01-01" in text  # term
    # Column titles and line content.
    for label in ("期间", "类型", "付款方 → 收款方", "应付日期", "状态", "金额（元）", "合计"):
        assert label in text, label
    assert "公共机构 → 节能服务公司" in text
    assert "10,000.00" in text
    # 36 monthly fee lines of 10,000.00: the payable total is their sum.
    assert "360,000.00" in text
    assert "已付款" in text and "计划中" in text
    forecast = text.split("预测付款计划", 1)[1]
    # Forecast lines read 预测 (as on the page), never 计划中: they are not payable.
    assert "本部分暂无付款明细" not in forecast
    assert "预测" in forecast and "计划中" not in forecast
    # The January line is paid, so nothing is overdue; the February line is due on 2025-03-31.
    assert not re.search(r"\d{4}-\d\d-\d\d ?已逾期", text)
    assert re.search(r"2025-03-31 ?即将到期", text)
    assert len(re.findall(r"即将到期", text)) == 1
    assert "已付款：10,000.00元" in text.replace(" ", "")


def test_schedule_pdf_in_english(login_as, db_session):
    project = make_project(db_session)
    client = login_as("energy@school.demo")
    response = client.get(f"/api/v1/projects/{project.id}/schedule.pdf?lang=en")
    assert response.status_code == 200
    text = _text(response.data)
    for label in ("Payment schedule", "Guaranteed savings", "Payable lines", "Projected schedule"):
        assert label in text, label
    assert "Institution → ESCO" in text
    assert re.search(r"2025-03-03 ?overdue", text)  # the January line, unpaid
    assert re.search(r"2025-03-31 ?due soon", text)
    assert "360,000.00" in text


def test_totals_are_sums_of_rounded_lines(db_session):
    project = make_project(db_session)
    lines = service.list_lines(db_session, actor_for(db_session, "energy@school.demo"), project.id)
    actual = [x for x in lines if x.source.value == "actual"]
    projected = [x for x in lines if x.source.value == "projected"]
    # Make the rounding visible: thirds of a yuan, each line rounded to the fen.
    for line in actual[:3]:
        line.amount = (D(100) / 3).quantize(D("0.01"))  # 33.33
    data = schedule_pdf.build(
        project,
        None,
        lines,
        names={},
        today=dt.date(2025, 3, 20),
        locale="zh_CN",
    )
    text = _text(data)
    expected = D("33.33") * 3 + D("10000.00") * (len(actual) - 3)
    assert f"{expected:,.2f}" in text  # 330,099.99, not a rounded 330,100.00
    assert f"{schedule_pdf.total(projected):,.2f}" in text
    assert "尚未录入合同条款" in text


def test_due_marks():
    class Line:
        def __init__(self, due_on, status="scheduled"):
            self.due_on, self.status = due_on, status

    today = dt.date(2025, 3, 20)
    assert schedule_pdf.due_mark(Line(dt.date(2025, 3, 19)), today) == "overdue"
    assert schedule_pdf.due_mark(Line(dt.date(2025, 3, 20)), today) == "due"
    assert schedule_pdf.due_mark(Line(dt.date(2025, 4, 19)), today) == "due"
    assert schedule_pdf.due_mark(Line(dt.date(2025, 4, 20)), today) == ""
    assert schedule_pdf.due_mark(Line(dt.date(2025, 3, 1), "paid"), today) == ""


def test_other_tenant_gets_404(login_as, db_session):
    project = make_project(db_session)
    for email in ("energy@hospital.demo", "engineer@esco2.demo", "officer@ningbo.demo"):
        response = login_as(email).get(f"/api/v1/projects/{project.id}/schedule.pdf")
        assert response.status_code == 404, email
    assert (
        login_as("officer@hangzhou.demo")
        .get(f"/api/v1/projects/{project.id}/schedule.pdf")
        .status_code
        == 200
    )


def test_project_page_links_the_pdf(login_as, db_session):
    project = make_project(db_session)
    page = login_as("energy@school.demo").get(f"/projects/{project.id}")
    assert page.status_code == 200
    assert f'href="/api/v1/projects/{project.id}/schedule.pdf"' in page.get_data(as_text=True)

"""A schedule that runs both ways (a guaranteed-savings shortfall is paid by the ESCO to the
institution) is totalled per direction on the page, in the CSV, the workbook and the PDF, and
the finance queue names who pays whom: money owed one way is never added to money owed the
other way (a user read 1,331,317.41 as the school's total where the net was 1,319,379.67)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal as D

import openpyxl
from pypdf import PdfReader
from sqlalchemy import select

from emc.contracts import finance
from emc.contracts.models import PaymentLine


def _two_way_project(db_session):
    """The first project with payable lines, given a shortfall the ESCO pays the institution."""
    lines = db_session.scalars(
        select(PaymentLine)
        .where(PaymentLine.source == finance.LineSource.ACTUAL)
        .order_by(PaymentLine.project_id, PaymentLine.period_start)
    ).all()
    first = lines[0]
    shortfall = PaymentLine(
        project_id=first.project_id,
        key="actual:test:shortfall",
        source=finance.LineSource.ACTUAL,
        kind=finance.LineKind.SHORTFALL,
        component=first.component,
        contract_year=first.contract_year,
        period_start=first.period_start,
        period_end=first.period_end,
        due_on=first.due_on,
        payer=finance.Party.ESCO,
        payee=finance.Party.INSTITUTION,
        amount=D("1288.87"),
        basis={},
    )
    db_session.add(shortfall)
    db_session.flush()
    sums: dict[tuple, D] = {}
    for x in [*(x for x in lines if x.project_id == first.project_id), shortfall]:
        way = (x.payer.value, x.payee.value)
        sums[way] = sums.get(way, D(0)) + x.amount
    return first.project_id, sums


def test_page_exports_and_pdf_total_each_direction(login_as, db_session):
    project_id, sums = _two_way_project(db_session)
    assert ("esco", "institution") in sums and ("institution", "esco") in sums
    client = login_as("energy@school.demo")
    html = client.get(f"/projects/{project_id}?lang=zh").get_data(as_text=True)
    totals = html.split('data-testid="actual-totals">', 1)[1].split("</span>", 1)[0]
    assert f"公共机构 → 节能服务公司 {sums[('institution', 'esco')]:,.2f}" in totals
    assert f"节能服务公司 → 公共机构 {sums[('esco', 'institution')]:,.2f}" in totals
    assert f"{sum(sums.values()):,.2f}" not in totals  # never the two ways added up

    text = client.get(f"/api/v1/projects/{project_id}/schedule.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    amount = rows[0].index("金额（元）")
    captions = {r[2]: D(r[amount]) for r in rows if r[2].startswith("应付合计")}
    assert captions == {
        "应付合计（公共机构 → 节能服务公司）": sums[("institution", "esco")],
        "应付合计（节能服务公司 → 公共机构）": sums[("esco", "institution")],
    }

    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/api/v1/projects/{project_id}/schedule.xlsx").data)
    )
    cells = [c.value for row in book["应付明细"].iter_rows() for c in row]
    assert "应付合计（节能服务公司 → 公共机构）" in cells

    pdf = client.get(f"/api/v1/projects/{project_id}/schedule.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    flat = re.sub(r"\s+", "", text)  # a caption may wrap inside its cell
    assert "应付合计（公共机构→节能服务公司）" in flat
    assert "应付合计（节能服务公司→公共机构）" in flat
    assert f"{sums[('esco', 'institution')]:,.2f}" in text
    # A forecast line never reads as a payable one (计划中): it is not in the payment workflow.
    assert "计划中" not in flat.split("预测付款计划", 1)[1]


def test_the_finance_queue_names_payer_and_payee(login_as, db_session):
    project_id, _sums = _two_way_project(db_session)
    client = login_as("finance@school.demo")
    html = client.get(f"/finance/queue?view=all&project={project_id}&lang=zh").get_data(
        as_text=True
    )
    assert "付款方 → 收款方" in html
    assert 'data-testid="direction">节能服务公司 → 公共机构<' in html
    text = client.get(f"/finance/queue.csv?view=all&project={project_id}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    payer, payee = rows[0].index("付款方"), rows[0].index("收款方")
    assert ("节能服务公司", "公共机构") in {(r[payer], r[payee]) for r in rows[1:]}

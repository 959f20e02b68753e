"""Payment schedule downloads: CSV and a formatted XLSX a finance office opens as it is.

Data in, bytes out (no Flask, no queries). Amounts are the stored fen-rounded ``Decimal``
lines; the total row is their exact sum (a sum of rounded lines, never a rounded sum), written
as a value so that every reader shows it, including ones that do not recalculate formulas.
Column titles are Chinese: the finance office's working language.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from emc.contracts.models import EmcProject, PaymentLine

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"

KIND_ZH = {
    "shared_savings": "节能效益分享",
    "guarantee_fee": "节能量保证服务费",
    "shortfall": "节能量差额补偿",
    "excess_share": "超额节能效益分享",
    "custody_fee": "能源费用托管费",
    "om_fee": "运行维护费",
    "true_up": "费用调整",
    "lease_rent": "融资租赁租金",
    "lease_residual": "融资租赁留购价（残值）",
    "reconciliation": "节能量保证年度结算",
}
PARTY_ZH = {"institution": "公共机构", "esco": "节能服务公司", "lessor": "出租人"}
SOURCE_ZH = {"projected": "预测", "actual": "实际"}
STATUS_ZH = {
    "scheduled": "已排期",
    "prepared": "已制单",
    "approved": "已审批",
    "paid": "已支付",
    "on_hold": "暂停支付",
}

# (title, width)
COLUMNS = [
    ("序号", 6),
    ("来源", 8),
    ("合同年度", 9),
    ("组成部分", 16),
    ("款项类型", 18),
    ("期间开始", 12),
    ("期间结束(不含)", 14),
    ("应付日期", 12),
    ("付款方", 14),
    ("收款方", 14),
    ("金额(元)", 16),
    ("状态", 10),
    ("支付日期", 12),
    ("支付凭证号", 18),
    ("明细键", 48),
]
AMOUNT_COLUMN = 11  # 1-based, "金额(元)"


def _row(index: int, line: PaymentLine) -> list:
    return [
        index,
        SOURCE_ZH[line.source.value],
        line.contract_year,
        line.component,
        KIND_ZH.get(line.kind.value, line.kind.value),
        line.period_start,
        line.period_end,
        line.due_on,
        PARTY_ZH[line.payer.value],
        PARTY_ZH[line.payee.value],
        line.amount,
        STATUS_ZH[line.status.value],
        line.paid_on,
        line.payment_reference or "",
        line.key,
    ]


def total(lines: Sequence[PaymentLine]) -> Decimal:
    """Sum of the (already fen-rounded) line amounts."""
    return sum((line.amount for line in lines), Decimal("0.00"))


def _csv_value(value) -> object:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def schedule_csv(project: EmcProject, lines: Sequence[PaymentLine]) -> bytes:
    """The schedule as UTF-8 CSV with a BOM (so spreadsheet programs read the Chinese titles),
    amounts as plain decimals with two places, and a final total row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for title, _ in COLUMNS])
    for i, line in enumerate(lines, start=1):
        writer.writerow([_csv_value(v) for v in _row(i, line)])
    blank = [""] * len(COLUMNS)
    blank[0], blank[AMOUNT_COLUMN - 1] = "合计", f"{total(lines):.2f}"
    writer.writerow(blank)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def schedule_xlsx(project: EmcProject, lines: Sequence[PaymentLine]) -> bytes:
    """The schedule as an XLSX workbook: bold, frozen header; money as ``#,##0.00``; dates as
    dates; a total row holding the exact sum of the line amounts."""
    wb = Workbook()
    ws = wb.active
    ws.title = "付款计划"
    ws.append([title for title, _ in COLUMNS])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for col, (_, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for i, line in enumerate(lines, start=1):
        ws.append(_row(i, line))
        r = i + 1
        ws.cell(row=r, column=AMOUNT_COLUMN).number_format = MONEY_FORMAT
        for col in (6, 7, 8, 13):
            ws.cell(row=r, column=col).number_format = DATE_FORMAT
    total_row = len(lines) + 2
    ws.cell(row=total_row, column=1, value="合计").font = Font(bold=True)
    cell = ws.cell(row=total_row, column=AMOUNT_COLUMN, value=total(lines))
    cell.number_format = MONEY_FORMAT
    cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(total_row - 1, 1)}"
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = project.name
    wb.properties.title = f"{project.name} 付款计划"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

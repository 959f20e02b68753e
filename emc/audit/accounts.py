"""The audit workbook: the XLSX template auditors fill in, and the export of an audit's accounts.

One workbook serves both: sheet 说明 (instructions), 能耗 (consumption by carrier and month, from
bills; meter rows are exported for reference and skipped on import) and 节能措施 (ECMs). An
export read back with :func:`read_workbook` gives the same bill rows and ECMs. Columns marked
"computed" are written on export and ignored on import.

Reading validates every row and collects every problem, each named by sheet, row and column
(:class:`Problem`); the caller writes nothing unless the list is empty. Data in, bytes out: no
Flask, no database, and openpyxl only when a workbook is read or written (the web app starts
without it).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO

from emc import exports
from emc.contracts.finance import ContractType
from emc.energy import Carrier, UnitError, unit_for
from emc.messages import Text, msg

CONSUMPTION_SHEET = "能耗"
ECM_SHEET = "节能措施"
INSTRUCTIONS_SHEET = "说明"

CARRIER_ZH = {
    Carrier.ELECTRICITY: "电力",
    Carrier.NATURAL_GAS: "天然气",
    Carrier.DISTRICT_HEAT: "热力",
    Carrier.COAL: "原煤",
    Carrier.DIESEL: "柴油",
    Carrier.GASOLINE: "汽油",
    Carrier.LPG: "液化石油气",
    Carrier.FUEL_OIL: "燃料油",
    Carrier.WATER: "水",
    Carrier.PV_GENERATION: "光伏发电",
}
CATEGORY_ZH = {
    "lighting": "照明",
    "hvac": "暖通空调",
    "heat_pump": "热泵",
    "envelope": "围护结构",
    "pv": "光伏",
    "controls": "智能控制",
    "kitchen_electrification": "厨房电气化",
    "data_centre": "数据中心",
    "other": "其他",
}
CONTRACT_ZH = {
    ContractType.SHARED_SAVINGS: "节能效益分享型",
    ContractType.GUARANTEED_SAVINGS: "节能量保证型",
    ContractType.ENERGY_COST_CUSTODY: "能源费用托管型",
    ContractType.FINANCE_LEASE: "融资租赁型",
    ContractType.HYBRID: "混合型",
}
SOURCE_ZH = {"bill": "账单", "meter": "表计"}

# (title, width, computed)
CONSUMPTION_COLUMNS = [
    ("能源品种", 12, False),
    ("月份", 10, False),
    ("数量", 16, False),
    ("单位", 8, False),
    ("费用(元)", 16, False),
    ("来源", 8, False),
    ("备注", 24, False),
    ("折标准煤(tce)", 16, True),
    ("二氧化碳(tCO2)", 16, True),
]
ECM_COLUMNS = [
    ("措施名称", 24, False),
    ("类别", 12, False),
    ("描述", 40, False),
    ("涉及能源品种", 18, False),
    ("节能量能源品种", 14, False),
    ("年节能量", 14, False),
    ("节能量单位", 10, False),
    ("年节能量(tce)", 14, False),
    ("年减排量(tCO2)", 14, False),
    ("年节约费用(元)", 16, False),
    ("投资(元)", 16, False),
    ("推荐合同类型", 16, False),
    ("静态回收期(年)", 14, True),
]

INSTRUCTIONS = [
    "能源审计数据模板 (GB/T 17166)",
    "",
    "1. 工作表“能耗”：每行一个能源品种一个月的用量，取自能源账单。",
    "   能源品种：" + "、".join(CARRIER_ZH.values()) + "。",
    "   月份：YYYY-MM（如 2024-01），须在审计基准期内。",
    "   单位：如 kWh、度、m³、立方米、万m³、t、吨、kg、GJ、MJ，须与能源品种相符。",
    "   数量、费用：不小于零的数字；数量最多 3 位小数，费用最多 2 位小数（元）。",
    "   来源为“表计”的行由平台从计量表汇总而来，仅供参考，导入时跳过。",
    "2. 工作表“节能措施”：每行一项措施。",
    "   类别：" + "、".join(CATEGORY_ZH.values()) + "。",
    "   涉及能源品种：用顿号或逗号分隔。填写年节能量时须同时填写其能源品种和单位；",
    "   年节能量(tce)、年减排量(tCO2) 可留空，由平台按审计记录的折算系数计算。",
    "   推荐合同类型：" + "、".join(CONTRACT_ZH.values()) + "。",
    "3. 标有“计算值”的列仅供参考，导入时忽略。",
    "4. 导入会替换本审计全部账单能耗行和全部节能措施；任何一行有误则不导入任何数据，",
    "   并逐一列出出错的工作表、行和列。",
]

MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.###"


@dataclass(frozen=True)
class ConsumptionLine:
    carrier: str
    unit: str
    month: dt.date
    quantity: Decimal
    cost: Decimal | None
    source: str = "bill"
    note: str | None = None
    tce: Decimal | None = None
    tco2: Decimal | None = None


@dataclass(frozen=True)
class EcmLine:
    name: str
    category: str
    description: str = ""
    affected_carriers: tuple[str, ...] = ()
    savings_carrier: str | None = None
    savings_quantity: Decimal | None = None
    savings_unit: str | None = None
    savings_tce: Decimal | None = None
    savings_tco2: Decimal | None = None
    savings_money: Decimal | None = None
    investment: Decimal | None = None
    recommended_contract_type: str | None = None
    payback_years: Decimal | None = None


@dataclass(frozen=True)
class Problem:
    """One problem in an uploaded workbook: where (sheet, row, column) and what."""

    sheet: str
    row: int
    column: str
    title: str
    message: str  # a catalogue Text: said in the reader's language where it is shown

    @property
    def key(self) -> str:
        return f"{self.sheet}!{self.column}{self.row}"

    @property
    def text(self) -> Text:
        """Where and what, as a catalogue message ("能耗 第 38 行 B 列（月份）：……")."""
        return msg(
            "workbook.cell_problem",
            sheet=self.sheet,
            row=self.row,
            column=self.column,
            title=self.title,
            message=self.message,
        )

    def __str__(self) -> str:
        return str(self.text)


@dataclass
class ReadResult:
    consumption: list[ConsumptionLine] = field(default_factory=list)
    ecms: list[EcmLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- writing ------------------------------------------------------------------------------------


def write_workbook(
    consumption: Sequence[ConsumptionLine], ecms: Sequence[EcmLine], *, title: str = ""
) -> bytes:
    """The workbook with the given rows (none: an empty template)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    notes = wb.active
    notes.title = INSTRUCTIONS_SHEET
    notes.column_dimensions["A"].width = 100
    for i, text in enumerate(([title] if title else []) + INSTRUCTIONS, start=1):
        exports.put(notes, i, 1, text)
    notes["A1"].font = Font(bold=True)

    sheet = wb.create_sheet(CONSUMPTION_SHEET)
    _header(sheet, CONSUMPTION_COLUMNS)
    for r, line in enumerate(consumption, start=2):
        values = [
            CARRIER_ZH[Carrier(line.carrier)],
            f"{line.month:%Y-%m}",
            line.quantity,
            line.unit,
            line.cost,
            SOURCE_ZH[line.source],
            line.note,
            line.tce,
            line.tco2,
        ]
        for c, value in enumerate(values, start=1):
            fmt = MONEY_FORMAT if c == 5 else QUANTITY_FORMAT if c in (3, 8, 9) else None
            exports.put(sheet, r, c, value, fmt)

    sheet = wb.create_sheet(ECM_SHEET)
    _header(sheet, ECM_COLUMNS)
    for r, ecm in enumerate(ecms, start=2):
        values = [
            ecm.name,
            CATEGORY_ZH[ecm.category],
            ecm.description or None,
            "、".join(CARRIER_ZH[Carrier(c)] for c in ecm.affected_carriers) or None,
            CARRIER_ZH[Carrier(ecm.savings_carrier)] if ecm.savings_carrier else None,
            ecm.savings_quantity,
            ecm.savings_unit,
            ecm.savings_tce,
            ecm.savings_tco2,
            ecm.savings_money,
            ecm.investment,
            CONTRACT_ZH[ContractType(ecm.recommended_contract_type)]
            if ecm.recommended_contract_type
            else None,
            ecm.payback_years,
        ]
        for c, value in enumerate(values, start=1):
            exports.put(sheet, r, c, value, MONEY_FORMAT if c in (10, 11) else None)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _header(sheet, columns) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", fgColor="F2F4F7")
    computed_fill = PatternFill("solid", fgColor="E5E7EB")
    for c, (title, width, computed) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=c, value=title + (" 计算值" if computed else ""))
        cell.font = Font(bold=True)
        cell.fill = computed_fill if computed else fill
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "A2"


# --- reading ------------------------------------------------------------------------------------

_CARRIERS_BY_NAME = {
    **{zh: c.value for c, zh in CARRIER_ZH.items()},
    **{c.value: c.value for c in Carrier},
    "电": "electricity",
    "燃气": "natural_gas",
    "煤": "coal",
    "液化气": "lpg",
}
_CATEGORIES_BY_NAME = {**{zh: c for c, zh in CATEGORY_ZH.items()}, **{c: c for c in CATEGORY_ZH}}
_CONTRACTS_BY_NAME = {
    **{zh: t.value for t, zh in CONTRACT_ZH.items()},
    **{t.value: t.value for t in ContractType},
}
_SOURCES_BY_NAME = {**{zh: s for s, zh in SOURCE_ZH.items()}, **{s: s for s in SOURCE_ZH}}
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
_LIST_SPLIT = re.compile(r"[、,，;；\s]+")


class _Sheet:
    """Reads one sheet's rows and records problems against it."""

    def __init__(self, name: str, columns, result: ReadResult):
        self.name, self.columns, self.result = name, columns, result
        self.row = 1

    def problem(self, index: int, message: str) -> None:
        from openpyxl.utils import get_column_letter

        self.result.problems.append(
            Problem(
                self.name, self.row, get_column_letter(index + 1), self.columns[index][0], message
            )
        )

    def text(self, values, index: int, *, required: bool = False, max_length: int = 200):
        value = values[index] if index < len(values) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(index, msg("field.required"))
            return None
        # A text the export neutralised ('=…, see emc.exports) comes back as it was written.
        text = exports.restore(str(value).strip())
        if len(text) > max_length:
            self.problem(index, msg("workbook.too_long", n=max_length))
            return None
        return text

    def number(self, values, index: int, *, places: int, required: bool = False):
        value = values[index] if index < len(values) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(index, msg("field.required"))
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            self.problem(index, msg("workbook.not_a_number", value=repr(value)))
            return None
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            self.problem(index, msg("workbook.not_a_number", value=repr(str(value))))
            return None
        if not number.is_finite() or number < 0:
            self.problem(index, msg("workbook.negative"))
            return None
        if number.as_tuple().exponent < -places:
            self.problem(index, msg("field.decimal_places", places=places))
            return None
        return number

    def choice(self, values, index: int, names: dict[str, str], *, required: bool = False):
        text = self.text(values, index, required=required)
        if text is None:
            return None
        found = names.get(text) or names.get(text.lower())
        if found is None:
            self.problem(index, msg("workbook.unknown_value", value=repr(text)))
        return found


def read_workbook(stream: IO[bytes], *, period_start: dt.date, period_end: dt.date) -> ReadResult:
    """Read and validate an uploaded workbook; ``problems`` lists everything wrong.

    Months must lie in ``[period_start, period_end)``. Rows whose cells are all empty are
    skipped, and so are 能耗 rows whose 来源 is 表计 (meter totals come from the meters).
    """
    from openpyxl import load_workbook

    result = ReadResult()
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        result.problems.append(Problem("-", 1, "A", "-", "not an XLSX workbook"))
        return result
    try:
        for name in (CONSUMPTION_SHEET, ECM_SHEET):
            if name not in wb.sheetnames:
                result.problems.append(Problem(name, 1, "A", "-", "sheet missing"))
        if result.problems:
            return result
        _read_consumption(wb[CONSUMPTION_SHEET], result, period_start, period_end)
        _read_ecms(wb[ECM_SHEET], result)
    finally:
        wb.close()
    return result


def _rows(ws, sheet: _Sheet) -> list[tuple[int, tuple]]:
    rows = []
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if r == 1:
            sheet.row = 1
            for i, (title, _w, _c) in enumerate(sheet.columns):
                got = values[i] if i < len(values) else None
                if got is None or not str(got).strip().startswith(title):
                    sheet.problem(i, msg("workbook.header", title=repr(title)))
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        rows.append((r, values))
    return rows


def _read_consumption(ws, result: ReadResult, start: dt.date, end: dt.date) -> None:
    sheet = _Sheet(CONSUMPTION_SHEET, CONSUMPTION_COLUMNS, result)
    for r, values in _rows(ws, sheet):
        sheet.row = r
        source = sheet.choice(values, 5, _SOURCES_BY_NAME) or "bill"
        if source == "meter":
            continue
        carrier = sheet.choice(values, 0, _CARRIERS_BY_NAME, required=True)
        month = _month(sheet, values, start, end)
        quantity = sheet.number(values, 2, places=3, required=True)
        unit_text = sheet.text(values, 3, required=True, max_length=20)
        unit = None
        if unit_text is not None and carrier is not None:
            try:
                unit = unit_for(carrier, unit_text).value
            except UnitError as error:
                sheet.problem(3, error.args[0])
        cost = sheet.number(values, 4, places=2)
        note = sheet.text(values, 6, max_length=200)
        if None not in (carrier, month, quantity, unit):
            result.consumption.append(
                ConsumptionLine(carrier, unit, month, quantity, cost, "bill", note)
            )


def _month(sheet: _Sheet, values, start: dt.date, end: dt.date) -> dt.date | None:
    value = values[1] if len(values) > 1 else None
    if value is None or (isinstance(value, str) and not value.strip()):
        sheet.problem(1, msg("field.required"))
        return None
    month = None
    if isinstance(value, dt.datetime | dt.date):
        month = dt.date(value.year, value.month, 1)
    else:
        match = _MONTH.match(str(value))
        if match and 1 <= int(match.group(2)) <= 12:
            month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if month is None:
        sheet.problem(1, msg("workbook.month_format", value=repr(str(value))))
        return None
    if not start <= month < end:
        last = (end - dt.timedelta(days=1)).strftime("%Y-%m")
        sheet.problem(
            1,
            msg(
                "workbook.outside_period",
                month=f"{month:%Y-%m}",
                start=f"{start:%Y-%m}",
                end=last,
            ),
        )
        return None
    return month


def _read_ecms(ws, result: ReadResult) -> None:
    sheet = _Sheet(ECM_SHEET, ECM_COLUMNS, result)
    for r, values in _rows(ws, sheet):
        sheet.row = r
        before = len(result.problems)
        name = sheet.text(values, 0, required=True)
        category = sheet.choice(values, 1, _CATEGORIES_BY_NAME, required=True)
        description = sheet.text(values, 2, max_length=2000) or ""
        affected: list[str] = []
        listed = sheet.text(values, 3, max_length=200)
        for part in _LIST_SPLIT.split(listed or ""):
            if not part:
                continue
            carrier = _CARRIERS_BY_NAME.get(part) or _CARRIERS_BY_NAME.get(part.lower())
            if carrier is None:
                sheet.problem(3, msg("workbook.unknown_value", value=repr(part)))
            elif carrier not in affected:
                affected.append(carrier)
        savings_carrier = sheet.choice(values, 4, _CARRIERS_BY_NAME)
        quantity = sheet.number(values, 5, places=3)
        unit_text = sheet.text(values, 6, max_length=20)
        unit = None
        if quantity is not None:
            if savings_carrier is None and sheet.text(values, 4) is None:
                sheet.problem(4, msg("workbook.required_with_saving"))
            if unit_text is None:
                sheet.problem(6, msg("workbook.required_with_saving"))
        if unit_text is not None and savings_carrier is not None:
            try:
                unit = unit_for(savings_carrier, unit_text).value
            except UnitError as error:
                sheet.problem(6, error.args[0])
        tce = sheet.number(values, 7, places=3)
        tco2 = sheet.number(values, 8, places=3)
        money = sheet.number(values, 9, places=2)
        investment = sheet.number(values, 10, places=2)
        contract = sheet.choice(values, 11, _CONTRACTS_BY_NAME)
        if len(result.problems) == before:
            result.ecms.append(
                EcmLine(
                    name=name,
                    category=category,
                    description=description,
                    affected_carriers=tuple(affected),
                    savings_carrier=savings_carrier,
                    savings_quantity=quantity,
                    savings_unit=unit,
                    savings_tce=tce,
                    savings_tco2=tco2,
                    savings_money=money,
                    investment=investment,
                    recommended_contract_type=contract,
                )
            )

"""The audit workbook: the template round-trips, and bad rows are named exactly with nothing
written."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from emc.audit import accounts, service
from emc.contracts.finance import ContractType
from emc.errors import Invalid
from tests.audit.test_audit_service import actor, bill, commission


def _bills(session, who, audit_id):
    return sorted(
        (r.carrier.value, r.unit, r.month, r.quantity, r.cost, r.note)
        for r in service.list_consumption(session, who, audit_id)
        if r.source.value == "bill"
    )


def _ecms(session, who, audit_id):
    return [
        (
            e.name,
            e.category,
            e.description,
            e.affected_carriers,
            e.savings_carrier,
            e.savings_quantity,
            e.savings_unit,
            e.savings_tce,
            e.savings_tco2,
            e.savings_money,
            e.investment,
            e.recommended_contract_type,
        )
        for e in service.list_ecms(session, who, audit_id)
    ]


@pytest.fixture
def filled(db_session):
    auditor = actor(db_session, "auditor@auditor.demo")
    audit = commission(db_session)
    service.add_bills(
        db_session,
        auditor,
        audit.id,
        [
            bill("electricity", "kWh", "12345.678", cost="9876.54"),
            bill("natural_gas", "万m³", "0.125", month=dt.date(2023, 12, 1)),
            {**bill("coal", "t", "3"), "note": "锅炉房"},
        ],
    )
    service.add_ecm(
        db_session,
        auditor,
        audit.id,
        name="LED 改造",
        category="lighting",
        description="全部教室",
        affected_carriers=["electricity"],
        savings_carrier="electricity",
        savings_quantity=D("180000"),
        savings_unit="kWh",
        savings_money=D("115000.00"),
        investment=D("260000.00"),
        recommended_contract_type=ContractType.SHARED_SAVINGS,
    )
    service.add_ecm(
        db_session,
        auditor,
        audit.id,
        name="外窗",
        category="envelope",
        affected_carriers=["electricity", "natural_gas"],
        savings_tce=D("1.5"),
    )
    return auditor, audit


def test_export_then_import_gives_the_same_data(db_session, filled):
    auditor, audit = filled
    data = service.export_workbook(db_session, auditor, audit.id)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["说明", "能耗", "节能措施"]
    assert [c.value for c in wb["能耗"][1]][:4] == ["能源品种", "月份", "数量", "单位"]
    assert wb["能耗"]["A2"].value == "原煤" and wb["节能措施"]["B2"].value == "照明"

    other = commission(db_session, title="另一审计")
    service.import_workbook(db_session, auditor, other.id, io.BytesIO(data))
    assert _bills(db_session, auditor, other.id) == _bills(db_session, auditor, audit.id)
    assert _ecms(db_session, auditor, other.id) == _ecms(db_session, auditor, audit.id)
    # Importing into the same audit replaces, so nothing changes either.
    result = service.import_workbook(db_session, auditor, audit.id, io.BytesIO(data))
    assert result == {"bill_rows": 3, "ecms": 2, "replaced_ecms": 2}
    assert _bills(db_session, auditor, other.id) == _bills(db_session, auditor, audit.id)


def test_meter_rows_are_exported_for_reference_and_skipped_on_import(db_session):
    auditor = actor(db_session, "auditor@auditor.demo")
    audit = commission(db_session, period_start=dt.date(2024, 1, 1), period_end=dt.date(2025, 1, 1))
    meters = service.consumption_from_meters(db_session, auditor, audit.id)
    data = service.export_workbook(db_session, auditor, audit.id)
    sheet = load_workbook(io.BytesIO(data))["能耗"]
    assert {sheet.cell(row=r, column=6).value for r in range(2, sheet.max_row + 1)} == {"表计"}
    assert (
        service.import_workbook(db_session, auditor, audit.id, io.BytesIO(data))["bill_rows"] == 0
    )
    assert len(service.list_consumption(db_session, auditor, audit.id)) == len(meters)


def _template(consumption_rows, ecm_rows) -> bytes:
    wb = load_workbook(io.BytesIO(accounts.write_workbook([], [])))
    for row in consumption_rows:
        wb["能耗"].append(row)
    for row in ecm_rows:
        wb["节能措施"].append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_bad_rows_are_named_by_sheet_row_and_column_and_nothing_is_written(db_session, filled):
    auditor, audit = filled
    before = (_bills(db_session, auditor, audit.id), _ecms(db_session, auditor, audit.id))
    data = _template(
        [
            ["电力", "2023-01", 100, "kWh", 80, None, None],  # fine
            ["电力", "2024-01", 100, "kWh"],  # outside the period
            ["天然气", "2023-02", "abc", "kWh", -1],  # quantity, unit, cost
            ["蒸汽", "2023/13", 1.2345, "t"],  # carrier, month, decimals
            [None, None, None, None, None, None, "只有备注"],  # all required missing
        ],
        [
            [
                "LED",
                "照明",
                None,
                "电力、煤气",
                "电力",
                1000,
                None,
                None,
                None,
                12.345,
                None,
                "托管型",
            ],
        ],
    )
    with pytest.raises(Invalid) as error:
        service.import_workbook(db_session, auditor, audit.id, io.BytesIO(data))
    assert error.value.fields == {
        "能耗!B3": [
            "能耗 row 3, column B (月份): 2024-01 is outside the base period 2023-01 to 2023-12"
        ],
        "能耗!C4": ["能耗 row 4, column C (数量): must be a number, not 'abc'"],
        "能耗!D4": [
            "能耗 row 4, column D (单位): the unit kWh does not fit Natural gas "
            "(accepted: m³, 万m³)"
        ],
        "能耗!E4": ["能耗 row 4, column E (费用(元)): must be a number not below zero"],
        "能耗!A5": ["能耗 row 5, column A (能源品种): unknown value '蒸汽'"],
        "能耗!B5": ["能耗 row 5, column B (月份): must be a month like 2024-01, not '2023/13'"],
        "能耗!C5": ["能耗 row 5, column C (数量): at most 3 decimal places"],
        "能耗!A6": ["能耗 row 6, column A (能源品种): required"],
        "能耗!B6": ["能耗 row 6, column B (月份): required"],
        "能耗!C6": ["能耗 row 6, column C (数量): required"],
        "能耗!D6": ["能耗 row 6, column D (单位): required"],
        "节能措施!D2": ["节能措施 row 2, column D (涉及能源品种): unknown value '煤气'"],
        "节能措施!G2": [
            "节能措施 row 2, column G (节能量单位): required with an annual energy saving"
        ],
        "节能措施!J2": ["节能措施 row 2, column J (年节约费用(元)): at most 2 decimal places"],
        "节能措施!L2": ["节能措施 row 2, column L (推荐合同类型): unknown value '托管型'"],
    }
    assert error.value.message_code == "file.problems" and error.value.params == {"count": 15}
    assert (_bills(db_session, auditor, audit.id), _ecms(db_session, auditor, audit.id)) == before


def test_a_file_that_is_not_a_workbook_or_lacks_a_sheet_is_refused(db_session, filled):
    auditor, audit = filled
    with pytest.raises(Invalid) as error:
        service.import_workbook(db_session, auditor, audit.id, io.BytesIO(b"not a zip"))
    assert error.value.fields == {"-!A1": ["- row 1, column A (-): not an XLSX workbook"]}
    wb = load_workbook(io.BytesIO(accounts.write_workbook([], [])))
    del wb["节能措施"]
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(Invalid) as error:
        service.import_workbook(db_session, auditor, audit.id, io.BytesIO(buffer.getvalue()))
    assert error.value.fields == {"节能措施!A1": ["节能措施 row 1, column A (-): sheet missing"]}


def test_workbook_upload_through_the_api(db_session, login_as, filled):
    auditor, audit = filled
    c = login_as("auditor@auditor.demo")
    data = c.get(f"/api/v1/audits/{audit.id}/workbook.xlsx").data
    ok = c.post(
        f"/api/v1/audits/{audit.id}/workbook",
        data={"file": (io.BytesIO(data), "audit.xlsx")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 200 and ok.get_json() == {
        "bill_rows": 3,
        "ecms": 2,
        "replaced_ecms": 2,
    }
    bad = c.post(
        f"/api/v1/audits/{audit.id}/workbook",
        data={"file": (io.BytesIO(_template([["电力", "2023-01", "x", "kWh"]], [])), "a.xlsx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["fields"] == {
        "能耗!C2": ["能耗 row 2, column C (数量): must be a number, not 'x'"]
    }


def test_the_audit_page_says_workbook_problems_in_chinese(db_session, login_as, filled):
    """能耗 row 38, column B (月份): 2024-12 is outside the base period … on a Chinese page."""
    _auditor, audit = filled
    c = login_as("auditor@auditor.demo")
    bad = _template([["电力", "2024-01", 100, "kWh"], ["天然气", "2023-02", 5, "kWh"]], [])
    page = c.post(
        f"/audits/{audit.id}/workbook",
        data={"file": (io.BytesIO(bad), "a.xlsx")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "zh-CN"},
    ).get_data(as_text=True)
    assert "能耗 第 2 行，B 列（月份）：2024-01 不在基准期 2023-01 至 2023-12 之内" in page
    assert "能耗 第 3 行，D 列（单位）：" in page and "天然气" in page
    assert "outside the base period" not in page and " row " not in page

"""Every CSV/XLSX/PDF download goes through emc.exports: typed cells, the BOM, one charset, RFC
5987 file names and the OWASP CSV-injection rule (a cell that starts with = + - @ tab or CR is
neutralised, in CSV and XLSX alike; numbers stay numbers)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from emc import exports
from emc.exports import Column, Kind, Table

ROOT = Path(__file__).resolve().parent.parent / "emc"
HYPERLINK = '=HYPERLINK("http://x","y")'


def _table(name: str = HYPERLINK) -> Table:
    return Table(
        [
            Column("名称"),
            Column("金额(元)", Kind.MONEY),
            Column("日期", Kind.DATE),
            Column("时间", Kind.DATETIME),
            Column("数量", Kind.DECIMAL, places=3),
        ],
        [
            [
                name,
                D("-1234.5"),
                dt.date(2026, 1, 31),
                dt.datetime(2026, 1, 31, 16, 5, tzinfo=dt.UTC),
                D("1.250"),
            ],
            ["+1", D("0"), None, None, None],
        ],
        totals=[["合计", D("-1234.50"), None, None, None]],
    )


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", HYPERLINK, "'=1", "''+1"]
)
def test_formula_like_text_is_neutralised(text):
    assert exports.neutralise(text) == "'" + text
    assert exports.restore(exports.neutralise(text)) == text


@pytest.mark.parametrize("text", ["'abc", "a=b", "", "1-2", "项目"])
def test_other_text_is_left_as_it_is(text):
    assert exports.neutralise(text) == text == exports.restore(text)


@given(st.text())
def test_neutralised_text_never_starts_with_a_formula_character(text):
    out = exports.neutralise(text)
    assert not out.startswith(exports.FORMULA_PREFIXES)
    if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):
        assert exports.restore(out) == text


def test_csv_has_a_bom_crlf_typed_numbers_and_neutralised_text():
    data = exports.csv_bytes(_table(), zone="Asia/Shanghai")
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8").lstrip("\ufeff")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["名称", "金额(元)", "日期", "时间", "数量"]
    # Text neutralised; a negative amount is a number, untouched; the instant in the zone.
    assert rows[1] == ["'" + HYPERLINK, "-1234.50", "2026-01-31", "2026-02-01 00:05", "1.250"]
    assert rows[2][:2] == ["'+1", "0.00"]
    assert rows[3][:2] == ["合计", "-1234.50"]


def test_xlsx_cells_are_typed_and_never_formulas():
    data = exports.xlsx_bytes([_table()], zone="Asia/Shanghai")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    name = sheet.cell(row=2, column=1)
    assert name.value == "'" + HYPERLINK and name.data_type == "s"
    amount = sheet.cell(row=2, column=2)
    assert amount.data_type == "n" and D(str(amount.value)) == D("-1234.50")
    assert amount.number_format == "#,##0.00"
    assert sheet.cell(row=2, column=3).value == dt.datetime(2026, 1, 31)
    assert sheet.cell(row=2, column=3).number_format == "yyyy-mm-dd"
    assert sheet.cell(row=2, column=4).value == dt.datetime(2026, 2, 1, 0, 5)
    assert sheet.cell(row=3, column=1).value == "'+1"
    assert sheet.cell(row=4, column=1).font.bold
    # No cell of the workbook is a formula.
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    # Raw XML check: no <f> element anywhere.
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.endswith(".xml"))


def test_write_only_workbook_neutralises_too():
    data = exports.xlsx_bytes([_table()], write_only=True)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.cell(row=2, column=1).value == "'" + HYPERLINK


def test_control_characters_are_dropped_not_a_server_error():
    data = exports.xlsx_bytes([_table("名称\x00\x07")])
    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == "名称"


def test_content_disposition_carries_an_ascii_fallback_and_the_utf8_name():
    value = exports.content_disposition("付款计划 2026.xlsx")
    assert value.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E4%BB%98%E6%AC%BE%E8%AE%A1%E5%88%92%202026.xlsx" in value
    assert exports.content_disposition("a.csv") == 'attachment; filename="a.csv"'
    assert exports.content_disposition("x.pdf", inline=True) == 'inline; filename="x.pdf"'
    assert exports.content_disposition('a"b.csv') == (
        "attachment; filename=\"a_b.csv\"; filename*=UTF-8''a%22b.csv"
    )


# --- every export route -----------------------------------------------------------------------


def test_no_module_writes_csv_or_xlsx_outside_the_helper():
    """Writers of spreadsheet files live in emc/exports.py; the audit template lays out its own
    sheets but writes every cell through exports.put; facilities turns API rows into the CSV
    its importer reads (an input, not a download)."""
    allowed = {
        ROOT / "exports.py",
        ROOT / "facilities" / "service" / "uploads.py",
    }
    offenders = []
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path not in allowed and "csv.writer(" in text:
            offenders.append(f"{path}: csv.writer")
        if path != ROOT / "exports.py" and re.search(
            r"mimetype=\"(text/csv|application/pdf)", text
        ):
            offenders.append(f"{path}: a download built by hand")
        if (
            ".cell(row=" in text
            and "value=" in text
            and path.name != "exports.py"
            and "exports.put" not in text
        ):
            offenders.append(f"{path}: cells written without exports.put")
    assert offenders == []


def _ids(db_session):
    from emc.audit.models import EnergyAudit
    from emc.auth.models import Organization
    from emc.contracts.models import EmcProject
    from emc.facilities.models import Meter, Site
    from emc.mv.models import Baseline, MvReport, ReportStatus

    school = db_session.scalar(
        select(Organization.id).where(Organization.name_zh == "杭州市第一中学")
    )
    report = db_session.scalar(
        select(MvReport)
        .join(EmcProject, EmcProject.id == MvReport.project_id)
        .where(MvReport.status == ReportStatus.ACCEPTED, EmcProject.organization_id == school)
        .order_by(MvReport.id)
    )
    baseline = db_session.get(Baseline, report.baseline_id)
    audit = db_session.scalar(
        select(EnergyAudit.id).where(EnergyAudit.organization_id == school).order_by(EnergyAudit.id)
    )
    meter = db_session.scalar(
        select(Meter.id).join(Site, Site.id == Meter.site_id).where(Site.organization_id == school)
    )
    return {
        "project": report.project_id,
        "report": report.id,
        "baseline": baseline.id,
        "audit": audit,
        "meter": meter,
    }


EXPORT_URLS = {
    # route → (user, url template, content type)
    "/readings/template-<any(interval, register, billing):kind>.csv": (
        "energy@school.demo",
        "/readings/template-interval.csv",
        exports.CSV_TYPE,
    ),
    "/api/v1/projects/<int:project_id>/schedule.csv": (
        "finance@school.demo",
        "/api/v1/projects/{project}/schedule.csv",
        exports.CSV_TYPE,
    ),
    "/api/v1/projects/<int:project_id>/schedule.xlsx": (
        "finance@school.demo",
        "/api/v1/projects/{project}/schedule.xlsx",
        exports.XLSX_TYPE,
    ),
    "/api/v1/projects/<int:project_id>/schedule.pdf": (
        "finance@school.demo",
        "/api/v1/projects/{project}/schedule.pdf",
        exports.PDF_TYPE,
    ),
    "/api/v1/programme/projects.csv": (
        "officer@zhejiang.demo",
        "/api/v1/programme/projects.csv",
        exports.CSV_TYPE,
    ),
    "/api/v1/programme/projects.xlsx": (
        "officer@zhejiang.demo",
        "/api/v1/programme/projects.xlsx",
        exports.XLSX_TYPE,
    ),
    "/programme/summary.pdf": ("officer@zhejiang.demo", "/programme/summary.pdf", exports.PDF_TYPE),
    "/api/v1/audits/<int:audit_id>/workbook.xlsx": (
        "energy@school.demo",
        "/api/v1/audits/{audit}/workbook.xlsx",
        exports.XLSX_TYPE,
    ),
    "/api/v1/audits/<int:audit_id>/report.pdf": (
        "energy@school.demo",
        "/api/v1/audits/{audit}/report.pdf",
        exports.PDF_TYPE,
    ),
    "/api/v1/meters/<int:meter_id>/readings.csv": (
        "energy@school.demo",
        "/api/v1/meters/{meter}/readings.csv",
        exports.CSV_TYPE,
    ),
    "/api/v1/projects/<int:project_id>/baselines/<int:baseline_id>.pdf": (
        "energy@school.demo",
        "/api/v1/projects/{project}/baselines/{baseline}.pdf",
        exports.PDF_TYPE,
    ),
    "/api/v1/projects/<int:project_id>/mv-reports/<int:report_id>.pdf": (
        "energy@school.demo",
        "/api/v1/projects/{project}/mv-reports/{report}.pdf",
        exports.PDF_TYPE,
    ),
}


def test_every_download_route_answers_through_the_helper(app, login_as, db_session):
    routes = {
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.endswith((".csv", ".xlsx", ".pdf")) and "GET" in r.methods
    }
    assert routes == set(EXPORT_URLS), "a download route without a row here"
    ids = _ids(db_session)
    for _rule, (user, template, content_type) in EXPORT_URLS.items():
        url = template.format(**ids)
        response = login_as(user).get(url)
        assert response.status_code == 200, (url, response.status_code)
        # Headers only emc.exports.Download sets: charset once, nosniff, no shared cache.
        assert response.headers["Content-Type"] == content_type, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert "no-store" in response.headers["Cache-Control"], url
        assert "filename=" in response.headers["Content-Disposition"], url
        if content_type == exports.CSV_TYPE:
            assert response.get_data().startswith("\ufeff".encode()), url


def test_a_formula_project_name_reaches_the_agency_exports_neutralised(login_as, db_session):
    from emc.contracts.models import EmcProject

    client = login_as("officer@zhejiang.demo")
    first = client.get("/api/v1/programme/projects.csv").get_data(as_text=True).splitlines()[1]
    project = db_session.get(EmcProject, int(first.split(",")[0]))
    project.name = HYPERLINK  # as an institution may name its project
    db_session.flush()
    text = client.get("/api/v1/programme/projects.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    names = [r[1] for r in rows[1:]]
    assert "'" + HYPERLINK in names and HYPERLINK not in names
    data = client.get("/api/v1/programme/projects.xlsx").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    named = [c for c in cells if c.value and "HYPERLINK" in c.value]
    assert [c.value for c in named] == ["'" + HYPERLINK]
    assert named[0].data_type == "s"


def test_programme_exports_carry_labels_region_names_and_verified_savings(login_as, db_session):
    client = login_as("officer@zhejiang.demo")
    text = client.get("/api/v1/programme/projects.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows[0]
    for title in (
        "地区",
        "项目状态",
        "合同类型",
        "核定节能量（吨标准煤）",
        "核定减排量（吨二氧化碳）",
    ):
        assert title in header, title
    body = rows[1:]
    raw = {"electricity", "shared_savings", "esco", "operating", "signed", "counted", "school"}
    assert not raw & {cell for row in body for cell in row}
    region = header.index("地区")
    assert all(r[region] and not r[region].isdigit() for r in body)
    tce = header.index("核定节能量（吨标准煤）")
    assert any(r[tce] and D(r[tce]) > 0 for r in body)
    english = client.get("/api/v1/programme/projects.csv?lang=en").get_data(as_text=True)
    assert "Verified savings (tce)" in english.splitlines()[0]


def test_the_audit_template_neutralises_and_reads_back_the_same_names():
    from emc.audit import accounts

    ecm = accounts.EcmLine(name="=cmd|' /C calc'!A0", category="lighting", description="-2 台")
    data = accounts.write_workbook([], [ecm], title="@审计")
    book = openpyxl.load_workbook(io.BytesIO(data))
    cell = book[accounts.ECM_SHEET]["A2"]
    assert cell.value == "'=cmd|' /C calc'!A0" and cell.data_type == "s"
    assert book[accounts.INSTRUCTIONS_SHEET]["A1"].value == "'@审计"
    result = accounts.read_workbook(
        io.BytesIO(data), period_start=dt.date(2024, 1, 1), period_end=dt.date(2025, 1, 1)
    )
    assert result.problems == []
    assert result.ecms[0].name == "=cmd|' /C calc'!A0"
    assert result.ecms[0].description == "-2 台"


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_any_text_reads_back_from_the_csv_as_written(cells):
    table = Table([Column(f"c{i}") for i in range(len(cells))], [cells])
    text = exports.csv_bytes(table).decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    clean = [re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", c) for c in cells]
    assert [exports.restore(c) for c in rows[1]] == clean
    assert not any(c.startswith(exports.FORMULA_PREFIXES) for c in rows[1])


def test_a_document_is_named_as_people_save_it_with_a_readable_ascii_fallback():
    name = exports.document_name(
        "一中/暖通: 改造", "测量与验证报告", "2024-12-01–2024-12-31", "v1", ext="pdf"
    )
    assert name == "一中 暖通 改造-测量与验证报告-2024-12-01–2024-12-31-v1.pdf"
    value = exports.content_disposition(name, inline=True)
    assert value.startswith('inline; filename="2024-12-01_2024-12-31-v1.pdf"; filename*=UTF-8')
    assert 'filename="download.pdf"' in exports.content_disposition("付款计划.pdf")
    assert 'filename="Cafe_report.xlsx"' in exports.content_disposition("Café report.xlsx")


def test_documents_download_under_their_project_and_kind(login_as, db_session):
    """mv-report-10-2024-12-01-v1.pdf told a user nothing; the file is named as the page is."""
    from urllib.parse import unquote

    from emc.mv.models import MvReport, ReportStatus

    report = db_session.scalar(
        select(MvReport).where(MvReport.status == ReportStatus.ACCEPTED).limit(1)
    )
    client = login_as("energy@school.demo")
    response = client.get(f"/api/v1/projects/{report.project_id}/mv-reports/{report.id}.pdf")
    name = unquote(response.headers["Content-Disposition"].split("UTF-8''")[1])
    assert name.startswith("一中暖通空调节能改造-测量与验证报告-")
    assert name.endswith(f"-v{report.version}.pdf")
    schedule = client.get(f"/api/v1/projects/{report.project_id}/schedule.pdf")
    assert "付款计划：一中暖通空调节能改造.pdf" in unquote(schedule.headers["Content-Disposition"])

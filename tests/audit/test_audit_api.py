"""The audit API and pages end to end: commission, record, submit, accept, figures, report,
proposal; quotas."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import select

from emc.auth.models import Organization
from emc.facilities.models import Site
from tests.audit.test_audit_service import actor


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _ids(db_session):
    school = actor(db_session, "energy@school.demo").organization_id
    site = db_session.scalar(select(Site.id).where(Site.organization_id == school))
    auditor = db_session.scalar(
        select(Organization.id).where(Organization.name_zh == "浙江节能审计中心")
    )
    return site, auditor


def test_the_audit_workflow_through_the_api(db_session, login_as):
    site, auditor_org = _ids(db_session)
    school = login_as("energy@school.demo")
    created = school.post(
        "/api/v1/audits",
        json={
            "title": "API 审计",
            "auditor_organization_id": auditor_org,
            "level": 3,
            "period_start": "2023-01-01",
            "period_end": "2024-01-01",
            "site_ids": [site],
        },
    )
    assert created.status_code == 201, created.get_json()
    audit_id = created.get_json()["id"]
    auditor = login_as("auditor@auditor.demo")
    rows = auditor.post(
        f"/api/v1/audits/{audit_id}/consumption",
        json={
            "rows": [
                {
                    "carrier": "electricity",
                    "unit": "kWh",
                    "month": "2023-05-01",
                    "quantity": "100000",
                    "cost": "80000.00",
                },
                {"carrier": "natural_gas", "unit": "m³", "month": "2023-05-01", "quantity": "1000"},
            ]
        },
    )
    assert rows.status_code == 201 and len(rows.get_json()) == 2
    figures = school.get(f"/api/v1/audits/{audit_id}/figures").get_json()
    # May alone is recorded: no verdict against an annual quota until every month is.
    assert figures["quota"] is None and len(figures["missing_months"]) == 11
    assert "2023-05" not in figures["missing_months"]
    months = [f"2023-{m:02d}-01" for m in range(1, 13) if m != 5]
    rows = [{"carrier": "electricity", "unit": "kWh", "month": m, "quantity": "0"} for m in months]
    filled = auditor.post(f"/api/v1/audits/{audit_id}/consumption", json={"rows": rows})
    assert filled.status_code == 201, filled.get_json()
    figures = school.get(f"/api/v1/audits/{audit_id}/figures").get_json()
    assert figures["missing_months"] == []
    bad = auditor.post(
        f"/api/v1/audits/{audit_id}/consumption",
        json={
            "rows": [
                {
                    "carrier": "electricity",
                    "unit": "kWh",
                    "month": "2023-05-01",
                    "quantity": "1.0001",
                }
            ]
        },
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["fields"] == {
        "rows": {"0": {"quantity": ["at most 3 decimal places"]}}
    }
    patched = auditor.patch(
        f"/api/v1/audits/{audit_id}",
        json={
            "occupants": 100,
            "end_use_split": {"hvac": "60", "lighting_sockets": "40"},
            "conclusions": "建议照明改造",
        },
    )
    assert patched.status_code == 200, patched.get_json()
    ecm = auditor.post(
        f"/api/v1/audits/{audit_id}/ecms",
        json={
            "name": "LED",
            "category": "lighting",
            "savings_carrier": "electricity",
            "savings_quantity": "20000",
            "savings_unit": "kWh",
            "savings_money": "16000.00",
            "investment": "40000.00",
            "recommended_contract_type": "shared_savings",
        },
    )
    assert ecm.status_code == 201
    assert (ecm.get_json()["savings_tce"], ecm.get_json()["payback_years"]) == ("2.458", "2.50")
    seen = school.get(f"/api/v1/audits/{audit_id}").get_json()["row_version"]
    accept = school.post(f"/api/v1/audits/{audit_id}/accept", json={"row_version": seen})
    assert accept.status_code == 409
    assert auditor.post(f"/api/v1/audits/{audit_id}/accept", json={}).status_code == 422
    submitted = auditor.post(f"/api/v1/audits/{audit_id}/submit", json={"row_version": seen})
    assert submitted.status_code == 200
    # A decision on the version seen before the submission is refused: it changed since.
    stale = school.post(f"/api/v1/audits/{audit_id}/accept", json={"row_version": seen})
    assert stale.status_code == 409 and "version" in stale.get_json()["error"]["fields"]

    figures = school.get(f"/api/v1/audits/{audit_id}/figures").get_json()
    assert Decimal(figures["total_tce"]) == Decimal("13.5043")  # 12.29 + 1.2143
    assert figures["indicators"]["kgce_per_person"] == "135.043"
    assert figures["indicators"]["end_use_tce"] == {"hvac": "8.103", "lighting_sockets": "5.402"}
    assert figures["indicators"]["electricity_share"] == "0.9101"
    assert figures["quota"]["level"] == "meets_guide" and figures["custody_flags"] == []
    assert (
        school.get(f"/api/v1/audits/{audit_id}/figures?tce_variant=generation").status_code == 422
    )

    accepted = school.post(
        f"/api/v1/audits/{audit_id}/accept",
        json={"row_version": submitted.get_json()["row_version"]},
    )
    assert accepted.status_code == 200
    assert auditor.patch(f"/api/v1/audits/{audit_id}", json={"occupants": 5}).status_code == 409

    report = school.get(f"/api/v1/audits/{audit_id}/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    text = _pdf_text(report.data)
    for expected in (
        "能源审计报告",
        "API 审计",
        "杭州市第一中学",
        "浙江节能审计中心",
        "四、能耗指标与定额对比",
        "LED",
        "2.5",
        "建议照明改造",
        "13.504",
    ):
        assert expected in text, expected
    english = _pdf_text(school.get(f"/api/v1/audits/{audit_id}/report.pdf?lang=en").data)
    assert "Energy audit report" in english and "Energy per floor area" in english

    proposal = school.post(
        f"/api/v1/audits/{audit_id}/proposal", json={"ecm_ids": [ecm.get_json()["id"]]}
    )
    assert proposal.status_code == 201, proposal.get_json()
    project = school.get(f"/api/v1/projects/{proposal.get_json()['project_id']}").get_json()
    assert project["status"] == "proposed" and project["total_investment"] == "40000.00"
    assert project["ecms"][0]["suggested_contract_type"] == "shared_savings"


def test_pages_list_detail_and_actions(db_session, login_as, demo):
    school = login_as("energy@school.demo")
    page = school.get("/audits")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "杭州市第一中学 2024 年度能源审计" in text and "能源审计" in text
    audit_id = int(text.split('href="/audits/')[1].split('"')[0])
    detail = school.get(f"/audits/{audit_id}").get_data(as_text=True)
    for expected in (
        "能源与碳排放账户",
        "单位建筑面积能耗",
        "节能措施",
        "教学楼 LED 照明改造",
        "已接受",
    ):
        assert expected in detail, expected
    auditor = login_as("auditor@auditor.demo")
    refused = auditor.post(f"/audits/{audit_id}/details", data={"occupants": "10"})
    assert refused.status_code == 409
    # The auditor of another organisation's audit, and an ESCO, see nothing.
    assert login_as("energy@hospital.demo").get(f"/audits/{audit_id}").status_code == 404
    assert login_as("engineer@esco.demo").get("/audits").status_code == 403
    hospital_page = login_as("energy@hospital.demo").get("/audits").get_data(as_text=True)
    assert "杭州市第一中学" not in hospital_page
    # Quotas: agencies read and add; institutions read.
    agency = login_as("officer@hangzhou.demo")
    added = agency.post(
        "/quotas",
        data={
            "region_code": "330100",
            "building_type": "office",
            "basis": "per_area",
            "year": "2024",
            "guide_value": "10",
            "baseline_value": "14",
            "constraint_value": "20",
            "source": "杭州定额",
        },
    )
    assert added.status_code == 302
    assert "杭州定额" in school.get("/quotas").get_data(as_text=True)


def test_commissioning_and_workbook_forms(db_session, login_as):
    site, auditor_org = _ids(db_session)
    school = login_as("admin@school.demo")
    bad = school.post(
        "/audits",
        data={
            "title": "表单审计",
            "auditor_organization_id": str(auditor_org),
            "level": "1",
            "period_start": "2023-01-01",
            "period_end": "2027-01-01",
            "site_ids": str(site),
        },
    )
    assert bad.status_code == 422 and "基准期" in bad.get_data(as_text=True)
    ok = school.post(
        "/audits",
        data={
            "title": "表单审计",
            "auditor_organization_id": str(auditor_org),
            "level": "1",
            "period_start": "2023-01-01",
            "period_end": "2024-01-01",
            "site_ids": str(site),
        },
    )
    assert ok.status_code == 302
    audit_id = int(ok.headers["Location"].rsplit("/", 1)[1])
    auditor = login_as("auditor@auditor.demo")
    empty = auditor.get(f"/api/v1/audits/{audit_id}/workbook.xlsx")
    assert empty.status_code == 200 and empty.mimetype.endswith("spreadsheetml.sheet")
    upload = auditor.post(
        f"/audits/{audit_id}/workbook",
        data={"file": (io.BytesIO(b"junk"), "x.xlsx"), "csrf_token": auditor.csrf},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 422 and "not an XLSX workbook" in upload.get_data(as_text=True)
    submit = auditor.post(f"/audits/{audit_id}/submit", data={"row_version": "1"})
    assert submit.status_code == 422


def test_the_factor_snapshot_day_is_the_sites_day_not_utcs():
    """Taken at 02:08 Beijing time on 12-08, the snapshot read "记录于 2026-12-07" (its UTC day)."""
    from emc.audit.service.exports import _local_day

    assert _local_day("2026-12-07T18:08:00+00:00", "Asia/Shanghai") == "2026-12-08"
    assert _local_day("2026-12-07T03:00:00+00:00", "Asia/Shanghai") == "2026-12-07"
    assert _local_day(None, "Asia/Shanghai") == ""

"""Option A measured key parameters entered by page and API, with evidence files: they replace
the meter-derived demand (baseline and reporting), appear in the report and its PDF, and a
later measurement makes a submitted report stale. Hand-computed case as in
``test_mv_option_a``: 10 h/d stipulated, interactive factor 0.05, January 2024 (31 days)."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

from pypdf import PdfReader
from test_mv_option_a import HOURS, INTERACTIVE, make_lighting, put_plan
from test_mv_support import seen

from emc.mv.models import MvEvidenceFile, MvMeasurement

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"
LOGGER = b"logger export: 12.5 kW mean over 7 days"


def api(pid: int, tail: str = "") -> str:
    return f"/api/v1/projects/{pid}{tail}"


def measure(client, ids, parameter, value, at, *, files=None, unit="kW", method="钳形表 7 天记录"):
    data = {
        "meter_id": str(ids["meter"]),
        "parameter": parameter,
        "value": value,
        "unit": unit,
        "measured_at": at,
        "method": method,
    }
    if files is None:
        files = [(io.BytesIO(LOGGER), "记录仪导出.csv")]
    if files:
        data["files"] = files
    return client.post(
        api(ids["project"], "/mv-measurements"), data=data, content_type="multipart/form-data"
    )


def test_measured_values_replace_meter_derived_demand_by_hand(db_session, login_as):
    ids = make_lighting(db_session)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    assert put_plan(esco, ids, [HOURS, INTERACTIVE]).status_code == 200
    # Baseline demand measured before the retrofit (the meter alone would give 12 kW).
    r = measure(esco, ids, "baseline_demand_kw", "12.5", "2023-11-20T10:00:00+08:00")
    assert r.status_code == 201, r.get_data(as_text=True)
    entered = r.get_json()
    assert entered["entered_by_party"] == "esco" and entered["value"] == "12.5000"
    (f,) = entered["evidence"]
    assert f["sha256"] == hashlib.sha256(LOGGER).hexdigest() and f["filename"] == "记录仪导出.csv"
    download = inst.get(api(pid, f"/mv-measurements/{entered['id']}/evidence/{f['id']}"))
    assert download.status_code == 200 and download.data == LOGGER
    assert download.headers["X-Content-SHA256"] == f["sha256"]
    # Reporting demand: before the baseline end (ignored), in January (used), in February
    # (after the month: ignored for January). The institution enters one too.
    assert (
        measure(inst, ids, "reporting_demand_kw", "9", "2023-12-01T09:00:00+08:00").status_code
        == 201
    )
    assert (
        measure(esco, ids, "reporting_demand_kw", "5.5", "2024-01-10T09:00:00+08:00").status_code
        == 201
    )
    assert (
        measure(esco, ids, "reporting_demand_kw", "4", "2024-02-05T09:00:00+08:00").status_code
        == 201
    )

    r = esco.post(api(pid, "/baselines"), json={})
    assert r.status_code == 201, r.get_data(as_text=True)
    b = r.get_json()
    demand = b["models"][0]["model"]["baseline_demand_kw"]
    assert demand["basis"] == "measured" and demand["value"] == "12.5000"
    assert (
        demand["measurement_id"] == entered["id"] and demand["evidence"][0]["sha256"] == f["sha256"]
    )
    sheet = inst.get(api(pid, f"/baselines/{b['id']}.pdf?lang=en"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    flat = text.replace("\n", "")
    assert "12.5000 kW" in flat and "2023-11-20 02:00" in flat and f["sha256"][:12] in flat
    assert (
        inst.post(
            api(pid, f"/baselines/{b['id']}/approve"),
            json={"row_version": seen(inst, pid, f"/baselines/{b['id']}")},
        ).status_code
        == 200
    )

    r = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    report = r.get_json()
    # By hand: (12.5 kW × 310 h − 5.5 kW × 310 h) × (1 + 0.05) = 2 278.5 kWh; × 0.80 yuan.
    month = report["months"][0]
    assert month["adjusted_baseline"] == 3875.0 and month["reporting"] == 1705.0
    assert month["avoided"] == 2278.5
    assert Decimal(report["savings_value"]) == Decimal("1822.80")
    breakdown = report["results"][0]["savings"]["option_a"][0]
    params = {p["name"]: p for p in breakdown["parameters"]}
    assert params["reporting_demand_kw"]["basis"] == "measured"
    assert params["reporting_demand_kw"]["value"] == 5.5
    assert "钳形表" in params["reporting_demand_kw"]["method"]
    assert breakdown["reporting_measurement"]["measured_at"].startswith("2024-01-10")
    # No "days missing" warning: the month's demand is the measured one.
    assert not [w for w in report["warnings"] if w["code"] == "reporting_days_missing"]
    html = inst.get(f"/projects/{pid}/mv/reports/{report['id']}").get_data(as_text=True)
    assert 'data-testid="option-a-measurements"' in html and "钳形表 7 天记录" in html
    sheet = inst.get(api(pid, f"/mv-reports/{report['id']}.pdf"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    flat = text.replace("\n", "")
    assert "2,278.500" in flat and "5.5000 kW" in flat and "2024-01-10 01:00" in flat
    assert f["sha256"][:12] in flat

    # A later January measurement after submission makes the report stale (figures unchanged).
    assert (
        esco.post(
            api(pid, f"/mv-reports/{report['id']}/submit"),
            json={"row_version": seen(esco, pid, f"/mv-reports/{report['id']}")},
        ).status_code
        == 200
    )
    assert (
        measure(inst, ids, "reporting_demand_kw", "5", "2024-01-20T09:00:00+08:00").status_code
        == 201
    )
    again = inst.get(api(pid, f"/mv-reports/{report['id']}")).get_json()
    assert again["stale"] is True and again["months"][0]["avoided"] == 2278.5
    r = inst.post(
        api(pid, f"/mv-reports/{report['id']}/accept"),
        json={"row_version": seen(inst, pid, f"/mv-reports/{report['id']}")},
    )
    assert r.status_code == 409


def test_measurement_input_is_checked_and_nothing_is_half_written(db_session, login_as):
    ids = make_lighting(db_session)
    esco = login_as(ESCO)
    pid = ids["project"]
    # No plan yet.
    assert (
        measure(esco, ids, "reporting_demand_kw", "5", "2024-01-10T09:00:00+08:00").status_code
        == 409
    )
    assert put_plan(esco, ids, [HOURS]).status_code == 200
    count = lambda: db_session.query(MvMeasurement).count()  # noqa: E731
    files = lambda: db_session.query(MvEvidenceFile).count()  # noqa: E731
    before = (count(), files())
    cases = [
        ({"unit": "W"}, "unit"),
        ({"files": []}, "files"),
        ({"method": " "}, "method"),
    ]
    for change, field in cases:
        kw = {"files": change.get("files")} if "files" in change else {}
        args = {k: v for k, v in change.items() if k != "files"}
        r = measure(
            esco, ids, "reporting_demand_kw", "5", "2024-01-10T09:00:00+08:00", **args, **kw
        )
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (
            field,
            r.get_json(),
        )
    for value, field in (("0", "value"), ("1.23456", "value"), ("abc", "value")):
        r = measure(esco, ids, "reporting_demand_kw", value, "2024-01-10T09:00:00+08:00")
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"]
    r = measure(esco, ids, "reporting_demand_kw", "5", "2024-01-10T09:00:00")  # no offset
    assert r.status_code == 422 and "measured_at" in r.get_json()["error"]["fields"]
    r = measure(esco, ids, "reporting_demand_kw", "5", "2999-01-10T09:00:00+08:00")
    assert r.status_code == 422 and "measured_at" in r.get_json()["error"]["fields"]
    # JSON cannot carry the evidence.
    r = esco.post(api(pid, "/mv-measurements"), json={"meter_id": ids["meter"]})
    assert r.status_code == 422 and "files" in r.get_json()["error"]["fields"]
    # Only the plan's option A meters.
    assert put_plan(esco, ids, [HOURS], option="B", method="daily").status_code == 200
    r = measure(esco, ids, "reporting_demand_kw", "5", "2024-01-10T09:00:00+08:00")
    assert r.status_code == 422 and "meter_id" in r.get_json()["error"]["fields"]
    assert (count(), files()) == before


def test_measurement_by_page_reads_local_time_and_lists_it(db_session, login_as):
    ids = make_lighting(db_session)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    assert put_plan(esco, ids, [HOURS]).status_code == 200
    page = inst.get(f"/projects/{pid}/mv").get_data(as_text=True)
    assert 'data-testid="measurement-form"' in page
    r = inst.post(
        f"/projects/{pid}/mv/measurements",
        data={
            "meter_id": str(ids["meter"]),
            "parameter": "reporting_demand_kw",
            "value": "6.25",
            "unit": "kW",
            "measured_at": "2024-01-15T14:30",
            "method": "功率分析仪 2 小时",
            "files": (io.BytesIO(b"analyser"), "分析仪.txt"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    (m,) = inst.get(api(pid, "/mv-measurements")).get_json()
    assert (
        m["measured_at"] == "2024-01-15T06:30:00+00:00" and m["entered_by_party"] == "institution"
    )
    page = inst.get(f"/projects/{pid}/mv").get_data(as_text=True)
    assert "功率分析仪 2 小时" in page and "分析仪.txt" in page
    # A bad value re-renders the page with the error (422), nothing stored.
    r = inst.post(
        f"/projects/{pid}/mv/measurements",
        data={
            "meter_id": str(ids["meter"]),
            "parameter": "reporting_demand_kw",
            "value": "-1",
            "unit": "kW",
            "measured_at": "2024-01-15T14:30",
            "method": "x",
            "files": (io.BytesIO(b"x"), "x.txt"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and 'data-testid="action-error"' in r.get_data(as_text=True)
    assert len(inst.get(api(pid, "/mv-measurements")).get_json()) == 1

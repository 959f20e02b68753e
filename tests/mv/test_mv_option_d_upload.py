"""Option D by page: the simulation's outputs by period uploaded as CSV or XLSX with the
baseline proposal, kept as evidence of the baseline (SHA-256, filename, uploader, time); row
and column errors named with nothing written; the API's CSV texts kept the same way."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import openpyxl
import pytest
from pypdf import PdfReader
from test_mv_option_d import ESCO, INSTITUTION, SIMULATED_BASELINE, api, monthly_project

from emc.mv.models import Baseline, MvEvidenceFile


def table(measured: dict[str, float], factor: float) -> list[tuple[str, float]]:
    rows = [(k, v * factor) for k, v in measured.items()]
    return rows + list(SIMULATED_BASELINE.items())


def csv_bytes(rows, header="时段,模拟用量,单位") -> bytes:
    return (header + "\n" + "".join(f"{k},{v!r},kWh\n" for k, v in rows)).encode()


def xlsx_bytes(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["period", "value (kWh)"])
    for k, v in rows:
        # Months as real spreadsheet dates, as exporters write them.
        ws.append([dt.datetime.strptime(k, "%Y-%m"), v])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def propose_page(client, pid, meter, content, filename):
    return client.post(
        f"/projects/{pid}/mv/baselines",
        data={
            "reason": "",
            f"simulation_interval_{meter}": "monthly",
            f"simulation_file_{meter}": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def counts(session):
    return session.query(Baseline).count(), session.query(MvEvidenceFile).count()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_page_upload_proposes_and_keeps_the_file_as_evidence(db_session, login_as, kind):
    ids, measured = monthly_project(db_session, 1.02)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid, meter = ids["project"], ids["meter"]
    page = esco.get(f"/projects/{pid}/mv").get_data(as_text=True)
    assert f'name="simulation_file_{meter}"' in page and 'enctype="multipart/form-data"' in page
    rows = table(measured, 1.02)
    content = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    r = propose_page(esco, pid, meter, content, f"能耗模拟结果.{kind}")
    assert r.status_code == 302, r.get_data(as_text=True)
    (b,) = esco.get(api(pid, "/baselines")).get_json()
    cal = b["models"][0]["model"]["calibration"]
    assert cal["n"] == 12 and cal["calibrated"] is True
    assert b["models"][0]["model"]["simulated_baseline"] == SIMULATED_BASELINE
    (f,) = b["evidence"]
    assert f["filename"] == f"能耗模拟结果.{kind}" and f["size_bytes"] == len(content)
    assert f["sha256"] == hashlib.sha256(content).hexdigest()
    assert f["uploaded_by_user_id"] == ids["engineer"].user_id and f["uploaded_at"]
    # Either party reads it back byte for byte, and the baseline page lists it.
    download = inst.get(api(pid, f"/baselines/{b['id']}/evidence/{f['id']}"))
    assert download.status_code == 200 and download.data == content
    html = inst.get(f"/projects/{pid}/mv/baselines/{b['id']}").get_data(as_text=True)
    assert 'data-testid="baseline-evidence"' in html and f["sha256"] in html
    sheet = inst.get(api(pid, f"/baselines/{b['id']}.pdf"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    assert f["sha256"] in text.replace("\n", "")


def test_page_upload_errors_name_row_and_column_and_store_nothing(db_session, login_as):
    ids, measured = monthly_project(db_session, 1.02)
    esco = login_as(ESCO)
    pid, meter = ids["project"], ids["meter"]
    before = counts(db_session)
    rows = table(measured, 1.02)
    bad = csv_bytes(rows).decode().splitlines()
    bad[3] = "2023-03,lots,kWh"  # row 4
    bad[5] = "2023-13,100,kWh"  # row 6
    bad[6] = "2023-06,100,MWh"  # row 7
    bad.append("2022-12,100,kWh")  # row 16: before the baseline
    bad.append("2024-01,1,kWh")  # row 17: repeated
    r = propose_page(esco, pid, meter, "\n".join(bad).encode(), "sim.csv")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for expected in (
        "row 4, column value",
        "row 6, column period",
        "row 7, column unit: mwh, the meter reads kWh",
        "row 16, column period: 2022-12 is before the baseline period",
        "row 17, column period: 2024-01 repeated",
    ):
        assert expected in html, expected
    # A header without a value column; a file with no reporting periods; not a table at all.
    no_value = propose_page(esco, pid, meter, b"period,unit\n2023-01,kWh\n", "sim.csv")
    assert no_value.status_code == 422 and "第 1 行：表头须包含 period 和 value 两列" in (
        no_value.get_data(as_text=True)
    )
    only_base = csv_bytes(table(measured, 1.0)[:12])
    r = propose_page(esco, pid, meter, only_base, "sim.csv")
    assert r.status_code == 422 and "no period from the baseline end" in r.get_data(as_text=True)
    r = propose_page(esco, pid, meter, b"\xd0\xcf\x11\xe0legacy", "sim.xls")
    assert r.status_code == 422 and ".xls" in r.get_data(as_text=True)
    assert counts(db_session) == before


def test_api_simulation_texts_are_kept_as_evidence(db_session, login_as):
    ids, _measured = monthly_project(db_session, 1.02)
    esco = login_as(ESCO)
    pid, sim = ids["project"], ids["simulation"]
    r = esco.post(api(pid, "/baselines"), json={"simulations": [sim]})
    assert r.status_code == 201, r.get_data(as_text=True)
    b = r.get_json()
    files = {f["filename"]: f for f in b["evidence"]}
    meter = ids["meter"]
    cal = files[f"option-d-meter-{meter}-monthly-calibration.csv"]
    base = files[f"option-d-meter-{meter}-monthly-baseline.csv"]
    assert cal["sha256"] == hashlib.sha256(sim["calibration_csv"].encode()).hexdigest()
    assert base["sha256"] == hashlib.sha256(sim["baseline_csv"].encode()).hexdigest()
    got = esco.get(api(pid, f"/baselines/{b['id']}/evidence/{base['id']}"))
    assert got.data.decode() == sim["baseline_csv"]
    # Another baseline's file id is not this baseline's evidence.
    other = esco.post(api(pid, "/baselines"), json={"simulations": [sim]}).get_json()
    r = esco.get(api(pid, f"/baselines/{other['id']}/evidence/{base['id']}"))
    assert r.status_code == 404

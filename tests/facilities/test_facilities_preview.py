"""Checking an upload without importing it: the API's ``dry_run=true`` and the meter page's check
button run the import's parser, validation and overlap check, report everything, write nothing."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from emc.facilities.models import MeterReading, ReadingUpload
from emc.journal import JournalEntry


@pytest.fixture
def energy(login_as):
    return login_as("energy@school.demo")


def _meter(client, name="预览表"):
    site = client.post("/api/v1/sites", json={"name": f"{name}场地", "region_code": "330100"})
    assert site.status_code == 201, site.get_json()
    meter = client.post(
        "/api/v1/meters",
        json={
            "site_id": site.get_json()["id"],
            "name": name,
            "carrier": "electricity",
            "unit": "kWh",
            "kind": "interval",
            "interval_minutes": 60,
        },
    )
    assert meter.status_code == 201, meter.get_json()
    return meter.get_json()["id"]


def _hours(day: str, hours, header="时间,用量(MWh)", scale=0.001) -> str:
    return header + "\n" + "".join(f"{day} {h:02d}:00,{h * scale:.3f}\n" for h in hours)


def _post(client, meter_id, text, *, dry_run=True, name="p.csv", **form):
    query = "?dry_run=true" if dry_run else ""
    return client.post(
        f"/api/v1/meters/{meter_id}/readings{query}",
        data={"file": (io.BytesIO(text.encode()), name), **form},
        content_type="multipart/form-data",
    )


def _written(db_session, meter_id):
    return (
        db_session.scalar(
            select(func.count()).select_from(MeterReading).where(MeterReading.meter_id == meter_id)
        ),
        db_session.scalar(
            select(func.count())
            .select_from(ReadingUpload)
            .where(ReadingUpload.meter_id == meter_id)
        ),
        db_session.scalar(select(func.count()).select_from(JournalEntry)),
    )


def test_dry_run_reports_the_summary_and_writes_nothing(energy, db_session):
    meter_id = _meter(energy)
    # 23 hours in MWh, 05:00 missing: a gap, and a conversion to the meter's kWh.
    text = _hours("2024-01-01", [h for h in range(24) if h != 5])
    before = _written(db_session, meter_id)
    response = _post(energy, meter_id, text)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dry_run"] is True and body["status"] == "ok" and body["ok"] is True
    assert body["rows"] == 23
    assert body["first"] == "2024-01-01T00:00:00+08:00"
    assert body["last"] == "2024-01-02T00:00:00+08:00"
    assert (body["source_unit"], body["unit"], body["converted"]) == ("MWh", "kWh", True)
    assert body["gap_count"] == 1
    assert body["gaps"] == [
        {"start": "2024-01-01T05:00:00+08:00", "end": "2024-01-01T06:00:00+08:00"}
    ]
    assert len(body["sample"]) == 20
    assert body["sample"][1] == {
        "start": "2024-01-01T01:00:00+08:00",
        "end": "2024-01-01T02:00:00+08:00",
        "value": 1.0,
        "quality": "measured",
    }
    assert body["problems"] == {} and body["overlap"] is None
    assert _written(db_session, meter_id) == before
    # The real upload of the same file afterwards is applied, not "unchanged".
    real = _post(energy, meter_id, text, dry_run=False)
    assert real.status_code == 201 and real.get_json()["status"] == "applied"
    assert _written(db_session, meter_id)[0] == 23


def test_dry_run_lists_every_problem_by_row_and_column(energy, db_session):
    meter_id = _meter(energy)
    text = "时间,用量\n2024-01-01 00:00,1\n2024-01-01 01:00,abc\n2024-13-01 02:00,3\n"
    before = _written(db_session, meter_id)
    body = _post(energy, meter_id, text).get_json()
    assert body["status"] == "invalid" and body["ok"] is False
    assert set(body["problems"]) == {"row 3, column 用量", "row 4, column 时间"}
    assert _written(db_session, meter_id) == before
    # The import names the same problems.
    real = _post(energy, meter_id, text, dry_run=False)
    assert real.status_code == 422
    assert set(real.get_json()["error"]["fields"]) == set(body["problems"])


def test_dry_run_reports_an_overlap_and_replace_without_touching_stored_readings(
    energy, db_session
):
    meter_id = _meter(energy)
    assert (
        _post(energy, meter_id, _hours("2024-01-01", range(24)), dry_run=False).status_code == 201
    )
    stored = sorted(
        db_session.execute(
            select(MeterReading.start_ts, MeterReading.value).where(
                MeterReading.meter_id == meter_id
            )
        ).all()
    )
    before = _written(db_session, meter_id)
    clash = _hours("2024-01-01", range(20, 24), scale=0.5)  # a different file, same hours
    body = _post(energy, meter_id, clash).get_json()
    assert body["status"] == "overlap" and body["ok"] is False
    assert body["overlap"] == {
        "count": 4,
        "first": "2024-01-01T20:00:00+08:00",
        "last": "2024-01-02T00:00:00+08:00",
    }
    replaced = _post(energy, meter_id, clash, replace="true").get_json()
    assert (
        replaced["status"] == "ok" and replaced["ok"] is True and replaced["overlap"]["count"] == 4
    )
    assert _written(db_session, meter_id) == before
    after = sorted(
        db_session.execute(
            select(MeterReading.start_ts, MeterReading.value).where(
                MeterReading.meter_id == meter_id
            )
        ).all()
    )
    assert after == stored
    same = _post(energy, meter_id, _hours("2024-01-01", range(24))).get_json()
    assert same["status"] == "unchanged" and same["already_imported"] is not None


def test_json_rows_dry_run_keys_problems_by_row_index(energy, db_session):
    meter_id = _meter(energy)
    before = _written(db_session, meter_id)
    response = energy.post(
        f"/api/v1/meters/{meter_id}/readings?dry_run=true",
        json={
            "rows": [
                {"start": "2024-01-01T00:00:00+08:00", "value": "1"},
                {"start": "2024-01-01T00:30:00+08:00", "value": "2"},
            ]
        },
    )
    assert response.status_code == 200
    assert list(response.get_json()["problems"]) == ["rows[1].start"]
    assert _written(db_session, meter_id) == before


def test_dry_run_needs_the_import_permission_and_hides_other_tenants(energy, login_as):
    meter_id = _meter(energy)
    text = _hours("2024-01-01", range(3))
    assert _post(login_as("viewer@school.demo"), meter_id, text).status_code == 403
    assert _post(login_as("energy@gym.demo"), meter_id, text).status_code == 404


def test_meter_page_check_button_shows_rows_summary_and_problems(energy, db_session):
    meter_id = _meter(energy)
    page = energy.get(f"/meters/{meter_id}").get_data(as_text=True)
    assert 'data-testid="check-upload"' in page and "dry_run=true" in page
    before = _written(db_session, meter_id)
    text = _hours("2024-01-01", range(24)) + _hours("2024-01-02", range(6), header="")[1:]
    response = energy.post(
        f"/meters/{meter_id}/readings?dry_run=true",
        data={"file": (io.BytesIO(text.encode()), "page.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-status="ok"' in html
    table = html[html.index('data-testid="preview-rows"') :]
    table = table[: table.index("</table>")]
    assert len(re.findall(r"<tr><td>", table)) == 20
    assert "2024-01-01 00:00" in table and "2024-01-01 19:00" in table
    assert "2024-01-01 20:00" not in table
    summary = html[html.index('data-testid="preview-summary"') :]
    assert "30" in summary[:400] and "MWh" in summary[:600]
    assert _written(db_session, meter_id) == before
    bad = energy.post(
        f"/meters/{meter_id}/readings?dry_run=true",
        data={"file": (io.BytesIO("时间,用量\n2024-01-01 00:00,x\n".encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    bad_html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and 'data-status="invalid"' in bad_html
    assert "第 2 行，“用量”列" in bad_html
    assert _written(db_session, meter_id) == before


def test_a_file_is_not_unchanged_once_a_later_upload_wrote_into_its_gaps(energy, db_session):
    meter_id = _meter(energy)
    first = "时间,用量\n2024-01-01 00:00,1\n2024-01-01 02:00,1\n"  # owns [00:00, 03:00)
    assert _post(energy, meter_id, first, dry_run=False).status_code == 201
    gap = "时间,用量\n2024-01-01 01:00,5\n"
    assert _post(energy, meter_id, gap, dry_run=False).get_json()["status"] == "applied"
    checked = _post(energy, meter_id, first).get_json()
    assert checked["status"] == "overlap" and checked["already_imported"] is None
    again = _post(energy, meter_id, first, dry_run=False, replace="true")
    assert again.status_code == 201 and again.get_json()["status"] == "applied"
    stored = db_session.scalars(
        select(MeterReading.value).where(MeterReading.meter_id == meter_id)
    ).all()
    assert sorted(stored) == [1.0, 1.0]

"""Meter files as they come out of Chinese meters, 能耗监测 platforms and utilities: their headers
are recognised (unit from the header), unknown headers are mapped once per meter, and a checked
file is imported without choosing it again."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from emc.facilities.ingest import read_readings
from emc.facilities.ingest.model import MeterSpec
from emc.facilities.ingest.source import split_header
from emc.facilities.models import MeterColumnMap, MeterReading
from emc.facilities.service import mapping

HOURLY = MeterSpec("electricity", "kWh", "interval", interval_minutes=60)
REGISTER = MeterSpec("electricity", "kWh", "register")


@pytest.fixture
def energy(login_as):
    return login_as("energy@school.demo")


def _meter(client, name, kind="interval", carrier="electricity", unit="kWh"):
    site = client.post("/api/v1/sites", json={"name": f"{name}场地", "region_code": "330100"})
    assert site.status_code == 201, site.get_json()
    body = {"site_id": site.get_json()["id"], "name": name, "carrier": carrier, "unit": unit}
    body["kind"] = kind
    if kind == "interval":
        body["interval_minutes"] = 60
    meter = client.post("/api/v1/meters", json=body)
    assert meter.status_code == 201, meter.get_json()
    return meter.get_json()["id"]


def _count(db_session, meter_id):
    return db_session.scalar(
        select(func.count()).select_from(MeterReading).where(MeterReading.meter_id == meter_id)
    )


def _api(client, meter_id, data: bytes, name="m.csv", dry_run=False, **form):
    query = "?dry_run=true" if dry_run else ""
    return client.post(
        f"/api/v1/meters/{meter_id}/readings{query}",
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def _page(client, meter_id, data: bytes, name="m.csv", dry_run=False, **form):
    query = "?dry_run=true" if dry_run else ""
    return client.post(
        f"/meters/{meter_id}/readings{query}",
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


ACTIVE = "时间,有功电量(kWh)\n" + "".join(f"2024-03-01 {h:02d}:00,{h + 1}.5\n" for h in range(6))
REGISTER_FILE = "抄表时间,正向有功总电能(kWh)\n" + "".join(
    f"2024-03-0{d} 00:00,{1000 + d * 24.5}\n" for d in range(1, 5)
)
GBK_FILE = (
    "某某中学能耗监测平台数据导出\n导出时间：2024-03-05 08:00\n采集时间,用电量（千瓦时）\n"
    + "".join(f"2024-03-01 {h:02d}:00,{h}\n" for h in range(4))
).encode("gbk")


# --------------------------------------------------------------------------------------------
# Header recognition (the pure reader)


@pytest.mark.parametrize(
    ("header", "role", "unit"),
    [
        ("有功电量(kWh)", "value", "kwh"),
        ("正向有功总电能(kWh)", "reading", "kwh"),
        ("总有功电能", "reading", None),
        ("示数", "reading", None),
        ("读数", "reading", None),
        ("抄表时间", "timestamp", None),
        ("采集时间", "timestamp", None),
        ("数据时间", "timestamp", None),
        ("时间", "timestamp", None),
        ("用电量", "value", None),
        ("用气量（m³）", "value", "m3"),
        ("用水量（吨）", "value", "吨"),
        ("电量(kWh)", "value", "kwh"),
    ],
)
def test_chinese_meter_headers_name_their_role_and_unit(header, role, unit):
    assert split_header(header) == (role, unit)


def test_active_energy_file_reads_as_consumption_in_the_header_unit():
    reader = read_readings(io.BytesIO(ACTIVE.encode()), filename="a.csv", spec=HOURLY)
    batch = reader.read_all()
    assert batch.value[:2] == [1.5, 2.5]
    assert reader.summary.columns == {"timestamp": "时间", "value": "有功电量(kWh)"}


def test_a_gas_file_in_cubic_metres_with_full_width_brackets_is_converted():
    spec = MeterSpec("natural_gas", "m³", "interval", interval_minutes=60)
    text = "数据时间,用气量（m³）\n2024-03-01 00:00,2\n2024-03-01 01:00,3\n"
    reader = read_readings(io.BytesIO(text.encode()), filename="g.csv", spec=spec)
    assert reader.read_all().value == [2.0, 3.0]
    assert reader.summary.source_unit == "m³"


def test_total_active_energy_is_a_register_differenced_into_consumption():
    reader = read_readings(io.BytesIO(REGISTER_FILE.encode()), filename="r.csv", spec=REGISTER)
    batch = reader.read_all()
    assert batch.value == [24.5, 24.5, 24.5]
    assert reader.summary.columns["reading"] == "正向有功总电能(kWh)"


def test_a_gbk_file_with_two_title_rows_is_read_below_them():
    reader = read_readings(io.BytesIO(GBK_FILE), filename="g.csv", spec=HOURLY)
    assert reader.read_all().value == [0.0, 1.0, 2.0, 3.0]
    assert reader.summary.header_row == 3
    assert reader.summary.encoding == "gb18030"


def test_a_saved_unit_applies_only_to_the_mapped_header():
    text = "采样点时刻,功耗\n2024-03-01 00:00,2\n"
    columns = {"采样点时刻": "timestamp", "功耗": "value"}
    mapped = read_readings(
        io.BytesIO(text.encode()),
        filename="x.csv",
        spec=HOURLY,
        column_map=columns,
        column_map_unit="MWh",
    )
    assert mapped.read_all().value == [2000.0]
    other = read_readings(
        io.BytesIO(b"timestamp,value\n2024-03-01 00:00,2\n"),
        filename="y.csv",
        spec=HOURLY,
        column_map=columns,
        column_map_unit="MWh",
    )
    assert other.read_all().value == [2.0]


# --------------------------------------------------------------------------------------------
# Through the API and the page, no mapping needed


@pytest.mark.parametrize(
    ("kind", "data", "readings"),
    [
        ("interval", ACTIVE.encode(), 6),
        ("register", REGISTER_FILE.encode(), 3),
        ("interval", GBK_FILE, 4),
    ],
)
def test_common_meter_files_import_through_the_api(energy, db_session, kind, data, readings):
    meter_id = _meter(energy, f"API表{kind}{len(data)}", kind=kind)
    response = _api(energy, meter_id, data)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rows"] == readings
    assert _count(db_session, meter_id) == readings


@pytest.mark.parametrize(
    ("kind", "data", "readings"),
    [
        ("interval", ACTIVE.encode(), 6),
        ("register", REGISTER_FILE.encode(), 3),
        ("interval", GBK_FILE, 4),
    ],
)
def test_common_meter_files_import_through_the_page(energy, db_session, kind, data, readings):
    meter_id = _meter(energy, f"页面表{kind}{len(data)}", kind=kind)
    response = _page(energy, meter_id, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith(f"/meters/{meter_id}")
    assert _count(db_session, meter_id) == readings


# --------------------------------------------------------------------------------------------
# Check, then import the checked file


def test_the_checked_file_is_imported_with_the_import_button(energy, db_session):
    meter_id = _meter(energy, "检查后导入")
    checked = _page(energy, meter_id, ACTIVE.encode(), dry_run=True)
    assert checked.status_code == 200
    html = checked.get_data(as_text=True)
    assert _count(db_session, meter_id) == 0
    action = re.search(r'action="(/meters/\d+/readings/checked/[0-9a-f]{64})"', html)
    assert action, html
    imported = energy.post(action.group(1), data={})
    assert imported.status_code == 302
    assert _count(db_session, meter_id) == 6
    # Kept once: importing again is refused as expired, nothing changes.
    again = energy.post(action.group(1), data={})
    assert again.status_code == 422
    assert "已不再保留" in again.get_data(as_text=True) or "no longer kept" in again.get_data(
        as_text=True
    )
    assert _count(db_session, meter_id) == 6


def test_a_checked_file_is_only_for_its_user_and_meter(energy, login_as, db_session):
    meter_id = _meter(energy, "他人的文件")
    other_meter = _meter(energy, "另一个表")
    html = _page(energy, meter_id, ACTIVE.encode(), dry_run=True).get_data(as_text=True)
    sha = re.search(r"/readings/checked/([0-9a-f]{64})", html).group(1)
    assert energy.post(f"/meters/{other_meter}/readings/checked/{sha}").status_code == 422
    admin = login_as("admin@school.demo")
    assert admin.post(f"/meters/{meter_id}/readings/checked/{sha}").status_code == 422
    assert _count(db_session, meter_id) == 0 and _count(db_session, other_meter) == 0


def test_a_checked_file_expires(energy, db_session, app, monkeypatch):
    meter_id = _meter(energy, "过期文件")
    html = _page(energy, meter_id, ACTIVE.encode(), dry_run=True).get_data(as_text=True)
    sha = re.search(r"/readings/checked/([0-9a-f]{64})", html).group(1)
    real = mapping.time.time
    monkeypatch.setattr(mapping.time, "time", lambda: real() + mapping.KEEP_MINUTES * 60 + 1)
    response = energy.post(f"/meters/{meter_id}/readings/checked/{sha}")
    assert response.status_code == 422
    assert _count(db_session, meter_id) == 0


def test_a_checked_file_with_bad_rows_imports_nothing_and_names_row_and_column(energy, db_session):
    meter_id = _meter(energy, "坏行")
    bad = ACTIVE.replace("2024-03-01 03:00,4.5", "2024-03-01 03:00,abc")
    response = _page(energy, meter_id, bad.encode())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "第 5 行，“有功电量(kWh)”列" in html
    assert "不是数值" in html and "abc" in html
    assert "文件有 1 个问题，未导入任何数据。" in html
    assert _count(db_session, meter_id) == 0


# --------------------------------------------------------------------------------------------
# Unknown headers: the mapping page, saved per meter


UNKNOWN = "记录点,瞬时累计\n2024-03-01 00:00,1\n2024-03-01 01:00,2\n"


def test_an_unknown_header_leads_to_the_mapping_page_and_the_mapping_is_reused(energy, db_session):
    meter_id = _meter(energy, "未知表头")
    response = _page(energy, meter_id, UNKNOWN.encode(), dry_run=True)
    assert response.status_code == 302
    url = response.headers["Location"]
    assert re.search(rf"/meters/{meter_id}/readings/mapping/[0-9a-f]{{64}}$", url)
    page = energy.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "记录点" in html and "瞬时累计" in html
    saved = energy.post(
        url, data={"header_row": "1", "role_0": "timestamp", "role_1": "value", "unit": "MWh"}
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)[:3000]
    assert 'data-status="ok"' in saved.get_data(as_text=True)
    row = db_session.scalar(select(MeterColumnMap).where(MeterColumnMap.meter_id == meter_id))
    assert row.columns == {"记录点": "timestamp", "瞬时累计": "value"} and row.unit == "MWh"
    # The next upload of the meter, through the API, needs no mapping.
    second = UNKNOWN.replace("2024-03-01", "2024-03-02")
    response = _api(energy, meter_id, second.encode())
    assert response.status_code == 201, response.get_json()
    assert _count(db_session, meter_id) == 2
    values = db_session.scalars(
        select(MeterReading.value).where(MeterReading.meter_id == meter_id)
    ).all()
    assert sorted(values) == [1000.0, 2000.0]


def test_an_unknown_header_on_import_also_offers_the_mapping(energy):
    meter_id = _meter(energy, "直接导入未知")
    response = _page(energy, meter_id, UNKNOWN.encode())
    assert response.status_code == 302 and "/readings/mapping/" in response.headers["Location"]


def test_the_api_says_unknown_header(energy):
    meter_id = _meter(energy, "接口未知")
    response = _api(energy, meter_id, UNKNOWN.encode())
    assert response.status_code == 422
    body = response.get_json()
    assert "unknown_header" in str(body), body


def test_a_mapping_without_the_needed_columns_is_refused_in_chinese(energy, db_session):
    meter_id = _meter(energy, "映射不全")
    url = _page(energy, meter_id, UNKNOWN.encode(), dry_run=True).headers["Location"]
    response = energy.post(url, data={"header_row": "1", "role_0": "timestamp"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "映射未保存" in html
    assert db_session.scalar(select(func.count()).select_from(MeterColumnMap)) == 0


def test_a_viewer_cannot_map_or_import_checked_files(login_as, energy):
    meter_id = _meter(energy, "只读")
    url = _page(energy, meter_id, UNKNOWN.encode(), dry_run=True).headers["Location"]
    viewer = login_as("viewer@school.demo")
    assert viewer.get(url).status_code == 403
    sha = url.rsplit("/", 1)[1]
    assert viewer.post(f"/meters/{meter_id}/readings/checked/{sha}").status_code == 403


def test_purge_removes_only_expired_files(tmp_path):
    old = tmp_path / "u1-m1-old.bin"
    old.write_bytes(b"x")
    new = tmp_path / "u1-m1-new.bin"
    new.write_bytes(b"y")
    import os
    import time

    past = time.time() - mapping.KEEP_MINUTES * 60 - 10
    os.utime(old, (past, past))
    assert mapping.purge_expired(tmp_path) == 1
    assert not old.exists() and new.exists()


def test_the_check_page_says_file_problems_in_chinese(energy):
    meter_id = _meter(energy, "检查中文")
    bad = ACTIVE.replace("2024-03-01 02:00", "2024-13-01 02:00")
    html = _page(energy, meter_id, bad.encode(), dry_run=True).get_data(as_text=True)
    assert 'data-status="invalid"' in html
    assert "第 4 行，“时间”列" in html and "不是有效的日期时间" in html
    assert "import-checked" not in html


def test_a_mapping_with_a_repeated_role_names_the_columns(energy):
    meter_id = _meter(energy, "重复映射")
    url = _page(energy, meter_id, UNKNOWN.encode(), dry_run=True).headers["Location"]
    response = energy.post(url, data={"header_row": "1", "role_0": "value", "role_1": "value"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "都映射为" in html and "记录点" in html and "瞬时累计" in html


def test_the_first_rows_of_a_gbk_file_are_shown_as_text():
    from emc.facilities.ingest import peek_rows

    rows = peek_rows(io.BytesIO(GBK_FILE), filename="g.csv", rows=4)
    assert rows[0] == ["某某中学能耗监测平台数据导出"]
    assert rows[2] == ["采集时间", "用电量（千瓦时）"]
    assert mapping.guess_header_row(rows) == 3

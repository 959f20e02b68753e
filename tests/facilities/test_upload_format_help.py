"""The meter page's upload box, as a Chinese user meets it: the format of each kind of meter is
described with its Chinese headers and a CSV template; a file of the wrong kind, an overlap and
a file that is not text at all are refused in Chinese, and nothing is kept or written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emc.facilities.ingest import MeterSpec, formats, read_readings
from emc.facilities.models import MeterReading

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


@pytest.fixture
def energy(login_as):
    return login_as("energy@school.demo")


def _meter(client, kind="interval", name="格式表"):
    site = client.post("/api/v1/sites", json={"name": f"{name}场地", "region_code": "330100"})
    assert site.status_code == 201, site.get_json()
    body = {"site_id": site.get_json()["id"], "name": name, "carrier": "electricity"}
    body |= {"unit": "kWh", "kind": kind}
    if kind == "interval":
        body["interval_minutes"] = 60
    meter = energy_post(client, body)
    return meter


def energy_post(client, body) -> int:
    meter = client.post("/api/v1/meters", json=body)
    assert meter.status_code == 201, meter.get_json()
    return meter.get_json()["id"]


def _upload(client, meter_id, data: bytes, name="读数.csv", *, dry_run=True, **form):
    query = "?dry_run=true" if dry_run else ""
    return client.post(
        f"/meters/{meter_id}/readings{query}",
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("kind", "headers"),
    [
        ("interval", "<code>时间</code>、<code>用量</code>"),
        ("register", "<code>时间</code>、<code>读数</code>"),
        ("billing", "<code>开始日期</code>、<code>结束日期</code>、<code>用量</code>"),
    ],
)
def test_the_upload_box_describes_the_columns_of_the_meter_kind_and_links_its_template(
    energy, kind, headers
):
    meter_id = _meter(energy, kind, name=f"{kind}格式表")
    page = energy.get(f"/meters/{meter_id}").get_data(as_text=True)
    assert 'data-testid="upload-format"' in page and headers in page
    # An interval meter's template steps by its interval.
    assert f'href="/readings/template-{kind}.csv' in page
    assert ("?minutes=" in page) == (kind == "interval")
    # The accepted Chinese synonyms are listed (e.g. 用电量 for the consumption column).
    synonym = {"interval": "用电量", "register": "表底", "billing": "起始日期"}[kind]
    assert synonym in page
    template = energy.get(f"/readings/template-{kind}.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    text = template.get_data().decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(formats.HEADERS[r][0] for r in formats.NEEDS[kind])


@pytest.mark.parametrize("kind", ["interval", "register", "billing"])
def test_each_template_reads_back_as_readings_of_its_kind(kind):
    spec = MeterSpec(
        carrier="electricity",
        unit="kWh",
        kind=kind,
        interval_minutes=60 if kind == "interval" else None,
    )
    reader = read_readings(
        io.BytesIO(formats.template_csv(kind)), filename="template.csv", spec=spec
    )
    rows = sum(len(batch.value) for batch in reader)
    assert rows == (3 if kind != "register" else 2)  # a register's first read starts the count


def test_register_headers_on_an_interval_meter_are_refused_in_chinese_naming_the_headers(energy):
    meter_id = _meter(energy)
    checked = _upload(energy, meter_id, "时间,读数\n2026-11-03 00:00,5\n".encode())
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "累计读数（表底）" in page and "定时间隔计量" in page
    assert "文件须包含 “时间”、“用量” 列" in page
    assert "look like" not in page and "needs timestamp" not in page


def test_a_png_renamed_csv_is_refused_before_the_mapping_and_nothing_is_kept(
    energy, app, db_session
):
    meter_id = _meter(energy)
    kept = Path(app.instance_path) / "checked-uploads"
    before = set(kept.glob("*")) if kept.exists() else set()
    for dry_run in (True, False):
        response = _upload(energy, meter_id, PNG + bytes(range(256)), "图片.csv", dry_run=dry_run)
        assert response.status_code in (200, 422), response.status_code
        assert "Location" not in response.headers  # never the column-mapping page
        page = response.get_data(as_text=True)
        assert "不是 CSV 文本文件或 XLSX 工作簿" in page and "PNG" not in page
    after = set(kept.glob("*")) if kept.exists() else set()
    assert after == before
    count = select(func.count()).select_from(MeterReading)
    assert db_session.scalar(count.where(MeterReading.meter_id == meter_id)) == 0


def test_an_overlapping_upload_without_replace_is_refused_in_chinese(energy):
    meter_id = _meter(energy)
    day = "时间,用量\n" + "".join(f"2026-11-01 {h:02d}:00,{h}\n" for h in range(24))
    assert _upload(energy, meter_id, day.encode(), dry_run=False).status_code == 302
    again = _upload(energy, meter_id, day.replace(",1\n", ",2\n").encode(), "改.csv", dry_run=False)
    page = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "与已存储的 24 条读数" in page and "替换同一时段已存储的读数" in page
    assert "overlaps" not in page and "upload with replace" not in page

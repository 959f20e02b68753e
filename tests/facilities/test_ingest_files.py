import hashlib
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from emc.facilities.ingest import IngestError, MeterSpec, read_readings

KWH_15 = MeterSpec(carrier="electricity", unit="kWh", kind="interval", interval_minutes=15)
GAS_BILLS = MeterSpec(carrier="natural_gas", unit="m³", kind="billing")
CHINESE = "时间,用量(kWh),数据质量\n2024-01-01 00:00,1.5,实测\n2024-01-01 00:15,2,估算\n"


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def read(data: bytes, spec=KWH_15, filename="meter.csv", **kwargs):
    reader = read_readings(io.BytesIO(data), filename=filename, spec=spec, **kwargs)
    return reader.read_all(), reader.summary


def problems(data: bytes, spec=KWH_15, filename="meter.csv", **kwargs):
    reader = read_readings(io.BytesIO(data), filename=filename, spec=spec, **kwargs)
    with pytest.raises(IngestError) as err:
        reader.read_all()
    return [(p.code, p.message) for p in err.value.problems]


EXPECTED_START = [epoch("2024-01-01T00:00+08:00"), epoch("2024-01-01T00:15+08:00")]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("utf-16", "utf-16")],
)
def test_encodings_are_detected(encoding, detected):
    batch, summary = read(CHINESE.encode(encoding))
    assert batch.start == EXPECTED_START
    assert batch.value == [1.5, 2.0]
    assert batch.quality == ["measured", "estimated"]
    assert summary.encoding == detected
    assert summary.columns["timestamp"] == "时间"


def test_bom_does_not_stick_to_the_first_header():
    _, summary = read("timestamp,value\n2024-01-01 00:00,1\n".encode("utf-8-sig"))
    assert summary.columns == {"timestamp": "timestamp", "value": "value"}


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(delimiter):
    text = CHINESE.replace(",", delimiter)
    assert read(text.encode())[0].value == [1.5, 2.0]


def test_crlf_line_ends():
    assert read(CHINESE.replace("\n", "\r\n").encode())[0].value == [1.5, 2.0]


def test_gbk_bytes_that_only_show_up_late_are_an_encoding_problem():
    # Beyond the first 64 KiB that the encoding is detected from.
    head = "timestamp,value,note\n" + "".join(
        f"2024-{m:02d}-{d:02d} {h:02d}:00,1,x\n"
        for m in range(1, 13)
        for d in range(1, 29)
        for h in range(24)
    )
    data = head.encode() + "2025-01-01 00:00,1,备注\n".encode("gbk")
    found = problems(data)
    assert len(found) == 1
    assert found[0][0] == "encoding"
    assert found[0][1].startswith("meter.csv: the file is not valid utf-8 text (near row")


def test_sha256_and_size_cover_the_whole_file():
    data = CHINESE.encode()
    _, summary = read(data)
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    assert summary.bytes_read == len(data)


def test_a_non_seekable_stream_is_read_once():
    class OneWay(io.RawIOBase):
        def __init__(self, data):
            self._inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._inner.readinto(b)

    data = ("timestamp,value\n" + "2024-01-01 00:00,1\n").encode()
    reader = read_readings(OneWay(data), filename="m.csv", spec=KWH_15)
    assert reader.read_all().value == [1.0]
    assert reader.summary.sha256 == hashlib.sha256(data).hexdigest()


def test_empty_file():
    assert problems(b"") == [("empty_file", "meter.csv: the file is empty")]
    assert problems(b"\n\n")[0][0] == "empty_file"


def test_legacy_xls_is_refused():
    assert problems(b"\xd0\xcf\x11\xe0" + b"\0" * 100, filename="m.xls") == [
        (
            "unsupported_file",
            "m.xls: legacy .xls workbooks are not supported; save as .xlsx or CSV",
        )
    ]


# ---------------------------------------------------------------------------- XLSX


def workbook(rows, title="Sheet1", extra_sheet=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet is not None:
        other = book.create_sheet(extra_sheet[0])
        for row in extra_sheet[1]:
            other.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_real_datetimes():
    data = workbook(
        [
            ["时间", "用量(MWh)"],
            [datetime(2024, 1, 1, 0, 0), 1.5],
            [datetime(2024, 1, 1, 0, 15), 2],
            [None, None],
            [datetime(2024, 1, 1, 0, 30), "3"],
        ]
    )
    batch, summary = read(data, filename="meter.xlsx")
    assert batch.start == [*EXPECTED_START, epoch("2024-01-01T00:30+08:00")]
    assert batch.value == [1500.0, 2000.0, 3000.0]
    assert (summary.file_type, summary.sheet, summary.encoding) == ("xlsx", "Sheet1", None)
    assert summary.sha256 == hashlib.sha256(data).hexdigest()


def test_xlsx_is_recognised_by_its_bytes_whatever_the_name():
    data = workbook([["timestamp", "value"], [datetime(2024, 1, 1), 1]])
    assert read(data, filename="export.csv")[1].file_type == "xlsx"


def test_xlsx_problems_name_the_sheet_row():
    data = workbook([["导出"], ["timestamp", "value"], [datetime(2024, 1, 1, 0, 7), 1], [12.5, 2]])
    assert problems(data, filename="m.xlsx") == [
        (
            "off_grid",
            'm.xlsx row 3, column "timestamp": "2024-01-01 00:07:00" is not on the 15-minute'
            " grid (interval starts are multiples of 15 minutes past local midnight)",
        ),
        (
            "bad_timestamp",
            'm.xlsx row 4, column "timestamp": 12.5 is not a valid timestamp (format the cells'
            " as dates or text)",
        ),
    ]


def test_xlsx_named_sheet_and_missing_sheet():
    data = workbook(
        [["说明"]],
        extra_sheet=("数据", [["timestamp", "value"], [datetime(2024, 1, 1), 4]]),
    )
    assert read(data, filename="m.xlsx", sheet="数据")[0].value == [4.0]
    assert problems(data, filename="m.xlsx", sheet="Data") == [
        ("sheet_not_found", "m.xlsx: no sheet 'Data' (sheets: 'Sheet1', '数据')")
    ]


def test_xlsx_billing_dates_are_half_open():
    data = workbook(
        [["开始日期", "结束日期", "用量(万m³)"], [date(2024, 1, 1), date(2024, 2, 1), 1.2]]
    )
    batch, _ = read(data, spec=GAS_BILLS, filename="bills.xlsx")
    assert batch.start == [epoch("2024-01-01T00:00+08:00")]
    assert batch.end == [epoch("2024-02-01T00:00+08:00")]
    assert batch.value == [12000.0]


def test_unreadable_xlsx():
    found = problems(b"PK\x03\x04 not really a zip", filename="m.xlsx")
    assert found[0][0] == "unreadable_file"


def test_damaged_sheet_inside_a_good_zip():
    good = workbook([["timestamp", "value"], [datetime(2024, 1, 1), 1]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    found = problems(out.getvalue(), filename="m.xlsx")
    assert found[0][0] == "unreadable_file"
    assert found[0][1].startswith("m.xlsx: the sheet cannot be read (")

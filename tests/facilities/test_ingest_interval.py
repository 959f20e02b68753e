import io
from datetime import datetime

import pytest

from emc.facilities.ingest import IngestError, MeterSpec, read_readings

KWH_15 = MeterSpec(carrier="electricity", unit="kWh", kind="interval", interval_minutes=15)


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def read(text, spec=KWH_15, filename="meter.csv", **kwargs):
    data = text.encode() if isinstance(text, str) else text
    reader = read_readings(io.BytesIO(data), filename=filename, spec=spec, **kwargs)
    return reader.read_all(), reader.summary


def problems(text, spec=KWH_15, filename="meter.csv", **kwargs):
    data = text.encode() if isinstance(text, str) else text
    reader = read_readings(io.BytesIO(data), filename=filename, spec=spec, **kwargs)
    with pytest.raises(IngestError) as err:
        reader.read_all()
    assert err.value.problems == reader.problems
    return [(p.code, p.message) for p in err.value.problems]


def test_plain_interval_file_is_read_as_utc_epochs_and_values():
    batch, summary = read("timestamp,value\n2024-01-01 00:00,1.5\n2024-01-01 00:15,2\n")
    assert batch.start == [epoch("2023-12-31T16:00+00:00"), epoch("2023-12-31T16:15+00:00")]
    assert batch.end is None
    assert batch.value == [1.5, 2.0]
    assert batch.quality == ["measured", "measured"]
    assert (summary.fmt, summary.file_type, summary.encoding) == ("interval", "csv", "utf-8")
    assert (summary.rows_read, summary.readings) == (2, 2)
    assert summary.first_start == epoch("2024-01-01T00:00+08:00")
    assert summary.last_end == epoch("2024-01-01T00:30+08:00")
    assert summary.source_unit == summary.unit == "kWh"
    assert summary.complete
    assert summary.warnings == ()


def test_local_midnight_in_shanghai_is_four_pm_utc_the_day_before():
    batch, _ = read("timestamp,value\n2024-01-01 00:00,1\n")
    assert batch.start == [1704038400]  # 2023-12-31T16:00:00Z


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-01-01 00:15",
        "2024-01-01T00:15:00",
        "2024/1/1 0:15",
        "2024/01/01 00:15:00",
        "2024-01-01T00:15:00+08:00",
        "2023-12-31T16:15:00Z",
        "2024年1月1日 0:15",
    ],
)
def test_timestamp_spellings(stamp):
    batch, _ = read(f"timestamp,value\n{stamp},1\n")
    assert batch.start == [epoch("2024-01-01T00:15+08:00")]


def test_chinese_headers_and_header_unit_convert_mwh_into_a_kwh_meter():
    batch, summary = read("时间,用量(MWh)\n2024-01-01 00:00,1.5\n2024-01-01 00:15,0.25\n")
    assert batch.value == [1500.0, 250.0]
    assert summary.columns == {"timestamp": "时间", "value": "用量(MWh)"}
    assert summary.source_unit == "MWh"


def test_unit_argument_and_bracketed_header_unit():
    assert read("time,value\n2024-01-01 00:00,2\n", unit="MWh")[0].value == [2000.0]
    assert read("Time , VALUE [Wh]\n2024-01-01 00:00,2000\n")[0].value == [2.0]


def test_multiplier_applies_after_unit_conversion():
    spec = MeterSpec("electricity", "kWh", "interval", 15, multiplier=40.0)
    assert read("timestamp,value\n2024-01-01 00:00,1.5\n", spec=spec)[0].value == [60.0]


def test_thousands_separators_and_full_width_digits_are_tolerated():
    batch, _ = read('timestamp,value\n2024-01-01 00:00,"1,234.5"\n2024-01-01 00:15,１２.５\n')
    assert batch.value == [1234.5, 12.5]


def test_quality_column_in_english_and_chinese():
    batch, _ = read(
        "时间,用量,数据质量\n2024-01-01 00:00,1,实测\n2024-01-01 00:15,2,估算\n"
        "2024-01-01 00:30,3,Replaced\n2024-01-01 00:45,4,\n"
    )
    assert batch.quality == ["measured", "estimated", "replaced", "measured"]


def test_per_row_unit_column():
    batch, summary = read(
        "timestamp,value,unit\n2024-01-01 00:00,1,MWh\n2024-01-01 00:15,5,kWh\n"
        "2024-01-01 00:30,7,\n"
    )
    assert batch.value == [1000.0, 5.0, 7.0]
    assert summary.source_unit == "per-row"


def test_column_map_for_unusual_headers():
    batch, summary = read(
        "采样点,正向有功总(kWh),备注\n2024-01-01 00:00,3,x\n",
        column_map={"采样点": "timestamp", "正向有功总(kWh)": "value"},
    )
    assert batch.value == [3.0]
    assert summary.columns == {"timestamp": "采样点", "value": "正向有功总(kWh)"}
    assert [w.code for w in summary.warnings] == ["ignored_columns"]


def test_title_rows_above_the_header_are_skipped_with_a_warning():
    batch, summary = read("XX医院 电表导出\n\n时间,用量\n2024-01-01 00:00,1\n")
    assert batch.value == [1.0]
    assert summary.header_row == 3
    assert summary.warnings[0].code == "skipped_rows"
    assert problems("标题\n时间,用量\n2024-01-01 00:07,1\n")[0][1].startswith("meter.csv row 3,")


def test_gaps_are_warnings_with_counts_and_ranges():
    batch, summary = read(
        "timestamp,value\n2024-01-01 00:00,1\n2024-01-01 01:00,1\n2024-01-01 01:15,1\n"
        "2024-01-01 02:00,1\n"
    )
    assert len(batch) == 4
    (gaps,) = summary.warnings
    assert gaps.code == "gaps"
    assert gaps.count == 5
    assert gaps.ranges == (
        (epoch("2024-01-01T00:15+08:00"), epoch("2024-01-01T01:00+08:00")),
        (epoch("2024-01-01T01:30+08:00"), epoch("2024-01-01T02:00+08:00")),
    )
    assert gaps.message == (
        "meter.csv: 5 missing intervals in 2 gaps (local time: 2024-01-01 00:15 – "
        "2024-01-01 01:00, 2024-01-01 01:30 – 2024-01-01 02:00)"
    )


def test_daily_meter_starts_at_local_midnight():
    spec = MeterSpec("water", "m³", "interval", 1440)
    batch, summary = read("日期,用量(吨)\n2024-01-01,3\n2024-01-02,4\n2024-01-04,5\n", spec=spec)
    assert batch.value == [3.0, 4.0, 5.0]
    assert summary.warnings[0].count == 1
    assert problems("日期,用量\n2024-01-01 08:00,3\n", spec=spec) == [
        (
            "off_grid",
            'meter.csv row 2, column "日期": "2024-01-01 08:00" is not on the 1440-minute grid'
            " (daily intervals start at local midnight)",
        )
    ]


# ---------------------------------------------------------------------------- rules


def test_invalid_timestamp():
    assert problems("时间,用量\n2024-01-01 00:00,1\n2024-13-01 00:00,1\n") == [
        (
            "bad_timestamp",
            'meter.csv row 3, column "时间": "2024-13-01 00:00" is not a valid timestamp'
            " (month must be in 1..12)",
        )
    ]
    assert problems("时间,用量\nyesterday,1\n") == [
        ("bad_timestamp", 'meter.csv row 2, column "时间": "yesterday" is not a valid timestamp')
    ]


def test_missing_timestamp():
    assert problems("timestamp,value\n,1\n") == [
        ("missing_timestamp", 'meter.csv row 2, column "timestamp": timestamp is empty')
    ]


def test_off_grid_timestamp():
    assert problems("timestamp,value\n2024-01-01 00:00,1\n2024-01-01 00:07,1\n") == [
        (
            "off_grid",
            'meter.csv row 3, column "timestamp": "2024-01-01 00:07" is not on the 15-minute grid'
            " (interval starts are multiples of 15 minutes past local midnight)",
        )
    ]
    assert problems("timestamp,value\n2024-01-01 00:15:30,1\n")[0][0] == "off_grid"


def test_grid_is_checked_in_local_time_for_timestamps_with_offsets():
    hourly = MeterSpec("electricity", "kWh", "interval", 60, timezone="Asia/Kolkata")
    assert read("timestamp,value\n2024-01-01T00:00+05:30,1\n", spec=hourly)[0].value == [1.0]
    assert problems("timestamp,value\n2024-01-01T00:00Z,1\n", spec=hourly)[0][0] == "off_grid"


def test_duplicate_names_both_rows():
    assert problems("timestamp,value\n2024-01-01 00:00,1\n2024-01-01 00:00,2\n") == [
        (
            "duplicate",
            'meter.csv row 3, column "timestamp": "2024-01-01 00:00" repeats the timestamp'
            " of row 2",
        )
    ]


def test_out_of_order():
    assert problems("timestamp,value\n2024-01-01 00:15,1\n2024-01-01 00:00,2\n") == [
        (
            "out_of_order",
            'meter.csv row 3, column "timestamp": "2024-01-01 00:00" is earlier than row 2'
            " (2024-01-01 00:15 local); rows must be in ascending time order",
        )
    ]


def test_missing_value():
    assert problems("timestamp,value\n2024-01-01 00:00,\n") == [
        ("missing_value", 'meter.csv row 2, column "value": value is empty')
    ]


def test_a_short_row_is_a_missing_value():
    assert problems("timestamp,value\n2024-01-01 00:00\n")[0][0] == "missing_value"


def test_bad_value():
    assert problems("timestamp,value\n2024-01-01 00:00,12a\n") == [
        ("bad_value", 'meter.csv row 2, column "value": "12a" is not a number')
    ]
    # a comma that is not a thousands separator (European decimal comma) is refused
    assert problems('timestamp,value\n2024-01-01 00:00,"1,5"\n')[0][0] == "bad_value"


def test_negative_value():
    assert problems("timestamp,value\n2024-01-01 00:00,-0.5\n") == [
        (
            "negative_value",
            'meter.csv row 2, column "value": "-0.5" is negative; consumption cannot be negative',
        )
    ]


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e999"])
def test_non_finite_value(text):
    assert problems(f"timestamp,value\n2024-01-01 00:00,{text}\n") == [
        ("non_finite", f'meter.csv row 2, column "value": "{text}" is not a finite number')
    ]


def test_bad_quality():
    assert problems("timestamp,value,quality\n2024-01-01 00:00,1,good\n") == [
        (
            "bad_quality",
            'meter.csv row 2, column "quality": "good" is not a data quality'
            " (measured/实测, estimated/估算, replaced/替换)",
        )
    ]


def test_every_problem_of_a_row_is_reported():
    assert [c for c, _ in problems("timestamp,value,quality\n2024-01-01 00:07,x,y\n")] == [
        "off_grid",
        "bad_value",
        "bad_quality",
    ]


def test_unit_that_does_not_fit_the_carrier_names_the_column():
    assert problems("时间,用量(m³)\n2024-01-01 00:00,1\n") == [
        (
            "bad_unit",
            'meter.csv row 1, column "用量(m³)": the unit m³ does not fit Electricity'
            " (accepted: Wh, kWh, MWh)",
        )
    ]


def test_wrong_unit_in_a_unit_column_names_the_row():
    assert problems("timestamp,value,单位\n2024-01-01 00:00,1,kWh\n2024-01-01 00:15,1,GJ\n") == [
        (
            "bad_unit",
            'meter.csv row 3, column "单位": the unit GJ does not fit Electricity'
            " (accepted: Wh, kWh, MWh)",
        )
    ]


def test_wrong_unit_argument():
    assert problems("timestamp,value\n2024-01-01 00:00,1\n", unit="t") == [
        (
            "bad_unit",
            "meter.csv: the unit given for the upload: the unit t does not fit Electricity"
            " (accepted: Wh, kWh, MWh)",
        )
    ]


def test_header_unit_that_contradicts_the_unit_argument():
    assert problems("timestamp,value (MWh)\n2024-01-01 00:00,1\n", unit="kWh") == [
        (
            "unit_conflict",
            'meter.csv row 1, column "value (MWh)": the header says MWh but the upload was'
            " declared in kWh",
        )
    ]


def test_missing_column():
    assert problems("timestamp,quality\n2024-01-01 00:00,1\n") == [
        (
            "missing_column",
            'meter.csv row 1: no value column (it may be headed "value", "consumption", "usage",'
            ' "用量", "消耗量", "用电量" …)',
        )
    ]


def test_no_header():
    assert problems("2024-01-01 00:00,1\n2024-01-01 00:15,1\n") == [
        (
            "no_header",
            "meter.csv: no header row found in the first 10 rows; an interval meter needs columns"
            ' timestamp, value (first row: "2024-01-01 00:00", "1")',
        )
    ]


def test_duplicate_column():
    assert problems("时间,日期,用量\n2024-01-01 00:00,2024-01-01 00:00,1\n") == [
        (
            "duplicate_column",
            'meter.csv row 1, column "日期": "时间" and "日期" both name the timestamp column',
        )
    ]


def test_billing_file_for_an_interval_meter():
    assert problems("开始日期,结束日期,用量\n2024-01-01,2024-01-31,100\n") == [
        (
            "format_mismatch",
            "meter.csv row 1: the columns look like billing data (start, end, value) but the"
            " meter is an interval meter (needs timestamp, value)",
        )
    ]


def test_fmt_that_disagrees_with_the_meter_kind():
    assert problems("timestamp,value\n2024-01-01 00:00,1\n", fmt="billing") == [
        (
            "format_mismatch",
            'meter.csv: format "billing" disagrees with the meter\'s kind "interval"',
        )
    ]
    assert read("timestamp,value\n2024-01-01 00:00,1\n", fmt="interval")[0].value == [1.0]


def test_bad_column_map():
    assert problems("a,b\n", column_map={"a": "when"})[0][0] == "bad_column_map"


def test_max_rows():
    text = "timestamp,value\n" + "".join(f"2024-01-01 0{h}:00,1\n" for h in range(5))
    assert read(text, max_rows=5)[1].readings == 5
    assert problems(text, max_rows=4) == [
        (
            "too_many_rows",
            "meter.csv: more than 4 data rows (the limit for one upload); split the file",
        )
    ]


def test_problems_stop_at_the_limit_with_a_note():
    text = "timestamp,value\n" + "2024-01-01 00:00,x\n" * 50
    found = problems(text, max_problems=10)
    assert len(found) == 11
    assert found[-1] == (
        "too_many_errors",
        "meter.csv: stopped after 10 problems; fix these and upload the file again",
    )


def test_no_batches_are_yielded_after_the_first_problem():
    text = "timestamp,value\n" + "".join(f"2024-01-01 0{h}:00,1\n" for h in range(8))
    text += "2024-01-01 09:00,bad\n2024-01-01 10:00,1\n"
    reader = read_readings(io.BytesIO(text.encode()), filename="m.csv", spec=KWH_15, batch_size=3)
    seen = []
    with pytest.raises(IngestError) as err:
        for batch in reader:
            seen.append(len(batch))
    assert seen == [3, 3]  # rows 2–7; the batch holding row 10 is never handed out
    assert [p.row for p in err.value.problems] == [10]
    assert reader.summary.readings == 9
    assert err.value.summary is reader.summary


def test_batches_and_progress():
    text = "timestamp,value\n" + "".join(f"2024-01-01 {h:02d}:00,{h}\n" for h in range(10))
    calls = []
    reader = read_readings(
        io.BytesIO(text.encode()),
        filename="m.csv",
        spec=KWH_15,
        batch_size=4,
        progress=calls.append,
    )
    assert [len(b) for b in reader] == [4, 4, 2]
    assert calls == [4, 8, 10]


def test_the_summary_waits_for_the_end_and_the_reader_is_single_use():
    reader = read_readings(io.BytesIO(b"timestamp,value\n"), filename="m.csv", spec=KWH_15)
    with pytest.raises(RuntimeError):
        reader.summary  # noqa: B018
    assert list(reader) == []
    assert reader.summary.readings == 0
    with pytest.raises(RuntimeError):
        iter(reader)


# ---------------------------------------------------------------------------- time zones

NEW_YORK = MeterSpec("electricity", "kWh", "interval", 15, timezone="America/New_York")


def test_nonexistent_local_time_in_a_dst_zone():
    assert problems("timestamp,value\n2024-03-10 01:45,1\n2024-03-10 02:30,1\n", NEW_YORK) == [
        (
            "nonexistent_time",
            'meter.csv row 3, column "timestamp": "2024-03-10 02:30" does not exist in'
            " America/New_York (clocks were set forward)",
        )
    ]


def test_spring_forward_is_contiguous_in_utc():
    batch, summary = read("timestamp,value\n2024-03-10 01:45,1\n2024-03-10 03:00,1\n", NEW_YORK)
    assert batch.start[1] - batch.start[0] == 900
    assert summary.warnings == ()


def test_repeated_hour_in_a_sorted_file_reads_the_second_occurrence():
    text = "timestamp,value\n" + "".join(
        f"2024-11-03 {h}:{m:02d},1\n" for h in ("00", "01", "01", "02") for m in (0, 15, 30, 45)
    )
    batch, summary = read(text, NEW_YORK)
    assert all(b - a == 900 for a, b in zip(batch.start, batch.start[1:], strict=False))
    assert batch.start[4] == epoch("2024-11-03T01:00-04:00")
    assert batch.start[8] == epoch("2024-11-03T01:00-05:00")
    (ambiguous,) = summary.warnings
    assert ambiguous.code == "ambiguous_time"
    assert ambiguous.count == 8


def test_lone_ambiguous_time_takes_the_first_occurrence_unless_offset_given():
    assert read("timestamp,value\n2024-11-03 01:30,1\n", NEW_YORK)[0].start == [
        epoch("2024-11-03T01:30-04:00")
    ]
    assert read("timestamp,value\n2024-11-03T01:30-05:00,1\n", NEW_YORK)[0].start == [
        epoch("2024-11-03T01:30-05:00")
    ]


def test_slow_and_fast_paths_agree():
    # The same rows, once in cacheable ISO text and once in a spelling that always takes the
    # general parser, give the same readings.
    iso = "timestamp,value\n" + "".join(f"2024-02-28 {h:02d}:45,{h}.5\n" for h in range(24))
    iso += "2024-02-29 00:00,1\n"
    other = iso.replace("2024-02-28 ", "2024/2/28 ").replace("2024-02-29 ", "2024/2/29 ")
    assert read(iso)[0] == read(other)[0]


def test_column_map_headers_that_are_not_in_the_file():
    assert problems("日子,多少\n2024-01-01 00:00,1\n", column_map={"采样时间": "timestamp"}) == [
        (
            "no_header",
            "meter.csv: no header row found in the first 10 rows with the mapped columns"
            ' "采样时间" (first row: "日子", "多少")',
        )
    ]


def test_a_column_map_for_other_files_does_not_stop_a_recognised_header():
    batch, _ = read("时间,用量\n2024-01-01 00:00,1\n", column_map={"采样时间": "timestamp"})
    assert batch.value == [1.0]


def test_the_error_lists_the_problems():
    reader = read_readings(
        io.BytesIO(b"timestamp,value\n2024-01-01 00:00,x\n"), filename="m.csv", spec=KWH_15
    )
    with pytest.raises(IngestError) as err:
        list(reader)
    assert str(err.value) == 'm.csv: 1 problem\nm.csv row 2, column "value": "x" is not a number'
    assert err.value.filename == "m.csv"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"carrier": "steam", "unit": "t", "kind": "interval"}, "steam"),
        ({"carrier": "electricity", "unit": "m3", "kind": "interval"}, "does not fit"),
        ({"carrier": "electricity", "unit": "kWh", "kind": "interval"}, "interval_minutes"),
        (
            {"carrier": "electricity", "unit": "kWh", "kind": "interval", "interval_minutes": 7},
            "interval_minutes",
        ),
        ({"carrier": "electricity", "unit": "kWh", "kind": "register", "multiplier": 0}, "mult"),
        ({"carrier": "water", "unit": "t", "kind": "billing", "timezone": "Mars/Olympus"}, "zone"),
    ],
)
def test_meter_spec_is_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MeterSpec(**kwargs)


def test_meter_unit_may_be_any_spelling():
    spec = MeterSpec("electricity", "度", "interval", 60)
    batch, summary = read("时间,用量(MWh)\n2024-01-01 00:00,1\n", spec=spec)
    assert batch.value == [1000.0]
    assert summary.unit == "kWh"

"""Billing and register meters."""

import io
from datetime import datetime

import pytest

from emc.facilities.ingest import IngestError, MeterSpec, read_readings

BILLS = MeterSpec(carrier="electricity", unit="kWh", kind="billing")
REGISTER = MeterSpec(carrier="electricity", unit="kWh", kind="register")
ROLLING = MeterSpec(carrier="water", unit="m³", kind="register", rollover=100000.0)


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def local(text: str) -> int:
    return epoch(text + "+08:00")


def read(text, spec, **kwargs):
    reader = read_readings(io.BytesIO(text.encode()), filename="bills.csv", spec=spec, **kwargs)
    return reader.read_all(), reader.summary


def problems(text, spec, **kwargs):
    reader = read_readings(io.BytesIO(text.encode()), filename="bills.csv", spec=spec, **kwargs)
    with pytest.raises(IngestError) as err:
        reader.read_all()
    return [(p.code, p.message) for p in err.value.problems]


# ---------------------------------------------------------------------------- billing


def test_billing_periods_are_half_open():
    batch, summary = read("开始日期,结束日期,用量\n2024-01-01,2024-02-01,31000\n", BILLS)
    assert batch.start == [local("2024-01-01T00:00")]
    assert batch.end == [local("2024-02-01T00:00")]
    assert (batch.end[0] - batch.start[0]) // 86400 == 31
    assert batch.value == [31000.0]
    assert summary.fmt == "billing"
    assert summary.last_end == local("2024-02-01T00:00")


def test_monthly_bills_sharing_a_boundary_date_are_contiguous():
    batch, summary = read(
        "start,end,value\n2024-01-15,2024-02-15,1\n2024-02-15,2024-03-15,2\n"
        "2024-03-15,2024-04-15,3\n",
        BILLS,
    )
    assert batch.start == [
        local("2024-01-15T00:00"),
        local("2024-02-15T00:00"),
        local("2024-03-15T00:00"),
    ]
    assert batch.start[1:] == batch.end[:-1]
    assert batch.end[-1] == local("2024-04-15T00:00")
    assert summary.warnings == ()


def test_bills_that_start_the_day_after_the_previous_end_read_as_inclusive_ends():
    batch, summary = read(
        "start,end,value\n2024-01-01,2024-01-31,1\n2024/2/1,2024/2/29,2\n2024-03-01,2024-03-31,3\n",
        BILLS,
    )
    assert batch.start[1:] == batch.end[:-1]
    assert batch.end[-1] == local("2024-04-01T00:00")
    (note,) = summary.warnings
    assert note.code == "inclusive_ends"


def test_billing_end_with_a_time_is_an_exclusive_instant():
    batch, _ = read("start,end,value\n2024-01-01 00:00,2024-02-01 00:00,1\n", BILLS)
    assert batch.end == [local("2024-02-01T00:00")]


def test_uncovered_time_between_bills_is_a_warning():
    _, summary = read("start,end,value\n2024-01-01,2024-02-01,1\n2024-03-01,2024-04-01,3\n", BILLS)
    (gap,) = summary.warnings
    assert (gap.code, gap.count) == ("gaps", 1)
    assert gap.ranges == ((local("2024-02-01T00:00"), local("2024-03-01T00:00")),)


def test_end_before_start():
    assert problems("start,end,value\n2024-01-31,2024-01-01,1\n", BILLS) == [
        (
            "bad_period",
            'bills.csv row 2, column "end": end "2024-01-01" is not after start "2024-01-31"',
        )
    ]


def test_bill_shorter_than_a_day():
    assert problems("start,end,value\n2024-01-01 08:00,2024-01-01 20:00,1\n", BILLS) == [
        (
            "short_period",
            'bills.csv row 2, column "end": the period "2024-01-01 08:00" to'
            ' "2024-01-01 20:00" is shorter than one day',
        )
    ]


def test_a_one_day_bill_is_fine():
    batch, _ = read("start,end,value\n2024-01-01,2024-01-01,1\n", BILLS)
    assert batch.end[0] - batch.start[0] == 86400


def test_overlapping_bills_name_both_rows():
    assert problems(
        "start,end,value\n2024-01-01,2024-02-01,1\n2024-01-15,2024-02-14,2\n", BILLS
    ) == [
        (
            "overlap",
            'bills.csv row 3, column "start": the period "2024-01-15" to "2024-02-14" overlaps'
            " the bill in row 2 (which ends 2024-02-01 00:00 local, exclusive)",
        )
    ]


def test_bills_out_of_order():
    assert problems(
        "start,end,value\n2024-02-01,2024-02-29,1\n2024-01-01,2024-01-31,2\n", BILLS
    ) == [
        (
            "out_of_order",
            'bills.csv row 3, column "start": "2024-01-01" starts before the bill in row 2;'
            " bills must be in ascending order of start",
        )
    ]


def test_billing_value_rules_apply():
    assert [c for c, _ in problems("start,end,value\n2024-01-01,2024-01-31,-3\n", BILLS)] == [
        "negative_value"
    ]


def test_billing_max_rows():
    text = "start,end,value\n2024-01-01,2024-01-31,1\n2024-02-01,2024-02-29,1\n"
    assert problems(text, BILLS, max_rows=1)[0][0] == "too_many_rows"


# ---------------------------------------------------------------------------- register


def test_register_reads_are_differenced_into_the_periods_between_them():
    batch, summary = read(
        "抄表时间,表底\n2024-01-01 00:00,1000\n2024-02-01 00:00,1250.5\n2024-03-01 09:30,1500\n",
        REGISTER,
    )
    assert batch.start == [local("2024-01-01T00:00"), local("2024-02-01T00:00")]
    assert batch.end == [local("2024-02-01T00:00"), local("2024-03-01T09:30")]
    assert batch.value == [250.5, 249.5]
    assert summary.fmt == "register"
    assert (summary.rows_read, summary.readings) == (3, 2)


def test_register_differences_are_free_of_float_noise_and_take_the_multiplier():
    spec = MeterSpec("electricity", "kWh", "register", multiplier=80.0)
    batch, _ = read("timestamp,reading\n2024-01-01,12345.1\n2024-01-02,12345.6\n", spec)
    assert batch.value == [40.0]


def test_register_reading_in_mwh_header_unit():
    batch, _ = read("timestamp,reading (MWh)\n2024-01-01,1.5\n2024-01-02,1.75\n", REGISTER)
    assert batch.value == [250.0]


def test_register_rollover():
    batch, summary = read(
        "timestamp,reading\n2024-01-01,99990\n2024-02-01,30.5\n2024-03-01,40.5\n", ROLLING
    )
    assert batch.value == [40.5, 10.0]
    (rollover,) = summary.warnings
    assert (rollover.code, rollover.rows) == ("rollover", (3,))


def test_register_decrease_without_rollover_is_an_error_with_a_hint():
    assert problems("timestamp,reading\n2024-01-01,1500\n2024-02-01,1200\n", REGISTER) == [
        (
            "register_decrease",
            'bills.csv row 3, column "reading": reading "1200" is lower than the previous'
            ' reading "1500" in row 2; if the meter was replaced, mark this row\'s quality'
            ' "replaced"; if the register rolled over, set the meter\'s rollover value',
        )
    ]


def test_reading_at_or_above_the_rollover_is_an_error():
    assert problems("timestamp,reading\n2024-01-01,100000\n", ROLLING) == [
        (
            "reading_exceeds_rollover",
            'bills.csv row 2, column "reading": reading "100000" is not below the register\'s'
            " rollover value 100000",
        )
    ]


def test_meter_replacement_starts_a_new_base():
    batch, summary = read(
        "timestamp,reading,quality\n"
        "2024-01-01,5000,\n"
        "2024-02-01,5300,\n"
        "2024-02-10,12,replaced\n"
        "2024-03-01,212,估算\n",
        REGISTER,
    )
    assert batch.start == [local("2024-01-01T00:00"), local("2024-02-10T00:00")]
    assert batch.end == [local("2024-02-01T00:00"), local("2024-03-01T00:00")]
    assert batch.value == [300.0, 200.0]
    assert batch.quality == ["measured", "estimated"]
    (replaced,) = summary.warnings
    assert (replaced.code, replaced.rows) == ("meter_replaced", (4,))


def test_register_order_and_duplicates():
    assert problems("timestamp,reading\n2024-01-02,1\n2024-01-02,2\n", REGISTER)[0][0] == (
        "duplicate"
    )
    assert problems("timestamp,reading\n2024-01-02,1\n2024-01-01,2\n", REGISTER)[0][0] == (
        "out_of_order"
    )


def test_negative_reading():
    assert problems("timestamp,reading\n2024-01-02,-1\n", REGISTER) == [
        (
            "negative_value",
            'bills.csv row 2, column "reading": "-1" is negative; a reading cannot be negative',
        )
    ]


def test_interval_file_for_a_register_meter_is_a_format_mismatch():
    assert problems("timestamp,value\n2024-01-02,1\n", REGISTER)[0][0] == "format_mismatch"
    batch, _ = read(
        "timestamp,value\n2024-01-01,1\n2024-01-02,3\n",
        REGISTER,
        column_map={"value": "reading"},
    )
    assert batch.value == [2.0]


def test_a_bill_with_a_bad_value_still_counts_for_overlaps():
    assert [
        c
        for c, _ in problems(
            "start,end,value\n2024-01-01,2024-01-31,x\n2024-01-15,2024-02-14,2\n", BILLS
        )
    ] == ["bad_value", "overlap"]

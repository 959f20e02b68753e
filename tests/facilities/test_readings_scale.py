"""Readings at scale: the daily rollup answers as the raw rows do, a meter with readings is never
deleted (meter_readings has no foreign key), the binary COPY encoding, monthly partitions."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from emc import demo
from emc.auth.actor import Actor
from emc.errors import Conflict
from emc.facilities import partitions, rollup, service, store
from emc.facilities.models import Meter
from emc.facilities.service import analysis

QUARTER = 900
BASE = 1_704_038_400  # 2024-01-01 00:00 Asia/Shanghai


def _actor(session) -> Actor:
    return demo.actor_for(session, "energy@school.demo")


def _meter(session, actor, zone="Asia/Shanghai", name="规模表"):
    site = service.create_site(
        session, actor, name=f"规模测试{name}", region_code="330100", timezone=zone
    )
    return service.create_meter(
        session,
        actor,
        site_id=site.id,
        name=name,
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=15,
    )


def _upload(session, actor, meter, values: dict[int, float], replace=False, batch_size=50_000):
    body = "timestamp,value\n" + "".join(
        f"{dt.datetime.fromtimestamp(BASE + q * QUARTER, dt.UTC).isoformat()},{v}\n"
        for q, v in sorted(values.items())
    )
    return service.import_readings(
        session,
        actor,
        meter.id,
        io.BytesIO(body.encode()),
        filename="r.csv",
        replace=replace,
        batch_size=batch_size,
    )


def _same(a, b):
    assert [(d, n) for d, _t, n in a] == [(d, n) for d, _t, n in b]
    for (_d, x, _n), (_e, y, _m) in zip(a, b, strict=True):
        assert x == pytest.approx(y, rel=1e-12, abs=1e-9)


@st.composite
def uploads(draw):
    # Up to four days of quarter hours, in runs that may cross local midnights.
    first = draw(st.integers(0, 4 * 96))
    length = draw(st.integers(1, 3 * 96))
    quarters = sorted(
        {first, first + length - 1}
        | set(draw(st.lists(st.integers(first, first + length - 1), max_size=40)))
    )
    values = {
        q: draw(st.floats(0, 50, allow_nan=False).map(lambda x: round(x, 3))) for q in quarters
    }
    return values, draw(st.booleans())


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(uploads(), min_size=1, max_size=4),
    st.sampled_from(["Asia/Shanghai", "America/New_York", "Asia/Kathmandu"]),
    st.integers(7, 200),
    st.integers(0, 7 * 96),
    st.integers(1, 7 * 96),
)
def test_daily_rollup_equals_the_raw_aggregate(db_session, sequence, zone, batch, a, span):
    savepoint = db_session.begin_nested()
    try:
        actor = _actor(db_session)
        meter = _meter(db_session, actor, zone)
        for values, replace in sequence:
            with contextlib.suppress(Conflict):
                _upload(db_session, actor, meter, values, replace=replace, batch_size=batch)
        full = (BASE - 2 * 86400, BASE + 9 * 86400)
        part = (BASE + a * QUARTER, BASE + (a + span) * QUARTER)
        for lo, hi in (full, part):
            _same(
                analysis.local_day_rows(db_session, meter.id, zone, lo, hi),
                rollup.raw_day_rows(db_session, meter.id, zone, lo, hi),
            )
    finally:
        savepoint.rollback()


def test_rollup_follows_a_change_of_the_sites_timezone(db_session):
    actor = _actor(db_session)
    meter = _meter(db_session, actor)
    _upload(db_session, actor, meter, {q: 1.0 for q in range(0, 3 * 96)})
    service.update_site(db_session, actor, meter.site_id, timezone="Europe/London")
    lo, hi = BASE - 86400, BASE + 5 * 86400
    rows = analysis.local_day_rows(db_session, meter.id, "Europe/London", lo, hi)
    _same(rows, rollup.raw_day_rows(db_session, meter.id, "Europe/London", lo, hi))
    assert [n for _d, _t, n in rows] == [32, 96, 96, 64]  # 00:00 +08 is 16:00 in London


def test_a_meter_with_readings_is_never_deleted(db_session):
    actor = _actor(db_session)
    meter = _meter(db_session, actor)
    _upload(db_session, actor, meter, {0: 1.0, 1: 2.0})
    db_session.delete(meter)
    with pytest.raises(Conflict) as caught:
        db_session.flush()
    assert caught.value.code == "meter_has_readings"


def test_a_meter_without_readings_may_be_deleted(db_session):
    actor = _actor(db_session)
    meter = _meter(db_session, actor)
    meter_id = meter.id
    db_session.delete(meter)
    db_session.flush()
    assert db_session.get(Meter, meter_id) is None


@pytest.mark.parametrize(
    ("end", "quality"),
    [
        (None, ["measured", "measured", "measured"]),  # the usual batch: two values bound a row
        (None, ["measured", "estimated", "measured"]),  # mixed qualities: every column bound
        ([QUARTER, 2 * QUARTER, 3 * QUARTER], ["estimated"] * 3),  # explicit ends (bills)
    ],
)
def test_every_kind_of_batch_is_stored_as_given(db_session, end, quality):
    """Each way a batch is written (on SQLite, the statement depends on the batch) stores the
    same rows: meter, start, end, the exact value and the quality."""
    meter = _meter(db_session, _actor(db_session))
    values = [0.1, 1e-300, 123456.789012345]
    store.write_readings(db_session, meter.id, [0, QUARTER, 2 * QUARTER], end, values, quality)
    rows = db_session.execute(
        text(
            "SELECT meter_id, start_ts, end_ts, value, quality FROM meter_readings"
            " WHERE meter_id = :m ORDER BY start_ts"
        ),
        {"m": meter.id},
    ).all()
    ends = end or [None] * 3
    assert [tuple(r) for r in rows] == [
        (meter.id, t, e, v, q)
        for t, e, v, q in zip([0, QUARTER, 2 * QUARTER], ends, values, quality, strict=True)
    ]


def test_binary_copy_rows_encode_each_field_with_its_length():
    raw = store.copy_rows(7, [1, 2], None, [1.5, 2.0], ["measured", "estimated"])
    measured = (
        b"\x00\x05"
        + b"\x00\x00\x00\x04\x00\x00\x00\x07"
        + b"\x00\x00\x00\x08"
        + (1).to_bytes(8, "big")
        + b"\xff\xff\xff\xff"
        + b"\x00\x00\x00\x08"
        + bytes.fromhex("3ff8000000000000")
        + b"\x00\x00\x00\x08measured"
    )
    assert raw.count(measured) == 1
    assert b"\x00\x00\x00\x09estimated" in raw
    assert len(raw) == 2 * (2 + 8 + 12 + 4 + 12 + 4) + 8 + 9


def test_partition_job_creates_months_ahead_and_splits_the_default(db_session):
    import emc.jobs  # noqa: F401  (registers the jobs)
    from emc import scheduler

    assert scheduler.JOBS["reading_partitions"].func is emc.jobs.reading_partitions
    if db_session.get_bind().dialect.name != "postgresql":
        assert partitions.ensure_partitions(db_session, dt.date(2030, 1, 15)) == []
        return
    actor = _actor(db_session)
    meter = _meter(db_session, actor)
    # 2001 has no partition: the upload lands in the default partition, the job moves it.
    old = int(dt.datetime(2001, 3, 1, tzinfo=dt.UTC).timestamp())
    store.write_readings(db_session, meter.id, [old, old + QUARTER], None, [1.0, 2.0], ["m", "m"])
    created = partitions.ensure_partitions(db_session, dt.date(2030, 11, 20))
    # (plus the months of the demo's readings, written after the migration into the default)
    assert {"m200103", "m203011", "m203012", "m203101", "m203102"} <= set(created)
    assert "m203103" not in created
    assert partitions.ensure_partitions(db_session, dt.date(2030, 11, 20)) == []
    held = db_session.execute(
        text(f"SELECT count(*) FROM {partitions.SCHEMA}.m200103 WHERE meter_id = :m"),
        {"m": meter.id},
    ).scalar()
    assert held == 2


@st.composite
def ragged_days(draw):
    """Several days of quarter hours with holes: single missing readings, missing hours and
    whole missing days, so that complete days sit between incomplete ones."""
    days = draw(st.integers(2, 7))
    start = draw(st.integers(0, 95))
    quarters = set(range(start, days * 96 - draw(st.integers(0, 95))))
    for _ in range(draw(st.integers(0, 6))):
        hole = draw(st.integers(0, days * 96))
        quarters -= set(range(hole, hole + draw(st.sampled_from([1, 3, 40, 96, 150]))))
    return sorted(quarters) or [start]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ragged_days(), st.sampled_from(["Asia/Shanghai", "America/New_York", "Asia/Kathmandu"]))
def test_gaps_read_near_incomplete_days_equal_gaps_read_from_every_reading(
    db_session, quarters, zone
):
    """The quality report reads raw readings only around incomplete days; it finds exactly the
    gaps a pass over every reading finds (here across the 2024 spring DST change)."""
    dst_eve = 1_710_028_800  # 2024-03-10 00:00 UTC, the night New York moves its clocks
    savepoint = db_session.begin_nested()
    try:
        actor = _actor(db_session)
        meter = _meter(db_session, actor, zone)
        body = "timestamp,value\n" + "".join(
            f"{dt.datetime.fromtimestamp(dst_eve - 2 * 86400 + q * QUARTER, dt.UTC).isoformat()},1\n"
            for q in quarters
        )
        service.import_readings(
            db_session, actor, meter.id, io.BytesIO(body.encode()), filename="r.csv"
        )
        report = analysis.quality_report(db_session, actor, meter.id)
        every, seconds = analysis._gaps(db_session, meter, QUARTER)
        event("with gaps" if every else "no gaps")
        assert report.gaps == tuple(every) and report.gap_seconds == seconds
    finally:
        savepoint.rollback()


_ZERO_RUNS_OVER_EVERY_READING = (
    "WITH r AS (SELECT start_ts, COALESCE(end_ts, start_ts + :iv) AS end_ts, value,"
    "  ROW_NUMBER() OVER (ORDER BY start_ts) AS rn"
    "  FROM meter_readings WHERE meter_id = :m),"
    " z AS (SELECT start_ts, end_ts, rn - ROW_NUMBER() OVER (ORDER BY start_ts) AS grp"
    "  FROM r WHERE value = 0)"
    " SELECT min(start_ts), max(end_ts), count(*) FROM z GROUP BY grp"
    " HAVING max(end_ts) - min(start_ts) >= :min ORDER BY 1"
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ragged_days(), st.data())
def test_zero_runs_read_from_zero_readings_equal_runs_over_every_reading(
    db_session, quarters, data
):
    """Runs of zeros found from the zero readings alone (consecutive when adjacent in time or
    with no reading between) are the runs a numbering of every reading finds; a run may
    cross a gap in the data, as before."""
    zero_from = data.draw(st.integers(0, len(quarters)))
    zero_len = data.draw(st.integers(0, 3 * 96))
    scattered = set(data.draw(st.lists(st.integers(0, len(quarters)), max_size=30)))
    savepoint = db_session.begin_nested()
    try:
        actor = _actor(db_session)
        meter = _meter(db_session, actor)
        values = {
            q: 0 if zero_from <= i < zero_from + zero_len or i in scattered else 1.5
            for i, q in enumerate(quarters)
        }
        _upload(db_session, actor, meter, values)
        for minimum in (QUARTER, 86400):
            runs = analysis._zero_runs(db_session, meter, QUARTER, minimum)
            reference = db_session.execute(
                text(_ZERO_RUNS_OVER_EVERY_READING),
                {"m": meter.id, "iv": QUARTER, "min": minimum},
            ).all()
            assert [
                (int(r.start.timestamp()), int(r.end.timestamp()), r.readings) for r in runs
            ] == [(int(s), int(e), int(n)) for s, e, n in reference]
            event("with a day-long run" if minimum == 86400 and runs else "other")
    finally:
        savepoint.rollback()

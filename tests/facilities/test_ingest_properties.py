import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from emc.facilities.ingest import MeterSpec, read_readings

LAYOUTS = {
    "iso": lambda t: t.strftime("%Y-%m-%d %H:%M"),
    "iso_t_seconds": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S"),
    "slashes": lambda t: f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}",
    "offset": lambda t: t.isoformat(),
}


@st.composite
def interval_series(draw):
    minutes = draw(st.sampled_from([15, 30, 60, 1440]))
    zone = draw(st.sampled_from(["Asia/Shanghai", "America/New_York", "Asia/Kolkata"]))
    step = timedelta(minutes=minutes)
    day = draw(
        st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2035, 1, 1).date())
    )
    # The first interval start, on the local grid.
    first = datetime.combine(day, datetime.min.time()) + step * draw(
        st.integers(0, 1440 // minutes - 1)
    )
    skips = draw(st.lists(st.integers(1, 5), max_size=60))
    values = draw(
        st.lists(
            st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
            min_size=len(skips) + 1,
            max_size=len(skips) + 1,
        )
    )
    # Walk the local grid; in DST zones a local wall-clock grid stays a grid in UTC for
    # intervals up to an hour, and days are walked as calendar days.
    tz = ZoneInfo(zone)
    locals_ = [first]
    for skip in skips:
        locals_.append(locals_[-1] + step * skip)
    aware = []
    for t in locals_:
        a = t.replace(tzinfo=tz)
        # Skip local times that do not exist (DST spring-forward); a file never holds them.
        if a.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != t:
            continue
        aware.append(a)
    layout = draw(st.sampled_from(sorted(LAYOUTS)))
    if zone != "Asia/Shanghai":
        # Naive local times are ambiguous around DST changes; such files carry offsets.
        layout = "offset"
    return minutes, zone, aware, values[: len(aware)], layout


@settings(max_examples=150, deadline=None)
@given(interval_series())
def test_a_written_valid_series_reads_back_exactly(series):
    minutes, zone, aware, values, layout = series
    fmt = LAYOUTS[layout]
    lines = ["timestamp,value"] + [f"{fmt(t)},{v!r}" for t, v in zip(aware, values, strict=True)]
    data = ("\n".join(lines) + "\n").encode()
    spec = MeterSpec("electricity", "kWh", "interval", minutes, timezone=zone)
    reader = read_readings(io.BytesIO(data), filename="p.csv", spec=spec, batch_size=7)
    starts, got = [], []
    for batch in reader:
        starts += batch.start
        got += batch.value
    assert starts == [int(t.timestamp()) for t in aware]
    assert got == values
    assert reader.summary.readings == len(aware)

"""Property: any sequence of valid uploads and replaces leaves, for every interval, the value
written last — an upload owns its whole range [first, last): a replace clears that range
(including stored readings in the upload's own gaps) and writes its rows; an upload without
replace that overlaps stored readings changes nothing; re-sending an applied file changes
nothing."""

from __future__ import annotations

import datetime as dt
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from emc.auth.actor import Actor
from emc.auth.models import Organization, User
from emc.errors import Conflict
from emc.facilities import service
from emc.facilities.models import MeterReading

HOUR = 3600
BASE = 1_704_038_400  # 2024-01-01 00:00 Asia/Shanghai


def _actor(session) -> Actor:
    user = session.scalar(select(User).where(User.email == "energy@school.demo"))
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


@st.composite
def uploads(draw):
    first = draw(st.integers(0, 30))
    length = draw(st.integers(1, 12))
    hours = sorted(
        {first, first + length - 1}
        | set(draw(st.lists(st.integers(first, first + length - 1), max_size=length)))
    )
    values = {h: draw(st.integers(0, 5)) for h in hours}
    return values, draw(st.booleans())


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(uploads(), min_size=1, max_size=6), st.integers(1, 4))
def test_stored_readings_are_the_last_written_values(db_session, sequence, batch_size):
    savepoint = db_session.begin_nested()
    try:
        energy = _actor(db_session)
        site = service.create_site(db_session, energy, name="性质测试", region_code="330100")
        meter = service.create_meter(
            db_session,
            energy,
            site_id=site.id,
            name="性质表",
            carrier="electricity",
            unit="kWh",
            kind="interval",
            interval_minutes=60,
        )
        model: dict[int, float] = {}
        for values, replace in sequence:
            text = "timestamp,value\n" + "".join(
                f"{_iso(BASE + h * HOUR)},{v}\n" for h, v in values.items()
            )
            lo = BASE + min(values) * HOUR
            hi = BASE + (max(values) + 1) * HOUR
            overlaps = any(lo <= s < hi for s in model)
            try:
                service.import_readings(
                    db_session,
                    energy,
                    meter.id,
                    io.BytesIO(text.encode()),
                    filename="p.csv",
                    replace=replace,
                    batch_size=batch_size,
                )
            except Conflict:
                assert overlaps and not replace
            else:
                new = {BASE + h * HOUR: float(v) for h, v in values.items()}
                if overlaps and not replace:
                    # Accepted without replace only when this exact file is what is stored.
                    assert all(model.get(s) == v for s, v in new.items())
                    assert not any(lo <= s < hi and s not in new for s in model)
                model = {s: v for s, v in model.items() if not lo <= s < hi}
                model.update(new)
            stored = {
                r.start_ts: r.value
                for r in db_session.scalars(
                    select(MeterReading).where(MeterReading.meter_id == meter.id)
                )
            }
            assert stored == model
    finally:
        savepoint.rollback()


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()

"""Facilities services against the database: upload rules, aggregates, quality, tenancy, weather."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from emc import journal
from emc.auth.actor import Actor
from emc.contracts.models import EmcProject
from emc.demo import actor_for as actor
from emc.errors import Conflict, Forbidden, Invalid, NotFound
from emc.facilities import service
from emc.facilities.models import MeterReading, ProjectSite, ReadingUpload, UploadStatus
from emc.mv.models import MvPlan

SH = dt.timezone(dt.timedelta(hours=8))


def make_meter(session, who: Actor, *, timezone="Asia/Shanghai", name="测试表", **meter):
    site = service.create_site(
        session, who, name=f"{name}场地", region_code="330100", timezone=timezone
    )
    spec = {"carrier": "electricity", "unit": "kWh", "kind": "interval", "interval_minutes": 60}
    spec.update(meter)
    return service.create_meter(session, who, site_id=site.id, name=name, **spec)


def csv_bytes(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def hourly(start: str, values, header="时间,用量(kWh)") -> io.BytesIO:
    first = dt.datetime.fromisoformat(start)
    lines = [header]
    for i, v in enumerate(values):
        lines.append(f"{first + dt.timedelta(hours=i):%Y-%m-%d %H:%M},{v}")
    return csv_bytes("\n".join(lines) + "\n")


def stored(session, meter_id):
    return [
        (r.start_ts, r.end_ts, r.value, r.quality)
        for r in session.scalars(
            select(MeterReading)
            .where(MeterReading.meter_id == meter_id)
            .order_by(MeterReading.start_ts)
        )
    ]


def epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


@pytest.fixture
def energy(db_session):
    return actor(db_session, "energy@school.demo")


@pytest.fixture
def meter(db_session, energy):
    return make_meter(db_session, energy)


# --- upload rules --------------------------------------------------------------------------


def test_upload_stores_utc_epochs_in_the_meters_unit(db_session, energy, meter):
    result = service.import_readings(
        db_session,
        energy,
        meter.id,
        hourly("2024-03-01 00:00", ["1.5", "2"], header="时间,用量(MWh)"),
        filename="mwh.csv",
    )
    assert (result.status, result.rows, result.unit) == ("applied", 2, "kWh")
    assert result.first == dt.datetime(2024, 2, 29, 16, tzinfo=dt.UTC)
    assert stored(db_session, meter.id) == [
        (epoch("2024-03-01T00:00+08:00"), None, 1500.0, "measured"),
        (epoch("2024-03-01T01:00+08:00"), None, 2000.0, "measured"),
    ]
    upload = db_session.get(ReadingUpload, result.upload.id)
    assert upload.source_unit == "MWh" and upload.status is UploadStatus.APPLIED


def test_a_bad_row_at_the_end_leaves_nothing_stored(db_session, energy, meter):
    text = hourly("2024-01-01 00:00", ["1"] * 200).getvalue().decode() + "2024-13-01 00:00,5\n"
    with pytest.raises(Invalid) as err:
        service.import_readings(
            db_session, energy, meter.id, csv_bytes(text), filename="bad.csv", batch_size=50
        )
    assert list(err.value.fields) == ["row 202, column 时间"]
    assert "is not a valid timestamp" in err.value.fields["row 202, column 时间"][0]
    assert err.value.message.startswith("bad.csv: 1 problem, nothing was imported.")
    assert stored(db_session, meter.id) == []
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(ReadingUpload)
            .where(ReadingUpload.meter_id == meter.id)
        )
        == 0
    )
    actions = [e.action for e in journal.history(db_session, "meters", meter.id)]
    assert actions == ["create"]


def test_every_problem_is_listed_by_row_and_column(db_session, energy, meter):
    text = "时间,用量\n2024-01-01 00:00,abc\n2024-01-01 01:00,-1\n2024-01-01 25:00,2\n"
    with pytest.raises(Invalid) as err:
        service.import_readings(db_session, energy, meter.id, csv_bytes(text), filename="x.csv")
    assert set(err.value.fields) == {
        "row 2, column 用量",
        "row 3, column 用量",
        "row 4, column 时间",
    }


def test_reuploading_the_same_file_changes_nothing_and_says_so(db_session, energy, meter):
    data = hourly("2024-01-01 00:00", ["1", "2", "3"]).getvalue()
    first = service.import_readings(
        db_session, energy, meter.id, io.BytesIO(data), filename="a.csv"
    )
    again = service.import_readings(
        db_session, energy, meter.id, io.BytesIO(data), filename="a-copy.csv", replace=True
    )
    assert again.status == "unchanged" and again.upload.id == first.upload.id
    assert "already imported" in again.message and "nothing changed" in again.message
    assert len(stored(db_session, meter.id)) == 3
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(ReadingUpload)
            .where(ReadingUpload.meter_id == meter.id)
        )
        == 1
    )


def test_an_overlap_is_refused_with_the_overlapping_stored_range(db_session, energy, meter):
    service.import_readings(
        db_session, energy, meter.id, hourly("2024-01-01 00:00", ["1"] * 24), filename="a.csv"
    )
    with pytest.raises(Conflict) as err:
        service.import_readings(
            db_session, energy, meter.id, hourly("2024-01-01 20:00", ["9"] * 10), filename="b.csv"
        )
    assert err.value.code == "overlap"
    assert err.value.fields["overlap"] == {
        "count": 4,
        "first": "2024-01-01T12:00:00+00:00",
        "last": "2024-01-01T16:00:00+00:00",
    }
    assert "2024-01-01 20:00 to 2024-01-02 00:00" in err.value.message
    assert [v for _s, _e, v, _q in stored(db_session, meter.id)] == [1.0] * 24


def test_replace_rewrites_the_range_atomically_and_journals_what_it_replaced(
    db_session, energy, meter
):
    a = hourly("2024-01-01 00:00", ["1"] * 24)
    first = service.import_readings(db_session, energy, meter.id, a, filename="a.csv")
    result = service.import_readings(
        db_session,
        energy,
        meter.id,
        hourly("2024-01-01 20:00", ["9"] * 10),
        filename="b.csv",
        replace=True,
    )
    assert (result.rows, result.replaced_count) == (10, 4)
    assert result.replaced_first == dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    values = [v for _s, _e, v, _q in stored(db_session, meter.id)]
    assert values == [1.0] * 20 + [9.0] * 10
    entry = journal.history(db_session, "meters", meter.id)[-1]
    assert entry.action == "replace_readings"
    assert entry.before["replaced_count"] == 4
    assert entry.before["replaced_first"] == "2024-01-01 20:00"
    assert entry.before["replaced_last"] == "2024-01-02 00:00"
    import hashlib

    expected = hashlib.sha256(
        "".join(
            f"{epoch(f'2024-01-01T{h:02d}:00+08:00')},,1.0,measured\n" for h in range(20, 24)
        ).encode()
    ).hexdigest()
    assert entry.before["replaced_sha256"] == expected
    assert db_session.get(ReadingUpload, first.upload.id).status is UploadStatus.SUPERSEDED
    # The first file is no longer what is stored: sending it again is a real (replacing) import.
    a.seek(0)
    again = service.import_readings(db_session, energy, meter.id, a, filename="a.csv", replace=True)
    assert again.status == "applied" and again.replaced_count == 24
    assert [v for _s, _e, v, _q in stored(db_session, meter.id)] == [1.0] * 24 + [9.0] * 6


def test_replace_with_a_bad_file_keeps_the_stored_readings(db_session, energy, meter):
    service.import_readings(
        db_session, energy, meter.id, hourly("2024-01-01 00:00", ["1"] * 5), filename="a.csv"
    )
    text = hourly("2024-01-01 00:00", ["7"] * 5).getvalue().decode() + "2024-01-01 05:00,x\n"
    with pytest.raises(Invalid):
        service.import_readings(
            db_session, energy, meter.id, csv_bytes(text), filename="b.csv", replace=True
        )
    assert [v for _s, _e, v, _q in stored(db_session, meter.id)] == [1.0] * 5


def test_the_size_limit_is_named_in_the_error(db_session, energy, meter):
    with pytest.raises(service.UploadTooLarge) as err:
        service.import_readings(
            db_session,
            energy,
            meter.id,
            hourly("2024-01-01 00:00", ["1"] * 100),
            filename="big.csv",
            max_bytes=1024 * 1024 // 1024,
        )
    assert err.value.status == 413
    assert "limit for one upload (EMC_MAX_UPLOAD_MB)" in err.value.fields["file"][0]


def test_a_file_with_only_a_header_is_refused(db_session, energy, meter):
    with pytest.raises(Invalid, match="no readings"):
        service.import_readings(
            db_session, energy, meter.id, csv_bytes("时间,用量\n"), filename="empty.csv"
        )


def test_json_rows_go_through_the_file_rules_with_their_own_keys(db_session, energy, meter):
    rows = [
        {"start": dt.datetime(2024, 1, 1, 0, tzinfo=SH), "value": Decimal("1.25")},
        {"start": dt.datetime(2024, 1, 1, 1, tzinfo=SH), "value": Decimal("2"), "quality": "e"},
    ]
    result = service.import_rows(db_session, energy, meter.id, rows)
    assert result.rows == 2
    assert stored(db_session, meter.id)[1][2:] == (2.0, "estimated")
    bad = [
        {"start": dt.datetime(2024, 2, 1, 0, tzinfo=SH), "value": Decimal("1")},
        {"start": dt.datetime(2024, 2, 1, 0, 30, tzinfo=SH), "value": Decimal("-1")},
    ]
    with pytest.raises(Invalid) as err:
        service.import_rows(db_session, energy, meter.id, bad)
    assert set(err.value.fields) == {"rows[1].start", "rows[1].value"}


# --- aggregates ----------------------------------------------------------------------------


def test_daily_and_monthly_totals_use_the_sites_local_days(db_session, energy):
    meter = make_meter(db_session, energy, interval_minutes=15)
    # 2024-01-31 22:00 to 2024-02-01 02:00 Beijing time, value = index + 1.
    lines = ["timestamp,value"]
    start = dt.datetime(2024, 1, 31, 22, 0)
    for i in range(16):
        lines.append(f"{start + dt.timedelta(minutes=15 * i):%Y-%m-%d %H:%M},{i + 1}")
    service.import_readings(
        db_session, energy, meter.id, csv_bytes("\n".join(lines)), filename="q.csv"
    )
    _m, _s, days = service.daily_totals(db_session, energy, meter.id)
    assert [(t.period, t.total, t.readings) for t in days] == [
        (dt.date(2024, 1, 31), float(sum(range(1, 9))), 8),
        (dt.date(2024, 2, 1), float(sum(range(9, 17))), 8),
    ]
    _m, _s, months = service.monthly_totals(db_session, energy, meter.id)
    assert [(t.period, t.total) for t in months] == [
        (dt.date(2024, 1, 1), 36.0),
        (dt.date(2024, 2, 1), 100.0),
    ]
    _m, _s, window = service.daily_totals(
        db_session,
        energy,
        meter.id,
        start=dt.datetime(2024, 2, 1, 0, 30, tzinfo=SH),
        end=dt.datetime(2024, 2, 1, 1, 0, tzinfo=SH),
    )
    assert [(t.total, t.readings) for t in window] == [(11.0 + 12.0, 2)]


def test_a_zone_with_dst_is_folded_into_local_days(db_session, energy):
    meter = make_meter(db_session, energy, timezone="America/New_York")
    # 2024-03-10: clocks go from 02:00 to 03:00, so the local day has 23 hours.
    lines = ["timestamp,value"]
    t = dt.datetime(2024, 3, 9, 0, tzinfo=dt.UTC) + dt.timedelta(hours=5)  # 00:00 EST
    for _ in range(24 + 23 + 24):
        lines.append(f"{t.isoformat()},1")
        t += dt.timedelta(hours=1)
    service.import_readings(
        db_session, energy, meter.id, csv_bytes("\n".join(lines)), filename="ny.csv"
    )
    _m, _s, days = service.daily_totals(db_session, energy, meter.id)
    assert [(t.period.isoformat(), t.total) for t in days] == [
        ("2024-03-09", 24.0),
        ("2024-03-10", 23.0),
        ("2024-03-11", 24.0),
    ]
    _m, _s, months = service.monthly_totals(db_session, energy, meter.id)
    assert [(m.period, m.total) for m in months] == [(dt.date(2024, 3, 1), 71.0)]
    report = service.quality_report(db_session, energy, meter.id)
    assert [d.fraction for d in report.coverage[0].days[8:11]] == [1.0, 1.0, 1.0]


def test_quality_report_finds_gaps_zero_runs_and_outliers(db_session, energy, meter):
    # Ten days of hourly data: day 4 has zeros all day, day 7 is ten times higher, and
    # 2024-01-09 06:00–09:00 is missing.
    lines = ["timestamp,value"]
    for d in range(10):
        for h in range(24):
            if d == 8 and 6 <= h < 9:
                continue
            value = 0 if d == 3 else (10 if d == 6 else 1)
            lines.append(f"2024-01-{d + 1:02d} {h:02d}:00,{value}")
    service.import_readings(
        db_session, energy, meter.id, csv_bytes("\n".join(lines)), filename="q.csv"
    )
    report = service.quality_report(db_session, energy, meter.id)
    assert report.readings == 237 and report.by_quality == {"measured": 237}
    assert [(g.start, g.end, g.readings) for g in report.gaps] == [
        (
            dt.datetime(2024, 1, 8, 22, tzinfo=dt.UTC),
            dt.datetime(2024, 1, 9, 1, tzinfo=dt.UTC),
            3,
        )
    ]
    assert report.gap_seconds == 3 * 3600
    assert [(z.start, z.readings) for z in report.zero_runs] == [
        (dt.datetime(2024, 1, 3, 16, tzinfo=dt.UTC), 24)
    ]
    # Seven complete days of 24, one of 0 and one of 240: the MAD is 0, so the scaled mean
    # absolute deviation (26.7 × 1.2533) stands in; only 240 lies beyond 3.5.
    assert [(o.period, o.value, o.z) for o in report.outliers] == [
        (dt.date(2024, 1, 7), 240.0, 6.46)
    ]
    month = report.coverage[0]
    assert month.readings == 237
    assert month.days[8].fraction == pytest.approx(21 / 24)
    assert month.days[10].fraction == 0.0


def test_billing_periods_cover_their_days(db_session, energy):
    meter = make_meter(
        db_session,
        energy,
        name="燃气",
        carrier="natural_gas",
        unit="立方米",
        kind="billing",
        interval_minutes=None,
    )
    assert meter.unit == "m³"
    text = "开始日期,结束日期,用气量(万m³)\n2024-01-01,2024-01-10,0.1\n2024-01-11,2024-01-31,0.2\n"
    service.import_readings(db_session, energy, meter.id, csv_bytes(text), filename="gas.csv")
    assert stored(db_session, meter.id) == [
        (epoch("2024-01-01T00:00+08:00"), epoch("2024-01-11T00:00+08:00"), 1000.0, "measured"),
        (epoch("2024-01-11T00:00+08:00"), epoch("2024-02-01T00:00+08:00"), 2000.0, "measured"),
    ]
    report = service.quality_report(db_session, energy, meter.id)
    assert report.coverage[0].fraction == 1.0 and report.gaps == ()
    _m, _s, months = service.monthly_totals(db_session, energy, meter.id)
    assert [(m.period, m.total) for m in months] == [(dt.date(2024, 1, 1), 3000.0)]
    # The chart of days spreads each bill over its days (it put the bill on its first day).
    days = service.bill_days(
        db_session, energy, meter.id, start=dt.date(2024, 1, 5), end=dt.date(2024, 1, 13)
    )
    assert [(d.period.day, round(d.total, 6)) for d in days] == [
        (5, 100.0), (6, 100.0), (7, 100.0), (8, 100.0), (9, 100.0), (10, 100.0),
        (11, round(2000 / 21, 6)), (12, round(2000 / 21, 6)),
    ]  # fmt: skip


# --- meters --------------------------------------------------------------------------------


def test_meter_units_are_canonical_and_must_fit_the_carrier(db_session, energy):
    meter = make_meter(db_session, energy, unit="度")
    assert meter.unit == "kWh"
    with pytest.raises(Invalid) as err:
        make_meter(db_session, energy, name="错表", unit="m3")
    assert "does not fit Electricity" in err.value.fields["unit"][0]
    with pytest.raises(Invalid) as err:
        make_meter(db_session, energy, name="错表2", interval_minutes=7)
    assert "interval_minutes" in err.value.fields


def test_a_meters_unit_cannot_change_once_readings_are_stored(db_session, energy, meter):
    service.update_meter(db_session, energy, meter.id, unit="MWh")
    service.import_readings(
        db_session, energy, meter.id, hourly("2024-01-01 00:00", ["1"]), filename="a.csv"
    )
    with pytest.raises(Conflict, match="cannot change"):
        service.update_meter(db_session, energy, meter.id, unit="kWh")
    assert service.update_meter(db_session, energy, meter.id, serial_number="S-1").unit == "MWh"


# --- tenancy -------------------------------------------------------------------------------


def test_another_institutions_meter_is_not_found_everywhere(db_session, energy, meter):
    hospital = actor(db_session, "energy@hospital.demo")
    data = hourly("2024-01-01 00:00", ["1"])
    with pytest.raises(NotFound):
        service.import_readings(db_session, hospital, meter.id, data, filename="a.csv")
    for call in (service.get_readings, service.quality_report, service.daily_totals):
        with pytest.raises(NotFound):
            call(db_session, hospital, meter.id)
    with pytest.raises(NotFound):
        service.export_csv(db_session, hospital, meter.id)
    with pytest.raises(Invalid, match="unknown site"):
        service.create_meter(
            db_session,
            hospital,
            site_id=meter.site_id,
            name="x",
            carrier="electricity",
            unit="kWh",
            kind="billing",
        )


def test_an_esco_sees_meters_only_of_sites_in_its_projects(db_session, energy, meter):
    esco = actor(db_session, "engineer@esco.demo")
    other_esco = actor(db_session, "engineer@esco2.demo")
    data = hourly("2024-01-01 00:00", ["1", "2"]).getvalue()
    with pytest.raises(NotFound):
        service.import_readings(db_session, esco, meter.id, io.BytesIO(data), filename="a.csv")
    project = EmcProject(
        organization_id=energy.organization_id, esco_organization_id=esco.organization_id, name="P"
    )
    db_session.add(project)
    db_session.flush()
    with pytest.raises(NotFound):  # the site is not the ESCO's to see yet
        service.link_project(db_session, esco, meter.site_id, project_id=project.id)
    service.link_project(db_session, energy, meter.site_id, project_id=project.id)
    assert db_session.get(ProjectSite, (project.id, meter.site_id)) is not None
    with pytest.raises(Forbidden):  # visible, but not inside the project's M&V boundary yet
        service.import_readings(db_session, esco, meter.id, io.BytesIO(data), filename="a.csv")
    db_session.add(
        MvPlan(
            project_id=project.id,
            boundary=[{"meter_id": meter.id, "option": "C"}],
            method="daily",
            baseline_start=dt.date(2023, 1, 1),
            baseline_end=dt.date(2024, 1, 1),
            reporting_frequency="monthly",
        )
    )
    db_session.flush()
    result = service.import_readings(db_session, esco, meter.id, io.BytesIO(data), filename="a.csv")
    assert result.rows == 2
    assert len(service.get_readings(db_session, esco, meter.id).rows) == 2
    with pytest.raises(NotFound):
        service.get_readings(db_session, other_esco, meter.id)
    with pytest.raises(Forbidden):  # now visible, but linking is the institution's decision
        service.link_project(db_session, esco, meter.site_id, project_id=project.id)


def test_agencies_read_their_region_but_never_write(db_session, energy, meter):
    zhejiang = actor(db_session, "officer@zhejiang.demo")
    ningbo = actor(db_session, "officer@ningbo.demo")
    assert service.get_readings(db_session, zhejiang, meter.id).rows == []
    with pytest.raises(Forbidden):
        service.import_readings(
            db_session, zhejiang, meter.id, hourly("2024-01-01 00:00", ["1"]), filename="a.csv"
        )
    with pytest.raises(NotFound):
        service.get_readings(db_session, ningbo, meter.id)
    with pytest.raises(Forbidden):
        service.update_site(db_session, zhejiang, meter.site_id, name="改")


# --- weather -------------------------------------------------------------------------------


def test_weather_import_stores_local_times_as_utc_and_refuses_overlaps(db_session):
    platform = actor(db_session, "admin@platform.demo")
    station = service.create_station(db_session, platform, code="T1", name="测试站")
    text = "时间,气温(℃)\n2024-01-01 00:00,3.5\n2024-01-01 01:00,-1\n"
    result = service.import_weather(db_session, platform, "T1", csv_bytes(text), filename="t.csv")
    assert result.rows == 2 and result.first == dt.datetime(2023, 12, 31, 16, tzinfo=dt.UTC)
    from emc.facilities.service.weather import temperatures

    assert temperatures(db_session, station, 0, 1 << 40) == [
        (epoch("2024-01-01T00:00+08:00"), 3.5),
        (epoch("2024-01-01T01:00+08:00"), -1.0),
    ]
    with pytest.raises(Conflict):
        service.import_weather(db_session, platform, "T1", csv_bytes(text), filename="t.csv")
    bad = "time,temperature (°F)\n2024-02-01 00:00,41\n2024-02-01 01:00,hot\n"
    with pytest.raises(Invalid) as err:
        service.import_weather(db_session, platform, station.id, csv_bytes(bad), filename="f.csv")
    assert list(err.value.fields) == ["row 3, column temperature (°F)"]
    ok = "time,temperature (°F)\n2024-02-01 00:00,41\n"
    service.import_weather(db_session, platform, station.id, csv_bytes(ok), filename="f.csv")
    assert temperatures(db_session, station, epoch("2024-02-01T00:00+08:00"), 1 << 40) == [
        (epoch("2024-02-01T00:00+08:00"), 5.0)
    ]
    with pytest.raises(Forbidden):
        service.import_weather(
            db_session,
            actor(db_session, "energy@school.demo"),
            "T1",
            csv_bytes(ok),
            filename="f.csv",
        )


def test_outliers_are_judged_against_like_days_and_like_months():
    """A school's water meter: 45 m³ a working day, 12 at weekends, for ten weeks; the pooled
    robust z flagged every weekend. One working day of 400 is still found."""
    from emc.facilities.service.analysis import grouped_outliers

    start = dt.date(2025, 1, 6)  # a Monday
    days = [start + dt.timedelta(days=i) for i in range(70)]
    points = [(d, 12.0 if d.weekday() >= 5 else 45.0 + (d.day % 3)) for d in days]
    points[10] = (points[10][0], 400.0)
    found = grouped_outliers(points, daily=True)
    assert [o.period for o in found] == [points[10][0]]
    # Monthly bills: winter bills three times the summer's are not outliers among themselves.
    bills = [
        (dt.date(y, m, 1), (300.0 if m in (1, 2, 12) else 100.0) + y % 3)
        for y in (2022, 2023, 2024)
        for m in range(1, 13)
    ]
    assert grouped_outliers(bills, daily=False) == []
    bills[13] = (bills[13][0], 900.0)  # February 2023, three times the other Februaries
    assert [o.period for o in grouped_outliers(bills, daily=False)] == [dt.date(2023, 2, 1)]

"""能耗预警: the year's forecast of an institution's use against its quota, weather-normalised
where a baseline model exists and from last year's months otherwise; warned once a month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from test_mv_support import make_project
from watch_support import approved_project

from emc.audit.models import EnergyQuota, QuotaBasis
from emc.auth.models import Organization
from emc.facilities.models import Building, BuildingType, ClimateZone, Meter, Site
from emc.mv import data
from emc.notifications.models import Notification
from emc.watch.models import WatchWarning
from emc.watch.service.quota import forecast_institution, run_quota_watch

TODAY = dt.date(2024, 7, 1)


def _use(session, meter_id, start, end):
    meter = session.get(Meter, meter_id)
    site = session.get(Site, meter.site_id)
    return sum(v for v in data.daily_usage(session, meter, site, start, end) if v == v)


def _row(result, meter_id):
    return next(m for m in result.meters if m["meter_id"] == meter_id)


def test_without_a_model_the_rest_of_the_year_follows_last_year_scaled(db_session):
    ids = make_project(db_session, months=6, plan=False)
    org = db_session.get(Organization, ids["energy"].organization_id)
    result = forecast_institution(db_session, org, TODAY)
    row = _row(result, ids["meter"])
    assert row["method"] == "last_year"
    ytd = _use(db_session, ids["meter"], dt.date(2024, 1, 1), TODAY)
    ly_ytd = _use(db_session, ids["meter"], dt.date(2023, 1, 1), dt.date(2023, 7, 1))
    ly_rest = _use(db_session, ids["meter"], dt.date(2023, 7, 1), dt.date(2024, 1, 1))
    assert row["use_to_date"] == pytest.approx(ytd)
    assert row["forecast"] == pytest.approx(ytd + ytd / ly_ytd * ly_rest, rel=1e-9)
    assert result.forecast.low < result.forecast.value < result.forecast.high


def test_with_a_baseline_model_the_forecast_is_weather_normalised(db_session):
    ids = approved_project(db_session, fade_on=None)
    org = db_session.get(Organization, ids["energy"].organization_id)
    result = forecast_institution(db_session, org, TODAY)
    row = _row(result, ids["meter"])
    assert row["method"] == "model"
    ytd = _use(db_session, ids["meter"], dt.date(2024, 1, 1), TODAY)
    full_2023 = _use(db_session, ids["meter"], dt.date(2023, 1, 1), dt.date(2024, 1, 1))
    ly_rest = _use(db_session, ids["meter"], dt.date(2023, 7, 1), dt.date(2024, 1, 1))
    # 15 % savings carry on over the second half, on the baseline year's weather.
    assert row["forecast"] == pytest.approx(ytd + 0.85 * ly_rest, rel=0.05)
    assert row["forecast"] < full_2023
    assert result.method in ("model", "mixed")


def _tiny_quotas(db_session, org):
    """A quota far below any use for every building of ``org``; the buildings and their sites."""
    buildings = db_session.execute(
        select(Building, Site)
        .join(Site, Site.id == Building.site_id)
        .where(Site.organization_id == org.id)
    ).all()
    assert buildings
    for building, site in buildings:
        exists = db_session.scalar(
            select(EnergyQuota).where(
                EnergyQuota.region_code == site.region_code,
                EnergyQuota.building_type == building.building_type,
                EnergyQuota.basis == QuotaBasis.PER_AREA,
                EnergyQuota.year == 2024,
            )
        )
        if exists is None:
            db_session.add(
                EnergyQuota(
                    region_code=site.region_code,
                    building_type=building.building_type,
                    basis=QuotaBasis.PER_AREA,
                    year=2024,
                    constraint_value=Decimal("0.010"),
                    baseline_value=Decimal("0.005"),
                    guide_value=Decimal("0.001"),
                    source="test",
                    organization_id=org.id,
                )
            )
    db_session.flush()
    return buildings


def test_an_institution_over_its_quota_share_is_warned_once_a_month(db_session):
    ids = make_project(db_session, months=6, plan=False)
    org = db_session.get(Organization, ids["energy"].organization_id)
    buildings = _tiny_quotas(db_session, org)
    result = forecast_institution(db_session, org, TODAY)
    assert result.quota_kgce == pytest.approx(
        sum(float(b.floor_area_m2) * 0.010 for b, _s in buildings)
    )
    assert result.at_risk
    for day in (1, 2):
        run_quota_watch(db_session, TODAY.replace(day=day))
    warnings = db_session.scalars(
        select(WatchWarning).where(WatchWarning.subject_key == f"organization:{org.id}")
    ).all()
    assert [w.month for w in warnings] == ["2024-07"]
    assert db_session.scalar(select(func.count()).where(Notification.kind == "watch_quota")) >= 1


def test_no_verdict_while_a_building_has_no_quota(db_session):
    """The use counts every building; a quota summed over only some of them would warn of an
    overrun that is not there. No verdict until every building has a quota."""
    ids = make_project(db_session, months=6, plan=False)
    org = db_session.get(Organization, ids["energy"].organization_id)
    buildings = _tiny_quotas(db_session, org)
    site = buildings[0][1]
    db_session.add(
        Building(
            site_id=site.id,
            name="无定额的车库",
            floor_area_m2=Decimal("800"),
            building_type=BuildingType.OTHER,
            climate_zone=ClimateZone.HOT_SUMMER_COLD_WINTER,
        )
    )
    db_session.flush()
    result = forecast_institution(db_session, org, TODAY)
    assert result.missing_quota == ["无定额的车库"]
    assert result.quota_kgce is None and result.limit_kgce is None
    assert result.forecast is not None  # the forecast itself is still shown
    assert not result.at_risk and result.probability is None
    run_quota_watch(db_session, TODAY)
    assert not db_session.scalars(
        select(WatchWarning).where(WatchWarning.subject_key == f"organization:{org.id}")
    ).all()


def test_no_verdict_while_a_whole_building_meter_has_no_readings(db_session):
    """A campus whose 总表 had no readings this year read 0 kWh and was forecast from the other
    site's meters alone, far below a quota that counts every building: 超过预警比例的概率 0%."""
    ids = make_project(db_session, months=6, plan=False)
    org = db_session.get(Organization, ids["energy"].organization_id)
    _tiny_quotas(db_session, org)
    site = db_session.get(Site, db_session.get(Meter, ids["meter"]).site_id)
    empty = Meter(
        site_id=site.id,
        name="新校区总表",
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=60,
    )
    db_session.add(empty)
    db_session.flush()
    result = forecast_institution(db_session, org, TODAY)
    assert result.missing_data == ["新校区总表"]
    assert result.forecast is None and result.probability is None and not result.at_risk
    row = _row(result, empty.id)
    assert row["has_data"] is False and row["forecast"] is None
    assert _row(result, ids["meter"])["has_data"] is True
    run_quota_watch(db_session, TODAY)
    assert not db_session.scalars(
        select(WatchWarning).where(WatchWarning.subject_key == f"organization:{org.id}")
    ).all()

"""Demo facilities: sites, buildings and meters of the demo school, hospital and gym, two years of
synthetic 15-minute electricity and daily gas data, and hourly Hangzhou temperatures.

The data is deterministic (a seeded generator and fixed dates) and goes through the same import
path as real uploads, so the demo also exercises it. Electricity follows the temperature (cooling
in summer, some heating in winter), the school's term calendar and working hours.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from emc.demo import actor_for
from emc.facilities.models import BuildingType, ClimateZone
from emc.facilities.service.readings import import_readings
from emc.facilities.service.sites import create_building, create_meter, create_site
from emc.facilities.service.weather import create_station, import_weather

START = dt.date(2023, 1, 1)
DAYS = 731  # 2023-01-01 to 2024-12-31
ZONE = ZoneInfo("Asia/Shanghai")


def hangzhou_temperature(moment: dt.datetime, rng: random.Random) -> float:
    """A plausible Hangzhou temperature (°C): annual cycle 4–29 °C, daily swing, noise."""
    day = moment.timetuple().tm_yday
    annual = 16.5 - 12.5 * math.cos(2 * math.pi * (day - 20) / 365)
    daily = 3.5 * math.cos(2 * math.pi * (moment.hour - 15) / 24)
    return round(annual + daily + rng.gauss(0, 1.2), 1)


def _csv(lines: list[str]) -> io.BytesIO:
    return io.BytesIO("\n".join(lines).encode())


def build_facilities(session: Session) -> None:
    """Create the demo facilities (called at the end of ``emc.demo.build``)."""
    rng = random.Random(2026)
    platform = actor_for(session, "admin@platform.demo")
    station = create_station(
        session, platform, code="58457", name="杭州国家基本气象站", timezone="Asia/Shanghai"
    )
    temps: dict[tuple[dt.date, int], float] = {}
    lines = ["时间,气温(℃)"]
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        for hour in range(24):
            moment = dt.datetime.combine(day, dt.time(hour))
            t = hangzhou_temperature(moment, rng)
            temps[(day, hour)] = t
            lines.append(f"{moment:%Y-%m-%d %H:%M},{t}")
    import_weather(session, platform, station.id, _csv(lines), filename="hangzhou-2023-2024.csv")

    school = actor_for(session, "energy@school.demo")
    site = create_site(
        session,
        school,
        name="一中本部校区",
        address="杭州市上城区凤起路",
        region_code="330100",
        timezone="Asia/Shanghai",
        weather_station_id=station.id,
    )
    teaching = create_building(
        session,
        school,
        site_id=site.id,
        name="教学楼",
        floor_area_m2=Decimal("18500.00"),
        building_type=BuildingType.SCHOOL,
        year_built=1998,
        occupants=2400,
        climate_zone=ClimateZone.HOT_SUMMER_COLD_WINTER,
    )
    create_building(
        session,
        school,
        site_id=site.id,
        name="体育馆",
        floor_area_m2=Decimal("4200.00"),
        building_type=BuildingType.SPORTS,
        year_built=2010,
        occupants=300,
        climate_zone=ClimateZone.HOT_SUMMER_COLD_WINTER,
    )
    main = create_meter(
        session,
        school,
        site_id=site.id,
        building_id=teaching.id,
        name="总表 10kV",
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=15,
        multiplier=Decimal(1),
        serial_number="ZJ-3301-000123",
    )
    gas = create_meter(
        session,
        school,
        site_id=site.id,
        name="食堂燃气",
        carrier="natural_gas",
        unit="m³",
        kind="billing",
    )
    import_readings(
        session,
        school,
        main.id,
        _csv(_school_electricity(temps, rng)),
        filename="一中总表-2023-2024.csv",
    )
    import_readings(
        session, school, gas.id, _csv(_daily_gas(rng, 95.0)), filename="一中燃气-2023-2024.csv"
    )

    hospital = actor_for(session, "energy@hospital.demo")
    h_site = create_site(
        session,
        hospital,
        name="人民医院院区",
        address="杭州市上城区解放路",
        region_code="330100",
        weather_station_id=station.id,
    )
    ward = create_building(
        session,
        hospital,
        site_id=h_site.id,
        name="住院楼",
        floor_area_m2=Decimal("42000.00"),
        building_type=BuildingType.HOSPITAL,
        year_built=2005,
        occupants=1800,
        climate_zone=ClimateZone.HOT_SUMMER_COLD_WINTER,
    )
    h_main = create_meter(
        session,
        hospital,
        site_id=h_site.id,
        building_id=ward.id,
        name="总表",
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=15,
        multiplier=Decimal(1),
    )
    h_gas = create_meter(
        session,
        hospital,
        site_id=h_site.id,
        name="锅炉燃气",
        carrier="natural_gas",
        unit="m³",
        kind="billing",
    )
    import_readings(
        session,
        hospital,
        h_main.id,
        _csv(_hospital_electricity(temps, rng)),
        filename="医院总表-2023-2024.csv",
    )
    import_readings(
        session, hospital, h_gas.id, _csv(_daily_gas(rng, 620.0)), filename="医院燃气.csv"
    )

    gym = actor_for(session, "energy@gym.demo")
    g_site = create_site(
        session, gym, name="天河体育馆", region_code="440100", address="广州市天河区"
    )
    create_meter(
        session,
        gym,
        site_id=g_site.id,
        name="电费账单",
        carrier="electricity",
        unit="kWh",
        kind="billing",
    )


def _school_term(day: dt.date) -> bool:
    # Winter break mid-January to mid-February, summer break mid-July to end of August.
    md = (day.month, day.day)
    return not ((1, 15) <= md <= (2, 18) or (7, 10) <= md <= (8, 31))


def _school_electricity(temps, rng: random.Random) -> list[str]:
    lines = ["时间,用电量(kWh),数据质量"]
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        open_day = day.weekday() < 5 and _school_term(day)
        for q in range(96):
            hour, minute = divmod(q * 15, 60)
            t = temps[(day, hour)]
            base = 28.0
            if open_day and 7 <= hour < 18:
                base += 95.0 + 6.0 * max(0.0, t - 24) + 3.0 * max(0.0, 12 - t)
            elif open_day and 18 <= hour < 21:
                base += 35.0
            value = max(0.0, base * (1 + rng.gauss(0, 0.05)))
            lines.append(f"{day:%Y-%m-%d} {hour:02d}:{minute:02d},{value:.2f},")
    return lines


def _hospital_electricity(temps, rng: random.Random) -> list[str]:
    lines = ["时间,用电量(kWh)"]
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        for q in range(96):
            hour, minute = divmod(q * 15, 60)
            t = temps[(day, hour)]
            base = 210.0 + (90.0 if 8 <= hour < 20 else 0.0)
            base += 14.0 * max(0.0, t - 22) + 6.0 * max(0.0, 14 - t)
            lines.append(
                f"{day:%Y-%m-%d} {hour:02d}:{minute:02d},{base * (1 + rng.gauss(0, 0.03)):.2f}"
            )
    return lines


def _daily_gas(rng: random.Random, base: float) -> list[str]:
    """Daily gas reads as billing periods (start and end dates; the end date is inclusive)."""
    lines = ["开始日期,结束日期,用气量(m³)"]
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        winter = 1.0 + 0.6 * max(0.0, math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365))
        value = base * winter * (1 + rng.gauss(0, 0.08))
        lines.append(f"{day:%Y-%m-%d},{day:%Y-%m-%d},{max(value, 0):.1f}")
    return lines

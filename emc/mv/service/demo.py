"""Demo M&V: the school's HVAC retrofit with an approved baseline and accepted monthly reports.

A shared-savings project of 杭州市第一中学 with 绿能节能服务有限公司 covers the school's site; a
daily HVAC sub-meter (option B) has 2023 as its baseline year (use driven by the station's
temperatures) and about 15 % lower use from 2024. Everything goes through the same use cases as
real users (plan, propose, approve, draft, submit, accept), so the demo exercises them too.
Called at the end of ``emc.demo.build`` (after the facilities demo, whose temperatures it uses).

The test demo has three accepted months (the programme and payment tests count their totals);
the full demo (``emc demo``) has the year 2024 accepted month by month and January 2025
submitted and awaiting the institution, with January 2025's temperatures imported through the
weather ingestion service as the station's next upload.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import workflow
from emc.contracts import finance
from emc.contracts import service as contracts
from emc.contracts.models import ProjectStatus, terms_to_document
from emc.demo import actor_for
from emc.facilities import service as facilities
from emc.facilities.models import Meter, Site
from emc.facilities.service.demo import hangzhou_temperature
from emc.facilities.service.weather import import_weather
from emc.mv import data, engine
from emc.mv.models import BaselineModelKind, MvMethod, ReportingFrequency
from emc.mv.service import baselines, plans, reports

PROJECT_NAME = "一中暖通空调节能改造"
METER_NAME = "暖通空调分项"
BASELINE = (dt.date(2023, 1, 1), dt.date(2024, 1, 1))
ACCEPTED_MONTHS = 3  # the test demo: January to March 2024
FULL_ACCEPTED_MONTHS = 12  # the full demo: the year 2024


def demo_terms() -> finance.ContractTerms:
    return finance.ContractTerms(
        contract_type=finance.ContractType.SHARED_SAVINGS,
        term_years=5,
        start_date=dt.date(2024, 1, 1),
        payment_frequency=finance.PaymentFrequency.MONTHLY,
        payment_due_days=30,
        discount_rate=Decimal("0.06"),
        components=(finance.SharedSavingsTerms(shares=(finance.ShareBand(1, 5, Decimal("0.8")),)),),
        prices=(finance.CarrierPrice("electricity", "kWh", Decimal("0.80"), Decimal("0.02")),),
    )


# The school's term calendar (寒假 and 暑假, end dates inclusive): the demo's M&V plan uses the
# day-type model, so its use follows the school's calendar as a real school's does.
SCHOOL_CALENDAR = (
    "kind,start_date,end_date,name\n"
    "vacation,2023-01-14,2023-02-05,2023 寒假\n"
    "vacation,2023-07-08,2023-08-31,2023 暑假\n"
    "vacation,2024-01-27,2024-02-25,2024 寒假\n"
    "vacation,2024-07-06,2024-08-31,2024 暑假\n"
    "vacation,2025-01-18,2025-02-16,2025 寒假\n"
    "vacation,2025-07-05,2025-08-31,2025 暑假\n"
)
# Share of the term-day base load and of the heating/cooling slopes per day type.
_DAY_TYPE_LOAD = {"weekend": (0.55, 0.8), "holiday": (0.45, 0.6), "vacation": (0.40, 0.5)}


def hvac_use(temperature: float, day: dt.date, rng: random.Random, day_type="workday") -> float:
    """Daily HVAC use (kWh) at a daily mean temperature (°C) on a day of ``day_type``; 15 % less
    after the retrofit."""
    base, slope = _DAY_TYPE_LOAD.get(day_type, (1.0, 1.0))
    use = 600.0 * base + slope * (
        55.0 * max(0.0, 15.0 - temperature) + 85.0 * max(0.0, temperature - 21.0)
    )
    if day >= BASELINE[1]:
        use *= 0.85
    return use * (1 + rng.gauss(0, 0.04))


def _import_next_month_weather(session: Session, site: Site, month: dt.date) -> None:
    """The station's hourly temperatures of ``month``, uploaded like the facilities demo's."""
    platform = actor_for(session, "admin@platform.demo")
    rng = random.Random(month.toordinal())
    lines = ["时间,气温(℃)"]
    for day in data.days(month, data.add_months(month, 1)):
        for hour in range(24):
            moment = dt.datetime.combine(day, dt.time(hour))
            lines.append(f"{moment:%Y-%m-%d %H:%M},{hangzhou_temperature(moment, rng)}")
    import_weather(
        session,
        platform,
        site.weather_station_id,
        io.BytesIO("\n".join(lines).encode()),
        filename=f"hangzhou-{month:%Y-%m}.csv",
    )


def _import_use(
    session: Session, site: Site, meter: Meter, start: dt.date, end: dt.date, rng: random.Random
) -> None:
    """The HVAC meter's daily use of ``[start, end)`` from the station's temperatures and the
    site's day types, uploaded by the school's energy manager as a CSV."""
    from emc.calendars import service as calendars

    readings = data.temperature_readings(session, site, start, end)
    temps = engine.daily_temperature(
        [t for t, _ in readings], [v for _, v in readings], start, end, unit="C"
    ).temperature
    day_types = calendars.day_types_at(session, site.id, list(data.days(start, end)))
    lines = ["时间,用电量(kWh)"]
    for day, t, kind in zip(data.days(start, end), temps, day_types, strict=True):
        if math.isfinite(t):
            lines.append(f"{day:%Y-%m-%d} 00:00,{hvac_use(float(t), day, rng, kind):.2f}")
    facilities.import_readings(
        session,
        actor_for(session, "energy@school.demo"),
        meter.id,
        io.BytesIO("\n".join(lines).encode()),
        filename="暖通空调分项-日用电.csv",
    )


def import_month_of_use(session: Session, month: dt.date) -> None:
    """One more month of the demo HVAC meter's use, after the accepted ones: for tests that
    need a month with data and no report yet (no verdict without data)."""
    meter = session.scalar(select(Meter).where(Meter.name == METER_NAME))
    site = session.get(Site, meter.site_id)
    _import_use(
        session, site, meter, month, data.add_months(month, 1), random.Random(month.toordinal())
    )


# Demo history is replayed, not live: nobody is notified of its steps.
@workflow.muted()
def build_mv(session: Session, *, full: bool = False) -> None:
    """Create the demo M&V project (needs the facilities demo's school site and temperatures).

    ``full``: a year of accepted monthly reports and the next month submitted (``emc demo``);
    otherwise three accepted months (the test demo)."""
    rng = random.Random(5005)
    accepted_months = FULL_ACCEPTED_MONTHS if full else ACCEPTED_MONTHS
    energy = actor_for(session, "energy@school.demo")
    engineer = actor_for(session, "engineer@esco.demo")
    site = session.scalar(
        select(Site).where(Site.organization_id == energy.organization_id).order_by(Site.id)
    )
    if site is None or site.weather_station_id is None:
        return
    project = contracts.create_project(
        session,
        energy,
        name=PROJECT_NAME,
        esco_organization_id=engineer.organization_id,
        investor="esco",
        total_investment=Decimal("1200000.00"),
    )
    contracts.set_contract_terms(session, energy, project.id, terms=terms_to_document(demo_terms()))
    contracts.update_project(session, energy, project.id, status=ProjectStatus.PROPOSED)
    contracts.update_project(
        session,
        energy,
        project.id,
        status=ProjectStatus.CONTRACTED,
        signed_on=dt.date(2023, 12, 15),
        operation_start_on=dt.date(2024, 1, 1),
    )
    # Both parties sign: the ESCO's signature makes the project contracted.
    contracts.sign_project(
        session, actor_for(session, "admin@esco.demo"), project.id, signed_on=dt.date(2023, 12, 15)
    )
    facilities.link_project(session, energy, site.id, project_id=project.id)
    # A sub-meter of the site's main electricity meter, so that site totals (audits, annual
    # statistics) do not count the HVAC consumption twice.
    main_meter = session.scalar(
        select(Meter.id)
        .where(
            Meter.site_id == site.id,
            Meter.carrier == "electricity",
            Meter.parent_meter_id.is_(None),
        )
        .order_by(Meter.id)
    )
    meter = facilities.create_meter(
        session,
        energy,
        site_id=site.id,
        parent_meter_id=main_meter,
        name=METER_NAME,
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=1440,
    )
    start, end = BASELINE[0], data.add_months(BASELINE[1], accepted_months + (1 if full else 0))
    if full:
        _import_next_month_weather(session, site, data.add_months(end, -1))
    from emc.calendars import service as calendars  # the school's term calendar

    calendar = calendars.create_term_calendar(
        session, energy, name="杭州市第一中学校历", shared=True
    )
    calendars.replace_periods(
        session, energy, calendar.id, io.BytesIO(SCHOOL_CALENDAR.encode()), "校历.csv"
    )
    calendars.assign_site(session, energy, site.id, calendar.id)
    _import_use(session, site, meter, start, end, rng)
    plans.put_plan(
        session,
        engineer,
        project.id,
        boundary=[{"meter_id": meter.id, "option": "B"}],
        method=MvMethod.DAILY,
        baseline_start=BASELINE[0],
        baseline_end=BASELINE[1],
        reporting_frequency=ReportingFrequency.MONTHLY,
        stipulated=[],
        baseline_model=BaselineModelKind.DAY_TYPES,
    )
    baseline = baselines.propose_baseline(session, engineer, project.id)
    baselines.approve_baseline(
        session, energy, baseline.id, comment="基准期数据完整，模型满足 G14 要求。"
    )
    for k in range(accepted_months + (1 if full else 0)):
        month = data.add_months(BASELINE[1], k)
        report = reports.draft_report(
            session,
            engineer,
            project.id,
            period_start=month,
            period_end=data.add_months(month, 1),
        )
        reports.submit_report(session, engineer, report.id)
        if k < accepted_months:
            reports.accept_report(session, energy, report.id, comment="同意。")

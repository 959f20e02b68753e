"""Demo of the savings watch (full demo only, ``emc demo``): two more projects of the school.

* 一中照明与空调二期（节能衰减）: baseline year 2023, about 18 % savings from January 2024 that
  fade from June to none by September (a controller left in manual mode); the contract
  estimates 18 %. The watch, run as of 1 October 2024, shows the cumulative savings falling
  behind the expected trajectory, a suspected event where the savings faded, and a shortfall
  warning (to-do and notification for both parties).
* 一中新校区空调改造（基准年突变）: a baseline year in which a new wing opened on 1 July 2023
  (+25 % use); the baseline is proposed, and its approval page shows the suspected event.

Everything goes through the same use cases as real users (projects, terms, readings, plan,
baseline), then the nightly watch runs as of 1 October 2024.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import zlib
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.contracts import service as contracts
from emc.contracts.models import ProjectStatus, terms_to_document
from emc.demo import actor_for
from emc.facilities import service as facilities
from emc.facilities.models import Meter, Site
from emc.mv import data, engine
from emc.mv.models import MvMethod, ReportingFrequency
from emc.mv.service import baselines, plans
from emc.mv.service.demo import demo_terms

FADING = "一中照明与空调二期（节能衰减）"
STEP = "一中新校区空调改造（基准年突变）"
BASELINE = (dt.date(2023, 1, 1), dt.date(2024, 1, 1))
AS_OF = dt.date(2024, 10, 1)
WING_OPENED = dt.date(2023, 7, 1)


def _use(temperature: float) -> float:
    return 450.0 + 38.0 * max(0.0, 15.0 - temperature) + 60.0 * max(0.0, temperature - 21.0)


def fading_saving(day: dt.date) -> float:
    """18 % from 2024, fading linearly over June to August to none from September."""
    if day < BASELINE[1]:
        return 0.0
    fade_start, fade_end = dt.date(2024, 6, 1), dt.date(2024, 9, 1)
    if day < fade_start:
        return 0.18
    if day >= fade_end:
        return 0.0
    return 0.18 * (fade_end - day).days / (fade_end - fade_start).days


def _project(session, name, meter_name, usage_of, end, estimate=None):
    energy = actor_for(session, "energy@school.demo")
    engineer = actor_for(session, "engineer@esco.demo")
    site = session.scalar(
        select(Site).where(Site.organization_id == energy.organization_id).order_by(Site.id)
    )
    if site is None or site.weather_station_id is None:
        return None
    readings = data.temperature_readings(session, site, BASELINE[0], end)
    temps = engine.daily_temperature(
        [t for t, _ in readings], [v for _, v in readings], BASELINE[0], end, unit="C"
    ).temperature
    rng = random.Random(zlib.crc32(name.encode()))
    rows = [
        (day, usage_of(float(t), day) * (1 + rng.gauss(0, 0.05)))
        for day, t in zip(data.days(BASELINE[0], end), temps, strict=True)
        if math.isfinite(t)
    ]
    project = contracts.create_project(
        session,
        energy,
        name=name,
        esco_organization_id=engineer.organization_id,
        investor="esco",
        total_investment=Decimal("680000.00"),
    )
    estimates = []
    if estimate is not None:
        base_year = sum(_use(float(t)) for t in temps[:365] if math.isfinite(t))
        estimates = [
            {
                "carrier": "electricity",
                "unit": "kWh",
                "annual_quantity": f"{base_year * estimate:.3f}",
                "contract_year": None,
            }
        ]
    contracts.set_contract_terms(
        session,
        energy,
        project.id,
        terms=terms_to_document(demo_terms()),
        savings_estimates=estimates,
    )
    contracts.update_project(session, energy, project.id, status=ProjectStatus.PROPOSED)
    contracts.update_project(
        session,
        energy,
        project.id,
        status=ProjectStatus.CONTRACTED,
        signed_on=dt.date(2023, 12, 20),
        operation_start_on=dt.date(2024, 1, 1),
    )
    facilities.link_project(session, energy, site.id, project_id=project.id)
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
        name=meter_name,
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=1440,
    )
    lines = ["时间,用电量(kWh)"] + [f"{d:%Y-%m-%d} 00:00,{v:.2f}" for d, v in rows]
    facilities.import_readings(
        session,
        energy,
        meter.id,
        io.BytesIO("\n".join(lines).encode()),
        filename=f"{meter_name}-日用电.csv",
    )
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
    )
    baseline = baselines.propose_baseline(session, engineer, project.id)
    return project, baseline, energy


def build_watch_demo(session: Session) -> None:
    """The two watch projects, then the nightly watch as of :data:`AS_OF`."""
    fading = _project(
        session,
        FADING,
        "照明空调二期分项",
        lambda t, day: _use(t) * (1 - fading_saving(day)),
        AS_OF,
        estimate=0.18,
    )
    if fading is not None:
        _project_, baseline, energy = fading
        baselines.approve_baseline(session, energy, baseline.id, comment="基准期模型满足要求。")
    _project(
        session,
        STEP,
        "新校区空调分项",
        lambda t, day: _use(t) * (1.25 if day >= WING_OPENED else 1.0),
        BASELINE[1],
    )
    from emc.watch.service.nightly import run_nightly
    from emc.watch.service.quota import run_quota_watch

    run_nightly(session, AS_OF)
    run_quota_watch(session, AS_OF)

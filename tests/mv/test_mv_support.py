"""Helpers of the M&V workflow tests: a fresh project of the demo school with the demo ESCO, a
daily HVAC sub-meter whose use follows the station's temperatures, and its M&V plan.

(Imported by the other ``test_mv_*`` modules; its own tests check the helpers' data.)
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random

from signing_support import sign_by_esco
from sqlalchemy import select

from emc.auth.actor import Actor
from emc.auth.models import Organization, User
from emc.contracts import service as contracts
from emc.contracts.models import ProjectStatus, terms_to_document
from emc.facilities import service as facilities
from emc.facilities.models import Meter, Site
from emc.mv import data, engine
from emc.mv.models import MvMethod, ReportingFrequency
from emc.mv.service import plans
from emc.mv.service.demo import PROJECT_NAME, demo_terms

BASELINE = (dt.date(2023, 1, 1), dt.date(2024, 1, 1))
_seq = itertools.count(1)


def actor(session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


def truth(temperature: float, day: dt.date, saving: float) -> float:
    use = 500.0 + 40.0 * max(0.0, 14.0 - temperature) + 70.0 * max(0.0, temperature - 22.0)
    return use * (1 - saving) if day >= BASELINE[1] else use


def make_project(
    session, *, months: int = 6, saving: float = 0.15, plan: bool = True, terms=None
) -> dict:
    """A signed shared-savings project on the school's site with a daily sub-meter holding
    2023 (baseline) and ``months`` months of 2024 data (``saving`` lower use)."""
    n = next(_seq)
    project, site, meter = signed_project(
        session,
        name=f"M&V 测试项目 {n}",
        terms=terms or demo_terms(),
        signed_on=dt.date(2023, 12, 1),
        meter_name=f"测试分项 {n}",
    )
    energy = actor(session, "energy@school.demo")
    engineer = actor(session, "engineer@esco.demo")
    start, end = BASELINE[0], data.add_months(BASELINE[1], months)
    readings = data.temperature_readings(session, site, start, end)
    temps = engine.daily_temperature(
        [t for t, _ in readings], [v for _, v in readings], start, end
    ).temperature
    rng = random.Random(n)
    lines = ["时间,用电量(kWh)"] + [
        f"{d:%Y-%m-%d} 00:00,{truth(float(t), d, saving) * (1 + rng.gauss(0, 0.03)):.3f}"
        for d, t in zip(data.days(start, end), temps, strict=True)
    ]
    facilities.import_readings(
        session, energy, meter.id, io.BytesIO("\n".join(lines).encode()), filename=f"t{n}.csv"
    )
    if plan:
        plans.put_plan(
            session,
            engineer,
            project.id,
            boundary=[{"meter_id": meter.id, "option": "B"}],
            method=MvMethod.DAILY,
            baseline_start=BASELINE[0],
            baseline_end=BASELINE[1],
            reporting_frequency=ReportingFrequency.MONTHLY,
        )
    session.flush()
    return {
        "project": project.id,
        "meter": meter.id,
        "site": site.id,
        "energy": energy,
        "engineer": engineer,
        "institution_admin": actor(session, "admin@school.demo"),
    }


def signed_project(session, *, name: str, terms, signed_on: dt.date, meter_name: str):
    """(project, site, meter): a project of the demo school with the demo ESCO on ``terms``,
    signed by both on ``signed_on``, linked to the school's first site, with a new daily
    electricity sub-meter named ``meter_name``."""
    energy = actor(session, "energy@school.demo")
    engineer = actor(session, "engineer@esco.demo")
    site = session.scalar(
        select(Site).where(Site.organization_id == energy.organization_id).order_by(Site.id)
    )
    project = contracts.create_project(
        session,
        energy,
        name=name,
        esco_organization_id=engineer.organization_id,
        investor="esco",
    )
    contracts.set_contract_terms(session, energy, project.id, terms=terms_to_document(terms))
    contracts.update_project(session, energy, project.id, status=ProjectStatus.PROPOSED)
    contracts.update_project(
        session, energy, project.id, status=ProjectStatus.CONTRACTED, signed_on=signed_on
    )
    sign_by_esco(session, project.id)
    facilities.link_project(session, energy, site.id, project_id=project.id)
    meter = facilities.create_meter(
        session,
        energy,
        site_id=site.id,
        name=meter_name,
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=1440,
    )
    return project, site, meter


def demo_project_id(session) -> int:
    from emc.contracts.models import EmcProject

    return session.scalar(select(EmcProject.id).where(EmcProject.name == PROJECT_NAME))


def replace_day(session, who: Actor, meter_id: int, day: dt.date, value: float) -> None:
    """Replace one day's reading through the facilities service (as a corrected upload)."""
    text = f"时间,用电量(kWh)\n{day:%Y-%m-%d} 00:00,{value}\n"
    facilities.import_readings(
        session, who, meter_id, io.BytesIO(text.encode()), filename=f"fix-{day}.csv", replace=True
    )


def test_helper_project_has_a_year_of_baseline_data(db_session):
    ids = make_project(db_session, months=1)
    meter = db_session.get(Meter, ids["meter"])
    series = data.daily_inputs(db_session, meter, db_session.get(Site, meter.site_id), *BASELINE)
    assert len(series.dates) == 365 and series.complete


def test_missing_and_incomplete_days_are_nan(db_session):
    ids = make_project(db_session, months=1, plan=False)
    meter = db_session.get(Meter, ids["meter"])
    site = db_session.get(Site, meter.site_id)
    use = data.daily_usage(db_session, meter, site, dt.date(2024, 1, 30), dt.date(2024, 2, 3))
    assert [v == v for v in use] == [True, True, False, False]


def seen(client, pid: int, path: str) -> int:
    """The row version ``client`` sees of the baseline or report at ``path`` (1 when it cannot
    see it: the request is then refused before the version matters)."""
    response = client.get(f"/api/v1/projects/{pid}{path}")
    return response.get_json().get("row_version", 1) if response.status_code == 200 else 1

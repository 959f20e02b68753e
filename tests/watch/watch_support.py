"""Helpers of the watch tests: an approved project whose savings fade, with an estimate."""

from __future__ import annotations

import datetime as dt
import io
import random

from sqlalchemy import select
from test_mv_support import BASELINE, make_project, truth

from emc.contracts.models import Contract
from emc.facilities import service as facilities
from emc.facilities.models import Meter, Site
from emc.mv import data, engine
from emc.mv.service import baselines

FADE_ON = dt.date(2024, 4, 1)


def reupload(session, who, meter_id, start, end, saving, seed=7):
    """Replace the meter's days ``[start, end)`` with use at ``saving`` (3 % noise)."""
    meter = session.get(Meter, meter_id)
    site = session.get(Site, meter.site_id)
    readings = data.temperature_readings(session, site, start, end)
    temps = engine.daily_temperature(
        [t for t, _ in readings], [v for _, v in readings], start, end
    ).temperature
    rng = random.Random(seed)
    lines = ["时间,用电量(kWh)"] + [
        f"{d:%Y-%m-%d} 00:00,{truth(float(t), d, saving) * (1 + rng.gauss(0, 0.03)):.3f}"
        for d, t in zip(data.days(start, end), temps, strict=True)
    ]
    facilities.import_readings(
        session,
        who,
        meter_id,
        io.BytesIO("\n".join(lines).encode()),
        filename=f"r{seed}.csv",
        replace=True,
    )


def approved_project(session, *, months=6, fade_on=FADE_ON, estimate=0.15):
    """A project with a 15 % saving from 2024 that fades to none from ``fade_on`` (None: no
    fading), its baseline approved and a savings estimate of ``estimate`` of the baseline."""
    ids = make_project(session, months=months, saving=0.15)
    if fade_on is not None:
        reupload(
            session, ids["energy"], ids["meter"], fade_on, data.add_months(BASELINE[1], months), 0.0
        )
    b = baselines.propose_baseline(session, ids["engineer"], ids["project"])
    baselines.approve_baseline(session, ids["energy"], b.id)
    modelled = sum(v for v in b.models[0]["series"]["modelled"] if v is not None)
    contract = session.scalar(select(Contract).where(Contract.project_id == ids["project"]))
    contract.savings_estimates = [
        {
            "carrier": "electricity",
            "unit": "kWh",
            "annual_quantity": f"{modelled * estimate:.3f}",
            "contract_year": None,
        }
    ]
    session.flush()
    ids["baseline"] = b.id
    return ids

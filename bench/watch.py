"""Savings watch: detection accuracy, false alarms, forecast calibration and nightly run time.

    python bench/watch.py [--runs 500] [--projects 10000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                          [--pg-database URL] [--skip-speed] [--skip-accuracy]

Accuracy (seeded, ``emc.watch.synthetic``: CalTRACK-shaped daily use, CV 10–15 %, AR(1) noise
with ρ 0.2–0.5, a real-looking temperature year; the baseline fitted by ``fit_daily``):

* detection: a reporting year with a constant 10 % saving and a ±15 % step (of the baseline's
  use) at a random day in [30, 335); the detector (``emc.mv.engine.events.cusum_events``) runs
  on the year's residuals as ``emc mv events`` and the nightly watch do. A run counts as
  detected when an event is reported whose start lies within 30 days of the true start
  (the target: ≥ 90 %); the online figure — an alarm raised within 30 days after the start —
  and the median delay of the alarm are printed too;
* false alarms: the same years without a step; events per meter-year (target: ≤ 1);
* calibration: a constant saving of 5–25 %; the 90 % interval of the shortfall forecast made
  at month 6 (day 181) against the true annual savings (target coverage 85–95 %).

Speed: ``run_nightly`` over N projects (default 10,000), each with an approved daily baseline
and a year of daily readings since it, on SQLite (a temporary file) and, with ``--pg``, on
PostgreSQL (a scratch database created and dropped here; ``--pg-database`` fills a given empty
one instead, on a shared server where each user has their own). The data are generated straight
into the tables (bulk inserts); the timed part is the whole nightly job in one transaction. The
line printed gives wall and CPU time and the load average: on a shared machine the wall time
grows with the others' load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emc.mv import engine  # noqa: E402
from emc.mv.engine.events import cusum_events  # noqa: E402
from emc.watch import synthetic as syn  # noqa: E402
from emc.watch.forecast import savings_forecast  # noqa: E402

B0, R0 = dt.date(2023, 1, 1), dt.date(2024, 1, 1)


def _year(rng, building, start, n):
    return syn.temperature_year(rng, start, n)


def accuracy(runs: int) -> None:
    detected = located = 0
    delays: list[int] = []
    false_events = 0
    covered = 0
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        building = syn.random_building(rng)
        tb = _year(rng, building, B0, 365)
        ub = syn.usage(rng, building, tb)
        model = engine.fit_daily(syn.dates(B0, 365), ub, tb)
        st = model.statistics
        tr = _year(rng, building, R0, 366)
        pred = model.predict(tr)
        sigma = st.cvrmse * float(np.mean(pred))
        days = syn.dates(R0, 366)
        # A step.
        at = int(rng.integers(30, 335))
        size = 0.15 if rng.random() < 0.5 else -0.15
        mult = np.full(366, 0.9)
        mult[at:] += size
        use = syn.usage(rng, building, tr, multiplier=mult)
        found, _ = cusum_events(
            days, use - pred, sigma=sigma, rho=st.autocorrelation, predicted=pred
        )
        start = R0 + dt.timedelta(days=at)
        if any(abs((e.start - start).days) <= 30 for e in found):
            located += 1
        online = [e for e in found if start <= e.detected <= start + dt.timedelta(days=30)]
        if online:
            detected += 1
            delays.append((online[0].detected - start).days)
        # No step.
        use0 = syn.usage(rng, building, tr, multiplier=0.9)
        quiet, _ = cusum_events(
            days, use0 - pred, sigma=sigma, rho=st.autocorrelation, predicted=pred
        )
        false_events += len(quiet)
        # Calibration at month 6.
        rng2 = np.random.default_rng(100_000 + seed)
        saving = rng2.uniform(0.05, 0.25)
        counterfactual = syn.usage(rng2, building, tr[:365])
        actual = counterfactual * (1 - saving)
        truth = float(np.sum(counterfactual - actual))
        m = 181
        seen = pred[:m]
        saved = float(np.sum(seen - actual[:m]))
        remaining = float(np.sum(model.predict(tb[m:365])))
        f = savings_forecast(
            savings_to_date=saved,
            rate_savings=saved,
            rate_baseline=float(seen.sum()),
            rate_days=m,
            baseline_to_date=float(seen.sum()),
            baseline_remaining=remaining,
            days_remaining=365 - m,
            cvrmse=st.cvrmse,
            n=st.n,
            p=st.p,
            rho=st.autocorrelation,
        )
        covered += f.low <= truth <= f.high
    print(f"runs: {runs} (seeded 0..{runs - 1})")
    print(
        f"detection, event start within 30 days of the step:   {located / runs:6.1%}  "
        "(target ≥ 90 %)"
    )
    print(
        f"detection, alarm raised within 30 days (online):     {detected / runs:6.1%}  "
        f"median delay {np.median(delays) if delays else float('nan'):.0f} days"
    )
    print(
        f"false alarms per meter-year (no step):               {false_events / runs:6.2f}  "
        "(target ≤ 1)"
    )
    print(
        f"forecast at month 6, 90 % interval coverage:         {covered / runs:6.1%}  "
        "(target 85–95 %)"
    )


# --- speed ---------------------------------------------------------------------------------


def _populate(url: str, projects: int) -> None:
    """N projects of one institution and one ESCO, each with one daily meter on its own site
    (all sites on one weather station), an approved daily baseline of 2023 and daily readings
    of 2024; hourly temperatures of 2024."""
    from sqlalchemy import insert

    from emc import migrate
    from emc.auth.models import Organization, OrgKind
    from emc.contracts.models import Contract, EmcProject
    from emc.db import make_engine
    from emc.facilities.models import Meter, MeterReading, Site, TemperatureReading, WeatherStation
    from emc.mv.models import Baseline

    migrate.upgrade(url)
    eng = make_engine(url)
    rng = np.random.default_rng(7)
    tb = syn.temperature_year(rng, B0, 365)
    tr = syn.temperature_year(rng, R0, 366)
    building = syn.Building(base=800, beta_hdd=25, beta_cdd=40, cv=0.12, rho=0.3)
    model = engine.fit_daily(syn.dates(B0, 365), syn.usage(rng, building, tb), tb)
    md = model.to_dict()
    modelled = [float(v) for v in model.predict(tb)]
    entry = {
        "meter_id": None,
        "meter_name": "bench",
        "carrier": "electricity",
        "unit": "kWh",
        "option": "C",
        "model": md,
        "statistics": md["statistics"],
        "series": {"dates": [d.isoformat() for d in syn.dates(B0, 365)], "modelled": modelled},
    }
    now = dt.datetime.now(dt.UTC)
    from emc.contracts.models import terms_to_document
    from emc.mv.service.demo import demo_terms

    terms = terms_to_document(demo_terms())
    with eng.begin() as conn:
        inst = conn.execute(
            insert(Organization).values(
                kind=OrgKind.INSTITUTION, name_zh="基准测试机构", region_code="330000"
            )
        ).inserted_primary_key[0]
        esco = conn.execute(
            insert(Organization).values(
                kind=OrgKind.ESCO, name_zh="基准测试公司", region_code="330000"
            )
        ).inserted_primary_key[0]
        station = conn.execute(
            insert(WeatherStation).values(code=f"B{uuid.uuid4().hex[:6]}", name="bench")
        ).inserted_primary_key[0]
        epoch0 = int(dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
        conn.execute(
            insert(TemperatureReading),
            [
                {
                    "station_id": station,
                    "start_ts": epoch0 + h * 3600,
                    "temperature_c": float(tr[h // 24]),
                }
                for h in range(366 * 24)
            ],
        )
    batch = 500
    for lo in range(0, projects, batch):
        with eng.begin() as conn:
            ids = []
            for i in range(lo, min(lo + batch, projects)):
                pid = conn.execute(
                    insert(EmcProject).values(
                        organization_id=inst,
                        esco_organization_id=esco,
                        name=f"bench {i}",
                        status="operating",
                        operation_start_on=R0,
                    )
                ).inserted_primary_key[0]
                site = conn.execute(
                    insert(Site).values(
                        organization_id=inst,
                        name=f"bench {i}",
                        region_code="330000",
                        weather_station_id=station,
                    )
                ).inserted_primary_key[0]
                meter = conn.execute(
                    insert(Meter).values(
                        site_id=site,
                        name=f"bench {i}",
                        carrier="electricity",
                        unit="kWh",
                        kind="interval",
                        interval_minutes=1440,
                    )
                ).inserted_primary_key[0]
                ids.append((pid, meter))
            conn.execute(
                insert(Contract),
                [
                    {
                        "project_id": pid,
                        "contract_type": "shared_savings",
                        "terms": terms,
                        "savings_estimates": [
                            {
                                "carrier": "electricity",
                                "unit": "kWh",
                                "annual_quantity": f"{0.1 * sum(modelled):.3f}",
                                "contract_year": None,
                            }
                        ],
                    }
                    for pid, _m in ids
                ],
            )
            conn.execute(
                insert(Baseline),
                [
                    {
                        "project_id": pid,
                        "version": 1,
                        "status": "approved",
                        "plan_version": 1,
                        "method": "daily",
                        "start_date": B0,
                        "end_date": R0,
                        "acceptance": {},
                        "models": [{**entry, "meter_id": meter}],
                        "verdict_passed": True,
                        "warnings": [],
                        "inputs_sha256": "0" * 64,
                        "proposed_at": now,
                        "decided_at": now,
                    }
                    for pid, meter in ids
                ],
            )
            rows = []
            for _pid, meter in ids:
                use = syn.usage(rng, building, tr, multiplier=0.9)
                rows += [
                    {
                        "meter_id": meter,
                        "start_ts": epoch0 + d * 86400,
                        "end_ts": epoch0 + (d + 1) * 86400,
                        "value": float(use[d]),
                        "quality": "ok",
                    }
                    for d in range(366)
                ]
            conn.execute(insert(MeterReading), rows)
    eng.dispose()


def speed(url: str, label: str, projects: int) -> None:
    from emc.db import make_engine, make_session_factory
    from emc.watch.service.nightly import run_nightly

    t0 = time.perf_counter()
    _populate(url, projects)
    setup = time.perf_counter() - t0
    eng = make_engine(url)
    factory = make_session_factory(eng)
    t0, c0 = time.perf_counter(), time.process_time()
    with factory() as session, session.begin():
        summary = run_nightly(session, dt.date(2025, 1, 1))
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    load = os.getloadavg()
    eng.dispose()
    print(
        f"nightly watch, {label:<10}: {projects:,} projects × 366 days in {took:7.1f} s wall, "
        f"{cpu:.1f} s CPU of this process (target < 300 s; {summary['tracked']:,} tracked, "
        f"{summary['events']} events, {summary['warnings']} warnings; data generated in "
        f"{setup:.0f} s; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on "
        f"{os.cpu_count()} cores)"
    )


def _pg_scratch(admin_url: str):
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from emc.config import normalise_database_url
    from emc.db import make_engine

    admin_url = normalise_database_url(admin_url)
    name = f"emc_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--pg", help="PostgreSQL admin URL (a scratch database is made there)")
    parser.add_argument(
        "--pg-database",
        help="an empty PostgreSQL database to fill and time instead of a scratch one (kept)",
    )
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    if not args.skip_accuracy:
        accuracy(args.runs)
    if not args.skip_speed:
        with tempfile.TemporaryDirectory() as tmp:
            speed(f"sqlite:///{tmp}/watch.sqlite3", "SQLite", args.projects)
        if args.pg_database:
            from emc.config import normalise_database_url

            speed(normalise_database_url(args.pg_database), "PostgreSQL", args.projects)
        elif args.pg:
            url, drop = _pg_scratch(args.pg)
            try:
                speed(url, "PostgreSQL", args.projects)
            finally:
                drop()


if __name__ == "__main__":
    main()

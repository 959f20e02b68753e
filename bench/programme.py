"""Programme dashboard: latency of the national and a provincial dashboard at programme scale.

    python bench/programme.py [--projects 100000] [--runs 30] [--pg URL] [--no-pg] [--explain]
    python bench/programme.py --quick          # 2,000 projects: the smoke check
    python bench/programme.py --keep --work /tmp/emc-bench   # build once, keep both databases
    python bench/programme.py --reuse --work /tmp/emc-bench  # measure the kept ones again

Builds, on SQLite (a file in ``--work`` or a temporary folder) and on PostgreSQL (a scratch
database ``--pg-database``, default ``emc_bench_programme``, created and dropped here unless
``--keep``/``--reuse``), a database upgraded by the migrations with the demo organisations and
users, then bulk-inserts (Core ``executemany``, never the ORM row by row) a programme:

* 8 city regions per province (beside the demo's cities); institutions spread over the cities and
  the five sectors; 60 ESCOs;
* ``--projects`` EMC projects in every status, signed 2021–2025 (drafts and proposals unsigned),
  some terminated before and some after operation started, with contracts of the five
  GB/T 24915 types and a spread of investors;
* for about 60 % of the operating projects a baseline and one to three annual accepted M&V
  reports (a tenth revised: version 2 accepted beside version 1).

It then times, ``--runs`` times each after one warm-up, the national dashboard (as
officer@national.demo) and the provincial one (officer@zhejiang.demo, 330000): the data call
(``emc.programme.service.dashboard``) and the page (``GET /programme`` through the Flask test
client, logged in). It prints p50 / p95 / max in ms per database and whether the target
**p95 < 200 ms on PostgreSQL** is met. The bulk load bypasses the session events that keep
the dashboards' summary table (``emc.programme.summary``) in step, so the build rebuilds it (as
``emc programme rebuild-summary`` does after any bulk load; ``--reuse`` rebuilds it too).
``--explain`` prints the slowest statements of one dashboard page with PostgreSQL's
``EXPLAIN (ANALYZE, BUFFERS)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

TARGET_P95_MS = 200.0
CITIES_PER_PROVINCE = 8
PROJECTS_PER_INSTITUTION = 20
ESCOS = 60
BATCH = 5_000
PG_DATABASE = "emc_bench_programme"
OFFICERS = (("national", "officer@national.demo"), ("province 330000", "officer@zhejiang.demo"))


# --- building the data -----------------------------------------------------------------------


def _insert(session, model, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for i in range(0, len(rows), BATCH):
        session.execute(insert(model.__table__), rows[i : i + BATCH])


def _next_id(session, model) -> int:
    from sqlalchemy import func, select

    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _fix_sequences(session, models) -> None:
    """Explicit ids were inserted: move PostgreSQL's identity sequences past them."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def build(url: str, projects: int, seed: int = 2026) -> dict[str, int]:
    """Migrate ``url``, add the demo and a programme of ``projects`` projects; row counts."""
    from sqlalchemy import select

    from emc import clock, demo, migrate
    from emc.auth.models import Organization, OrgKind, Region, RegionLevel, Sector
    from emc.contracts.finance import ContractType
    from emc.contracts.models import Contract, EmcProject, Investor, ProjectStatus
    from emc.db import make_engine, make_session_factory, unit_of_work
    from emc.mv.models import Baseline, BaselineStatus, MvMethod, MvReport, ReportStatus
    from emc.programme import summary

    rng = random.Random(seed)
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = clock.now()
    counts: dict[str, int] = {}
    with unit_of_work(factory) as session:
        demo.build(session)
        provinces = session.execute(
            select(Region.code, Region.name_zh).where(Region.level == RegionLevel.PROVINCE)
        ).all()
        existing = set(session.scalars(select(Region.code)))
        new_regions = [
            {
                "code": f"{code[:2]}{k:02d}00",
                "name_zh": f"{name}第{k}市",
                "name_en": f"City {code[:2]}{k:02d}",
                "level": RegionLevel.CITY,
            }
            for code, name in provinces
            for k in range(1, CITIES_PER_PROVINCE + 1)
            if f"{code[:2]}{k:02d}00" not in existing
        ]
        _insert(session, Region, new_regions)
        cities = sorted(
            session.scalars(select(Region.code).where(Region.level == RegionLevel.CITY))
        )
        counts["provinces"], counts["cities"] = len(provinces), len(cities)

        org_id = _next_id(session, Organization)
        sectors = list(Sector)
        n_inst = max(projects // PROJECTS_PER_INSTITUTION, 10)
        orgs, institutions, escos = [], [], []
        for i in range(n_inst):
            institutions.append(org_id)
            orgs.append(
                {
                    "id": org_id,
                    "kind": OrgKind.INSTITUTION,
                    "name_zh": f"基准公共机构{i:06d}",
                    "name_en": None,
                    "region_code": rng.choice(cities),
                    "sector": sectors[i % len(sectors)],
                    "credit_code": None,
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            org_id += 1
        for i in range(ESCOS):
            escos.append(org_id)
            orgs.append(
                {
                    "id": org_id,
                    "kind": OrgKind.ESCO,
                    "name_zh": f"基准节能服务公司{i:03d}",
                    "name_en": None,
                    "region_code": rng.choice(cities),
                    "sector": None,
                    "credit_code": None,
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            org_id += 1
        _insert(session, Organization, orgs)
        counts["institutions"] = n_inst

        statuses = [
            (ProjectStatus.DRAFT, 5),
            (ProjectStatus.PROPOSED, 5),
            (ProjectStatus.CONTRACTED, 10),
            (ProjectStatus.IMPLEMENTING, 10),
            (ProjectStatus.OPERATING, 45),
            (ProjectStatus.COMPLETED, 15),
            (ProjectStatus.TERMINATED, 10),
        ]
        status_pool = [s for s, w in statuses for _ in range(w)]
        types = list(ContractType)
        investors = list(Investor)
        first_day, days = dt.date(2021, 1, 1), (dt.date(2025, 12, 31) - dt.date(2021, 1, 1)).days
        project_id = _next_id(session, EmcProject)
        contract_id = _next_id(session, Contract)
        baseline_id = _next_id(session, Baseline)
        report_id = _next_id(session, MvReport)
        p_rows, c_rows, b_rows, r_rows = [], [], [], []
        for i in range(projects):
            status = rng.choice(status_pool)
            signed = None
            if status not in (ProjectStatus.DRAFT, ProjectStatus.PROPOSED):
                signed = first_day + dt.timedelta(days=rng.randrange(days + 1))
            operating = status in (ProjectStatus.OPERATING, ProjectStatus.COMPLETED) or (
                status is ProjectStatus.TERMINATED and rng.random() < 0.5
            )
            op_start = signed + dt.timedelta(days=rng.randrange(90, 300)) if operating else None
            p_rows.append(
                {
                    "id": project_id,
                    "organization_id": rng.choice(institutions),
                    "esco_organization_id": rng.choice(escos),
                    "name": f"基准项目{i:07d}",
                    "status": status,
                    "termination_reason": "基准" if status is ProjectStatus.TERMINATED else None,
                    "signed_on": signed,
                    "works_accepted_on": None,
                    "operation_start_on": op_start,
                    "term_end_on": None,
                    "total_investment": Decimal(rng.randrange(200_000, 9_000_000)),
                    "investor": rng.choice(investors),
                    "ecms": [],
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if signed is not None:
                c_rows.append(
                    {
                        "id": contract_id,
                        "project_id": project_id,
                        "contract_type": rng.choice(types),
                        "terms": {"format": 1, "bench": True},
                        "savings_estimates": [],
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                contract_id += 1
            if op_start is not None and rng.random() < 0.6:
                b_rows.append(
                    {
                        "id": baseline_id,
                        "project_id": project_id,
                        "version": 1,
                        "status": BaselineStatus.APPROVED,
                        "reason": None,
                        "plan_version": 1,
                        "method": MvMethod.DAILY,
                        "start_date": op_start - dt.timedelta(days=365),
                        "end_date": op_start,
                        "acceptance": {},
                        "models": [],
                        "verdict_passed": True,
                        "warnings": [],
                        "inputs_sha256": "0" * 64,
                        "proposed_at": now,
                        "decided_at": now,
                        "created_at": now,
                    }
                )
                for k in range(rng.randint(1, 3)):
                    start = op_start + dt.timedelta(days=365 * k)
                    end = start + dt.timedelta(days=365)
                    versions = 2 if k == 0 and rng.random() < 0.1 else 1
                    for version in range(1, versions + 1):
                        tce = Decimal(rng.randrange(20_000, 900_000)) / 1000
                        r_rows.append(
                            {
                                "id": report_id,
                                "project_id": project_id,
                                "baseline_id": baseline_id,
                                "period_start": start,
                                "period_end": end,
                                "version": version,
                                "status": ReportStatus.ACCEPTED,
                                "results": [],
                                "months": [],
                                "carriers": [],
                                "factors": [],
                                "rolling": [],
                                "verdict": {},
                                "warnings": [],
                                "savings_value": (tce * Decimal("6509.36")).quantize(
                                    Decimal("0.01")
                                ),
                                "tce_avoided": tce,
                                "tco2_avoided": tce * Decimal("2.4"),
                                "inputs_sha256": "0" * 64,
                                "accepted_on": end + dt.timedelta(days=30 + version * 20),
                                "decided_at": now,
                                "created_at": now,
                                "updated_at": now,
                            }
                        )
                        report_id += 1
                baseline_id += 1
            project_id += 1
        _insert(session, EmcProject, p_rows)
        _insert(session, Contract, c_rows)
        _insert(session, Baseline, b_rows)
        _insert(session, MvReport, r_rows)
        _fix_sequences(session, (Organization, EmcProject, Contract, Baseline, MvReport))
        # Bulk inserts of bare tables bypass the session events that keep the dashboard's
        # summary table in step: rebuild it, as after any bulk load.
        summary.rebuild(session)
        counts.update(
            projects=len(p_rows), contracts=len(c_rows), baselines=len(b_rows), reports=len(r_rows)
        )
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        from sqlalchemy import text

        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return counts


def _rebuild_summary(url: str) -> dict[str, int]:
    from emc.db import make_engine, make_session_factory, unit_of_work
    from emc.programme import summary

    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        counts = summary.rebuild(session)
    engine.dispose()
    return counts


# --- measuring -------------------------------------------------------------------------------


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95, ordered[-1]


def _actor(session, email: str):
    from sqlalchemy import select

    from emc.auth.actor import Actor
    from emc.auth.models import Organization, User

    user = session.scalar(select(User).where(User.email == email))
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


class _Client:
    """The Flask test client, logged in through the login form (as the tests do)."""

    def __init__(self, app, email: str):
        import re

        self.http = app.test_client()
        page = self.http.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.http.post(
            "/login",
            data={"email": email, "password": "emc-demo-2026", "csrf_token": token},
        )
        if response.status_code != 302:
            raise RuntimeError(f"login as {email} failed: {response.status_code}")

    def get(self, url: str):
        response = self.http.get(url, buffered=True)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        return response


def measure(url: str, runs: int, work: Path) -> dict[tuple[str, str], list[float]]:
    from emc.app import create_app
    from emc.config import Settings
    from emc.db import make_engine, make_session_factory
    from emc.programme import service
    from emc.web.extensions import limiter

    engine = make_engine(url)
    factory = make_session_factory(engine)
    settings = Settings(
        database_url=url,
        secret_key="bench-secret-key-0123456789",
        instance_path=work / "instance",
        login_rate_limit="1000 per minute",
    )
    app = create_app(settings, session_factory=factory)
    limiter.reset()
    out: dict[tuple[str, str], list[float]] = {}
    for label, email in OFFICERS:
        with factory() as session:
            actor = _actor(session, email)
            session.expunge_all()
        samples = []
        for i in range(runs + 1):
            with factory() as session:
                t0 = time.perf_counter()
                service.dashboard(session, actor)
                if i:
                    samples.append((time.perf_counter() - t0) * 1000)
        out[(label, "data")] = samples
        client = _Client(app, email)
        samples = []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            client.get("/programme")
            if i:
                samples.append((time.perf_counter() - t0) * 1000)
        out[(label, "page")] = samples
    engine.dispose()
    return out


def explain(url: str, work: Path, top: int = 6) -> None:
    """The slowest statements of one dashboard page per officer, with EXPLAIN ANALYZE."""
    from sqlalchemy import event

    from emc.app import create_app
    from emc.config import Settings
    from emc.db import make_engine, make_session_factory

    engine = make_engine(url)
    factory = make_session_factory(engine)
    app = create_app(
        Settings(
            database_url=url,
            secret_key="bench-secret-key-0123456789",
            instance_path=work / "instance",
            login_rate_limit="1000 per minute",
        ),
        session_factory=factory,
    )
    timings: list[tuple[float, str, object]] = []
    started: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        ms = (time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000
        timings.append((ms, statement, parameters))

    for label, email in OFFICERS:
        client = _Client(app, email)
        client.get("/programme")
        timings.clear()
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        client.get("/programme")
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        total = sum(t for t, _s, _p in timings)
        print(f"\n== {label}: {len(timings)} statements, {total:.1f} ms in the database")
        for ms, statement, parameters in sorted(timings, key=lambda r: -r[0])[:top]:
            print(f"\n-- {ms:.1f} ms\n{statement}\n-- parameters: {parameters}")
            if engine.dialect.name == "postgresql":
                with engine.connect() as conn:
                    plan = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).all()
                print("\n".join(row[0] for row in plan))
    engine.dispose()


# --- databases -------------------------------------------------------------------------------


def _pg_scratch(admin_url: str, database: str = PG_DATABASE, *, reuse: bool = False):
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from emc.config import normalise_database_url
    from emc.db import make_engine

    admin_url = normalise_database_url(admin_url)
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    if not reuse:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(admin_url).set(database=database).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="2,000 projects, 10 runs")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest SQL")
    parser.add_argument("--pg-database", default=PG_DATABASE, help="scratch database name")
    parser.add_argument("--keep", action="store_true", help="keep both databases (see --work)")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the databases kept by --keep, no build"
    )
    parser.add_argument("--work", type=Path, help="folder of the SQLite file (default: temporary)")
    args = parser.parse_args()
    if args.quick:
        args.projects, args.runs = 2_000, 10
    if args.reuse and args.work is None:
        parser.error("--reuse needs --work (the folder given to --keep)")
    work = args.work or Path(tempfile.mkdtemp(prefix="emc-bench-programme-"))
    work.mkdir(parents=True, exist_ok=True)
    keep = args.keep or args.reuse
    databases = []
    if not args.no_sqlite:
        databases.append(("sqlite", lambda: (f"sqlite:///{work / 'bench.sqlite3'}", lambda: None)))
    if not args.no_pg:
        databases.append(
            ("postgresql", lambda: _pg_scratch(args.pg, args.pg_database, reuse=args.reuse))
        )
    results: dict[str, dict] = defaultdict(dict)
    for name, make in databases:
        url, cleanup = make()
        try:
            if args.reuse:
                from emc import migrate

                migrate.upgrade(url)
                print(f"{name}: reusing {url}: summary {_rebuild_summary(url)}")
            else:
                if name == "sqlite":
                    (work / "bench.sqlite3").unlink(missing_ok=True)
                t0 = time.perf_counter()
                counts = build(url, args.projects)
                print(
                    f"{name}: built in {time.perf_counter() - t0:.1f} s: "
                    + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
                    flush=True,
                )
            results[name] = measure(url, args.runs, work)
            if args.explain:
                explain(url, work)
        finally:
            if not keep:
                cleanup()
            else:
                print(f"kept {url}")
    print(f"\n{args.projects:,} projects, {args.runs} runs each after one warm-up (ms)")
    print(f"{'database':<11} {'dashboard':<16} {'call':<5} {'p50':>8} {'p95':>8} {'max':>8}")
    met = []
    for name, rows in results.items():
        for (label, kind), samples in rows.items():
            p50, p95, top = _percentiles(samples)
            print(f"{name:<11} {label:<16} {kind:<5} {p50:>8.1f} {p95:>8.1f} {top:>8.1f}")
            if name == "postgresql":
                met.append(p95 < TARGET_P95_MS)
    if met:
        verdict = "met" if all(met) else "NOT met"
        print(f"\ntarget p95 < {TARGET_P95_MS:.0f} ms on PostgreSQL: {verdict}")


if __name__ == "__main__":
    main()

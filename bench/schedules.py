"""Schedule benchmark: generate and store full-term monthly schedules for many projects.

Builds a fresh database (migrations + the test demo), inserts N contracted projects with
10-year monthly shared-savings contracts (prices, shares, start months and estimates vary per
project), then times the real use case: ``service.regenerate_schedules`` as the school's energy
manager, in one transaction (scoped loading, the finance core, the bulk insert of the lines,
one journal entry per project, commit). The pure finance core is then timed alone on the same
inputs, and the stored count and sum are checked against it.

    python bench/schedules.py                       # 3,000 projects, SQLite and PostgreSQL
    python bench/schedules.py --projects 500 --no-postgres
    python bench/schedules.py --database-url postgresql://postgres@127.0.0.1:5432/emc_bench
    EMC_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/emc_bench python bench/schedules.py

The PostgreSQL database is created if missing and its public schema is emptied first: never
point it at a database you care about. Target (issue 18): < 2 s per database for 3,000
projects. It also times a floor in the same run: the driver alone storing the same rows
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) into a table with the same indexes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from emc import clock, demo, migrate  # noqa: E402
from emc.auth.actor import Actor  # noqa: E402
from emc.auth.models import Organization, User  # noqa: E402
from emc.contracts import finance, service  # noqa: E402
from emc.contracts.models import (  # noqa: E402
    Contract,
    EmcProject,
    ProjectStatus,
    estimates_to_document,
    terms_to_document,
)
from emc.db import make_engine, make_session_factory, unit_of_work  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/emc_bench"
NAME = "基准项目"


def terms_for(i: int) -> tuple[finance.ContractTerms, tuple[finance.SavingsEstimate, ...]]:
    """Deterministic, different terms for project ``i``."""
    terms = finance.ContractTerms(
        contract_type=finance.ContractType.SHARED_SAVINGS,
        term_years=10,
        start_date=date(2025, 1 + i % 12, 1),
        payment_frequency=finance.PaymentFrequency.MONTHLY,
        payment_due_days=30,
        discount_rate=Decimal("0.06"),
        components=(
            finance.SharedSavingsTerms(
                shares=(
                    finance.ShareBand(1, 5, Decimal("0.85") - Decimal(i % 10) / 100),
                    finance.ShareBand(6, 10, Decimal("0.60")),
                )
            ),
        ),
        prices=(
            finance.CarrierPrice(
                "electricity", "kWh", Decimal("0.7") + Decimal(i % 50) / 1000, Decimal("0.02")
            ),
        ),
    )
    estimates = (finance.SavingsEstimate("electricity", "kWh", Decimal(300000 + 137 * i)),)
    return terms, estimates


def prepare(url: str, n: int) -> tuple[object, list[int]]:
    """Migrate, build the demo and add ``n`` contracted projects with their contracts (setup,
    not timed: bulk inserts of projects and terms documents)."""
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        demo.build(session)
        school = session.scalar(
            select(Organization.id).where(Organization.name_zh == "杭州市第一中学")
        )
        esco = session.scalar(
            select(Organization.id).where(Organization.name_zh == "绿能节能服务有限公司")
        )
        now = clock.now()
        session.execute(
            insert(EmcProject),
            [
                {
                    "organization_id": school,
                    "esco_organization_id": esco,
                    "name": f"{NAME} {i}",
                    "status": ProjectStatus.CONTRACTED,
                    "signed_on": date(2024, 12, 1),
                    "investor": "esco",
                    "ecms": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ],
        )
        ids = list(
            session.scalars(
                select(EmcProject.id)
                .where(EmcProject.name.startswith(f"{NAME} "))
                .order_by(EmcProject.id)
            )
        )
        session.execute(
            insert(Contract),
            [
                {
                    "project_id": pid,
                    "contract_type": finance.ContractType.SHARED_SAVINGS,
                    "terms": terms_to_document(terms_for(i)[0]),
                    "savings_estimates": estimates_to_document(terms_for(i)[1]),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, pid in enumerate(ids)
            ],
        )
    return engine, ids


def energy_manager(session) -> Actor:
    user = session.scalar(select(User).where(User.email == "energy@school.demo"))
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


FLOOR_COLUMNS = (
    "project_id, key, source, kind, component, contract_year, period_start, period_end, "
    "due_on, payer, payee, amount, basis, status, version, created_at, updated_at"
)


def insert_floor(engine) -> tuple[float, float]:
    """(wall, CPU) seconds for the driver alone to store the same lines: the stored rows read
    back in the driver's form, then written into an empty table of the same columns and
    indexes (on PostgreSQL without the foreign key to the projects) in one transaction: one ``executemany`` of the tuples on SQLite,
    one ``COPY FROM STDIN`` of the table's own ``COPY`` text on PostgreSQL."""
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("CREATE TABLE floor_lines (LIKE payment_lines INCLUDING ALL)")
            out = f"COPY payment_lines ({FLOOR_COLUMNS}) TO STDOUT"
            with raw.cursor() as cursor, cursor.copy(out) as copy:
                data = b"".join(bytes(block) for block in copy)
            t0, c0 = time.perf_counter(), time.process_time()
            into = f"COPY floor_lines ({FLOOR_COLUMNS}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(into) as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i : i + (1 << 20)])
        else:
            ddl = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'payment_lines' AND sql IS NOT NULL"
            ).scalars()
            for statement in ddl:
                statement = statement.replace("payment_lines", "floor_lines")
                # Table, constraint and index names become the floor's own.
                conn.exec_driver_sql(statement)
            rows = conn.exec_driver_sql(f"SELECT {FLOOR_COLUMNS} FROM payment_lines").fetchall()
            marks = ", ".join("?" * len(FLOOR_COLUMNS.split(",")))
            t0, c0 = time.perf_counter(), time.process_time()
            raw.executemany(f"INSERT INTO floor_lines ({FLOOR_COLUMNS}) VALUES ({marks})", rows)
    return time.perf_counter() - t0, time.process_time() - c0


def run(url: str, n: int) -> float:
    engine, ids = prepare(url, n)
    factory = make_session_factory(engine)
    t0, c0 = time.perf_counter(), time.process_time()
    with unit_of_work(factory) as session:
        reports = service.regenerate_schedules(session, energy_manager(session), ids)
    t1, c1 = time.perf_counter(), time.process_time()
    created = sum(r.created for r in reports.values())
    # The pure core alone on the same inputs: the share of the total spent computing.
    t2 = time.perf_counter()
    expected_lines = expected_sum = 0
    for i in range(len(ids)):
        terms, estimates = terms_for(i)
        lines = finance.projected_schedule(terms, estimates) + finance.contractual_lines(terms)
        expected_lines += len(lines)
        expected_sum += finance.total_amount(lines)
    t3 = time.perf_counter()
    with engine.connect() as conn:
        stored = conn.scalar(
            text(
                "SELECT count(*) FROM payment_lines JOIN emc_projects p ON p.id = project_id "
                "WHERE p.name LIKE :name"
            ),
            {"name": f"{NAME} %"},
        )
        total = conn.scalar(
            text(
                "SELECT sum(amount) FROM payment_lines JOIN emc_projects p ON p.id = project_id "
                "WHERE p.name LIKE :name"
            ),
            {"name": f"{NAME} %"},
        )
    floor_wall, floor_cpu = insert_floor(engine)
    engine.dispose()
    # SQLite sums NUMERIC as a float: compare to the fen.
    total = Decimal(str(total)).quantize(finance.FEN)
    ok = stored == expected_lines == created and total == expected_sum
    print(
        f"{engine.dialect.name:10s} {n} projects, {stored} lines: regenerate_schedules + commit "
        f"{t1 - t0:6.2f} s wall, {c1 - c0:6.2f} s CPU of this process (finance core alone "
        f"{t3 - t2:5.2f} s); "
        f"sum {total} (expected {expected_sum}) {'OK' if ok else 'MISMATCH'}"
    )
    print(
        f"{'':10s} floor: the driver alone storing the same rows {floor_wall:6.2f} s wall, "
        f"{floor_cpu:6.2f} s CPU of this process; emc takes {(t1 - t0) / floor_wall:4.1f}x "
        f"the floor's wall time"
    )
    if not ok:
        raise SystemExit("stored schedules do not match the finance core")
    return t1 - t0


def reset_postgres(url: str) -> None:
    target = make_url(url)
    admin_url = target.set(database="postgres").render_as_string(hide_password=False)
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=3000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL (emptied first!); default $EMC_BENCH_DATABASE_URL or " + DEFAULT_PG,
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args.projects)
    if not args.no_postgres:
        url = args.database_url or os.environ.get("EMC_BENCH_DATABASE_URL", DEFAULT_PG)
        reset_postgres(url)
        run(url, args.projects)


if __name__ == "__main__":
    main()

"""Schedule benchmark: generate and store full-term monthly schedules for many projects.

Builds a fresh database (migrations + demo organisations), inserts N signed projects with
10-year monthly shared-savings contracts (prices, shares and estimates vary per project, so
nothing can be cached), then times the two halves of schedule generation: the pure finance core
(``projected_schedule``, run in a process pool: it is CPU-bound and pure) and the bulk insert of
the lines (SQLite: one ``executemany`` transaction; PostgreSQL: ``COPY`` through psycopg 3).

    python bench/schedules.py                       # 3,000 projects, SQLite and PostgreSQL
    python bench/schedules.py --projects 500 --no-postgres
    EMC_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/emc_bench python bench/schedules.py

The PostgreSQL database is created if missing and its public schema is emptied first: never
point it at a database you care about. Target: < 10 s per database for 3,000 projects.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from emc import clock, demo, migrate  # noqa: E402
from emc.auth.models import Organization  # noqa: E402
from emc.contracts import finance  # noqa: E402
from emc.contracts.models import (  # noqa: E402
    Contract,
    EmcProject,
    LineStatus,
    PaymentLine,
    ProjectStatus,
    terms_to_document,
)
from emc.db import make_engine, make_session_factory, unit_of_work  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/emc_bench"
COLUMNS = [
    "project_id",
    "key",
    "source",
    "kind",
    "component",
    "contract_year",
    "period_start",
    "period_end",
    "due_on",
    "payer",
    "payee",
    "amount",
    "basis",
    "status",
    "version",
    "created_at",
    "updated_at",
]


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


def generate(chunk: list[tuple[int, int]]) -> list[tuple]:
    """Rows of the projected schedules of ``(index, project_id)`` pairs (runs in a worker)."""
    now = clock.now()
    rows = []
    for i, project_id in chunk:
        terms, estimates = terms_for(i)
        for line in finance.projected_schedule(terms, estimates):
            rows.append(
                (
                    project_id,
                    line.key,
                    line.source.value,
                    line.kind.value,
                    line.component,
                    line.contract_year,
                    line.period_start,
                    line.period_end,
                    line.due_date,
                    line.payer.value,
                    line.payee.value,
                    line.amount,
                    line.basis,
                    LineStatus.SCHEDULED.value,
                    1,
                    now,
                    now,
                )
            )
    return rows


def prepare(url: str, n: int) -> tuple[object, list[int]]:
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
                    "name": f"基准项目 {i}",
                    "status": ProjectStatus.CONTRACTED,
                    "investor": "esco",
                    "ecms": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ],
        )
        ids = list(session.scalars(select(EmcProject.id).order_by(EmcProject.id)))
        session.execute(
            insert(Contract),
            [
                {
                    "project_id": pid,
                    "contract_type": finance.ContractType.SHARED_SAVINGS,
                    "terms": terms_to_document(terms_for(i)[0]),
                    "savings_estimates": [],
                    "version": 1,
                }
                for i, pid in enumerate(ids)
            ],
        )
    return engine, ids


def store(engine, rows: list[tuple]) -> None:
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                sql = f"COPY payment_lines ({', '.join(COLUMNS)}) FROM STDIN"
                with cur.copy(sql) as copy:
                    basis = COLUMNS.index("basis")
                    for row in rows:
                        row = list(row)
                        row[basis] = json.dumps(row[basis], ensure_ascii=False)
                        copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        return
    table = PaymentLine.__table__
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [dict(zip(COLUMNS, row, strict=True)) for row in rows],
        )


def run(url: str, n: int, workers: int) -> None:
    engine, ids = prepare(url, n)
    pairs = list(enumerate(ids))
    size = max(1, len(pairs) // (workers * 4))
    chunks = [pairs[i : i + size] for i in range(0, len(pairs), size)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = [row for part in pool.map(generate, chunks) for row in part]
    t1 = time.perf_counter()
    store(engine, rows)
    t2 = time.perf_counter()
    with engine.connect() as conn:
        stored = conn.scalar(text("SELECT count(*) FROM payment_lines"))
        total = conn.scalar(text("SELECT sum(amount) FROM payment_lines"))
    engine.dispose()
    expected = sum((row[11] for row in rows), Decimal(0))
    print(
        f"{engine.dialect.name:10s} {n} projects, {stored} lines: generate {t1 - t0:6.2f} s "
        f"({workers} processes), store {t2 - t1:6.2f} s, total {t2 - t0:6.2f} s; "
        f"sum {Decimal(str(total)):.2f} (expected {expected:.2f})"
    )


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
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args.projects, args.workers)
    if not args.no_postgres:
        url = os.environ.get("EMC_BENCH_DATABASE_URL", DEFAULT_PG)
        reset_postgres(url)
        run(url, args.projects, args.workers)


if __name__ == "__main__":
    main()

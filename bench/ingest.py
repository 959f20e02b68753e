"""Meter-reading import: end-to-end rows/s and peak memory against the raw bulk-load floor.

    python bench/ingest.py [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--skip-large]

Generates two CSV files — 35,040 rows (a year of 15-minute data) and 3,504,000 rows (a 5-minute
meter over 33 years) — and, for SQLite and PostgreSQL, measures in a fresh process each:

* end to end: ``emc.facilities.service.import_readings`` (hash, parse, validate, convert, overlap
  check, bulk write, upload record, journal) inside one transaction, committed;
* the floor: the same rows, already in memory as Python lists, written by the same bulk path
  alone — PostgreSQL ``COPY … (FORMAT BINARY)`` through psycopg 3, SQLite ``executemany``.

It prints rows/s, the end-to-end/floor ratio (target ≥ 0.5) and the peak RSS of the end-to-end
process (target < 300 MB). PostgreSQL runs in a scratch database created and dropped here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SIZES = {"35k": (35_040, 15), "3.5M": (3_504_000, 5)}
START = dt.datetime(1995, 1, 1)


def make_file(path: Path, rows: int, minutes: int) -> None:
    step = dt.timedelta(minutes=minutes)
    t = START
    with path.open("w", encoding="utf-8") as f:
        f.write("时间,用量(kWh)\n")
        chunk = []
        for i in range(rows):
            chunk.append(f"{t:%Y-%m-%d %H:%M},{(i % 97) * 0.25 + 1:.2f}\n")
            t += step
            if len(chunk) == 50_000:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))


def _setup(url: str, minutes: int):
    from sqlalchemy import select

    from emc import demo, migrate
    from emc.auth.actor import Actor
    from emc.auth.models import Organization, User
    from emc.db import make_engine, make_session_factory, unit_of_work
    from emc.facilities import service

    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        if not demo.already_built(session):
            demo.build(session)
        user = session.scalar(select(User).where(User.email == "energy@school.demo"))
        user.organization = session.get(Organization, user.organization_id)
        actor = Actor.of(user)
        site = service.create_site(
            session, actor, name=f"bench-{uuid.uuid4().hex[:8]}", region_code="330100"
        )
        meter = service.create_meter(
            session,
            actor,
            site_id=site.id,
            name="bench",
            carrier="electricity",
            unit="kWh",
            kind="interval",
            interval_minutes=minutes,
        )
        meter_id = meter.id
    return factory, actor, meter_id


def run_case(url: str, path: Path, minutes: int, mode: str) -> dict:
    """One measurement in this (fresh) process."""
    from emc.db import unit_of_work
    from emc.facilities import service, store
    from emc.facilities.ingest import read_readings

    factory, actor, meter_id = _setup(url, minutes)
    if mode == "end_to_end":
        start = time.perf_counter()
        with unit_of_work(factory) as session, path.open("rb") as stream:
            result = service.import_readings(
                session, actor, meter_id, stream, filename=path.name, max_rows=None
            )
        seconds = time.perf_counter() - start
        rows = result.rows
    else:
        with unit_of_work(factory) as session:
            from emc.facilities.models import Meter, Site

            meter = session.get(Meter, meter_id)
            spec = service.meter_spec(meter, session.get(Site, meter.site_id))
        with path.open("rb") as stream:
            batches = list(read_readings(stream, filename=path.name, spec=spec))
        rows = sum(len(b) for b in batches)
        start = time.perf_counter()
        with unit_of_work(factory) as session:
            for b in batches:
                store.write_readings(session, meter_id, b.start, b.end, b.value, b.quality)
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_mb}


def _subprocess(url: str, path: Path, minutes: int, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--case", url, str(path), str(minutes), mode],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="emc-bench-"))
    sizes = {k: v for k, v in SIZES.items() if not (args.skip_large and k == "3.5M")}
    files = {}
    for label, (rows, minutes) in sizes.items():
        path = work / f"readings-{label}.csv"
        t0 = time.perf_counter()
        make_file(path, rows, minutes)
        files[label] = (path, minutes)
        size_mb = path.stat().st_size / 1e6
        print(
            f"generated {path.name}: {rows:,} rows, {size_mb:.1f} MB in {time.perf_counter() - t0:.1f} s"
        )
    databases = [("sqlite", lambda: (f"sqlite:///{work / 'bench.sqlite3'}", lambda: None))]
    if not args.no_pg:
        databases.append(("postgresql", lambda: _pg_scratch(args.pg)))
    print(
        f"\n{'database':<11} {'file':<5} {'end-to-end rows/s':>18} {'floor rows/s':>13}"
        f" {'ratio':>6} {'peak MB':>8}"
    )
    for name, make in databases:
        url, cleanup = make()
        try:
            for label, (path, minutes) in files.items():
                e2e = _subprocess(url, path, minutes, "end_to_end")
                floor = _subprocess(url, path, minutes, "floor")
                e2e_rate = e2e["rows"] / e2e["seconds"]
                floor_rate = floor["rows"] / floor["seconds"]
                print(
                    f"{name:<11} {label:<5} {e2e_rate:>18,.0f} {floor_rate:>13,.0f}"
                    f" {e2e_rate / floor_rate:>6.2f} {e2e['peak_mb']:>8.0f}"
                )
        finally:
            cleanup()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        url, path, minutes, mode = sys.argv[2:6]
        print(json.dumps(run_case(url, Path(path), int(minutes), mode)))
    else:
        main()

"""Meter-reading import: end-to-end rows/s and peak memory against the raw bulk-load floor.

    python bench/ingest.py [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--skip-large]

Generates two CSV files — 35,040 rows (a year of 15-minute data) and 3,504,000 rows (a 5-minute
meter over 33 years) — and, for SQLite and PostgreSQL, measures in a fresh process each:

* end to end: ``emc.facilities.service.import_readings`` (hash, parse, validate, convert, overlap
  check, bulk write, upload record, journal) inside one transaction, committed;
* over HTTP: the same file posted to ``POST /api/v1/meters/<id>/readings`` (multipart, bearer
  token) through the whole Flask app (in-process WSGI client, so no socket time);
* the floor: the same rows, already in memory as Python lists, written in one transaction into
  a plain table keyed by (meter_id, start_ts) with no foreign key — PostgreSQL ``COPY …
  (FORMAT BINARY)`` through psycopg 3 (``write_row``), SQLite ``executemany``.

It prints rows/s, the end-to-end/floor and HTTP/floor ratios (target ≥ 0.75) and the peak RSS
of each process (target < 300 MB). PostgreSQL runs in a scratch database created and dropped
here. On a shared machine, wall times move with the load; the CPU seconds of the client
process are printed too.
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

MODES = ("floor", "end_to_end", "http")
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


_FLOOR_TABLE = (
    "CREATE TABLE floor_readings (meter_id integer NOT NULL, start_ts bigint NOT NULL,"
    " end_ts bigint, value double precision NOT NULL, quality varchar(10) NOT NULL,"
    " PRIMARY KEY (meter_id, start_ts))"
)


def _floor(session, meter_id: int, batches) -> None:
    """The rows of ``batches`` into ``floor_readings`` by the plainest bulk load of the driver."""
    from itertools import repeat

    raw = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        copy_sql = "COPY floor_readings FROM STDIN (FORMAT BINARY)"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            copy.set_types(["int4", "int8", "int8", "float8", "varchar"])
            for b in batches:
                for row in zip(repeat(meter_id), b.start, repeat(None), b.value, b.quality):
                    copy.write_row(row)
    else:
        cursor = raw.cursor()
        for b in batches:
            cursor.executemany(
                "INSERT INTO floor_readings VALUES (?, ?, ?, ?, ?)",
                zip(repeat(meter_id), b.start, repeat(None), b.value, b.quality),
            )
        cursor.close()


def _http(url: str, factory, meter_id: int, path: Path) -> tuple[int, float]:
    """Rows imported by one HTTP upload of ``path``, and the seconds of the request alone."""
    from sqlalchemy import select

    from emc import demo
    from emc.app import create_app
    from emc.auth import service as auth
    from emc.auth.models import User
    from emc.config import Settings
    from emc.db import unit_of_work

    with unit_of_work(factory) as session:
        user = session.scalar(select(User).where(User.email == "energy@school.demo"))
        _token, secret = auth.create_token(session, demo.actor_for(session, user.email), name="b")
    settings = Settings(
        database_url=url, secret_key="x" * 32, instance_path=path.parent, max_upload_mb=1000
    )
    app = create_app(settings)
    with app.test_client() as client, path.open("rb") as stream:
        start = time.perf_counter()
        response = client.post(
            f"/api/v1/meters/{meter_id}/readings",
            data={"file": (stream, path.name)},
            headers={"Authorization": f"Bearer {secret}"},
        )
    if response.status_code != 201:
        raise SystemExit(f"HTTP upload: {response.status_code} {response.get_data(as_text=True)}")
    return response.get_json()["rows"], time.perf_counter() - start


def run_case(url: str, path: Path, minutes: int, mode: str) -> dict:
    """One measurement in this (fresh) process."""
    from sqlalchemy import text

    from emc.db import unit_of_work
    from emc.facilities import service
    from emc.facilities.ingest import read_readings

    factory, actor, meter_id = _setup(url, minutes)
    cpu = time.process_time()
    if mode == "setup":
        return {}
    if mode == "http":
        rows, seconds = _http(url, factory, meter_id, path)
    elif mode == "end_to_end":
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
        with unit_of_work(factory) as session:
            session.execute(text("DROP TABLE IF EXISTS floor_readings"))
            session.execute(text(_FLOOR_TABLE))
        cpu = time.process_time()
        start = time.perf_counter()
        with unit_of_work(factory) as session:
            _floor(session, meter_id, batches)
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time() - cpu
    return {"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb}


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
    parser.add_argument("--no-sqlite", action="store_true")
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
    databases = []
    if not args.no_sqlite:
        databases.append(("sqlite", lambda: (f"sqlite:///{work / 'bench.sqlite3'}", lambda: None)))
    if not args.no_pg:
        databases.append(("postgresql", lambda: _pg_scratch(args.pg)))
    print(
        f"\n{'database':<11} {'file':<5} {'path':<10} {'rows/s':>10} {'ratio':>6}"
        f" {'wall s':>7} {'client CPU s':>12} {'peak MB':>8}"
    )
    for name, make in databases:
        url, cleanup = make()
        try:
            for label, (path, minutes) in files.items():
                _subprocess(url, path, minutes, "setup")  # the demo, outside the measured peaks
                runs = {m: _subprocess(url, path, minutes, m) for m in MODES}
                floor_rate = runs["floor"]["rows"] / runs["floor"]["seconds"]
                for mode, run in runs.items():
                    rate = run["rows"] / run["seconds"]
                    print(
                        f"{name:<11} {label:<5} {mode:<10} {rate:>10,.0f}"
                        f" {rate / floor_rate:>6.2f} {run['seconds']:>7.1f} {run['cpu']:>12.1f}"
                        f" {run['peak_mb']:>8.0f}"
                    )
        finally:
            cleanup()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        url, path, minutes, mode = sys.argv[2:6]
        print(json.dumps(run_case(url, Path(path), int(minutes), mode)))
    else:
        main()

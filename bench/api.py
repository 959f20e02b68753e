"""API request path against a one-query Flask floor, side by side on the same server and database.

    python bench/api.py                                   # SQLite and PostgreSQL, as emc serve
    python bench/api.py --database sqlite                 # one database only
    python bench/api.py --server waitress --threads 16    # waitress (where there is no fork)
    python bench/api.py --connections 16 --rounds 9 --requests 100

One server process (a child, so the clients do not share its interpreter) mounts two WSGI apps:
emc itself, and under ``/floor`` a bare Flask app that runs one SQLAlchemy query (the first page
of projects) on the same engine URL and returns it as JSON. ``--connections`` keep-alive
connections, each with an API token of a demo user and all driven by one asyncio loop in this
process (a light client: threads of ``requests`` were themselves the bottleneck on two cores and
flattered every ratio), send each endpoint in turn.
The run is cut into ``--rounds`` rounds; each round measures the floor and then every endpoint,
each bounded by ``--requests`` per connection and ``--seconds``. This virtual machine's speed
drifts by a factor of two within a minute, so a ratio is taken only between measurements of
the same round, a few seconds apart, and the median of the rounds' ratios is reported with
their range. Loopback only.

It prints, per endpoint: requests/s (the median round), p50 and p99 latency over all rounds,
the ratio to the floor's requests/s (the median of the rounds, and their lowest and highest),
and the server's CPU per request (all its processes, from /proc) with its ratio to the floor's.
When the server is CPU-bound, as here, the CPU ratio is the throughput ratio the server can
reach, without the machine's drift. Targets (issue 18): >= 0.5x the floor, p99 < 50 ms on
PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENDPOINTS = (
    ("projects", "/api/v1/projects", "energy@school.demo"),
    ("meters", "/api/v1/meters", "energy@school.demo"),
    ("programme/projects", "/api/v1/programme/projects", "officer@zhejiang.demo"),
)
FLOOR = ("floor (1 query)", "/floor/", "energy@school.demo")
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/emc_perf_bench"


def prepare(url: str) -> dict[str, str]:
    """A fresh, migrated database with the demo data; an API token secret per user needed."""
    from sqlalchemy import text

    from emc import demo, migrate
    from emc.auth import service
    from emc.db import make_engine, make_session_factory, unit_of_work

    if url.startswith("postgresql"):
        admin = make_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
    engine = make_engine(url)
    secrets = {}
    with unit_of_work(make_session_factory(engine)) as session:
        demo.build(session)
        for email in {e for _n, _p, e in (*ENDPOINTS, FLOOR)}:
            _token, secrets[email] = service.create_token(
                session, demo.actor_for(session, email), name="api bench"
            )
    engine.dispose()
    return secrets


def floor_app(url: str):
    """A Flask app doing the least a JSON list endpoint can: one query, rows to JSON."""
    from flask import Flask, jsonify
    from sqlalchemy import create_engine, text

    engine = create_engine(url, pool_size=20, max_overflow=20)
    app = Flask("floor")

    @app.get("/")
    def page():
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, name FROM emc_projects ORDER BY id LIMIT 50")
            ).all()
        return jsonify(items=[{"id": r.id, "name": r.name} for r in rows])

    return app


def combined_app(url: str):
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from emc.app import create_app

    return DispatcherMiddleware(create_app(), {"/floor": floor_app(url)})


def serve_child(args) -> None:
    """The server process: the combined app under waitress or gunicorn."""
    from emc.server import long_lived

    with long_lived():  # as `emc serve` builds what it serves
        app = combined_app(os.environ["EMC_DATABASE_URL"])
    if args.server == "waitress":
        from waitress import serve

        serve(app, host="127.0.0.1", port=args.port, threads=args.threads, _quiet=True)
    else:
        from emc.server import run_gunicorn

        run_gunicorn(app, "127.0.0.1", args.port, workers=args.workers, threads=args.threads)


def start_server(url: str, args, port: int, folder: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EMC_DATABASE_URL": url,
        "EMC_INSTANCE_PATH": str(folder),
        "EMC_SECRET_KEY": "api-bench-secret-key-0123456789",
        "EMC_ACCESS_LOG": "0",
        # What `emc serve` gives each process: a connection per thread and one for the scheduler.
        "EMC_DB_POOL_SIZE": str(args.threads + 1),
    }
    command = [sys.executable, __file__, "--serve", "--port", str(port)]
    command += ["--server", args.server, "--workers", str(args.workers)]
    command += ["--threads", str(args.threads)]
    log = open(folder / "server.log", "w")  # noqa: SIM115 — closed with the process
    process = subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: see {folder / 'server.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start within 60 s")


def run_endpoint(base: str, path: str, secret: str, args) -> tuple[float, list[float], int]:
    """Throughput (requests/s), latencies and the number of failed answers.

    The clients are ``--connections`` keep-alive HTTP/1.1 connections driven by one asyncio
    loop: a client costs a few tens of microseconds a request, so it takes little of the two
    cores it shares with the server, and no answer waits for a Python thread to get the
    interpreter lock before its latency is taken (16 threads of ``requests`` did both)."""
    import asyncio
    from urllib.parse import urlsplit

    where = urlsplit(base)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {where.netloc}\r\nAuthorization: Bearer {secret}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()

    async def connect():
        return await asyncio.open_connection(where.hostname, where.port)

    async def fetch(conn: list) -> int:
        """One request on ``conn`` ([reader, writer]); reopened when the server closes it
        (gunicorn's sync worker, ``--threads 1``, answers one request per connection)."""
        reader, writer = conn
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length, close = 0, False
        for line in head.split(b"\r\n"):
            lower = line.lower()
            if lower.startswith(b"content-length:"):
                length = int(line[15:])
            elif lower.startswith(b"connection:") and b"close" in lower:
                close = True
        await reader.readexactly(length)
        if close:
            writer.close()
            conn[:] = await connect()
        return status

    async def main() -> tuple[float, list[float], int]:
        latencies: list[float] = []
        failures = 0
        connections = [list(await connect()) for _ in range(args.connections)]
        for conn in connections:  # warm each connection and the server's caches
            await fetch(conn)
        deadline = time.monotonic() + args.seconds

        async def client(conn: list) -> None:
            nonlocal failures
            for _ in range(args.requests):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                status = await fetch(conn)
                latencies.append(time.perf_counter() - started)
                failures += status != 200

        started = time.perf_counter()
        await asyncio.gather(*(client(conn) for conn in connections))
        elapsed = time.perf_counter() - started
        for _reader, writer in connections:
            writer.close()
        return len(latencies) / elapsed, latencies, failures

    return asyncio.run(main())


def server_cpu(pid: int) -> float | None:
    """CPU seconds (user and system) used so far by the server process and its descendants (the
    gunicorn workers); None where there is no /proc. Unlike requests/s, CPU per request hardly
    moves when this shared virtual machine slows down, so its ratio is the steadier one."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        proc = pending.pop()
        try:
            with open(f"/proc/{proc}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in os.listdir(f"/proc/{proc}/task"):
                with open(f"/proc/{proc}/task/{task}/children") as f:
                    pending += [int(child) for child in f.read().split()]
        except FileNotFoundError:
            if proc == pid:
                return None
    return total


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def bench_database(label: str, url: str, args) -> list[tuple]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if url == "sqlite":
            url = f"sqlite:///{folder / 'bench.sqlite3'}"
        secrets = prepare(url)
        port = free_port()
        server = start_server(url, args, port, folder)
        base = f"http://127.0.0.1:{port}"
        # Per endpoint (the floor first): each round's requests/s, all latencies, failures.
        every = (FLOOR, *ENDPOINTS)
        rates: dict[str, list[float]] = {name: [] for name, _p, _e in every}
        latencies: dict[str, list[float]] = {name: [] for name, _p, _e in every}
        failed = dict.fromkeys(rates, 0)
        cpu: dict[str, list[float]] = {name: [] for name, _p, _e in every}
        try:
            for _round in range(args.rounds):
                for name, path, email in every:
                    before = server_cpu(server.pid)
                    rps, lat, bad = run_endpoint(base, path, secrets[email], args)
                    after = server_cpu(server.pid)
                    rates[name].append(rps)
                    latencies[name] += lat
                    failed[name] += bad
                    if before is not None and after is not None and lat:
                        cpu[name].append((after - before) / len(lat) * 1000)
        finally:
            server.terminate()
            server.wait(10)
    rows = []
    for name, _path, _email in every:
        ratios = [rps / floor for rps, floor in zip(rates[name], rates[FLOOR[0]], strict=True)]
        per_request = statistics.median(cpu[name]) if cpu[name] else float("nan")
        cpu_ratios = [f / e for f, e in zip(cpu[FLOOR[0]], cpu[name], strict=True) if e]
        lat = latencies[name]
        rows.append(
            (
                label,
                name,
                statistics.median(rates[name]),
                p(lat, 0.5),
                p(lat, 0.99),
                statistics.median(ratios),
                min(ratios),
                max(ratios),
                per_request,
                statistics.median(cpu_ratios) if cpu_ratios else float("nan"),
                failed[name],
            )
        )
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--pg-url", default=PG_DEFAULT, help="a database this bench may empty")
    # The defaults are what `emc serve` runs on this machine: gunicorn (gthread), one worker
    # per core (at least 2), 8 threads each.
    from emc import server as servers

    parser.add_argument(
        "--server",
        choices=("waitress", "gunicorn"),
        default="gunicorn" if servers.gunicorn_available() else "waitress",
    )
    parser.add_argument(
        "--workers", type=int, default=servers.default_workers(), help="gunicorn worker processes"
    )
    parser.add_argument("--threads", type=int, default=8, help="server threads (per worker)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5, help="each measures every endpoint")
    parser.add_argument(
        "--requests", type=int, default=60, help="per connection, endpoint and round"
    )
    parser.add_argument("--seconds", type=float, default=5, help="at most, per endpoint and round")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_child(args)
        return
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"cpus {os.cpu_count()}  load average {' '.join(load)}  server {args.server}", end="")
    print(f" workers {args.workers}" if args.server == "gunicorn" else "", end="")
    print(f"  threads {args.threads}  connections {args.connections}")
    rows = []
    if args.database in ("both", "sqlite"):
        rows += bench_database("sqlite", "sqlite", args)
    if args.database in ("both", "postgresql"):
        rows += bench_database("postgresql", args.pg_url, args)
    print(
        f"rounds {args.rounds}: x floor is the median of the rounds' ratios of requests/s"
        " (lowest-highest); cpu ms is the server's CPU per request (median of the rounds), and"
        " x floor (cpu) the floor's CPU per request over the endpoint's"
    )
    print(
        f"{'db':<11}{'endpoint':<20}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'x floor':>9}"
        f"{'range':>12}{'cpu ms':>8}{'x floor (cpu)':>15}  fail"
    )
    for db, name, rps, p50, p99, ratio, low, high, cpu_ms, cpu_ratio, bad in rows:
        spread = f"{low:.2f}-{high:.2f}"
        print(
            f"{db:<11}{name:<20}{rps:>8.0f}{p50:>9.1f}{p99:>9.1f}{ratio:>9.2f}{spread:>12}"
            f"{cpu_ms:>8.2f}{cpu_ratio:>15.2f}  {bad}"
        )


if __name__ == "__main__":
    main()

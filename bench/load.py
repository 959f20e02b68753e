"""Load test: concurrent clients mixing reads and writes against a real server on loopback.

    python bench/load.py                                  # SQLite file in a temporary folder
    python bench/load.py --database postgresql://postgres@127.0.0.1:5432/emc_load
    python bench/load.py --clients 16 --requests 60 --seconds 90

It migrates a fresh database (a PostgreSQL one is emptied first), loads the demo organisations,
gives each client an API token of a demo user, starts ``emc serve`` (gunicorn, or waitress with ``--workers 1``) in a child
process, and lets every client run a mix of requests — reading lists and single records,
creating sites, renaming one shared site (every client writes the same row), uploading meter
readings — until each has sent ``--requests`` or ``--seconds`` have passed. It prints
throughput, latency percentiles and every status seen, and exits 1 if any answer was a server
error (5xx) or a connection failed. A 409 (a lost race, reported as such) is not an error.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

USERS = ("energy@school.demo", "engineer@esco.demo", "admin@school.demo")


def prepare(url: str) -> list[str]:
    """Migrate and fill the database; return one API token secret per demo user."""
    from sqlalchemy import text

    from emc import demo, migrate
    from emc.auth import service
    from emc.config import normalise_database_url
    from emc.db import make_engine, make_session_factory, unit_of_work

    url = normalise_database_url(url)
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
    engine = make_engine(url)
    secrets = []
    with unit_of_work(make_session_factory(engine)) as session:
        demo.build(session)
        for email in USERS:
            _token, secret = service.create_token(
                session, demo.actor_for(session, email), name="load test"
            )
            secrets.append(secret)
    engine.dispose()
    return secrets


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    url: str, port: int, workers: int | None, threads: int, folder: Path
) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EMC_DATABASE_URL": url,
        "EMC_INSTANCE_PATH": str(folder),
        "EMC_SECRET_KEY": "load-test-secret-key-0123456789",
    }
    log = open(folder / "server.log", "w")  # noqa: SIM115 — closed with the process
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from emc.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--threads",
            str(threads),
            *(["--workers", str(workers)] if workers else []),
        ],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
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


class Client(threading.Thread):
    """One API client: its own connection, token and random (seeded) mix of requests."""

    def __init__(self, number: int, base: str, secret: str, args, shared: dict, results: list):
        super().__init__(daemon=True)
        import requests

        self.number = number
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {secret}"
        self.args = args
        self.shared = shared
        self.results = results
        self.rng = random.Random(number)
        self.sites: list[int] = []
        self.meters: list[int] = []

    def call(self, method: str, path: str, **kw) -> object:
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=60, **kw)
            status = response.status_code
        except Exception as error:  # noqa: BLE001 — a failed connection is a result too
            response, status = None, f"connection error: {type(error).__name__}"
        self.results.append((method, path.split("?")[0], status, time.perf_counter() - started))
        return response

    def create_site(self) -> None:
        name = f"负载测试场地 {self.number}-{len(self.sites)}-{self.rng.randrange(10**6)}"
        response = self.call("POST", "/api/v1/sites", json={"name": name, "region_code": "330100"})
        if response is not None and response.status_code == 201:
            site_id = response.json()["id"]
            self.sites.append(site_id)
            meter = self.call(
                "POST",
                "/api/v1/meters",
                json={
                    "site_id": site_id,
                    "name": "总表",
                    "carrier": "electricity",
                    "unit": "kWh",
                    "kind": "interval",
                    "interval_minutes": 60,
                },
            )
            if meter is not None and meter.status_code == 201:
                self.meters.append(meter.json()["id"])

    def upload(self) -> None:
        if not self.meters:
            return self.create_site()
        meter_id = self.rng.choice(self.meters)
        day = 1 + self.rng.randrange(28)
        month = 1 + self.rng.randrange(12)
        rows = "\n".join(
            f"2025-{month:02d}-{day:02d} {h:02d}:00,{self.rng.uniform(50, 150):.2f}"
            for h in range(24)
        )
        self.call(
            "POST",
            f"/api/v1/meters/{meter_id}/readings",
            files={"file": ("load.csv", f"时间,用量\n{rows}\n".encode())},
            data={"replace": "true"},
        )

    def rename_shared(self) -> None:
        site_id = self.shared.get("site_id")
        if site_id is None:
            return
        self.call(
            "PATCH",
            f"/api/v1/sites/{site_id}",
            json={"address": f"凤起路 {self.number} 号 {self.rng.randrange(10**6)}"},
        )

    def read(self) -> None:
        path = self.rng.choice(
            [
                "/api/v1/me",
                "/api/v1/sites",
                "/api/v1/projects",
                "/api/v1/meters",
                "/api/v1/notifications",
            ]
        )
        self.call("GET", path)
        if self.sites and self.rng.random() < 0.5:
            self.call("GET", f"/api/v1/sites/{self.rng.choice(self.sites)}")

    def run(self) -> None:
        deadline = time.monotonic() + self.args.seconds
        actions = [self.read] * 6 + [self.create_site, self.upload, self.rename_shared] * 1
        for _ in range(self.args.requests):
            if time.monotonic() > deadline:
                break
            self.rng.choice(actions)()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="database URL (default: a new SQLite file)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40, help="actions per client (max)")
    parser.add_argument("--seconds", type=float, default=120, help="time limit per client")
    parser.add_argument(
        "--workers",
        type=int,
        help="emc serve --workers (default: emc serve's own, gunicorn with one per core; 1 is waitress)",
    )
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="emc-load-") as tmp:
        folder = Path(tmp)
        url = args.database or f"sqlite:///{folder / 'emc.sqlite3'}"
        secrets = prepare(url)
        port = free_port()
        server = start_server(url, port, args.workers, args.threads, folder)
        base = f"http://127.0.0.1:{port}"
        try:
            import requests

            first = requests.post(
                base + "/api/v1/sites",
                json={"name": "负载测试共享场地", "region_code": "330100"},
                headers={"Authorization": f"Bearer {secrets[0]}"},
                timeout=60,
            )
            shared = {"site_id": first.json()["id"]} if first.status_code == 201 else {}
            results: list = []
            clients = [
                # Clients of the school's energy manager share the shared site; others read.
                Client(
                    n,
                    base,
                    secrets[0] if n % 2 == 0 else secrets[n % len(secrets)],
                    args,
                    shared,
                    results,
                )
                for n in range(args.clients)
            ]
            started = time.perf_counter()
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        log = (folder / "server.log").read_text(errors="replace")
    statuses = Counter(status for _m, _p, status, _s in results)
    latencies = [seconds for _m, _p, _status, seconds in results]
    errors = sum(
        count for status, count in statuses.items() if not isinstance(status, int) or status >= 500
    )
    writes = sum(1 for method, *_ in results if method != "GET")
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    from emc import server as servers

    workers = args.workers or (servers.default_workers() if servers.gunicorn_available() else 1)
    kind = f"gunicorn {workers} workers ×" if workers > 1 else "waitress"
    print(f"database {database}, {args.clients} clients, {kind} {args.threads} threads")
    print(
        f"{len(results)} requests ({writes} writes) in {elapsed:.1f} s: "
        f"{len(results) / elapsed:.1f} requests/s"
    )
    print(
        f"latency p50 {percentile(latencies, 0.50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items(), key=str)))
    print(f"server errors: {errors}")
    access_lines = [line for line in log.splitlines() if "emc.access" in line]
    if access_lines:
        print(f"access log lines: {len(access_lines)}; e.g. {access_lines[-1]}")
    if errors:
        failing = Counter((m, p, s) for m, p, s, _ in results if not isinstance(s, int) or s >= 500)
        for (method, path, status), count in failing.most_common(10):
            print(f"  {count} × {status} {method} {path}")
        tail = [line for line in log.splitlines() if "Error" in line or "Traceback" in line]
        print("\n".join(tail[-20:]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

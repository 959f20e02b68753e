"""How long the ``emc`` command takes to start: import time of ``emc.cli`` (what ``emc --help``
and ``emc serve`` pay before doing anything), and of the full application; then whole
processes: ``emc --help``, ``emc mv fit`` on a year of daily data, and ``emc serve``'s imports
(the application module, what it loads before its first request).

    python bench/startup.py

Prints, for each import: CPU seconds spent importing (stable on a busy machine), wall seconds
as ``python -X importtime`` reports them (the cumulative figure of the top module), and the
slowest imports. For each process: wall and CPU seconds (the least of a few runs; CPU is what
counts on a shared machine) and the ``-X importtime`` total (every top-level import added up).
Targets (issue 18): under 0.5 s for ``emc --help`` and for ``emc serve`` up to its first
request, under 0.8 s for a whole ``emc mv fit``. tests/test_cli_startup.py holds the imports of
``emc.cli`` and of ``emc mv fit`` under generous bounds.
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5

CPU_PROBE = (
    "import time; t = time.process_time(); import {module}; {extra}print(time.process_time() - t)"
)


def cpu_seconds(module: str, extra: str = "") -> float:
    """The least CPU time over a few runs of importing ``module`` in a fresh interpreter."""
    best = float("inf")
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", CPU_PROBE.format(module=module, extra=extra)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        best = min(best, float(out.stdout.strip().splitlines()[-1]))
    return best


def importtime(module: str) -> tuple[float, list[tuple[float, str]]]:
    """(wall seconds of ``module``'s cumulative import, the ten slowest self times)."""
    best_total, best_rows = float("inf"), []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        rows = []
        total = 0.0
        for line in out.stderr.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) != 3 or not parts[0].strip().isdigit():
                continue
            self_us, cumulative_us, name = int(parts[0]), int(parts[1]), parts[2].strip()
            rows.append((self_us / 1e6, name))
            if name == module:
                total = cumulative_us / 1e6
        if total < best_total:
            best_total, best_rows = total, sorted(rows, reverse=True)[:10]
    return best_total, best_rows


def write_daily_year(folder: Path) -> tuple[Path, Path]:
    """A year of daily use and hourly temperatures (heating and cooling), as ``emc mv fit``
    reads them."""
    usage, temperature = folder / "usage.csv", folder / "temperature.csv"
    use_lines, temp_lines = ["date,value"], ["timestamp,temperature"]
    for day in range(365):
        mean = 12.0 - 14.0 * math.cos(2 * math.pi * day / 365.0)
        use = 300.0 + 12.0 * max(15.0 - mean, 0) + 20.0 * max(mean - 22.0, 0) + 7 * (day % 5)
        date = f"{time.strftime('%Y-%m-%d', time.gmtime(1672531200 + 86400 * day))}"
        use_lines.append(f"{date},{use:.3f}")
        temp_lines += [f"{date}T{h:02d}:00:00,{mean + (h - 11.5) * 0.2:.2f}" for h in range(24)]
    usage.write_text("\n".join(use_lines) + "\n")
    temperature.write_text("\n".join(temp_lines) + "\n")
    return usage, temperature


EMC = "import sys; from emc.cli import main; sys.argv[0] = 'emc'; main()"


def process(args: list[str]) -> tuple[float, float, float]:
    """(wall, CPU, -X importtime total) seconds of a whole ``python`` process, least of RUNS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best_wall = best_cpu = best_imports = float("inf")
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, check=True, cwd=ROOT, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        report = subprocess.run(
            [sys.executable, "-X", "importtime", *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        ).stderr
        imports = 0.0
        for line in report.splitlines():
            parts = line.removeprefix("import time:").split("|")
            # Top-level imports only (no indentation): their cumulative times add up to all.
            if len(parts) == 3 and parts[0].strip().isdigit() and not parts[2].startswith("  "):
                imports += int(parts[1]) / 1e6
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        best_imports = min(best_imports, imports)
    return best_wall, best_cpu, best_imports


def processes() -> None:
    with tempfile.TemporaryDirectory() as folder:
        usage, temperature = write_daily_year(Path(folder))
        fit = ["mv", "fit", "--usage", str(usage), "--temperature", str(temperature)]
        fit += ["--baseline", "2023-01-01", "2023-12-31"]
        for label, args, target in (
            ("emc --help", ["-c", EMC, "--help"], 0.5),
            ("emc mv fit (a year of daily data)", ["-c", EMC, *fit], 0.8),
            ("emc serve's imports (emc.app)", ["-c", "import emc.app"], 0.5),
        ):
            wall, cpu, imports = process(args)
            verdict = "meets" if cpu < target else "misses"
            print(
                f"{label}: {wall:.3f} s wall, {cpu:.3f} s CPU, {imports:.3f} s of imports by "
                f"-X importtime (best of {RUNS}); target < {target} s: {verdict} (CPU)"
            )


FRAMEWORKS = (
    "flask, flask_babel, flask_login, flask_smorest, flask_wtf, marshmallow, sqlalchemy.orm"
)


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_to_first_answer() -> tuple[float, float]:
    """(wall, CPU) seconds from starting ``emc serve`` (one waitress process, no scheduler) on a
    migrated SQLite database to its first answer of ``GET /login``; least of RUNS."""
    import socket
    import urllib.request

    best_wall = best_cpu = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "EMC_INSTANCE_PATH": folder,
            "EMC_SECRET_KEY": "startup-bench-secret-key-0123456789",
        }
        subprocess.run(
            [sys.executable, "-c", EMC, "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
            cwd=folder,
        )
        for _ in range(RUNS):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            args = ["serve", "--workers", "1", "--no-scheduler", "--port", str(port)]
            start = time.perf_counter()
            server = subprocess.Popen(
                [sys.executable, "-c", EMC, *args],
                env=env,
                cwd=folder,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                while True:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5):
                            break
                    except OSError:
                        if server.poll() is not None:
                            raise SystemExit("emc serve exited before answering") from None
                        time.sleep(0.005)
                wall = time.perf_counter() - start
                cpu = _cpu_of(server.pid)
            finally:
                server.terminate()
                server.wait(timeout=30)
            best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def _last_line(code: str, env: dict[str, str], cwd: str, stdin: str | None = None) -> str:
    """The last line ``python -c code`` prints."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def routing_floor() -> tuple[int, float]:
    """(rules, least CPU seconds) for a bare Flask app to add emc's URL rules, with emc's own
    converters: a cost any Flask app with these routes pays before its first answer."""
    import json

    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "EMC_INSTANCE_PATH": folder}
        env.setdefault("EMC_SECRET_KEY", "startup-bench-secret-key-0123456789")
        dump = (
            "import json; from emc.app import create_app\n"
            "app = create_app(check_migrations=False)\n"
            "print(json.dumps([[r.rule, sorted(r.methods), r.endpoint] for r in app.url_map.iter_rules()]))"
        )
        rules = _last_line(dump, env, folder)
        count = len(json.loads(rules))
        probe = (
            "import json, sys, time; from flask import Flask\n"
            "from emc.web.security import IdConverter, YearConverter\n"
            "rules = json.load(sys.stdin)\n"
            "t = time.process_time(); app = Flask('floor')\n"
            "app.url_map.converters.update(int=IdConverter, year=YearConverter)\n"
            "for i, (rule, methods, endpoint) in enumerate(rules):\n"
            "    if endpoint != 'static':\n"
            "        app.add_url_rule(rule, f'e{i}', lambda **kw: '', methods=methods)\n"
            "print(time.process_time() - t)"
        )
        best = min(float(_last_line(probe, env, folder, rules)) for _ in range(RUNS))
    return count, best


def compile_bytecode() -> None:
    """Write emc's bytecode first, as an installed package has it: with PYTHONDONTWRITEBYTECODE
    set (this machine sets it) every process would compile emc's sources again, about a fifth
    of the start-up measured."""
    import compileall

    compileall.compile_dir(str(ROOT / "emc"), quiet=1)


def main() -> None:
    compile_bytecode()
    for module, extra in (
        ("emc.cli", ""),
        ("emc.app", "emc.app.create_app; "),
    ):
        cpu = cpu_seconds(module, extra)
        wall, slowest = importtime(module)
        print(f"{module}: {cpu:.3f} s CPU, {wall:.3f} s by -X importtime (best of {RUNS})")
        for seconds, name in slowest:
            print(f"    {seconds * 1000:7.1f} ms  {name}")
    processes()
    wall, cpu = serve_to_first_answer()
    print(
        f"emc serve to its first answer (GET /login, waitress): {wall:.3f} s wall, {cpu:.3f} s "
        f"CPU (best of {RUNS}); target < 0.5 s: {'meets' if cpu < 0.5 else 'misses'} (CPU)"
    )
    floor = cpu_seconds(FRAMEWORKS.split(", ")[0], "import " + FRAMEWORKS + "; ")
    print(f"floor: importing the frameworks alone ({FRAMEWORKS}): {floor:.3f} s CPU")
    count, routing = routing_floor()
    print(
        f"floor: a bare Flask app adding emc's {count} URL rules (Werkzeug compiles each): "
        f"{routing:.3f} s CPU"
    )


if __name__ == "__main__":
    main()

"""How long the ``emc`` command takes to start: import time of ``emc.cli`` (what ``emc --help``
and ``emc serve`` pay before doing anything), and of the full application.

    python bench/startup.py

Prints, for each: CPU seconds spent importing (stable on a busy machine), wall seconds as
``python -X importtime`` reports them (the cumulative figure of the top module), and the
slowest imports. The target is under 0.5 s for ``emc.cli``; tests/test_cli_startup.py holds
it under a generous 1 s of CPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
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


def main() -> None:
    for module, extra in (
        ("emc.cli", ""),
        ("emc.app", "emc.app.create_app; "),
    ):
        cpu = cpu_seconds(module, extra)
        wall, slowest = importtime(module)
        print(f"{module}: {cpu:.3f} s CPU, {wall:.3f} s by -X importtime (best of {RUNS})")
        for seconds, name in slowest:
            print(f"    {seconds * 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()

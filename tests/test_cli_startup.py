"""``emc --help`` and ``emc serve`` start fast: importing the command pulls in neither the M&V
engine (numpy, scipy), nor the database layer, nor any domain module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("scipy", "numpy", "sqlalchemy", "alembic", "emc.mv.engine", "emc.app", "emc.facilities")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )


def test_importing_the_cli_loads_no_heavy_module():
    code = "import sys, emc.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(_run("-c", code).stdout.split())
    assert [m for m in HEAVY if m in loaded] == []


def test_the_cli_imports_in_under_a_second():
    # CPU time, the least of three runs: wall time on a shared machine measures the neighbours.
    probe = "import time; t = time.process_time(); import emc.cli; print(time.process_time() - t)"
    best = min(float(_run("-c", probe).stdout) for _ in range(3))
    report = _run("-X", "importtime", "-c", "import emc.cli").stderr
    slowest = sorted(report.splitlines()[1:], key=lambda line: -int(line.split("|")[0][12:]))[:5]
    assert best < 1.0, "\n".join(slowest)


def test_scipy_loads_only_when_the_engine_needs_a_p_value():
    code = (
        "import sys, emc.mv.engine, emc.mv.engine.stats as s;"
        "before = 'scipy.stats' in sys.modules; s.t_statistic(0.9, 10);"
        "print(before, 'scipy.stats' in sys.modules)"
    )
    assert _run("-c", code).stdout.split() == ["False", "True"]

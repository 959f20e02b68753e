"""Layering (STYLE.md): pure cores import no web or database code; services import no Flask."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "emc"
FORBIDDEN_IN_PURE = (
    "flask",
    "flask_babel",
    "flask_login",
    "flask_smorest",
    "sqlalchemy",
    "marshmallow",
    "emc.db",
    "emc.web",
)
FORBIDDEN_IN_SERVICES = ("flask", "flask_babel", "flask_login", "flask_smorest", "emc.web")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _pure_modules() -> list[Path]:
    paths = [ROOT / "energy.py", ROOT / "auth" / "permissions.py", ROOT / "auth" / "regions.py"]
    paths.append(ROOT / "programme" / "stats.py")
    paths += sorted((ROOT / "mv" / "engine").rglob("*.py"))
    finance = ROOT / "contracts" / "finance"
    paths += (
        sorted(finance.rglob("*.py")) if finance.is_dir() else [ROOT / "contracts" / "finance.py"]
    )
    paths += sorted((ROOT / "facilities" / "ingest").rglob("*.py"))
    paths.append(ROOT / "audit" / "indicators.py")
    return [p for p in paths if p.exists()]


# Service-layer modules named neither service.py nor inside a service package.
SERVICE_LAYER_EXTRAS = (ROOT / "facilities" / "store.py",)


def _service_modules() -> list[Path]:
    return sorted(
        {
            p
            for p in ROOT.rglob("*.py")
            if p.name in ("service.py", "services.py") or p.parent.name in ("service", "services")
        }
        | {p for p in SERVICE_LAYER_EXTRAS if p.exists()}
    )


def _offending(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        n for n in _imports(path) if any(n == f or n.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize("path", _pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_core_imports_only_stdlib_and_numerics(path):
    assert _offending(path, FORBIDDEN_IN_PURE) == []


@pytest.mark.parametrize("path", _service_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_services_never_import_flask(path):
    assert _offending(path, FORBIDDEN_IN_SERVICES) == []


def test_the_layering_test_sees_the_modules_it_guards():
    assert len(_pure_modules()) >= 3 and len(_service_modules()) >= 1
    guarded = {p.relative_to(ROOT).as_posix() for p in _service_modules()}
    assert guarded >= {
        "facilities/service/readings.py",
        "facilities/service/sites.py",
        "facilities/store.py",
        "audit/service/workflow.py",
    }


def test_the_checker_catches_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport flask\n")
    assert _offending(bad, FORBIDDEN_IN_PURE) == ["flask", "sqlalchemy"]


@pytest.mark.parametrize("module", ["emc.labels", "emc.messages", "emc.web.labels", "emc.todo"])
def test_shared_label_modules_import_first_in_a_fresh_interpreter(module):
    """``emc.labels`` imported first (as a test module alone does) met a cycle through the
    audit and facilities services; a full run hid it, having imported the app before."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]

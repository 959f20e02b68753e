"""The facilities services (a package) and the bulk store never import Flask or the web layer;
tests/test_layering.py only sees modules named service.py or inside a "services" package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FACILITIES = Path(__file__).resolve().parents[2] / "emc" / "facilities"
FORBIDDEN = ("flask", "flask_babel", "flask_login", "flask_smorest", "emc.web")
MODULES = sorted((FACILITIES / "service").glob("*.py")) + [FACILITIES / "store.py"]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_facilities_services_never_import_flask(path):
    bad = [n for n in _imports(path) if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []


def test_the_check_sees_the_service_modules():
    assert {p.name for p in MODULES} >= {"readings.py", "sites.py", "analysis.py", "store.py"}

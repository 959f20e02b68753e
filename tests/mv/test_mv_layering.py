"""The M&V service layer, its computation package included, never imports flask (the project's
layering test guards modules in folders named ``service``; ``service/compute/`` is one deeper)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[2] / "emc" / "mv" / "service"
FORBIDDEN = ("flask", "flask_login", "flask_babel", "flask_smorest", "werkzeug")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


MODULES = sorted(SERVICE.rglob("*.py"))


def test_the_walk_sees_the_compute_package():
    assert {p.parent.name for p in MODULES} >= {"service", "compute"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SERVICE)))
def test_mv_services_never_import_flask(path):
    bad = sorted(n for n in _imports(path) if n.split(".")[0] in FORBIDDEN)
    assert bad == []

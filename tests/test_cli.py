"""The `emc` command against a real database file: migrations, demo, organisations, users."""

from __future__ import annotations

import gc

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from emc.cli import cli
from emc.contracts.demo import DEMO_CONTRACTS
from emc.contracts.finance import ContractType
from emc.contracts.models import Contract, EmcProject
from emc.db import make_engine


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("EMC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("EMC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()

    def _run(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    yield _run
    # ``emc serve`` freezes the heap it built (emc.server.long_lived); this process goes on.
    gc.unfreeze()


def test_db_upgrade_current_and_downgrade(run):
    assert "none" in run("db", "current").output
    assert run("db", "upgrade").exit_code == 0
    assert "(run `emc db upgrade`)" not in run("db", "current").output
    assert run("db", "downgrade", "base").exit_code == 0
    assert "none" in run("db", "current").output


def test_demo_prints_logins_and_is_idempotent(run, tmp_path):
    first = run("demo")
    assert (
        first.exit_code == 0
        and "admin@platform.demo" in first.output
        and "emc-demo-2026" in first.output
    )
    # The full demo has one contract of each type (emc.contracts.demo).
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    with engine.connect() as conn:
        types = conn.scalars(
            select(Contract.contract_type)
            .join(EmcProject, EmcProject.id == Contract.project_id)
            .where(EmcProject.name.in_(DEMO_CONTRACTS))
        ).all()
    engine.dispose()
    assert sorted(types) == sorted(ContractType)
    second = run("demo")
    assert "already there" in second.output
    assert run("demo", "--reset").exit_code == 0


def test_orgs_and_users_create_validate_and_journal(run):
    run("demo")
    ok = run(
        "orgs",
        "create",
        "--kind",
        "institution",
        "--name-zh",
        "命令行学校",
        "--region",
        "330100",
        "--sector",
        "school",
    )
    assert ok.exit_code == 0, ok.output
    org_id = ok.output.split()[1]
    bad = run(
        "orgs", "create", "--kind", "institution", "--name-zh", "缺部门学校", "--region", "330100"
    )
    assert bad.exit_code == 1 and "sector" in bad.output
    user = run(
        "users",
        "create",
        "--email",
        "cli@example.org",
        "--name",
        "CLI",
        "--org",
        org_id,
        "--role",
        "viewer",
        "--password",
        "long-enough-pass",
    )
    assert user.exit_code == 0, user.output
    listed = run("orgs", "list", "--json")
    assert "命令行学校" in listed.output


def test_serve_refuses_a_database_that_is_not_migrated(run):
    result = run("serve")
    assert result.exit_code == 1 and "emc db upgrade" in result.output


def test_serve_builds_one_app_with_a_connection_per_thread(run, monkeypatch):
    """`emc serve` builds the application it serves once (not a second one for a CLI context),
    with a pool of one connection per thread and one for the scheduler, unless
    EMC_DB_POOL_SIZE says otherwise."""
    import waitress

    import emc.app

    built = []
    monkeypatch.setattr(emc.app, "create_app", lambda settings=None: built.append(settings))
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: None)
    assert run("serve", "--workers", "1", "--threads", "6", "--no-scheduler").exit_code == 0
    assert [settings.db_pool_size for settings in built] == [7]
    monkeypatch.setenv("EMC_DB_POOL_SIZE", "3")
    assert run("serve", "--workers", "1", "--no-scheduler").exit_code == 0
    assert built[-1].db_pool_size == 3 and len(built) == 2


def test_bad_settings_are_named_all_at_once(monkeypatch):
    from emc.config import Settings, SettingsError

    with pytest.raises(SettingsError) as error:
        Settings.from_env(
            {
                "EMC_TIMEZONE": "Mars/Base",
                "EMC_MAX_UPLOAD_MB": "lots",
                "EMC_DATABASE_URL": "mysql://x",
                "EMC_DB_POOL_SIZE": "0",
            }
        )
    assert set(error.value.problems) == {
        "EMC_TIMEZONE",
        "EMC_MAX_UPLOAD_MB",
        "EMC_DATABASE_URL",
        "EMC_DB_POOL_SIZE",
    }


@pytest.mark.parametrize("module", ["emc", "emc.cli"])
def test_python_dash_m_runs_the_command(module):
    """``python -m emc.cli demo --reset`` printed nothing and did nothing (exit 0)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("Usage: emc")

"""The schema is built by migrations only, matches the models, and migrates down and up again."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

import emc.models  # noqa: F401
from emc import migrate
from emc.db import Base, make_engine


def test_migrated_database_matches_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_database_is_at_head(engine):
    assert migrate.current_revisions(engine) == migrate.head_revisions()


def test_the_start_up_check_names_the_scripts_head():
    """create_app compares a database with ``migrate.HEAD`` without loading the scripts: a new
    migration must move it."""
    assert migrate.head_revisions() == {migrate.HEAD}


def test_an_empty_database_is_at_no_revision(scratch_url):
    engine = make_engine(scratch_url)
    assert migrate.current_revisions(engine) == set()
    engine.dispose()


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database of the same kind, for migrating up and down without disturbing others."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    name = f"emc_scratch_{uuid.uuid4().hex[:8]}"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_downgrade_to_base_and_upgrade_again(scratch_url):
    migrate.upgrade(scratch_url)
    migrate.downgrade(scratch_url, "base")
    engine = make_engine(scratch_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    assert migrate.current_revisions(engine) == migrate.head_revisions()
    assert "journal_entries" in inspect(engine).get_table_names()
    engine.dispose()


def test_app_refuses_to_start_on_a_database_not_at_head(scratch_url, tmp_path):
    from emc.app import create_app
    from emc.config import Settings
    from emc.migrate import NotAtHead

    settings = Settings(database_url=scratch_url, secret_key="x" * 20, instance_path=tmp_path)
    with pytest.raises(NotAtHead, match="emc db upgrade"):
        create_app(settings)


@pytest.mark.slow
def test_readings_and_daily_totals_survive_down_and_up_through_0016(scratch_url):
    """0016_scale moves existing readings into the partitioned table (PostgreSQL) and fills the
    daily totals from them exactly as uploads do; its downgrade keeps every reading."""
    from emc import demo
    from emc.db import make_session_factory, unit_of_work

    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    with unit_of_work(make_session_factory(engine)) as session:
        demo.build(session)
    readings = "SELECT meter_id, start_ts, value FROM meter_readings ORDER BY 1, 2"
    totals = "SELECT meter_id, local_day, readings, total FROM meter_daily_totals ORDER BY 1, 2"
    with engine.connect() as conn:
        before, written = conn.execute(text(readings)).all(), conn.execute(text(totals)).all()
    engine.dispose()
    assert before and written
    migrate.downgrade(scratch_url, "0017_factors")  # the revision before 0016_scale
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        assert conn.execute(text(readings)).all() == before
    engine.dispose()
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        assert conn.execute(text(readings)).all() == before
        again = conn.execute(text(totals)).all()
    engine.dispose()
    # The same days and counts; sums equal up to the order the values were added in.
    assert [r[:3] for r in again] == [r[:3] for r in written]
    assert [r[3] for r in again] == pytest.approx([r[3] for r in written], rel=1e-12)


def test_the_original_factor_key_is_a_partial_index_on_both_databases(engine):
    """The model declares only the SQLite predicate (a ``postgresql_`` option would import the
    PostgreSQL dialect at every start); the migrations build the index partial everywhere."""
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("emission_factors")}
    index = indexes["uq_emission_factors_original_key"]
    assert index["unique"]
    where = index.get("dialect_options", {}).get(f"{engine.dialect.name}_where")
    assert where is not None and "supersedes_id is null" in str(where).lower()


def test_serving_on_sqlite_never_loads_the_postgresql_dialect():
    import subprocess
    import sys

    probe = "import sys, emc.app; print([m for m in sys.modules if 'postgresql' in m])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

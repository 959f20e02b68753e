"""PostgreSQL test databases: the one named by EMC_TEST_DATABASE_URL, and databases beside it
for each pytest-xdist worker and for tests that need committed data of their own."""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.engine import make_url

from emc.db import make_engine

# Under pytest-xdist ("gw0", "gw1" …): each worker runs on PostgreSQL databases of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def postgres_database(url: str, suffix: str) -> str:
    """A database beside ``url``'s, named with ``suffix`` (and the xdist worker), created if
    missing and emptied; returns its URL. Dropped with ``drop_postgres`` at the end."""
    base = make_url(url)
    name = "_".join(part for part in (base.database, suffix, WORKER) if part)
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    rendered = base.set(database=name).render_as_string(hide_password=False)
    reset_postgres(rendered)
    return rendered


def drop_postgres(admin_url: str, url: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()

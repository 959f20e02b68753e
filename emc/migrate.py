"""Alembic, driven from code: upgrade, downgrade, current, and the at-head check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from emc import paths

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration. The app checks a database against it at start-up without loading Alembic
# and every migration script (about a quarter of `emc serve`'s import time);
# tests/test_migrations.py holds it equal to the scripts' head.
HEAD = "0016_scale"


class NotAtHead(RuntimeError):
    """The database schema is not at the newest migration."""


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(paths.MIGRATIONS_DIR))
    # '%' would be read as interpolation by configparser.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revisions() -> set[str]:
    """The newest revision of every branch (one, once branches are merged), from the scripts."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return set(script.get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database says it is at (Alembic's own table, read with plain SQL)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


def describe(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none (empty)"


def assert_at_head(engine: Engine) -> None:
    current = current_revisions(engine)
    heads = {HEAD}
    if current != heads:
        raise NotAtHead(
            f"the database is at migration {describe(current)}, not at head {describe(heads)}: "
            "run `emc db upgrade` (or `emc demo` for a demo database) first"
        )


def upgrade(url: str, revision: str = "heads") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)

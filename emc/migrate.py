"""Alembic, driven from code: upgrade, downgrade, current, and the at-head check."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from emc import paths


class NotAtHead(RuntimeError):
    """The database schema is not at the newest migration."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(paths.MIGRATIONS_DIR))
    # '%' would be read as interpolation by configparser.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revisions() -> set[str]:
    """The newest revision of every branch (one, once branches are merged)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return set(script.get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def describe(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none (empty)"


def assert_at_head(engine: Engine) -> None:
    current = current_revisions(engine)
    heads = head_revisions()
    if current != heads:
        raise NotAtHead(
            f"the database is at migration {describe(current)}, not at head {describe(heads)}: "
            "run `emc db upgrade` (or `emc demo` for a demo database) first"
        )


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)

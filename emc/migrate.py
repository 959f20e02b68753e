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


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def assert_at_head(engine: Engine) -> None:
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise NotAtHead(
            f"the database is at migration {current or 'none (empty)'}, not at head {head}: "
            "run `emc db upgrade` (or `emc demo` for a demo database) first"
        )


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)

"""Notifications stored as message keys with parameters; the scheduler's leader lock.

A notification keeps the English msgids of its subject and body and their parameters (JSON), so
each reader sees it in their own language when it is read. Existing rows were stored already
translated: their text becomes the key (it matches no catalog entry, so it reads as before).

``scheduler_locks`` holds one row per lock with its owner and lease: only the scheduler that
holds the lease runs jobs (``emc scheduler`` processes and the one inside ``emc serve``).

Revision ID: 0013_todo
Revises: 0012
Create Date: 2026-12-06 19:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_todo"
down_revision = "0012"
branch_labels = None
depends_on = None

_notes = sa.table(
    "notifications",
    sa.column("id", sa.Integer),
    sa.column("subject", sa.String),
    sa.column("body", sa.Text),
    sa.column("subject_key", sa.String),
    sa.column("body_key", sa.Text),
    sa.column("params", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_key", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("body_key", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    op.execute(
        _notes.update().values(subject_key=_notes.c.subject, body_key=_notes.c.body, params={})
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("subject_key", existing_type=sa.String(length=500), nullable=False)
        batch_op.alter_column("body_key", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("params", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("subject")
        batch_op.drop_column("body")

    op.create_table(
        "scheduler_locks",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_locks")),
    )


def _fill(text: str, params: dict) -> str:
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return text


def downgrade() -> None:
    op.drop_table("scheduler_locks")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    # The old columns held finished text: fill the English msgids in (the catalog is not
    # available to a migration), so every message stays readable.
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_notes.c.id, _notes.c.subject_key, _notes.c.body_key, _notes.c.params)
    ).all()
    for row in rows:
        params = {
            k: v if not isinstance(v, dict) else v.get("msgid", "")
            for k, v in (row.params or {}).items()
        }
        conn.execute(
            _notes.update()
            .where(_notes.c.id == row.id)
            .values(
                subject=_fill(row.subject_key, params)[:300],
                body=_fill(row.body_key, params) if row.body_key else "",
            )
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("params")
        batch_op.drop_column("body_key")
        batch_op.drop_column("subject_key")

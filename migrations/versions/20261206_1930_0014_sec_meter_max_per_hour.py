"""Meters carry their rated capacity or maximum demand per hour: readings above it are refused.

Revision ID: 0014_sec
Revises: 0013_sec
Create Date: 2026-12-06 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_sec"
down_revision = "0013_sec"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meters") as batch:
        batch.add_column(sa.Column("max_per_hour", sa.Numeric(16, 3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meters") as batch:
        batch.drop_column("max_per_hour")

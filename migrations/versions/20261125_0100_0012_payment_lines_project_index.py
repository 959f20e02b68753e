"""Drop payment_lines' single-column project index.

The unique (project_id, key) constraint's index already serves every lookup by project, so the
extra index only costs a write per stored line (a 3,000-project portfolio stores 360,000).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 01:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_payment_lines_project_id", table_name="payment_lines")


def downgrade() -> None:
    op.create_index("ix_payment_lines_project_id", "payment_lines", ["project_id"], unique=False)

"""settlement: verified savings kept per period, report segments and valuation, baseline
data sufficiency and G14 override reason

Revision ID: 0013_settle
Revises: 0012
Create Date: 2026-12-06 19:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_settle"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verified_savings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("savings", sa.JSON(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_verified_savings_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verified_savings")),
        sa.UniqueConstraint(
            "project_id", "period_start", name=op.f("uq_verified_savings_project_id_period_start")
        ),
    )
    with op.batch_alter_table("mv_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segments", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("valuation", sa.JSON(), nullable=True))
    with op.batch_alter_table("baselines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sufficiency", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("override_reason", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("baselines", schema=None) as batch_op:
        batch_op.drop_column("override_reason")
        batch_op.drop_column("sufficiency")
    with op.batch_alter_table("mv_reports", schema=None) as batch_op:
        batch_op.drop_column("valuation")
        batch_op.drop_column("segments")
    op.drop_table("verified_savings")

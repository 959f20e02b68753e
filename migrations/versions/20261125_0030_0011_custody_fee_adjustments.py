"""contracts: agreed custody fee adjustments (floor area or energy price changes)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 00:30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custody_fee_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("new_floor_area_m2", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("component", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=True),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=False),
        sa.Column("institution_agreed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("institution_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("esco_agreed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("esco_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_custody_fee_adjustments_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_custody_fee_adjustments_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"],
            ["users.id"],
            name=op.f("fk_custody_fee_adjustments_proposed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_agreed_by_user_id"],
            ["users.id"],
            name=op.f("fk_custody_fee_adjustments_institution_agreed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["esco_agreed_by_user_id"],
            ["users.id"],
            name=op.f("fk_custody_fee_adjustments_esco_agreed_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_fee_adjustments")),
        sa.UniqueConstraint(
            "contract_id", "number", name=op.f("uq_custody_fee_adjustments_contract_id_number")
        ),
        sa.UniqueConstraint(
            "contract_id",
            "reference",
            name=op.f("uq_custody_fee_adjustments_contract_id_reference"),
        ),
    )
    with op.batch_alter_table("custody_fee_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_fee_adjustments_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("custody_fee_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_fee_adjustments_project_id"))
    op.drop_table("custody_fee_adjustments")

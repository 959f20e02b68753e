"""mv: option A measurements; evidence files of baselines (option D) and measurements

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 00:10
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ONE_OWNER = (
    "(CASE WHEN adjustment_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN baseline_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN measurement_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade() -> None:
    op.create_table(
        "mv_measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("parameter", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=1000), nullable=False),
        sa.Column("entered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_party", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_user_id"],
            ["users.id"],
            name=op.f("fk_mv_measurements_entered_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_mv_measurements_meter_id_meters")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_mv_measurements_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mv_measurements")),
    )
    with op.batch_alter_table("mv_measurements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mv_measurements_project_id"), ["project_id"], unique=False
        )
    with op.batch_alter_table("mv_evidence_files", schema=None) as batch_op:
        batch_op.alter_column("adjustment_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("baseline_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("measurement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_mv_evidence_files_baseline_id_baselines"),
            "baselines",
            ["baseline_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_mv_evidence_files_measurement_id_mv_measurements"),
            "mv_measurements",
            ["measurement_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            batch_op.f("ix_mv_evidence_files_baseline_id"), ["baseline_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mv_evidence_files_measurement_id"), ["measurement_id"], unique=False
        )
        batch_op.create_check_constraint(op.f("ck_mv_evidence_files_one_owner"), _ONE_OWNER)


def downgrade() -> None:
    # Evidence of baselines and measurements has no place in the older schema.
    op.execute("DELETE FROM mv_evidence_files WHERE adjustment_id IS NULL")
    with op.batch_alter_table("mv_evidence_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_mv_evidence_files_one_owner"), type_="check")
        batch_op.drop_index(batch_op.f("ix_mv_evidence_files_measurement_id"))
        batch_op.drop_index(batch_op.f("ix_mv_evidence_files_baseline_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_mv_evidence_files_measurement_id_mv_measurements"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_mv_evidence_files_baseline_id_baselines"), type_="foreignkey"
        )
        batch_op.drop_column("measurement_id")
        batch_op.drop_column("baseline_id")
        batch_op.alter_column("adjustment_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("mv_measurements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mv_measurements_project_id"))
    op.drop_table("mv_measurements")

"""workflow: optimistic-lock row versions, both parties' project signatures, amendments that
carry a signed project's own fields, rejected / withdrawn amendments' comments

Every object with a life gets a ``row_version`` (SQLAlchemy ``version_id_col``): every UPDATE
is conditional on the version read, so two concurrent transitions cannot both succeed.
Existing rows start at version 1.

Revision ID: 0013_wf
Revises: 0012
Create Date: 2026-12-06 19:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_wf"
down_revision = "0012"
branch_labels = None
depends_on = None

_VERSIONED = (
    "emc_projects",
    "contract_amendments",
    "baselines",
    "mv_reports",
    "mv_report_adjustments",
    "energy_audits",
)


def upgrade() -> None:
    for table in _VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("row_version", sa.Integer(), nullable=False, server_default=sa.text("1"))
            )
    with op.batch_alter_table("emc_projects") as batch:
        batch.add_column(sa.Column("institution_signed_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("institution_signed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("esco_signed_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("esco_signed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_emc_projects_institution_signed_by_user_id_users"),
            "users",
            ["institution_signed_by_user_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_emc_projects_esco_signed_by_user_id_users"),
            "users",
            ["esco_signed_by_user_id"],
            ["id"],
        )
    with op.batch_alter_table("contract_amendments") as batch:
        batch.add_column(
            sa.Column("project_changes", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch.add_column(sa.Column("decision_comment", sa.String(length=2000), nullable=True))
    with op.batch_alter_table("custody_fee_adjustments") as batch:
        batch.add_column(sa.Column("decision_comment", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("custody_fee_adjustments") as batch:
        batch.drop_column("decision_comment")
    with op.batch_alter_table("contract_amendments") as batch:
        batch.drop_column("decision_comment")
        batch.drop_column("project_changes")
    with op.batch_alter_table("emc_projects") as batch:
        batch.drop_constraint(
            op.f("fk_emc_projects_esco_signed_by_user_id_users"), type_="foreignkey"
        )
        batch.drop_constraint(
            op.f("fk_emc_projects_institution_signed_by_user_id_users"), type_="foreignkey"
        )
        batch.drop_column("esco_signed_at")
        batch.drop_column("esco_signed_by_user_id")
        batch.drop_column("institution_signed_at")
        batch.drop_column("institution_signed_by_user_id")
    for table in reversed(_VERSIONED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("row_version")

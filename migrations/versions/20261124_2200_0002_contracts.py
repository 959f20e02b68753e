"""contracts: EMC projects, contracts and amendments, payment schedule lines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 22:00:00

Enumerations are VARCHARs (``emc.db.str_enum``), so adding a status never needs a type
migration. ``payment_lines.version`` is the optimistic-locking counter; (project_id, key) is
unique so that schedule regeneration is an upsert by the finance core's deterministic key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emc_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("esco_organization_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("termination_reason", sa.String(length=500), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("works_accepted_on", sa.Date(), nullable=True),
        sa.Column("operation_start_on", sa.Date(), nullable=True),
        sa.Column("term_end_on", sa.Date(), nullable=True),
        sa.Column("total_investment", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("investor", sa.String(length=20), nullable=False),
        sa.Column("ecms", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["esco_organization_id"],
            ["organizations.id"],
            name=op.f("fk_emc_projects_esco_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_emc_projects_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_projects")),
    )
    with op.batch_alter_table("emc_projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emc_projects_esco_organization_id"),
            ["esco_organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_emc_projects_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("contract_type", sa.String(length=30), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("savings_estimates", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_contracts_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("project_id", name=op.f("uq_contracts_project_id")),
    )
    op.create_table(
        "payment_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("component", sa.String(length=100), nullable=False),
        sa.Column("contract_year", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("payer", sa.String(length=20), nullable=False),
        sa.Column("payee", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("hold_reason", sa.String(length=500), nullable=True),
        sa.Column("prepared_by_user_id", sa.Integer(), nullable=True),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by_user_id", sa.Integer(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("payment_reference", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_user_id"],
            ["users.id"],
            name=op.f("fk_payment_lines_approved_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_user_id"], ["users.id"], name=op.f("fk_payment_lines_paid_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["prepared_by_user_id"],
            ["users.id"],
            name=op.f("fk_payment_lines_prepared_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_payment_lines_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_lines")),
        sa.UniqueConstraint("project_id", "key", name=op.f("uq_payment_lines_project_id_key")),
    )
    with op.batch_alter_table("payment_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_lines_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index("ix_payment_lines_status_due_on", ["status", "due_on"], unique=False)

    op.create_table(
        "contract_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("terms_before", sa.JSON(), nullable=False),
        sa.Column("terms_after", sa.JSON(), nullable=False),
        sa.Column("estimates_after", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=False),
        sa.Column("institution_agreed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("institution_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("esco_agreed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("esco_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_amendments_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["esco_agreed_by_user_id"],
            ["users.id"],
            name=op.f("fk_contract_amendments_esco_agreed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_agreed_by_user_id"],
            ["users.id"],
            name=op.f("fk_contract_amendments_institution_agreed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"],
            ["users.id"],
            name=op.f("fk_contract_amendments_proposed_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_amendments")),
        sa.UniqueConstraint(
            "contract_id", "number", name=op.f("uq_contract_amendments_contract_id_number")
        ),
    )
    with op.batch_alter_table("contract_amendments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_amendments_contract_id"), ["contract_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contract_amendments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_amendments_contract_id"))

    op.drop_table("contract_amendments")
    with op.batch_alter_table("payment_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_lines_status_due_on")
        batch_op.drop_index(batch_op.f("ix_payment_lines_project_id"))

    op.drop_table("payment_lines")
    op.drop_table("contracts")
    with op.batch_alter_table("emc_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_projects_organization_id"))
        batch_op.drop_index(batch_op.f("ix_emc_projects_esco_organization_id"))

    op.drop_table("emc_projects")

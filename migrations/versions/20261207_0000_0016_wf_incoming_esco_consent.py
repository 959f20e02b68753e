"""amendments: the incoming ESCO of an ESCO swap, and its consent

An amendment that swaps a signed project's ESCO applies only once the institution, the
outgoing ESCO and the incoming ESCO have all agreed; the incoming ESCO is named on the
amendment (indexed: it finds the amendments waiting for it without seeing the project).

Revision ID: 0016_wf
Revises: 0015
Create Date: 2026-12-07 00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_wf"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contract_amendments") as batch:
        batch.add_column(sa.Column("incoming_esco_organization_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("incoming_esco_agreed_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("incoming_esco_agreed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_index(
            op.f("ix_contract_amendments_incoming_esco_organization_id"),
            ["incoming_esco_organization_id"],
        )
        batch.create_foreign_key(
            op.f("fk_contract_amendments_incoming_esco_organization_id_organizations"),
            "organizations",
            ["incoming_esco_organization_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_contract_amendments_incoming_esco_agreed_by_user_id_users"),
            "users",
            ["incoming_esco_agreed_by_user_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("contract_amendments") as batch:
        batch.drop_constraint(
            op.f("fk_contract_amendments_incoming_esco_agreed_by_user_id_users"),
            type_="foreignkey",
        )
        batch.drop_constraint(
            op.f("fk_contract_amendments_incoming_esco_organization_id_organizations"),
            type_="foreignkey",
        )
        batch.drop_index(op.f("ix_contract_amendments_incoming_esco_organization_id"))
        batch.drop_column("incoming_esco_agreed_at")
        batch.drop_column("incoming_esco_agreed_by_user_id")
        batch.drop_column("incoming_esco_organization_id")

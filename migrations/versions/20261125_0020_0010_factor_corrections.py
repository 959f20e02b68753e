"""facilities: corrections of emission factors (a new row superseding the old, with a reason)

The table's unique key (carrier, kind, variant, scope, region, year) now holds for original rows
only (a partial unique index): a correction repeats the key and points at the row it corrects,
and ``supersedes_id`` is unique, so every key keeps exactly one current row.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 00:20
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_KEY = ["carrier", "kind", "variant", "scope", "region", "year"]


def upgrade() -> None:
    with op.batch_alter_table("emission_factors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.String(length=500), nullable=True))
        batch_op.drop_constraint(
            "uq_emission_factors_carrier_kind_variant_scope_region_year", type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_emission_factors_supersedes_id"), ["supersedes_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_emission_factors_supersedes_id_emission_factors"),
            "emission_factors",
            ["supersedes_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_emission_factors_correction_has_reason"),
            "supersedes_id IS NULL OR correction_reason IS NOT NULL",
        )
    op.create_index(
        "uq_emission_factors_original_key",
        "emission_factors",
        _KEY,
        unique=True,
        postgresql_where=sa.text("supersedes_id IS NULL"),
        sqlite_where=sa.text("supersedes_id IS NULL"),
    )


def downgrade() -> None:
    corrections = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM emission_factors WHERE supersedes_id IS NOT NULL")
    )
    if corrections:
        # The old unique key cannot hold both a row and its correction, and dropping the
        # corrections would silently bring wrong factors back into use.
        raise RuntimeError(
            f"emission_factors holds {corrections} correction(s): downgrading below 0010 would"
            " lose them; remove them deliberately first"
        )
    op.drop_index("uq_emission_factors_original_key", table_name="emission_factors")
    with op.batch_alter_table("emission_factors", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_emission_factors_correction_has_reason"), type_="check"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_emission_factors_supersedes_id_emission_factors"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_emission_factors_supersedes_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_emission_factors_carrier_kind_variant_scope_region_year"), _KEY
        )
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("supersedes_id")

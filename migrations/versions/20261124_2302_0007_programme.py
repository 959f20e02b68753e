"""programme: targets, annual energy statistics of institutions, nightly snapshots

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 23:02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programme_snapshots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("projects_counted", sa.Integer(), nullable=False),
        sa.Column("projects_listed", sa.Integer(), nullable=False),
        sa.Column("custody_counted", sa.Integer(), nullable=False),
        sa.Column("by_type", sa.JSON(), nullable=False),
        sa.Column("investment_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("investment_private", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("savings_tce", sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column("savings_co2_t", sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column("savings_cny", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_snapshots")),
        sa.UniqueConstraint(
            "snapshot_date",
            "region_code",
            name=op.f("uq_programme_snapshots_snapshot_date_region_code"),
        ),
    )
    with op.batch_alter_table("programme_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_snapshots_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_snapshots_snapshot_date"), ["snapshot_date"], unique=False
        )

    op.create_table(
        "institution_energy_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("floor_area_m2", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "floor_area_source",
            sa.String(length=10),
            nullable=False,
        ),
        sa.Column("occupants", sa.Integer(), nullable=True),
        sa.Column(
            "occupants_source",
            sa.String(length=10),
            nullable=True,
        ),
        sa.Column("energy_tce", sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column("co2_t", sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column("factor_notes", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "floor_area_m2 > 0", name=op.f("ck_institution_energy_stats_floor_area_positive")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_institution_energy_stats_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_energy_stats")),
        sa.UniqueConstraint(
            "organization_id", "year", name=op.f("uq_institution_energy_stats_organization_id_year")
        ),
    )
    with op.batch_alter_table("institution_energy_stats", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institution_energy_stats_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "programme_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=False),
        sa.Column("project_count", sa.Integer(), nullable=True),
        sa.Column("reduction_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("base_year", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("set_by_organization_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(metric = 'projects' AND project_count IS NOT NULL) OR "
            "(metric <> 'projects' AND reduction_pct IS NOT NULL AND base_year IS NOT NULL)",
            name=op.f("ck_programme_targets_value_for_metric"),
        ),
        sa.CheckConstraint(
            "end_year >= start_year", name=op.f("ck_programme_targets_window_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_programme_targets_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_organization_id"],
            ["organizations.id"],
            name=op.f("fk_programme_targets_set_by_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_targets")),
        sa.UniqueConstraint(
            "region_code",
            "metric",
            "start_year",
            "end_year",
            name=op.f("uq_programme_targets_region_code_metric_start_year_end_year"),
        ),
    )
    with op.batch_alter_table("programme_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_targets_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_targets_set_by_organization_id"),
            ["set_by_organization_id"],
            unique=False,
        )

    op.create_table(
        "institution_energy_carriers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stat_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column(
            "source",
            sa.String(length=10),
            nullable=False,
        ),
        sa.Column("tce", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("co2_t", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["stat_id"],
            ["institution_energy_stats.id"],
            name=op.f("fk_institution_energy_carriers_stat_id_institution_energy_stats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_energy_carriers")),
        sa.UniqueConstraint(
            "stat_id", "carrier", name=op.f("uq_institution_energy_carriers_stat_id_carrier")
        ),
    )
    with op.batch_alter_table("institution_energy_carriers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institution_energy_carriers_stat_id"), ["stat_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("institution_energy_carriers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_energy_carriers_stat_id"))

    op.drop_table("institution_energy_carriers")
    with op.batch_alter_table("programme_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_targets_set_by_organization_id"))
        batch_op.drop_index(batch_op.f("ix_programme_targets_region_code"))

    op.drop_table("programme_targets")
    with op.batch_alter_table("institution_energy_stats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_energy_stats_organization_id"))

    op.drop_table("institution_energy_stats")
    with op.batch_alter_table("programme_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_snapshots_snapshot_date"))
        batch_op.drop_index(batch_op.f("ix_programme_snapshots_region_code"))

    op.drop_table("programme_snapshots")

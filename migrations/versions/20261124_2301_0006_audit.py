"""energy audits: audits, scope, consumption, ECMs; energy quotas

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 23:01:00

An audit's tce and CO2 figures are computed with the factor set recorded in it
(``energy_audits.factor_snapshot``), so they never change when ``emission_factors`` does.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "energy_quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("building_type", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("constraint_value", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("baseline_value", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("guide_value", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "guide_value <= baseline_value AND baseline_value <= constraint_value",
            name=op.f("ck_energy_quotas_values_ordered"),
        ),
        sa.CheckConstraint("guide_value >= 0", name=op.f("ck_energy_quotas_guide_not_negative")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_energy_quotas_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_energy_quotas_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_quotas")),
        sa.UniqueConstraint(
            "region_code",
            "building_type",
            "basis",
            "year",
            name=op.f("uq_energy_quotas_region_code_building_type_basis_year"),
        ),
    )
    op.create_index(
        op.f("ix_energy_quotas_region_code"), "energy_quotas", ["region_code"], unique=False
    )
    op.create_table(
        "energy_audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("auditor_organization_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_audit_id", sa.Integer(), nullable=True),
        sa.Column("revision_reason", sa.String(length=1000), nullable=True),
        sa.Column("review_comment", sa.String(length=2000), nullable=True),
        sa.Column("occupants", sa.Integer(), nullable=True),
        sa.Column("building_type", sa.String(length=20), nullable=True),
        sa.Column("data_centre_pue", sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column("end_use_split", sa.JSON(), nullable=True),
        sa.Column("conclusions", sa.String(length=4000), nullable=True),
        sa.Column("factor_snapshot", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name=op.f("ck_energy_audits_level_range")),
        sa.CheckConstraint(
            "period_end > period_start", name=op.f("ck_energy_audits_period_not_empty")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_energy_audits_version_positive")),
        sa.ForeignKeyConstraint(
            ["accepted_by_user_id"],
            ["users.id"],
            name=op.f("fk_energy_audits_accepted_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["auditor_organization_id"],
            ["organizations.id"],
            name=op.f("fk_energy_audits_auditor_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_energy_audits_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_audit_id"],
            ["energy_audits.id"],
            name=op.f("fk_energy_audits_previous_audit_id_energy_audits"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_energy_audits_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_audits")),
    )
    op.create_index(
        op.f("ix_energy_audits_auditor_organization_id"),
        "energy_audits",
        ["auditor_organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_energy_audits_organization_id"), "energy_audits", ["organization_id"], unique=False
    )
    op.create_table(
        "audit_sites",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["energy_audits.id"],
            name=op.f("fk_audit_sites_audit_id_energy_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_audit_sites_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("audit_id", "site_id", name=op.f("pk_audit_sites")),
    )
    op.create_index(op.f("ix_audit_sites_site_id"), "audit_sites", ["site_id"], unique=False)
    op.create_table(
        "audit_buildings",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["energy_audits.id"],
            name=op.f("fk_audit_buildings_audit_id_energy_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_audit_buildings_building_id_buildings")
        ),
        sa.PrimaryKeyConstraint("audit_id", "building_id", name=op.f("pk_audit_buildings")),
    )
    op.create_table(
        "audit_consumption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column("cost", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "cost IS NULL OR cost >= 0", name=op.f("ck_audit_consumption_cost_not_negative")
        ),
        sa.CheckConstraint(
            "quantity >= 0", name=op.f("ck_audit_consumption_quantity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["energy_audits.id"],
            name=op.f("fk_audit_consumption_audit_id_energy_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["meters.id"],
            name=op.f("fk_audit_consumption_meter_id_meters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_consumption")),
    )
    op.create_index(
        op.f("ix_audit_consumption_audit_id"), "audit_consumption", ["audit_id"], unique=False
    )
    op.create_table(
        "audit_ecms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("affected_carriers", sa.JSON(), nullable=False),
        sa.Column("savings_carrier", sa.String(length=20), nullable=True),
        sa.Column("savings_quantity", sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column("savings_unit", sa.String(length=10), nullable=True),
        sa.Column("savings_tce", sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column("savings_tco2", sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column("savings_money", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("investment", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("recommended_contract_type", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "investment IS NULL OR investment >= 0",
            name=op.f("ck_audit_ecms_investment_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["energy_audits.id"],
            name=op.f("fk_audit_ecms_audit_id_energy_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_audit_ecms_project_id_emc_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_ecms")),
    )
    op.create_index(op.f("ix_audit_ecms_audit_id"), "audit_ecms", ["audit_id"], unique=False)
    op.create_index(op.f("ix_audit_ecms_project_id"), "audit_ecms", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_ecms_audit_id"), table_name="audit_ecms")
    op.drop_index(op.f("ix_audit_ecms_project_id"), table_name="audit_ecms")
    op.drop_table("audit_ecms")
    op.drop_index(op.f("ix_audit_consumption_audit_id"), table_name="audit_consumption")
    op.drop_table("audit_consumption")
    op.drop_table("audit_buildings")
    op.drop_index(op.f("ix_audit_sites_site_id"), table_name="audit_sites")
    op.drop_table("audit_sites")
    op.drop_index(op.f("ix_energy_audits_auditor_organization_id"), table_name="energy_audits")
    op.drop_index(op.f("ix_energy_audits_organization_id"), table_name="energy_audits")
    op.drop_table("energy_audits")
    op.drop_index(op.f("ix_energy_quotas_region_code"), table_name="energy_quotas")
    op.drop_table("energy_quotas")

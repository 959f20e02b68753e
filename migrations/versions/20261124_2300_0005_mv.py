"""M&V: plans, baselines, reports, non-routine adjustments and their evidence files

Baselines and reports are versioned (unique per project and version, per project, period and
version); enumerations are VARCHARs (``emc.db.str_enum``). Evidence files are stored as bytes
with their SHA-256.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 23:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("acceptance", sa.JSON(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("verdict_passed", sa.Boolean(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.String(length=2000), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"], ["users.id"], name=op.f("fk_baselines_decided_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_baselines_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"],
            ["users.id"],
            name=op.f("fk_baselines_proposed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["baselines.id"], name=op.f("fk_baselines_supersedes_id_baselines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baselines")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_baselines_project_id_version")),
    )
    with op.batch_alter_table("baselines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_baselines_project_id"), ["project_id"], unique=False)

    op.create_table(
        "mv_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("boundary", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("baseline_start", sa.Date(), nullable=False),
        sa.Column("baseline_end", sa.Date(), nullable=False),
        sa.Column("reporting_frequency", sa.String(length=20), nullable=False),
        sa.Column("price_basis", sa.JSON(), nullable=False),
        sa.Column("stipulated", sa.JSON(), nullable=False),
        sa.Column("acceptance", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_mv_plans_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"], ["users.id"], name=op.f("fk_mv_plans_updated_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mv_plans")),
        sa.UniqueConstraint("project_id", name=op.f("uq_mv_plans_project_id")),
    )
    op.create_table(
        "mv_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("revision_reason", sa.String(length=1000), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("months", sa.JSON(), nullable=False),
        sa.Column("carriers", sa.JSON(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("rolling", sa.JSON(), nullable=False),
        sa.Column("verdict", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("savings_value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tce_avoided", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("tco2_avoided", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("fsu_68", sa.Float(), nullable=True),
        sa.Column("fsu_90", sa.Float(), nullable=True),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("stale_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale_message", sa.String(length=1000), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.String(length=2000), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_id"], ["baselines.id"], name=op.f("fk_mv_reports_baseline_id_baselines")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_mv_reports_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_mv_reports_decided_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_mv_reports_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_user_id"],
            ["users.id"],
            name=op.f("fk_mv_reports_submitted_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["mv_reports.id"],
            name=op.f("fk_mv_reports_supersedes_id_mv_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mv_reports")),
        sa.UniqueConstraint(
            "project_id",
            "period_start",
            "version",
            name=op.f("uq_mv_reports_project_id_period_start_version"),
        ),
    )
    with op.batch_alter_table("mv_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mv_reports_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_mv_reports_status", ["status"], unique=False)

    op.create_table(
        "mv_report_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column("series", sa.JSON(), nullable=True),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by_party", sa.String(length=20), nullable=False),
        sa.Column("esco_agreed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("esco_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("institution_agreed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("institution_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["esco_agreed_by_user_id"],
            ["users.id"],
            name=op.f("fk_mv_report_adjustments_esco_agreed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_agreed_by_user_id"],
            ["users.id"],
            name=op.f("fk_mv_report_adjustments_institution_agreed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_mv_report_adjustments_meter_id_meters")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_mv_report_adjustments_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"],
            ["users.id"],
            name=op.f("fk_mv_report_adjustments_proposed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["mv_reports.id"],
            name=op.f("fk_mv_report_adjustments_report_id_mv_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mv_report_adjustments")),
    )
    with op.batch_alter_table("mv_report_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mv_report_adjustments_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "mv_evidence_files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("adjustment_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["adjustment_id"],
            ["mv_report_adjustments.id"],
            name=op.f("fk_mv_evidence_files_adjustment_id_mv_report_adjustments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_mv_evidence_files_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["users.id"],
            name=op.f("fk_mv_evidence_files_uploaded_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mv_evidence_files")),
    )
    with op.batch_alter_table("mv_evidence_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mv_evidence_files_adjustment_id"), ["adjustment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mv_evidence_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mv_evidence_files_adjustment_id"))

    op.drop_table("mv_evidence_files")
    with op.batch_alter_table("mv_report_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mv_report_adjustments_report_id"))

    op.drop_table("mv_report_adjustments")
    with op.batch_alter_table("mv_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_mv_reports_status")
        batch_op.drop_index(batch_op.f("ix_mv_reports_project_id"))

    op.drop_table("mv_reports")
    op.drop_table("mv_plans")
    with op.batch_alter_table("baselines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_baselines_project_id"))

    op.drop_table("baselines")

"""watch: persistence snapshots, suspected non-routine events, shortfall and quota warnings,
watch settings

Revision ID: 0013_watch
Revises: 0012
Create Date: 2026-12-06 19:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_watch"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_quota_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_watch_quota_settings_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_quota_settings")),
        sa.UniqueConstraint(
            "organization_id", name=op.f("uq_watch_quota_settings_organization_id")
        ),
    )
    op.create_table(
        "watch_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("shortfall_probability", sa.Float(), nullable=False),
        sa.Column("missing_days", sa.String(length=20), nullable=False),
        sa.Column("fill_method", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_watch_settings_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_settings")),
        sa.UniqueConstraint("project_id", name=op.f("uq_watch_settings_project_id")),
    )
    op.create_table(
        "watch_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_key", sa.String(length=60), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("forecast", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("acknowledged_by_user_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_user_id"],
            ["users.id"],
            name=op.f("fk_watch_warnings_acknowledged_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_watch_warnings_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_watch_warnings_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_warnings")),
        sa.UniqueConstraint(
            "kind", "subject_key", "month", name=op.f("uq_watch_warnings_kind_subject_key_month")
        ),
    )
    with op.batch_alter_table("watch_warnings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watch_warnings_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_watch_warnings_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "watch_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("series", sa.JSON(), nullable=False),
        sa.Column("forecast", sa.JSON(), nullable=False),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_id"],
            ["baselines.id"],
            name=op.f("fk_watch_snapshots_baseline_id_baselines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_watch_snapshots_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_snapshots")),
        sa.UniqueConstraint("project_id", name=op.f("uq_watch_snapshots_project_id")),
    )
    op.create_table(
        "watch_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("change_per_day", sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column("change_percent", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_party", sa.String(length=20), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("adjustment_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adjustment_id"],
            ["mv_report_adjustments.id"],
            name=op.f("fk_watch_events_adjustment_id_mv_report_adjustments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["baseline_id"],
            ["baselines.id"],
            name=op.f("fk_watch_events_baseline_id_baselines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_watch_events_decided_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_watch_events_meter_id_meters")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_watch_events_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_events")),
        sa.UniqueConstraint(
            "project_id",
            "meter_id",
            "scope",
            "start_date",
            name=op.f("uq_watch_events_project_id_meter_id_scope_start_date"),
        ),
    )
    with op.batch_alter_table("watch_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watch_events_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("watch_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watch_events_project_id"))

    op.drop_table("watch_events")
    op.drop_table("watch_snapshots")
    with op.batch_alter_table("watch_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watch_warnings_project_id"))
        batch_op.drop_index(batch_op.f("ix_watch_warnings_organization_id"))

    op.drop_table("watch_warnings")
    op.drop_table("watch_settings")
    op.drop_table("watch_quota_settings")

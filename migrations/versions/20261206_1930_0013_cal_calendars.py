"""Calendars (statutory years, term calendars, a site's term calendar) and the plan's daily
model choice.

Existing M&V plans get ``baseline_model = 'classic'`` through the server default: a plan made
before day types existed never changes model.

Revision ID: 0013_cal
Revises: 0012
Create Date: 2026-12-06 19:30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_cal"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statutory_years",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "year BETWEEN 1990 AND 2100", name=op.f("ck_statutory_years_year_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statutory_years")),
        sa.UniqueConstraint("year", name=op.f("uq_statutory_years_year")),
    )
    op.create_table(
        "statutory_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statutory_year_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["statutory_year_id"],
            ["statutory_years.id"],
            name=op.f("fk_statutory_days_statutory_year_id_statutory_years"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statutory_days")),
        sa.UniqueConstraint(
            "statutory_year_id", "day", name=op.f("uq_statutory_days_statutory_year_id_day")
        ),
    )
    op.create_index(
        op.f("ix_statutory_days_statutory_year_id"),
        "statutory_days",
        ["statutory_year_id"],
        unique=False,
    )
    op.create_table(
        "term_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_term_calendars_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_calendars")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_term_calendars_organization_id_name")
        ),
    )
    op.create_index(
        op.f("ix_term_calendars_city_code"), "term_calendars", ["city_code"], unique=False
    )
    op.create_index(
        op.f("ix_term_calendars_organization_id"),
        "term_calendars",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "term_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_calendar_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.CheckConstraint("end_date > start_date", name=op.f("ck_term_periods_period_order")),
        sa.ForeignKeyConstraint(
            ["term_calendar_id"],
            ["term_calendars.id"],
            name=op.f("fk_term_periods_term_calendar_id_term_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_periods")),
    )
    op.create_index(
        op.f("ix_term_periods_term_calendar_id"), "term_periods", ["term_calendar_id"], unique=False
    )
    op.create_table(
        "site_term_calendars",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("term_calendar_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_term_calendars_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_calendar_id"],
            ["term_calendars.id"],
            name=op.f("fk_site_term_calendars_term_calendar_id_term_calendars"),
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_term_calendars")),
    )
    op.create_index(
        op.f("ix_site_term_calendars_term_calendar_id"),
        "site_term_calendars",
        ["term_calendar_id"],
        unique=False,
    )
    with op.batch_alter_table("mv_plans") as batch:
        batch.add_column(
            sa.Column(
                "baseline_model", sa.String(length=20), server_default="classic", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("mv_plans") as batch:
        batch.drop_column("baseline_model")
    op.drop_index(op.f("ix_site_term_calendars_term_calendar_id"), table_name="site_term_calendars")
    op.drop_table("site_term_calendars")
    op.drop_index(op.f("ix_term_periods_term_calendar_id"), table_name="term_periods")
    op.drop_table("term_periods")
    op.drop_index(op.f("ix_term_calendars_organization_id"), table_name="term_calendars")
    op.drop_index(op.f("ix_term_calendars_city_code"), table_name="term_calendars")
    op.drop_table("term_calendars")
    op.drop_index(op.f("ix_statutory_days_statutory_year_id"), table_name="statutory_days")
    op.drop_table("statutory_days")
    op.drop_table("statutory_years")

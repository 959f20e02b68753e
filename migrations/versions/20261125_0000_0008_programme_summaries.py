"""programme: per-region dashboard summary (programme_summaries), project list index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 00:00

The table is derived data. The upgrade fills it from the live tables with the counting rule as
it stands at this revision (signed, in a signed status, not terminated before operation); the
application keeps it in step from then on and rebuilds it nightly (``emc programme
rebuild-summary`` does the same on demand).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SIGNED = ("contracted", "implementing", "operating", "completed", "terminated")


def upgrade() -> None:
    summaries = op.create_table(
        "programme_summaries",
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=30), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("investment", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tce", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("tco2", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("cny", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint(
            "region_code", "dimension", "key", "year", "month", name=op.f("pk_programme_summaries")
        ),
    )
    _fill(summaries)
    # The programme's project list walks it backwards (newest signing first).
    op.create_index("ix_emc_projects_signed_on_id", "emc_projects", ["signed_on", "id"])


def _fill(summaries: sa.Table) -> None:
    projects = sa.table(
        "emc_projects",
        sa.column("id"),
        sa.column("organization_id"),
        sa.column("status"),
        sa.column("signed_on", sa.Date),
        sa.column("operation_start_on", sa.Date),
        sa.column("total_investment", sa.Numeric(14, 2)),
        sa.column("investor"),
    )
    orgs = sa.table(
        "organizations",
        sa.column("id"),
        sa.column("kind"),
        sa.column("region_code"),
        sa.column("sector"),
    )
    contracts = sa.table("contracts", sa.column("project_id"), sa.column("contract_type"))
    reports = sa.table(
        "mv_reports",
        sa.column("id"),
        sa.column("project_id"),
        sa.column("status"),
        sa.column("version"),
        sa.column("period_start", sa.Date),
        sa.column("tce_avoided", sa.Numeric(16, 4)),
        sa.column("tco2_avoided", sa.Numeric(16, 4)),
        sa.column("savings_value", sa.Numeric(14, 2)),
    )
    p, o, c = projects.c, orgs.c, contracts.c
    base = (
        sa.select()
        .select_from(projects)
        .join(orgs, o.id == p.organization_id)
        .outerjoin(contracts, c.project_id == p.id)
        .where(o.kind == "institution")
    )
    counted = sa.and_(
        p.signed_on.is_not(None),
        p.status.in_(SIGNED),
        sa.or_(p.status != "terminated", p.operation_start_on.is_not(None)),
    )
    year = sa.cast(sa.extract("year", p.signed_on), sa.Integer)
    month = sa.cast(sa.extract("month", p.signed_on), sa.Integer)
    zero, empty = sa.literal(0), sa.literal("")
    n = sa.func.count(p.id)
    money0, energy0 = sa.literal(0), sa.literal(0)
    ctype = sa.func.coalesce(c.contract_type, sa.literal("none"))
    sector = sa.func.coalesce(o.sector, sa.literal("other"))
    invested = sa.func.coalesce(sa.func.sum(p.total_investment), 0)
    selects = [
        base.add_columns(o.region_code, sa.literal("month"), empty, year, month, n)
        .where(counted)
        .group_by(o.region_code, year, month),
        base.add_columns(o.region_code, sa.literal("type"), ctype, year, zero, n)
        .where(counted)
        .group_by(o.region_code, year, ctype),
        base.add_columns(o.region_code, sa.literal("sector"), sector, year, zero, n)
        .where(counted)
        .group_by(o.region_code, year, sector),
        base.add_columns(o.region_code, sa.literal("status"), p.status, zero, zero, n).group_by(
            o.region_code, p.status
        ),
        base.add_columns(o.region_code, sa.literal("terminated_early"), empty, zero, zero, n)
        .where(p.status == "terminated", p.operation_start_on.is_(None), p.signed_on.is_not(None))
        .group_by(o.region_code),
    ]
    cols = ["region_code", "dimension", "key", "year", "month", "projects"]
    for stmt in selects:
        op.execute(
            summaries.insert().from_select(
                [*cols, "investment", "tce", "tco2", "cny"],
                stmt.add_columns(money0, energy0, energy0, money0),
            )
        )
    op.execute(
        summaries.insert().from_select(
            [*cols, "investment", "tce", "tco2", "cny"],
            base.add_columns(
                o.region_code,
                sa.literal("investor"),
                p.investor,
                year,
                zero,
                n,
                invested,
                energy0,
                energy0,
                money0,
            )
            .where(counted)
            .group_by(o.region_code, year, p.investor),
        )
    )
    r, newer = reports.c, reports.alias("newer").c
    latest = ~sa.exists().where(
        newer.project_id == r.project_id,
        newer.period_start == r.period_start,
        newer.status == "accepted",
        newer.version > r.version,
    )
    period_year = sa.cast(sa.extract("year", r.period_start), sa.Integer)
    op.execute(
        summaries.insert().from_select(
            [*cols, "investment", "tce", "tco2", "cny"],
            sa.select(
                o.region_code,
                sa.literal("savings"),
                empty,
                period_year,
                zero,
                sa.func.count(r.id),
                money0,
                sa.func.coalesce(sa.func.sum(r.tce_avoided), 0),
                sa.func.coalesce(sa.func.sum(r.tco2_avoided), 0),
                sa.func.coalesce(sa.func.sum(r.savings_value), 0),
            )
            .select_from(reports)
            .join(projects, p.id == r.project_id)
            .join(orgs, o.id == p.organization_id)
            .where(r.status == "accepted", latest, o.kind == "institution")
            .group_by(o.region_code, period_year),
        )
    )


def downgrade() -> None:
    op.drop_index("ix_emc_projects_signed_on_id", table_name="emc_projects")
    op.drop_table("programme_summaries")

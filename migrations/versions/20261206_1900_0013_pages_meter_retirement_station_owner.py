"""Meters can be retired; weather stations can belong to an institution.

``meters.retired_at`` / ``retired_reason``: a meter with readings is retired, never deleted.
``weather_stations.organization_id``: NULL for platform reference stations, else the owning
institution (its ESCOs read the station; only the owner and the platform write it).

Revision ID: 0013_pages
Revises: 0012
Create Date: 2026-12-06 19:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_pages"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retired_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("weather_stations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_weather_stations_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_weather_stations_organization_id_organizations"),
            "organizations",
            ["organization_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("weather_stations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_weather_stations_organization_id_organizations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_weather_stations_organization_id"))
        batch_op.drop_column("organization_id")
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_column("retired_reason")
        batch_op.drop_column("retired_at")

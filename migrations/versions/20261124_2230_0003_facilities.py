"""facilities: sites, buildings, meters, meter readings, uploads, weather, emission factors

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 22:30:00

``meter_readings`` and ``temperature_readings`` are keyed by (series, BIGINT UTC epoch seconds)
with no surrogate id, so that bulk loads stay cheap and PostgreSQL range partitioning by time
applies unchanged; on SQLite both are WITHOUT ROWID tables clustered by that key.

``emission_factors`` is seeded with the national reference values of DESIGN.md §5 (the
``emc.energy.DEFAULT_FACTORS`` of this revision), copied here as literal rows with their sources:
a migration must not import application code, whose values may change later.
"""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SEEDED_AT = dt.datetime(2026, 11, 24, 14, 30, tzinfo=dt.UTC)

# (carrier, kind, value, unit, year, scope, variant, source); region is NULL for all of them.
FACTORS = [
    (
        "electricity",
        "tce",
        "0.1229",
        "kgce/kWh",
        None,
        "national",
        "calorific",
        "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数 (电力, 当量值)",
    ),
    (
        "natural_gas",
        "tce",
        "1.2143",
        "kgce/m³",
        None,
        "fuel",
        None,
        "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数 (天然气; 参考范围 1.1000–1.3300)",
    ),
    (
        "coal",
        "tce",
        "0.7143",
        "kgce/kg",
        None,
        "fuel",
        None,
        "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数 (原煤)",
    ),
    (
        "gasoline",
        "tce",
        "1.4714",
        "kgce/kg",
        None,
        "fuel",
        None,
        "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数 (汽油)",
    ),
    (
        "diesel",
        "tce",
        "1.4571",
        "kgce/kg",
        None,
        "fuel",
        None,
        "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数 (柴油)",
    ),
    (
        "fuel_oil",
        "tce",
        "1.4286",
        "kgce/kg",
        None,
        "fuel",
        None,
        "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数 (燃料油)",
    ),
    (
        "lpg",
        "tce",
        "1.7143",
        "kgce/kg",
        None,
        "fuel",
        None,
        "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数 (液化石油气)",
    ),
    (
        "district_heat",
        "tce",
        "0.03412",
        "kgce/MJ",
        None,
        "fuel",
        None,
        "GB/T 2589-2020 综合能耗计算通则, 附录A 常用能源折标准煤参考系数 (热力, 当量值)",
    ),
    (
        "electricity",
        "co2",
        "0.5568",
        "kgCO2/kWh",
        2021,
        "national",
        "national_average",
        "生态环境部、国家统计局《关于发布2021年电力二氧化碳排放因子的公告》: 全国电力平均二氧化碳排放因子",
    ),
    (
        "electricity",
        "co2",
        "0.5366",
        "kgCO2/kWh",
        2022,
        "national",
        "national_average",
        "生态环境部、国家统计局《关于发布2022年电力二氧化碳排放因子的公告》: 全国电力平均二氧化碳排放因子",
    ),
    (
        "electricity",
        "co2",
        "0.5306",
        "kgCO2/kWh",
        2023,
        "national",
        "national_average",
        "生态环境部、国家统计局《关于发布2023年电力二氧化碳排放因子的公告》: 全国电力平均二氧化碳排放因子",
    ),
    (
        "electricity",
        "co2",
        "0.5703",
        "tCO2/MWh",
        2022,
        "national",
        "carbon_market",
        "生态环境部办公厅《关于做好2023—2025年发电行业企业温室气体排放报告管理有关工作的通知》（环办气候函〔2023〕43号）: 全国电网平均排放因子",
    ),
    (
        "natural_gas",
        "co2",
        "2.1622",
        "kgCO2/m³",
        None,
        "fuel",
        None,
        "国家发展改革委《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》(2015) 附录 缺省值: 低位发热量 389.31 GJ/10⁴Nm³ × 单位热值含碳量 15.3 tC/TJ × 碳氧化率 99% × 44/12",
    ),
    (
        "gasoline",
        "co2",
        "2.9251",
        "kgCO2/kg",
        None,
        "fuel",
        None,
        "国家发展改革委《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》(2015) 附录 缺省值: 低位发热量 43.070 GJ/t × 单位热值含碳量 18.9 tC/TJ × 碳氧化率 98% × 44/12",
    ),
    (
        "diesel",
        "co2",
        "3.0959",
        "kgCO2/kg",
        None,
        "fuel",
        None,
        "国家发展改革委《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》(2015) 附录 缺省值: 低位发热量 42.652 GJ/t × 单位热值含碳量 20.2 tC/TJ × 碳氧化率 98% × 44/12",
    ),
    (
        "coal",
        "co2",
        "1.90",
        "kgCO2/kg",
        None,
        "fuel",
        None,
        "国家发展改革委《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》(2015) 附录 缺省值: 低位发热量 20.908 GJ/t × 单位热值含碳量 26.37 tC/TJ × 碳氧化率 94% × 44/12 ≈ 1.900 (原煤)",
    ),
    (
        "district_heat",
        "co2",
        "0.11",
        "tCO2/GJ",
        None,
        "fuel",
        None,
        "国家发展改革委《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》(2015) 附录 缺省值: 热力供应排放因子",
    ),
    (
        "lpg",
        "co2",
        "3.1013",
        "kgCO2/kg",
        None,
        "fuel",
        None,
        "国家发展改革委《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》(2015) 附录 缺省值: 低位发热量 50.179 GJ/t × 单位热值含碳量 17.2 tC/TJ × 碳氧化率 98% × 44/12",
    ),
    (
        "fuel_oil",
        "co2",
        "3.1705",
        "kgCO2/kg",
        None,
        "fuel",
        None,
        "国家发展改革委《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》(2015) 附录 缺省值: 低位发热量 41.816 GJ/t × 单位热值含碳量 21.1 tC/TJ × 碳氧化率 98% × 44/12",
    ),
]


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "emission_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=20), nullable=True),
        sa.Column("variant", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_emission_factors_value_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emission_factors")),
        sa.UniqueConstraint(
            "carrier",
            "kind",
            "variant",
            "scope",
            "region",
            "year",
            name=op.f("uq_emission_factors_carrier_kind_variant_scope_region_year"),
        ),
    )
    op.create_table(
        "weather_stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_stations")),
        sa.UniqueConstraint("code", name=op.f("uq_weather_stations_code")),
    )
    op.create_table(
        "temperature_readings",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("start_ts", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("temperature_c", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["weather_stations.id"],
            name=op.f("fk_temperature_readings_station_id_weather_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", "start_ts", name=op.f("pk_temperature_readings")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weather_station_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sites_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_sites_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["weather_station_id"],
            ["weather_stations.id"],
            name=op.f("fk_sites_weather_station_id_weather_stations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_sites_organization_id_name")),
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sites_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "buildings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("floor_area_m2", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("building_type", sa.String(length=20), nullable=False),
        sa.Column("year_built", sa.Integer(), nullable=True),
        sa.Column("occupants", sa.Integer(), nullable=True),
        sa.Column("climate_zone", sa.String(length=30), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("floor_area_m2 > 0", name=op.f("ck_buildings_floor_area_positive")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_buildings_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildings")),
        sa.UniqueConstraint("site_id", "name", name=op.f("uq_buildings_site_id_name")),
    )
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_buildings_site_id"), ["site_id"], unique=False)

    op.create_table(
        "project_sites",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["emc_projects.id"],
            name=op.f("fk_project_sites_project_id_emc_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_project_sites_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "site_id", name=op.f("pk_project_sites")),
    )
    with op.batch_alter_table("project_sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_sites_site_id"), ["site_id"], unique=False)

    op.create_table(
        "meters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("carrier", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=True),
        sa.Column("multiplier", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("parent_meter_id", sa.Integer(), nullable=True),
        sa.Column("serial_number", sa.String(length=100), nullable=True),
        sa.Column("rollover", sa.Numeric(precision=16, scale=3), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "kind <> 'interval' OR interval_minutes IS NOT NULL",
            name=op.f("ck_meters_interval_has_minutes"),
        ),
        sa.CheckConstraint("multiplier > 0", name=op.f("ck_meters_multiplier_positive")),
        sa.CheckConstraint(
            "rollover IS NULL OR rollover > 0", name=op.f("ck_meters_rollover_positive")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_meters_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["parent_meter_id"], ["meters.id"], name=op.f("fk_meters_parent_meter_id_meters")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_meters_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meters")),
        sa.UniqueConstraint("site_id", "name", name=op.f("uq_meters_site_id_name")),
    )
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meters_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meters_site_id"), ["site_id"], unique=False)

    op.create_table(
        "meter_readings",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("start_ts", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_ts", sa.BigInteger(), nullable=True),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("quality", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["meters.id"],
            name=op.f("fk_meter_readings_meter_id_meters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meter_id", "start_ts", name=op.f("pk_meter_readings")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "reading_uploads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("first_ts", sa.BigInteger(), nullable=True),
        sa.Column("last_ts", sa.BigInteger(), nullable=True),
        sa.Column("source_unit", sa.String(length=20), nullable=True),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_count", sa.Integer(), nullable=False),
        sa.Column("replaced_first_ts", sa.BigInteger(), nullable=True),
        sa.Column("replaced_last_ts", sa.BigInteger(), nullable=True),
        sa.Column("replaced_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["meters.id"],
            name=op.f("fk_reading_uploads_meter_id_meters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["users.id"],
            name=op.f("fk_reading_uploads_uploaded_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_uploads")),
    )
    with op.batch_alter_table("reading_uploads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reading_uploads_meter_sha256", ["meter_id", "sha256"], unique=False
        )

    factors = sa.table(
        "emission_factors",
        sa.column("carrier", sa.String),
        sa.column("kind", sa.String),
        sa.column("value", sa.Numeric(18, 8)),
        sa.column("unit", sa.String),
        sa.column("year", sa.Integer),
        sa.column("scope", sa.String),
        sa.column("region", sa.String),
        sa.column("variant", sa.String),
        sa.column("source", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        factors,
        [
            {
                "carrier": carrier,
                "kind": kind,
                "value": Decimal(value),
                "unit": unit,
                "year": year,
                "scope": scope,
                "region": None,
                "variant": variant,
                "source": source,
                "created_at": _SEEDED_AT,
            }
            for carrier, kind, value, unit, year, scope, variant, source in FACTORS
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("reading_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_reading_uploads_meter_sha256")
    op.drop_table("reading_uploads")
    op.drop_table("meter_readings")
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meters_site_id"))
        batch_op.drop_index(batch_op.f("ix_meters_building_id"))
    op.drop_table("meters")
    with op.batch_alter_table("project_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_sites_site_id"))
    op.drop_table("project_sites")
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buildings_site_id"))
    op.drop_table("buildings")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_organization_id"))
    op.drop_table("sites")
    op.drop_table("temperature_readings")
    op.drop_table("weather_stations")
    op.drop_table("emission_factors")

"""reference data: the published regional (2022, 2023) and provincial (2022) grid CO2 factors

Values of the MEE/NBS announcements 《关于发布2022年电力二氧化碳排放因子的公告》 (dated
2024-12-20) and 《关于发布2023年电力二氧化碳排放因子的公告》, as reported by the press articles
cited in each row's source (the announcement tables themselves were not in the stored sources
this was written from). Only the values those articles print are seeded: all seven regional
grids for 2022 and 2023, and the ten provinces named for 2022 (the five highest and five
lowest). Other provinces and the 2023 provincial values are left for an administrator to add
with their source; no value is made up.

Revision ID: 0014_settle
Revises: 0013_settle
Create Date: 2026-12-06 19:30
"""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0014_settle"
down_revision = "0013_settle"
branch_labels = None
depends_on = None

_SEEDED_AT = dt.datetime(2026, 12, 6, 19, 30, tzinfo=dt.UTC)
_ANNOUNCEMENT = "生态环境部、国家统计局《关于发布{year}年电力二氧化碳排放因子的公告》"
_2022 = (
    _ANNOUNCEMENT.format(year=2022)
    + "（2024年12月20日）: {what}; 数值据新京报零碳研究院报道《2022年电力二氧化碳排放因子公布，"
    "比上一年降低3.6%》 https://daydaynews.cc/zh-hant/finance/3899452.html"
)
_2023 = (
    _ANNOUNCEMENT.format(year=2023)
    + ": {what}; 数值据光明日报报道《数据显示：我国发电能源结构持续优化》 "
    "https://www.163.com/dy/article/KIQVBKCG05567I2C.html"
)
_REGION = "区域电力平均二氧化碳排放因子（{name}）"
_PROVINCE = "省级电力平均二氧化碳排放因子（{name}）"

# (scope, region, year, value kgCO2/kWh, source)
ROWS = [
    *(
        ("regional", name, 2022, value, _2022.format(what=_REGION.format(name=name)))
        for name, value in (
            ("华北", "0.6776"),
            ("东北", "0.5564"),
            ("华东", "0.5617"),
            ("华中", "0.5395"),
            ("西北", "0.5857"),
            ("南方", "0.3869"),
            ("西南", "0.2268"),
        )
    ),
    *(
        ("regional", name, 2023, value, _2023.format(what=_REGION.format(name=name)))
        for name, value in (
            ("华北", "0.6361"),
            ("东北", "0.5122"),
            ("华东", "0.5500"),
            ("华中", "0.5271"),
            ("西北", "0.5543"),
            ("南方", "0.4042"),
            ("西南", "0.2472"),
        )
    ),
    *(
        ("provincial", code, 2022, value, _2022.format(what=_PROVINCE.format(name=name)))
        for code, name, value in (
            ("130000", "河北", "0.7252"),
            ("140000", "山西", "0.7096"),
            ("120000", "天津", "0.7041"),
            ("150000", "内蒙古", "0.6849"),
            ("340000", "安徽", "0.6782"),
            ("350000", "福建", "0.4092"),
            ("450000", "广西", "0.4044"),
            ("630000", "青海", "0.1567"),
            ("510000", "四川", "0.1404"),
            ("530000", "云南", "0.1073"),
        )
    ),
]

_factors = sa.table(
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
    sa.column("supersedes_id", sa.Integer),
)


def upgrade() -> None:
    bind = op.get_bind()
    existing = {
        (scope, region, year)
        for scope, region, year in bind.execute(
            sa.select(_factors.c.scope, _factors.c.region, _factors.c.year).where(
                _factors.c.carrier == "electricity",
                _factors.c.kind == "co2",
                _factors.c.variant == "national_average",
                _factors.c.supersedes_id.is_(None),
            )
        )
    }
    # An administrator may already have entered one of these: theirs stands.
    op.bulk_insert(
        _factors,
        [
            {
                "carrier": "electricity",
                "kind": "co2",
                "value": Decimal(value),
                "unit": "kgCO2/kWh",
                "year": year,
                "scope": scope,
                "region": region,
                "variant": "national_average",
                "source": source,
                "created_at": _SEEDED_AT,
            }
            for scope, region, year, value, source in ROWS
            if (scope, region, year) not in existing
        ],
    )


def downgrade() -> None:
    for scope, region, year, _value, source in ROWS:
        op.execute(
            _factors.delete().where(
                _factors.c.scope == scope,
                _factors.c.region == region,
                _factors.c.year == year,
                _factors.c.source == source,
            )
        )

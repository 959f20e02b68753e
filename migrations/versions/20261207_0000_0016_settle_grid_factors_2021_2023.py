"""reference data: the 2021 regional grid CO2 factors, and the 2021 and 2023 provincial factors
of the ten provinces whose 2022 factor is already seeded

Values of the MEE/NBS announcements, each row citing its announcement, number, date and the
official table it is in:

* 《关于发布2021年电力二氧化碳排放因子的公告》（公告2024年第12号，2024-04-12）;
* 《关于发布2023年电力二氧化碳排放因子的公告》（公告2025年第47号，2025-12-31）.

The official tables (PDF attachments) were not in the stored sources this was written from;
the values were read from a public transcription of all three years' tables
(edg127117/building-energy-carbon-platform, ``src/main/resources/carbon/
electricity-average-factors.csv`` at commit 13b659863ca98cf1f26ccd2eda38619e5c83a0f4), which
cites the same announcements and URLs. It agrees with every value already seeded from the press
(0014_settle: the 2022 and 2023 regional values, the ten 2022 provincial values, the national
values of DEFAULT_FACTORS), and its 2023 values for 四川, 河南, 福建 and 广东 agree with other
independent transcriptions.

Deliberately left out: the provinces not seeded so far (北京, 上海, 江苏, 浙江, 广东, …). A
provincial factor is applied to every site of its province as soon as it exists (the most
specific scope wins), so seeding them would silently change the tCO2 figures of every
institution there, the demonstration school in 杭州 included. The ten provinces here already
have their 2022 provincial factor applied; without 2021 and 2023 their sites switch between the
national factor (2021, 2023) and the provincial one (2022) from year to year, which is what the
−7 % comparison must not do. Regional factors stay unapplied (no province is mapped to a grid).

Revision ID: 0016_settle
Revises: 0015
Create Date: 2026-12-07 00:00
"""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0016_settle"
down_revision = "0015"
branch_labels = None
depends_on = None

_SEEDED_AT = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
_TRANSCRIPTION = (
    "数值据 edg127117/building-energy-carbon-platform electricity-average-factors.csv "
    "(commit 13b65986) 对公告附表的转录"
)
_ANNOUNCEMENTS = {
    2021: (
        "生态环境部、国家统计局《关于发布2021年电力二氧化碳排放因子的公告》"
        "（公告2024年第12号，2024年4月12日）附件1: {what}; "
        "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202404/W020240412827267102800.pdf; "
        + _TRANSCRIPTION
    ),
    2023: (
        "生态环境部、国家统计局《关于发布2023年电力二氧化碳排放因子的公告》"
        "（公告2025年第47号，2025年12月31日）附件: {what}; "
        "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202512/W020251231726284332528.pdf; "
        + _TRANSCRIPTION
    ),
}
_REGION = "区域电力平均二氧化碳排放因子（{name}）"
_PROVINCE = "省级电力平均二氧化碳排放因子（{name}）"

# (code, name, 2021 value, 2023 value) kgCO2/kWh
_PROVINCES = (
    ("130000", "河北", "0.7901", "0.6516"),
    ("140000", "山西", "0.7222", "0.6634"),
    ("120000", "天津", "0.7355", "0.6796"),
    ("150000", "内蒙古", "0.7025", "0.6479"),
    ("340000", "安徽", "0.7075", "0.6553"),
    ("350000", "福建", "0.4711", "0.4211"),
    ("450000", "广西", "0.5154", "0.4476"),
    ("630000", "青海", "0.1326", "0.1796"),
    ("510000", "四川", "0.1255", "0.1564"),
    ("530000", "云南", "0.1235", "0.1333"),
)

# (scope, region, year, value kgCO2/kWh, source)
ROWS = [
    *(
        ("regional", name, 2021, value, _ANNOUNCEMENTS[2021].format(what=_REGION.format(name=name)))
        for name, value in (
            ("华北", "0.7120"),
            ("东北", "0.6012"),
            ("华东", "0.5992"),
            ("华中", "0.5354"),
            ("西北", "0.5951"),
            ("南方", "0.4326"),
            ("西南", "0.2113"),
        )
    ),
    *(
        (
            "provincial",
            code,
            year,
            value,
            _ANNOUNCEMENTS[year].format(what=_PROVINCE.format(name=name)),
        )
        for code, name, v2021, v2023 in _PROVINCES
        for year, value in ((2021, v2021), (2023, v2023))
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

"""reference data: the provincial grid CO2 factors of the twenty provinces not yet seeded, for
2021, 2022 and 2023, so that every province the announcements cover has its factor every year

Values of the MEE/NBS announcements, each row citing its announcement, number, date and the
official table it is in:

* 《关于发布2021年电力二氧化碳排放因子的公告》（公告2024年第12号，2024-04-12）;
* 《关于发布2022年电力二氧化碳排放因子的公告》（公告2024年第33号，published 2024-12-26);
* 《关于发布2023年电力二氧化碳排放因子的公告》（公告2025年第47号，2025-12-31）.

As for 0016_settle, the values were read from the public transcription of all three years'
tables (edg127117/building-energy-carbon-platform, ``src/main/resources/carbon/
electricity-average-factors.csv`` at commit 13b659863ca98cf1f26ccd2eda38619e5c83a0f4), which
agrees with every official value seeded before (national, regional, and the ten provinces of
0014_settle/0016_settle). The tables cover 30 provinces; 西藏 has no provincial (nor regional)
value and keeps the national factor.

A provincial factor applies to every site of its province from now on (the most specific scope
wins, DESIGN.md §5): new M&V reports, audits submitted from now and statistics entered from now
use it. Figures already stored keep the factor they were computed with (M&V reports and
statistics store their tonnes and factor rows; an audit its factor snapshot).

Revision ID: 0017_factors
Revises: 0017 (the merge of 0016_settle and 0016_wf)
Create Date: 2026-12-07 00:30
"""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0017_factors"
down_revision = "0017"
branch_labels = None
depends_on = None

_SEEDED_AT = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC)
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
    2022: (
        "生态环境部、国家统计局《关于发布2022年电力二氧化碳排放因子的公告》"
        "（公告2024年第33号，2024年12月26日发布）: {what}; "
        "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202412/t20241226_1099413.html; "
        + _TRANSCRIPTION
    ),
    2023: (
        "生态环境部、国家统计局《关于发布2023年电力二氧化碳排放因子的公告》"
        "（公告2025年第47号，2025年12月31日）附件: {what}; "
        "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202512/W020251231726284332528.pdf; "
        + _TRANSCRIPTION
    ),
}
_PROVINCE = "省级电力平均二氧化碳排放因子（{name}）"

# (code, name, 2021, 2022, 2023) kgCO2/kWh
_PROVINCES = (
    ("110000", "北京", "0.5688", "0.5580", "0.5554"),
    ("210000", "辽宁", "0.5876", "0.5626", "0.4878"),
    ("220000", "吉林", "0.5629", "0.4932", "0.4671"),
    ("230000", "黑龙江", "0.6342", "0.5368", "0.5229"),
    ("310000", "上海", "0.5834", "0.5849", "0.5737"),
    ("320000", "江苏", "0.6451", "0.5978", "0.5827"),
    ("330000", "浙江", "0.5422", "0.5153", "0.4974"),
    ("360000", "江西", "0.5835", "0.5752", "0.5836"),
    ("370000", "山东", "0.6838", "0.6410", "0.6191"),
    ("410000", "河南", "0.6369", "0.6058", "0.5897"),
    ("420000", "湖北", "0.3672", "0.4364", "0.4044"),
    ("430000", "湖南", "0.5138", "0.4900", "0.4976"),
    ("440000", "广东", "0.4715", "0.4403", "0.4419"),
    ("460000", "海南", "0.4524", "0.4184", "0.3648"),
    ("500000", "重庆", "0.4743", "0.5227", "0.5581"),
    ("520000", "贵州", "0.5182", "0.4989", "0.5683"),
    ("610000", "陕西", "0.6336", "0.6558", "0.6335"),
    ("620000", "甘肃", "0.4955", "0.4772", "0.4471"),
    ("640000", "宁夏", "0.6546", "0.6423", "0.6187"),
    ("650000", "新疆", "0.6577", "0.6231", "0.6021"),
)

# (scope, region, year, value kgCO2/kWh, source)
ROWS = [
    (
        "provincial",
        code,
        year,
        value,
        _ANNOUNCEMENTS[year].format(what=_PROVINCE.format(name=name)),
    )
    for code, name, *values in _PROVINCES
    for year, value in zip((2021, 2022, 2023), values, strict=True)
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

"""The energy audit report (PDF): scope, energy structure, monthly profile, indicators against
the quota, ECMs with payback, conclusions. Data in, bytes out (no Flask, no queries).

Chinese by default, English on request; figures arrive unrounded and are rounded here for print
only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from emc.reports import pdf


@dataclass(frozen=True)
class EcmRow:
    name: str
    category: str
    savings_tce: Decimal | None
    savings_tco2: Decimal | None
    savings_money: Decimal | None
    investment: Decimal | None
    payback_years: Decimal | None
    contract_type: str
    status: str


@dataclass(frozen=True)
class AuditReport:
    """What the report prints. Labels (carriers, categories, levels) arrive already in the
    report's language; ``indicators`` are (label, value text, unit, quota text) rows."""

    title: str
    institution: str
    auditor: str
    level: str
    period: str
    status: str
    version: int
    generated_at: dt.datetime
    scope: list[tuple[str, str, str, str]]  # site, building, type, floor area
    structure: list[tuple[str, Decimal]]  # carrier label, tce
    # label, quantity, tce, tCO2, cost (None: a counted month has no cost)
    carriers: list[tuple[str, str, Decimal, Decimal, Decimal | None]]
    months: list[tuple[str, Decimal]]  # "2024-01", tce
    indicators: list[tuple[str, str, str, str]]
    flags: list[str]
    ecms: list[EcmRow] = field(default_factory=list)
    conclusions: str = ""
    factor_note: str = ""
    zone: str = pdf.DEFAULT_ZONE  # the site's timezone, for the time of generation
    # The factors used: (header row first) carrier, kind, value and unit, factor of, years, source
    factors: list[list[str]] = field(default_factory=list)
    factors_title: str = ""


_LABELS = {
    "zh_CN": {
        "report": "能源审计报告",
        "scope": "一、审计范围",
        "site": "场所",
        "building": "建筑",
        "type": "类型",
        "area": "建筑面积 (m²)",
        "structure": "二、能源消费结构",
        "carrier": "能源品种",
        "quantity": "实物量",
        "tce": "折标准煤 (tce)",
        "tco2": "二氧化碳 (tCO2)",
        "cost": "费用 (元)",
        "pie": "能源结构（按折标准煤）",
        "profile": "三、逐月能耗",
        "monthly": "逐月综合能耗",
        "indicators": "四、能耗指标与定额对比",
        "indicator": "指标",
        "value": "数值",
        "unit": "单位",
        "quota": "定额对比",
        "flags": "能源费用托管适宜性",
        "no_flags": "未发现托管适宜性标志。",
        "ecms": "五、节能措施",
        "name": "措施",
        "category": "类别",
        "money": "年节约 (元)",
        "investment": "投资 (元)",
        "payback": "回收期 (年)",
        "contract": "推荐合同类型",
        "status": "状态",
        "no_ecms": "无节能措施。",
        "conclusions": "六、结论与建议",
        "meta": "委托单位：{institution}；审计单位：{auditor}；审计深度：{level}；基准期：{period}；"
        "状态：{status}；版本：{version}",
        "total": "合计",
    },
    "en": {
        "report": "Energy audit report",
        "scope": "1. Scope",
        "site": "Site",
        "building": "Building",
        "type": "Type",
        "area": "Floor area (m²)",
        "structure": "2. Energy structure",
        "carrier": "Carrier",
        "quantity": "Quantity",
        "tce": "Standard coal (tce)",
        "tco2": "CO2 (tCO2)",
        "cost": "Cost (yuan)",
        "pie": "Energy structure (by tce)",
        "profile": "3. Monthly profile",
        "monthly": "Total energy by month",
        "indicators": "4. Indicators against the quota",
        "indicator": "Indicator",
        "value": "Value",
        "unit": "Unit",
        "quota": "Against quota",
        "flags": "Suitability for energy-cost custody",
        "no_flags": "No custody suitability flags.",
        "ecms": "5. Energy conservation measures",
        "name": "Measure",
        "category": "Category",
        "money": "Savings (yuan/a)",
        "investment": "Investment (yuan)",
        "payback": "Payback (years)",
        "contract": "Contract type",
        "status": "Status",
        "no_ecms": "No measures.",
        "conclusions": "6. Conclusions and recommendations",
        "meta": "Institution: {institution}; auditor: {auditor}; level: {level}; base period: "
        "{period}; status: {status}; version: {version}",
        "total": "Total",
    },
}


def _q(value: Decimal | None, places: int) -> str:
    if value is None:
        return ""
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"


def build(report: AuditReport, locale: str = "zh_CN") -> bytes:
    """The report as PDF bytes."""
    t = _LABELS["en" if locale.startswith("en") else "zh_CN"]
    story: list = [
        pdf.paragraph(escape(report.title), "h1"),
        pdf.paragraph(
            t["meta"].format(
                institution=report.institution,
                auditor=report.auditor,
                level=report.level,
                period=report.period,
                status=report.status,
                version=report.version,
            )
        ),
        pdf.paragraph(t["scope"], "h2"),
        pdf.table(
            [
                [t["site"], t["building"], t["type"], t["area"]],
                *[[escape(c) for c in r] for r in report.scope],
            ],
            numeric_cols=(3,),
        ),
        pdf.paragraph(t["structure"], "h2"),
    ]
    rows = [[t["carrier"], t["quantity"], t["tce"], t["tco2"], t["cost"]]]
    costs = [c[4] for c in report.carriers]
    for label, quantity, tce, tco2, cost in report.carriers:
        shown = pdf.money(_round_money(cost)) if cost is not None else "—"
        rows.append([label, quantity, _q(tce, 3), _q(tco2, 3), shown])
    if report.carriers:
        rows.append(
            [
                t["total"],
                "",
                _q(sum((c[2] for c in report.carriers), Decimal(0)), 3),
                _q(sum((c[3] for c in report.carriers), Decimal(0)), 3),
                # A total of known and unknown costs is unknown.
                pdf.money(_round_money(sum(costs, Decimal(0)))) if None not in costs else "—",
            ]
        )
    story.append(pdf.table(rows, numeric_cols=(1, 2, 3, 4)))
    if any(v > 0 for _l, v in report.structure):
        story += [
            pdf.spacer(),
            pdf.pie_chart(
                [label for label, _v in report.structure],
                [float(v) for _l, v in report.structure],
                title=t["pie"],
            ),
        ]
    story.append(pdf.paragraph(t["profile"], "h2"))
    if report.months:
        story.append(
            pdf.line_chart(
                [m[2:] for m, _v in report.months],
                {t["tce"]: [float(v) for _m, v in report.months]},
                title=t["monthly"],
                unit="tce",
            )
        )
    story += [
        pdf.paragraph(t["indicators"], "h2"),
        pdf.table(
            [
                [t["indicator"], t["value"], t["unit"], t["quota"]],
                *[list(r) for r in report.indicators],
            ],
            numeric_cols=(1,),
        ),
        pdf.paragraph(t["flags"], "h2"),
    ]
    story += [pdf.paragraph(f) for f in report.flags] or [pdf.paragraph(t["no_flags"])]
    story.append(pdf.paragraph(t["ecms"], "h2"))
    if report.ecms:
        ecm_rows = [
            [
                t["name"],
                t["category"],
                t["tce"],
                t["money"],
                t["investment"],
                t["payback"],
                t["contract"],
                t["status"],
            ]
        ]
        for e in report.ecms:
            ecm_rows.append(
                [
                    escape(e.name),
                    e.category,
                    _q(e.savings_tce, 1),
                    pdf.money(e.savings_money),
                    pdf.money(e.investment),
                    _q(e.payback_years, 1),
                    e.contract_type,
                    e.status,
                ]
            )
        story.append(pdf.table(ecm_rows, numeric_cols=(2, 3, 4, 5)))
    else:
        story.append(pdf.paragraph(t["no_ecms"]))
    story.append(pdf.paragraph(t["conclusions"], "h2"))
    story.append(pdf.paragraph(escape(report.conclusions or "—").replace("\n", "<br/>")))
    if report.factors:
        rows = [[escape(c) for c in r] for r in report.factors]
        story += [
            pdf.spacer(),
            pdf.keep_together(
                [
                    pdf.paragraph(escape(report.factors_title), "h2"),
                    pdf.table(rows, col_widths=[52, 62, 92, 80, 52, 155]),
                ]
            ),
        ]
    if report.factor_note:
        story += [pdf.spacer(), pdf.paragraph(report.factor_note, "small")]
    info = pdf.PageInfo(
        title=t["report"],
        subtitle=f"{report.institution} / {report.auditor}",
        generated_at=report.generated_at,
        zone=report.zone,
    )
    return pdf.build_pdf(info, story)


def _round_money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

"""The printable programme summary of one region: progress against the target, the counting
rule, sub-regions, breakdowns, verified savings, investment and intensity. Data in, bytes out.

Takes the dashboard data (``emc.programme.service.Dashboard``) and label functions from the
caller, so it runs no query and needs no request; text is in the reader's language through
``emc.i18n.translate``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from emc import clock
from emc.i18n import N_, translate
from emc.reports import pdf


def _pct(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _num(value: Any, digits: int = 1) -> str:
    return "" if value is None else pdf.quantity(Decimal(value), digits)


def build(
    data: Any,
    *,
    type_label: Callable[[str], str],
    sector_label: Callable[[str], str],
    locale: str = "zh_CN",
    zone: str = pdf.DEFAULT_ZONE,
) -> bytes:
    """The summary PDF of ``data`` (a ``Dashboard``); the time of generation on the wall clock
    of ``zone`` (the site's timezone)."""

    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    region, window, prog = data.region, data.window, data.progress
    title = t(N_("Programme summary: %(region)s"), region=region["name"])
    period = f"{window['start_year']}–{window['end_year']}"
    story: list = [
        pdf.paragraph(title, "h1"),
        pdf.paragraph(
            t(N_("Window %(period)s, as of %(date)s"), period=period, date=data.as_of.isoformat())
        ),
        pdf.paragraph(t(N_("Progress")), "h2"),
        pdf.table(
            [
                [
                    t(N_("Counted projects")),
                    t(N_("Target")),
                    t(N_("Share of target")),
                    t(N_("Expected by now")),
                    t(N_("Projected at window end")),
                ],
                [
                    str(prog["counted"]),
                    "" if prog["target"] is None else str(prog["target"]),
                    _pct(prog["share"]),
                    # Numbers of projects: whole numbers, never "180.0".
                    _num(prog["expected"], 0),
                    _num(prog["projected"], 0),
                ],
            ],
            numeric_cols=(0, 1, 2, 3, 4),
        ),
        pdf.paragraph(
            t(
                N_(
                    "Energy-cost custody projects: %(n)s. Terminated before operation (listed, "
                    "not counted): %(m)s."
                ),
                n=prog["custody"],
                m=prog["terminated_before_operation"],
            ),
            "small",
        ),
        pdf.paragraph(t(N_("Counting rule")), "h2"),
        pdf.paragraph(data.counting_rule, "small"),
    ]
    if data.monthly:
        step = max(1, len(data.monthly) // 12)
        months = data.monthly[::step]
        story += [
            pdf.spacer(),
            pdf.line_chart(
                [m["month"] for m in months],
                {t(N_("Counted (cumulative)")): [m["cumulative"] for m in months]},
                title=t(N_("Signed projects, cumulative by month")),
            ),
        ]
    if data.children:
        rows = [
            [t(N_("Region")), t(N_("Counted projects")), t(N_("Target")), t(N_("Share of target"))]
        ]
        rows += [
            [
                c["name"],
                str(c["counted"]),
                "" if c["target"] is None else str(c["target"]),
                _pct(c["share"]),
            ]
            for c in data.children
            if c["counted"] or c["target"]
        ]
        story += [
            pdf.paragraph(t(N_("Sub-regions")), "h2"),
            pdf.table(rows, numeric_cols=(1, 2, 3)),
        ]
    story += [
        pdf.paragraph(t(N_("Breakdowns")), "h2"),
        pdf.table(
            [[t(N_("Contract type")), t(N_("Counted projects"))]]
            + [[type_label(r["key"]), str(r["counted"])] for r in data.by_type],
            numeric_cols=(1,),
        ),
        pdf.table(
            [[t(N_("Sector")), t(N_("Counted projects"))]]
            + [[sector_label(r["key"]), str(r["counted"])] for r in data.by_sector],
            numeric_cols=(1,),
        ),
    ]
    sav, inv = data.savings, data.investment
    story += [
        pdf.paragraph(t(N_("Verified savings and investment")), "h2"),
        pdf.table(
            [
                [
                    t(N_("Verified savings (tce)")),
                    t(N_("Avoided CO2 (t)")),
                    t(N_("Value at contract prices (yuan)")),
                    t(N_("Private investment (yuan)")),
                    t(N_("Total investment (yuan)")),
                ],
                [
                    _num(sav["tce"]),
                    _num(sav["tco2"]),
                    pdf.money(sav["cny"]),
                    pdf.money(inv["private"]),
                    pdf.money(inv["total"]),
                ],
            ],
            numeric_cols=(0, 1, 2, 3, 4),
        ),
        pdf.paragraph(t(N_("From %(n)s accepted M&V reports."), n=sav["reports"]), "small"),
    ]
    if sav.get("interval"):
        text = sav["interval"]["text"]
        story.append(
            pdf.paragraph(
                t(
                    N_("90 %% intervals: %(tce)s; %(co2)s; %(cny)s."),
                    tce=text["tce"],
                    co2=text["tco2"],
                    cny=text["cny"],
                ),  # fmt: skip
                "small",
            )
        )
    inten = data.intensity
    if inten["years"]:
        rows = [
            [
                t(N_("Calendar year")),
                t(N_("Institutions")),
                t(N_("Floor area (m²)")),
                t(N_("Energy (kgce/m²)")),
                t(N_("CO2 (kg/m²)")),
            ]
        ]
        rows += [
            [
                str(y["year"]),
                str(y["institutions"]),
                _num(y["floor_area_m2"], 0),
                _num(y["energy_kgce_per_m2"], 2),
                _num(y["co2_kg_per_m2"], 2),
            ]
            for y in inten["years"]
        ]
        story += [
            pdf.paragraph(t(N_("Energy and CO2 per m²")), "h2"),
            pdf.table(rows, numeric_cols=(0, 1, 2, 3, 4)),
        ]
        for key, label in (("energy", N_("Energy per m²")), ("co2", N_("CO2 per m²"))):
            change = inten[key]
            if not change:
                continue
            params = {
                "what": t(label),
                "change": change["change_pct"],
                "base": change["base_year"],
                "year": change["year"],
            }
            if change["target_reduction_pct"] is None:
                # No target set: say the change alone, never "(target −–%)".
                sentence = t(N_("%(what)s: %(change)s%% from %(base)s to %(year)s"), **params)
            else:
                sentence = t(
                    N_("%(what)s: %(change)s%% from %(base)s to %(year)s (target −%(target)s%%)."),
                    target=change["target_reduction_pct"],
                    **params,
                )
            story.append(pdf.paragraph(sentence))
    info = pdf.PageInfo(
        title=title,
        subtitle=period,
        generated_at=clock.now(),
        footer=pdf.footer(t, title),
        zone=zone,
    )
    return pdf.build_pdf(info, story)

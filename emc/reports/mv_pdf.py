"""PDFs of the M&V workflow: the M&V report and the baseline approval sheet. Data in, bytes out.

Chinese by default, English with ``locale="en"``; labels are English msgids translated through
the catalog (:func:`emc.i18n.translate`). Built on the shared template of :mod:`emc.reports.pdf`.
The callers gather everything into :class:`MvPdfContext` (names of the parties and people), so
this module touches no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from emc import labels
from emc.i18n import N_, translate
from emc.labels import STIPULATED_LABELS, derivation, factor_source, model_form
from emc.mv.warning_labels import say_warning
from emc.reports import pdf

# Stored values printed through the catalog: marked here so that extraction finds them.
_VALUES = (
    N_("proposed"),
    N_("approved"),
    N_("rejected"),
    N_("superseded"),
    N_("draft"),
    N_("submitted"),
    N_("accepted"),
    N_("disputed"),
    N_("daily"),
    N_("billing"),
    N_("hourly"),
    N_("stipulated"),
    N_("electricity"),
    N_("natural_gas"),
    N_("district_heat"),
    N_("coal"),
    N_("diesel"),
    N_("gasoline"),
    N_("lpg"),
    N_("fuel_oil"),
    N_("water"),
    N_("pv_generation"),
)

# Labels used inside formatted strings: named here so that extraction sees each msgid (an
# N_() inside an f-string is invisible to it, and the label would stay English).
CALIBRATED = N_("Calibrated (ASHRAE Guideline 14)")
END_EXCLUSIVE = N_("end exclusive")
G14_VERDICT = N_("G14 verdict")
OBSERVED_VS_MODELLED = N_("observed vs modelled daily use")
PROPOSED_BY = N_("Proposed by")
DECIDED_BY = N_("Decided by")
COMMENT = N_("Comment")
REASON_FOR_VERSION = N_("Reason for this version")
VERSION = N_("version")
STALE = N_("Stale")
OBSERVED_VS_ADJUSTED = N_("observed vs adjusted baseline")
CUMULATIVE_SAVINGS = N_("cumulative savings with uncertainty")


@dataclass(frozen=True)
class MvPdfContext:
    """What the PDFs print besides the report or baseline itself."""

    project_name: str
    institution: str
    esco: str
    generated_at: dt.datetime
    people: dict[int, str] = field(default_factory=dict)  # user id → name
    meters: dict[int, str] = field(default_factory=dict)  # meter id → name
    versions: list[dict[str, Any]] = field(default_factory=list)
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    # Evidence files of the baseline: {"filename", "sha256"} (option D simulation results).
    evidence: list[dict[str, Any]] = field(default_factory=list)
    zone: str = pdf.DEFAULT_ZONE  # the site's timezone, for the time of generation
    regions: dict[str, str] = field(default_factory=dict)  # GB/T 2260 code → name


def _para(text: str, style: str = "body") -> Any:
    # reportlab paragraphs parse markup: "M&V" must reach them as "M&amp;V".
    return pdf.paragraph(escape(text), style)


def _table(rows, **kw) -> Any:
    return pdf.table([[escape(c) if isinstance(c, str) else c for c in row] for row in rows], **kw)


def _parameter(t, name: str) -> str:
    """A stipulated or measured parameter's name in the page language (a name of the user's own
    as typed)."""
    msgid = STIPULATED_LABELS.get(name)
    return t(msgid) if msgid else escape(name)


def _f(v: Any, digits: int = 1) -> str:
    return "—" if v is None else pdf.quantity(float(v), digits)


def _pct(v: Any) -> str:
    return "—" if v is None else f"{float(v) * 100:.1f} %"


def _baseline_verdict(t, baseline: Any) -> str:
    sufficiency = getattr(baseline, "sufficiency", None) or {}
    if sufficiency and not sufficiency.get("sufficient", True):
        return t(N_("insufficient data"))
    return _yes(t, baseline.verdict_passed)


def _report_verdict(t, verdict: dict) -> str:
    # A verdict needs data: a period short of it is neither a pass nor a fail.
    if (verdict or {}).get("status") == "insufficient_data":
        return t(N_("insufficient data"))
    failed = labels.verdict_failures(verdict, t)
    return _yes(t, (verdict or {}).get("passed")) + (f" ({failed})" if failed else "")


def _override(t, baseline: Any) -> list:
    """The G14 override of a baseline approved although it fails, on its sheet and on every
    report built on it."""
    reason = getattr(baseline, "override_reason", None)
    if not reason:
        return []
    label = t(N_("Baseline approved although it fails ASHRAE Guideline 14. Override reason:"))
    return [_para(f"⚠ {label} {reason}", "h2")]


def _factor_note(t, f: dict) -> str:
    """The label of a factor that stands in for another year (one rule with the statistics)."""
    if f.get("before_first"):
        return " — " + t(N_("earliest published factor, used before the first published year"))
    if f.get("stale"):
        return " — " + t(N_("latest published factor, used for a later year"))
    return ""


def _factor_kind(t, f: dict, ctx: MvPdfContext) -> str:
    """The factor's kind (standard coal or CO2) and, for a regional or provincial grid factor,
    its region by name (by code only where the context lacks the name)."""
    kind = labels.msgid(f["kind"], "FactorKind")
    text = t(kind) if kind else f["kind"]
    region = f.get("region")
    if region:
        text += f" · {ctx.regions.get(region, region)}"
    return text


def _yes(t, v: Any) -> str:
    if v is None:
        return "—"
    return t(N_("pass")) if v else t(N_("fail"))


def _person(ctx: MvPdfContext, user_id: int | None) -> str:
    return ctx.people.get(user_id, "") if user_id is not None else ""


def _parties(t, ctx: MvPdfContext, rows: list[list[str]]) -> Any:
    return _table(
        [
            [t(N_("Project")), ctx.project_name],
            [t(N_("Institution")), ctx.institution],
            [t(N_("ESCO")), ctx.esco],
            *rows,
        ],
        header_rows=0,
        col_widths=[110, 370],
    )


def _form(t, model: dict) -> str:
    return model_form(model, t)


def _calibration(t, items: list[tuple[str, dict]]) -> list:
    """Option D: the G14 calibration verdict of each simulation."""
    out = []
    for name, c in items:
        verdict = t(N_("pass")) if c["calibrated"] else t(N_("fail"))
        out.append(
            _para(
                f"{name}: {t(CALIBRATED)} {verdict} · "
                f"NMBE {c['nmbe'] * 100:.2f} % (±{c['nmbe_limit'] * 100:.0f} %) · "
                f"CV(RMSE) {c['cvrmse'] * 100:.2f} % ({c['cvrmse_limit'] * 100:.0f} %)",
                "body",
            )
        )
    return out


def _statistics_table(t, models: list[dict]) -> Any:
    rows = [
        [
            t(N_("Meter")),
            t(N_("Option")),
            t(N_("Form")),
            "n",
            "R²",
            "CV(RMSE)",
            "NMBE",
            t(N_("G14 verdict")),
        ]
    ]
    for m in models:
        st = m["statistics"]
        rows.append(
            [
                m["meter_name"],
                m["option"],
                _form(t, m["model"]),
                str(st.get("n", "—")),
                _f(st.get("r_squared"), 4),
                _pct(st.get("cvrmse")),
                f"{float(st['nmbe']) * 100:.4f} %" if st.get("nmbe") is not None else "—",
                _yes(t, m["verdict"]["passed"]),
            ]
        )
    return _table(rows, numeric_cols=(3, 4, 5, 6))


def _sufficiency_tables(t, models: list[dict]) -> list:
    """Hourly models: hours with use and temperature per baseline month (CalTRACK: ≥ 90 %)."""
    out = []
    for m in models:
        if not m.get("sufficiency"):
            continue
        rows = [
            [
                t(N_("Month")),
                t(N_("Hours")),
                t(N_("Hours with use and temperature")),
                t(N_("Share of hours with data")) + " (≥ 90 %)",
            ]
        ]
        rows += [
            [s["month"], str(s["hours"]), str(s["hours_used"]), _pct(s["share"])]
            for s in m["sufficiency"]
        ]
        title = t(N_("Hourly data sufficiency"))
        out += [_para(f"{m['meter_name']}: {title}", "body")]
        out += [_table(rows, numeric_cols=(1, 2, 3))]
    return out


def _option_a_tables(t, results: list[dict]) -> list:
    """Option A: each month's parameters (value, measured or stipulated, source) and the
    savings formula, then the stipulated values with their sources."""
    out = []
    for r in results:
        breakdown = r["savings"].get("option_a")
        if not breakdown:
            continue
        title = t(N_("Option A breakdown"))
        out.append(_para(f"{r['meter_name']}: {title}", "h2"))
        rows = [[t(N_("Month")), t(N_("Parameter")), t(N_("Value")), t(N_("Basis"))]]
        for b in breakdown:
            for p in b["parameters"]:
                basis = t(N_("measured")) if p["basis"] == "measured" else t(N_("stipulated"))
                rows.append([b["month"], _parameter(t, p["name"]), _f(p["value"], 3), basis])
            rows.append([b["month"], t(N_("Savings")), _f(b["savings_kwh"], 3), "kWh"])
        out.append(_table(rows, numeric_cols=(2,)))
        out.append(_para(derivation(breakdown[0]["formula"], t), "small"))
        entered = [b for b in breakdown if b.get("reporting_measurement")]
        if entered:
            out.append(_para(t(N_("Measured key parameters")), "h2"))
            meas = [
                [
                    t(N_("Month")),
                    t(N_("Value")),
                    t(N_("Measured at")),
                    t(N_("Method")),
                    t(N_("Evidence")),
                ]
            ]
            for b in entered:
                x = b["reporting_measurement"]
                meas.append(
                    [
                        b["month"],
                        f"{x['value']} {x['unit']}",
                        _instant(x["measured_at"]),
                        x["method"],
                        ", ".join(f"{f['filename']} {f['sha256'][:12]}" for f in x["evidence"]),
                    ]
                )
            out.append(_table(meas, numeric_cols=(1,)))
        out.append(_para(t(N_("Stipulated values")), "h2"))
        stip = [[t(N_("Parameter")), t(N_("Value")), t(N_("Unit")), t(N_("Source"))]]
        stip += [
            [_parameter(t, s["name"]), s["value"], s["unit"], escape(s["source"])]
            for s in r["savings"].get("stipulated", [])
        ]
        out.append(_table(stip, numeric_cols=(1,)))
    return out


def _model_table(t, models: list[dict]) -> Any:
    rows = [
        [
            t(N_("Meter")),
            t(N_("Intercept (per day)")),
            t(N_("Heating slope (per HDD)")),
            t(N_("Heating balance point (°C)")),
            t(N_("Cooling slope (per CDD)")),
            t(N_("Cooling balance point (°C)")),
        ]
    ]
    for m in models:
        md = m["model"]
        rows.append(
            [
                f"{m['meter_name']} ({m['unit']})",
                _f(md.get("intercept"), 3),
                _f(md.get("beta_hdd"), 3),
                _f(md.get("heating_balance_point"), 1),
                _f(md.get("beta_cdd"), 3),
                _f(md.get("cooling_balance_point"), 1),
            ]
        )
    return _table(rows, numeric_cols=(1, 2, 3, 4, 5))


DAY_TYPES = (
    ("workday", N_("Workday")),
    ("weekend", N_("Weekend")),
    ("holiday", N_("Statutory holiday")),
    ("makeup_workday", N_("Make-up workday")),
    ("vacation", N_("Vacation")),
)


def _day_type_tables(t, models: list[dict]) -> list:
    """A day-type model's intercept per day type (workday, weekend, statutory holiday, make-up
    workday, vacation) with the baseline days behind each and the merges, and vacation slopes:
    the table the baseline page shows, so the signed sheet gives the whole model."""
    story: list = []
    day_label = {name: t(msgid) for name, msgid in DAY_TYPES}
    for m in models:
        dtp = m["model"].get("day_types")
        if not dtp:
            continue
        rows = [
            [t(N_("Day type")), t(N_("Baseline days")), t(N_("Intercept (per day)")), t(N_("Note"))]
        ]
        for name, _msgid in DAY_TYPES:
            days = dtp.get("day_counts", {}).get(name, 0)
            merged = dtp.get("merged", {}).get(name)
            note = ""
            if merged and days:
                note = t(N_("fewer than 10 baseline days: uses the intercept of %(type)s")) % {
                    "type": day_label[merged]
                }
            elif merged:
                note = t(N_("none in the baseline: predicted as %(type)s")) % {
                    "type": day_label[merged]
                }
            intercept = dtp.get("intercepts", {}).get(name)
            rows.append([day_label[name], str(days), _f(intercept, 3), note])
        story += [
            pdf.spacer(),
            _para(f"{m['meter_name']}: {t(N_('Day type'))}"),
            # Widths given: the note would otherwise squeeze "Make-up workday" into two lines.
            _table(rows, numeric_cols=(1, 2), col_widths=[110, 75, 95, 213]),
        ]
        hdd, cdd = dtp.get("vacation_beta_hdd"), dtp.get("vacation_beta_cdd")
        if hdd is not None or cdd is not None:
            story.append(
                _para(
                    f"{t(N_('Vacation days have their own slopes (chosen by adjusted R²)'))}: "
                    f"{t(N_('Heating slope (per HDD)'))} {_f(hdd, 3)} · "
                    f"{t(N_('Cooling slope (per CDD)'))} {_f(cdd, 3)}"
                )
            )
    return story


def _exact(value: Any) -> str:
    """An unrounded amount a line was computed from, to four places (3,337.1672)."""
    return "—" if value in (None, "") else f"{Decimal(str(value)):,.4f}"


def _price(month: dict) -> str:
    """A month's contract price per unit ("0.8/kWh"), as the report stored it."""
    price = month.get("price")
    if price is None:
        return "—"
    return f"{price}/{month.get('price_unit') or month.get('unit', '')}"


def _valuation(t, valuation: dict | None) -> list:
    """The report's value per contract year and the payment lines it gives, as its page shows
    them: each month is valued at the price, and shared at the share, of its contract year."""
    if not valuation or not valuation.get("parts"):
        return []
    head = [
        _para(t(N_("Value by contract year and the payment it gives")), "h2"),
        _para(
            t(
                N_(
                    "Each month (or day) is valued at the contract price, and shared at the ESCO"
                    " share, of the contract year it falls in. A payment is the unrounded value"
                    " times the share, rounded once to the fen: it can differ by a fen from the"
                    " rounded value above times the share."
                )
            )
        ),
        _table(
            [[t(N_("Contract year")), t(N_("Period")), t(N_("Savings value (yuan)"))]]
            + [
                [
                    str(p["contract_year"]),
                    labels.period(p["start"], p["end"]),
                    pdf.money(Decimal(p["savings_value"])),
                ]
                for p in valuation["parts"]
            ],
            numeric_cols=(2,),
        ),
    ]
    story: list = [pdf.keep_together(head)]
    lines = valuation.get("lines") or []
    if lines:
        story += [
            pdf.spacer(),
            _table(
                [
                    [
                        t(N_("Contract year")),
                        t(N_("Period")),
                        t(N_("Kind")),
                        t(N_("Unrounded savings value (yuan)")),
                        t(N_("ESCO share")),
                        t(N_("Amount (yuan)")),
                    ]
                ]
                + [
                    [
                        str(line["contract_year"]),
                        labels.period(line["period_start"], line["period_end"]),
                        t(labels.msgid(line["kind"], "LineKind") or line["kind"]),
                        _exact(line.get("savings_value_exact")),
                        f"{labels.percent(line['esco_share'])} %"
                        if line.get("esco_share")
                        else "—",
                        pdf.money(Decimal(line["amount"])),
                    ]
                    for line in lines
                ],
                numeric_cols=(3, 4, 5),
                col_widths=[50, 112, 83, 98, 62, 88],
            ),
        ]
    return story


def _warnings(t, warnings: list[dict]) -> list:
    if not warnings:
        return [_para(t(N_("No warnings.")))]
    return [_para(say_warning(w, t), "small") for w in warnings]


def _signatures(t) -> Any:
    return _table(
        [
            [t(N_("Party")), t(N_("Name")), t(N_("Signature")), t(N_("Date"))],
            [t(N_("Institution")), "", "", ""],
            [t(N_("ESCO")), "", "", ""],
        ],
        col_widths=[110, 120, 150, 100],
    )


def _instant(iso: str) -> str:
    """An ISO instant as ``YYYY-MM-DD HH:MM UTC`` (unambiguous on a signed sheet)."""
    moment = dt.datetime.fromisoformat(iso).astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _option_a_baseline(t, models: list[dict]) -> list:
    """Option A: each meter's baseline demand with its basis (stipulated with its source, or
    measured: entered with its time, method and evidence, or derived from the meter)."""
    rows = [[t(N_("Meter")), t(N_("Value")), t(N_("Basis")), t(N_("Source or measurement"))]]
    for m in models:
        if m["model"].get("schema") != "emc.mv.option_a":
            continue
        b = m["model"]["baseline_demand_kw"]
        if b.get("basis") == "measured":
            how = derivation(b.get("method"), t)
            if b.get("measured_at"):
                how = f"{how} ({_instant(b['measured_at'])})"
            how += "".join(f"; {f['filename']} {f['sha256'][:12]}" for f in b.get("evidence", []))
            basis = t(N_("measured"))
        else:
            how, basis = b.get("source", ""), t(N_("stipulated"))
        rows.append([m["meter_name"], f"{float(b['value']):.4f} kW", basis, how])
    if len(rows) == 1:
        return []
    return [_para(t(N_("Baseline demand (option A)")), "h2"), _table(rows, numeric_cols=(1,))]


def baseline_pdf(baseline: Any, ctx: MvPdfContext, locale: str = "zh_CN") -> bytes:
    """The baseline approval sheet: parties, boundary and options, models, statistics with the
    G14 verdict, warnings, decision and signature block."""

    def t(message: str) -> str:
        return translate(locale, message)

    title = t(N_("Baseline approval sheet"))
    story: list = [
        _para(title, "h1"),
        _parties(
            t,
            ctx,
            [
                [t(N_("Version")), str(baseline.version)],
                [t(N_("Status")), t(labels.msgid(baseline.status) or baseline.status.value)],
                [t(N_("Method")), t(baseline.method.value)],
                [
                    t(N_("Baseline period")),
                    f"{baseline.start_date} – {baseline.end_date} ({t(END_EXCLUSIVE)})",
                ],
                [t(N_("Inputs fingerprint")), baseline.inputs_sha256],
            ],
        ),
        _para(t(N_("Baseline models")), "h2"),
        _model_table(t, baseline.models),
        *_day_type_tables(t, baseline.models),
        pdf.spacer(),
        _para(t(N_("Statistics (ASHRAE Guideline 14)")), "h2"),
        _statistics_table(t, baseline.models),
        _para(f"{t(G14_VERDICT)}: {_baseline_verdict(t, baseline)}", "body"),
        *_override(t, baseline),
        *_sufficiency_tables(t, baseline.models),
        *_calibration(
            t,
            [
                (m["meter_name"], m["model"]["calibration"])
                for m in baseline.models
                if m["model"].get("schema") == "emc.mv.option_d"
            ],
        ),
    ]
    story += _option_a_baseline(t, baseline.models)
    if ctx.evidence:
        rows = [[t(N_("Evidence")), "SHA-256"]]
        rows += [[f["filename"], f["sha256"]] for f in ctx.evidence]
        story += [_para(t(N_("Evidence")), "h2"), _table(rows)]
    for m in baseline.models:
        series = m.get("series") or {}
        dates = series.get("dates") or []
        if dates:
            step = max(1, len(dates) // 60)
            sampled = dates[::step]
            # About six labelled days, with their year (a baseline may span two years).
            every = max(1, -(-len(sampled) // 6))
            cats = [d if i % every == 0 else "" for i, d in enumerate(sampled)]
            story.append(
                pdf.line_chart(
                    cats,
                    {
                        t(N_("Observed")): [v or 0 for v in series["observed"][::step]],
                        t(N_("Modelled")): [v or 0 for v in series["modelled"][::step]],
                    },
                    title=f"{m['meter_name']}: {t(OBSERVED_VS_MODELLED)}",
                    unit=m["unit"],
                )
            )
    story += [_para(t(N_("Warnings")), "h2"), *_warnings(t, baseline.warnings)]
    story += [
        _para(t(N_("Decision")), "h2"),
        _para(
            f"{t(PROPOSED_BY)}: {_person(ctx, baseline.proposed_by_user_id)} · "
            f"{t(DECIDED_BY)}: {_person(ctx, baseline.decided_by_user_id) or '—'} · "
            f"{t(COMMENT)}: {baseline.decision_comment or '—'}"
        ),
    ]
    if baseline.reason:
        story.append(_para(f"{t(REASON_FOR_VERSION)}: {baseline.reason}"))
    story += [_para(t(N_("Signatures")), "h2"), _signatures(t)]
    info = pdf.PageInfo(
        title=title,
        subtitle=f"{ctx.institution} / {ctx.esco}",
        generated_at=ctx.generated_at,
        footer=pdf.footer(t, title),
        zone=ctx.zone,
    )
    return pdf.build_pdf(info, story)


def report_pdf(report: Any, baseline: Any, ctx: MvPdfContext, locale: str = "zh_CN") -> bytes:
    """The M&V report: parties, boundary and options, baseline model and statistics with the G14
    verdict, the monthly table, charts (observed vs adjusted baseline; cumulative savings with
    the uncertainty band), adjustments, savings in energy / money / tce / tCO2, warnings,
    version history and a signature block."""

    def t(message: str) -> str:
        return translate(locale, message)

    title = t(N_("M&V report"))
    # The period's first and last day, as the report's page, its tables and the to-do say it.
    period = labels.period(report.period_start, report.period_end)
    story: list = [
        _para(title, "h1"),
        _parties(
            t,
            ctx,
            [
                [t(N_("Reporting period")), period],
                [t(N_("Version")), str(report.version)],
                [t(N_("Status")), t(labels.msgid(report.status) or report.status.value)],
                [
                    t(N_("Baseline")),
                    f"{t(VERSION)} {baseline.version}, {baseline.start_date} – {baseline.end_date}",
                ],
                [t(N_("Inputs fingerprint")), report.inputs_sha256],
            ],
        ),
    ]
    if report.stale_since is not None:
        story.append(_para(f"⚠ {t(STALE)}: {report.stale_message}", "h2"))
    story += _override(t, baseline)
    story += [
        _para(t(N_("Measurement boundary")), "h2"),
        _table(
            [[t(N_("Meter")), t(N_("Carrier")), t(N_("Unit")), t(N_("IPMVP option"))]]
            + [[r["meter_name"], t(r["carrier"]), r["unit"], r["option"]] for r in report.results]
        ),
        _para(t(N_("Baseline models")), "h2"),
        _model_table(t, baseline.models),
        *_day_type_tables(t, baseline.models),
        pdf.spacer(),
        _statistics_table(t, baseline.models),
        _para(t(N_("Savings")), "h2"),
        _table(
            [
                [
                    t(N_("Carrier")),
                    t(N_("Avoided energy")),
                    t(N_("Value (yuan)")),
                    "tce",
                    "tCO2",
                ]
            ]
            + [
                [
                    t(c["carrier"]),
                    f"{_f(Decimal(c['avoided']), 1)} {c['unit']}",
                    pdf.money(Decimal(c["value"])),
                    c["tce"],
                    c["tco2"],
                ]
                for c in report.carriers
            ]
            + [
                [
                    t(N_("Total")),
                    "",
                    pdf.money(report.savings_value),
                    str(report.tce_avoided),
                    str(report.tco2_avoided),
                ]
            ],
            numeric_cols=(1, 2, 3, 4),
        ),
        _para(
            f"FSU: ±{_pct(report.fsu_68)} (68 %), ±{_pct(report.fsu_90)} (90 %) · "
            f"{t(G14_VERDICT)}: {_report_verdict(t, report.verdict)}"
        ),
        _para(t(N_("Monthly results")), "h2"),
    ]
    rows = [
        [
            t(N_("Month")),
            t(N_("Meter")),
            t(N_("Adjusted baseline")),
            t(N_("Reporting use")),
            t(N_("Non-routine")),
            t(N_("Avoided energy")),
            t(N_("Contract price (yuan per unit)")),
            t(N_("Value (yuan)")),
            t(N_("Days with data")),
        ]
    ]
    for m in report.months:
        rows.append(
            [
                m["month"],
                m["meter_name"],
                _f(m["adjusted_baseline"]),
                _f(m["reporting"]),
                _f(m["non_routine"]),
                _f(m["avoided"]),
                _price(m),
                pdf.money(Decimal(m["value"])),
                f"{m['n_days_used']}/{m['n_days']}" if "n_days" in m else "—",
            ]
        )
    story.append(_table(rows, numeric_cols=(2, 3, 4, 5, 6, 7, 8)))
    story += _valuation(t, report.valuation)
    for r in report.results:
        months = r["savings"]["by_month"]
        if not months:
            continue
        cats = [m["month"] for m in months]
        story.append(
            pdf.line_chart(
                cats,
                {
                    t(N_("Adjusted baseline")): [m["adjusted_baseline"] for m in months],
                    t(N_("Reporting use")): [m["reporting"] for m in months],
                },
                title=f"{r['meter_name']}: {t(OBSERVED_VS_ADJUSTED)}",
                unit=r["unit"],
            )
        )
        band = r.get("cumulative_band") or []
        story.append(
            pdf.line_chart(
                [b["month"] for b in band],
                {
                    t(N_("Cumulative savings")): [b["cumulative"] for b in band],
                    t(N_("Lower bound (90 %)")): [
                        b["cumulative"] - (b["band_90"] or 0) for b in band
                    ],
                    t(N_("Upper bound (90 %)")): [
                        b["cumulative"] + (b["band_90"] or 0) for b in band
                    ],
                },
                title=f"{r['meter_name']}: {t(CUMULATIVE_SAVINGS)}",
                unit=r["unit"],
            )
        )
    story += _option_a_tables(t, report.results)
    story += _calibration(
        t,
        [
            (r["meter_name"], r["savings"]["option_d"]["calibration"])
            for r in report.results
            if r["savings"].get("option_d")
        ],
    )
    if report.rolling:
        story += [
            _para(t(N_("Rolling 12 months")), "h2"),
            _table(
                [
                    [
                        t(N_("Window")),
                        t(N_("Months known")),
                        t(N_("Avoided energy")),
                        t(N_("Value (yuan)")),
                    ]
                ]
                + [
                    [
                        f"{w['start_month']} – {w['end_month']}",
                        f"{w['months_known']}/12",
                        f"{_f(w['avoided'])} {w['unit']}",
                        pdf.money(Decimal(w["value"])),
                    ]
                    for w in report.rolling
                ],
                numeric_cols=(1, 2, 3),
            ),
        ]
    story.append(_para(t(N_("Non-routine adjustments")), "h2"))
    if ctx.adjustments:
        story.append(
            _table(
                [
                    [
                        t(N_("Meter")),
                        t(N_("Reason")),
                        t(N_("Amount")),
                        t(N_("Agreed by both")),
                        t(N_("Evidence")),
                    ]
                ]
                + [
                    [
                        ctx.meters.get(a["meter_id"], str(a["meter_id"])),
                        a["reason"],
                        f"{_f(a['amount'])} {a['unit']}"
                        if a["amount"] is not None
                        else t(N_("daily series")),
                        t(N_("Yes")) if a["agreed"] else t(N_("No")),
                        ", ".join(a["files"]) or "—",
                    ]
                    for a in ctx.adjustments
                ]
            )
        )
    else:
        story.append(_para(t(N_("None."))))
    story += [
        _para(t(N_("Conversion factors")), "h2"),
        _table(
            [[t(N_("Carrier")), t(N_("Kind")), t(N_("Value")), t(N_("Source"))]]
            + [
                [
                    t(f["carrier"]),
                    _factor_kind(t, f, ctx),
                    f"{f['value']} {f['unit']}" + (f" ({f['year']})" if f.get("year") else ""),
                    factor_source(f["source"]) + _factor_note(t, f),
                ]
                for f in report.factors
            ],
            col_widths=[60, 85, 100, 235],
        ),
        _para(t(N_("Warnings")), "h2"),
        *_warnings(t, report.warnings),
        _para(t(N_("Version history")), "h2"),
        _table(
            [[t(N_("Version")), t(N_("Status")), t(N_("Value (yuan)")), t(N_("Comment"))]]
            + [
                [
                    str(v["version"]),
                    # The words of the pages (已提交, 已接受 …), from the one label table.
                    t(labels.msgid(v["status"], "ReportStatus") or v["status"]),
                    pdf.money(v["savings_value"]),
                    v.get("comment") or "",
                ]
                for v in ctx.versions
            ]
        ),
        _para(t(N_("Signatures")), "h2"),
        _signatures(t),
    ]
    info = pdf.PageInfo(
        title=title,
        subtitle=f"{ctx.institution} / {ctx.esco}",
        generated_at=ctx.generated_at,
        footer=pdf.footer(t, title),
        zone=ctx.zone,
    )
    return pdf.build_pdf(info, story)

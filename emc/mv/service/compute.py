"""The computations behind baselines and reports, from stored data (no permission checks here:
the use cases in :mod:`.baselines` and :mod:`.reports` check first, then call these).

Per meter of the boundary: load :class:`~emc.mv.data.DailyInputs`, fit or evaluate with the
engine, and keep JSON-safe results. Money is valued at the contract price of the contract year
of each month (``base × (1 + escalation)^(year − 1)``, exact) and rounded to the fen once per
month and carrier with the finance core's :func:`~emc.contracts.finance.round_fen`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.contracts import finance
from emc.contracts.finance.periods import contract_year_of
from emc.contracts.finance.savings import price_in_year
from emc.contracts.models import Contract, EmcProject, terms_from_document
from emc.energy import FactorNotFound, UnitError, convert
from emc.errors import Conflict, Invalid
from emc.facilities.models import Meter, Site
from emc.mv import data, engine
from emc.mv.engine import stats as mv_stats
from emc.mv.models import (
    DEFAULT_ACCEPTANCE,
    IpmvpOption,
    MvMethod,
    MvPlan,
    MvReport,
    MvReportAdjustment,
    ReportStatus,
)

ENERGY_PLACES = Decimal("0.001")
TONNE_PLACES = Decimal("0.0001")
# Options whose savings come from metered data and a regression model (B: sub-meters of the
# retrofit; C: whole-facility meters). A (stipulated parameters) and D (calibrated simulation)
# are recorded in the plan but not computed from stored data by this workflow.
COMPUTED_OPTIONS = frozenset({IpmvpOption.B, IpmvpOption.C})
COMPUTED_METHODS = frozenset({MvMethod.DAILY, MvMethod.BILLING})


def _clean(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def acceptance_of(criteria: dict[str, Any] | None) -> dict[str, float]:
    return {**DEFAULT_ACCEPTANCE, **(criteria or {})}


def verdict(
    statistics: dict[str, Any], months: float, fsu_68: float | None, criteria: dict[str, Any]
) -> dict[str, Any]:
    """G14 acceptance of one model under the plan's criteria (the G14 defaults unless the
    parties agreed others): CV(RMSE) by the length of post-retrofit data, |NMBE|, FSU at 68 %."""
    c = acceptance_of(criteria)
    if months < 12:
        cv_limit = c["cvrmse_limit_under_12_months"]
    elif months <= 60:
        cv_limit = c["cvrmse_limit_12_to_60_months"]
    else:
        cv_limit = c["cvrmse_limit_over_60_months"]
    cv = statistics.get("cvrmse")
    nmbe = statistics.get("nmbe")
    checks = {
        "cvrmse": cv is not None and math.isfinite(cv) and cv <= cv_limit,
        "nmbe": nmbe is not None and math.isfinite(nmbe) and abs(nmbe) <= c["nmbe_limit"],
        "fsu": None if fsu_68 is None else bool(fsu_68 < c["fsu_limit"]),
    }
    return {
        "passed": all(v is not False for v in checks.values()),
        "cvrmse_limit": cv_limit,
        "nmbe_limit": c["nmbe_limit"],
        "fsu_limit": c["fsu_limit"],
        "reporting_months": round(months, 2),
        "checks": checks,
    }


@dataclass(frozen=True)
class BoundaryMeter:
    meter: Meter
    site: Site
    option: IpmvpOption


def boundary(session: Session, plan: MvPlan) -> list[BoundaryMeter]:
    """The plan's meters with their sites, in the plan's order."""
    out = []
    for item in plan.boundary:
        meter = session.get(Meter, int(item["meter_id"]))
        if meter is None:
            raise Conflict(
                f"meter {item['meter_id']} of the M&V plan no longer exists",
                fields={"boundary": ["unknown meter"]},
            )
        out.append(
            BoundaryMeter(meter, session.get(Site, meter.site_id), IpmvpOption(item["option"]))
        )
    return out


def _monthly(dates, usage, temps):
    """Calendar-month billing periods of daily series: starts, ends, use (nan if any day lacks
    use)."""
    months = dates.astype("datetime64[M]")
    uniq = np.unique(months)
    starts = uniq.astype("datetime64[D]")
    ends = (uniq + 1).astype("datetime64[D]")
    totals = []
    for m in uniq:
        sel = months == m
        vals = usage[sel]
        totals.append(float(vals.sum()) if np.all(np.isfinite(vals)) else math.nan)
    return starts, ends, np.array(totals)


# --- baselines -----------------------------------------------------------------------------


def fit_baseline(
    session: Session,
    plan: MvPlan,
    *,
    allow_insufficient: bool = False,
) -> tuple[list[dict[str, Any]], list[data.DailyInputs]]:
    """Fit one model per boundary meter on ``[plan.baseline_start, plan.baseline_end)``.

    Raises:
        Invalid: a method or option this workflow does not compute (``method`` /
            ``boundary``), or CalTRACK data sufficiency fails (``data``), naming the rules.
    """
    if plan.method not in COMPUTED_METHODS:
        raise Invalid(
            f"baselines are fitted from stored data for the daily and billing methods; "
            f"the plan's method is {plan.method}",
            fields={"method": ["daily or billing to fit from stored data"]},
        )
    meters = boundary(session, plan)
    if not meters:
        raise Invalid("the M&V plan has no meters", fields={"boundary": ["add a meter"]})
    entries, inputs = [], []
    months = plan.reporting_frequency.months
    for bm in meters:
        if bm.option not in COMPUTED_OPTIONS:
            raise Invalid(
                f"meter {bm.meter.name}: option {bm.option} is not computed from stored data "
                "(options B and C are)",
                fields={"boundary": [f"meter {bm.meter.id}: option {bm.option}"]},
            )
        series = data.daily_inputs(
            session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end
        )
        inputs.append(series)
        dates, usage, temps = series.arrays()
        try:
            if plan.method is MvMethod.DAILY:
                model = engine.fit_daily(
                    dates,
                    usage,
                    temps,
                    start=plan.baseline_start,
                    end=plan.baseline_end,
                    temperature_unit="C",
                    allow_insufficient=allow_insufficient,
                )
                chart_dates, observed, modelled = dates, usage, model.predict(temps)
            else:
                starts, ends, totals = _monthly(dates, usage, temps)
                model = engine.fit_billing(
                    starts,
                    ends,
                    totals,
                    dates,
                    temps,
                    start=plan.baseline_start,
                    end=plan.baseline_end,
                    temperature_unit="C",
                    allow_insufficient=allow_insufficient,
                )
                n_days = (ends - starts).astype(int)
                chart_dates = starts
                observed = totals / n_days
                modelled = model.predict_periods(starts, ends, dates, temps) / n_days
        except engine.InsufficientDataError as exc:
            rules = [w.message for w in exc.warnings if w.disqualifying] or [str(exc)]
            raise Invalid(
                f"meter {bm.meter.name}: the baseline data are insufficient: {exc}",
                fields={"data": rules},
                code="insufficient_data",
            ) from None
        except engine.InvalidInputError as exc:
            raise Invalid(f"meter {bm.meter.name}: {exc}", fields={"data": [str(exc)]}) from None
        md = model.to_dict()
        entries.append(
            {
                "meter_id": bm.meter.id,
                "meter_name": bm.meter.name,
                "carrier": str(bm.meter.carrier),
                "unit": bm.meter.unit,
                "option": str(bm.option),
                "model": md,
                "statistics": md["statistics"],
                "verdict": verdict(md["statistics"], months, None, plan.acceptance),
                "warnings": [w.to_dict() for w in series.warnings] + md["warnings"],
                "series": {
                    "dates": [str(d) for d in chart_dates],
                    "observed": [_clean(v) for v in observed],
                    "modelled": [_clean(v) for v in modelled],
                },
            }
        )
    return entries, inputs


def baseline_inputs(
    session: Session, baseline_models: list[dict], start, end
) -> list[data.DailyInputs]:
    """The current stored series under a baseline's meters (for its fingerprint)."""
    out = []
    for entry in baseline_models:
        meter = session.get(Meter, entry["meter_id"])
        out.append(data.daily_inputs(session, meter, session.get(Site, meter.site_id), start, end))
    return out


# --- reports -------------------------------------------------------------------------------


def contract_terms(session: Session, project: EmcProject) -> finance.ContractTerms:
    contract = session.scalar(select(Contract).where(Contract.project_id == project.id))
    if contract is None:
        raise Conflict(
            "the project has no contract: savings cannot be valued",
            fields={"contract": ["missing"]},
        )
    return terms_from_document(contract.terms)


def _price(terms: finance.ContractTerms, carrier: str, day: dt.date):
    price = terms.price_for(carrier)
    if price is None:
        raise Conflict(
            f"the contract has no price for {carrier}: savings cannot be valued",
            fields={"price_basis": [f"no contract price for {carrier}"]},
        )
    year = max(1, contract_year_of(terms.start_date, day))
    return price, price_in_year(terms, carrier, year), year


def _to_price_unit(quantity: float, unit: str, price_unit: str, carrier: str) -> Decimal:
    q = Decimal(repr(quantity)).quantize(ENERGY_PLACES)
    try:
        return convert(q, unit, price_unit, carrier).quantize(ENERGY_PLACES)
    except UnitError as exc:
        raise Conflict(str(exc), fields={"price_basis": [str(exc)]}) from None


def _engine_adjustments(adjustments: list[MvReportAdjustment], meter_id: int):
    return [
        engine.NonRoutineAdjustment(
            reason=a.reason,
            amount=float(a.amount) if a.amount is not None else None,
            series=tuple(a.series) if a.series is not None else None,
        )
        for a in adjustments
        if a.meter_id == meter_id
    ]


def _cumulative_band(model, by_month: list[dict]) -> list[dict]:
    """Cumulative avoided energy at each month end with its 68 % and 90 % uncertainty."""
    st = model.statistics
    out, cum, base, used = [], 0.0, 0.0, 0
    for m in by_month:
        cum += m["avoided"]
        base += m["adjusted_baseline"]
        used += m["n_days_used"]
        row = {"month": m["month"], "cumulative": cum, "band_68": None, "band_90": None}
        if used and base and st.n > st.p and math.isfinite(st.cvrmse) and cum:
            for conf, key in ((0.68, "band_68"), (0.90, "band_90")):
                f = mv_stats.fsu(
                    cvrmse=st.cvrmse,
                    n=st.n,
                    p=st.p,
                    m=used,
                    savings_fraction=cum / base,
                    rho=st.autocorrelation if math.isfinite(st.autocorrelation) else 0.0,
                    confidence=conf,
                    interval="billing" if model.method == "billing" else "daily",
                )
                row[key] = _clean(abs(f * cum))
        out.append(row)
    return out


@dataclass
class ReportFigures:
    results: list[dict[str, Any]]
    months: list[dict[str, Any]]
    carriers: list[dict[str, Any]]
    factors: list[dict[str, Any]]
    verdict: dict[str, Any]
    warnings: list[dict[str, Any]]
    savings_value: Decimal
    tce: Decimal
    tco2: Decimal
    fsu_68: float | None
    fsu_90: float | None
    inputs: list[data.DailyInputs]
    sha256: str


def report_inputs(session, baseline_models, start, end) -> list[data.DailyInputs]:
    return baseline_inputs(session, baseline_models, start, end)


def compute_report(
    session: Session,
    project: EmcProject,
    baseline,
    start: dt.date,
    end: dt.date,
    adjustments: list[MvReportAdjustment],
) -> ReportFigures:
    """Savings of ``[start, end)`` against the frozen ``baseline``'s models, valued at the
    contract price, in tce and tCO2, with FSU, the G14 verdict and warnings.

    Raises:
        Conflict: no contract or no price for a carrier. Invalid: bad adjustment series.
    """
    terms = contract_terms(session, project)
    factors = data.factor_set(session)
    months_len = (end - start).days / (365.25 / 12)
    results, months, warnings, factor_rows = [], [], [], {}
    per_carrier: dict[str, dict[str, Any]] = {}
    verdicts, fsu_parts = [], []
    inputs = []
    for entry in baseline.models:
        meter = session.get(Meter, entry["meter_id"])
        site = session.get(Site, meter.site_id)
        series = data.daily_inputs(session, meter, site, start, end)
        inputs.append(series)
        model = engine.model_from_dict(entry["model"])
        dates, usage, temps = series.arrays()
        adj = _engine_adjustments(adjustments, meter.id)
        try:
            if model.method == "billing":
                starts, ends, totals = _monthly(dates, usage, temps)
                savings = engine.billing_savings(
                    model, starts, ends, totals, dates, temps, adjustments=adj
                )
            else:
                savings = engine.daily_savings(model, dates, usage, temps, adjustments=adj)
        except engine.InvalidInputError as exc:
            raise Invalid(str(exc), fields={"adjustments": [str(exc)]}) from None
        sd = savings.to_dict()
        meter_warnings = [w.to_dict() for w in series.warnings] + sd.pop("warnings")
        for w in meter_warnings:
            warnings.append({**w, "meter_id": meter.id})
        meter_verdict = verdict(entry["statistics"], months_len, sd["fsu_68"], baseline.acceptance)
        verdicts.append(meter_verdict["passed"])
        carrier = str(meter.carrier)
        value_total = Decimal("0.00")
        for m in sd["by_month"]:
            month_day = dt.date.fromisoformat(m["month"] + "-01")
            price, price_y, year = _price(terms, carrier, max(month_day, start))
            quantity = _to_price_unit(m["avoided"], meter.unit, price.unit, carrier)
            value = finance.round_fen(finance.money.exact(quantity) * price_y)
            value_total += value
            months.append(
                {
                    "meter_id": meter.id,
                    "meter_name": meter.name,
                    "unit": meter.unit,
                    **{
                        k: m[k]
                        for k in (
                            "month",
                            "adjusted_baseline",
                            "reporting",
                            "non_routine",
                            "avoided",
                            "cumulative",
                            "n_days",
                            "n_days_used",
                        )
                    },
                    "contract_year": year,
                    "price": str(finance.money.to_decimal(price_y)),
                    "price_unit": price.unit,
                    "value": str(value),
                }
            )
        avoided_q = Decimal(repr(sd["avoided"])).quantize(ENERGY_PLACES)
        tce_row = _account(
            factors, "tce", avoided_q, meter.unit, carrier, start.year, site, factor_rows
        )
        co2_row = _account(
            factors, "co2", avoided_q, meter.unit, carrier, start.year, site, factor_rows
        )
        price, _p, _y = _price(terms, carrier, start)
        acc = per_carrier.setdefault(
            carrier,
            {
                "carrier": carrier,
                "unit": price.unit,
                "avoided": Decimal("0.000"),
                "value": Decimal("0.00"),
                "tce": Decimal("0"),
                "tco2": Decimal("0"),
            },
        )
        acc["avoided"] += _to_price_unit(sd["avoided"], meter.unit, price.unit, carrier)
        acc["value"] += value_total
        acc["tce"] += tce_row
        acc["tco2"] += co2_row
        if sd["fsu_68"] is not None:
            fsu_parts.append((meter.unit, sd["avoided"], sd["fsu_68"], sd["fsu_90"]))
        results.append(
            {
                "meter_id": meter.id,
                "meter_name": meter.name,
                "carrier": carrier,
                "unit": meter.unit,
                "option": entry["option"],
                "savings": sd,
                "verdict": meter_verdict,
                "cumulative_band": _cumulative_band(model, sd["by_month"]),
                "value": str(value_total),
                "tce": str(tce_row.quantize(TONNE_PLACES)),
                "tco2": str(co2_row.quantize(TONNE_PLACES)),
            }
        )
    carriers = [
        {
            **c,
            "avoided": str(c["avoided"]),
            "value": str(c["value"]),
            "tce": str(c["tce"].quantize(TONNE_PLACES)),
            "tco2": str(c["tco2"].quantize(TONNE_PLACES)),
        }
        for c in per_carrier.values()
    ]
    fsu68, fsu90 = _combined_fsu(fsu_parts)
    return ReportFigures(
        results=results,
        months=months,
        carriers=carriers,
        factors=list(factor_rows.values()),
        verdict={"passed": all(verdicts), "meters": [r["verdict"] for r in results]},
        warnings=warnings,
        savings_value=sum((c["value"] for c in per_carrier.values()), Decimal("0.00")),
        tce=sum((c["tce"] for c in per_carrier.values()), Decimal("0")).quantize(TONNE_PLACES),
        tco2=sum((c["tco2"] for c in per_carrier.values()), Decimal("0")).quantize(TONNE_PLACES),
        fsu_68=fsu68,
        fsu_90=fsu90,
        inputs=inputs,
        sha256=data.fingerprint(inputs),
    )


def _account(factors, kind, quantity, unit, carrier, year, site, seen) -> Decimal:
    try:
        fn = factors.to_tce if kind == "tce" else factors.to_co2
        accounted = fn(quantity, unit, carrier, year=year, region_code=site.region_code)
    except FactorNotFound as exc:
        raise Conflict(str(exc), fields={"factors": [str(exc)]}) from None
    f = accounted.factor
    if f is not None:
        key = (str(f.carrier), str(f.kind), f.variant, f.year, f.region)
        seen[key] = {
            "carrier": str(f.carrier),
            "kind": str(f.kind),
            "value": str(f.value),
            "unit": f.unit,
            "year": f.year,
            "scope": str(f.scope),
            "region": f.region,
            "variant": f.variant,
            "source": f.source,
            "stale": accounted.stale,
        }
    return accounted.amount


def _combined_fsu(parts) -> tuple[float | None, float | None]:
    """One meter: its FSU. Several meters in one unit: ΔE added in quadrature over the total
    savings. Mixed units: none (each meter's FSU is in its result)."""
    if not parts:
        return None, None
    if len(parts) == 1:
        return parts[0][2], parts[0][3]
    if len({p[0] for p in parts}) > 1:
        return None, None
    total = sum(p[1] for p in parts)
    if not total:
        return None, None
    out = []
    for i in (2, 3):
        if any(p[i] is None for p in parts):
            out.append(None)
            continue
        delta = math.sqrt(sum((p[i] * p[1]) ** 2 for p in parts))
        out.append(_clean(delta / abs(total)))
    return out[0], out[1]


def rolling_view(
    session: Session, project_id: int, months: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Twelve-month windows ending in each of ``months`` (this report's monthly rows), from the
    monthly rows of the project's accepted reports plus these; ``complete`` when all twelve
    months are known."""
    known: dict[tuple[int, str], dict] = {}
    accepted = session.scalars(
        select(MvReport)
        .where(MvReport.project_id == project_id, MvReport.status == ReportStatus.ACCEPTED)
        .order_by(MvReport.period_start, MvReport.version)
    )
    for report in accepted:
        for row in report.months:
            known[(row["meter_id"], row["month"])] = row
    for row in months:
        known[(row["meter_id"], row["month"])] = row
    out = []
    for row in months:
        end = dt.date.fromisoformat(row["month"] + "-01")
        window = [data.add_months(end, -k).strftime("%Y-%m") for k in range(11, -1, -1)]
        rows = [known.get((row["meter_id"], m)) for m in window]
        have = [r for r in rows if r is not None]
        out.append(
            {
                "meter_id": row["meter_id"],
                "unit": row["unit"],
                "start_month": window[0],
                "end_month": window[-1],
                "months_known": len(have),
                "complete": len(have) == 12,
                "adjusted_baseline": sum(r["adjusted_baseline"] for r in have),
                "reporting": sum(r["reporting"] for r in have),
                "avoided": sum(r["avoided"] for r in have),
                "value": str(sum((Decimal(r["value"]) for r in have), Decimal("0.00"))),
            }
        )
    return out


def group_by_meter(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["meter_id"]].append(row)
    return dict(out)

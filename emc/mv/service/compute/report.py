"""Reports from stored data: savings per meter and month, valued and accounted."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.contracts import finance
from emc.contracts.finance.periods import contract_year_of, split_by_contract_year
from emc.contracts.finance.savings import price_in_year
from emc.contracts.models import Contract, EmcProject, terms_from_document
from emc.energy import FactorNotFound, UnitError, convert
from emc.errors import Conflict, Invalid
from emc.facilities.models import Meter, Site
from emc.messages import msg
from emc.mv import data, engine
from emc.mv.engine import stats as mv_stats
from emc.mv.models import (
    MeasuredParameter,
    MvReportAdjustment,
)
from emc.mv.service.compute import valuation
from emc.mv.service.compute.baseline import baseline_inputs
from emc.mv.service.compute.common import (
    ENERGY_PLACES,
    TONNE_PLACES,
    billing_periods,
    clean_float,
    is_hourly,
    is_option_a,
    is_option_d,
    verdict,
)
from emc.mv.service.compute.hourly import hourly_fsu, hourly_savings, hours_used_by_month
from emc.mv.service.compute.option_a import (
    measurements_of,
    option_a_savings,
    reporting_measurement,
)
from emc.mv.service.compute.option_d import option_d_savings
from emc.mv.service.compute.sufficiency import assess
from emc.mv.service.verdicts import report_verdict

# --- reports -------------------------------------------------------------------------------


def contract_terms(session: Session, project: EmcProject) -> finance.ContractTerms:
    contract = session.scalar(select(Contract).where(Contract.project_id == project.id))
    if contract is None:
        raise Conflict(
            msg("mv.project_has_no_contract_savings"),
            fields={"contract": [msg("mv.missing")]},
        )
    return terms_from_document(contract.terms)


def _price(terms: finance.ContractTerms, carrier: str, day: dt.date):
    price = terms.price_for(carrier)
    if price is None:
        raise Conflict(
            msg("mv.no_price", carrier=carrier),
            fields={"price_basis": [msg("finance.no_price", carrier=carrier)]},
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


def _cumulative_band(
    model, by_month: list[dict], hours_used: dict[str, int] | None = None
) -> list[dict]:
    """Cumulative avoided energy at each month end with its 68 % and 90 % uncertainty
    (``hours_used`` per month for an hourly model, whose ``m`` counts hours)."""
    st = model.statistics
    out, cum, base, used = [], 0.0, 0.0, 0
    for m in by_month:
        cum += m["avoided"]
        base += m["adjusted_baseline"]
        used += m["n_days_used"] if hours_used is None else hours_used.get(m["month"], 0)
        row = {"month": m["month"], "cumulative": cum, "band_68": None, "band_90": None}
        if hours_used is not None:
            if cum and base:
                f68, f90 = hourly_fsu(st, used, base, cum)
                row["band_68"] = None if f68 is None else clean_float(abs(f68 * cum))
                row["band_90"] = None if f90 is None else clean_float(abs(f90 * cum))
            out.append(row)
            continue
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
                row[key] = clean_float(abs(f * cum))
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
    # The report's savings segments (handed to the payment on acceptance) and its valuation:
    # {"parts": per contract year, "lines": the payment lines these savings give}.
    segments: list[dict[str, Any]]
    valuation: dict[str, Any]


def report_inputs(
    session, baseline_models, start, end
) -> list[data.DailyInputs | data.HourlyInputs]:
    return baseline_inputs(session, baseline_models, start, end)


def report_fingerprint(
    session: Session, project_id: int, baseline, start: dt.date, end: dt.date, inputs=None
) -> str:
    """The fingerprint of what a report of ``[start, end)`` is computed from: the stored series
    (:func:`emc.mv.data.fingerprint`) and, for option A meters, the entered reporting-demand
    measurements it may use (taken from the baseline end to the period end). Without such
    measurements it is the series' fingerprint alone, as before measurements existed."""
    if inputs is None:
        inputs = report_inputs(session, baseline.models, start, end)
    series_sha = data.fingerprint(inputs)
    used = []
    for entry in baseline.models:
        stipulated = {item["name"] for item in entry["model"].get("stipulated", [])}
        if not is_option_a(entry) or "reporting_demand_kw" in stipulated:
            continue
        meter = session.get(Meter, entry["meter_id"])
        zone = session.get(Site, meter.site_id).timezone
        for m in measurements_of(
            session, project_id, meter.id, MeasuredParameter.REPORTING_DEMAND_KW
        ):
            if reporting_measurement([m], baseline.end_date, end, zone) is not None:
                used.append([m["measurement_id"], m["value"], m["measured_at"]])
    if not used:
        return series_sha
    return hashlib.sha256(f"{series_sha}|{json.dumps(used)}".encode()).hexdigest()


def daytype_report_savings(session: Session, site, entry, model, series, adj):
    """Savings of a day-type baseline with the reporting period's *own* calendar, and both
    models' statistics and savings side by side (the classic fit stored with the baseline)."""
    from emc.calendars.service import day_types_at
    from emc.mv.engine import daytypes

    dates, usage, temps = series.arrays()
    types = day_types_at(session, site.id, series.dates)
    savings = daytypes.daytype_savings(model, dates, usage, temps, types, adjustments=adj)
    rows = {"day_types": (model.statistics.to_dict(), savings)}
    classic = (entry.get("comparison") or {}).get("classic")
    if classic is not None:
        cm = engine.model_from_dict(classic["model"])
        rows["classic"] = (
            classic["statistics"],
            engine.daily_savings(cm, dates, usage, temps, adjustments=adj),
        )
    comparison = {
        name: {
            "statistics": st,
            "avoided": s.total_avoided,
            "fsu_68": s.fsu_68,
            "fsu_90": s.fsu_90,
        }
        for name, (st, s) in rows.items()
    }
    return savings, comparison


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
    segments: list[valuation.RowSegments] = []
    sufficiency_inputs: list[tuple[dict, Any, bool]] = []
    row_of_meter: dict[int, list[int]] = {}
    for entry in baseline.models:
        meter = session.get(Meter, entry["meter_id"])
        site = session.get(Site, meter.site_id)
        hourly = is_hourly(entry)
        option_a, option_d = is_option_a(entry), is_option_d(entry)
        hourly_d = option_d and entry["model"]["interval"] == "hourly"
        load = data.hourly_inputs if hourly or hourly_d else data.daily_inputs
        series = load(session, meter, site, start, end)
        inputs.append(series)
        sufficiency_inputs.append((entry, series, is_option_a(entry) or is_option_d(entry)))
        adj = _engine_adjustments(adjustments, meter.id)
        stipulated = option_a or option_d
        comparison = None
        model = None if stipulated else engine.model_from_dict(entry["model"])
        dates, usage, temps = series.arrays()
        try:
            if stipulated:
                savings = None
            elif hourly:
                savings = hourly_savings(model, series, adj)
            elif model.method == "billing":
                starts, ends, totals = billing_periods(series)
                savings = engine.billing_savings(
                    model, starts, ends, totals, dates, temps, adjustments=adj
                )
            elif model.method == "daily_daytype":
                savings, comparison = daytype_report_savings(
                    session, site, entry, model, series, adj
                )
            else:
                savings = engine.daily_savings(model, dates, usage, temps, adjustments=adj)
        except engine.InvalidInputError as exc:
            raise Invalid(str(exc), fields={"adjustments": [str(exc)]}) from None
        if option_a:
            measured = measurements_of(
                session, project.id, meter.id, MeasuredParameter.REPORTING_DEMAND_KW
            )
            sd = option_a_savings(entry, series, adj, measured, baseline.end_date)
        elif option_d:
            sd = option_d_savings(entry, series, adj)
        else:
            sd = savings.to_dict()
        meter_warnings = [w.to_dict() for w in series.warnings] + sd.pop("warnings")
        for w in meter_warnings:
            warnings.append({**w, "meter_id": meter.id})
        meter_verdict = (
            dict(entry["verdict"])
            if stipulated
            else verdict(entry["statistics"], months_len, sd["fsu_68"], baseline.acceptance)
        )
        verdicts.append(meter_verdict["passed"])
        carrier = str(meter.carrier)
        price, _price_y, _year = _price(terms, carrier, start)
        daily = None
        meter_rows = []
        for m in sd["by_month"]:
            lo, hi = valuation.month_bounds(m["month"], start, end)
            quantity = _to_price_unit(m["avoided"], meter.unit, price.unit, carrier)
            if daily is None and len(split_by_contract_year(terms.start_date, lo, hi)) > 1:
                daily = _daily_in_price_unit(savings, meter.unit, price.unit, carrier)
            index = len(months)
            meter_rows.append(index)
            segments.append(
                valuation.row_segments(
                    terms, index, m["month"], start, end, carrier, price.unit, quantity, daily
                )
            )
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
                    "price_unit": price.unit,
                    "carrier": carrier,
                }
            )
        avoided_q = Decimal(repr(sd["avoided"])).quantize(ENERGY_PLACES)
        refs: dict[str, str] = {}
        tce_row = _account(
            factors, "tce", avoided_q, meter.unit, carrier, start.year, site, factor_rows, refs
        )
        co2_row = _account(
            factors, "co2", avoided_q, meter.unit, carrier, start.year, site, factor_rows, refs
        )
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
        acc["tce"] += tce_row
        acc["tco2"] += co2_row
        acc.setdefault("factor_refs", {"tce": [], "co2": []})
        for kind, ref in refs.items():
            if ref not in acc["factor_refs"][kind]:
                acc["factor_refs"][kind].append(ref)
        row_of_meter[meter.id] = meter_rows
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
                "cumulative_band": (
                    [
                        {"month": m["month"], "cumulative": m["cumulative"]}
                        | {"band_68": None, "band_90": None}
                        for m in sd["by_month"]
                    ]
                    if stipulated
                    else _cumulative_band(
                        model,
                        sd["by_month"],
                        hours_used_by_month(series, model) if hourly else None,
                    )
                ),
                "value": None,
                "tce": str(tce_row.quantize(TONNE_PLACES)),
                "tco2": str(co2_row.quantize(TONNE_PLACES)),
                # Which factor rows produced the tce and tCO2 figures.
                "factor_refs": refs,
            }
        )
        if comparison is not None:
            results[-1]["comparison"] = comparison
    # One valuation for the report and the payment (emc.contracts.finance.value_segments).
    parts, pieces = valuation.value_rows(terms, start, end, segments)
    for index, row in enumerate(months):
        row_pieces = pieces[index]
        row["contract_year"] = row_pieces[0]["contract_year"]
        row["price"] = row_pieces[0]["price"]
        row["value"] = str(sum((p["value"] for p in row_pieces), Decimal("0.00")))
        if len(row_pieces) > 1:
            row["parts"] = [{**p, "value": str(p["value"])} for p in row_pieces]
        acc = per_carrier[row.pop("carrier")]
        acc["value"] += Decimal(row["value"])
    for r in segments:
        for seg in r.segments:
            per_carrier[seg.carrier]["avoided"] += seg.quantity
    for result in results:
        result["value"] = str(
            sum(
                (Decimal(months[i]["value"]) for i in row_of_meter[result["meter_id"]]),
                Decimal("0.00"),
            )
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
        verdict=report_verdict([r["verdict"] for r in results], assess(sufficiency_inputs)),
        warnings=warnings,
        savings_value=sum((p.value_fen for p in parts), Decimal("0.00")),
        tce=sum((c["tce"] for c in per_carrier.values()), Decimal("0")).quantize(TONNE_PLACES),
        tco2=sum((c["tco2"] for c in per_carrier.values()), Decimal("0")).quantize(TONNE_PLACES),
        fsu_68=fsu68,
        fsu_90=fsu90,
        inputs=inputs,
        sha256=report_fingerprint(session, project.id, baseline, start, end, inputs),
        segments=[
            {
                "start": seg.start.isoformat(),
                "end": seg.end.isoformat(),
                "carrier": seg.carrier,
                "unit": seg.unit,
                "quantity": str(seg.quantity),
            }
            for r in segments
            for seg in r.segments
        ],
        valuation={
            "parts": [
                {
                    "contract_year": p.contract_year,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "savings_value": str(p.value_fen),
                }
                for p in parts
            ],
            "lines": valuation.settlement_preview(
                terms, start, end, carriers, [seg for r in segments for seg in r.segments]
            ),
        },
    )


def _daily_in_price_unit(savings, unit: str, price_unit: str, carrier: str):
    """The model's avoided energy per day in the price unit, or None without daily figures."""
    if savings is None or not hasattr(savings, "by_day"):
        return None
    return {
        dt.date.fromisoformat(d["date"]): _to_price_unit(d["avoided"], unit, price_unit, carrier)
        for d in savings.by_day()
    }


def factor_ref(f) -> str:
    """The key of a factor row as reports cite it: ``carrier/kind/variant/scope/region/year``
    (the emission_factors table's key, so the figure names the row that produced it)."""
    return "/".join(
        str(x) if x is not None else "-"
        for x in (f.carrier, f.kind, f.variant, f.scope, f.region, f.year)
    )


def _account(factors, kind, quantity, unit, carrier, year, site, seen, refs=None) -> Decimal:
    try:
        fn = factors.to_tce if kind == "tce" else factors.to_co2
        accounted = fn(quantity, unit, carrier, year=year, region_code=site.region_code)
    except FactorNotFound as exc:
        raise Conflict(str(exc), fields={"factors": [str(exc)]}) from None
    f = accounted.factor
    if f is not None:
        ref = factor_ref(f)
        key = (str(f.carrier), str(f.kind), f.variant, f.year, f.region)
        seen[key] = {
            "ref": ref,
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
            # Before the first published year the earliest stands in, labelled as such.
            "before_first": accounted.before_first,
            "for_year": year,
        }
        if refs is not None:
            refs[kind] = ref
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
        out.append(clean_float(delta / abs(total)))
    return out[0], out[1]

"""Baselines from stored data: one fitted model per boundary meter."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from emc.errors import Invalid
from emc.facilities.ingest import MeterKind
from emc.facilities.models import Meter, Site
from emc.messages import EngineWarningText, msg, term
from emc.mv import data, engine
from emc.mv.models import (
    BaselineModelKind,
    IpmvpOption,
    MeasuredParameter,
    MvMethod,
    MvPlan,
)
from emc.mv.service.compute.common import (
    COMPUTED_METHODS,
    COMPUTED_OPTIONS,
    METHOD_BILLING_LABEL,
    billing_periods,
    boundary,
    clean_float,
    is_hourly,
    is_option_d,
    verdict,
)
from emc.mv.service.compute.hourly import hourly_entry
from emc.mv.service.compute.option_a import measurements_of, option_a_entry
from emc.mv.service.compute.option_d import option_d_entry

# --- baselines -----------------------------------------------------------------------------


def fit_baseline(
    session: Session,
    plan: MvPlan,
    *,
    allow_insufficient: bool = False,
    simulations: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[data.DailyInputs]]:
    """Fit one model per boundary meter on ``[plan.baseline_start, plan.baseline_end)``.

    Raises:
        Invalid: a method or option this workflow does not compute (``method`` /
            ``boundary``), or CalTRACK data sufficiency fails (``data``), naming the rules.
    """
    if plan.method not in COMPUTED_METHODS:
        raise Invalid(
            msg("mv.method_not_fitted", method=str(plan.method)),
            fields={"method": [msg("mv.daily_billing_hourly_stipulated")]},
        )
    meters = boundary(session, plan)
    if not meters:
        raise Invalid(msg("mv.m_v_plan_has_no"), fields={"boundary": [msg("mv.add_meter")]})
    entries, inputs = [], []
    months = plan.reporting_frequency.months
    sims = {int(x["meter_id"]): x for x in simulations or []}
    for bm in meters:
        if bm.option is IpmvpOption.D:
            sim = sims.get(bm.meter.id)
            if sim is None:
                raise Invalid(
                    msg("mv.option_d_needs_simulation", meter=bm.meter.name),
                    fields={
                        "simulations": [msg("mv.option_d_needs_simulation", meter=bm.meter.name)]
                    },
                )
            load = data.hourly_inputs if sim["interval"] == "hourly" else data.daily_inputs
            series = load(session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end)
            inputs.append(series)
            entries.append(option_d_entry(bm, series, sim))
            continue
        if plan.method is MvMethod.STIPULATED or bm.option is IpmvpOption.A:
            if plan.method is not MvMethod.STIPULATED or bm.option is not IpmvpOption.A:
                raise Invalid(
                    msg("mv.option_a_stipulated", meter=bm.meter.name),
                    fields={"boundary": [msg("mv.option_a_stipulated", meter=bm.meter.name)]},
                )
            series = data.daily_inputs(
                session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end
            )
            inputs.append(series)
            measured = measurements_of(
                session, plan.project_id, bm.meter.id, MeasuredParameter.BASELINE_DEMAND_KW
            )
            entries.append(
                option_a_entry(
                    bm, series, plan, allow_insufficient, measured[-1] if measured else None
                )
            )
            continue
        if bm.option not in COMPUTED_OPTIONS:
            raise Invalid(
                msg("mv.option_not_computed", meter=bm.meter.name, option=str(bm.option)),
                fields={
                    "boundary": [
                        msg("mv.option_not_computed", meter=bm.meter.name, option=str(bm.option))
                    ]
                },
            )
        if plan.method is MvMethod.HOURLY:
            series = data.hourly_inputs(
                session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end
            )
            inputs.append(series)
            entries.append(hourly_entry(bm, series, plan, allow_insufficient))
            continue
        series = data.daily_inputs(
            session, bm.meter, bm.site, plan.baseline_start, plan.baseline_end
        )
        if plan.method is MvMethod.DAILY and bm.meter.kind is MeterKind.BILLING:
            raise bill_meter_needs_billing(bm.meter)
        inputs.append(series)
        dates, usage, temps = series.arrays()
        comparison = None
        try:
            if plan.method is MvMethod.DAILY and plan.baseline_model is BaselineModelKind.DAY_TYPES:
                model, comparison = fit_day_types(session, bm, plan, series, allow_insufficient)
                types = comparison.pop("types")
                chart_dates, observed, modelled = dates, usage, model.predict(temps, types)
            elif plan.method is MvMethod.DAILY:
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
                starts, ends, totals = billing_periods(series)
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
            rules = failed_rules(exc)
            # The sentence names the meter; the rules are said once, under the data.
            raise Invalid(
                msg("mv.insufficient_data_rules", meter=bm.meter.name),
                fields={"data": rules},
                code="insufficient_data",
            ) from None
        except engine.InvalidInputError as exc:
            raise Invalid(
                msg("mv.meter_problem", meter=bm.meter.name, problem=str(exc)),
                fields={"data": [str(exc)]},
            ) from None
        md = model.to_dict()
        entries.append(
            {
                **bm.identity(),
                "model": md,
                "statistics": md["statistics"],
                "verdict": verdict(md["statistics"], months, None, plan.acceptance),
                "warnings": [w.to_dict() for w in series.warnings] + md["warnings"],
                "series": {
                    "dates": [str(d) for d in chart_dates],
                    "observed": [clean_float(v) for v in observed],
                    "modelled": [clean_float(v) for v in modelled],
                },
            }
        )
        if comparison is not None:
            entries[-1]["comparison"] = comparison
    return entries, inputs


# A missing day is counted by three CalTRACK rules (use or temperature, use, temperature): the
# combined one is said only when neither of the others is.
_COMBINED_RULE = "too_many_days_with_missing_data"
_SPECIFIC_RULES = {
    "too_many_days_with_missing_meter_data",
    "too_many_days_with_missing_temperature_data",
}


def failed_rules(exc: engine.InsufficientDataError) -> list:
    """The disqualifying CalTRACK rules of a refused fit as engine warnings said by code (or
    the refusal itself when no rule is named), each once."""
    bad = [w for w in exc.warnings if w.disqualifying]
    if any(w.code in _SPECIFIC_RULES for w in bad):
        bad = [w for w in bad if w.code != _COMBINED_RULE]
    return [EngineWarningText(w.message, w.code, w.data) for w in bad] or [exc.args[0]]


def bill_meter_needs_billing(meter: Meter) -> Invalid:
    """The refusal of a billing meter under the daily or hourly method, naming the method that
    fits bills."""
    sentence = msg(
        "mv.bill_meter_needs_billing_method",
        meter=meter.name,
        method=term(METHOD_BILLING_LABEL),
    )
    return Invalid(
        sentence,
        fields={"method": [msg("mv.bills_need_billing_method", method=term(METHOD_BILLING_LABEL))]},
    )


def fit_day_types(session: Session, bm, plan: MvPlan, series, allow_insufficient: bool):
    """The day-type model of one meter, and the classic model's fit beside it for comparison
    (``{"classic": {"model", "statistics"}, "types": [...]}``; ``types`` is popped by the
    caller). Day types come from the site's calendars (emc.calendars)."""
    from emc.calendars.service import day_types_at
    from emc.mv.engine import daytypes

    dates, usage, temps = series.arrays()
    types = day_types_at(session, bm.site.id, series.dates)
    model = daytypes.fit_daily_daytypes(
        dates,
        usage,
        temps,
        types,
        start=plan.baseline_start,
        end=plan.baseline_end,
        temperature_unit="C",
        allow_insufficient=allow_insufficient,
    )
    classic = engine.fit_daily(
        dates,
        usage,
        temps,
        start=plan.baseline_start,
        end=plan.baseline_end,
        temperature_unit="C",
        allow_insufficient=True,
    ).to_dict()
    return model, {
        "classic": {"model": classic, "statistics": classic["statistics"]},
        "types": types,
    }


def baseline_inputs(
    session: Session, baseline_models: list[dict], start, end
) -> list[data.DailyInputs | data.HourlyInputs]:
    """The current stored series under a baseline's meters (for its fingerprint): hours for
    an hourly model, days otherwise."""
    out = []
    for entry in baseline_models:
        meter = session.get(Meter, entry["meter_id"])
        site = session.get(Site, meter.site_id)
        hourly = is_hourly(entry) or (is_option_d(entry) and entry["model"]["interval"] == "hourly")
        load = data.hourly_inputs if hourly else data.daily_inputs
        out.append(load(session, meter, site, start, end))
    return out

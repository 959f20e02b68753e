"""The M&V plan of a project: boundary, options, method, baseline period, reporting frequency,
price basis, stipulated values and acceptance criteria.

Both parties edit the plan: a change is the plan's one workflow transition (``change``), so
it is journaled, bumps ``version``, and of two changes made from the same version exactly one
wins (the other, and a stale ``version``, is a 409). The plan never changes anything approved: a baseline records the
plan version, period, method and criteria it was fitted with, and reports use their baseline's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal, workflow
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import require
from emc.contracts.models import Contract, EmcProject
from emc.errors import Invalid, NotFound
from emc.facilities.ingest import MeterKind
from emc.facilities.models import Meter, ProjectSite
from emc.messages import msg
from emc.mv.models import BaselineModelKind, MvPlan, default_acceptance
from emc.mv.service._common import party_of, project_for
from emc.mv.service.compute.baseline import bill_meter_needs_billing
from emc.mv.service.compute.common import OPTION_A_PARAMETERS
from emc.workflow import tables

PLAN_FIELDS = (
    "boundary",
    "method",
    "baseline_start",
    "baseline_end",
    "reporting_frequency",
    "price_basis",
    "stipulated",
    "acceptance",
    "baseline_model",
    "version",
)


def _plan_parties(session: Session, plan: MvPlan) -> workflow.Parties:
    return workflow.Parties.of_project(session.get(EmcProject, plan.project_id))


PLAN = workflow.Binding(
    tables.MV_PLAN,
    MvPlan,
    _plan_parties,
    PLAN_FIELDS,
    state_attr=None,
    version_attr="version",
    state_of=lambda _plan: "current",
    link=lambda plan: f"/projects/{plan.project_id}/mv",
)


def plan_of(session: Session, project_id: int) -> MvPlan | None:
    return session.scalar(select(MvPlan).where(MvPlan.project_id == project_id))


def get_plan(session: Session, actor: Actor, project_id: int) -> MvPlan:
    """The plan of a visible project (NotFound if there is none yet)."""
    project = project_for(session, actor, project_id)
    plan = plan_of(session, project.id)
    if plan is None:
        raise NotFound(msg("mv.no_plan_yet", project=project.id))
    return plan


def price_basis(session: Session, project_id: int) -> list[dict[str, Any]]:
    """The contract's carrier prices (empty without a contract)."""
    contract = session.scalar(select(Contract).where(Contract.project_id == project_id))
    if contract is None:
        return []
    return [
        {
            "carrier": p["carrier"],
            "unit": p["unit"],
            "base_price": p["base_price"],
            "escalation": p.get("escalation", "0"),
        }
        for p in contract.terms.get("prices", [])
    ]


def _check_boundary(session: Session, project_id: int, boundary: list[dict]) -> list[dict]:
    site_ids = set(
        session.scalars(select(ProjectSite.site_id).where(ProjectSite.project_id == project_id))
    )
    seen, out, problems = set(), [], {}
    for i, item in enumerate(boundary):
        meter = session.get(Meter, item["meter_id"])
        if meter is None or meter.site_id not in site_ids:
            problems[f"boundary[{i}].meter_id"] = [msg("mv.boundary_not_project_meter")]
            continue
        if meter.id in seen:
            problems[f"boundary[{i}].meter_id"] = [msg("mv.boundary_listed_twice")]
            continue
        seen.add(meter.id)
        out.append({"meter_id": meter.id, "option": str(item["option"])})
    if problems:
        raise Invalid(msg("mv.measurement_boundary_invalid"), fields=problems)
    return out


def _check_bill_meters(session: Session, boundary: list[dict], method) -> None:
    """Refuse a billing meter regressed under the daily or hourly method: its bills are not
    days (each would land on its first day only); the billing method fits its bill periods."""
    if str(method) not in ("daily", "hourly"):
        return
    for item in boundary:
        meter = session.get(Meter, item["meter_id"])
        if meter.kind is MeterKind.BILLING and item["option"] in ("B", "C"):
            raise bill_meter_needs_billing(meter)


def _criteria(plan: MvPlan | None, method, given: dict[str, float] | None) -> dict[str, float]:
    """The acceptance criteria to store: those given, over the plan's agreed ones, over the G14
    defaults of the method. When the method changes, a criterion still at the old method's
    default follows the new method's default (an agreed value stays)."""
    base = default_acceptance(method)
    given = dict(given or {})
    if plan is not None:
        old_defaults = default_acceptance(plan.method)
        base |= {k: v for k, v in plan.acceptance.items() if v != old_defaults.get(k)}
        if str(plan.method) != str(method):
            # The page sends back every criterion it showed: one left at the old method's
            # default is not an agreement to keep it.
            given = {k: v for k, v in given.items() if v != old_defaults.get(k)}
    return {**base, **given}


# Plausible ranges of the stipulated values the engine uses (Option A), in their unit.
_STIPULATED_RANGES = {
    "baseline_demand_kw": (Decimal(0), Decimal(10**6)),
    "reporting_demand_kw": (Decimal(0), Decimal(10**6)),
    "interactive_factor": (Decimal(-1), Decimal(1)),
}
_HOURS = ("operating_hours_per_day", "reporting_operating_hours_per_day")


def _check_stipulated(items: list[dict]) -> None:
    """Refuse a stipulated value the engine would compute nonsense from: a known parameter in
    another unit or out of its plausible range (hours per day in (0, 24], demand 0–10⁶ kW, an
    interactive factor from −1 to 1), a value that is not finite, or a name given twice. Errors
    name ``stipulated[i].<field>``."""
    problems: dict[str, list] = {}
    seen: set[str] = set()
    for i, item in enumerate(items):
        name, unit = item["name"], item["unit"]
        try:
            value = Decimal(str(item["value"]))
        except ArithmeticError:
            value = Decimal("NaN")
        if name in seen:
            problems[f"stipulated[{i}].name"] = [msg("mv.stipulated_twice")]
        seen.add(name)
        expected = OPTION_A_PARAMETERS.get(name)
        if expected is not None and unit != expected:
            problems[f"stipulated[{i}].unit"] = [msg("mv.stipulated_in_unit", unit=expected)]
        elif not value.is_finite():
            problems[f"stipulated[{i}].value"] = [msg("finance.not_finite")]
        elif name in _HOURS and not 0 < value <= 24:
            problems[f"stipulated[{i}].value"] = [msg("mv.stipulated_positive_hours")]
        elif name in _STIPULATED_RANGES:
            low, high = _STIPULATED_RANGES[name]
            if not low <= value <= high:
                problems[f"stipulated[{i}].value"] = [
                    msg("mv.stipulated_between", low=low, high=high, unit=expected)
                ]
    if problems:
        raise Invalid(msg("mv.stipulated_implausible"), fields=problems)


def put_plan(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    boundary: list[dict],
    method,
    baseline_start: dt.date,
    baseline_end: dt.date,
    reporting_frequency,
    stipulated: list[dict] | None = None,
    acceptance: dict[str, float] | None = None,
    version: int | None = None,
    baseline_model=None,
) -> MvPlan:
    """Create or change a project's M&V plan (either party's M&V roles).

    The price basis is copied from the contract's carrier prices. ``version`` (when given) must
    be the current one. Raises Invalid (boundary meters not of the project's sites, period
    reversed), Conflict (stale version), Forbidden (not a party).
    """
    project = project_for(session, actor, project_id)
    require(actor, Permission.MV_PLAN_EDIT)
    party_of(actor, project)
    if baseline_end <= baseline_start:
        raise Invalid(
            msg("mv.baseline_period_ends_before_starts"),
            fields={"baseline_end": [msg("mv.must_after_baseline_start")]},
        )
    checked = _check_boundary(session, project.id, boundary)
    _check_bill_meters(session, checked, method)
    _check_stipulated(stipulated or [])
    plan = plan_of(session, project.id)
    # Day types are a daily model; a plan that does not say keeps what it had (classic if new).
    given = baseline_model
    if baseline_model is None:
        baseline_model = plan.baseline_model if plan is not None else BaselineModelKind.CLASSIC
    if str(method) != "daily":
        if given is not None and BaselineModelKind(given) is BaselineModelKind.DAY_TYPES:
            raise Invalid(
                msg("mv.day_types_go_with_daily"),
                fields={"baseline_model": [msg("mv.day_types_need_daily_method")]},
            )
        baseline_model = BaselineModelKind.CLASSIC
    criteria = _criteria(plan, method, acceptance)

    def apply(row: MvPlan) -> None:
        row.boundary = checked
        row.method = method
        row.baseline_start = baseline_start
        row.baseline_end = baseline_end
        row.reporting_frequency = reporting_frequency
        row.price_basis = price_basis(session, project.id)
        row.stipulated = list(stipulated or [])
        row.acceptance = criteria
        row.baseline_model = BaselineModelKind(baseline_model)
        row.updated_by_user_id = actor.user_id

    def change(row: MvPlan) -> None:
        apply(row)
        row.version += 1

    if plan is not None:
        return workflow.transition(
            session,
            actor,
            PLAN,
            "change",
            plan.id,
            version=version,
            apply=change,
            summary=f"M&V plan version {plan.version + 1}",
            obj=plan,
        )
    plan = MvPlan(project_id=project.id, version=1)
    session.add(plan)
    apply(plan)
    session.flush()
    journal.record(
        session,
        actor,
        "create",
        plan,
        organization_id=project.organization_id,
        before=None,
        after=journal.snapshot(plan, PLAN_FIELDS),
        summary=f"M&V plan version {plan.version}",
    )
    return plan

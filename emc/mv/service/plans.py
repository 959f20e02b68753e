"""The M&V plan of a project: boundary, options, method, baseline period, reporting frequency,
price basis, stipulated values and acceptance criteria.

Both parties edit the plan (every change is journaled and bumps ``version``; a stale
``version`` is a Conflict). The plan never changes anything approved: a baseline records the
plan version, period, method and criteria it was fitted with, and reports use their baseline's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import require
from emc.contracts.models import Contract
from emc.errors import Conflict, Invalid, NotFound
from emc.facilities.models import Meter, ProjectSite
from emc.messages import msg
from emc.mv.models import BaselineModelKind, MvPlan, default_acceptance
from emc.mv.service._common import party_of, project_for

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
            problems[f"boundary[{i}].meter_id"] = ["not a meter of the project's sites"]
            continue
        if meter.id in seen:
            problems[f"boundary[{i}].meter_id"] = ["listed twice"]
            continue
        seen.add(meter.id)
        out.append({"meter_id": meter.id, "option": str(item["option"])})
    if problems:
        raise Invalid(msg("mv.measurement_boundary_invalid"), fields=problems)
    return out


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
    before = None
    if plan is None:
        plan = MvPlan(project_id=project.id, version=1)
        session.add(plan)
    else:
        if version is not None and version != plan.version:
            raise Conflict(
                msg("mv.plan_stale", seen=version, version=plan.version),
                fields={"version": [msg("workflow.stale_field", version=plan.version)]},
            )
        before = journal.snapshot(plan, PLAN_FIELDS)
        plan.version += 1
    plan.boundary = checked
    plan.method = method
    plan.baseline_start = baseline_start
    plan.baseline_end = baseline_end
    plan.reporting_frequency = reporting_frequency
    plan.price_basis = price_basis(session, project.id)
    plan.stipulated = list(stipulated or [])
    plan.acceptance = criteria
    plan.baseline_model = BaselineModelKind(baseline_model)
    plan.updated_by_user_id = actor.user_id
    session.flush()
    journal.record(
        session,
        actor,
        "create" if before is None else "update",
        plan,
        organization_id=project.organization_id,
        before=before,
        after=journal.snapshot(plan, PLAN_FIELDS),
        summary=f"M&V plan version {plan.version}",
    )
    return plan

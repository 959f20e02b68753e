"""Programme targets: project counts and intensity reductions by region and window, with
allocations to sub-regions that may not exceed the parent's target."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from emc import journal
from emc.auth.actor import Actor
from emc.auth.models import Organization, Region
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scoped
from emc.auth.regions import in_subtree, parent_of
from emc.errors import Conflict, Forbidden, Invalid
from emc.i18n import N_
from emc.messages import msg
from emc.programme import stats
from emc.programme.models import (
    Metric,
    ProgrammeTarget,
)
from emc.programme.service._common import (
    TARGET_FIELDS,
)

log = logging.getLogger(__name__)


def list_targets(
    session: Session, actor: Actor, *, region: str | None = None, metric: Metric | None = None
) -> list[ProgrammeTarget]:
    """Targets the agency may see (its subtree and its ancestors'), by region and window."""
    require(actor, Permission.PROGRAMME_READ)
    stmt = scoped(actor, ProgrammeTarget)
    if region is not None:
        stmt = stmt.where(ProgrammeTarget.region_code == region)
    if metric is not None:
        stmt = stmt.where(ProgrammeTarget.metric == metric)
    return list(
        session.scalars(
            stmt.order_by(
                ProgrammeTarget.region_code, ProgrammeTarget.metric, ProgrammeTarget.start_year
            )
        )
    )


def get_target(session: Session, actor: Actor, target_id: int) -> ProgrammeTarget:
    require(actor, Permission.PROGRAMME_READ)
    return load(session, actor, ProgrammeTarget, target_id)


def _check_target_values(data: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    if data["end_year"] < data["start_year"]:
        problems["end_year"] = [N_("must not be before start_year")]
    if data["metric"] is Metric.PROJECTS:
        if data.get("project_count") is None:
            problems["project_count"] = [N_("is required for a project-count target")]
        if data.get("reduction_pct") is not None:
            problems["reduction_pct"] = [N_("applies to intensity targets only")]
        if data.get("base_year") is not None:
            problems["base_year"] = [N_("applies to intensity targets only")]
    else:
        if data.get("reduction_pct") is None:
            problems["reduction_pct"] = [N_("is required for an intensity target")]
        if data.get("base_year") is None:
            problems["base_year"] = [N_("is required for an intensity target")]
        elif data["base_year"] >= data["start_year"]:
            problems["base_year"] = [N_("must be before start_year")]
        if data.get("project_count") is not None:
            problems["project_count"] = [N_("applies to project-count targets only")]
    if problems:
        raise Invalid(msg("programme.invalid_target"), fields=problems)


def _same_window(session: Session, target: ProgrammeTarget) -> list[ProgrammeTarget]:
    return list(
        session.scalars(
            select(ProgrammeTarget).where(
                ProgrammeTarget.metric == target.metric,
                ProgrammeTarget.start_year == target.start_year,
                ProgrammeTarget.end_year == target.end_year,
                ProgrammeTarget.id != (target.id or 0),
            )
        )
    )


def _check_allocation(session: Session, target: ProgrammeTarget) -> None:
    """Allocations to sub-regions may not exceed the region's own target, on both sides of
    ``target``: its siblings' and its own share of its parent, and its children's share of it."""
    if target.metric is not Metric.PROJECTS:
        return
    others = _same_window(session, target)
    parent = parent_of(target.region_code)
    parent_target = next((t for t in others if t.region_code == parent), None)
    if parent_target is not None:
        siblings = [t.project_count for t in others if parent_of(t.region_code) == parent]
        allocations = [*siblings, target.project_count]
        if stats.allocation_problem(parent_target.project_count, allocations):
            # The core's sentence, from the catalogue: a page says it in the reader's language.
            raise Invalid(
                msg("programme.allocations_exceed", parent=parent),
                fields={
                    "project_count": [
                        msg(
                            "programme.allocations_total_exceed",
                            total=sum(allocations),
                            target=parent_target.project_count,
                        )
                    ]
                },
            )
    children = [t.project_count for t in others if parent_of(t.region_code) == target.region_code]
    if children and sum(children) > target.project_count:
        raise Invalid(
            msg("programme.target_below_what_already_allocates"),
            fields={
                "project_count": [
                    msg(
                        "programme.children_exceed",
                        allocated=sum(children),
                        target=target.project_count,
                    )
                ]
            },
        )


def _check_overlap(session: Session, target: ProgrammeTarget) -> None:
    clash = session.scalar(
        select(ProgrammeTarget).where(
            ProgrammeTarget.region_code == target.region_code,
            ProgrammeTarget.metric == target.metric,
            ProgrammeTarget.id != (target.id or 0),
            ProgrammeTarget.start_year <= target.end_year,
            ProgrammeTarget.end_year >= target.start_year,
        )
    )
    if clash is not None:
        # Named as the targets page shows it (region and years), never by its id alone.
        region = session.get(Region, clash.region_code)
        raise Conflict(
            msg("programme.target_region_metric_already_covers"),
            fields={
                "start_year": [
                    msg(
                        "programme.overlaps_target_named",
                        target=clash.id,
                        region=region.name_zh if region is not None else clash.region_code,
                        start_year=clash.start_year,
                        end_year=clash.end_year,
                    )
                ]
            },
        )


def create_target(session: Session, actor: Actor, **data: Any) -> ProgrammeTarget:
    """Set a target for the agency's own region or one in its subtree (``data`` from
    ``TargetIn``). Raises Invalid naming the field (region outside the subtree, values that do
    not fit the metric, allocations above the parent's target), Conflict for an overlap."""
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    region = data["region_code"]
    if not in_subtree(region, actor.region_code):
        raise Invalid(
            msg("programme.region_outside_your_area"),
            fields={"region_code": [msg("programme.not_your_region")]},
        )
    if session.get(Region, region) is None:
        raise Invalid(
            msg("programme.unknown_region"),
            fields={"region_code": [msg("programme.unknown_division_code")]},
        )
    _check_target_values(data)
    target = ProgrammeTarget(set_by_organization_id=actor.organization_id, **data)
    _check_overlap(session, target)
    _check_allocation(session, target)
    journal.add_created(
        session, actor, target, fields=TARGET_FIELDS, organization_id=actor.organization_id
    )
    log.info("target %s for %s set by %s", target.id, region, actor.label)
    return target


def _editable(session: Session, actor: Actor, target: ProgrammeTarget) -> None:
    """A target is changed by the agency that set it or by an agency above that one: a city
    cannot rewrite the allocation its province gave it."""
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    setter_region = session.scalar(
        select(Organization.region_code).where(Organization.id == target.set_by_organization_id)
    )
    if not in_subtree(target.region_code, actor.region_code) or not (
        setter_region is not None and in_subtree(setter_region, actor.region_code)
    ):
        raise Forbidden(msg("programme.target_was_set_by_higher"))


def may_change_target(session: Session, actor: Actor, target: ProgrammeTarget) -> bool:
    """Whether ``actor`` may change or delete ``target`` (the rule of :func:`update_target` and
    :func:`delete_target`), for pages that offer those actions only to whoever may."""
    try:
        _editable(session, actor, target)
    except Forbidden:
        return False
    return True


def update_target(
    session: Session, actor: Actor, target_id: int, *, version: int | None = None, **changes: Any
) -> ProgrammeTarget:
    """Change a target's values (not its region, metric or window: set a new one instead)."""
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    target = load(session, actor, ProgrammeTarget, target_id)
    _editable(session, actor, target)
    if version is not None and version != target.version:
        raise Conflict(
            msg("programme.target_was_changed_meanwhile"),
            fields={"version": [msg("programme.stale_reload_retry")]},
        )
    before = journal.snapshot(target, TARGET_FIELDS)
    merged = {**{k: getattr(target, k) for k in TARGET_FIELDS}, **changes}
    _check_target_values(merged)
    # Checked on a detached probe first: a refused change must not linger in the session.
    _check_allocation(session, ProgrammeTarget(id=target.id, **merged))
    try:
        journal.apply_update(
            session,
            actor,
            target,
            changes,
            before=before,
            fields=TARGET_FIELDS,
            organization_id=actor.organization_id,
        )
    except StaleDataError:
        raise Conflict(
            msg("programme.target_was_changed_meanwhile"), fields={"version": [msg("watch.stale")]}
        ) from None
    return target


def delete_target(session: Session, actor: Actor, target_id: int) -> None:
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    target = load(session, actor, ProgrammeTarget, target_id)
    _editable(session, actor, target)
    journal.record(
        session,
        actor,
        "delete",
        target,
        organization_id=actor.organization_id,
        before=journal.snapshot(target, TARGET_FIELDS),
    )
    session.delete(target)
    session.flush()


def _window_target(
    session: Session, region: str, metric: Metric, year: int, window: tuple[int, int] | None
) -> ProgrammeTarget | None:
    stmt = select(ProgrammeTarget).where(
        ProgrammeTarget.region_code == region, ProgrammeTarget.metric == metric
    )
    if window is not None:
        stmt = stmt.where(
            ProgrammeTarget.start_year == window[0], ProgrammeTarget.end_year == window[1]
        )
    rows = list(session.scalars(stmt.order_by(ProgrammeTarget.start_year)))
    current = [t for t in rows if t.start_year <= year <= t.end_year]
    return (current or rows[-1:] or [None])[0]

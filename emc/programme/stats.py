"""Programme arithmetic: the counting rule, pace and projection, intensities. Pure.

No Flask, no database, no clock: callers pass the date "as of" which progress is measured. The
database layer (``emc.programme.service``) applies the same counting rule in SQL so that counts
are grouped in the database; ``tests/programme`` checks that both give the same answers.

The counting rule (shown on the dashboard in words, :data:`COUNTING_RULE`)
    A project counts **once**, in the calendar year (and month) in which its contract was signed
    (``signed_on``), in the region of its institution. It must be in a signed status (contracted,
    implementing, operating, completed, or terminated after operation started). A project
    terminated **before operation** (terminated with no ``operation_start_on``) is listed but not
    counted. Amendments change a contract's terms, never its count: there is one contract per
    project and the count follows the project. An institution that moves to another region is
    counted where it is **now** (the region is read from the institution at query time), so a
    region's history can change when an institution moves; the nightly snapshots keep the
    figures as they were reported on each date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from emc.energy import FactorKind, FactorSet

__all__ = [
    "COUNTING_RULE",
    "Accounting",
    "SIGNED_STATUSES",
    "CountDecision",
    "CountReason",
    "Intensity",
    "IntensityChange",
    "Pace",
    "account",
    "allocation_problem",
    "count_decision",
    "cumulative",
    "intensity",
    "intensity_change",
    "pace",
    "round_to",
    "window_fraction",
]

# The project statuses in which a contract has been signed (``emc.contracts.models``
# SIGNED_STATUSES, as plain values: this module imports nothing from the database layer).
SIGNED_STATUSES = frozenset({"contracted", "implementing", "operating", "completed", "terminated"})
TERMINATED = "terminated"

COUNTING_RULE = {
    "en": (
        "A project counts once, in the year its contract was signed, in the region where its "
        "institution is now. Projects terminated before operation started are listed but not "
        "counted. Amended contracts still count once. Custody (energy-cost custody) projects "
        "and each contract type are shown separately."
    ),
    "zh_CN": (
        "每个项目只计一次：计入合同签订的年份，计入其公共机构当前所在的地区。"
        "投入运行前即终止的项目列出但不计数。合同变更后仍只计一次。"
        "能源费用托管型项目及各合同类型分别列示。"
    ),
}


class CountReason(StrEnum):
    COUNTED = "counted"
    NOT_SIGNED = "not_signed"  # draft / proposed, or no signing date recorded
    TERMINATED_BEFORE_OPERATION = "terminated_before_operation"


@dataclass(frozen=True)
class CountDecision:
    """Whether a project counts toward the target and, if so, in which year and month."""

    counted: bool
    reason: CountReason
    year: int | None = None
    month: int | None = None


def count_decision(
    status: str, signed_on: dt.date | None, operation_start_on: dt.date | None
) -> CountDecision:
    """Apply the counting rule to one project (``status`` is a ``ProjectStatus`` value)."""
    status = str(status)
    if signed_on is None or status not in SIGNED_STATUSES:
        return CountDecision(False, CountReason.NOT_SIGNED)
    if status == TERMINATED and operation_start_on is None:
        return CountDecision(False, CountReason.TERMINATED_BEFORE_OPERATION)
    return CountDecision(True, CountReason.COUNTED, signed_on.year, signed_on.month)


def window_fraction(start_year: int, end_year: int, as_of: dt.date) -> Decimal:
    """The elapsed share of the window ``[1 Jan start_year, 1 Jan end_year + 1)`` on ``as_of``
    (the day ``as_of`` itself counted as elapsed), clipped to 0..1."""
    start = dt.date(start_year, 1, 1)
    end = dt.date(end_year + 1, 1, 1)
    days = (end - start).days
    elapsed = (as_of - start).days + 1
    elapsed = min(max(elapsed, 0), days)
    return Decimal(elapsed) / Decimal(days)


def round_to(value: Decimal, places: int = 1) -> Decimal:
    """The one rounding of reported figures: half-even to ``places`` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Pace:
    """Progress toward a count target over a window, on one date.

    ``expected``: where a straight line from 0 at the window's start to the target at its end
    stands today. ``projected``: the count at the window's end if signing continues at the
    average rate so far (counted / elapsed share); None before the window starts.
    ``share``: counted / target (0..1+), None without a target.
    """

    counted: int
    target: int | None
    elapsed: Decimal
    expected: Decimal | None
    projected: Decimal | None
    share: Decimal | None

    @property
    def on_track(self) -> bool | None:
        if self.target is None or self.projected is None:
            return None
        return self.projected >= self.target


def pace(counted: int, target: int | None, start_year: int, end_year: int, as_of: dt.date) -> Pace:
    """Pace and linear projection of ``counted`` projects against ``target`` (see :class:`Pace`)."""
    elapsed = window_fraction(start_year, end_year, as_of)
    projected = round_to(Decimal(counted) / elapsed) if elapsed > 0 else None
    expected = round_to(Decimal(target) * elapsed) if target is not None else None
    share = (
        round_to(Decimal(counted) / Decimal(target), 4) if target is not None and target else None
    )
    return Pace(counted, target, elapsed, expected, projected, share)


def cumulative(
    monthly: Mapping[tuple[int, int], int], start_year: int, end_month: tuple[int, int]
) -> list[tuple[str, int]]:
    """Running totals by month from January of ``start_year`` to ``end_month`` (inclusive),
    as ``("YYYY-MM", total)``; months without signings repeat the running total."""
    out: list[tuple[str, int]] = []
    total = 0
    year, month = start_year, 1
    while (year, month) <= end_month:
        total += monthly.get((year, month), 0)
        out.append((f"{year:04d}-{month:02d}", total))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def allocation_problem(parent_target: int | None, allocations: Iterable[int]) -> str | None:
    """Why the children's allocations do not fit the parent's target, or None if they fit."""
    total = sum(allocations)
    if parent_target is not None and total > parent_target:
        return f"allocations total {total}, more than the parent target {parent_target}"
    return None


@dataclass(frozen=True)
class Intensity:
    """Energy and CO2 per m² of one year (kgce/m² and kgCO2/m²), from totals in tonnes."""

    year: int
    energy_tce: Decimal
    co2_t: Decimal
    floor_area_m2: Decimal
    institutions: int

    @property
    def energy_kgce_per_m2(self) -> Decimal | None:
        if not self.floor_area_m2:
            return None
        return self.energy_tce * 1000 / self.floor_area_m2

    @property
    def co2_kg_per_m2(self) -> Decimal | None:
        if not self.floor_area_m2:
            return None
        return self.co2_t * 1000 / self.floor_area_m2


def intensity(
    year: int, energy_tce: Decimal, co2_t: Decimal, floor_area_m2: Decimal, institutions: int
) -> Intensity:
    return Intensity(
        year, Decimal(energy_tce), Decimal(co2_t), Decimal(floor_area_m2), institutions
    )


@dataclass(frozen=True)
class IntensityChange:
    """Change of an intensity from the base year to ``year``, in percent (negative = reduced),
    and whether it meets a reduction target given in percent (5 means −5 %)."""

    base_year: int
    year: int
    base: Decimal
    current: Decimal
    change_pct: Decimal
    target_reduction_pct: Decimal | None

    @property
    def met(self) -> bool | None:
        if self.target_reduction_pct is None:
            return None
        return self.change_pct <= -self.target_reduction_pct


def intensity_change(
    base: Decimal | None,
    current: Decimal | None,
    base_year: int,
    year: int,
    target_reduction_pct: Decimal | None = None,
) -> IntensityChange | None:
    """Percent change from ``base`` to ``current`` (rounded to 0.01); None without both."""
    if base is None or current is None or not base:
        return None
    change = round_to((current - base) * 100 / base, 2)
    return IntensityChange(base_year, year, base, current, change, target_reduction_pct)


def series_by_year(rows: Sequence[Intensity]) -> dict[int, Intensity]:
    return {row.year: row for row in rows}


@dataclass(frozen=True)
class Accounting:
    """A quantity of one carrier in tce and tCO2 (unrounded), with notes on the factors used."""

    tce: Decimal
    co2_t: Decimal
    notes: tuple[str, ...]
    # The factor rows that produced the figures, keyed as reports cite them
    # (``carrier/kind/variant/scope/region/year``): {"tce": ref, "co2": ref}.
    factors: tuple[tuple[str, str], ...] = ()


def _one(factors: FactorSet, kind: FactorKind, quantity, unit, carrier, year, region_code):
    convert = factors.to_tce if kind is FactorKind.TCE else factors.to_co2
    # The one rule of emc.energy.FactorSet.select (as M&V reports use it): a later year's
    # factor stands in for an unpublished year (stale), the earliest for a year before the
    # first published one (before_first); either is noted.
    result = convert(quantity, unit, carrier, year=year, region_code=region_code)
    ref = None
    if result.factor is not None:
        f = result.factor
        ref = "/".join(
            str(x) if x is not None else "-"
            for x in (f.carrier, f.kind, f.variant, f.scope, f.region, f.year)
        )
    note = None
    if result.factor is not None and result.before_first:
        note = (
            f"{carrier} {kind.value}: {result.factor.year} factor used for {year} "
            f"(before the first published year)"
        )
    elif result.factor is not None and result.stale:
        note = f"{carrier} {kind.value}: {result.factor.year} factor used for {year}"
    return result.amount, note, ref


def account(
    factors: FactorSet,
    carrier: str,
    quantity: Decimal,
    unit: str,
    *,
    year: int,
    region_code: str | None,
) -> Accounting:
    """``quantity`` of ``carrier`` (in ``unit``) in tce and tCO2 with the reference factors of
    ``year`` at ``region_code``, by the one rule of :meth:`emc.energy.FactorSet.select` (the
    M&V reports' rule too): an unpublished later year takes the latest factor, a year before
    the first published one the earliest, and either is noted. ``factors`` names the rows used.

    Raises:
        UnitError: unknown unit or one that does not fit the carrier.
        FactorNotFound: no factor at all for the carrier.
        ValueError: unknown carrier.
    """
    tce, n1, r1 = _one(factors, FactorKind.TCE, quantity, unit, carrier, year, region_code)
    co2, n2, r2 = _one(factors, FactorKind.CO2, quantity, unit, carrier, year, region_code)
    refs = tuple((k, r) for k, r in (("tce", r1), ("co2", r2)) if r)
    return Accounting(tce, co2, tuple(n for n in (n1, n2) if n), refs)

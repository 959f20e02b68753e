"""Programme savings with a 90 % interval, aggregated from accepted M&V reports.

Method (also on the dashboard's help):

1. **A report.** Each accepted report has its savings S (tce; and tCO2 and yuan) and its
   fractional savings uncertainty at 90 %, FSU₉₀ (ASHRAE Guideline 14 Annex B, with the lag-1
   autocorrelation of the baseline residuals). Its standard error is
   σ = FSU₉₀ · |S| / z₀.₉₅ with z₀.₉₅ = 1.645. tCO2 and money follow through the factors: the
   report's tCO2 and yuan are its energy savings times factors and prices, so they carry the same
   relative uncertainty, σ_tCO2 = FSU₉₀ · |tCO2| / 1.645 and likewise for yuan. A report without
   an FSU (options A and D, stipulated values) adds no statistical variance.
2. **A project.** Its reporting periods are *not* independent: every period is predicted by the
   same baseline model, so the model's own error is common to all of them. Over a period of m
   days, the model's error of the total has variance ∝ m² s² / n′ (the baseline carries n′
   = n (1 − ρ) / (1 + ρ) effectively independent days, ρ its residuals' lag-1 autocorrelation),
   and the period's own noise ∝ m s² · n / n′ (G14's autocorrelation factor, the reporting period
   assumed to behave as the baseline did). The model's share of period k's variance is therefore
   c_k = (m_k / n′) / (m_k / n′ + n / n′), and two periods' errors correlate with
   r_kl = sqrt(c_k · c_l). The project's variance is σ²_P = Σ_k σ_k² + Σ_{k≠l} r_kl σ_k σ_l.
   A report whose baseline statistics are unknown counts as fully correlated (c = 1), the
   cautious choice.
3. **The programme.** Projects are independent (different buildings, baselines and meters), so
   variances add: σ² = Σ_P σ²_P, and the interval is S_total ± 1.645 σ.

``bench/portfolio.py`` checks the coverage of this interval on simulated portfolios.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from emc.auth.models import Organization, OrgKind
from emc.auth.policy import region_filter
from emc.contracts.models import EmcProject
from emc.mv.models import Baseline, MvReport, ReportStatus
from emc.programme.summary import latest_accepted

__all__ = [
    "Z90",
    "Interval",
    "ReportSavings",
    "aggregate",
    "format_interval",
    "model_share",
    "period_correlation",
    "programme_intervals",
]

#: Two-tailed 90 % normal quantile.
Z90 = 1.6448536269514722
QUANTITIES = ("tce", "tco2", "cny")


@dataclass(frozen=True)
class ReportSavings:
    """One accepted report's figures: savings per quantity, FSU at 90 % (``None``: stipulated),
    its reporting days m, and its baseline's days n and effective days n′ (``None``: unknown)."""

    project_id: int
    savings: dict  # quantity → float
    fsu_90: float | None
    m_days: int
    n_days: int | None
    n_prime: float | None


@dataclass(frozen=True)
class Interval:
    """A total with its 90 % interval (``low``, ``high``) and standard error."""

    total: float
    low: float
    high: float
    std_error: float


def model_share(m_days: int, n_days: int | None, n_prime_: float | None) -> float:
    """Share of a reporting period's error variance that is the baseline model's (common to all
    periods of the project): (m / n′) / (m / n′ + n / n′); 1 when the baseline is unknown."""
    if not n_days or n_prime_ is None or not math.isfinite(n_prime_) or n_prime_ <= 0:
        return 1.0
    model, noise = m_days / n_prime_, n_days / n_prime_
    return model / (model + noise)


def period_correlation(a: ReportSavings, b: ReportSavings) -> float:
    """Correlation of two reporting periods' errors under one project's baseline."""
    return math.sqrt(
        model_share(a.m_days, a.n_days, a.n_prime) * model_share(b.m_days, b.n_days, b.n_prime)
    )


def n_prime(n: int | None, rho: float | None) -> float | None:
    """Autocorrelation-adjusted sample size n (1 − ρ) / (1 + ρ) (G14); ``None`` if unknown."""
    if not n:
        return None
    rho = 0.0 if rho is None or not math.isfinite(rho) else max(min(rho, 0.999999), -0.999999)
    return n * (1.0 - rho) / (1.0 + rho)


def aggregate(reports: Iterable[ReportSavings], quantity: str = "tce") -> Interval:
    """The programme total of ``quantity`` and its 90 % interval (method in the module doc)."""
    by_project: dict[int, list[ReportSavings]] = {}
    total = 0.0
    for r in reports:
        total += r.savings[quantity]
        by_project.setdefault(r.project_id, []).append(r)
    variance = 0.0
    for items in by_project.values():
        sig = [
            (r.fsu_90 * abs(r.savings[quantity]) / Z90) if r.fsu_90 is not None else 0.0
            for r in items
        ]
        var = sum(s * s for s in sig)
        for i in range(len(items)):
            for j in range(len(items)):
                if i != j:
                    var += period_correlation(items[i], items[j]) * sig[i] * sig[j]
        variance += var
    se = math.sqrt(variance)
    return Interval(total, total - Z90 * se, total + Z90 * se, se)


def format_interval(iv: Interval, unit: str, places: int = 1) -> str:
    """``"7.5 tce (90 %: 6.1–8.9)"``."""
    f = f"{{:,.{places}f}}"
    return f"{f.format(iv.total)} {unit} (90 %: {f.format(iv.low)}–{f.format(iv.high)})"


def _baseline_sizes(models: list[dict]) -> tuple[int | None, float | None]:
    """(n, n′) of the baseline's fitted meter with the smallest n′ (the most correlated)."""
    best: tuple[int | None, float | None] = (None, None)
    for entry in models or []:
        st = entry.get("statistics") or {}
        v = n_prime(st.get("n"), st.get("autocorrelation"))
        if v is not None and (best[1] is None or v < best[1]):
            best = (int(st["n"]), v)
    return best


def programme_reports(
    session: Session, region: str, start_year: int, end_year: int
) -> list[ReportSavings]:
    """The latest accepted reports of institutions in ``region``'s subtree whose period starts
    in ``[start_year, end_year]`` — the dashboard's verified savings — as :class:`ReportSavings`.
    The caller has checked the actor's right to read ``region``."""
    year = extract("year", MvReport.period_start)
    rows = session.execute(
        select(
            MvReport.project_id,
            MvReport.tce_avoided,
            MvReport.tco2_avoided,
            MvReport.savings_value,
            MvReport.fsu_90,
            MvReport.baseline_id,
            MvReport.period_start,
            MvReport.period_end,
        )
        .join(EmcProject, EmcProject.id == MvReport.project_id)
        .join(Organization, Organization.id == EmcProject.organization_id)
        .where(
            MvReport.status == ReportStatus.ACCEPTED,
            latest_accepted(),
            Organization.kind == OrgKind.INSTITUTION,
            region_filter(Organization.region_code, region),
            year >= start_year,
            year <= end_year,
        )
    ).all()
    baseline_ids = {r.baseline_id for r in rows}
    sizes = {
        b.id: _baseline_sizes(b.models)
        for b in session.scalars(select(Baseline).where(Baseline.id.in_(baseline_ids)))
    }
    return [
        ReportSavings(
            project_id=r.project_id,
            savings={
                "tce": float(r.tce_avoided or Decimal(0)),
                "tco2": float(r.tco2_avoided or Decimal(0)),
                "cny": float(r.savings_value or Decimal(0)),
            },
            fsu_90=r.fsu_90 if r.fsu_90 is not None and math.isfinite(r.fsu_90) else None,
            m_days=(r.period_end - r.period_start).days,
            n_days=sizes.get(r.baseline_id, (None, None))[0],
            n_prime=sizes.get(r.baseline_id, (None, None))[1],
        )
        for r in rows
    ]


def programme_intervals(session: Session, region: str, start_year: int, end_year: int) -> dict:
    """``{"tce": Interval, "tco2": Interval, "cny": Interval, "reports": n, "text": {...}}``
    for the dashboard cards and exports."""
    reports = programme_reports(session, region, start_year, end_year)
    out = {q: aggregate(reports, q) for q in QUANTITIES}
    return {
        **out,
        "reports": len(reports),
        "text": {
            "tce": format_interval(out["tce"], "tce"),
            "tco2": format_interval(out["tco2"], "tCO2"),
            "cny": format_interval(out["cny"], "元", places=2),
        },
    }

"""Presenting a project's economics: the JSON payload and the cumulative cash-flow chart as
inline SVG drawn on the server (no script, prints as it is). Data in, text out.

Time convention (as in :mod:`emc.contracts.finance.economics`): ``cash_flows[0]`` is signing,
t = 0, and ``cash_flows[k]`` the net of contract year k at t = k. ``npv`` is
``numpy_financial.npv``, which treats the first flow as t = 0 (unlike a spreadsheet's NPV,
which discounts the first value by one period).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Any

from emc.contracts import finance


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def party_payload(p: finance.PartyEconomics) -> dict[str, Any]:
    return {
        "party": p.party.value,
        "cash_flows": [str(v) for v in p.cash_flows],
        "cumulative": [str(v) for v in p.cumulative],
        "discounted_cumulative": [str(v) for v in p.discounted_cumulative],
        "npv": str(p.npv),
        "irr": _s(p.irr),
        "simple_payback_years": _s(p.simple_payback_years),
        "discounted_payback_years": _s(p.discounted_payback_years),
    }


def payload(econ: Any) -> dict[str, Any]:
    """The JSON form of a ``service.ProjectEconomics``: Decimals as strings, rates as fractions
    per year, paybacks in years, the time convention stated."""
    a, r = econ.assumptions, econ.result
    return {
        "time_convention": (
            "cash_flows[0] is signing (t = 0), cash_flows[k] contract year k (t = k); npv is "
            "numpy_financial.npv, which treats the first flow as t = 0"
        ),
        "discount_rate": str(r.discount_rate),
        "assumptions": {
            "esco_investment": str(a.esco_investment),
            "institution_investment": str(a.institution_investment),
            "esco_annual_cost": str(a.esco_annual_cost),
            "institution_annual_cost": str(a.institution_annual_cost),
            "extra": [
                {
                    "party": i.party.value,
                    "contract_year": i.contract_year,
                    "amount": str(i.amount),
                    "description": i.description,
                }
                for i in a.extra
            ],
        },
        # Each party's running costs from the terms, per contract year (negative: paid).
        "costs": [
            {
                "party": i.party.value,
                "contract_year": i.contract_year,
                "amount": str(i.amount),
                "description": i.description,
            }
            for i in r.costs
        ],
        "savings_value": [str(v) for v in r.savings_value],
        "institution": party_payload(r.institution),
        "esco": party_payload(r.esco),
        "sensitivity": [
            {
                "name": c.name,
                "savings_factor": str(c.savings_factor),
                "price_factor": str(c.price_factor),
                "institution_npv": str(c.institution_npv),
                "institution_irr": _s(c.institution_irr),
                "esco_npv": str(c.esco_npv),
                "esco_irr": _s(c.esco_irr),
            }
            for c in econ.cases
        ],
        "by_year": [
            {
                "contract_year": row["contract_year"],
                "projected": str(row["projected"]),
                "actual": str(row["actual"]),
                "difference": str(row["actual"] - row["projected"]),
                "paid": str(row["paid"]),
            }
            for row in econ.by_year
        ],
    }


def cost_table(costs: Sequence[finance.CashFlowItem]) -> list[dict[str, Any]]:
    """Running costs by contract year and party, for the page: ``[{"contract_year",
    "institution", "esco"}]`` as positive yuan paid (years without a cost left out)."""
    rows: dict[int, dict[str, Any]] = {}
    for item in costs:
        row = rows.setdefault(
            item.contract_year,
            {
                "contract_year": item.contract_year,
                "institution": Decimal("0.00"),
                "esco": Decimal("0.00"),
            },
        )
        row[item.party.value] -= item.amount
    return [rows[y] for y in sorted(rows)]


COLOURS = ("#0b6e4f", "#d97706")


def cumulative_svg(
    series: Sequence[tuple[str, Sequence[Decimal]]],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    width: int = 640,
    height: int = 260,
) -> str:
    """A line chart of cumulative yuan by contract year (x = 0 … n) for each named series,
    with the zero line, year ticks and a legend, as a standalone ``<svg>`` element. The axis
    titles (``x_label`` beside the year ticks, ``y_label`` above the amounts) sit in the left
    margin."""
    left, right, top, bottom = 70, 16, 28, 30
    n = max((len(values) for _, values in series), default=1) - 1
    values = [float(v) for _, vs in series for v in vs] or [0.0]
    lo, hi = min(min(values), 0.0), max(max(values), 0.0)
    if hi == lo:
        hi = lo + 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(k: int) -> float:
        return left + (plot_w * k / n if n else 0.0)

    def y(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="cashflow-chart">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#d9e0e7"/>',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" '
        'stroke="#667085" stroke-dasharray="4 3"/>',
    ]
    for v in (hi, 0.0, lo):
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">'
            f"{v:,.0f}</text>"
        )
    if y_label:
        parts.append(
            f'<text x="{left - 6}" y="{top - 10}" text-anchor="end" font-size="10" '
            f'data-axis="y">{escape(y_label)}</text>'
        )
    if x_label:
        parts.append(
            f'<text x="{left - 12}" y="{height - 10}" text-anchor="end" font-size="10" '
            f'data-axis="x">{escape(x_label)}</text>'
        )
    step = max(1, n // 10)
    for k in range(0, n + 1, step):
        parts.append(
            f'<text x="{x(k):.1f}" y="{height - 10}" text-anchor="middle" font-size="10">{k}</text>'
        )
    for i, (name, vs) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{x(k):.1f},{y(float(v)):.1f}" for k, v in enumerate(vs))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}" '
            f'data-series="{escape(name)}"/>'
        )
        parts.append(
            f'<text x="{left + 8 + i * 160}" y="{top - 10}" font-size="11" fill="{colour}">'
            f"■ {escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)

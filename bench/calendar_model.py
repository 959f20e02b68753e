"""Day-type daily model vs classic CalTRACK on 200 synthetic schools (accuracy, not speed).

    python bench/calendar.py [--sites 200] [--seed 2024]   (this module holds the code)

Each site is a school with:

* a daily series for 2024 (baseline) and 2025 (reporting), with the real 2024 and 2025
  statutory holidays and 调休 make-up workdays (``chinesecalendar``, through
  ``emc.calendars.statutory``);
* 14 weeks of vacation a year (寒假 about 5 weeks, 暑假 about 9), at 40 % of term load; weekends
  at 45–65 % and holidays at 35–50 %; make-up workdays at term load;
* heating below and cooling above site-specific balance points, in a climate drawn between
  Harbin-like and Guangzhou-like, with AR(1) day-to-day weather; vacation heating at a set-back
  (60 % of the term slope);
* multiplicative noise at CV 8 %.

The reporting year has a true 10 % saving, and its vacations move: 寒假 starts 1–2 weeks later
(a late Spring Festival) and lasts 1–2 weeks longer, 暑假 moves by up to a week and lasts up to
a week longer. Both models are fitted on 2024 and predict 2025 — the day-type model with 2025's
own calendar. Printed: median baseline CV(RMSE) of each model, and the median absolute error of
the reporting year's savings as a percentage of baseline use. Targets: CV(RMSE) at least a third
lower; savings error ≤ 1 % for the day-type model, several times that for classic CalTRACK.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emc.calendars.statutory import statutory_calendar  # noqa: E402
from emc.mv.engine import daily_savings, fit_daily  # noqa: E402
from emc.mv.engine.daytypes import (  # noqa: E402
    classify_days,
    daytype_savings,
    fit_daily_daytypes,
)

TRUE_SAVING = 0.10


def _year_days(year):
    return np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))


def _vacation(days, winter_start, winter_weeks, summer_start, summer_weeks):
    d0 = days[0]
    out = []
    for start, weeks in ((winter_start, winter_weeks), (summer_start, summer_weeks)):
        s = d0 + start
        out += list(np.arange(s, s + 7 * weeks))
    return [d for d in out if days[0] <= d <= days[-1]]


def _temperature(rng, days, mean, amplitude):
    doy = np.arange(days.size)
    seasonal = mean - amplitude * np.cos(2 * np.pi * (doy - 15) / 365.25)
    e = np.zeros(days.size)
    shocks = rng.normal(0, 2.5, days.size)
    for i in range(1, days.size):
        e[i] = 0.7 * e[i - 1] + shocks[i]
    return seasonal + e


def _usage(rng, types, temp, site):
    b0 = {
        "workday": site["term"],
        "makeup_workday": site["term"],
        "weekend": site["term"] * site["weekend"],
        "holiday": site["term"] * site["holiday"],
        "vacation": site["term"] * 0.40,
    }
    vac = types == "vacation"
    base = np.array([b0[t] for t in types])
    heat = site["bh"] * np.where(vac, 0.6, 1.0) * np.maximum(site["th"] - temp, 0)
    cool = site["bc"] * np.where(vac, 0.6, 1.0) * np.maximum(temp - site["tc"], 0)
    return base + heat + cool


def simulate_site(rng, cal24, cal25):
    site = {
        "term": rng.uniform(800, 6000),
        "weekend": rng.uniform(0.45, 0.65),
        "holiday": rng.uniform(0.35, 0.50),
        "th": rng.uniform(10, 16),
        "tc": rng.uniform(20, 25),
    }
    site["bh"] = site["term"] * rng.uniform(0.01, 0.04)
    site["bc"] = site["term"] * rng.uniform(0.02, 0.06)
    mean, amp = rng.uniform(5, 22), rng.uniform(8, 18)
    d24, d25 = _year_days(2024), _year_days(2025)
    w_start, s_start = int(rng.integers(12, 22)), int(rng.integers(180, 190))
    vac24 = _vacation(d24, w_start, 5, s_start, 9)
    w_shift, w_more = int(rng.integers(7, 15)), int(rng.integers(1, 3))
    s_shift, s_more = int(rng.integers(-7, 8)), int(rng.integers(0, 2))
    vac25 = _vacation(d25, w_start + w_shift, 5 + w_more, s_start + s_shift, 9 + s_more)
    t24 = _temperature(rng, d24, mean, amp)
    t25 = _temperature(rng, d25, mean, amp)
    ty24 = classify_days(
        d24, holidays=cal24.holidays, makeup_workdays=cal24.makeup_workdays, vacation_days=vac24
    )
    ty25 = classify_days(
        d25, holidays=cal25.holidays, makeup_workdays=cal25.makeup_workdays, vacation_days=vac25
    )
    y24 = _usage(rng, ty24, t24, site) * (1 + rng.normal(0, 0.08, d24.size))
    counterfactual = _usage(rng, ty25, t25, site)
    y25 = counterfactual * (1 - TRUE_SAVING) * (1 + rng.normal(0, 0.08, d25.size))
    # The true saving is that of the expected counterfactual, without the reporting noise.
    true_saving = TRUE_SAVING * counterfactual.sum()
    return d24, t24, ty24, y24, d25, t25, ty25, y25, true_saving


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    cal24 = statutory_calendar(dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    cal25 = statutory_calendar(dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    rows = {"classic": ([], []), "daytype": ([], [])}
    split = 0
    t_fit = {"classic": 0.0, "daytype": 0.0}
    for _ in range(args.sites):
        d24, t24, ty24, y24, d25, t25, ty25, y25, truth = simulate_site(rng, cal24, cal25)
        base_use = y24.sum()
        t0 = time.perf_counter()
        classic = fit_daily(d24, y24, t24)
        t_fit["classic"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        model = fit_daily_daytypes(d24, y24, t24, ty24)
        t_fit["daytype"] += time.perf_counter() - t0
        split += model.separate_vacation_slopes
        sc = daily_savings(classic, d25, y25, t25)
        sd = daytype_savings(model, d25, y25, t25, ty25)
        for name, m, s in (("classic", classic, sc), ("daytype", model, sd)):
            rows[name][0].append(m.statistics.cvrmse)
            rows[name][1].append(abs(s.total_avoided - truth) / base_use)
    cv_c, cv_d = (float(np.median(rows[k][0])) for k in ("classic", "daytype"))
    er_c, er_d = (float(np.median(rows[k][1])) for k in ("classic", "daytype"))
    p90_c, p90_d = (float(np.percentile(rows[k][1], 90)) for k in ("classic", "daytype"))
    print(f"{args.sites} synthetic schools, 2024 baseline → 2025 reporting, true saving 10 %")
    print("vacations 14 weeks at 40 % of term load; reporting vacations moved and ~2 weeks longer")
    print("noise CV 8 %; real 2024/2025 statutory holidays and 调休 (chinesecalendar)")
    print()
    print(f"{'':44}{'classic CalTRACK':>18}{'day types':>14}")
    print(f"{'median baseline CV(RMSE)':44}{cv_c:>17.1%}{cv_d:>14.1%}")
    print(f"{'median |savings error| / baseline use':44}{er_c:>17.2%}{er_d:>14.2%}")
    print(f"{'90th percentile |savings error| / baseline':44}{p90_c:>17.2%}{p90_d:>14.2%}")
    print(
        f"{'mean fit time per site (ms)':44}{1000 * t_fit['classic'] / args.sites:>17.1f}"
        f"{1000 * t_fit['daytype'] / args.sites:>14.1f}"
    )
    print(f"sites where separate vacation slopes won on adjusted R²: {split} of {args.sites}")
    print()
    drop = 1 - cv_d / cv_c
    print(f"CV(RMSE) reduction: {drop:.0%} (target ≥ 33 %)  {'PASS' if drop >= 1 / 3 else 'FAIL'}")
    print(
        f"day-type savings error {er_d:.2%} (target ≤ 1 %)  {'PASS' if er_d <= 0.01 else 'FAIL'}; "
        f"classic is {er_c / er_d:.1f}× larger"
    )


if __name__ == "__main__":
    main()

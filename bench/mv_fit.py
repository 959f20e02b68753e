"""Fit benchmark of emc's M&V engine against OpenEEmeter (CalTRACK 2.0 in 2.10.11, and 4.1.1).

Fits N daily baselines of 365 days and N hourly baselines of 8,760 hours on seeded synthetic
data, prints fits per second, milliseconds per fit and peak memory, then times the reference
implementations on a subset of the *same* data in their own virtual environments and prints the
speed ratios against the targets (daily < 5 ms, ≥ 100× eemeter 4.1.1, ≥ 1,000× eemeter 2.10.11;
hourly ≥ 10× eemeter 2.10.11). For the hourly subset it also prints the largest difference
between our predictions and eemeter 2.10.11's, which implements the same method.

    python bench/mv_fit.py --setup          # once: bench/.venvs/eemeter2 and bench/.venvs/eemeter4
    python bench/mv_fit.py                  # 1,000 daily + 100 hourly fits, peers on a subset
    python bench/mv_fit.py --daily 200 --hourly 20 --no-peers

Peers are timed inside their own process around the fit call only (no interpreter start, no
imports, no data loading); each peer fit is run once untimed first so that caches and JIT
compilation (numba in 4.x) are not counted against it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from emc.mv.engine import fit_daily  # noqa: E402
from emc.mv.engine.hourly import fit_hourly  # noqa: E402

VENVS = HERE / ".venvs"
# Same names, layout and pins as bench/mv_compare.py (agreed by name; no shared code).
PEERS = {
    "eemeter2": [
        "eemeter==2.10.11",
        "pandas==1.5.3",
        "numpy==1.26.4",
        "scipy==1.11.4",
        "statsmodels==0.14.1",
        "pytz",
    ],
    "eemeter4": ["eemeter==4.1.1", "pandas==2.3.3", "pytz"],
}
TIMEZONE = "Asia/Shanghai"
DAILY_START = np.datetime64("2023-01-01")
# 2023-01-01 00:00 in Shanghai, as a UTC instant
HOURLY_START_UTC = np.datetime64("2022-12-31T16:00", "s")

# ------------------------------------------------------------------------------------------------
# seeded synthetic data (°C for us; the peers get the same series in °F)


def daily_case(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dates, kWh per day, mean °C) for baseline ``i``: a Beijing-like year, HDD+CDD load."""
    rng = np.random.default_rng(10_000 + i)
    doy = np.arange(365)
    temp = 12.0 - 14.0 * np.cos(2 * np.pi * doy / 365) + rng.normal(0.0, 3.0, 365)
    hbp, cbp = rng.uniform(12, 18), rng.uniform(20, 25)
    usage = (
        rng.uniform(150, 400)
        + rng.uniform(3, 12) * np.maximum(hbp - temp, 0)
        + rng.uniform(5, 15) * np.maximum(temp - cbp, 0)
        + 5.0 * np.isin(doy % 7, (0, 6))
        + rng.normal(0.0, 8.0, 365)
    )
    usage[rng.random(365) < 0.02] = np.nan
    return DAILY_START + doy, usage, temp


def hourly_case(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(UTC instants, kWh per hour, mean °C) for baseline ``i``: an office with a weekly timetable."""
    rng = np.random.default_rng(20_000 + i)
    h = np.arange(8760)
    temp = (
        13.0
        + 15.0 * np.sin(2 * np.pi * (h / 8760 - 0.3))
        + 4.0 * np.sin(2 * np.pi * (h % 24 - 9) / 24)
        + rng.normal(0.0, 2.0, 8760)
    )
    local_hour, weekday = h % 24, (6 + h // 24) % 7  # 2023-01-01 was a Sunday
    occupied = (weekday < 5) & (local_hour >= 8) & (local_hour < 18 + (i % 3))
    usage = (
        rng.uniform(40, 120) * (1 + occupied)
        + rng.uniform(1, 4) * np.maximum(temp - 20, 0) * (1 + occupied)
        + rng.uniform(1, 3) * np.maximum(10 - temp, 0)
        + rng.normal(0.0, 5.0, 8760)
    )
    usage[rng.random(8760) < 0.01] = np.nan
    return HOURLY_START_UTC + h * np.timedelta64(3600, "s"), usage, temp


# ------------------------------------------------------------------------------------------------
# our side


def time_ours(kind: str, n: int) -> dict:
    cases = [daily_case(i) if kind == "daily" else hourly_case(i) for i in range(n)]
    fit = _fit_daily if kind == "daily" else _fit_hourly
    fit(*cases[0])  # warm-up: first-call costs (imports, zoneinfo cache) are not per-fit costs
    times = []
    for case in cases:
        t0 = time.perf_counter()
        fit(*case)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fit(*cases[0])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t = np.array(times)
    return {
        "n": n,
        "total_s": float(t.sum()),
        "fits_per_s": n / float(t.sum()),
        "ms_mean": 1e3 * float(t.mean()),
        "ms_median": 1e3 * float(np.median(t)),
        "ms_p95": 1e3 * float(np.percentile(t, 95)),
        "peak_mib_per_fit": peak / 2**20,
    }


def _fit_daily(dates, usage, temp):
    return fit_daily(dates, usage, temp, temperature_unit="C")


def _fit_hourly(ts, usage, temp):
    return fit_hourly(ts, usage, temp, timezone=TIMEZONE, temperature_unit="C")


# ------------------------------------------------------------------------------------------------
# peers (run in their own venvs; the code below is executed there with `python -c`)

PEER_CODE = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import logging; logging.disable(logging.CRITICAL)
import numpy as np, pandas as pd
import eemeter

peer, kind, path, tz = sys.argv[1:5]
data = np.load(path)
out = {"fit_s": [], "design_s": [], "predictions": []}

def f(c):
    return c * 1.8 + 32.0

for k in range(int(data["n"])):
    usage, temp_c = data[f"usage{k}"], data[f"temp{k}"]
    if kind == "daily":
        idx = pd.date_range(str(data["start"]), periods=len(usage), freq="D", tz=tz)
    else:
        idx = pd.to_datetime(data["seconds"], unit="s", utc=True).tz_convert(tz)
    if peer == "eemeter2":
        # eemeter 2.x blanks the last row (it marks the end of the previous period): add one.
        freq = "D" if kind == "daily" else "H"
        ext = pd.date_range(idx[0], periods=len(idx) + 1, freq=freq)
        meter = pd.DataFrame({"value": np.append(usage, np.nan)}, index=ext)
        if kind == "daily":
            # hourly temperatures repeating the daily mean: the input eemeter 2 expects
            hidx = pd.date_range(idx[0], periods=24 * (len(idx) + 1), freq="H")
            temp = pd.Series(np.repeat(np.append(f(temp_c), np.nan), 24), index=hidx)
        else:
            temp = pd.Series(np.append(f(temp_c), np.nan), index=ext)

        def run():
            t0 = time.perf_counter()
            if kind == "daily":
                dm = eemeter.create_caltrack_daily_design_matrix(meter, temp)
                t1 = time.perf_counter()
                res = eemeter.fit_caltrack_usage_per_day_model(dm)
                return res, t0, t1, time.perf_counter()
            pdm = eemeter.create_caltrack_hourly_preliminary_design_matrix(meter, temp)
            t1 = time.perf_counter()
            seg = eemeter.segment_time_series(pdm.index, "three_month_weighted")
            occ = eemeter.estimate_hour_of_week_occupancy(pdm, segmentation=seg)
            bins = eemeter.fit_temperature_bins(pdm, segmentation=seg)
            dms = eemeter.create_caltrack_hourly_segmented_design_matrices(pdm, seg, occ, bins)
            res = eemeter.fit_caltrack_hourly_model(dms, occ, bins)
            return res, t0, t0, time.perf_counter()
    else:
        from eemeter.eemeter import (
            DailyBaselineData, DailyModel, HourlyCaltrackBaselineData, HourlyCaltrackModel,
        )
        df = pd.DataFrame({"observed": usage, "temperature": f(temp_c)}, index=idx)
        if kind == "daily":
            base = DailyBaselineData(df, is_electricity_data=True)
        else:
            base = HourlyCaltrackBaselineData(df, is_electricity_data=True)

        def run():
            t0 = time.perf_counter()
            if kind == "daily":
                m = DailyModel().fit(base, ignore_disqualification=True)
            else:
                m = HourlyCaltrackModel().fit(base)
            return m, t0, t0, time.perf_counter()

    if k == 0:
        run()  # warm-up, untimed (numba compilation, pandas caches)
    res, t0, t1, t2 = run()
    out["fit_s"].append(t2 - t1)
    out["design_s"].append(t1 - t0)
    if peer == "eemeter2" and kind == "hourly":
        pidx = pd.date_range(idx[0], periods=len(idx), freq="H")
        pred = res.model.predict(pidx, pd.Series(f(temp_c), index=pidx)).result.predicted_usage
        out["predictions"].append([None if np.isnan(v) else float(v) for v in pred.values])
print(json.dumps(out))
"""


def venv_python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def setup() -> None:
    """Create bench/.venvs/<peer> with ``python -m venv`` and install the pinned peer packages."""
    VENVS.mkdir(parents=True, exist_ok=True)
    for name, reqs in PEERS.items():
        if not venv_python(name).exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENVS / name)], check=True)
        subprocess.run(
            [str(venv_python(name)), "-m", "pip", "install", "--quiet", *reqs], check=True
        )


def time_peer(peer: str, kind: str, n: int, workdir: Path) -> dict | None:
    python = venv_python(peer)
    if not python.exists():
        print(f"  {peer}: no venv at {python.parent.parent} (run with --setup)")
        return None
    arrays: dict[str, np.ndarray] = {"n": np.array(n), "start": np.array(str(DAILY_START))}
    for k in range(n):
        when, usage, temp = daily_case(k) if kind == "daily" else hourly_case(k)
        arrays[f"usage{k}"], arrays[f"temp{k}"] = usage, temp
        if kind == "hourly":
            arrays["seconds"] = when.astype(np.int64)
    path = workdir / f"{peer}_{kind}.npz"
    np.savez(path, **arrays)
    proc = subprocess.run(
        [str(python), "-c", PEER_CODE, peer, kind, str(path), TIMEZONE],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        print(f"  {peer} {kind} failed:\n{proc.stderr[-2000:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------


def _report_ours(kind: str, r: dict) -> None:
    print(
        f"emc {kind:6s}: {r['n']:5d} fits in {r['total_s']:7.2f} s  "
        f"{r['fits_per_s']:8.1f} fits/s  {r['ms_mean']:7.2f} ms/fit mean  "
        f"{r['ms_median']:7.2f} median  {r['ms_p95']:7.2f} p95  "
        f"peak {r['peak_mib_per_fit']:.1f} MiB traced per fit"
    )


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", action="store_true", help="create the peer venvs and exit")
    parser.add_argument("--daily", type=int, default=1000, help="daily fits (365 days each)")
    parser.add_argument("--hourly", type=int, default=100, help="hourly fits (8,760 h each)")
    parser.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--peer-daily", type=int, default=5, help="daily fits per peer")
    parser.add_argument("--peer-hourly", type=int, default=2, help="hourly fits, eemeter 2")
    parser.add_argument(
        "--peer-hourly4",
        type=int,
        default=1,
        help="hourly fits, eemeter 4 (its CalTRACK hourly takes minutes per fit)",
    )
    args = parser.parse_args(argv)
    if args.setup:
        setup()
        return 0

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")
    ours = {}
    if args.daily > 0:
        ours["daily"] = time_ours("daily", args.daily)
        _report_ours("daily", ours["daily"])
    if args.hourly > 0:
        ours["hourly"] = time_ours("hourly", args.hourly)
        _report_ours("hourly", ours["hourly"])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (ru_maxrss): {rss:.0f} MiB")
    if "daily" in ours:
        ms = ours["daily"]["ms_mean"]
        print(f"target daily < 5 ms/fit: {ms:.2f} ms, {_verdict(ms < 5)}")
    if not args.peers:
        return 0

    print("\npeers (same seeded data, first cases; fit call only, after one untimed warm-up):")
    plan = [
        ("eemeter2", "daily", args.peer_daily, 1000),
        ("eemeter4", "daily", args.peer_daily, 100),
        ("eemeter2", "hourly", args.peer_hourly, 10),
        ("eemeter4", "hourly", args.peer_hourly4, None),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for peer, kind, n, target in plan:
            if n <= 0 or kind not in ours:
                continue
            res = time_peer(peer, kind, n, Path(tmp))
            if res is None:
                continue
            peer_ms = 1e3 * float(np.mean(res["fit_s"]))
            ours_ms = float(np.mean(_ours_ms(kind, n)))
            ratio = peer_ms / ours_ms
            line = (
                f"{peer} {kind:6s}: {n} fits, {peer_ms:9.1f} ms/fit vs emc {ours_ms:6.2f} ms "
                f"on the same cases → {ratio:8.0f}×"
            )
            if target is not None:
                line += f"  (target ≥ {target}×: {_verdict(ratio >= target)})"
            else:
                line += "  (different hourly method in 4.x: for scale only)"
            print(line)
            if peer == "eemeter2" and kind == "daily":
                design_ms = 1e3 * float(np.mean(res["design_s"]))
                print(
                    f"    (eemeter2 daily design matrix, not counted above: {design_ms:.1f} ms/fit;"
                    f" with it {(peer_ms + design_ms) / ours_ms:.0f}×)"
                )
            if res["predictions"]:
                _compare_hourly(res["predictions"])
    return 0


def _ours_ms(kind: str, n: int) -> list[float]:
    # The peers' cases re-timed on our side, so that both ratios use identical inputs.
    fit = _fit_daily if kind == "daily" else _fit_hourly
    out = []
    for k in range(n):
        case = daily_case(k) if kind == "daily" else hourly_case(k)
        fit(*case)
        t0 = time.perf_counter()
        fit(*case)
        out.append(1e3 * (time.perf_counter() - t0))
    return out


def _compare_hourly(predictions: list[list[float | None]]) -> None:
    worst, worst_rel = 0.0, 0.0
    for k, pred in enumerate(predictions):
        ts, usage, temp = hourly_case(k)
        ours = fit_hourly(ts, usage, temp, timezone=TIMEZONE).predict(ts, temp)
        ref = np.array([np.nan if v is None else v for v in pred])
        if not np.array_equal(np.isnan(ours), np.isnan(ref)):
            print(f"    case {k}: missing predictions differ from eemeter 2.10.11")
        both = ~np.isnan(ours) & ~np.isnan(ref)
        diff = np.abs(ours[both] - ref[both])
        worst = max(worst, float(diff.max()))
        worst_rel = max(worst_rel, float((diff / np.abs(ref[both])).max()))
    print(
        f"    hourly predictions vs eemeter 2.10.11: max |Δ| = {worst:.3g} kWh "
        f"(max relative {worst_rel:.3g}) over {len(predictions)} × 8,760 h"
    )


if __name__ == "__main__":
    sys.exit(main())

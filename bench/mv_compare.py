"""Compare emc's daily/billing M&V engine with OpenEEmeter on eemeter's own sample data.

The references are benchmark peers, never runtime dependencies of emc. Each lives in its own
virtual environment under ``bench/.venvs/`` (git-ignored):

* ``eemeter2`` — classic CalTRACK 2.0: ``eemeter==2.10.11`` (pandas 1.5.3, numpy 1.26.4,
  scipy 1.11.4, statsmodels 0.14.1, pytz);
* ``eemeter4`` — ``eemeter==4.1.1`` (pandas 2.3.3, pytz), whose daily model is a different,
  smoothed and robust-loss method with continuous balance points.

Usage::

    python bench/mv_compare.py --setup     # once: create the venvs with python -m venv + pip
    python bench/mv_compare.py             # run every sample and print the comparison
    python bench/mv_compare.py --sample il-gas-hdd-only-daily

For each sample a small peer program runs inside each venv (subprocess): the eemeter 2.x peer
loads the sample, takes the 365 days before the blackout as baseline and up to 365 days after
it as reporting period, exports usage and hourly temperature (°F) as CSV into a temporary
directory, fits CalTRACK and computes metered savings; it returns JSON. emc then fits the same
CSV files through the engine (in °F, 1 °F grid) and the results are printed side by side with
the targets against classic CalTRACK 2.0: same model form, balance points within one grid step
(1 °F), total savings within 1 %. The eemeter 4.x peer fits its own model on the same windows.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from emc.mv import engine  # noqa: E402  (the repository root is put on sys.path above)

VENVS = HERE / ".venvs"

# The reference implementations are pinned to the versions the targets were written for.
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

SAMPLES = (
    "il-electricity-cdd-hdd-daily",
    "il-electricity-cdd-only-daily",
    "il-gas-hdd-only-daily",
    "il-electricity-cdd-hdd-billing_monthly",
    "il-gas-hdd-only-billing_monthly",
)

# ------------------------------------------------------------------------------- peer programs

PEER2 = textwrap.dedent(
    '''
    """eemeter 2.10.11 peer: export a sample as CSV and fit classic CalTRACK 2.0."""
    import json, sys, warnings
    warnings.simplefilter("ignore")
    import numpy as np, pandas as pd
    import eemeter

    sample, out = sys.argv[1], sys.argv[2]
    meter, temp, meta = eemeter.load_sample(sample)
    billing = str(meta["freq"]).startswith("billing")
    # Meter periods start at local midnight (06:00 UTC for the billing samples): shift so that
    # exported dates are the meter's own days and temperature days line up with them.
    shift = pd.Timedelta(hours=int(meter.index[0].hour))
    bl, _ = eemeter.get_baseline_data(meter, end=meta["blackout_start_date"], max_days=365)
    rp, _ = eemeter.get_reporting_data(meter, start=meta["blackout_end_date"], max_days=365)

    def periods(df):
        idx = df.index
        rows = []
        for a, b, v in zip(idx[:-1], idx[1:], df.value.values[:-1]):
            rows.append(((a - shift).date().isoformat(), (b - shift).date().isoformat(),
                         None if pd.isnull(v) else float(v)))
        return rows

    with open(out + "/temperature.csv", "w") as fh:
        fh.write("timestamp,temperature\\n")
        for ts, v in temp.items():
            if not pd.isnull(v):
                fh.write(f"{(ts - shift).strftime('%Y-%m-%dT%H:%M')},{v}\\n")
    with open(out + "/usage.csv", "w") as fh:
        fh.write("start,end,value\\n")
        for a, b, v in periods(bl) + periods(rp):
            fh.write(f"{a},{b},{'' if v is None else v}\\n")

    if billing:
        dm = eemeter.create_caltrack_billing_design_matrix(bl, temp)
        res = eemeter.fit_caltrack_usage_per_day_model(
            dm, use_billing_presets=True, weights_col="n_days_kept")
    else:
        dm = eemeter.create_caltrack_daily_design_matrix(bl, temp)
        res = eemeter.fit_caltrack_usage_per_day_model(dm)
    m = res.model
    p = m.model_params
    savings, bands = eemeter.metered_savings(res, rp, temp, with_disaggregated=False)
    used = savings.dropna(subset=["reporting_observed", "counterfactual_usage"])
    tm = res.totals_metrics
    print(json.dumps({
        "billing": billing,
        "baseline": [periods(bl)[0][0], periods(bl)[-1][1]],
        "reporting": [periods(rp)[0][0], periods(rp)[-1][1]],
        "form": {"cdd_hdd": "hdd_cdd"}.get(m.model_type, m.model_type),
        "heating_balance_point": p.get("heating_balance_point"),
        "cooling_balance_point": p.get("cooling_balance_point"),
        "intercept": p.get("intercept"),
        "beta_hdd": p.get("beta_hdd"),
        "beta_cdd": p.get("beta_cdd"),
        "adj_r_squared": res.r_squared_adj,
        "cvrmse": tm.cvrmse_adj,
        "n": int(tm.observed_length),
        "autocorrelation": tm.autocorr_resid,
        "adjusted_baseline": float(used.counterfactual_usage.sum()),
        "reporting_total": float(used.reporting_observed.sum()),
        "savings": float(used.metered_savings.sum()),
        "fsu_error_band_90": None if bands is None else float(bands["FSU Error Band"]),
    }))
    '''
)

PEER4 = textwrap.dedent(
    '''
    """eemeter 4.1.1 peer: fit its (non-CalTRACK-2.0) daily or billing model on the same windows."""
    import json, sys, warnings
    warnings.simplefilter("ignore")
    import pandas as pd
    from eemeter import eemeter as em
    from eemeter.eemeter.samples import load_sample

    sample, b0, b1, r0, r1 = sys.argv[1:6]
    meter, temp, meta = load_sample(sample)
    billing = str(meta["freq"]).startswith("billing")
    shift = pd.Timedelta(hours=int(meter.index[0].hour))

    def window(a, b):
        a = pd.Timestamp(a, tz="UTC") + shift
        b = pd.Timestamp(b, tz="UTC") + shift
        s = meter.value[(meter.index >= a) & (meter.index <= b)].copy()
        if not billing:
            s = s[s.index < b]
        return s

    def temps(s):
        return temp[(temp.index >= s.index[0] - pd.Timedelta(days=1))
                    & (temp.index <= s.index[-1] + pd.Timedelta(days=40))]

    bl, rp = window(b0, b1), window(r0, r1)
    if billing:
        bd = em.BillingBaselineData.from_series(bl, temps(bl), is_electricity_data=True)
        model = em.BillingModel().fit(bd, ignore_disqualification=True)
        rd = em.BillingReportingData.from_series(rp, temps(rp), is_electricity_data=True)
    else:
        bd = em.DailyBaselineData.from_series(bl, temps(bl), is_electricity_data=True)
        model = em.DailyModel().fit(bd, ignore_disqualification=True)
        rd = em.DailyReportingData.from_series(rp, temps(rp), is_electricity_data=True)
    pred = model.predict(rd, ignore_disqualification=True)
    used = pred.dropna(subset=["observed", "predicted"])
    params = model.params.model_dump(mode="json")
    subs = params.get("submodels", {})
    submodels = sorted("%s:%s" % (k, v["coefficients"]["model_type"]) for k, v in subs.items())
    one = {}
    if len(subs) == 1:
        c = next(iter(subs.values()))["coefficients"]
        one = {
            "form": c["model_type"],
            "heating_balance_point": c.get("hdd_bp"),
            "cooling_balance_point": c.get("cdd_bp"),
            "intercept": c.get("intercept"),
            "beta_hdd": c.get("hdd_beta"),
            "beta_cdd": c.get("cdd_beta"),
        }
    print(json.dumps({
        "submodels": submodels,
        "adjusted_baseline": float(used.predicted.sum()),
        "reporting_total": float(used.observed.sum()),
        "savings": float((used.predicted - used.observed).sum()),
        "n_reporting": int(len(used)),
        **one,
    }))
    '''
)


# --------------------------------------------------------------------------------------- setup


def venv_python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def setup() -> None:
    """Create ``bench/.venvs/<peer>`` with ``python -m venv`` and pip-install the pinned peers.

    Needs network access to PyPI once; re-running only re-checks the pins.
    """
    VENVS.mkdir(parents=True, exist_ok=True)
    for name, reqs in PEERS.items():
        if not venv_python(name).exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENVS / name)], check=True)
        subprocess.run(
            [str(venv_python(name)), "-m", "pip", "install", "--quiet", *reqs], check=True
        )


def run_peer(name: str, program: str, args: list[str], workdir: Path) -> dict:
    """Run ``program`` with the peer venv's python; return its JSON output."""
    py = venv_python(name)
    if not py.exists():
        raise SystemExit(f"{py} missing: run `python bench/mv_compare.py --setup` first")
    script = workdir / f"{name}_peer.py"
    script.write_text(program)
    proc = subprocess.run(
        [str(py), str(script), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{name} peer failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------- ours


def _read(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _median_ms(fit, repeats: int = 50) -> float:
    """Median wall time of ``fit()`` in milliseconds, after one warm-up call."""
    fit()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fit()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def run_ours(workdir: Path, ref: dict) -> dict:
    """Fit emc's engine on the CSV files the eemeter 2.x peer exported (°F)."""
    usage = _read(workdir / "usage.csv")
    temp = _read(workdir / "temperature.csv")
    starts = np.array([r["start"] for r in usage], "datetime64[D]")
    ends = np.array([r["end"] for r in usage], "datetime64[D]")
    values = np.array([float(r["value"]) if r["value"] else np.nan for r in usage])
    b0, b1 = (np.datetime64(d, "D") for d in ref["baseline"])
    r0, r1 = (np.datetime64(d, "D") for d in ref["reporting"])
    ts = np.array([r["timestamp"] for r in temp], "datetime64[m]")
    tv = np.array([float(r["temperature"]) for r in temp])
    lo, hi = min(b0, r0), max(b1, r1) + 40
    daily_t = engine.daily_temperature(ts, tv, lo, hi, unit="F")
    tdates, tvals = daily_t.dates, daily_t.temperature
    base = (starts >= b0) & (ends <= b1)
    rep = (starts >= r0) & (ends <= r1)
    if ref["billing"]:
        model = engine.fit_billing(
            starts[base],
            ends[base],
            values[base],
            tdates,
            tvals,
            start=b0,
            end=b1,
            temperature_unit="F",
            allow_insufficient=True,
        )
        fit_ms = _median_ms(
            lambda: engine.fit_billing(
                starts[base],
                ends[base],
                values[base],
                tdates,
                tvals,
                start=b0,
                end=b1,
                temperature_unit="F",
                allow_insufficient=True,
            )
        )
        savings = engine.billing_savings(model, starts[rep], ends[rep], values[rep], tdates, tvals)
    else:
        pos = (starts - tdates[0]).astype(int)
        t_day = tvals[pos]
        model = engine.fit_daily(
            starts[base],
            values[base],
            t_day[base],
            start=b0,
            end=b1,
            temperature_unit="F",
            allow_insufficient=True,
        )
        fit_ms = _median_ms(
            lambda: engine.fit_daily(
                starts[base],
                values[base],
                t_day[base],
                start=b0,
                end=b1,
                temperature_unit="F",
                allow_insufficient=True,
            )
        )
        savings = engine.daily_savings(model, starts[rep], values[rep], t_day[rep])
    st = model.statistics
    return {
        "form": model.form,
        "heating_balance_point": model.heating_balance_point,
        "cooling_balance_point": model.cooling_balance_point,
        "intercept": model.intercept,
        "beta_hdd": model.beta_hdd,
        "beta_cdd": model.beta_cdd,
        "adj_r_squared": st.adj_r_squared,
        "cvrmse": st.cvrmse,
        "n": st.n,
        "autocorrelation": st.autocorrelation,
        "adjusted_baseline": savings.total_adjusted_baseline,
        "reporting_total": savings.total_reporting,
        "savings": savings.total_avoided,
        "fsu_90": savings.fsu_90,
        "fit_ms": fit_ms,
        "warnings": sorted({w.code for w in model.warnings}),
    }


# ------------------------------------------------------------------------------------- report


def _f(v, spec=".3f"):
    return "—" if v is None else format(v, spec)


def compare(sample: str) -> dict:
    """Run both peers and emc on one sample; print the table; return the target verdicts."""
    with tempfile.TemporaryDirectory(prefix="mv_compare_") as tmp:
        work = Path(tmp)
        ref = run_peer("eemeter2", PEER2, [sample, str(work)], work)
        ours = run_ours(work, ref)
        try:
            new = run_peer("eemeter4", PEER4, [sample, *ref["baseline"], *ref["reporting"]], work)
        except RuntimeError as exc:
            new = {"error": str(exc).splitlines()[-1]}
    print(f"\n=== {sample}")
    print(
        f"baseline [{ref['baseline'][0]}, {ref['baseline'][1]})  "
        f"reporting [{ref['reporting'][0]}, {ref['reporting'][1]})"
    )
    rows = [
        ("form", "form", "s"),
        ("heating balance point °F", "heating_balance_point", ".4g"),
        ("cooling balance point °F", "cooling_balance_point", ".4g"),
        ("intercept /day", "intercept", ".3f"),
        ("beta_hdd /°F·day", "beta_hdd", ".4f"),
        ("beta_cdd /°F·day", "beta_cdd", ".4f"),
        ("adjusted R²", "adj_r_squared", ".4f"),
        ("CV(RMSE)", "cvrmse", ".4f"),
        ("lag-1 autocorrelation", "autocorrelation", ".3f"),
        ("n baseline obs", "n", "d"),
        ("adjusted baseline", "adjusted_baseline", ",.1f"),
        ("reporting use", "reporting_total", ",.1f"),
        ("savings", "savings", ",.1f"),
    ]
    print(f"{'':28s}{'eemeter 2.10.11':>18s}{'emc':>18s}{'eemeter 4.1.1':>18s}")
    for label, key, spec in rows:
        print(
            f"{label:28s}{_f(ref.get(key), spec):>18s}{_f(ours.get(key), spec):>18s}"
            f"{_f(new.get(key), spec):>18s}"
        )
    if ref.get("fsu_error_band_90") and ref["savings"]:
        ref_fsu = ref["fsu_error_band_90"] / abs(ref["savings"])
        print(f"{'FSU at 90 %':28s}{ref_fsu:>18.3f}{_f(ours['fsu_90']):>18s}{'—':>18s}")
    print(f"eemeter 4.x submodels: {', '.join(new.get('submodels', [])) or '—'}")
    if "error" in new:
        print(f"eemeter 4.x: {new['error']}")
    print(
        f"emc fit time (sufficiency, grid, qualification, selection, statistics; median of 50): "
        f"{ours['fit_ms']:.2f} ms"
    )
    if ours["warnings"]:
        print(f"emc warnings: {', '.join(ours['warnings'])}")
    step = 1.0
    same_form = ours["form"] == ref["form"]
    bp_ok = all(
        (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= step + 1e-9)
        for a, b in (
            (ours["heating_balance_point"], ref["heating_balance_point"]),
            (ours["cooling_balance_point"], ref["cooling_balance_point"]),
        )
    )
    sav_diff = abs(ours["savings"] - ref["savings"]) / abs(ref["savings"])
    verdicts = {
        "same model form": same_form,
        "balance points within one grid step (1 °F)": bp_ok,
        f"total savings within 1 % (differ by {sav_diff:.3%})": sav_diff <= 0.01,
    }
    for k, v in verdicts.items():
        print(f"  target {'MET' if v else 'NOT MET'}: {k}")
    if "savings" in new and new["savings"]:
        d4 = (ours["savings"] - new["savings"]) / abs(new["savings"])
        print(f"  vs eemeter 4.x: savings differ by {d4:+.2%} (different model; no target)")
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setup", action="store_true", help="create the peer venvs and exit")
    parser.add_argument("--sample", action="append", help="sample id (repeatable)")
    args = parser.parse_args(argv)
    if args.setup:
        setup()
        return 0
    results = {s: compare(s) for s in (args.sample or SAMPLES)}
    met = sum(all(v.values()) for v in results.values())
    print(f"\n{met} of {len(results)} samples meet every target against eemeter 2.10.11")
    return 0


if __name__ == "__main__":
    sys.exit(main())

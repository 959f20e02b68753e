import json

import numpy as np
import pytest
from click.testing import CliRunner

from emc.mv.cli import mv

DAYS = np.arange("2023-01-01", "2025-01-01", dtype="datetime64[D]")
DOY = np.arange(DAYS.size)
TEMP = 12.0 - 14.0 * np.cos(2 * np.pi * DOY / 365.0) + 2.0 * np.sin(2 * np.pi * DOY / 7.0)
TRUTH = 300.0 + 12.0 * np.maximum(15.0 - TEMP, 0) + 20.0 * np.maximum(TEMP - 22.0, 0)


@pytest.fixture
def files(tmp_path):
    usage = TRUTH.copy()
    usage[np.datetime64("2024-01-01") <= DAYS] *= 0.9
    u = tmp_path / "usage.csv"
    u.write_text(
        "date,value\n" + "".join(f"{d},{v:.6f}\n" for d, v in zip(DAYS, usage, strict=True))
    )
    t = tmp_path / "temp.csv"
    # hourly readings whose daily means are TEMP
    lines = ["timestamp,temperature"]
    for d, v in zip(DAYS, TEMP, strict=True):
        lines += [f"{d}T{h:02d}:00:00,{v + (h - 11.5) * 0.2:.6f}" for h in range(24)]
    t.write_text("\n".join(lines) + "\n")
    return tmp_path, u, t


def run(*args):
    return CliRunner().invoke(mv, ["fit", *map(str, args)])


def test_json_shape(files):
    _, u, t = files
    res = run(
        "--usage",
        u,
        "--temperature",
        t,
        "--baseline",
        "2023-01-01",
        "2023-12-31",
        "--reporting",
        "2024-01-01",
        "2024-12-31",
        "--json",
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    m = out["model"]
    assert m["method"] == "daily" and m["form"] == "hdd_cdd" and m["temperature_unit"] == "C"
    assert (m["heating_balance_point"], m["cooling_balance_point"]) == (15.0, 22.0)
    assert m["intercept"] == pytest.approx(300.0, abs=0.01)
    assert m["beta_hdd"] == pytest.approx(12.0, abs=1e-3)
    assert m["beta_cdd"] == pytest.approx(20.0, abs=1e-3)
    assert set(out["fit"]) >= {
        "n",
        "r_squared",
        "adj_r_squared",
        "cvrmse",
        "nmbe",
        "autocorrelation",
    }
    assert out["fit"]["n"] == 365
    s = out["savings"]
    expected_base = TRUTH[np.datetime64("2024-01-01") <= DAYS].sum()
    assert s["adjusted_baseline"] == pytest.approx(expected_base, rel=1e-6)
    assert s["reporting"] == pytest.approx(0.9 * expected_base, rel=1e-6)
    assert s["avoided"] == pytest.approx(0.1 * expected_base, rel=1e-5)
    assert s["fsu_68"] is not None and s["fsu_68"] < s["fsu_90"]
    assert isinstance(out["warnings"], list)
    assert all({"code", "message"} <= set(w) for w in out["warnings"])


def test_without_reporting_savings_is_null(files):
    _, u, t = files
    res = run("--usage", u, "--temperature", t, "--baseline", "2023-01-01", "2023-12-31", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["savings"] is None


def test_human_summary(files):
    _, u, t = files
    res = run(
        "--usage",
        u,
        "--temperature",
        t,
        "--baseline",
        "2023-01-01",
        "2023-12-31",
        "--reporting",
        "2024-01-01",
        "2024-12-31",
    )
    assert res.exit_code == 0, res.output
    assert "Baseline model: daily, hdd_cdd" in res.output
    assert "balance point 15 °C" in res.output and "CV(RMSE)" in res.output
    assert "avoided energy" in res.output


def test_billing_method(files):
    tmp, _, t = files
    s = np.arange("2023-01", "2025-01", dtype="datetime64[M]").astype("datetime64[D]")
    e = (s.astype("datetime64[M]") + 1).astype("datetime64[D]")
    rows = [
        f"{a},{b},{TRUTH[(a <= DAYS) & (b > DAYS)].sum():.6f}" for a, b in zip(s, e, strict=True)
    ]
    b = tmp / "bills.csv"
    b.write_text("start,end,value\n" + "\n".join(rows) + "\n")
    res = run(
        "--usage",
        b,
        "--temperature",
        t,
        "--baseline",
        "2023-01-01",
        "2023-12-31",
        "--reporting",
        "2024-01-01",
        "2024-12-31",
        "--method",
        "billing",
        "--json",
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["model"]["method"] == "billing" and out["fit"]["n"] == 12
    assert out["savings"]["avoided"] == pytest.approx(0.0, abs=1.0)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("date,value\n2023-01-01,1.0\n2023-01-02,abc\n", "line 3, column 'value'"),
        ("date,value\n2023-13-01,1.0\n", "line 2, column 'date'"),
        ("day,value\n2023-01-01,1.0\n", "line 1: missing column(s) date"),
        ("date,value\n2023-01-01,1\n2023-01-01,2\n", "line 3, column 'date'"),
    ],
)
def test_bad_usage_file_exits_2_naming_file_row_and_column(files, content, needle):
    tmp, _, t = files
    bad = tmp / "bad.csv"
    bad.write_text(content)
    res = run("--usage", bad, "--temperature", t, "--baseline", "2023-01-01", "2023-12-31")
    assert res.exit_code == 2
    assert str(bad) in res.output and needle in res.output


def test_bad_temperature_file_and_missing_file(files):
    tmp, u, _ = files
    bad = tmp / "t.csv"
    bad.write_text("timestamp,temperature\n2023-01-01T00:00,warm\n")
    res = run("--usage", u, "--temperature", bad, "--baseline", "2023-01-01", "2023-12-31")
    assert res.exit_code == 2 and "line 2, column 'temperature'" in res.output
    res = run(
        "--usage", tmp / "nope.csv", "--temperature", bad, "--baseline", "2023-01-01", "2023-12-31"
    )
    assert res.exit_code == 2 and "nope.csv: no such file" in res.output


def test_insufficient_baseline_fails_unless_allowed(files):
    _, u, t = files
    res = run("--usage", u, "--temperature", t, "--baseline", "2023-01-01", "2023-03-31")
    assert res.exit_code == 1 and "incorrect_number_of_total_days" in res.output
    res = run(
        "--usage",
        u,
        "--temperature",
        t,
        "--baseline",
        "2023-01-01",
        "2023-03-31",
        "--allow-insufficient",
        "--json",
    )
    assert res.exit_code == 0
    codes = [w["code"] for w in json.loads(res.output)["warnings"]]
    assert "incorrect_number_of_total_days" in codes


def test_hourly_method(tmp_path):
    hours = np.arange("2023-01-01T00", "2024-03-01T00", dtype="datetime64[h]")
    k = np.arange(hours.size)
    temp = 12.0 - 14.0 * np.cos(2 * np.pi * k / 8760.0) + 5 * np.sin(2 * np.pi * k / 24)
    usage = 20 + 5 * ((k % 24 >= 8) & (k % 24 < 18)) + 0.5 * np.maximum(temp - 20, 0)
    u = tmp_path / "u.csv"
    u.write_text(
        "timestamp,value\n" + "".join(f"{h},{v:.4f}\n" for h, v in zip(hours, usage, strict=True))
    )
    t = tmp_path / "t.csv"
    t.write_text(
        "timestamp,temperature\n"
        + "".join(f"{h},{v:.4f}\n" for h, v in zip(hours, temp, strict=True))
    )
    res = run(
        "--usage",
        u,
        "--temperature",
        t,
        "--baseline",
        "2023-01-01",
        "2023-12-31",
        "--reporting",
        "2024-01-01",
        "2024-02-29",
        "--method",
        "hourly",
        "--json",
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["model"]["method"] == "hourly"
    assert out["fit"]["cvrmse"] < 0.05
    assert out["savings"]["avoided"] == pytest.approx(0.0, abs=0.01 * out["savings"]["reporting"])

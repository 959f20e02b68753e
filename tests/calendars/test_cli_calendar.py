"""``emc mv fit --calendar``: the day-type model from a CSV calendar."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from emc.calendars.statutory import statutory_calendar
from emc.mv.cli import mv
from emc.mv.engine.daytypes import classify_days

DAYS = np.arange("2024-01-01", "2026-01-01", dtype="datetime64[D]")
DOY = np.arange(DAYS.size)
TEMP = 12.0 - 14.0 * np.cos(2 * np.pi * DOY / 365.0) + 2.0 * np.sin(2 * np.pi * DOY / 7.0)
# Winter and summer vacations, listed in the file; holidays and 调休 come from the package.
VACATION = [d for d in DAYS.tolist() if (d.month == 2 and d.day < 25) or d.month in (7, 8)]


def _truth():
    import datetime as dt

    cal = statutory_calendar(dt.date(2024, 1, 1), dt.date(2026, 1, 1))
    # The file's rows win over the statutory calendar (a listed vacation day is vacation).
    types = classify_days(
        DAYS,
        holidays=cal.holidays,
        makeup_workdays=cal.makeup_workdays,
        overrides=dict.fromkeys(VACATION, "vacation"),
    )
    b0 = {
        "workday": 300.0,
        "makeup_workday": 300.0,
        "weekend": 150,
        "holiday": 120,
        "vacation": 100,
    }
    y = np.array([b0[t] for t in types]) + 12.0 * np.maximum(15.0 - TEMP, 0)
    return types, y


@pytest.fixture
def files(tmp_path):
    types, y = _truth()
    y = y * np.where(np.datetime64("2025-01-01") <= DAYS, 0.9, 1.0)
    u = tmp_path / "usage.csv"
    u.write_text("date,value\n" + "".join(f"{d},{v:.6f}\n" for d, v in zip(DAYS, y, strict=True)))
    t = tmp_path / "temp.csv"
    t.write_text(
        "timestamp,temperature\n"
        + "".join(
            f"{d}T{h:02d}:00:00,{v:.6f}\n"
            for d, v in zip(DAYS, TEMP, strict=True)
            for h in range(24)
        )
    )
    c = tmp_path / "calendar.csv"
    c.write_text("date,day_type\n" + "".join(f"{d},vacation\n" for d in VACATION))
    return u, t, c


def run(*args):
    return CliRunner().invoke(mv, ["fit", *map(str, args)])


def test_calendar_fit_prints_the_classic_shape_plus_day_type_coefficients(files):
    u, t, c = files
    res = run(
        "--usage", u, "--temperature", t, "--calendar", c,
        "--baseline", "2024-01-01", "2024-12-31",
        "--reporting", "2025-01-01", "2025-12-31", "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == {"model", "fit", "savings", "warnings", "baseline_model"}
    m = out["model"]
    assert m["method"] == "daily_daytype" and m["form"] == "hdd_only"
    dtp = m["day_types"]
    assert dtp["intercepts"]["workday"] == pytest.approx(300.0, abs=0.01)
    assert dtp["intercepts"]["weekend"] == pytest.approx(150.0, abs=0.01)
    assert dtp["intercepts"]["holiday"] == pytest.approx(120.0, abs=0.01)
    assert dtp["intercepts"]["vacation"] == pytest.approx(100.0, abs=0.01)
    # 2024 had six 调休 Saturdays/Sundays: too few, merged into workday, and said so.
    assert dtp["merged"]["makeup_workday"] == "workday"
    assert any(w["code"] == "day_type_merged" for w in out["warnings"])
    assert m["beta_hdd"] == pytest.approx(12.0, abs=1e-3)
    s = out["savings"]
    assert s["avoided"] / s["adjusted_baseline"] == pytest.approx(0.10, abs=1e-6)
    assert set(s) >= {"fsu_68", "fsu_90", "g14", "by_month"}
    human = run(
        "--usage", u, "--temperature", t, "--calendar", c,
        "--baseline", "2024-01-01", "2024-12-31",
    )  # fmt: skip
    assert human.exit_code == 0 and "intercept vacation" in human.output


def test_a_bad_day_type_is_named_by_line_and_column(files, tmp_path):
    u, t, _ = files
    bad = tmp_path / "bad.csv"
    bad.write_text("date,day_type\n2024-02-01,vacation\n2024-02-02,exam\n")
    res = run("--usage", u, "--temperature", t, "--calendar", bad,
              "--baseline", "2024-01-01", "2024-12-31")  # fmt: skip
    assert res.exit_code == 2
    assert "line 3, column 'day_type'" in res.output and "'exam'" in res.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("day,type\n2024-02-01,vacation\n")
    res = run("--usage", u, "--temperature", t, "--calendar", wrong,
              "--baseline", "2024-01-01", "2024-12-31")  # fmt: skip
    assert res.exit_code == 2 and "date, day_type" in res.output


def test_calendar_needs_the_daily_method(files):
    u, t, c = files
    res = run("--usage", u, "--temperature", t, "--calendar", c, "--method", "billing",
              "--baseline", "2024-01-01", "2024-12-31")  # fmt: skip
    assert res.exit_code == 2 and "--calendar" in res.output

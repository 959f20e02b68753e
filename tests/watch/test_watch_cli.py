"""``emc mv events``: the detector on the files of ``emc mv fit``, a few seeded cases."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

from emc.mv.cli import mv
from emc.watch import synthetic as syn

B0 = dt.date(2023, 1, 1)


def _files(tmp_path, seed, *, saving_from=None, step_on=None, step=0.15):
    rng = np.random.default_rng(seed)
    building = syn.Building(base=900, beta_hdd=30, beta_cdd=45, cv=0.10, rho=0.3)
    n = 731
    temps = syn.temperature_year(rng, B0, n)
    mult = np.ones(n)
    if saving_from is not None:
        mult[(saving_from - B0).days :] *= 0.9
    if step_on is not None:
        mult[(step_on - B0).days :] += step
    use = syn.usage(rng, building, temps, multiplier=mult)
    usage = tmp_path / "u.csv"
    temperature = tmp_path / "t.csv"
    usage.write_text(
        "date,value\n"
        + "".join(f"{d.isoformat()},{v:.3f}\n" for d, v in zip(syn.dates(B0, n), use, strict=True))
    )
    temperature.write_text(
        "timestamp,temperature\n"
        + "".join(
            f"{d.isoformat()}T{h:02d}:00,{t:.2f}\n"
            for d, t in zip(syn.dates(B0, n), temps, strict=True)
            for h in range(24)
        )
    )
    return str(usage), str(temperature)


def _run(args):
    result = CliRunner().invoke(mv, ["events", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["events"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_step_in_the_reporting_period_is_found_near_its_start(tmp_path, seed):
    u, t = _files(tmp_path, seed, saving_from=dt.date(2024, 1, 1), step_on=dt.date(2024, 7, 1))
    found = _run(
        [
            "--usage",
            u,
            "--temperature",
            t,
            "--baseline",
            "2023-01-01",
            "2023-12-31",
            "--period",
            "2024-01-01",
            "2024-12-31",
        ]
    )
    starts = [dt.date.fromisoformat(e["start"]) for e in found]
    near = [
        e for e, s in zip(found, starts, strict=True) if abs((s - dt.date(2024, 7, 1)).days) <= 30
    ]
    assert near, found
    biggest = max(near, key=lambda e: e["change_percent"])
    assert biggest["change_per_day"] > 0 and biggest["change_percent"] == pytest.approx(15, abs=6)
    assert set(biggest) == {"start", "change_per_day", "change_percent", "confidence"}
    assert 0.95 <= biggest["confidence"] <= 1


def test_the_ecm_saving_from_the_first_day_is_not_an_event(tmp_path):
    u, t = _files(tmp_path, 5, saving_from=dt.date(2024, 1, 1))
    found = _run(
        [
            "--usage",
            u,
            "--temperature",
            t,
            "--baseline",
            "2023-01-01",
            "2023-12-31",
            "--period",
            "2024-01-01",
            "2024-12-31",
        ]
    )
    assert all(
        abs((dt.date.fromisoformat(e["start"]) - dt.date(2024, 1, 1)).days) > 30 for e in found
    )


def test_a_step_in_the_baseline_year_is_found(tmp_path):
    u, t = _files(tmp_path, 11, step_on=dt.date(2023, 6, 1), step=-0.2)
    found = _run(["--usage", u, "--temperature", t, "--baseline", "2023-01-01", "2023-12-31"])
    assert any(
        abs((dt.date.fromisoformat(e["start"]) - dt.date(2023, 6, 1)).days) <= 30
        and e["change_per_day"] < 0
        for e in found
    ), found


def test_a_missing_file_is_named(tmp_path):
    result = CliRunner().invoke(
        mv,
        [
            "events",
            "--usage",
            str(tmp_path / "no.csv"),
            "--temperature",
            "x.csv",
            "--baseline",
            "2023-01-01",
            "2023-12-31",
        ],
    )
    assert result.exit_code == 2 and "no.csv" in result.output

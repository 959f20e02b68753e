"""The workflow and ``emc mv fit`` agree: the stored data exported to CSV and fitted by the CLI
give the same coefficients, statistics and savings as the baseline and report of the service."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from test_mv_support import BASELINE, make_project

from emc.facilities.models import Meter, Site
from emc.mv import data
from emc.mv.cli import mv as mv_command
from emc.mv.service import baselines, reports


def test_service_and_cli_give_the_same_model_and_savings(db_session, tmp_path):
    ids = make_project(db_session, months=2)
    baseline = baselines.propose_baseline(db_session, ids["engineer"], ids["project"])
    baselines.approve_baseline(db_session, ids["energy"], baseline.id)
    start, end = dt.date(2024, 1, 1), dt.date(2024, 3, 1)
    report = reports.draft_report(
        db_session, ids["engineer"], ids["project"], period_start=start, period_end=end
    )
    meter = db_session.get(Meter, ids["meter"])
    site = db_session.get(Site, meter.site_id)
    # Export exactly the stored daily use and the station's temperatures of both periods.
    usage_csv, temperature_csv = data.export_csv(
        data.daily_inputs(db_session, meter, site, BASELINE[0], end)
    )
    (tmp_path / "usage.csv").write_text(usage_csv)
    (tmp_path / "temperature.csv").write_text(temperature_csv)
    result = CliRunner().invoke(
        mv_command,
        [
            "fit",
            "--usage",
            str(tmp_path / "usage.csv"),
            "--temperature",
            str(tmp_path / "temperature.csv"),
            "--baseline",
            "2023-01-01",
            "2023-12-31",
            "--reporting",
            "2024-01-01",
            "2024-02-29",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    stored = baseline.models[0]["model"]
    for key in ("form", "heating_balance_point", "cooling_balance_point"):
        assert cli["model"][key] == stored[key], key
    for key in ("intercept", "beta_hdd", "beta_cdd"):
        assert cli["model"][key] == pytest.approx(stored[key], rel=1e-9), key
    for key in ("n", "r_squared", "cvrmse", "nmbe"):
        assert cli["fit"][key] == pytest.approx(stored["statistics"][key], rel=1e-9, abs=1e-12), key
    savings = report.results[0]["savings"]
    assert cli["savings"]["avoided"] == pytest.approx(savings["avoided"], rel=1e-9)
    assert cli["savings"]["adjusted_baseline"] == pytest.approx(
        savings["adjusted_baseline"], rel=1e-9
    )
    assert cli["savings"]["fsu_68"] == pytest.approx(report.fsu_68, rel=1e-9)
    assert [m["avoided"] for m in cli["savings"]["by_month"]] == pytest.approx(
        [m["avoided"] for m in report.months], rel=1e-9
    )

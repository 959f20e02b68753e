"""`emc meters` and `emc weather` against a real database file built by `emc demo`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from emc.cli import cli


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("EMC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("EMC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()

    def _run(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    assert _run("demo").exit_code == 0
    return _run


def test_meters_list_import_and_its_errors(run, tmp_path):
    meters = json.loads(run("meters", "list", "--json").output)
    main = next(m for m in meters if m["name"] == "总表 10kV")
    assert (main["unit"], main["readings"]) == ("kWh", 731 * 96)
    plain = run("meters", "list").output
    assert "总表 10kV" in plain and "70176 readings" in plain

    good = tmp_path / "2025-01.csv"
    good.write_text("时间,用量(MWh)\n2025-01-01 00:00,0.5\n2025-01-01 00:15,0.25\n")
    result = run("meters", "import", main["id"], good)
    assert result.exit_code == 0, result.output
    assert "2025-01.csv: 2 readings imported (kWh)" in result.output
    again = run("meters", "import", main["id"], good)
    assert again.exit_code == 0 and "nothing changed" in again.output

    bad = tmp_path / "bad.csv"
    bad.write_text("时间,用量\n2025-02-01 00:00,1\n2025-02-01 00:15,abc\n2025-02-01 00:30,\n")
    failed = run("meters", "import", main["id"], bad)
    assert failed.exit_code == 2
    assert "row 3, column 用量:" in failed.output and "row 4, column 用量:" in failed.output

    clash = tmp_path / "clash.csv"
    clash.write_text("时间,用量\n2025-01-01 00:00,9\n")
    assert run("meters", "import", main["id"], clash).exit_code == 1
    replaced = run("meters", "import", main["id"], clash, "--replace")
    assert replaced.exit_code == 0 and "replacing 1 stored readings" in replaced.output
    wrong_format = run("meters", "import", main["id"], clash, "--format", "billing")
    assert wrong_format.exit_code == 2, wrong_format.output
    assert "disagrees with the meter" in wrong_format.output
    assert run("meters", "import", 99999, good).exit_code == 1


def test_weather_import_creates_a_station_and_refuses_bad_rows(run, tmp_path):
    temps = tmp_path / "t.csv"
    temps.write_text("时间,气温\n2025-01-01 00:00,3.5\n2025-01-01 01:00,2.9\n")
    created = run("weather", "import", "NEW1", temps, "--name", "新站")
    assert created.exit_code == 0, created.output
    assert "station NEW1: 2 temperatures imported" in created.output
    bad = tmp_path / "bad.csv"
    bad.write_text("时间,气温\n2025-01-02 00:00,warm\n")
    failed = run("weather", "import", "NEW1", bad)
    assert failed.exit_code == 2 and 'row 2, column 气温: "warm" is not a number' in failed.output
    assert run("weather", "import", "NOPE", temps).exit_code == 1

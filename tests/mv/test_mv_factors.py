"""One factor rule for M&V reports and programme statistics (issue 14): a year before the first
published grid factor takes the earliest, labelled as such, and each figure names its row."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from emc.energy import DEFAULT_FACTORS, FactorSet
from emc.mv.service.compute.report import _account
from emc.programme import stats


def test_a_2020_report_uses_the_2021_grid_factor_labelled_as_the_earliest():
    # 10,000 kWh avoided in 2020 × 0.5568 kgCO2/kWh (2021, the first published year)
    # = 5.568 tCO2 — no 409 any more; the factor row says it stands in for 2020.
    seen: dict = {}
    refs: dict = {}
    site = SimpleNamespace(region_code="330100")
    tco2 = _account(
        FactorSet(DEFAULT_FACTORS),
        "co2",
        Decimal(10000),
        "kWh",
        "electricity",
        2020,
        site,
        seen,
        refs,
    )
    assert tco2 == Decimal("5.568")
    (row,) = seen.values()
    assert (row["year"], row["for_year"], row["before_first"], row["stale"]) == (
        2021,
        2020,
        True,
        False,
    )
    assert refs["co2"] == row["ref"] == "electricity/co2/national_average/national/-/2021"


def test_statistics_apply_the_same_rule_and_name_the_rows():
    done = stats.account(
        FactorSet(DEFAULT_FACTORS),
        "electricity",
        Decimal(10000),
        "kWh",
        year=2020,
        region_code="330100",
    )
    assert done.co2_t == Decimal("5.568")
    assert any("before the first published year" in n for n in done.notes)
    assert dict(done.factors)["co2"] == "electricity/co2/national_average/national/-/2021"
    assert dict(done.factors)["tce"] == "electricity/tce/calorific/national/-/-"


def test_an_accepted_2020_report_end_to_end_names_the_earliest_grid_factor(db_session, login_as):
    """A project signed in 2019, baseline 2019, Option A lighting report for January 2020,
    drafted, submitted and accepted through the API: its tCO2 uses the 2021 grid factor of the
    site's province (浙江, the first published year, 0017_factors), and the API, the report page
    and the PDF say so.

    By hand: 12 kW × 310 h − 6 kW × 310 h = 1,860 kWh avoided (no interactive effect);
    tce 1,860 × 0.1229 kgce/kWh = 228.594 kgce = 0.2286 tce; tCO2 1,860 × 0.5422 kgCO2/kWh
    (浙江 2021) = 1,008.492 kgCO2 = 1.0085 tCO2 (1.0356 with the national 0.5568 before)."""
    import dataclasses
    import datetime as dt
    import io

    from pypdf import PdfReader
    from test_mv_support import actor, seen, signed_project

    from emc.facilities import service as facilities
    from emc.mv import data
    from emc.mv.service.demo import demo_terms

    # The demo's shared-savings terms, starting on 2020-01-01.
    terms = dataclasses.replace(demo_terms(), start_date=dt.date(2020, 1, 1))
    project, _site, meter = signed_project(
        db_session,
        name="2020 年照明改造",
        terms=terms,
        signed_on=dt.date(2019, 12, 1),
        meter_name="照明回路 2019",
    )
    energy = actor(db_session, "energy@school.demo")
    lines = ["时间,用电量(kWh)"] + [
        f"{d:%Y-%m-%d} 00:00,{120.0 if d.year == 2019 else 60.0}"
        for d in data.days(dt.date(2019, 1, 1), dt.date(2020, 2, 1))
    ]
    facilities.import_readings(
        db_session, energy, meter.id, io.BytesIO("\n".join(lines).encode()), filename="l.csv"
    )
    db_session.flush()

    esco, inst = login_as("engineer@esco.demo"), login_as("energy@school.demo")
    pid = project.id
    api = f"/api/v1/projects/{pid}"
    plan = esco.post(
        f"{api}/mv-plan",
        json={
            "boundary": [{"meter_id": meter.id, "option": "A"}],
            "method": "stipulated",
            "baseline_start": "2019-01-01",
            "baseline_end": "2020-01-01",
            "reporting_frequency": "monthly",
            "stipulated": [
                {
                    "name": "operating_hours_per_day",
                    "value": "10",
                    "unit": "h/d",
                    "source": "学校照明运行时间调查表（2019 年 9 月）",
                }
            ],
        },
    )
    assert plan.status_code == 200, plan.get_data(as_text=True)
    baseline = esco.post(f"{api}/baselines", json={})
    assert baseline.status_code == 201, baseline.get_data(as_text=True)
    bid = baseline.get_json()["id"]
    approved = inst.post(
        f"{api}/baselines/{bid}/approve",
        json={"comment": "同意", "row_version": seen(inst, pid, f"/baselines/{bid}")},
    )
    assert approved.status_code == 200, approved.get_data(as_text=True)
    drafted = esco.post(
        f"{api}/mv-reports", json={"period_start": "2020-01-01", "period_end": "2020-02-01"}
    )
    assert drafted.status_code == 201, drafted.get_data(as_text=True)
    rid = drafted.get_json()["id"]
    for client, action in ((esco, "submit"), (inst, "accept")):
        moved = client.post(
            f"{api}/mv-reports/{rid}/{action}",
            json={"row_version": seen(client, pid, f"/mv-reports/{rid}")},
        )
        assert moved.status_code == 200, moved.get_data(as_text=True)
    report = inst.get(f"{api}/mv-reports/{rid}").get_json()
    assert report["status"] == "accepted"
    assert Decimal(report["carriers"][0]["avoided"]) == Decimal("1860.000")
    assert Decimal(report["tce_avoided"]) == Decimal("0.2286")
    assert Decimal(report["tco2_avoided"]) == Decimal("1.0085")
    co2_ref = "electricity/co2/national_average/provincial/330000/2021"
    assert report["carriers"][0]["factor_refs"]["co2"] == [co2_ref]
    assert report["results"][0]["factor_refs"]["co2"] == co2_ref
    (co2,) = [f for f in report["factors"] if f["kind"] == "co2"]
    assert (co2["ref"], Decimal(co2["value"]), co2["year"], co2["for_year"]) == (
        co2_ref,
        Decimal("0.5422"),
        2021,
        2020,
    )
    assert co2["before_first"] is True and co2["stale"] is False
    (tce,) = [f for f in report["factors"] if f["kind"] == "tce"]
    assert tce["before_first"] is False
    page = inst.get(f"/projects/{pid}/mv/reports/{rid}").get_data(as_text=True)
    assert 'data-testid="tco2-before-first"' in page
    assert "（2020 年使用 2021 年因子：早于首个公布年份）" in page
    assert f'data-ref="{co2_ref}"' in page
    sheet = inst.get(f"{api}/mv-reports/{rid}.pdf")
    assert sheet.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    assert "最早公布的因子，用于首个公布年份之前的年份" in text.replace("\n", "")
    # The accepted report keeps the figures it was accepted with: correcting the factor row it
    # cites (a new row supersedes it) moves neither its tCO2 nor the factor it names.
    from sqlalchemy import select

    from emc.facilities.models import EmissionFactor
    from emc.facilities.service import factors as factor_service

    cited = db_session.scalar(
        select(EmissionFactor).where(
            EmissionFactor.scope == "provincial",
            EmissionFactor.region == "330000",
            EmissionFactor.year == 2021,
        )
    )
    factor_service.correct_factor(
        db_session,
        actor(db_session, "admin@platform.demo"),
        cited.id,
        value=Decimal("0.6"),
        reason="测试更正",
    )
    db_session.flush()
    again = inst.get(f"{api}/mv-reports/{rid}").get_json()
    assert (again["tco2_avoided"], again["factors"]) == (report["tco2_avoided"], report["factors"])

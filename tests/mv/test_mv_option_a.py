"""IPMVP Option A (key parameter measured, others stipulated) through the API: the plan's
stipulated values with their sources, demand measured from the meter, savings per month with
:func:`emc.mv.engine.option_a_savings`, a hand-computed example, the report page and PDF."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from pypdf import PdfReader
from test_mv_support import BASELINE, make_project, seen

from emc.facilities import service as facilities
from emc.mv import data

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"
HOURS = {
    "name": "operating_hours_per_day",
    "value": "10",
    "unit": "h/d",
    "source": "学校照明运行时间调查表（2023 年 9 月）",
}
INTERACTIVE = {
    "name": "interactive_factor",
    "value": "0.05",
    "unit": "1",
    "source": "设计院照明-空调交互效应计算书",
}


def api(pid: int, tail: str = "") -> str:
    return f"/api/v1/projects/{pid}{tail}"


def make_lighting(session) -> dict:
    """A lighting sub-meter: 120 kWh every day of 2023 (12 kW × 10 h), 60 kWh every day of
    January 2024 (6 kW × 10 h) after the retrofit."""
    ids = make_project(session, months=1, plan=False)
    meter = facilities.create_meter(
        session,
        ids["energy"],
        site_id=ids["site"],
        name=f"照明回路 {ids['meter']}",
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=1440,
    )
    lines = ["时间,用电量(kWh)"] + [
        f"{d:%Y-%m-%d} 00:00,{120.0 if d < BASELINE[1] else 60.0}"
        for d in data.days(BASELINE[0], dt.date(2024, 2, 1))
    ]
    facilities.import_readings(
        session, ids["energy"], meter.id, io.BytesIO("\n".join(lines).encode()), filename="l.csv"
    )
    session.flush()
    return {**ids, "meter": meter.id}


def put_plan(client, ids, stipulated, option="A", method="stipulated"):
    return client.post(
        api(ids["project"], "/mv-plan"),
        json={
            "boundary": [{"meter_id": ids["meter"], "option": option}],
            "method": method,
            "baseline_start": "2023-01-01",
            "baseline_end": "2024-01-01",
            "reporting_frequency": "monthly",
            "stipulated": stipulated,
        },
    )


def test_option_a_hand_computed_example_through_the_api(db_session, login_as):
    ids = make_lighting(db_session)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    r = put_plan(esco, ids, [HOURS, INTERACTIVE])
    assert r.status_code == 200, r.get_data(as_text=True)
    r = esco.post(api(pid, "/baselines"), json={})
    assert r.status_code == 201, r.get_data(as_text=True)
    b = r.get_json()
    model = b["models"][0]["model"]
    # Measured: 43 800 kWh over 365 days / (10 h/d × 365 d) = 12 kW.
    assert model["baseline_demand_kw"]["basis"] == "measured"
    assert float(model["baseline_demand_kw"]["value"]) == 12.0
    assert b["verdict_passed"] is True
    page = inst.get(f"/projects/{pid}/mv/baselines/{b['id']}").get_data(as_text=True)
    assert 'data-testid="option-a-parameters"' in page and HOURS["source"] in page
    r = inst.post(
        api(pid, f"/baselines/{b['id']}/approve"),
        json={"comment": "同意", "row_version": seen(inst, pid, f"/baselines/{b['id']}")},
    )
    assert r.status_code == 200, r.get_data(as_text=True)

    r = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    report = r.get_json()
    # By hand: (12 kW × 310 h − 6 kW × 310 h) × (1 + 0.05) = 1 953 kWh.
    month = report["months"][0]
    assert month["adjusted_baseline"] == 3720.0 and month["reporting"] == 1860.0
    assert month["avoided"] == 1953.0
    assert Decimal(report["carriers"][0]["avoided"]) == Decimal("1953.000")
    # Valued at the year-1 contract price 0.80 yuan/kWh; 1 953 × 0.0001229 tce.
    assert Decimal(report["savings_value"]) == Decimal("1562.40")
    assert Decimal(report["tce_avoided"]) == Decimal("0.2400")
    assert report["fsu_68"] is None and report["verdict"]["passed"] is True
    breakdown = report["results"][0]["savings"]["option_a"][0]
    params = {p["name"]: p for p in breakdown["parameters"]}
    assert params["reporting_demand_kw"]["basis"] == "measured"
    assert params["reporting_demand_kw"]["value"] == 6.0
    assert params["operating_hours"] == {
        "name": "operating_hours",
        "value": 310.0,
        "basis": "stipulated",
        "source": HOURS["source"],
    }
    assert params["interactive_factor"]["source"] == INTERACTIVE["source"]
    html = inst.get(f"/projects/{pid}/mv/reports/{report['id']}").get_data(as_text=True)
    assert 'data-testid="option-a"' in html and INTERACTIVE["source"] in html
    sheet = inst.get(api(pid, f"/mv-reports/{report['id']}.pdf"))
    assert sheet.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    assert "1,953.000" in text and "当月运行小时数（h）" in text
    # The parameters and the formula are named in the reader's language, never by their keys.
    assert "operating_hours" not in text and "baseline_kw" not in text
    assert "报告期功率 × 报告期小时数" in text.replace("\n", "")
    assert "学校照明运行时间调查表" in text


def test_option_a_refuses_missing_hours_and_nothing_measured(db_session, login_as):
    ids = make_lighting(db_session)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    # A stipulated value needs its source (the plan schema).
    no_source = {k: v for k, v in HOURS.items() if k != "source"}
    assert put_plan(esco, ids, [no_source]).status_code == 422
    # The operating hours are required.
    assert put_plan(esco, ids, [INTERACTIVE]).status_code == 200
    r = esco.post(api(pid, "/baselines"), json={})
    assert r.status_code == 422
    assert "operating_hours_per_day" in r.get_json()["error"]["fields"]["stipulated"][0]
    # Option A goes with the stipulated method only.
    assert put_plan(esco, ids, [HOURS], method="daily").status_code == 200
    assert esco.post(api(pid, "/baselines"), json={}).status_code == 422
    # Everything stipulated: IPMVP needs a measured key parameter, so the report is refused.
    stipulated = [
        HOURS,
        {"name": "baseline_demand_kw", "value": "12", "unit": "kW", "source": "铭牌"},
        {"name": "reporting_demand_kw", "value": "6", "unit": "kW", "source": "铭牌"},
    ]
    assert put_plan(esco, ids, stipulated).status_code == 200
    r = esco.post(api(pid, "/baselines"), json={})
    assert r.status_code == 201, r.get_data(as_text=True)
    bid = r.get_json()["id"]
    assert (
        inst.post(
            api(pid, f"/baselines/{bid}/approve"),
            json={"row_version": seen(inst, pid, f"/baselines/{bid}")},
        ).status_code
        == 200
    )
    r = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
    )
    assert r.status_code == 422
    assert "measured" in r.get_json()["error"]["fields"]["stipulated"][0]


def test_option_a_derivations_read_in_chinese_on_the_pages_and_the_pdf(db_session, login_as):
    """How a demand was derived from the meter is stored as the API's English sentence and read
    in the reader's language on the baseline and report pages and in the baseline sheet."""
    ids = make_lighting(db_session)
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = ids["project"]
    assert put_plan(esco, ids, [HOURS, INTERACTIVE]).status_code == 200
    b = esco.post(api(pid, "/baselines"), json={}).get_json()
    stored = b["models"][0]["model"]["baseline_demand_kw"]["method"]
    assert stored.endswith("43800.000 kWh over 365 days / (10 h/d × 365 d)")  # the API's form
    said = "365 天共 43800.000 kWh ÷（10 h/d × 365 天）"
    page = inst.get(f"/projects/{pid}/mv/baselines/{b['id']}").get_data(as_text=True)
    assert said in page and "kWh over" not in page
    sheet = inst.get(api(pid, f"/baselines/{b['id']}.pdf"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    assert "43800.000 kWh" in text and "over 365 days" not in text
    inst.post(
        api(pid, f"/baselines/{b['id']}/approve"),
        json={"comment": "同意", "row_version": seen(inst, pid, f"/baselines/{b['id']}")},
    )
    r = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
    ).get_json()
    html = inst.get(f"/projects/{pid}/mv/reports/{r['id']}").get_data(as_text=True)
    assert "31 天共 1860.000 kWh" in html and "kWh over" not in html
    assert "当月运行小时数（h）" in html and "交互效应系数）" in html
    assert "operating_hours" not in html and "baseline_kw" not in html
    plan_page = inst.get(f"/projects/{pid}/mv").get_data(as_text=True)
    assert "2023-01-01 – 2023-12-31" in plan_page  # the baseline period by its last day

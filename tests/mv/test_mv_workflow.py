"""The M&V workflow through the API and pages: lifecycle per role, separation of duties,
immutability, versioning, staleness, adjustments with evidence, tenancy."""

from __future__ import annotations

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select, update
from test_mv_support import demo_project_id, make_project, replace_day, seen

from emc.contracts.models import PaymentLine
from emc.errors import Conflict
from emc.facilities.models import MeterReading
from emc.facilities.service.rights import FrozenReadings
from emc.mv.models import Baseline, MvReport
from emc.mv.service import baselines, reports
from emc.mv.service import evidence as evidence_files

ESCO = "engineer@esco.demo"
INSTITUTION = "energy@school.demo"


@pytest.fixture
def mv(db_session):
    return make_project(db_session, months=3)


def api(pid: int, tail: str = "") -> str:
    return f"/api/v1/projects/{pid}{tail}"


def propose_and_approve(esco, inst, pid) -> dict:
    r = esco.post(api(pid, "/baselines"), json={})
    assert r.status_code == 201, r.get_data(as_text=True)
    baseline = r.get_json()
    r = inst.post(
        api(pid, f"/baselines/{baseline['id']}/approve"),
        json={"comment": "同意", "row_version": seen(inst, pid, f"/baselines/{baseline['id']}")},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_full_lifecycle_per_role_ends_in_payment_lines(mv, login_as, db_session):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    # The ESCO proposes from stored data; the model recovers the known truth.
    r = esco.post(api(pid, "/baselines"), json={})
    assert r.status_code == 201, r.get_data(as_text=True)
    b = r.get_json()
    model = b["models"][0]["model"]
    assert b["status"] == "proposed" and b["verdict_passed"] is True
    assert model["form"] == "hdd_cdd"
    assert model["intercept"] == pytest.approx(500, rel=0.03)
    assert model["beta_hdd"] == pytest.approx(40, rel=0.1)
    assert model["beta_cdd"] == pytest.approx(70, rel=0.1)
    assert len(b["inputs_sha256"]) == 64 and b["data_changed"] is False
    # Separation of duties: the ESCO never approves; the institution never proposes.
    assert (
        esco.post(
            api(pid, f"/baselines/{b['id']}/approve"),
            json={"row_version": seen(esco, pid, f"/baselines/{b['id']}")},
        ).status_code
        == 403
    )
    assert inst.post(api(pid, "/baselines"), json={}).status_code == 403
    assert (
        inst.post(
            api(pid, f"/baselines/{b['id']}/approve"),
            json={"row_version": seen(inst, pid, f"/baselines/{b['id']}")},
        ).status_code
        == 200
    )
    # Draft, submit, dispute, revise, submit, accept.
    period = {"period_start": "2024-01-01", "period_end": "2024-02-01"}
    assert inst.post(api(pid, "/mv-reports"), json=period).status_code == 403
    r = esco.post(api(pid, "/mv-reports"), json=period)
    assert r.status_code == 201, r.get_data(as_text=True)
    report = r.get_json()
    assert report["status"] == "draft" and report["version"] == 1
    avoided = Decimal(report["carriers"][0]["avoided"])
    assert avoided > 0
    # About 15 % of a January of roughly 500 + 40·HDD kWh a day.
    baseline_use = report["months"][0]["adjusted_baseline"]
    assert float(avoided) == pytest.approx(0.15 * baseline_use, rel=0.25)
    # Valued at the contract price of year 1 (0.80 yuan/kWh), to the fen.
    assert Decimal(report["savings_value"]) == (avoided * Decimal("0.80")).quantize(Decimal("0.01"))
    assert report["fsu_68"] < report["fsu_90"] < 0.5
    assert Decimal(report["tce_avoided"]) == (avoided * Decimal("0.0001229")).quantize(
        Decimal("0.0001")
    )
    assert {f["kind"] for f in report["factors"]} == {"tce", "co2"}
    rid = report["id"]
    assert (
        inst.post(
            api(pid, f"/mv-reports/{rid}/submit"),
            json={"row_version": seen(inst, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 403
    )
    assert (
        esco.post(
            api(pid, f"/mv-reports/{rid}/submit"),
            json={"row_version": seen(esco, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 200
    )
    assert (
        esco.post(
            api(pid, f"/mv-reports/{rid}/accept"),
            json={"row_version": seen(esco, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 403
    )
    assert (
        esco.post(
            api(pid, f"/mv-reports/{rid}/dispute"),
            json={"comment": "x", "row_version": seen(esco, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 403
    )
    r = inst.post(
        api(pid, f"/mv-reports/{rid}/dispute"),
        json={"comment": "请核对一月数据", "row_version": seen(inst, pid, f"/mv-reports/{rid}")},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "disputed"
    # A disputed report cannot be accepted, nor drafted again for its period.
    assert (
        inst.post(
            api(pid, f"/mv-reports/{rid}/accept"),
            json={"row_version": seen(inst, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 409
    )
    assert esco.post(api(pid, "/mv-reports"), json=period).status_code == 409
    r = esco.post(
        api(pid, f"/mv-reports/{rid}/revise"),
        json={"reason": "核对后重算", "row_version": seen(esco, pid, f"/mv-reports/{rid}")},
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    v2 = r.get_json()
    assert v2["version"] == 2 and v2["supersedes_id"] == rid and v2["status"] == "draft"
    assert esco.get(api(pid, f"/mv-reports/{rid}")).get_json()["status"] == "disputed"
    assert (
        esco.post(
            api(pid, f"/mv-reports/{v2['id']}/submit"),
            json={"row_version": seen(esco, pid, f"/mv-reports/{v2['id']}")},
        ).status_code
        == 200
    )
    r = inst.post(
        api(pid, f"/mv-reports/{v2['id']}/accept"),
        json={"comment": "同意", "row_version": seen(inst, pid, f"/mv-reports/{v2['id']}")},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["status"] == "accepted" and r.get_json()["accepted_on"]
    lines = db_session.scalars(
        select(PaymentLine).where(PaymentLine.project_id == pid, PaymentLine.source == "actual")
    ).all()
    assert len(lines) == 1
    # Shared savings: verified kWh × contract price 0.80 × the ESCO's 80 % share, rounded once
    # to the fen (rounding the yuan value first and then the share could differ by a fen).
    verified_kwh = Decimal(v2["carriers"][0]["avoided"])
    assert lines[0].amount == (verified_kwh * Decimal("0.80") * Decimal("0.8")).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    assert lines[0].period_start == dt.date(2024, 1, 1)
    listing = inst.get(api(pid, "/mv-reports")).get_json()
    assert [(x["version"], x["status"]) for x in listing] == [(2, "accepted"), (1, "disputed")]


def test_approved_baseline_is_frozen_and_changes_are_new_versions(mv, login_as, db_session):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    first = propose_and_approve(esco, inst, pid)
    # No API or page edits an approved baseline.
    assert (
        inst.post(
            api(pid, f"/baselines/{first['id']}/approve"),
            json={"row_version": seen(inst, pid, f"/baselines/{first['id']}")},
        ).status_code
        == 409
    )
    r = inst.post(
        api(pid, f"/baselines/{first['id']}/reject"),
        json={"comment": "改", "row_version": seen(inst, pid, f"/baselines/{first['id']}")},
    )
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "frozen"
    page = inst.post(
        f"/projects/{pid}/mv/baselines/{first['id']}/reject",
        data={"comment": "改", "row_version": seen(inst, pid, f"/baselines/{first['id']}")},
    )
    assert page.status_code == 409
    # Nor does any code path: the model refuses the UPDATE.
    row = db_session.get(Baseline, first["id"])
    with pytest.raises(Conflict), db_session.begin_nested():
        row.models = []
        db_session.flush()
    # A new version needs a reason, is approved again, and supersedes the old one.
    assert esco.post(api(pid, "/baselines"), json={}).status_code == 422
    r = esco.post(api(pid, "/baselines"), json={"reason": "增加了新楼宇"})
    assert r.status_code == 201
    second = r.get_json()
    assert second["version"] == 2 and second["supersedes_id"] == first["id"]
    assert (
        inst.post(
            api(pid, f"/baselines/{second['id']}/approve"),
            json={"row_version": seen(inst, pid, f"/baselines/{second['id']}")},
        ).status_code
        == 200
    )
    versions = {b["version"]: b["status"] for b in inst.get(api(pid, "/baselines")).get_json()}
    assert versions == {1: "superseded", 2: "approved"}
    old = inst.get(api(pid, f"/baselines/{first['id']}")).get_json()
    assert old["models"] == first["models"]


def test_rejected_baseline_needs_a_comment(mv, login_as):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    b = esco.post(api(pid, "/baselines"), json={}).get_json()
    assert (
        inst.post(
            api(pid, f"/baselines/{b['id']}/reject"),
            json={"comment": "", "row_version": seen(inst, pid, f"/baselines/{b['id']}")},
        ).status_code
        == 422
    )
    r = inst.post(
        api(pid, f"/baselines/{b['id']}/reject"),
        json={"comment": "基准期不对", "row_version": seen(inst, pid, f"/baselines/{b['id']}")},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"


def test_accepted_report_is_immutable_through_api_pages_and_orm(login_as, db_session):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = demo_project_id(db_session)
    accepted = [
        r for r in inst.get(api(pid, "/mv-reports")).get_json() if r["status"] == "accepted"
    ]
    assert len(accepted) == 3
    rid = accepted[0]["id"]
    for action, body in (("submit", None), ("accept", {}), ("dispute", {"comment": "x"})):
        client = esco if action == "submit" else inst
        r = client.post(
            api(pid, f"/mv-reports/{rid}/{action}"),
            json={**(body or {}), "row_version": seen(client, pid, f"/mv-reports/{rid}")},
        )
        assert r.status_code == 409, action
    r = esco.post(
        api(pid, f"/mv-reports/{rid}/revise"),
        json={"reason": "x", "row_version": seen(esco, pid, f"/mv-reports/{rid}")},
    )
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "immutable"
    meter = inst.get(api(pid, "/mv-plan")).get_json()["boundary"][0]["meter_id"]
    r = esco.post(
        api(pid, f"/mv-reports/{rid}/adjustments"),
        json={"meter_id": meter, "reason": "x", "amount": "1"},
    )
    assert r.status_code == 409
    assert (
        inst.post(
            f"/projects/{pid}/mv/reports/{rid}/dispute",
            data={"comment": "x", "row_version": seen(inst, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 409
    )
    row = db_session.get(MvReport, rid)
    row.savings_value = Decimal("1.00")
    with pytest.raises(Conflict):
        db_session.flush()


def test_changed_meter_data_marks_submitted_report_stale_not_recomputed(mv, login_as, db_session):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    propose_and_approve(esco, inst, pid)
    report = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-02-01", "period_end": "2024-03-01"}
    ).get_json()
    rid = report["id"]
    assert (
        esco.post(
            api(pid, f"/mv-reports/{rid}/submit"),
            json={"row_version": seen(esco, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 200
    )
    assert inst.get(api(pid, f"/mv-reports/{rid}")).get_json()["stale"] is False
    replace_day(db_session, mv["energy"], mv["meter"], dt.date(2024, 2, 10), 99999.0)
    r = inst.get(api(pid, f"/mv-reports/{rid}")).get_json()
    assert r["stale"] is True and "changed" in r["stale_message"]
    assert r["savings_value"] == report["savings_value"]
    assert r["inputs_sha256"] == report["inputs_sha256"]
    page = inst.get(f"/projects/{pid}/mv/reports/{rid}")
    assert page.status_code == 200 and 'data-testid="stale"' in page.get_data(as_text=True)
    # A stale report cannot be accepted; dispute and revise recompute from the new data.
    assert (
        inst.post(
            api(pid, f"/mv-reports/{rid}/accept"),
            json={"row_version": seen(inst, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 409
    )
    assert (
        inst.post(
            api(pid, f"/mv-reports/{rid}/dispute"),
            json={"comment": "数据已更正", "row_version": seen(inst, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 200
    )
    v2 = esco.post(
        api(pid, f"/mv-reports/{rid}/revise"),
        json={"reason": "数据更正", "row_version": seen(esco, pid, f"/mv-reports/{rid}")},
    ).get_json()
    assert v2["inputs_sha256"] != report["inputs_sha256"]
    assert Decimal(v2["savings_value"]) < Decimal(report["savings_value"])


def test_changed_baseline_data_is_reported_on_the_baseline(mv, login_as, db_session):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    b = propose_and_approve(esco, inst, pid)
    # An upload may not change readings under an approved baseline (issue 12) ...
    with pytest.raises(FrozenReadings):
        replace_day(db_session, mv["energy"], mv["meter"], dt.date(2023, 6, 1), 1.0)
    assert inst.get(api(pid, f"/baselines/{b['id']}")).get_json()["data_changed"] is False
    # ... but a change made around the service (a repair in the database) is still reported.
    day = int(dt.datetime(2023, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
    db_session.execute(
        update(MeterReading)
        .where(MeterReading.meter_id == mv["meter"], MeterReading.start_ts == day)
        .values(value=1.0)
    )
    db_session.flush()
    again = inst.get(api(pid, f"/baselines/{b['id']}")).get_json()
    assert again["data_changed"] is True and again["models"] == b["models"]


def test_draft_with_changed_data_must_be_recomputed_before_submission(mv, login_as, db_session):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    propose_and_approve(esco, inst, pid)
    report = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
    ).get_json()
    replace_day(db_session, mv["energy"], mv["meter"], dt.date(2024, 1, 5), 10.0)
    r = esco.post(
        api(pid, f"/mv-reports/{report['id']}/submit"),
        json={"row_version": seen(esco, pid, f"/mv-reports/{report['id']}")},
    )
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "stale"
    v2 = esco.post(
        api(pid, f"/mv-reports/{report['id']}/revise"),
        json={"reason": "重算", "row_version": seen(esco, pid, f"/mv-reports/{report['id']}")},
    )
    assert v2.status_code == 201
    assert esco.get(api(pid, f"/mv-reports/{report['id']}")).get_json()["status"] == "superseded"
    assert (
        esco.post(
            api(pid, f"/mv-reports/{v2.get_json()['id']}/submit"),
            json={"row_version": seen(esco, pid, f"/mv-reports/{v2.get_json()['id']}")},
        ).status_code
        == 200
    )


def test_adjustments_need_both_parties_and_carry_evidence(mv, login_as, monkeypatch):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    propose_and_approve(esco, inst, pid)
    report = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
    ).get_json()
    rid = report["id"]
    r = esco.http.post(
        api(pid, f"/mv-reports/{rid}/adjustments"),
        data={
            "meter_id": str(mv["meter"]),
            "reason": "新增实验楼投入使用",
            "amount": "1500",
            "csrf_token": esco.csrf,
            "files": [(io.BytesIO(b"minutes of the meeting"), "会议纪要.txt")],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    adj = r.get_json()
    assert adj["agreed"] is False and adj["esco_agreed_at"] and len(adj["evidence"]) == 1
    evidence = adj["evidence"][0]
    assert evidence["filename"] == "会议纪要.txt" and evidence["size_bytes"] == 22
    download = inst.get(api(pid, f"/mv-reports/{rid}/evidence/{evidence['id']}"))
    assert download.status_code == 200 and download.data == b"minutes of the meeting"
    adjusted = esco.get(api(pid, f"/mv-reports/{rid}")).get_json()
    assert Decimal(adjusted["carriers"][0]["avoided"]) - Decimal(
        report["carriers"][0]["avoided"]
    ) == Decimal("1500.000")
    # Too large a file is refused (a small limit keeps the upload in memory).
    monkeypatch.setattr(evidence_files, "MAX_EVIDENCE_BYTES", 1000)
    big = esco.http.post(
        api(pid, f"/mv-reports/{rid}/adjustments"),
        data={
            "meter_id": str(mv["meter"]),
            "reason": "大文件",
            "amount": "1",
            "csrf_token": esco.csrf,
            "files": [(io.BytesIO(b"x" * 1001), "big.bin")],
        },
        content_type="multipart/form-data",
    )
    assert big.status_code == 422
    assert (
        esco.post(
            api(pid, f"/mv-reports/{rid}/submit"),
            json={"row_version": seen(esco, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 200
    )
    r = inst.post(
        api(pid, f"/mv-reports/{rid}/accept"),
        json={"row_version": seen(inst, pid, f"/mv-reports/{rid}")},
    )
    assert r.status_code == 409 and "adjustments" in r.get_json()["error"]["fields"]
    # The proposer's party cannot agree twice; the other party agrees.
    assert (
        esco.post(
            api(pid, f"/mv-reports/{rid}/adjustments/{adj['id']}/agree"),
            json={"row_version": adj["row_version"]},
        ).status_code
        == 409
    )
    r = inst.post(
        api(pid, f"/mv-reports/{rid}/adjustments/{adj['id']}/agree"),
        json={"row_version": adj["row_version"]},
    )
    assert r.status_code == 200 and r.get_json()["agreed"] is True
    assert (
        inst.post(
            api(pid, f"/mv-reports/{rid}/accept"),
            json={"row_version": seen(inst, pid, f"/mv-reports/{rid}")},
        ).status_code
        == 200
    )


def test_plan_validation_and_optimistic_version(mv, login_as, db_session):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    plan = inst.get(api(pid, "/mv-plan")).get_json()
    assert plan["price_basis"][0]["base_price"] == "0.80"
    assert plan["acceptance"]["cvrmse_limit_under_12_months"] == 0.2
    body = {
        "boundary": plan["boundary"],
        "method": "daily",
        "baseline_start": "2023-01-01",
        "baseline_end": "2024-01-01",
        "reporting_frequency": "quarterly",
        "version": plan["version"],
        "acceptance": {"fsu_limit": 0.4},
    }
    r = inst.http.put(api(pid, "/mv-plan"), json=body, headers={"X-CSRFToken": inst.csrf})
    assert r.status_code == 200 and r.get_json()["version"] == plan["version"] + 1
    assert r.get_json()["acceptance"]["fsu_limit"] == 0.4
    # Stale version, foreign meter, reversed period.
    r = esco.http.put(api(pid, "/mv-plan"), json=body, headers={"X-CSRFToken": esco.csrf})
    assert r.status_code == 409
    other = {**body, "version": None, "boundary": [{"meter_id": 999999, "option": "C"}]}
    r = esco.http.put(api(pid, "/mv-plan"), json=other, headers={"X-CSRFToken": esco.csrf})
    assert r.status_code == 422 and "boundary[0].meter_id" in r.get_json()["error"]["fields"]
    # A catalogue message (it was an English literal with no translation).
    assert r.get_json()["error"]["fields"]["boundary[0].meter_id"] == [
        "not a meter of the project's sites"
    ]
    rev = {**body, "version": None, "baseline_end": "2022-01-01"}
    r = esco.http.put(api(pid, "/mv-plan"), json=rev, headers={"X-CSRFToken": esco.csrf})
    assert r.status_code == 422
    viewer = login_as("viewer@school.demo")
    r = viewer.http.put(api(pid, "/mv-plan"), json=body, headers={"X-CSRFToken": viewer.csrf})
    assert r.status_code == 403


def test_insufficient_baseline_data_is_invalid_naming_the_rule(db_session, login_as):
    ids = make_project(db_session, months=1, plan=False)
    esco = login_as(ESCO)
    body = {
        "boundary": [{"meter_id": ids["meter"], "option": "C"}],
        "method": "daily",
        "baseline_start": "2023-06-01",
        "baseline_end": "2023-09-01",
        "reporting_frequency": "monthly",
    }
    assert (
        esco.http.put(
            api(ids["project"], "/mv-plan"), json=body, headers={"X-CSRFToken": esco.csrf}
        ).status_code
        == 200
    )
    r = esco.post(api(ids["project"], "/baselines"), json={})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "insufficient_data"
    r = esco.post(api(ids["project"], "/baselines"), json={"allow_insufficient": True})
    assert r.status_code == 201 and r.get_json()["warnings"]


def test_report_period_rules(mv, login_as):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    r = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
    )
    assert r.status_code == 409  # no approved baseline yet
    propose_and_approve(esco, inst, pid)
    for start, end in (
        ("2023-12-01", "2024-01-01"),
        ("2024-02-01", "2024-01-01"),
        ("2099-01-01", "2099-02-01"),
    ):
        r = esco.post(api(pid, "/mv-reports"), json={"period_start": start, "period_end": end})
        assert r.status_code == 422, (start, r.get_data(as_text=True))
    assert (
        esco.post(
            api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
        ).status_code
        == 201
    )
    r = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-03-01"}
    )
    assert r.status_code == 409  # overlaps January's report
    # Whole calendar months only: a period ending on the 27th left a day unreported, unpaid.
    r = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-02-01", "period_end": "2024-02-28"}
    )
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"period_end"}


def test_other_tenant_sees_nothing(login_as, db_session):
    pid = demo_project_id(db_session)
    report = db_session.scalar(select(MvReport).where(MvReport.project_id == pid))
    baseline = db_session.scalar(select(Baseline).where(Baseline.project_id == pid))
    for email in (
        "engineer@esco2.demo",
        "energy@gym.demo",
        "energy@hospital.demo",
        "auditor@auditor.demo",
    ):
        c = login_as(email)
        for url in (
            api(pid, "/mv-plan"),
            api(pid, "/baselines"),
            api(pid, f"/baselines/{baseline.id}"),
            api(pid, f"/baselines/{baseline.id}.pdf"),
            api(pid, "/mv-reports"),
            api(pid, f"/mv-reports/{report.id}"),
            api(pid, f"/mv-reports/{report.id}.pdf"),
            f"/projects/{pid}/mv",
            f"/projects/{pid}/mv/reports/{report.id}",
        ):
            assert c.get(url).status_code == 404, (email, url)
        assert (
            c.post(
                api(pid, f"/mv-reports/{report.id}/accept"),
                json={"row_version": seen(c, pid, f"/mv-reports/{report.id}")},
            ).status_code
            == 404
        )


def test_object_of_another_project_is_not_found(mv, login_as, db_session):
    pid = demo_project_id(db_session)
    report = db_session.scalar(select(MvReport).where(MvReport.project_id == pid))
    inst = login_as(INSTITUTION)
    assert inst.get(api(mv["project"], f"/mv-reports/{report.id}")).status_code == 404


def test_pages_show_plan_baselines_reports_and_chart(login_as, db_session):
    pid = demo_project_id(db_session)
    inst = login_as(INSTITUTION)
    page = inst.get(f"/projects/{pid}/mv").get_data(as_text=True)
    assert "暖通空调分项" in page and 'data-testid="mv-baselines"' in page
    assert page.count("/mv/reports/") >= 3
    baseline = db_session.scalar(select(Baseline).where(Baseline.project_id == pid))
    page = inst.get(f"/projects/{pid}/mv/baselines/{baseline.id}").get_data(as_text=True)
    assert "<svg" in page and 'data-testid="statistics"' in page and 'data-testid="frozen"' in page
    report = db_session.scalar(select(MvReport).where(MvReport.project_id == pid))
    page = inst.get(f"/projects/{pid}/mv/reports/{report.id}").get_data(as_text=True)
    assert "2024-01" in page and 'data-testid="immutable"' in page and "<svg" in page


def test_the_plan_shows_its_acceptance_limits_as_percentages(login_as, db_session):
    """G14 limits are stored as fractions (0.2, 5e-05); the plan reads 20 % and 0.005 %."""
    from emc import labels
    from emc.mv.models import MvPlan

    pid = demo_project_id(db_session)
    plan = db_session.scalar(select(MvPlan).where(MvPlan.project_id == pid))
    page = login_as(INSTITUTION).get(f"/projects/{pid}/mv").get_data(as_text=True)
    shown = [v for v in plan.acceptance.values() if v is not None]
    assert shown and all(f">{labels.percent(v)} %</td>" in page for v in shown)
    assert "e-05</td>" not in page


def test_lifecycle_through_the_pages(mv, login_as):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    r = esco.post(f"/projects/{pid}/mv/baselines", data={})
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    bid = int(r.headers["Location"].rstrip("/").split("/")[-1])
    assert (
        esco.post(f"/projects/{pid}/mv/baselines/{bid}/approve", data={"row_version": "1"})
    ).status_code == 403
    assert (
        inst.post(
            f"/projects/{pid}/mv/baselines/{bid}/approve",
            data={"comment": "同意", "row_version": "1"},
        ).status_code
        == 302
    )
    r = esco.post(
        f"/projects/{pid}/mv/reports",
        data={"period_start": "2024-01-01", "period_last": "2024-01-31"},
    )
    assert r.status_code == 302
    rid = int(r.headers["Location"].rstrip("/").split("/")[-1])
    page = esco.get(f"/projects/{pid}/mv/reports/{rid}").get_data(as_text=True)
    # The page's forms carry the version the user saw.
    assert 'name="row_version" value="1"' in page
    assert (
        esco.post(f"/projects/{pid}/mv/reports/{rid}/submit", data={"row_version": "1"})
    ).status_code == 302
    stale = inst.post(
        f"/projects/{pid}/mv/reports/{rid}/accept", data={"comment": "", "row_version": "1"}
    )
    assert stale.status_code == 409
    assert (
        inst.post(
            f"/projects/{pid}/mv/reports/{rid}/accept", data={"comment": "", "row_version": "2"}
        ).status_code
        == 302
    )
    page = inst.get(f"/projects/{pid}/mv/reports/{rid}").get_data(as_text=True)
    assert 'data-testid="immutable"' in page


def _plan_form(mv, method: str, frequency: str, **fields: str) -> dict[str, str]:
    """The plan form's fields for the fixture's meter under option C, plus ``fields``."""
    return {
        f"meter_{mv['meter']}": "on",
        f"option_{mv['meter']}": "C",
        "method": method,
        "baseline_start": "2023-01-01",
        "baseline_end": "2024-01-01",
        "reporting_frequency": frequency,
        **fields,
    }


def test_plan_form_saves_the_plan(mv, login_as):
    inst = login_as(INSTITUTION)
    pid = mv["project"]
    form = _plan_form(
        mv,
        "billing",
        "annual",
        # Limits are entered in per cent, as the page shows them.
        fsu_limit_pct="45",
        nmbe_limit_pct="0.005 %",
        cvrmse_limit_under_12_months_pct="15",
    )
    assert inst.post(f"/projects/{pid}/mv/plan", data=form).status_code == 302
    plan = inst.get(api(pid, "/mv-plan")).get_json()
    assert plan["method"] == "billing" and plan["boundary"][0]["option"] == "C"
    assert plan["acceptance"]["fsu_limit"] == 0.45
    assert plan["acceptance"]["nmbe_limit"] == 0.00005
    assert plan["acceptance"]["cvrmse_limit_under_12_months"] == 0.15
    # The form shows them back in per cent, never a stored fraction such as 5e-05.
    page = inst.get(f"/projects/{pid}/mv").get_data(as_text=True)
    assert (
        'name="nmbe_limit_pct" inputmode="decimal" data-testid="nmbe_limit_pct" value="0.005"'
        in page
    )
    assert 'name="fsu_limit_pct" inputmode="decimal" data-testid="fsu_limit_pct" value="45"' in page
    assert "5e-05" not in page
    bad = {**form, "baseline_start": ""}
    assert inst.post(f"/projects/{pid}/mv/plan", data=bad).status_code == 422
    # A limit out of range or not a number is refused, named, and nothing is saved.
    for value in ("120", "-1", "abc", "nan"):
        out = inst.post(
            f"/projects/{pid}/mv/plan", data={**form, "cvrmse_limit_under_12_months_pct": value}
        )
        assert out.status_code == 422
        text = out.get_data(as_text=True)
        assert 'data-field="cvrmse_limit_under_12_months_pct"' in text
        assert f'value="{value}"' in text  # what the user typed stays in the field
    assert inst.get(api(pid, "/mv-plan")).get_json()["acceptance"] == plan["acceptance"]
    # The refused form keeps the rest of what was posted, not the stored plan.
    text = inst.post(
        f"/projects/{pid}/mv/plan",
        data={**form, "method": "daily", "baseline_end": "2024-02-01", "fsu_limit_pct": "x"},
    ).get_data(as_text=True)
    assert '<option value="daily" selected>' in text and 'value="2024-02-01"' in text


def test_plan_form_takes_stipulated_values_as_rows(mv, login_as):
    """Stipulated values are rows of a table (a parameter the engine knows, or one named by the
    user), never JSON typed by hand; bad rows are refused beside the row, nothing saved."""
    inst = login_as(INSTITUTION)
    pid = mv["project"]
    form = _plan_form(
        mv,
        "daily",
        "monthly",
        **{
            "stipulated-0-name": "operating_hours_per_day",
            "stipulated-0-value": "10.5",
            "stipulated-0-source": "作息时间表 2024",
            "stipulated-2-name": "__other",
            "stipulated-2-other": "灯具数量",
            "stipulated-2-value": "320",
            "stipulated-2-unit": "盏",
            "stipulated-2-source": "现场清点",
        },
    )
    assert inst.post(f"/projects/{pid}/mv/plan", data=form).status_code == 302
    plan = inst.get(api(pid, "/mv-plan")).get_json()
    assert plan["stipulated"] == [
        # A listed parameter's unit is filled in.
        {
            "name": "operating_hours_per_day",
            "value": "10.5",
            "unit": "h/d",
            "source": "作息时间表 2024",
        },
        {"name": "灯具数量", "value": "320", "unit": "盏", "source": "现场清点"},
    ]
    page = inst.get(f"/projects/{pid}/mv", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    assert "日运行小时数（h/d）" in page and "operating_hours_per_day</td>" not in page
    assert 'name="stipulated-1-other" value="灯具数量"' in page  # the form shows the saved rows
    bad = {**form, "stipulated-2-value": "很多", "stipulated-0-source": ""}
    out = inst.post(f"/projects/{pid}/mv/plan", data=bad)
    assert out.status_code == 422
    text = out.get_data(as_text=True)
    assert 'data-field="stipulated-2-value"' in text and 'data-field="stipulated-0-source"' in text
    assert 'value="很多"' in text
    assert inst.get(api(pid, "/mv-plan")).get_json()["stipulated"] == plan["stipulated"]
    # Values the engine would compute nonsense from are refused beside their row, by the
    # service (so the API refuses them too).
    for row, value, unit, field in (
        ("0", "30", "", "value"),  # more than 24 hours a day
        ("0", "0", "", "value"),
        ("0", "10", "h", "unit"),  # a listed parameter in another unit
    ):
        out = inst.post(
            f"/projects/{pid}/mv/plan",
            data={**form, f"stipulated-{row}-value": value, f"stipulated-{row}-unit": unit},
        )
        assert out.status_code == 422, (value, unit)
        assert f'data-field="stipulated-{row}-{field}"' in out.get_data(as_text=True)
    twice = {**form, "stipulated-2-name": "operating_hours_per_day", "stipulated-2-unit": ""}
    out = inst.post(f"/projects/{pid}/mv/plan", data=twice)
    assert out.status_code == 422 and 'data-field="stipulated-2-other"' in out.get_data(
        as_text=True
    )
    body = {
        "boundary": [{"meter_id": mv["meter"], "option": "C"}],
        "method": "daily",
        "baseline_start": "2023-01-01",
        "baseline_end": "2024-01-01",
        "reporting_frequency": "monthly",
        "stipulated": [{"name": "interactive_factor", "value": "3", "unit": "1", "source": "估算"}],
    }
    refused = inst.http.put(api(pid, "/mv-plan"), json=body, headers={"X-CSRFToken": inst.csrf})
    assert refused.status_code == 422
    assert "stipulated[0].value" in refused.get_json()["error"]["fields"]
    assert inst.get(api(pid, "/mv-plan")).get_json()["stipulated"] == plan["stipulated"]


def test_billing_method_fits_monthly_periods(mv, login_as, db_session):
    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    body = {
        "boundary": [{"meter_id": mv["meter"], "option": "C"}],
        "method": "billing",
        "baseline_start": "2023-01-01",
        "baseline_end": "2024-01-01",
        "reporting_frequency": "monthly",
    }
    esco.http.put(api(pid, "/mv-plan"), json=body, headers={"X-CSRFToken": esco.csrf})
    b = propose_and_approve(esco, inst, pid)
    assert b["method"] == "billing" and b["models"][0]["statistics"]["n"] == 12
    r = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-03-01"}
    )
    assert r.status_code == 201
    assert len(r.get_json()["months"]) == 2 and Decimal(r.get_json()["savings_value"]) > 0


def test_service_refuses_wrong_party_even_with_the_role(mv, db_session):
    from emc.errors import Forbidden

    b = baselines.propose_baseline(db_session, mv["engineer"], mv["project"])
    with pytest.raises(Forbidden):
        baselines.approve_baseline(db_session, mv["engineer"], b.id)
    baselines.approve_baseline(db_session, mv["institution_admin"], b.id)
    with pytest.raises(Forbidden):
        reports.draft_report(
            db_session,
            mv["energy"],
            mv["project"],
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 2, 1),
        )


def test_no_report_is_drafted_or_accepted_before_the_contract_is_signed(mv, login_as, db_session):
    """A user drafted and submitted a report (with its payment value) on a project the ESCO
    had not signed: reports, and so payments, wait for both signatures."""
    from emc.contracts.models import EmcProject, ProjectStatus

    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    propose_and_approve(esco, inst, pid)
    period = {"period_start": "2024-01-01", "period_end": "2024-02-01"}
    report = esco.post(api(pid, "/mv-reports"), json=period).get_json()
    submitted = esco.post(
        api(pid, f"/mv-reports/{report['id']}/submit"),
        json={"row_version": seen(esco, pid, f"/mv-reports/{report['id']}")},
    )
    assert submitted.status_code == 200, submitted.get_json()
    project = db_session.get(EmcProject, pid)
    signed = project.status
    project.status = ProjectStatus.PROPOSED
    db_session.flush()
    refused = esco.post(
        api(pid, "/mv-reports"),
        json={**period, "period_start": "2024-02-01", "period_end": "2024-03-01"},
    )
    assert refused.status_code == 409
    assert "status" in refused.get_json()["error"]["fields"]
    lines = db_session.scalars(select(PaymentLine).where(PaymentLine.project_id == pid)).all()
    accept = inst.post(
        api(pid, f"/mv-reports/{report['id']}/accept"),
        json={"row_version": seen(inst, pid, f"/mv-reports/{report['id']}")},
    )
    assert accept.status_code == 409
    assert (
        db_session.scalars(select(PaymentLine).where(PaymentLine.project_id == pid)).all() == lines
    )
    project.status = signed
    db_session.flush()
    accepted = inst.post(
        api(pid, f"/mv-reports/{report['id']}/accept"),
        json={"row_version": seen(inst, pid, f"/mv-reports/{report['id']}")},
    )
    assert accepted.status_code == 200, accepted.get_json()


def test_a_baseline_with_an_open_suspected_event_is_not_approved(mv, login_as, db_session):
    """The baseline page said to decide on a suspected non-routine event before approving, and
    the approval went through anyway: now it is refused until the event is decided."""
    from emc.watch.models import EventScope, EventStatus, SuspectedEvent

    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    proposed = esco.post(api(pid, "/baselines"), json={})
    assert proposed.status_code == 201, proposed.get_json()
    baseline = proposed.get_json()
    row = db_session.get(Baseline, baseline["id"])
    event = SuspectedEvent(
        project_id=pid,
        baseline_id=row.id,
        meter_id=mv["meter"],
        scope=EventScope.BASELINE,
        start_date=row.start_date + dt.timedelta(days=40),
        detected_on=row.end_date,
        change_per_day=Decimal("120.000"),
        change_percent=18.8,
        confidence=0.97,
        unit="kWh",
        status=EventStatus.OPEN,
    )
    db_session.add(event)
    db_session.flush()
    url = api(pid, f"/baselines/{baseline['id']}/approve")
    refused = inst.post(
        url,
        json={"comment": "同意", "row_version": seen(inst, pid, f"/baselines/{baseline['id']}")},
    )
    assert refused.status_code == 409 and "events" in refused.get_json()["error"]["fields"]
    assert db_session.get(Baseline, baseline["id"]).status.value == "proposed"
    event.status = EventStatus.DISMISSED
    db_session.flush()
    approved = inst.post(
        url,
        json={"comment": "同意", "row_version": seen(inst, pid, f"/baselines/{baseline['id']}")},
    )
    assert approved.status_code == 200, approved.get_json()


def test_report_notices_name_the_period(mv, login_as, db_session, app):
    """Two identical 待审核的测量与验证报告：一中… messages said nothing of which report."""
    from flask_babel import force_locale, gettext

    from emc.notifications.models import Notification

    esco, inst = login_as(ESCO), login_as(INSTITUTION)
    pid = mv["project"]
    propose_and_approve(esco, inst, pid)
    rid = esco.post(
        api(pid, "/mv-reports"), json={"period_start": "2024-01-01", "period_end": "2024-02-01"}
    ).get_json()["id"]
    submitted = esco.post(
        api(pid, f"/mv-reports/{rid}/submit"),
        json={"row_version": seen(esco, pid, f"/mv-reports/{rid}")},
    )
    assert submitted.status_code == 200
    notice = db_session.scalar(
        select(Notification)
        .where(Notification.kind == "report_submitted")
        .order_by(Notification.id.desc())
    )
    with app.test_request_context(), force_locale("zh_CN"):
        subject = gettext(notice.subject) % notice.params
        body = gettext(notice.body) % notice.params
    assert subject.endswith("，2024-01-01 – 2024-01-31")
    assert "2024-01-01 – 2024-01-31 的测量与验证报告" in body

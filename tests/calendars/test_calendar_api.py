"""Calendar API: statutory years, term calendars and a site's day types."""

from __future__ import annotations

from sqlalchemy import select

from emc.auth.models import User
from emc.facilities.models import Site


def _school_site_id(db_session) -> int:
    org = db_session.scalar(select(User).where(User.email == "energy@school.demo")).organization_id
    return db_session.scalar(select(Site.id).where(Site.organization_id == org).order_by(Site.id))


def test_statutory_year_round_trip_and_bad_days_are_named(login_as):
    admin = login_as("admin@platform.demo")
    body = {
        "source": "国办发明电〔2026〕1号",
        "days": [
            {"date": "2027-02-06", "kind": "holiday", "name": "春节"},
            {"date": "2027-02-14", "kind": "makeup_workday", "name": "春节调休"},
        ],
    }
    r = admin.post("/api/v1/calendars/statutory/2027", json=body)
    assert r.status_code == 200, r.get_json()
    out = admin.get("/api/v1/calendars/statutory/2027").get_json()
    assert out["source"] == "override" and out["note"] == body["source"]
    assert [d["kind"] for d in out["days"]] == ["holiday", "makeup_workday"]
    package = admin.get("/api/v1/calendars/statutory/2025").get_json()
    assert package["source"] == "package" and len(package["days"]) == 33
    bad = dict(body, days=[{"date": "2027-02-10", "kind": "makeup_workday"}])  # a Wednesday
    r = admin.post("/api/v1/calendars/statutory/2027", json=bad)
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["days"] == [
        "line 1: a make-up workday is a Saturday or Sunday"
    ]


def test_site_day_types_follow_the_demo_school_calendar(login_as, db_session):
    energy = login_as("energy@school.demo")
    site_id = _school_site_id(db_session)
    r = energy.get(f"/api/v1/sites/{site_id}/day-types?start=2025-01-25&end=2025-02-20")
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    types = {d["date"]: d["day_type"] for d in out["days"]}
    assert out["term_calendar"] == "杭州市第一中学校历"
    assert types["2025-01-28"] == "holiday"  # 除夕, inside 寒假: the holiday wins
    assert types["2025-02-08"] == "vacation"  # a 调休 Saturday inside 寒假
    assert types["2025-02-17"] == "workday"  # term again
    assert (
        energy.get(f"/api/v1/sites/{site_id}/day-types?start=2025-02-01&end=2025-01-01").status_code
        == 422
    )
    terms = energy.get("/api/v1/calendars/terms").get_json()
    assert [c["name"] for c in terms] == ["杭州市第一中学校历"]
    assert any(p["kind"] == "vacation" for p in terms[0]["periods"])


def test_a_year_outside_the_calendar_range_is_a_404_not_a_500(login_as):
    """schemathesis sent year 24148: date(24148, 1, 1) raised inside the service."""
    admin = login_as("admin@platform.demo")
    for year in (1899, 2200, 24148, 2**31):
        assert admin.get(f"/api/v1/calendars/statutory/{year}").status_code == 404
        assert admin.get(f"/calendars/statutory/{year}").status_code == 404
    assert admin.get("/api/v1/calendars/statutory/2199").status_code == 200

"""Site, building and meter forms refuse bad input in Chinese, every bad field at once; the
meter lists say daily meters and counts the way the meter page does."""

from __future__ import annotations

from sqlalchemy import select

from emc import clock
from emc.facilities.models import Meter, Site


def _site(db_session):
    return db_session.scalar(select(Site).where(Site.name == "一中本部校区"))


def test_building_year_after_this_year_or_before_1800_is_refused_naming_the_field(
    login_as, db_session
):
    energy = login_as("energy@school.demo")
    site = _site(db_session)
    form = {
        "name": "未来楼",
        "floor_area_m2": "1000",
        "building_type": "office",
        "climate_zone": "hot_summer_cold_winter",
    }
    for year in (clock.now().year + 1, 2099, 1700):
        page = energy.post(f"/sites/{site.id}/buildings/new", data={**form, "year_built": year})
        html = page.get_data(as_text=True)
        assert page.status_code in (200, 422), page.status_code
        assert f"建成年份须在 1800 年至 {clock.now().year} 年之间，不能是 {year}" in html
    api = energy.post("/api/v1/buildings", json={**form, "site_id": site.id, "year_built": 2099})
    assert api.status_code == 422
    assert list(api.get_json()["error"]["fields"]) == ["year_built"]
    ok = energy.post(
        "/api/v1/buildings",
        json={**form, "site_id": site.id, "year_built": clock.now().year},
    )
    assert ok.status_code == 201, ok.get_json()


def test_an_interval_not_dividing_a_day_is_a_translated_message_naming_the_field(
    login_as, db_session
):
    energy = login_as("energy@school.demo")
    site = _site(db_session)
    body = {
        "site_id": site.id,
        "name": "七分钟表",
        "carrier": "electricity",
        "unit": "kWh",
        "kind": "interval",
        "interval_minutes": 7,
    }
    response = energy.post("/api/v1/meters", json=body)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields == {"interval_minutes": [fields["interval_minutes"][0]]}
    assert "not 7" in fields["interval_minutes"][0]  # the API's own language
    form = {k: v for k, v in body.items() if k != "site_id"}
    page = energy.post(f"/sites/{site.id}/meters/new", data=form).get_data(as_text=True)
    assert "间隔（分钟）须能整除一天" in page and "不能是 7" in page
    assert "interval meters need" not in page


def test_meter_lists_format_counts_and_say_daily_meters(login_as, db_session):
    energy = login_as("energy@school.demo")
    meter = db_session.scalar(select(Meter).where(Meter.name == "总表 10kV"))
    listing = energy.get("/meters").get_data(as_text=True)
    assert "70,176" in listing and ">70176<" not in listing
    daily = db_session.scalar(select(Meter).where(Meter.interval_minutes == 1440))
    if daily is None:
        daily = meter
        daily.interval_minutes = 1440  # the kind's wording only
        db_session.flush()
    for url in ("/meters", f"/sites/{daily.site_id}", f"/meters/{daily.id}"):
        html = energy.get(url).get_data(as_text=True)
        assert "日数据" in html, url
        assert "(1440 分钟)" not in html, url
    assert "场地" not in energy.get("/buildings").get_data(as_text=True)

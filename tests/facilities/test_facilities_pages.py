"""The facilities pages, as a user works through them in Chinese: sites, buildings and meters
(create, edit, retire), lists with search and pages, linking a project to a site."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from emc.contracts.models import EmcProject
from emc.facilities.models import Building, Meter, ProjectSite, Site


def _site(client, name="新校区", **extra):
    response = client.post(
        "/sites/new",
        data={"name": name, "address": "文一路 1 号", "region_code": "330100", **extra},
    )
    return response


def _location_id(response) -> int:
    return int(re.search(r"/(\d+)(?:/|$)", response.headers["Location"]).group(1))


def test_an_energy_manager_creates_a_site_a_building_and_a_meter_on_pages(login_as, db_session):
    energy = login_as("energy@school.demo")
    assert "新建场所" in energy.get("/sites").get_data(as_text=True)
    created = _site(energy)
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    site_id = _location_id(created)
    building = energy.post(
        f"/sites/{site_id}/buildings/new",
        data={
            "name": "图书馆",
            "floor_area_m2": "12000.5",
            "building_type": "university",
            "climate_zone": "hot_summer_cold_winter",
            "year_built": "2001",
        },
    )
    assert building.status_code == 302, building.get_data(as_text=True)[:2000]
    meter = energy.post(
        f"/sites/{site_id}/meters/new",
        data={
            "name": "总表",
            "carrier": "electricity",
            "unit": "度",
            "kind": "interval",
            "interval_minutes": "60",
            "serial_number": "SN-1",
        },
    )
    assert meter.status_code == 302, meter.get_data(as_text=True)[:2000]
    stored = db_session.scalar(select(Meter).where(Meter.site_id == site_id))
    assert stored.unit == "kWh" and stored.interval_minutes == 60
    page = energy.get(f"/sites/{site_id}").get_data(as_text=True)
    # Labels, never raw enum values.
    for label in ("高等院校", "夏热冬冷", "电力", "定时间隔计量"):
        assert label in page, label
    for raw in ("hot_summer_cold_winter", "university", ">electricity<", ">interval<"):
        assert raw not in page, raw


def test_a_bad_form_is_shown_again_with_the_error_beside_the_field(login_as, db_session):
    energy = login_as("energy@school.demo")
    site_id = _location_id(_site(energy))
    bad = energy.post(
        f"/sites/{site_id}/buildings/new",
        data={
            "name": "楼",
            "floor_area_m2": "-3",
            "building_type": "office",
            "climate_zone": "cold",
        },
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'data-field="floor_area_m2"' in html
    assert db_session.scalar(select(Building).where(Building.site_id == site_id)) is None
    duplicate = _site(energy)
    assert duplicate.status_code == 422
    assert 'data-field="name"' in duplicate.get_data(as_text=True)
    unit = energy.post(
        f"/sites/{site_id}/meters/new",
        data={"name": "燃气表", "carrier": "natural_gas", "unit": "kWh", "kind": "billing"},
    )
    assert unit.status_code == 422 and 'data-field="unit"' in unit.get_data(as_text=True)


def test_editing_a_meter_with_readings_keeps_its_unit_and_retiring_keeps_its_readings(
    login_as, db_session
):
    energy = login_as("energy@school.demo")
    site_id = _location_id(_site(energy))
    energy.post(
        f"/sites/{site_id}/meters/new",
        data={
            "name": "表",
            "carrier": "electricity",
            "unit": "kWh",
            "kind": "interval",
            "interval_minutes": "60",
        },
    )
    meter = db_session.scalar(select(Meter).where(Meter.site_id == site_id))
    csv = "时间,用量\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n"
    uploaded = energy.post(
        f"/meters/{meter.id}/readings",
        data={"file": (io.BytesIO(csv.encode()), "a.csv")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    renamed = energy.post(f"/meters/{meter.id}/edit", data={"name": "主表", "unit": "MWh"})
    assert renamed.status_code == 409
    assert 'data-field="unit"' in renamed.get_data(as_text=True)
    ok = energy.post(f"/meters/{meter.id}/edit", data={"name": "主表", "serial_number": ""})
    assert ok.status_code == 302
    no_reason = energy.post(f"/meters/{meter.id}/retire", data={"reason": ""})
    assert no_reason.status_code == 422
    retired = energy.post(f"/meters/{meter.id}/retire", data={"reason": "更换为智能表"})
    assert retired.status_code == 302
    db_session.refresh(meter)
    assert meter.retired_at is not None and meter.name == "主表"
    page = energy.get(f"/meters/{meter.id}").get_data(as_text=True)
    assert "已停用" in page and "更换为智能表" in page
    refused = energy.post(
        f"/api/v1/meters/{meter.id}/readings",
        json={"rows": [{"start": "2024-02-01T00:00:00+08:00", "value": "1"}]},
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "meter_retired"
    # Retired meters leave the default list, and are found with the status filter.
    assert "主表" not in energy.get("/meters?q=主表").get_data(as_text=True).split("meter-list")[1]
    assert "主表" in energy.get("/meters?q=主表&status=retired").get_data(as_text=True)
    history = energy.get(f"/meters/{meter.id}/uploads").get_data(as_text=True)
    assert "a.csv" in history and "一中能源管理员" in history


def test_lists_are_paginated_counted_and_searchable(login_as):
    energy = login_as("energy@school.demo")
    for n in range(27):
        assert _site(energy, name=f"分校{n:02d}").status_code == 302
    first = energy.get("/sites?q=分校").get_data(as_text=True)
    assert "共 27 条" in first
    assert first.count("/sites/") >= 25
    second = energy.get("/sites?q=分校&page=2").get_data(as_text=True)
    assert "分校26" in second and "分校00" not in second
    assert "分校07" in energy.get("/sites?q=校07").get_data(as_text=True)


def test_a_site_is_linked_to_a_project_from_the_projects_page(login_as, db_session, demo):
    energy = login_as("energy@school.demo")
    site_id = _location_id(_site(energy))
    site = db_session.get(Site, site_id)
    project = EmcProject(organization_id=site.organization_id, name="照明改造")
    db_session.add(project)
    db_session.flush()
    mv = energy.get(f"/projects/{project.id}/mv").get_data(as_text=True)
    assert f"/projects/{project.id}/sites" in mv  # the "no meters" message leads somewhere
    page = energy.get(f"/projects/{project.id}/sites").get_data(as_text=True)
    assert "新校区" in page
    linked = energy.post(f"/projects/{project.id}/sites", data={"site_id": str(site_id)})
    assert linked.status_code == 302
    assert db_session.get(ProjectSite, (project.id, site_id)) is not None
    again = energy.post(f"/projects/{project.id}/sites", data={"site_id": str(site_id)})
    assert again.status_code == 409
    unlinked = energy.post(f"/projects/{project.id}/sites/{site_id}/unlink")
    assert unlinked.status_code == 302
    assert db_session.get(ProjectSite, (project.id, site_id)) is None
    # Another institution's site is not offered and cannot be forced.
    gym = db_session.scalar(select(Site).where(Site.organization_id != site.organization_id))
    assert gym is not None and gym.name not in page
    forged = energy.post(f"/projects/{project.id}/sites", data={"site_id": str(gym.id)})
    assert forged.status_code == 422

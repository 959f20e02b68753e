"""The platform admin's regions page: the divisions with code, Chinese name, level and parent,
searchable and paged, and a form that adds one through the API's ``RegionIn`` and service (a
bad or taken code is refused under its field). Linked from the organisations page."""

from __future__ import annotations

from emc.auth.models import Region, RegionLevel


def test_the_platform_admin_lists_and_adds_a_region(login_as, db_session):
    admin = login_as("admin@platform.demo")
    orgs = admin.get("/admin/organizations").get_data(as_text=True)
    assert 'href="/admin/regions"' in orgs and "行政区划" in orgs
    page = admin.get("/admin/regions?q=杭州").get_data(as_text=True)
    row = page[page.index("<td>330100</td>") :].split("</tr>")[0]
    assert "杭州市" in row and "<td>市级</td>" in row and "浙江省" in row  # parent by name
    added = admin.post(
        "/admin/regions", data={"code": "330199", "name_zh": "测试新区", "name_en": ""}
    )
    assert added.status_code == 302
    region = db_session.get(Region, "330199")
    assert region.name_zh == "测试新区" and region.level is RegionLevel.COUNTY
    assert region.name_en is None
    listed = admin.get(added.headers["Location"]).get_data(as_text=True)
    assert "已添加行政区划 330199 测试新区。" in listed and "杭州市" in listed


def test_a_bad_or_taken_code_is_refused_under_its_field(login_as, db_session):
    admin = login_as("admin@platform.demo")
    bad = admin.post("/admin/regions", data={"code": "33A1", "name_zh": "坏代码"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'data-field="code"' in text and 'value="33A1"' in text
    taken = admin.post("/admin/regions", data={"code": "330100", "name_zh": "重复"})
    assert taken.status_code == 409
    text = taken.get_data(as_text=True)
    assert 'data-field="code"' in text and "already exists" not in text
    assert db_session.get(Region, "330100").name_zh == "杭州市"


def test_only_the_platform_admin_reaches_the_regions_page(login_as):
    for email in ("admin@school.demo", "officer@zhejiang.demo"):
        client = login_as(email)
        assert client.get("/admin/regions").status_code == 403
        refused = client.post("/admin/regions", data={"code": "330198", "name_zh": "越权"})
        assert refused.status_code == 403

"""The targets page as an agency officer works it in Chinese: each target it may change (it set
it, or an agency above the setter did) has Edit and Delete; the edit form is prefilled, refuses
what the API refuses, and carries the row version; deleting needs a ticked confirmation. An
overlapping new target is named by its region and years, on the page and in the API."""

from __future__ import annotations

import re

from sqlalchemy import select

from emc.programme.models import Metric, ProgrammeTarget


def _target(session, region: str, metric: Metric = Metric.PROJECTS) -> ProgrammeTarget:
    return session.scalar(
        select(ProgrammeTarget).where(
            ProgrammeTarget.region_code == region, ProgrammeTarget.metric == metric
        )
    )


def _edit_links(page: str) -> set[int]:
    return {int(i) for i in re.findall(r"/programme/targets/(\d+)/edit\"", page)}


def test_edit_and_delete_are_offered_only_on_targets_the_officer_may_change(login_as, db_session):
    hangzhou, ningbo = _target(db_session, "330100"), _target(db_session, "330200")
    zhejiang = _target(db_session, "330000")
    page = login_as("officer@zhejiang.demo").get("/programme/targets").get_data(as_text=True)
    assert "<th>操作</th>" in page and ">编辑</a>" in page and ">删除</a>" in page
    # Zhejiang set Hangzhou's and Ningbo's allocations; its own target was set by the nation.
    assert {hangzhou.id, ningbo.id} <= _edit_links(page) and zhejiang.id not in _edit_links(page)
    city = login_as("officer@hangzhou.demo")
    assert _edit_links(city.get("/programme/targets").get_data(as_text=True)) == set()
    assert city.get(f"/programme/targets/{hangzhou.id}/edit").status_code == 403
    assert (
        city.post(f"/programme/targets/{hangzhou.id}/delete", data={"confirm": "yes"}).status_code
        == 403
    )


def test_the_edit_form_is_prefilled_and_saves_through_the_api_rules(login_as, db_session):
    ningbo = _target(db_session, "330200")
    client = login_as("officer@zhejiang.demo")
    form = client.get(f"/programme/targets/{ningbo.id}/edit").get_data(as_text=True)
    assert "修改目标" in form and "宁波市" in form and "2021–2025" in form
    assert 'name="project_count" value="30"' in form
    assert f'name="version" value="{ningbo.version}"' in form
    assert 'name="reduction_pct"' not in form  # a count target has no percentage
    # Zhejiang's 180 minus Hangzhou's 40 leaves 140 for Ningbo: 141 is refused, field named.
    over = client.post(
        f"/programme/targets/{ningbo.id}/edit",
        data={"project_count": "141", "note": "超额", "version": str(ningbo.version)},
    )
    assert over.status_code == 422
    text = over.get_data(as_text=True)
    assert 'data-field="project_count"' in text and 'value="141"' in text
    assert "下级地区分配合计 181，超过上级目标 180" in text and "allocations" not in text
    saved = client.post(
        f"/programme/targets/{ningbo.id}/edit",
        data={"project_count": "35", "note": "调整后", "version": str(ningbo.version)},
    )
    assert saved.status_code == 302
    db_session.expire_all()
    ningbo = db_session.get(ProgrammeTarget, ningbo.id)
    assert (ningbo.project_count, ningbo.note) == (35, "调整后")
    cleared = client.post(
        f"/programme/targets/{ningbo.id}/edit",
        data={"project_count": "35", "note": "", "version": str(ningbo.version)},
    )
    assert cleared.status_code == 302
    db_session.expire_all()
    assert db_session.get(ProgrammeTarget, ningbo.id).note is None


def test_a_stale_row_version_is_refused_with_a_sentence(login_as, db_session):
    ningbo = _target(db_session, "330200")
    client = login_as("officer@zhejiang.demo")
    stale = client.post(
        f"/programme/targets/{ningbo.id}/edit",
        data={"project_count": "31", "version": str(ningbo.version - 1 or 99)},
    )
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    said = re.search(r'<div class="flash flash-error"[^>]*>(.*?)</div>\s*<form', text, re.S)
    assert said and "刷新" in said.group(1) and "version" not in said.group(1)
    db_session.expire_all()
    assert db_session.get(ProgrammeTarget, ningbo.id).project_count == 30


def test_deleting_needs_the_confirmation_ticked(login_as, db_session):
    ningbo = _target(db_session, "330200")
    ningbo_id = ningbo.id
    client = login_as("officer@zhejiang.demo")
    form = client.get(f"/programme/targets/{ningbo.id}/edit").get_data(as_text=True)
    assert "确认删除 宁波市 2021–2025 年的目标" in form
    unconfirmed = client.post(f"/programme/targets/{ningbo.id}/delete", data={})
    assert unconfirmed.status_code == 422
    assert "请勾选确认框后再删除。" in unconfirmed.get_data(as_text=True)
    assert db_session.get(ProgrammeTarget, ningbo.id) is not None
    done = client.post(f"/programme/targets/{ningbo.id}/delete", data={"confirm": "yes"})
    assert done.status_code == 302
    page = client.get("/programme/targets").get_data(as_text=True)
    assert "目标已删除。" in page
    db_session.expire_all()
    assert db_session.get(ProgrammeTarget, ningbo_id) is None


def test_an_overlap_names_the_target_by_region_and_years(login_as, db_session):
    client = login_as("officer@zhejiang.demo")
    body = {
        "region_code": "330100",
        "metric": "projects",
        "start_year": "2024",
        "end_year": "2026",
        "project_count": "5",
    }
    page = client.post("/programme/targets", data=body)
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "与 杭州市 2021–2025 年的目标重叠" in text
    assert "与目标" not in text
    api = client.post("/api/v1/programme/targets", json={**body, "project_count": 5})
    assert api.status_code == 409
    error = api.get_json()["error"]
    assert "start_year" in error["fields"]
    assert "杭州市" in str(error["fields"]["start_year"]) and "2021" in str(error)

"""API lists are paged one way (flask-smorest's ``page`` and ``page_size``, the whole in the
``X-Pagination`` header): every item once, in the list's order, whatever the page size, and by
default all of them (up to ``API_PAGE_SIZE``), so a client that reads only the body is served
as before."""

from __future__ import annotations

import json

import pytest

from emc.web.extensions import API_PAGE_SIZE

LISTS = [
    ("/api/v1/projects", "energy@school.demo"),
    ("/api/v1/projects?status=draft", "energy@school.demo"),
    ("/api/v1/sites", "admin@platform.demo"),
    ("/api/v1/buildings", "officer@zhejiang.demo"),
    ("/api/v1/meters", "energy@school.demo"),
    ("/api/v1/organizations", "admin@platform.demo"),
    ("/api/v1/users", "admin@platform.demo"),
    ("/api/v1/audits", "officer@zhejiang.demo"),
    ("/api/v1/calendars/terms", "energy@school.demo"),
]


def _page(client, url: str, **args) -> tuple[list[dict], dict]:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    response = client.get(f"{url}{'&' if '?' in url else '?'}{query}" if args else url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json, json.loads(response.headers["X-Pagination"])


@pytest.mark.parametrize(("url", "email"), LISTS)
def test_pages_of_any_size_hold_every_item_once_in_order(login_as, url, email):
    client = login_as(email)
    if url.startswith("/api/v1/projects"):
        for name in ("分页一", "分页二", "分页三"):
            assert client.post("/api/v1/projects", json={"name": name}).status_code == 201
    whole, meta = _page(client, url)
    assert meta["total"] == len(whole) >= 1
    for size in (1, 2, 3):
        seen, page = [], 1
        while True:
            items, meta = _page(client, url, page=page, page_size=size)
            assert meta["total"] == len(whole)
            assert meta["total_pages"] == -(-len(whole) // size)
            if not items:
                break
            assert len(items) <= size and meta["page"] == page
            assert meta.get("previous_page") == (page - 1 if page > 1 else None)
            seen += items
            page += 1
        assert [i["id"] for i in seen] == [i["id"] for i in whole]
        assert page == meta["total_pages"] + 1


def test_the_journal_of_an_object_is_paged_too(login_as):
    client = login_as("admin@school.demo")
    me = client.get("/api/v1/me").json
    url = f"/api/v1/journal?object_type=users&object_id={me['user']['id']}"
    client.patch(f"/api/v1/users/{me['user']['id']}", json={"display_name": "第一次"})
    client.patch(f"/api/v1/users/{me['user']['id']}", json={"display_name": "第二次"})
    whole, meta = _page(client, url)
    assert meta["total"] == len(whole) >= 2
    first, _ = _page(client, url, page=1, page_size=1)
    second, _ = _page(client, url, page=2, page_size=1)
    assert first + second == whole[:2]


@pytest.mark.parametrize(
    "args",
    [
        "page_size=0",
        f"page_size={API_PAGE_SIZE + 1}",
        "page=0",
        f"page={2**31}",
        "page=x",
        "page_size=-1",
    ],
)
def test_a_page_out_of_bounds_is_refused_by_name(login_as, args):
    response = login_as("energy@school.demo").get(f"/api/v1/meters?{args}")
    assert response.status_code == 422
    assert args.split("=")[0] in response.json["error"]["fields"]


def test_a_page_past_the_end_is_empty_and_says_where_the_end_is(login_as):
    client = login_as("energy@school.demo")
    whole, _ = _page(client, "/api/v1/sites")
    items, meta = _page(client, "/api/v1/sites", page=50, page_size=1)
    assert items == [] and meta["total"] == len(whole) and meta["last_page"] == len(whole)
    assert "page" not in meta  # flask-smorest leaves out a page that does not exist


def test_the_openapi_document_describes_the_paging_of_each_list(client):
    spec = client.get("/api/v1/openapi.json").json
    for url, _email in LISTS:
        path = url.split("?")[0]
        operation = spec["paths"][path]["get"]
        names = {p["name"]: p for p in operation["parameters"]}
        assert names["page_size"]["schema"]["maximum"] == API_PAGE_SIZE, path
        assert names["page_size"]["schema"]["default"] == API_PAGE_SIZE, path
        assert "X-Pagination" in operation["responses"]["200"]["headers"], path


def test_the_pagination_header_says_what_flask_smorests_says():
    """emc builds the header without a marshmallow schema per request; the keys and values
    are flask-smorest's own."""
    import flask_smorest

    from emc.web.extensions import Blueprint

    for total in range(0, 12):
        for size in (1, 2, 5, 10):
            for page in range(1, 15):
                ours = Blueprint._make_pagination_metadata(page, size, total)
                theirs = flask_smorest.Blueprint._make_pagination_metadata(page, size, total)
                assert ours == theirs, (page, size, total)

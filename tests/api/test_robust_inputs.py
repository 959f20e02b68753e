"""Crafted input gets a 4xx, never a 500: ids beyond the column range, CR/LF in redirect
targets, odd multipart field names, oversized numbers."""

from __future__ import annotations

import io

import pytest

HUGE = [2**31, 2**63, 10**30]


@pytest.mark.parametrize("value", HUGE)
def test_an_id_beyond_the_column_range_in_a_path_is_not_found(login_as, value):
    c = login_as("energy@school.demo")
    for url in (f"/api/v1/projects/{value}", f"/api/v1/sites/{value}", f"/projects/{value}"):
        response = c.get(url)
        assert response.status_code == 404, url
    assert c.get(f"/api/v1/projects/{'9' * 5000}").status_code == 404


@pytest.mark.parametrize("value", HUGE)
def test_an_id_beyond_the_column_range_in_a_body_is_not_found(login_as, value):
    c = login_as("engineer@esco.demo")
    response = c.post("/api/v1/projects", json={"name": "x", "esco_organization_id": value})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_an_id_beyond_the_column_range_in_a_query_is_not_found(login_as):
    c = login_as("admin@school.demo")
    response = c.get(f"/api/v1/journal?object_type=users&object_id={2**40}")
    assert response.status_code == 404


def test_a_huge_count_in_a_query_is_refused(login_as):
    c = login_as("energy@school.demo")
    response = c.get(f"/api/v1/sites?page={2**70}")
    assert response.status_code in (200, 404, 422)


@pytest.mark.parametrize(
    "target",
    [
        "/\r\nSet-Cookie: x=1",
        "/projects\r\n",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
    ],
)
def test_crlf_in_the_login_next_gives_a_safe_redirect(client, demo, target):
    client._refresh_csrf()
    response = client.post(
        "/login",
        data={"email": "energy@school.demo", "password": "emc-demo-2026", "next": target},
    )
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        location = response.headers["Location"]
        assert location == "/"


def test_crlf_in_the_login_page_query_is_harmless(client):
    response = client.get("/login?next=/%0d%0aSet-Cookie:%20x=1")
    assert response.status_code == 200


def test_a_multipart_field_named_backslash_is_a_client_error(login_as):
    c = login_as("energy@school.demo")

    def data():
        return {"\\": (io.BytesIO(b"a,b\n1,2\n"), "x.csv"), "csrf_token": c.csrf}

    for url in ("/api/v1/sites", "/sites", "/login"):
        response = c.http.post(url, data=data(), content_type="multipart/form-data")
        assert 400 <= response.status_code < 500, url


# --- regressions found by schemathesis (seed 20261206) -----------------------------------------


@pytest.mark.parametrize("amount", ["-.931e51185026904040901", "1e-86336", "7700061399e+8185300"])
def test_a_decimal_with_an_enormous_exponent_is_refused_not_overflowed(login_as, amount):
    c = login_as("engineer@esco.demo")
    response = c.post("/api/v1/projects", json={"name": "指数项目", "total_investment": amount})
    assert response.status_code == 422
    assert "total_investment" in response.json["error"]["fields"]


def test_a_decimal_too_large_for_its_column_is_refused(login_as):
    c = login_as("engineer@esco.demo")
    response = c.post(
        "/api/v1/projects", json={"name": "巨额项目", "total_investment": "1000000000000"}
    )
    assert response.status_code == 422


def test_a_multipart_part_named_backslash_on_an_upload_is_a_client_error(login_as, db_session):
    from emc.auth import service
    from emc.demo import actor_for

    _token, secret = service.create_token(
        db_session, actor_for(db_session, "energy@school.demo"), name="t"
    )
    db_session.flush()
    # Raw bytes: name="\" leaves the quoted name unterminated, as a fuzzer sends it.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="\\"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\na,b\r\n--B\r\n"
        b'Content-Disposition: form-data; name="\\"\r\n\r\nvalue\r\n--B--\r\n'
    )
    http = login_as("energy@school.demo").app.test_client()
    for url in ("/api/v1/projects/1/mv-reports/1/adjustments", "/api/v1/programme/stats/import"):
        response = http.post(
            url,
            data=body,
            content_type="multipart/form-data; boundary=B",
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert set(response.json["error"]) == {
            "code",
            "message",
            "fields",
            "message_code",
            "params",
        }


def test_bounds_are_added_once_however_many_schemas_are_made():
    from emc.contracts.schemas import ProjectIn

    counts = {len(ProjectIn().fields["esco_organization_id"].validators) for _ in range(5)}
    assert counts == {2}
    assert ProjectIn._declared_fields["esco_organization_id"].validators == []


@pytest.mark.parametrize("value", HUGE)
def test_a_row_version_beyond_the_column_range_is_refused_not_overflowed(login_as, value):
    """A field bounded only below (row_version >= 1) was compared with the column as given."""
    c = login_as("energy@school.demo")
    pid = c.get("/api/v1/projects").json[0]["id"]
    response = c.patch(f"/api/v1/projects/{pid}", json={"name": "x", "row_version": value})
    assert response.status_code == 422
    assert "row_version" in response.json["error"]["fields"]


BAD_INTEGERS = [str(2**31), str(10**20), "²", "-1", "abc", "1e9", "９" * 11]


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("energy@school.demo", "/meters?site_id={v}&page={v}"),
        ("energy@school.demo", "/meters?carrier={v}"),
        ("energy@school.demo", "/buildings?site_id={v}&page={v}"),
        ("energy@school.demo", "/sites?organization_id={v}&page={v}"),
        ("energy@school.demo", "/calendars?page={v}"),
        ("energy@school.demo", "/todo?page={v}"),
        ("energy@school.demo", "/inbox?page={v}"),
        ("energy@school.demo", "/emission-factors?year={v}"),
        ("energy@school.demo", "/projects/1?history_page={v}"),
        ("finance@school.demo", "/finance/queue?page={v}&project={v}"),
        ("officer@zhejiang.demo", "/programme/targets?page={v}"),
    ],
)
def test_a_page_reads_a_bad_integer_in_its_query_as_absent(login_as, who, path):
    """A number beyond the column range, a superscript digit (``isdigit`` accepts it, ``int``
    refuses it) or no number at all showed a 500 on several list pages; now the page shows as
    if the argument had not been given (or says the filter is not a valid choice)."""
    client = login_as(who)
    for value in BAD_INTEGERS:
        response = client.get(path.format(v=value))
        assert response.status_code in (200, 404), (path, value, response.status_code)


@pytest.mark.parametrize("value", ["1", "0", str(2**31 - 1)])
def test_parse_int_keeps_integers_in_range(value):
    from emc.web.args import parse_int

    assert parse_int(value) == int(value)
    assert parse_int(str(2**31)) is None and parse_int("²") is None and parse_int(" 7 ") == 7


@pytest.mark.parametrize(
    ("module", "schema", "field"),
    [
        ("emc.contracts.schemas", "ProjectIn", "name"),
        ("emc.contracts.schemas", "ProjectPatch", "name"),
        ("emc.contracts.schemas", "EcmIn", "name"),
        ("emc.facilities.schemas", "SiteIn", "name"),
        ("emc.facilities.schemas", "BuildingIn", "name"),
        ("emc.facilities.schemas", "MeterIn", "name"),
        ("emc.audit.schemas", "AuditIn", "title"),
        ("emc.audit.schemas", "AuditEcmIn", "name"),
        ("emc.auth.schemas", "OrganizationIn", "name_zh"),
        ("emc.auth.schemas", "UserIn", "display_name"),
        ("emc.auth.schemas", "UserPatch", "display_name"),
    ],
)
def test_names_and_titles_are_stripped_and_refused_when_blank(module, schema, field):
    """A name of spaces names nothing: every form and API schema refuses it (with the
    catalogue's message) and stores names without surrounding whitespace."""
    import importlib

    import marshmallow as ma

    loader = getattr(importlib.import_module(module), schema)()
    with pytest.raises(ma.ValidationError) as error:
        loader.load({field: " \t  "}, partial=True)
    assert error.value.messages[field][0].code == "schemas.blank"
    try:
        loaded = loader.load({field: "  一号楼 "}, partial=True)
    except ma.ValidationError as other:  # only the name is given: other rules may object
        assert field not in other.messages
        loaded = other.valid_data
    assert loaded[field] == "一号楼"

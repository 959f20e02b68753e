"""The per-request shortcuts of the API read path (issue 18) give exactly what the long way
gives: reused statements, the cookie session, flask-limiter's hooks, remembered empty query
strings and the security headers."""

from __future__ import annotations

import gc

import marshmallow as ma
import pytest
from sqlalchemy import select

from emc.auth import policy, service
from emc.contracts.models import EmcProject, ProjectStatus
from emc.contracts.service.projects import projects_query
from emc.web.extensions import _ArgumentsParser


def test_a_derived_statement_is_built_once_per_base_and_key():
    base = select(EmcProject)
    built = []

    def build(stmt):
        built.append(stmt)
        return stmt.order_by(EmcProject.id)

    first = policy.derived(base, "ordered", build)
    assert policy.derived(base, "ordered", build) is first
    assert len(built) == 1
    other = policy.derived(base, "other", lambda s: s.limit(3))
    assert other is not first
    # Another base (another actor's scope) never shares a derivation.
    assert policy.derived(select(EmcProject), "ordered", build) is not first


def test_derivations_are_bounded_per_base_and_go_with_their_base():
    base = select(EmcProject)
    for page in range(policy._DERIVED_PER_BASE * 3):
        policy.derived(base, ("page", page), lambda s, page=page: s.offset(page))
    assert len(policy._DERIVED[base]) <= policy._DERIVED_PER_BASE
    before = len(policy._DERIVED)
    del base
    gc.collect()
    # (<=: other statements that died meanwhile may go in the same collection.)
    assert len(policy._DERIVED) <= before - 1


def test_each_actor_and_filter_gets_its_own_projects_statement(db_session, demo):
    school = demo.actor_for(db_session, "energy@school.demo")
    hospital = demo.actor_for(db_session, "energy@hospital.demo")
    assert projects_query(school) is projects_query(school)
    assert projects_query(school) is not projects_query(hospital)
    assert projects_query(school) is not projects_query(school, status=ProjectStatus.DRAFT)
    assert projects_query(school, status=ProjectStatus.DRAFT) is projects_query(
        school, status=ProjectStatus.DRAFT
    )


def _bearer(db_session, demo, email):
    _token, secret = service.create_token(
        db_session, demo.actor_for(db_session, email), name="path"
    )
    db_session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("url", ["/api/v1/projects", "/api/v1/meters", "/api/v1/sites"])
def test_repeated_list_requests_answer_the_same_per_tenant(app, db_session, demo, url):
    http = app.test_client()
    school = _bearer(db_session, demo, "energy@school.demo")
    hospital = _bearer(db_session, demo, "energy@hospital.demo")
    answers = {}
    for _ in range(3):
        for name, headers in (("school", school), ("hospital", hospital)):
            response = http.get(url, headers=headers)
            assert response.status_code == 200
            answers.setdefault(name, response.get_json())
            assert response.get_json() == answers[name]
    school_ids = {item["id"] for item in answers["school"]}
    hospital_ids = {item["id"] for item in answers["hospital"]}
    assert not school_ids & hospital_ids
    # Paged requests reuse their windows too, and still cut the same list.
    paged = [
        item["id"]
        for page in (1, 2, 3)
        for item in http.get(f"{url}?page={page}&page_size=1", headers=school).get_json()
    ]
    assert paged == [item["id"] for item in answers["school"]][:3]


def test_a_request_without_a_session_cookie_builds_no_cookie_serializer(
    app, db_session, demo, monkeypatch
):
    interface = app.session_interface
    built = []
    parent = type(interface).__mro__[1].get_signing_serializer

    def counting(self, flask_app):
        built.append(1)
        return parent(self, flask_app)

    monkeypatch.setattr(type(interface).__mro__[1], "get_signing_serializer", counting)
    interface._serializers.clear()
    http = app.test_client()
    response = http.get("/api/v1/projects", headers=_bearer(db_session, demo, "energy@school.demo"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert built == []


def test_web_sessions_survive_and_follow_a_new_secret_key(app, login_as):
    client = login_as("energy@school.demo")
    assert client.get("/projects").status_code == 200
    serializer = app.session_interface.get_signing_serializer(app)
    assert app.session_interface.get_signing_serializer(app) is serializer
    old = app.secret_key
    app.secret_key = old + "-rotated"
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    try:
        assert app.session_interface.get_signing_serializer(app) is not serializer
        # The old key is a fallback: the signed-in session still reads.
        assert client.get("/projects").status_code == 200
    finally:
        app.secret_key = old
        app.config["SECRET_KEY_FALLBACKS"] = []


def test_login_still_reports_its_limit_and_other_requests_meet_none(client):
    response = client.login("energy@school.demo", "not the password")
    assert response.status_code == 401
    # The limited view ran, so flask-limiter's after-request hook set its headers.
    assert response.headers.get("X-RateLimit-Limit"), dict(response.headers)
    assert "X-RateLimit-Limit" not in client.get("/login").headers
    assert "X-RateLimit-Limit" not in client.get("/api/v1/projects").headers


class _Query(ma.Schema):
    status = ma.fields.String(load_default="open")
    limit = ma.fields.Integer()


class _QueryWithList(ma.Schema):
    ids = ma.fields.List(ma.fields.Integer(), load_default=list)


def test_an_empty_query_string_loads_once_and_each_request_gets_its_own_copy(app):
    parser = _ArgumentsParser()
    schema = _Query()
    with app.test_request_context("/api/v1/x"):
        from flask import request

        first = parser.parse(schema, request, location="query")
        assert first == {"status": "open"}
        first["status"] = "changed by a view"
        assert parser.parse(schema, request, location="query") == {"status": "open"}
        assert id(schema) in parser._empty_query
        listy = _QueryWithList()
        assert parser.parse(listy, request, location="query") == {"ids": []}
        assert id(listy) not in parser._empty_query
    with app.test_request_context("/api/v1/x?status=closed&limit=4"):
        from flask import request

        assert parser.parse(schema, request, location="query") == {"status": "closed", "limit": 4}


def test_a_download_keeps_its_own_nosniff_once(app, login_as):
    client = login_as("officer@zhejiang.demo")
    response = client.get("/api/v1/programme/projects.csv")
    assert response.status_code == 200
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]


def _row_page_views(app):
    """(endpoint, output schema, entity) of every operation that pages with RowPage."""
    from flask.views import MethodView

    from emc.web.extensions import RowPage

    found = []
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        if view_class is None or not issubclass(view_class, MethodView):
            continue
        for method in view_class.methods or ():
            func = getattr(view_class, method.lower())
            if getattr(func, "_emc_pager", None) is RowPage:
                schema = func._apidoc["response"]["responses"][200][0]["schema"]
                found.append((endpoint, schema))
    return found


def test_every_row_paged_list_answers_only_its_entitys_columns(app):
    from emc.contracts.models import EmcProject
    from emc.facilities.models import Building, Meter, Site

    entities = {
        "contracts_api.Projects": EmcProject,
        "facilities_api.Sites": Site,
        "facilities_api.Buildings": Building,
        "facilities_api.Meters": Meter,
    }
    views = _row_page_views(app)
    assert {endpoint for endpoint, _schema in views} == set(entities)
    for endpoint, schema in views:
        columns = {attr.key for attr in entities[endpoint].__mapper__.column_attrs}
        named = {field.attribute or name for name, field in schema.fields.items()}
        assert named <= columns, (endpoint, named - columns)


@pytest.mark.parametrize(
    ("url", "email"),
    [
        ("/api/v1/projects", "energy@school.demo"),
        ("/api/v1/projects", "admin@esco.demo"),
        ("/api/v1/sites", "energy@hospital.demo"),
        ("/api/v1/buildings", "energy@school.demo"),
        ("/api/v1/meters", "energy@school.demo"),
        ("/api/v1/meters", "officer@zhejiang.demo"),
    ],
)
def test_a_row_paged_list_answers_what_its_entities_would(app, db_session, demo, url, email):
    """The rows, dumped through the list's own schema, equal the ORM entities dumped through
    it: every type (enums, money, aware datetimes, JSON) reads the same either way."""
    from emc.auth.policy import scoped
    from emc.contracts.models import EmcProject
    from emc.facilities.models import Building, Meter, Site

    entity = {"projects": EmcProject, "sites": Site, "buildings": Building, "meters": Meter}[
        url.rsplit("/", 1)[1]
    ]
    views = dict(_row_page_views(app))
    schema = next(
        s for endpoint, s in views.items() if endpoint.lower().endswith(url.rsplit("/", 1)[1])
    )
    http = app.test_client()
    answer = http.get(url, headers=_bearer(db_session, demo, email)).get_json()
    actor = demo.actor_for(db_session, email)
    ids = [item["id"] for item in answer]
    stmt = scoped(actor, entity).where(entity.id.in_(ids)) if ids else None
    entities = {e.id: e for e in db_session.scalars(stmt)} if stmt is not None else {}
    import json

    expected = json.loads(json.dumps(schema.dump([entities[i] for i in ids], many=True)))
    assert answer == expected

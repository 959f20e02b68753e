"""The API is what its OpenAPI document says, as schemathesis sees it.

The document is validated (openapi-spec-validator), then schemathesis generates requests for
every operation from the generated document and sends them as an energy manager and as an
ESCO engineer (bearer tokens): no answer may be a server error, every answer must match the
documented status codes, content types and schemas. Derandomised with a fixed seed and a few
examples per operation, so the run is repeatable and bounded in time.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from emc.auth import service
from emc.demo import actor_for

ROLES = ("energy@school.demo", "engineer@esco.demo")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation and role, and the seed: EMC_SCHEMATHESIS_EXAMPLES raises the count
# for a longer hunt (``EMC_SCHEMATHESIS_EXAMPLES=50``), EMC_SCHEMATHESIS_COVERAGE=1 adds
# schemathesis' boundary-value phase; CI keeps the defaults, which run in about a minute.
EXAMPLES = int(os.environ.get("EMC_SCHEMATHESIS_EXAMPLES", "3"))
COVERAGE = os.environ.get("EMC_SCHEMATHESIS_COVERAGE") == "1"
SEED = 20261206


@pytest.fixture
def api_schema(app, demo):
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "max-examples": EXAMPLES},
            "phases": {"coverage": {"enabled": COVERAGE}, "stateful": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


@pytest.fixture
def bearer_headers(db_session, demo):
    headers = []
    for email in ROLES:
        _token, secret = service.create_token(
            db_session, actor_for(db_session, email), name="schemathesis"
        )
        headers.append({"Authorization": f"Bearer {secret}"})
    db_session.flush()
    return headers


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, bearer_headers):
    for headers in bearer_headers:
        case.call_and_validate(headers=headers, checks=CHECKS)


def test_the_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json)


def test_every_operation_documents_the_error_envelope(client):
    doc = client.get("/api/v1/openapi.json").json
    envelope = doc["components"]["responses"]["DEFAULT_ERROR"]
    assert envelope["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    missing = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
        and "default" not in operation["responses"]
    ]
    assert missing == []


def test_decimals_are_documented_as_strings_with_a_pattern(client):
    doc = client.get("/api/v1/openapi.json").json
    decimals = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("format") == "decimal":
                decimals.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert decimals, "no decimal field documented"
    assert all(d["type"] == "string" and d["pattern"] for d in decimals)
    # A numeric bound written as a Decimal must never reach the document as a string.
    text = str(doc)
    assert "'minimum': '" not in text and "'maximum': '" not in text


def test_every_integer_parameter_is_bounded_at_both_ends(client):
    """A path or query integer without a documented maximum reached the database as an OFFSET
    or a key and overflowed (``?page=99999999999999999999`` answered 500)."""
    doc = client.get("/api/v1/openapi.json").json
    unbounded = [
        f"{method.upper()} {path} {p['name']}"
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        for p in operation.get("parameters", []) + item.get("parameters", [])
        if p.get("schema", {}).get("type") == "integer"
        and ("maximum" not in p["schema"] or "minimum" not in p["schema"])
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/calendars/terms?page={n}",
        "/api/v1/programme/projects?page={n}",
        "/api/v1/programme/projects.csv?page={n}",
        "/api/v1/notifications?page={n}",
        "/api/v1/notifications?per_page={n}",
    ],
)
def test_a_page_number_out_of_range_is_refused_not_a_server_error(login_as, path):
    client = login_as("officer@zhejiang.demo")
    for n in (2**31, 2**63, 10**20, 0, -1):
        response = client.get(path.format(n=n))
        assert response.status_code == 422, (n, response.get_data(as_text=True)[:300])
        assert response.json["error"]["code"] == "invalid"

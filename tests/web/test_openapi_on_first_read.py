"""The OpenAPI document is written on its first read, not at start-up (emc.web.extensions.EmcApi):
every reader, however many arrive at once, gets the whole document."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from emc.web.extensions import api


def test_the_document_waits_until_first_read(app):
    assert api._pending_docs, "a new application has not documented its operations yet"
    paths = api.spec.to_dict()["paths"]
    assert api._pending_docs == [] and "/api/v1/projects" in paths


def test_concurrent_first_readers_all_get_the_whole_document(app):
    def read(_):
        with app.test_client() as http:
            return http.get("/api/v1/openapi.json").json

    with ThreadPoolExecutor(8) as pool:
        documents = list(pool.map(read, range(8)))
    whole = {path: sorted(ops) for path, ops in documents[0]["paths"].items()}
    assert len(whole) > 100
    for document in documents[1:]:
        assert {path: sorted(ops) for path, ops in document["paths"].items()} == whole
    assert len({tag["name"] for tag in documents[0]["tags"]}) == len(documents[0]["tags"])

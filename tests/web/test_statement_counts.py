"""List endpoints answer in a fixed, small number of SQL statements whatever the page holds:
no lazy loads, no per-row queries, no duplicate loads of the caller (issue 18)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from emc.auth import service


def _statements(engine, http, url, secret) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        # The test's savepoints (each request's commit inside the test transaction) are not
        # the request's work.
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = http.get(url, headers={"Authorization": f"Bearer {secret}"})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)
    return seen


@pytest.mark.parametrize(
    ("url", "email", "most"),
    [
        ("/api/v1/projects", "energy@school.demo", 2),
        ("/api/v1/meters", "energy@school.demo", 2),
        ("/api/v1/programme/projects", "officer@zhejiang.demo", 2),
    ],
)
def test_a_list_request_runs_a_fixed_number_of_statements(
    app, engine, db_session, demo, url, email, most
):
    _token, secret = service.create_token(
        db_session, demo.actor_for(db_session, email), name="count"
    )
    db_session.commit()
    http = app.test_client()
    _statements(engine, http, url, secret)  # warm: first-request work (caches) not counted
    seen = _statements(engine, http, url, secret)
    assert len(seen) <= most, "\n\n".join(seen)

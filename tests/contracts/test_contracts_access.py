"""PUT /api/v1/projects/{id}/contract for every role of the access matrix, own and other tenant.

The matrix harness sends every write other than PATCH as POST (the contract's POST is the same
view), so the real PUT is checked here against the same expectations.
"""

from __future__ import annotations

import pytest
from test_access_matrix import (
    _CT_TERMS_WRITERS,
    ROLES,
    _contracts_context,
    _ct_other_write,
    _ct_write,
)


@pytest.mark.parametrize("role", list(ROLES))
def test_put_contract_terms_by_role(role, app, demo, db_session, client):
    ctx = _contracts_context(db_session)
    if ROLES[role]:
        assert client.login(ROLES[role]).status_code == 302
    headers = {"X-CSRFToken": client.csrf or client._refresh_csrf()}
    body = {"terms": ctx["terms_doc"], "reason": "修订"}
    own = client.http.put(f"/api/v1/projects/{ctx['project']}/contract", json=body, headers=headers)
    other = client.http.put(
        f"/api/v1/projects/{ctx['other_project']}/contract", json=body, headers=headers
    )
    assert own.status_code == _ct_write(_CT_TERMS_WRITERS, 200)[role]
    assert other.status_code == _ct_other_write(401)[role]

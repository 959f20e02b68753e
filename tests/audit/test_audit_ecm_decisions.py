"""The institution decides on an audit's measures on the audit page (accept, discard, mark
implemented, reconsider) through the API's ``AuditEcmPatch`` status: only the moves the service
allows from each measure's status are offered, with the status table's Chinese words; the
auditor sees no decision buttons and is refused if it posts one."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from emc.audit import service
from emc.audit.models import EcmStatus
from tests.audit.test_audit_service import actor, commission


@pytest.fixture
def measure(db_session):
    audit = commission(db_session, title="决定审计")
    ecm = service.add_ecm(
        db_session,
        actor(db_session, "auditor@auditor.demo"),
        audit.id,
        name="水泵变频",
        category="hvac",
        investment=Decimal("20000.00"),
    )
    return audit, ecm


def _moves(page: str, ecm_id: int) -> list[str]:
    cell = re.search(rf'data-testid="ecm-moves-{ecm_id}">(.*?)</td>', page, re.S)
    return re.findall(r'name="status" value="(\w+)"', cell.group(1)) if cell else []


def test_the_institution_accepts_then_marks_a_measure_implemented(db_session, login_as, measure):
    audit, ecm = measure
    energy = login_as("energy@school.demo")
    page = energy.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert _moves(page, ecm.id) == ["accepted", "discarded"]
    assert "设为已接受" in page and "设为已放弃" in page and "设为已实施" not in page
    done = energy.post(f"/audits/{audit.id}/ecms/{ecm.id}/status", data={"status": "accepted"})
    assert done.status_code == 302
    page = energy.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert "措施“水泵变频”：已接受。" in page
    assert _moves(page, ecm.id) == ["implemented", "discarded"]
    energy.post(f"/audits/{audit.id}/ecms/{ecm.id}/status", data={"status": "implemented"})
    db_session.expire_all()
    assert db_session.get(type(ecm), ecm.id).status is EcmStatus.IMPLEMENTED
    page = energy.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert _moves(page, ecm.id) == []


def test_a_move_the_service_does_not_allow_is_refused_on_the_page(db_session, login_as, measure):
    audit, ecm = measure
    admin = login_as("admin@school.demo")
    refused = admin.post(f"/audits/{audit.id}/ecms/{ecm.id}/status", data={"status": "implemented"})
    assert refused.status_code == 409
    said = re.search(
        r'<div class="flash flash-error"[^>]*>(.*?)</div>\s*</div>', refused.text, re.S
    )
    assert "“已实施”" in said.group(1) and "implemented" not in said.group(1)
    db_session.expire_all()
    assert db_session.get(type(ecm), ecm.id).status is EcmStatus.PROPOSED
    bad = admin.post(f"/audits/{audit.id}/ecms/{ecm.id}/status", data={"status": "done"})
    assert bad.status_code == 422


def test_a_discarded_measure_can_be_reconsidered(db_session, login_as, measure):
    audit, ecm = measure
    energy = login_as("energy@school.demo")
    energy.post(f"/audits/{audit.id}/ecms/{ecm.id}/status", data={"status": "discarded"})
    page = energy.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert _moves(page, ecm.id) == ["proposed"] and "设为已提交" in page


def test_the_auditor_gets_no_decision_buttons_and_is_refused(db_session, login_as, measure):
    audit, ecm = measure
    auditor = login_as("auditor@auditor.demo")
    page = auditor.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert "ecm-moves-" not in page and "/status" not in page
    refused = auditor.post(f"/audits/{audit.id}/ecms/{ecm.id}/status", data={"status": "accepted"})
    assert refused.status_code == 403


def test_the_audit_history_lists_its_measures_added_and_decided(db_session, login_as, measure):
    """变更记录 had no entry for a measure added, accepted or discarded."""
    audit, ecm = measure
    db_session.flush()  # the measure's journal entry, as the auditor's request commits it
    energy = login_as("energy@school.demo")
    posted = energy.post(f"/audits/{audit.id}/ecms/{ecm.id}/status", data={"status": "accepted"})
    assert posted.status_code == 302
    page = energy.get(f"/audits/{audit.id}", headers={"Accept-Language": "zh-CN"})
    history = page.get_data(as_text=True).split('data-testid="history"')[-1]
    assert history.count("节能措施“水泵变频”") == 2  # added by the auditor, then accepted
    assert "已接受" in history

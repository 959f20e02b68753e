"""``policy.scoped`` builds a tenant's statement once and reuses it: only an equal actor (every
field equal) may ever get the same statement, and what it selects is what the rule says."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from emc.auth.policy import scope_condition, scoped
from emc.demo import actor_for
from emc.facilities.models import Meter, Site


def test_an_equal_actor_gets_the_same_statement_and_any_other_its_own(db_session, demo):
    school = actor_for(db_session, "energy@school.demo")
    again = actor_for(db_session, "energy@school.demo")
    assert scoped(school, Meter) is scoped(again, Meter)
    hospital = actor_for(db_session, "energy@hospital.demo")
    assert scoped(hospital, Meter) is not scoped(school, Meter)
    # Any field that differs makes another actor, with its own statement.
    moved = replace(school, organization_id=hospital.organization_id)
    assert scoped(moved, Meter) is not scoped(school, Meter)
    assert scoped(None, Meter) is not scoped(None, Meter)  # nobody: never cached, sees nothing
    assert db_session.scalars(scoped(None, Meter)).all() == []


def test_the_reused_statement_selects_what_the_rule_selects(db_session, demo):
    for email in ("energy@school.demo", "engineer@esco.demo", "officer@zhejiang.demo"):
        actor = actor_for(db_session, email)
        for model in (Meter, Site):
            first = set(db_session.scalars(scoped(actor, model)).all())
            second = set(db_session.scalars(scoped(actor, model)).all())
            rule = set(db_session.scalars(select(model).where(scope_condition(actor, model))))
            assert first == second == rule

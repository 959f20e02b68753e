"""notify_many: the rules of notify (active users, one message per user and dedupe key) for a
whole batch of messages, as the nightly watch sends them."""

from __future__ import annotations

from sqlalchemy import func, select

from emc.auth.models import User
from emc.i18n import N_
from emc.notifications import service
from emc.notifications.models import Notification


def _users(session, *emails) -> list[User]:
    return [session.scalar(select(User).where(User.email == e)) for e in emails]


def _count(session, key) -> int:
    return session.scalar(
        select(func.count()).select_from(Notification).where(Notification.dedupe_key == key)
    )


def _message(users, key) -> service.Message:
    return service.Message(users, kind="test", dedupe_key=key, subject=N_("Savings watch"))


def test_each_user_gets_one_message_per_key_once_across_calls(db_session):
    energy, finance = _users(db_session, "energy@school.demo", "finance@school.demo")
    service.notify(db_session, [energy], kind="test", dedupe_key="k1", subject=N_("Savings watch"))
    created = service.notify_many(
        db_session,
        [
            _message([energy, finance], "k1"),
            _message([finance, finance], "k1"),
            _message([energy], "k2"),
        ],
    )
    assert sorted((n.user_id, n.dedupe_key) for n in created) == sorted(
        [(finance.id, "k1"), (energy.id, "k2")]
    )
    assert service.notify_many(db_session, [_message([energy, finance], "k1")]) == []
    assert _count(db_session, "k1") == 2 and _count(db_session, "k2") == 1


def test_inactive_users_get_nothing(db_session):
    (viewer,) = _users(db_session, "viewer@school.demo")
    viewer.is_active = False
    assert service.notify_many(db_session, [_message([viewer], "k3")]) == []
    assert _count(db_session, "k3") == 0

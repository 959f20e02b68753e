"""Notify users, read the inbox, and deliver e-mail.

``notify`` is called by jobs and services; it writes messages in each recipient's language and
is idempotent by ``dedupe_key``. E-mail goes out from :func:`send_pending_email`, a job, so a
slow or failing mail server never holds up a user's request.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from emc import clock
from emc.auth.actor import Actor
from emc.auth.models import User
from emc.auth.policy import load, scoped
from emc.i18n import translate
from emc.notifications.models import Notification

log = logging.getLogger(__name__)


def notify(
    session: Session,
    users: Iterable[User],
    *,
    kind: str,
    dedupe_key: str,
    subject: str,
    body: str = "",
    link: str | None = None,
    params: dict | None = None,
) -> list[Notification]:
    """Put one message in each active user's inbox unless they already have this ``dedupe_key``.

    ``subject`` and ``body`` are English msgids with ``%(name)s`` placeholders, translated per
    recipient. Returns the notifications created (empty when all were already there).
    """
    params = params or {}
    created = []
    for user in users:
        if not user.is_active:
            continue
        exists = session.scalar(
            select(Notification.id).where(
                Notification.user_id == user.id, Notification.dedupe_key == dedupe_key
            )
        )
        if exists is not None:
            continue
        note = Notification(
            user_id=user.id,
            organization_id=user.organization_id,
            kind=kind,
            dedupe_key=dedupe_key,
            subject=translate(user.locale, subject, **params)[:300],
            body=translate(user.locale, body, **params) if body else "",
            link=link,
        )
        session.add(note)
        created.append(note)
    session.flush()
    return created


def inbox(session: Session, actor: Actor, *, limit: int = 100) -> list[Notification]:
    stmt = scoped(actor, Notification).order_by(
        Notification.created_at.desc(), Notification.id.desc()
    )
    return list(session.scalars(stmt.limit(limit)))


def unread_count(session: Session, actor: Actor) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    )
    return session.scalar(stmt) or 0


def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    note = load(session, actor, Notification, notification_id)
    if note.read_at is None:
        note.read_at = clock.now()
        session.flush()
    return note


def mark_all_read(session: Session, actor: Actor) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    return result.rowcount or 0


def send_pending_email(
    session: Session, smtp_url: str | None, *, sender: str = "emc@localhost"
) -> int:
    """E-mail every notification not yet e-mailed (when ``EMC_SMTP_URL`` is set); returns the count.

    A message is marked as e-mailed only after the server accepted it, so a failure is retried on
    the next run and never sends twice what was accepted.
    """
    if not smtp_url:
        return 0
    pending = list(
        session.execute(
            select(Notification, User.email)
            .join(User, User.id == Notification.user_id)
            .where(Notification.emailed_at.is_(None), User.is_active)
            .order_by(Notification.id)
        )
    )
    if not pending:
        return 0
    sent = 0
    with _smtp(smtp_url) as server:
        for note, email in pending:
            message = EmailMessage()
            message["From"] = sender
            message["To"] = email
            message["Subject"] = note.subject
            message.set_content(note.body or note.subject)
            server.send_message(message)
            note.emailed_at = clock.now()
            sent += 1
    session.flush()
    log.info("e-mailed %d notifications", sent)
    return sent


def _smtp(url: str) -> smtplib.SMTP:
    parts = urlsplit(url)
    cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    server = cls(
        parts.hostname or "localhost",
        parts.port or (465 if parts.scheme == "smtps" else 25),
        timeout=30,
    )
    if parts.username:
        server.login(unquote(parts.username), unquote(parts.password or ""))
    return server

"""Notify users, read the inbox, and deliver e-mail.

``notify`` is called by jobs and services. It stores each message language-neutral (the English
msgids of subject and body with their parameters) and is idempotent by ``dedupe_key``; a message
is rendered in the reader's language only when read (:func:`render`): on the inbox page in the
page language, by e-mail in the recipient's own. E-mail goes out from
:func:`send_pending_email`, a job, so a slow or failing mail server never holds up a request.

Parameters are JSON values. A parameter that must itself be translated is written
``{"msgid": "...", "params": {...}}``; a list rendered one line per item is
``{"msgid": "...", "each": [{...}, ...]}`` (a reminder digest lists its payment lines so).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from emc import clock
from emc.auth.actor import Actor
from emc.auth.models import User
from emc.auth.policy import load, scoped
from emc.notifications.models import Notification
from emc.paging import Page

log = logging.getLogger(__name__)

# Older messages are not e-mailed (they stay in the inbox): turning e-mail on, or a mail server
# that was down for a week, does not send a backlog of stale reminders.
EMAIL_MAX_AGE = dt.timedelta(days=3)


def _json_safe(value: Any) -> Any:
    """Parameters as JSON: dates in ISO form, Decimals as exact strings."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


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

    ``subject`` and ``body`` are English msgids with ``%(name)s`` placeholders (mark them with
    ``emc.i18n.N_``); they are stored with ``params`` and translated for each reader when read.
    Returns the notifications created (empty when all were already there).
    """
    return notify_many(
        session,
        [Message(users, kind, dedupe_key, subject, body=body, link=link, params=params)],
    )


@dataclass(frozen=True)
class Message:
    """One message for :func:`notify_many`: the arguments of :func:`notify`."""

    users: Iterable[User]
    kind: str
    dedupe_key: str
    subject: str
    body: str = ""
    link: str | None = None
    params: dict | None = None


def notify_many(session: Session, messages: Iterable[Message]) -> list[Notification]:
    """:func:`notify` for many messages at once (a nightly job's warnings): the same rules
    (active users, one message per user and ``dedupe_key``) with one query per 500 keys for
    the messages already stored and one flush, rather than a query per user and message."""
    messages = list(messages)
    keys = sorted({m.dedupe_key for m in messages})
    stored: set[tuple[int, str]] = set()
    for i in range(0, len(keys), 500):
        stored.update(
            session.execute(
                select(Notification.user_id, Notification.dedupe_key).where(
                    Notification.dedupe_key.in_(keys[i : i + 500])
                )
            )
        )
    created = []
    for message in messages:
        params = _json_safe(message.params or {})
        for user in message.users:
            if not user.is_active or (user.id, message.dedupe_key) in stored:
                continue
            stored.add((user.id, message.dedupe_key))
            note = Notification(
                user_id=user.id,
                organization_id=user.organization_id,
                kind=message.kind,
                dedupe_key=message.dedupe_key,
                subject_key=message.subject,
                body_key=message.body or "",
                params=params,
                link=message.link,
            )
            session.add(note)
            created.append(note)
    session.flush()
    return created


def given_reminders(
    session: Session, user_ids: Iterable[int], *, kind: str, since: dt.datetime
) -> set[str]:
    """The reminder keys already given to these users by digests of ``kind`` created since
    ``since`` (a digest stores the keys it reminds of in its ``reminders`` parameter), so that a
    digest job tells each item once per cadence however often it runs."""
    keys: set[str] = set()
    for params in session.scalars(
        select(Notification.params).where(
            Notification.user_id.in_(list(user_ids)),
            Notification.kind == kind,
            Notification.created_at >= since,
        )
    ):
        keys.update((params or {}).get("reminders", []))
    return keys


@dataclass(frozen=True)
class RenderedNote:
    """A notification as one reader sees it, in that reader's language."""

    id: int
    kind: str
    subject: str
    body: str
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


def render(note: Notification, locale: str) -> RenderedNote:
    """``note`` in ``locale`` (zh_CN or en): subject and body translated, parameters filled."""
    return RenderedNote(
        id=note.id,
        kind=note.kind,
        subject=note.subject_in(locale),
        body=note.body_in(locale),
        link=note.link,
        created_at=note.created_at,
        read_at=note.read_at,
    )


def inbox(
    session: Session,
    actor: Actor,
    *,
    locale: str | None = None,
    unread_only: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of the actor's messages, newest first, rendered in ``locale`` (default: the
    actor's own language); ``unread_only`` keeps only those not read yet."""
    stmt = scoped(actor, Notification)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(
        stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    locale = locale or actor.locale
    return Page([render(n, locale) for n in rows], total, page, per_page)


def unread_count(session: Session, actor: Actor) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    )
    return session.scalar(stmt) or 0


def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's messages as read (NotFound for anyone else's)."""
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


def email_message(note: Notification, user: User, *, sender: str) -> EmailMessage:
    """The e-mail of ``note`` to ``user``, in the user's language."""
    shown = render(note, user.locale)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = user.email
    message["Subject"] = shown.subject
    text = shown.body or shown.subject
    if note.link:
        text += "\n\n" + note.link
    message.set_content(text)
    return message


def send_pending_email(
    session: Session, smtp_url: str | None, *, sender: str = "emc@localhost"
) -> int:
    """E-mail every recent notification (:data:`EMAIL_MAX_AGE`) not yet e-mailed (when
    ``EMC_SMTP_URL`` is set), each in its recipient's language; returns the count.

    A message is marked as e-mailed only after the server accepted it, so a failure is retried on
    the next run and never sends twice what was accepted.
    """
    if not smtp_url:
        return 0
    pending = list(
        session.execute(
            select(Notification, User)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.emailed_at.is_(None),
                Notification.created_at >= clock.now() - EMAIL_MAX_AGE,
                User.is_active,
            )
            .order_by(Notification.id)
        )
    )
    if not pending:
        return 0
    sent = 0
    with _smtp(smtp_url) as server:
        for note, user in pending:
            server.send_message(email_message(note, user, sender=sender))
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

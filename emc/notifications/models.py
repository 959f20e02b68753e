"""In-app notifications (the inbox) and their e-mail delivery state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emc.db import Base, BigId, CreatedAt


class Notification(Base):
    """One message to one user, stored language-neutral: the English msgids of its subject and
    body with their parameters, rendered in the *reader's* language when it is read (inbox page,
    API, e-mail in the recipient's locale). A user who switches language sees every message,
    old and new, in the new language.

    ``dedupe_key`` makes sending idempotent: a job that runs twice (or a reminder for the same
    user and period) cannot put the same message in an inbox twice.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    # English msgids with %(name)s placeholders, filled from ``params`` in the reader's language.
    subject_key: Mapped[str] = mapped_column(String(500))
    body_key: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[CreatedAt]
    read_at: Mapped[dt.datetime | None]
    # Set once an e-mail went out (or None while EMC_SMTP_URL is unset / sending failed).
    emailed_at: Mapped[dt.datetime | None]

    def subject_in(self, locale: str) -> str:
        """The subject in ``locale`` (zh_CN or en)."""
        from emc.notifications.rendering import render_text

        return render_text(locale, self.subject_key, self.params or {})

    def body_in(self, locale: str) -> str:
        """The body in ``locale`` (zh_CN or en); empty when the message has none."""
        from emc.notifications.rendering import render_text

        return render_text(locale, self.body_key, self.params or {})

    # In the default interface language (zh_CN): for logs and tests. Pages, the API and e-mail
    # render for their reader (``emc.notifications.service.render``).
    @property
    def subject(self) -> str:
        return self.subject_in("zh_CN")

    @property
    def body(self) -> str:
        return self.body_in("zh_CN")

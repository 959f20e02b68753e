"""In-app notifications (the inbox) and their e-mail delivery state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emc.db import Base, BigId, CreatedAt


class Notification(Base):
    """One message to one user, already in the user's language.

    ``dedupe_key`` makes sending idempotent: a job that runs twice (or a reminder for the same
    payment line on the same day) cannot put the same message in an inbox twice.
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
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[CreatedAt]
    read_at: Mapped[dt.datetime | None]
    # Set once an e-mail went out (or None while EMC_SMTP_URL is unset / sending failed).
    emailed_at: Mapped[dt.datetime | None]

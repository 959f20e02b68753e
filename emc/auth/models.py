"""Organisations, regions, users and API tokens."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emc.db import Base, CreatedAt, UpdatedAt, intpk, str_enum


class OrgKind(StrEnum):
    INSTITUTION = "institution"
    ESCO = "esco"
    AUDITOR = "auditor"
    AGENCY = "agency"
    PLATFORM = "platform"


class Sector(StrEnum):
    """Public-institution sectors as the programme statistics break them out."""

    GOVERNMENT = "government"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    CULTURE_SPORTS = "culture_sports"
    OTHER = "other"


class Role(StrEnum):
    ADMIN = "admin"
    ENERGY_MANAGER = "energy_manager"
    FINANCE = "finance"
    VIEWER = "viewer"
    ENGINEER = "engineer"
    AUDITOR = "auditor"
    PROGRAMME_OFFICER = "programme_officer"


class RegionLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class Region(Base):
    """A GB/T 2260 administrative division: 000000 national, xx0000 province, xxxx00 city."""

    __tablename__ = "regions"
    __table_args__ = (CheckConstraint("length(code) = 6", name="code_six_digits"),)

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel, 10))


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (
        UniqueConstraint("name_zh", name="uq_organizations_name_zh"),
        Index("ix_organizations_kind_region", "kind", "region_code"),
    )

    id: Mapped[intpk]
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, 20))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    # Institutions only: the programme breaks counts out by sector.
    sector: Mapped[Sector | None] = mapped_column(str_enum(Sector, 20))
    # 统一社会信用代码, optional but unique when given.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    region: Mapped[Region] = relationship(lazy="raise")

    def display_name(self, locale: str = "zh_CN") -> str:
        if locale.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


class User(Base):
    """A person who logs in. A user belongs to exactly one organisation with one role in it."""

    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, 30))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    is_active: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[dt.datetime | None]
    # Every session cookie carries the version it was issued under; logging out or changing
    # the password moves it on, so every earlier cookie — a replayed copy too — is dead.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    organization: Mapped[Organization] = relationship(lazy="raise")


class ApiToken(Base):
    """A personal API token. Only a SHA-256 digest is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the secret, so a user can tell tokens apart in the list.
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]

    user: Mapped[User] = relationship(lazy="raise")

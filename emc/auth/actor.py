"""Who is acting: the facts the permission checks need, detached from the ORM. Pure."""

from __future__ import annotations

from dataclasses import dataclass, fields

from emc.auth.models import OrgKind, Role


@dataclass(frozen=True)
class Actor:
    user_id: int
    email: str
    organization_id: int
    org_kind: OrgKind
    role: Role
    region_code: str
    locale: str = "zh_CN"

    @property
    def label(self) -> str:
        return self.email

    @property
    def is_platform_admin(self) -> bool:
        return self.org_kind is OrgKind.PLATFORM and self.role is Role.ADMIN

    @property
    def is_org_admin(self) -> bool:
        return self.role is Role.ADMIN

    @classmethod
    def from_row(cls, row) -> Actor:
        """From a row whose columns are named as the fields (the principal query of
        ``emc.auth.service``, which reads columns, not entities)."""
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        return cls(**{**values, "org_kind": OrgKind(row.org_kind), "role": Role(row.role)})

    @classmethod
    def of(cls, user) -> Actor:
        """Build from a ``User`` whose organisation is loaded."""
        org = user.organization
        return cls(
            user_id=user.id,
            email=user.email,
            organization_id=org.id,
            org_kind=OrgKind(org.kind),
            role=Role(user.role),
            region_code=org.region_code,
            locale=user.locale,
        )

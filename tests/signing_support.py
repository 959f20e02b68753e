"""Test helper: the ESCO's signature of a project the institution has signed (both parties
sign before a project is contracted)."""

from __future__ import annotations

from sqlalchemy import select

from emc.auth.actor import Actor
from emc.auth.models import Organization, Role, User
from emc.contracts import service as contracts
from emc.contracts.models import EmcProject


def esco_admin(session, organization_id: int) -> User:
    """An admin of the ESCO (created when the organisation has none)."""
    user = session.scalar(
        select(User)
        .where(User.organization_id == organization_id, User.role == Role.ADMIN, User.is_active)
        .order_by(User.id)
    )
    if user is None:
        user = User(
            email=f"admin-{organization_id}@esco.test",
            display_name="ESCO admin",
            password_hash="!",
            organization_id=organization_id,
            role=Role.ADMIN,
        )
        session.add(user)
        session.flush()
    return user


def sign_by_esco(session, project_id: int, signed_on=None) -> EmcProject:
    """The project's ESCO signs (after the institution): the project becomes contracted."""
    project = session.get(EmcProject, project_id)
    user = esco_admin(session, project.esco_organization_id)
    user.organization = session.get(Organization, user.organization_id)
    actor = Actor.of(user)
    return contracts.sign_project(
        session, actor, project_id, signed_on=signed_on or project.signed_on
    )

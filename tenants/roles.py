"""Roles and what each may do: one table, read everywhere through ``role_allows``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


class Perm:
    VIEW = "view"  # see jobs, images, presets, usage
    GENERATE = "generate"  # submit/cancel jobs, re-render
    MANAGE_STYLES = "manage_styles"  # presets, datasets, fine-tunes, adapters
    MANAGE_KEYS = "manage_keys"  # API keys and webhooks
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove
    MANAGE_BILLING = "manage_billing"  # buy credits, subscriptions
    MANAGE_TENANT = "manage_tenant"  # rename, delete, transfer ownership


PERMISSION_MATRIX: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(
        {
            Perm.VIEW,
            Perm.GENERATE,
            Perm.MANAGE_STYLES,
            Perm.MANAGE_KEYS,
            Perm.MANAGE_MEMBERS,
            Perm.MANAGE_BILLING,
            Perm.MANAGE_TENANT,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Perm.VIEW,
            Perm.GENERATE,
            Perm.MANAGE_STYLES,
            Perm.MANAGE_KEYS,
            Perm.MANAGE_MEMBERS,
            Perm.MANAGE_BILLING,
        }
    ),
    Role.MEMBER: frozenset({Perm.VIEW, Perm.GENERATE}),
    Role.VIEWER: frozenset({Perm.VIEW}),
}

# Who may grant which role: an admin cannot create owners or manage them.
ASSIGNABLE_ROLES: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER}),
    Role.ADMIN: frozenset({Role.ADMIN, Role.MEMBER, Role.VIEWER}),
    Role.MEMBER: frozenset(),
    Role.VIEWER: frozenset(),
}


def role_allows(role: str | None, perm: str) -> bool:
    return perm in PERMISSION_MATRIX.get(role or "", frozenset())

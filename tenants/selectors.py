"""Reused reads: memberships, roles, and scoped lists for pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.actors import Actor
from tenants.models import ApiKey, AuditEvent, Invitation, Membership, Tenant
from tenants.roles import role_allows


def membership_for(*, tenant: Tenant, user) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(tenant=tenant, user=user).first()


def role_of(*, tenant: Tenant, actor: Actor) -> str | None:
    membership = membership_for(tenant=tenant, user=actor.user)
    return membership.role if membership else None


def actor_can(*, tenant: Tenant, actor: Actor, perm: str) -> bool:
    return role_allows(role_of(tenant=tenant, actor=actor), perm)


def tenants_of(user) -> QuerySet[Tenant]:
    return Tenant.objects.filter(memberships__user=user, is_active=True).order_by("name")


def members_of(tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.for_tenant(tenant).select_related("user").order_by("created_at")


def api_keys_of(tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_tenant(tenant).select_related("created_by")


def pending_invitations_of(tenant: Tenant) -> QuerySet[Invitation]:
    return Invitation.objects.for_tenant(tenant).filter(accepted_at=None, revoked_at=None)


def audit_events_of(tenant: Tenant) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_tenant(tenant).select_related("actor_user", "actor_api_key")

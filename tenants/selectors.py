"""Reused reads: memberships, roles, and scoped lists for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import NotAllowed
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


def require_perm(*, tenant: Tenant, actor: Actor, perm: str) -> None:
    if not actor_can(tenant=tenant, actor=actor, perm=perm):
        raise NotAllowed(
            gettext("Your role does not allow this action (%(perm)s).") % {"perm": perm}
        )


def tenants_of(user) -> QuerySet[Tenant]:
    return Tenant.objects.filter(memberships__user=user, is_active=True).order_by("name")


def memberships_of(user) -> QuerySet[Membership]:
    """The user's memberships in active workspaces (what the switcher offers)."""
    return (
        Membership.objects.filter(user=user, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant__name")
    )


def members_of(tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.for_tenant(tenant).select_related("user").order_by("created_at")


def api_keys_of(tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_tenant(tenant).select_related("created_by")


def pending_invitations_of(tenant: Tenant) -> QuerySet[Invitation]:
    return Invitation.objects.for_tenant(tenant).filter(accepted_at=None, revoked_at=None)


def audit_events_of(tenant: Tenant) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_tenant(tenant).select_related("actor_user", "actor_api_key")


@dataclass(frozen=True)
class AuditFilters:
    area: str = ""  # an action's prefix: "dataset" matches "dataset.created", "dataset.deleted"
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, query) -> AuditFilters:
        """Bad values are ignored: a filter form never answers 400 or 500."""

        def day(value: str) -> date | None:
            try:
                return date.fromisoformat(value) if value else None
            except ValueError:
                return None

        area = query.get("area", "").strip()
        return cls(
            area=area if area.replace("_", "").isalnum() else "",
            since=day(query.get("since", "")),
            until=day(query.get("until", "")),
        )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def filtered_audit_events(tenant: Tenant, filters: AuditFilters) -> QuerySet[AuditEvent]:
    events = audit_events_of(tenant)
    if filters.area:
        events = events.filter(action__startswith=filters.area + ".")
    if filters.since:
        events = events.filter(created_at__gte=_start_of(filters.since))
    if filters.until:  # inclusive: the whole "until" day
        events = events.filter(created_at__lt=_start_of(filters.until + timedelta(days=1)))
    return events


def audit_areas(tenant: Tenant) -> list[str]:
    actions = AuditEvent.objects.for_tenant(tenant).values_list("action", flat=True).distinct()
    return sorted({a.split(".", 1)[0] for a in actions.order_by()})

"""Plain helper factories for the suite: tenants, users, members, keys, API clients."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tenants import credits, services
from tenants.actors import Actor
from tenants.models import ALL_SCOPES, Membership, Tenant

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(email: str | None = None, **extra):
    email = email or f"user{next(_seq)}@example.com"
    user = get_user_model().objects.create_user(
        username=email, email=email, password=PASSWORD, **extra
    )
    return user


def make_tenant(
    name: str | None = None, *, owner=None, credits_amount: int = 0, plan: str = "free"
) -> Tenant:
    n = next(_seq)
    owner = owner or make_user(f"owner{n}@example.com")
    tenant = services.create_tenant(name=name or f"Brand {n}", owner=owner, actor=Actor(user=owner))
    if plan != "free":
        from tenants.models import Plan
        from tenants.plans import ensure_builtin_plans

        ensure_builtin_plans(Plan)
        Tenant.objects.filter(pk=tenant.pk).update(plan_id=plan)
        tenant.refresh_from_db()
    if credits_amount:
        credits.grant_credits(
            tenant=tenant, amount=credits_amount, reason="test", actor=Actor.system()
        )
        tenant.refresh_from_db()
    return tenant


def owner_of(tenant: Tenant):
    return (
        Membership.objects.filter(tenant=tenant, role="owner").select_related("user").first().user
    )


def make_member(tenant: Tenant, role: str = "member", email: str | None = None):
    user = make_user(email)
    Membership.objects.create(tenant=tenant, user=user, role=role)
    return user


def make_api_key(tenant: Tenant, scopes=None, **kwargs):
    return services.create_api_key(
        tenant=tenant,
        actor=Actor.system(),
        name=kwargs.pop("name", "test key"),
        scopes=list(scopes or ALL_SCOPES),
        check_permission=False,
        **kwargs,
    )


def api_client_for(tenant: Tenant, scopes=None) -> APIClient:
    _, plaintext = make_api_key(tenant, scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client

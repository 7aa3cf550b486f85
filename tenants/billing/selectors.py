"""Reads for the billing pages, always scoped to one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import (
    CreditEntry,
    CreditPack,
    CreditPurchase,
    Plan,
    StripeSubscription,
    Tenant,
)


def ledger_of(tenant: Tenant) -> QuerySet[CreditEntry]:
    return CreditEntry.objects.for_tenant(tenant).order_by("-created_at", "-balance_after")


def packs_on_sale() -> QuerySet[CreditPack]:
    return CreditPack.objects.filter(is_active=True)


def subscribable_plans() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True).exclude(stripe_price_id="")


def purchases_of(tenant: Tenant) -> QuerySet[CreditPurchase]:
    return CreditPurchase.objects.for_tenant(tenant).select_related("pack")


def current_subscription(tenant: Tenant) -> StripeSubscription | None:
    subscriptions = StripeSubscription.objects.for_tenant(tenant).select_related("plan")
    active = subscriptions.filter(status__in=StripeSubscription.ACTIVE_STATUSES).first()
    return active or subscriptions.order_by("-updated_at").first()

"""Subscribing to a plan against localstripe: the plan switch and monthly credits arrive by
webhook, cancelling moves the tenant back to free, and the missing portal degrades clearly."""

from __future__ import annotations

import pytest

from tenants import credits
from tenants.actors import Actor
from tenants.billing import services
from tenants.billing.errors import BillingUnavailable
from tenants.billing.models import StripeSubscription
from tenants.models import CreditEntry, Plan
from tenants.plans import ensure_builtin_plans
from tests.billing.conftest import deliver, localstripe_event
from tests.factories import make_tenant, owner_of

pytestmark = pytest.mark.slow


@pytest.fixture
def pro_at_stripe(db, stripe_settings, stripe_api):
    """The Pro plan as a product + monthly plan at localstripe (no Prices API there)."""
    ensure_builtin_plans(Plan)
    pro = Plan.objects.get(slug="pro")
    product = stripe_api.v1.products.create(params={"name": "AvatarSaaS Pro"})
    stripe_plan = stripe_api.v1.plans.create(
        params={
            "product": product.id,
            "amount": pro.monthly_price_cents,
            "currency": "usd",
            "interval": "month",
        }
    )
    pro.stripe_price_id = stripe_plan.id
    pro.save()
    return pro


@pytest.mark.django_db
def test_subscribe_webhooks_switch_plan_grant_credits_and_cancel(client, pro_at_stripe, stripe_api):
    tenant = make_tenant()
    owner = owner_of(tenant)
    before = tenant.credit_balance

    local = services.start_subscription(
        tenant=tenant, actor=Actor(user=owner), plan_slug="pro", payment_method="pm_card_visa"
    )
    subscription = stripe_api.v1.subscriptions.retrieve(local.stripe_subscription_id)
    assert subscription.status == "active"
    assert subscription.metadata["tenant_id"] == str(tenant.pk)
    tenant.refresh_from_db()
    assert tenant.plan_id == "free"  # nothing changes until Stripe's webhooks arrive

    # localstripe sends invoice.payment_succeeded (real Stripe also sends invoice.paid).
    invoice_event = localstripe_event(
        stripe_api, "invoice.payment_succeeded", subscription.latest_invoice
    )
    # localstripe leaves billing_reason null; Stripe sets it on every invoice, and only a
    # subscription's first invoice and its renewals grant plan credits.
    assert invoice_event["data"]["object"]["billing_reason"] is None
    invoice_event["data"]["object"]["billing_reason"] = "subscription_create"
    created_event = localstripe_event(stripe_api, "customer.subscription.created", subscription.id)
    for event in (invoice_event, created_event, invoice_event):
        assert deliver(client, event).status_code == 200

    tenant.refresh_from_db()
    assert tenant.plan_id == "pro"
    assert tenant.credit_balance == before + pro_at_stripe.monthly_credits
    assert tenant.credit_balance == credits.ledger_sum(tenant)
    entry = CreditEntry.objects.get(tenant=tenant, kind=CreditEntry.Kind.PLAN)
    assert entry.reference == subscription.latest_invoice
    local.refresh_from_db()
    assert local.status == "active" and local.current_period_end is not None

    client.force_login(owner)
    page = client.get("/billing/")
    assert "You are subscribed to <strong>Pro</strong>" in page.content.decode()

    response = client.post("/billing/subscription/cancel/")
    assert response.status_code == 302
    deleted = localstripe_event(stripe_api, "customer.subscription.deleted", subscription.id)
    assert deliver(client, deleted).status_code == 200
    tenant.refresh_from_db()
    assert tenant.plan_id == "free"
    assert StripeSubscription.objects.get().status == "canceled"
    assert tenant.credit_balance == before + pro_at_stripe.monthly_credits  # credits are kept


@pytest.mark.django_db
def test_customer_portal_unavailable_degrades_with_a_clear_message(client, stripe_settings):
    tenant = make_tenant()
    with pytest.raises(BillingUnavailable, match="customer portal is not available"):
        services.customer_portal_url(
            tenant=tenant, actor=Actor(user=owner_of(tenant)), return_url="http://x/billing/"
        )
    client.force_login(owner_of(tenant))
    response = client.post("/billing/portal/", follow=True)
    assert response.status_code == 200
    assert "customer portal is not available" in response.content.decode()


@pytest.mark.django_db
def test_plans_without_a_stripe_price_cannot_be_subscribed(stripe_settings):
    tenant = make_tenant()
    ensure_builtin_plans(Plan)
    with pytest.raises(Exception, match="cannot be subscribed to online"):
        services.start_subscription(
            tenant=tenant, actor=Actor(user=owner_of(tenant)), plan_slug="business"
        )

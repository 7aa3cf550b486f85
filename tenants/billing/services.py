"""User-initiated billing writes: they talk to Stripe, and never grant credits themselves.

Credits arrive only from a verified webhook (see ``fulfilment``), so a browser that closes, a
payment that fails or a replayed form post can never credit a tenant.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext

from core.errors import InvalidInput, NotFound
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.billing.errors import BillingUnavailable
from tenants.billing.models import CreditPack, CreditPurchase, StripeSubscription
from tenants.billing.stripe_client import call_stripe
from tenants.models import Plan, Tenant
from tenants.roles import Perm
from tenants.selectors import require_perm

logger = logging.getLogger(__name__)


def _require_billing(tenant: Tenant, actor: Actor) -> None:
    if actor.user is not None or actor.api_key is not None:
        require_perm(tenant=tenant, actor=actor, perm=Perm.MANAGE_BILLING)


def ensure_customer(*, tenant: Tenant) -> str:
    """The tenant's Stripe customer id, creating the customer on first use.

    No row lock is held across the network call: the idempotency key makes concurrent first
    calls return one customer, and the conditional update keeps whichever id landed first.
    """
    if tenant.stripe_customer_id:
        return tenant.stripe_customer_id
    customer = call_stripe(
        "create a customer",
        lambda c: c.v1.customers.create(
            params={"name": tenant.name, "metadata": {"tenant_id": str(tenant.pk)}},
            options={"idempotency_key": f"avatarsaas-customer-{tenant.pk}"},
        ),
    )
    Tenant.objects.filter(pk=tenant.pk, stripe_customer_id="").update(
        stripe_customer_id=customer.id
    )
    tenant.stripe_customer_id = Tenant.objects.values_list("stripe_customer_id", flat=True).get(
        pk=tenant.pk
    )
    return tenant.stripe_customer_id


def start_credit_pack_purchase(*, tenant: Tenant, actor: Actor, pack_slug: str) -> CreditPurchase:
    """Create a PaymentIntent for a pack; the `payment_intent.succeeded` webhook grants credits."""
    _require_billing(tenant, actor)
    pack = CreditPack.objects.filter(slug=pack_slug, is_active=True).first()
    if pack is None:
        on_sale = CreditPack.objects.filter(is_active=True).values_list("slug", flat=True)
        raise InvalidInput(
            gettext("Unknown credit pack '%(pack_slug)s'. Choose one of: %(on_sale)s.")
            % {"pack_slug": pack_slug, "on_sale": ", ".join(on_sale)},
            field="pack",
        )
    customer_id = ensure_customer(tenant=tenant)
    purchase = CreditPurchase.objects.create(
        tenant=tenant,
        pack=pack,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        currency=pack.currency,
        created_by=actor.user,
    )
    intent = call_stripe(
        "start the payment",
        lambda c: c.v1.payment_intents.create(
            params={
                "amount": pack.price_cents,
                "currency": pack.currency,
                "customer": customer_id,
                "payment_method_types": ["card"],
                "metadata": {
                    "tenant_id": str(tenant.pk),
                    "pack_id": pack.slug,
                    "credits": str(pack.credits),
                    "purchase_id": str(purchase.pk),
                },
            },
            options={"idempotency_key": f"avatarsaas-purchase-{purchase.pk}"},
        ),
    )
    purchase.stripe_payment_id = intent.id
    purchase.save(update_fields=["stripe_payment_id"])
    record_event(
        tenant=tenant,
        actor=actor,
        action="billing.purchase_started",
        target=purchase,
        metadata={"pack": pack.slug, "credits": pack.credits, "payment_intent": intent.id},
    )
    return purchase


def payment_intent_details(purchase: CreditPurchase) -> dict[str, Any]:
    """Status and client secret for the purchase page (the secret is fetched, never stored)."""
    if not purchase.stripe_payment_id or not purchase.stripe_payment_id.startswith("pi_"):
        return {}
    intent = call_stripe(
        "load the payment",
        lambda c: c.v1.payment_intents.retrieve(purchase.stripe_payment_id),
    )
    return {"status": intent.status, "client_secret": intent.client_secret}


def start_subscription(
    *, tenant: Tenant, actor: Actor, plan_slug: str, payment_method: str | None = None
) -> StripeSubscription:
    """Subscribe to a plan; the plan switch and its monthly credits come from webhooks.

    `payment_method` (a pm_... id collected by Stripe.js, or a test card such as pm_card_visa)
    becomes the customer's default; without one Stripe charges the existing default.
    """
    _require_billing(tenant, actor)
    plan = Plan.objects.filter(slug=plan_slug, is_public=True).exclude(stripe_price_id="").first()
    if plan is None:
        raise InvalidInput(
            gettext("The plan '%(plan_slug)s' cannot be subscribed to online.")
            % {"plan_slug": plan_slug},
            field="plan",
        )
    if (
        StripeSubscription.objects.for_tenant(tenant)
        .filter(status__in=StripeSubscription.ACTIVE_STATUSES)
        .exists()
    ):
        raise InvalidInput(
            gettext(
                "This workspace already has an active subscription; cancel it first or "
                "use the customer portal to switch plans."
            ),
            field="plan",
        )
    customer_id = ensure_customer(tenant=tenant)
    if payment_method:
        call_stripe(
            "save the card",
            lambda c: c.v1.payment_methods.attach(payment_method, params={"customer": customer_id}),
        )
        call_stripe(
            "save the card",
            lambda c: c.v1.customers.update(
                customer_id,
                params={"invoice_settings": {"default_payment_method": payment_method}},
            ),
        )
    # Stripe prices and legacy plans are interchangeable ids; localstripe knows only `plan`.
    price_key = "price" if plan.stripe_price_id.startswith("price_") else "plan"
    subscription = call_stripe(
        "start the subscription",
        lambda c: c.v1.subscriptions.create(
            params={
                "customer": customer_id,
                "items": [{price_key: plan.stripe_price_id}],
                "metadata": {"tenant_id": str(tenant.pk), "plan_slug": plan.slug},
            },
        ),
    )
    local, _ = StripeSubscription.objects.get_or_create(
        stripe_subscription_id=subscription.id,
        defaults={"tenant": tenant, "plan": plan, "status": subscription.status},
    )
    record_event(
        tenant=tenant,
        actor=actor,
        action="billing.subscription_started",
        target=local,
        metadata={"plan": plan.slug, "subscription": subscription.id},
    )
    return local


def cancel_subscription(*, tenant: Tenant, actor: Actor) -> StripeSubscription:
    """Cancel at Stripe now; `customer.subscription.deleted` moves the tenant to the free plan."""
    _require_billing(tenant, actor)
    local = (
        StripeSubscription.objects.for_tenant(tenant)
        .filter(status__in=StripeSubscription.ACTIVE_STATUSES)
        .first()
    )
    if local is None:
        raise NotFound(gettext("This workspace has no active subscription."))
    call_stripe(
        "cancel the subscription",
        lambda c: c.v1.subscriptions.cancel(local.stripe_subscription_id),
    )
    record_event(
        tenant=tenant,
        actor=actor,
        action="billing.subscription_cancel_requested",
        target=local,
        metadata={"subscription": local.stripe_subscription_id},
    )
    return local


def customer_portal_url(*, tenant: Tenant, actor: Actor, return_url: str) -> str:
    """A Stripe customer-portal link, or BillingUnavailable where the portal is not set up."""
    _require_billing(tenant, actor)
    customer_id = ensure_customer(tenant=tenant)
    try:
        session = call_stripe(
            "open the customer portal",
            lambda c: c.v1.billing_portal.sessions.create(
                params={"customer": customer_id, "return_url": return_url}
            ),
        )
    except BillingUnavailable as exc:
        raise BillingUnavailable(
            gettext(
                "The Stripe customer portal is not available for this account (it must "
                "be activated in the Stripe dashboard, and local Stripe servers lack "
                "it). Buy packs and manage your subscription on this page instead."
            )
        ) from exc
    return session.url


def refund_credit_purchase(
    *, purchase: CreditPurchase, actor: Actor, amount_cents: int | None = None
) -> str:
    """Staff: refund a pack at Stripe. The `charge.refunded` webhook claws the credits back."""
    if purchase.status == CreditPurchase.Status.PENDING or not purchase.stripe_payment_id:
        raise InvalidInput(gettext("Only paid purchases can be refunded."), field="purchase")
    params: dict[str, Any] = {"payment_intent": purchase.stripe_payment_id}
    if amount_cents:
        params["amount"] = amount_cents
    refund = call_stripe(
        "refund the payment",
        lambda c: c.v1.refunds.create(
            params=params,
            options={"idempotency_key": f"avatarsaas-refund-{purchase.pk}-{amount_cents or 'all'}"},
        ),
    )
    record_event(
        tenant=purchase.tenant,
        actor=actor,
        action="billing.refund_requested",
        target=purchase,
        metadata={"refund": refund.id, "amount_cents": refund.amount},
    )
    return refund.id

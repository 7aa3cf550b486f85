"""Webhook-driven writes: credits for paid packs and invoices, claw-backs, plan changes.

Each function is safe to run twice for the same Stripe object: credit movements carry an
idempotency key derived from the Stripe object id (unique per tenant in the ledger), and row
locks order the work as StripeEvent -> purchase/subscription -> tenant, the same everywhere.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from tenants import auth_cache
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.billing.errors import WebhookIgnored
from tenants.credits import grant_credits
from tenants.models import (
    CreditEntry,
    CreditPack,
    CreditPurchase,
    Plan,
    StripeSubscription,
    Tenant,
)
from tenants.plans import DEFAULT_PLAN, default_plan

STRIPE = Actor.system()


def payment_key(payment_id: str) -> str:
    # PaymentIntent id when there is one, so `payment_intent.succeeded` and
    # `checkout.session.completed` for the same payment share one key and credit once.
    return f"stripe:payment:{payment_id}"


def fulfil_credit_purchase(
    *,
    tenant: Tenant,
    payment_id: str,
    pack_slug: str,
    amount_cents: int,
    currency: str,
    purchase_id: str | None = None,
) -> str:
    """Grant a paid pack's credits once. Credits come from our purchase row, not the webhook."""
    with transaction.atomic():
        purchase = _purchase_for_payment(tenant, payment_id, purchase_id)
        if purchase is None:
            # Lock the tenant before inserting a row that references it: the insert takes a
            # key-share lock on the tenant, and upgrading it to the grant's FOR UPDATE
            # deadlocks with a concurrent delivery doing the same (found by the Stripe drill).
            # It also queues a twin delivery of this payment behind us, to find our row.
            Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
            purchase = _purchase_for_payment(tenant, payment_id, purchase_id)
        if purchase is None:
            # Paid outside our PaymentIntent flow (a hosted Checkout session): price it now.
            pack = CreditPack.objects.filter(slug=pack_slug).first()
            if pack is None:
                raise WebhookIgnored(f"unknown credit pack {pack_slug!r}")
            purchase = CreditPurchase.objects.create(
                tenant=tenant,
                pack=pack,
                credits=pack.credits,
                amount_cents=pack.price_cents,
                currency=pack.currency,
                stripe_payment_id=payment_id,
            )
        if amount_cents < purchase.amount_cents or currency.lower() != purchase.currency:
            raise WebhookIgnored(
                f"paid {amount_cents} {currency} but the pack costs "
                f"{purchase.amount_cents} {purchase.currency}"
            )
        entry = grant_credits(
            tenant=tenant,
            amount=purchase.credits,
            kind=CreditEntry.Kind.PURCHASE,
            reason=f"Bought {purchase.pack.name}",
            reference=payment_id,
            idempotency_key=payment_key(payment_id),
            actor=STRIPE,
        )
        if purchase.status == CreditPurchase.Status.PENDING:
            purchase.status = CreditPurchase.Status.PAID
            purchase.paid_at = timezone.now()
            purchase.stripe_payment_id = payment_id
            purchase.save(update_fields=["status", "paid_at", "stripe_payment_id"])
    if entry is None:
        return f"credits for {payment_id} were already granted"
    return f"granted {purchase.credits} credits for {payment_id}"


def _purchase_for_payment(tenant: Tenant, payment_id: str, purchase_id: str | None):
    # of=("self",): lock the purchase only, not the shared pack row the join reads.
    scoped = (
        CreditPurchase.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("pack")
    )
    purchase = scoped.filter(stripe_payment_id=payment_id).first()
    if purchase is None and purchase_id:
        # The webhook can beat the row update that stores the PaymentIntent id.
        try:
            purchase_uuid = uuid.UUID(str(purchase_id))
        except ValueError:
            return None
        purchase = scoped.filter(pk=purchase_uuid, stripe_payment_id=None).first()
    return purchase


def grant_invoice_plan_credits(*, tenant: Tenant, invoice_id: str, plan: Plan) -> str:
    """A paid subscription invoice grants its plan's monthly credits once per invoice id."""
    if not plan.monthly_credits:
        return f"the {plan.name} plan has no monthly credits"
    entry = grant_credits(
        tenant=tenant,
        amount=plan.monthly_credits,
        kind=CreditEntry.Kind.PLAN,
        reason=f"{plan.name} plan: monthly credits",
        reference=invoice_id,
        idempotency_key=f"stripe:invoice:{invoice_id}",
        actor=STRIPE,
    )
    if entry is None:
        return f"credits for invoice {invoice_id} were already granted"
    return f"granted {plan.monthly_credits} {plan.name} credits for invoice {invoice_id}"


def apply_subscription_state(
    *,
    tenant: Tenant,
    subscription_id: str,
    plan: Plan,
    status: str,
    current_period_end: int | None,
    cancel_at_period_end: bool,
    event_created: int,
) -> str:
    """Record a subscription's state from an event unless a newer event was applied already."""
    with transaction.atomic():
        local, _ = StripeSubscription.objects.get_or_create(
            stripe_subscription_id=subscription_id,
            defaults={"tenant": tenant, "plan": plan, "status": status},
        )
        local = StripeSubscription.objects.select_for_update().get(pk=local.pk)
        if local.tenant_id != tenant.pk:
            raise WebhookIgnored(f"subscription {subscription_id} belongs to another tenant")
        if event_created < local.last_event_created:
            raise WebhookIgnored(
                f"stale: event from {event_created} is older than the applied "
                f"{local.last_event_created}"
            )
        if local.status == "canceled" and status != "canceled":
            raise WebhookIgnored(f"subscription {subscription_id} is already canceled")
        local.plan = plan
        local.status = status
        local.cancel_at_period_end = cancel_at_period_end
        if current_period_end:
            local.current_period_end = datetime.fromtimestamp(current_period_end, tz=UTC)
        local.last_event_created = event_created
        local.save()
        new_plan = _effective_plan_slug(tenant)
        changed = _switch_plan(tenant, new_plan, subscription_id)
    suffix = f"; plan is now {new_plan}" if changed else ""
    return f"subscription {subscription_id} is {status}{suffix}"


def _effective_plan_slug(tenant: Tenant) -> str:
    active = (
        StripeSubscription.objects.for_tenant(tenant)
        .filter(status__in=StripeSubscription.ACTIVE_STATUSES)
        .order_by("-last_event_created")
        .first()
    )
    if active is not None:
        return active.plan_id
    default_plan()  # the free plan row must exist before a tenant points at it
    return DEFAULT_PLAN


def _switch_plan(tenant: Tenant, plan_slug: str, subscription_id: str) -> bool:
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if locked.plan_id == plan_slug:
        return False
    old = locked.plan_id
    Tenant.objects.filter(pk=tenant.pk).update(plan_id=plan_slug)
    auth_cache.forget_tenant(tenant.pk)  # a queryset update sends no post_save
    tenant.plan_id = plan_slug
    record_event(
        tenant=locked,
        actor=STRIPE,
        action="billing.plan_changed",
        target=locked,
        metadata={"from": old, "to": plan_slug, "subscription": subscription_id},
    )
    return True


def claw_back_refund(
    *, purchase: CreditPurchase, charge_id: str, amount_refunded_cents: int
) -> str:
    """Take back the credits a refund paid for, but never below zero.

    `amount_refunded_cents` is Stripe's cumulative total for the charge, so partial refunds
    add up and a replayed event changes nothing. Credits already spent are recorded as a
    shortfall in the audit log instead of driving the balance negative.
    """
    with transaction.atomic():
        purchase = CreditPurchase.objects.select_for_update().get(pk=purchase.pk)
        if amount_refunded_cents <= purchase.amount_refunded_cents:
            return f"refund of {amount_refunded_cents} on {charge_id} was already applied"
        refunded = min(amount_refunded_cents, purchase.amount_cents)
        due_total = purchase.credits * refunded // purchase.amount_cents
        due = due_total - purchase.credits_clawed_back - purchase.credits_shortfall
        locked = Tenant.objects.select_for_update().get(pk=purchase.tenant_id)
        take = max(0, min(locked.credit_balance, due))
        shortfall = max(0, due - take)
        if take:
            grant_credits(
                tenant=locked,
                amount=-take,
                kind=CreditEntry.Kind.REFUND,
                reason=f"Refund of {purchase.pack.name}",
                reference=charge_id,
                idempotency_key=f"stripe:refund:{charge_id}:{amount_refunded_cents}",
                actor=STRIPE,
            )
        if shortfall:
            record_event(
                tenant=locked,
                actor=STRIPE,
                action="billing.refund_shortfall",
                target=purchase,
                metadata={
                    "charge": charge_id,
                    "credits_due": due,
                    "credits_taken": take,
                    "shortfall": shortfall,
                    "balance_before": locked.credit_balance + take,
                },
            )
        purchase.credits_clawed_back += take
        purchase.credits_shortfall += shortfall
        purchase.amount_refunded_cents = amount_refunded_cents
        if amount_refunded_cents >= purchase.amount_cents:
            purchase.status = CreditPurchase.Status.REFUNDED
        purchase.save(
            update_fields=[
                "credits_clawed_back",
                "credits_shortfall",
                "amount_refunded_cents",
                "status",
            ]
        )
    return f"refund on {charge_id}: took {take} credits, shortfall {shortfall}"

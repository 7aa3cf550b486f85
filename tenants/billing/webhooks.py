"""Stripe webhooks: verify, store, process each event exactly once.

1. ``verify_event`` checks the `Stripe-Signature` header (HMAC-SHA256 over "t.payload" with
   STRIPE_WEBHOOK_SECRET, timestamp within the tolerance) with stripe's own verifier.
2. ``process_event`` inserts the event row (or finds it: Stripe redelivers, sometimes in
   parallel), locks it, and runs its handler only if no earlier delivery finished it. The ledger's
   idempotency keys are the second line of defence.
3. A handler finds the tenant from the Stripe object's metadata and accepts it only if the
   object's customer is that tenant's Stripe customer, so ids in metadata cannot be guessed into
   a credit.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tenants.actors import Actor
from tenants.audit import record_event
from tenants.billing import fulfilment
from tenants.billing.errors import WebhookIgnored
from tenants.billing.models import CreditPurchase, StripeEvent, StripeSubscription
from tenants.models import Plan, Tenant

logger = logging.getLogger(__name__)


class InvalidWebhook(Exception):  # noqa: N818
    """The request is not a verifiable Stripe event (answered 400, never processed)."""


@dataclass(frozen=True)
class Outcome:
    result: str
    tenant: Tenant | None = None


def tolerance_seconds() -> int:
    return int(getattr(settings, "AVATARSAAS_STRIPE_WEBHOOK_TOLERANCE", 300))


def verify_event(payload: bytes, sig_header: str | None) -> dict[str, Any]:
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise InvalidWebhook("STRIPE_WEBHOOK_SECRET is not set; cannot verify Stripe webhooks")
    try:
        stripe.Webhook.construct_event(payload, sig_header, secret, tolerance_seconds())
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(f"signature verification failed: {exc.user_message or exc}") from exc
    except ValueError as exc:  # not JSON / not UTF-8
        raise InvalidWebhook(f"body is not a JSON event: {exc}") from exc
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance((event.get("data") or {}).get("object"), dict)
    ):
        raise InvalidWebhook("body lacks id, type, created or data.object")
    return event


def process_event(event: dict[str, Any]) -> StripeEvent:
    """Store `event` and run its handler unless a delivery of it was already processed."""
    record, _ = StripeEvent.objects.get_or_create(
        id=event["id"],
        defaults={
            "type": event["type"],
            "stripe_created": event["created"],
            "livemode": bool(event.get("livemode")),
            "payload": event,
        },
    )
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update().get(pk=record.pk)
        if record.processed_at is not None:
            return record  # a duplicate delivery; the first one did the work
        record.attempts += 1
        try:
            with transaction.atomic():
                outcome = _dispatch(event)
        except WebhookIgnored as exc:
            _record_ignored(record, event, exc)
        except Exception as exc:
            # Recorded and answered 500 so Stripe retries; the handler's writes rolled back.
            logger.exception("Stripe event %s (%s) failed", event["id"], event["type"])
            record.status = StripeEvent.Status.FAILED
            record.error = f"{type(exc).__name__}: {exc}"[:2000]
            record.save(update_fields=["attempts", "status", "error"])
            return record
        else:
            record.status = StripeEvent.Status.PROCESSED
            record.result = outcome.result[:300]
            record.tenant = outcome.tenant
        record.error = ""
        record.processed_at = timezone.now()
        record.save()
    return record


def _record_ignored(record: StripeEvent, event: dict[str, Any], exc: WebhookIgnored) -> None:
    logger.info("Stripe event %s (%s) ignored: %s", event["id"], event["type"], exc.reason)
    record.status = StripeEvent.Status.IGNORED
    record.result = exc.reason[:300]
    if exc.audit_tenant is not None:
        record_event(
            tenant=exc.audit_tenant,
            actor=Actor.system(),
            action="billing.webhook_rejected",
            metadata={
                "event": event["id"],
                "type": event["type"],
                "reason": exc.reason,
                **exc.audit_metadata,
            },
        )


def _dispatch(event: dict[str, Any]) -> Outcome:
    handler = HANDLERS.get(event["type"])
    if handler is None:
        raise WebhookIgnored(f"event type {event['type']} is not handled")
    return handler(event, event["data"]["object"])


# --- tenant resolution ---------------------------------------------------------------------


def resolve_tenant(*, tenant_id: Any, customer_id: Any, event: dict[str, Any]) -> Tenant:
    """The tenant named in metadata, if and only if `customer_id` is its Stripe customer."""
    try:
        tenant = Tenant.objects.filter(pk=uuid.UUID(str(tenant_id))).first()
    except ValueError:
        tenant = None
    if tenant is None:
        raise WebhookIgnored(f"no tenant for metadata tenant_id={tenant_id!r}")
    if not tenant.stripe_customer_id or tenant.stripe_customer_id != customer_id:
        logger.warning(
            "Stripe event %s names tenant %s but customer %r (the tenant's is %r); ignored",
            event["id"],
            tenant.pk,
            customer_id,
            tenant.stripe_customer_id,
        )
        raise WebhookIgnored(
            f"customer {customer_id!r} is not tenant {tenant.pk}'s Stripe customer",
            audit_tenant=tenant,
            audit_metadata={"customer": str(customer_id)},
        )
    return tenant


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _price_ids(items: Any) -> list[str]:
    """Price/plan ids from a subscription's `items` or an invoice's `lines` list."""
    ids = []
    for item in (items or {}).get("data") or []:
        for key in ("price", "plan"):
            value = item.get(key)
            if isinstance(value, dict) and value.get("id"):
                ids.append(value["id"])
            elif isinstance(value, str):
                ids.append(value)
        details = (item.get("pricing") or {}).get("price_details") or {}
        if details.get("price"):
            ids.append(details["price"])
    return ids


def _plan_for(price_ids: list[str], slug_hint: str | None, fallback: Plan | None) -> Plan:
    plan = Plan.objects.filter(stripe_price_id__in=[p for p in price_ids if p]).first()
    if plan is None and slug_hint:
        plan = Plan.objects.filter(slug=slug_hint).first()
    plan = plan or fallback
    if plan is None:
        raise WebhookIgnored(f"no plan has stripe_price_id in {price_ids}")
    return plan


# --- handlers ------------------------------------------------------------------------------


def on_payment_intent_succeeded(event: dict[str, Any], intent: dict[str, Any]) -> Outcome:
    metadata = _metadata(intent)
    if not metadata.get("pack_id"):
        raise WebhookIgnored("not a credit pack payment (no pack_id in metadata)")
    tenant = resolve_tenant(
        tenant_id=metadata.get("tenant_id"), customer_id=intent.get("customer"), event=event
    )
    result = fulfilment.fulfil_credit_purchase(
        tenant=tenant,
        payment_id=intent["id"],
        pack_slug=metadata["pack_id"],
        purchase_id=metadata.get("purchase_id"),
        amount_cents=int(intent.get("amount_received") or intent.get("amount") or 0),
        currency=str(intent.get("currency") or ""),
    )
    return Outcome(result, tenant)


def on_checkout_session_paid(event: dict[str, Any], session: dict[str, Any]) -> Outcome:
    """Hosted Checkout (payment mode) with the same metadata as our PaymentIntents."""
    if session.get("mode") != "payment":
        raise WebhookIgnored("subscription checkouts are applied from invoice/subscription events")
    if session.get("payment_status") != "paid":
        raise WebhookIgnored("checkout is complete but not paid yet (async payment method)")
    metadata = _metadata(session)
    if not metadata.get("pack_id"):
        raise WebhookIgnored("not a credit pack checkout (no pack_id in metadata)")
    tenant = resolve_tenant(
        tenant_id=metadata.get("tenant_id"), customer_id=session.get("customer"), event=event
    )
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    result = fulfilment.fulfil_credit_purchase(
        tenant=tenant,
        payment_id=payment_intent or session["id"],
        pack_slug=metadata["pack_id"],
        purchase_id=metadata.get("purchase_id"),
        amount_cents=int(session.get("amount_total") or 0),
        currency=str(session.get("currency") or ""),
    )
    return Outcome(result, tenant)


def _invoice_subscription(invoice: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = invoice.get("subscription") or details.get("subscription")
    if isinstance(subscription, dict):
        subscription = subscription.get("id")
    return subscription, details.get("metadata") or {}


# Paid invoices that carry a plan's monthly credits: a subscription's first invoice and each
# renewal. A `subscription_update` invoice is a proration (a mid-period upgrade or quantity
# change): it pays for the rest of the current period at the new plan's limits, and the new
# plan's credits arrive with the next renewal; granting a month's credits for it would let a
# customer buy them for the price of a few days, again with every plan switch. Manual and
# threshold invoices are not plan periods. Any other or missing reason grants nothing.
CREDIT_BEARING_REASONS = frozenset({"subscription_create", "subscription_cycle"})


def on_invoice_paid(event: dict[str, Any], invoice: dict[str, Any]) -> Outcome:
    subscription_id, sub_metadata = _invoice_subscription(invoice)
    if not subscription_id:
        raise WebhookIgnored("not a subscription invoice")
    if invoice.get("status") not in (None, "paid"):
        raise WebhookIgnored(f"invoice status is {invoice.get('status')}")
    local = (
        StripeSubscription.objects.filter(stripe_subscription_id=subscription_id)
        .select_related("plan")
        .first()
    )
    tenant_id = (
        _metadata(invoice).get("tenant_id")
        or sub_metadata.get("tenant_id")
        or (local.tenant_id if local else None)
    )
    tenant = resolve_tenant(tenant_id=tenant_id, customer_id=invoice.get("customer"), event=event)
    if local is not None and local.tenant_id != tenant.pk:
        raise WebhookIgnored(f"subscription {subscription_id} belongs to another tenant")
    plan = _plan_for(
        _price_ids(invoice.get("lines")),
        sub_metadata.get("plan_slug"),
        local.plan if local else None,
    )
    reason = invoice.get("billing_reason")
    if reason not in CREDIT_BEARING_REASONS:
        raise WebhookIgnored(
            f"billing_reason {reason!r} grants no plan credits "
            f"(only {', '.join(sorted(CREDIT_BEARING_REASONS))} do)"
        )
    result = fulfilment.grant_invoice_plan_credits(
        tenant=tenant, invoice_id=invoice["id"], plan=plan
    )
    return Outcome(result, tenant)


def on_subscription_changed(event: dict[str, Any], subscription: dict[str, Any]) -> Outcome:
    local = (
        StripeSubscription.objects.filter(stripe_subscription_id=subscription["id"])
        .select_related("plan")
        .first()
    )
    metadata = _metadata(subscription)
    tenant = resolve_tenant(
        tenant_id=metadata.get("tenant_id") or (local.tenant_id if local else None),
        customer_id=subscription.get("customer"),
        event=event,
    )
    items = subscription.get("items") or {}
    plan = _plan_for(_price_ids(items), metadata.get("plan_slug"), local.plan if local else None)
    deleted = event["type"] == "customer.subscription.deleted"
    period_end = subscription.get("current_period_end")
    if period_end is None and (items.get("data") or []):
        period_end = items["data"][0].get("current_period_end")  # newer API versions
    result = fulfilment.apply_subscription_state(
        tenant=tenant,
        subscription_id=subscription["id"],
        plan=plan,
        status="canceled" if deleted else str(subscription.get("status") or "incomplete"),
        current_period_end=period_end,
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        event_created=event["created"],
    )
    return Outcome(result, tenant)


def on_charge_refunded(event: dict[str, Any], charge: dict[str, Any]) -> Outcome:
    payment_intent = charge.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    purchase = (
        CreditPurchase.objects.filter(stripe_payment_id=payment_intent)
        .select_related("pack")
        .first()
        if payment_intent
        else None
    )
    if purchase is None:
        raise WebhookIgnored("refunded charge is not a credit pack purchase")
    tenant = resolve_tenant(
        tenant_id=_metadata(charge).get("tenant_id") or purchase.tenant_id,
        customer_id=charge.get("customer"),
        event=event,
    )
    if purchase.tenant_id != tenant.pk:
        raise WebhookIgnored(
            f"purchase {purchase.pk} belongs to another tenant",
            audit_tenant=tenant,
            audit_metadata={"charge": charge.get("id")},
        )
    result = fulfilment.claw_back_refund(
        purchase=purchase,
        charge_id=charge["id"],
        amount_refunded_cents=int(charge.get("amount_refunded") or 0),
    )
    return Outcome(result, tenant)


HANDLERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Outcome]] = {
    "payment_intent.succeeded": on_payment_intent_succeeded,
    "checkout.session.completed": on_checkout_session_paid,
    "checkout.session.async_payment_succeeded": on_checkout_session_paid,
    # Stripe sends both for a paid invoice (localstripe only the latter); one grant per invoice.
    "invoice.paid": on_invoice_paid,
    "invoice.payment_succeeded": on_invoice_paid,
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
    "charge.refunded": on_charge_refunded,
}

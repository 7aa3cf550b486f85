"""The Stripe webhook endpoint: signatures, exactly-once processing, ordering, tenant checks.

Events are built by hand here (shaped like Stripe's) and signed with stripe's own helper; the
localstripe tests cover the same endpoint with events a Stripe server produced.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from tenants import credits
from tenants.models import (
    AuditEvent,
    CreditEntry,
    CreditPurchase,
    Plan,
    StripeEvent,
    StripeSubscription,
    Tenant,
)
from tenants.plans import ensure_builtin_plans
from tests.billing.conftest import deliver, make_event, sign
from tests.factories import make_tenant


def _customer(tenant, customer_id: str | None = None) -> str:
    customer_id = customer_id or f"cus_{tenant.pk.hex[:14]}"
    Tenant.objects.filter(pk=tenant.pk).update(stripe_customer_id=customer_id)
    tenant.refresh_from_db()
    return customer_id


def _intent(tenant, *, pack="pack-500", amount=900, customer=None, pi_id="pi_test_1", **meta):
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": "usd",
        "status": "succeeded",
        "customer": customer or tenant.stripe_customer_id,
        "metadata": {"tenant_id": str(tenant.pk), "pack_id": pack, "credits": "500", **meta},
    }


def _purchases(tenant):
    return CreditEntry.objects.filter(tenant=tenant, kind=CreditEntry.Kind.PURCHASE)


@pytest.fixture
def paying_tenant(db, packs, webhook_secret):
    tenant = make_tenant("Acme Bots")
    _customer(tenant)
    return tenant


# --- signatures ----------------------------------------------------------------------------


def test_valid_event_is_processed(client, paying_tenant):
    before = paying_tenant.credit_balance
    response = deliver(client, make_event("payment_intent.succeeded", _intent(paying_tenant)))
    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    paying_tenant.refresh_from_db()
    assert paying_tenant.credit_balance == before + 500
    assert _purchases(paying_tenant).get().reference == "pi_test_1"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "t=123",
        "t=notanumber,v1=abc",
    ],
)
def test_missing_or_malformed_signature_is_400(client, paying_tenant, header):
    payload = json.dumps(make_event("payment_intent.succeeded", _intent(paying_tenant)))
    extra = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    response = client.post(
        "/billing/stripe/webhook/", data=payload, content_type="application/json", **extra
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert not StripeEvent.objects.exists()


def test_wrong_secret_or_tampered_body_is_400(client, paying_tenant, caplog):
    event = make_event("payment_intent.succeeded", _intent(paying_tenant))
    assert deliver(client, event, secret="whsec_someone_else").status_code == 400
    payload = json.dumps(event)
    tampered = payload.replace('"amount": 900', '"amount": 1')
    response = client.post(
        "/billing/stripe/webhook/",
        data=tampered,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )
    assert response.status_code == 400
    assert "Rejected a Stripe webhook" in caplog.text
    paying_tenant.refresh_from_db()
    assert not _purchases(paying_tenant).exists()


def test_stale_timestamp_is_400(client, paying_tenant):
    event = make_event("payment_intent.succeeded", _intent(paying_tenant))
    response = deliver(client, event, timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert "timestamp" in response.json()["error"]["message"].lower()
    assert not _purchases(paying_tenant).exists()


def test_without_a_webhook_secret_nothing_is_accepted(client, paying_tenant, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = deliver(client, make_event("payment_intent.succeeded", _intent(paying_tenant)))
    assert response.status_code == 400
    assert "STRIPE_WEBHOOK_SECRET" in response.json()["error"]["message"]


def test_webhook_is_post_only_and_csrf_exempt(paying_tenant):
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.get("/billing/stripe/webhook/").status_code == 405
    response = deliver(csrf_client, make_event("payment_intent.succeeded", _intent(paying_tenant)))
    assert response.status_code == 200


# --- exactly once --------------------------------------------------------------------------


def test_redelivered_event_and_second_event_for_same_payment_credit_once(client, paying_tenant):
    before = paying_tenant.credit_balance
    intent = _intent(paying_tenant)
    first = make_event("payment_intent.succeeded", intent)
    for _ in range(3):
        assert deliver(client, first).status_code == 200
    # A different event id for the same PaymentIntent (and a hosted Checkout completion for
    # it) hits the ledger's idempotency key instead.
    assert deliver(client, make_event("payment_intent.succeeded", intent)).status_code == 200
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": intent["id"],
        "customer": paying_tenant.stripe_customer_id,
        "amount_total": 900,
        "currency": "usd",
        "metadata": intent["metadata"],
    }
    assert deliver(client, make_event("checkout.session.completed", session)).status_code == 200
    paying_tenant.refresh_from_db()
    assert paying_tenant.credit_balance == before + 500
    assert _purchases(paying_tenant).count() == 1
    assert StripeEvent.objects.get(pk=first["id"]).attempts == 1
    assert StripeEvent.objects.count() == 3


def test_hosted_checkout_session_credits_a_pack(client, paying_tenant):
    before = paying_tenant.credit_balance
    session = {
        "id": "cs_test_2",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": "pi_from_checkout",
        "customer": paying_tenant.stripe_customer_id,
        "amount_total": 2900,
        "currency": "usd",
        "metadata": {"tenant_id": str(paying_tenant.pk), "pack_id": "pack-2000"},
    }
    deliver(client, make_event("checkout.session.completed", session))
    paying_tenant.refresh_from_db()
    assert paying_tenant.credit_balance == before + 2000
    purchase = CreditPurchase.objects.get(tenant=paying_tenant)
    assert (purchase.stripe_payment_id, purchase.status) == ("pi_from_checkout", "paid")


@pytest.mark.django_db(transaction=True)
def test_same_event_delivered_10_times_concurrently_credits_once(packs, webhook_secret):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent deliveries need PostgreSQL row locks; CI runs this on PostgreSQL")
    tenant = make_tenant()
    _customer(tenant)
    before = tenant.credit_balance
    payload = json.dumps(make_event("payment_intent.succeeded", _intent(tenant)))
    header = sign(payload)
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def post():
        try:
            barrier.wait()
            response = Client().post(
                "/billing/stripe/webhook/",
                data=payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 10
    tenant.refresh_from_db()
    assert tenant.credit_balance == before + 500
    assert tenant.credit_balance == credits.ledger_sum(tenant)
    assert _purchases(tenant).count() == 1
    stored = StripeEvent.objects.get()
    assert (stored.status, stored.attempts) == ("processed", 1)


def test_handler_failure_is_recorded_answered_500_and_retried(client, paying_tenant, monkeypatch):
    from tenants.billing import fulfilment

    real = fulfilment.fulfil_credit_purchase
    monkeypatch.setattr(
        fulfilment, "fulfil_credit_purchase", lambda **kw: (_ for _ in ()).throw(OSError("disk"))
    )
    event = make_event("payment_intent.succeeded", _intent(paying_tenant))
    assert deliver(client, event).status_code == 500
    stored = StripeEvent.objects.get()
    assert (stored.status, stored.processed_at) == ("failed", None)
    assert "disk" in stored.error
    monkeypatch.setattr(fulfilment, "fulfil_credit_purchase", real)
    assert deliver(client, event).status_code == 200  # Stripe's retry
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.error) == ("processed", 2, "")
    assert _purchases(paying_tenant).count() == 1


def test_unhandled_event_types_are_stored_and_ignored(client, paying_tenant):
    response = deliver(client, make_event("customer.created", {"id": "cus_x"}))
    assert response.status_code == 200
    assert StripeEvent.objects.get().status == "ignored"


# --- the tenant comes from metadata AND must own the customer -----------------------------


def test_metadata_naming_another_tenant_with_my_customer_cannot_credit_it(client, paying_tenant):
    victim = make_tenant("Globex")
    _customer(victim, "cus_globex")
    before = victim.credit_balance
    forged = _intent(victim, customer=paying_tenant.stripe_customer_id)  # B's id, A's customer
    response = deliver(client, make_event("payment_intent.succeeded", forged))
    assert response.status_code == 200
    victim.refresh_from_db()
    paying_tenant.refresh_from_db()
    assert victim.credit_balance == before
    assert not _purchases(victim).exists() and not _purchases(paying_tenant).exists()
    stored = StripeEvent.objects.get()
    assert stored.status == "ignored" and "customer" in stored.result
    rejected = AuditEvent.objects.get(tenant=victim, action="billing.webhook_rejected")
    assert rejected.metadata["customer"] == paying_tenant.stripe_customer_id


def test_tenant_without_customer_or_unknown_tenant_is_ignored(client, packs, webhook_secret):
    tenant = make_tenant()  # never bought anything: no Stripe customer
    event = make_event("payment_intent.succeeded", _intent(tenant, customer="cus_guess"))
    deliver(client, event)
    bogus = _intent(tenant, customer="cus_guess", pi_id="pi_2")
    bogus["metadata"]["tenant_id"] = "not-a-uuid"
    deliver(client, make_event("payment_intent.succeeded", bogus))
    assert list(StripeEvent.objects.values_list("status", flat=True)) == ["ignored"] * 2
    assert not _purchases(tenant).exists()


def test_underpaid_or_non_pack_payments_grant_nothing(client, paying_tenant):
    underpaid = _intent(paying_tenant, pack="pack-10000", amount=900)
    deliver(client, make_event("payment_intent.succeeded", underpaid))
    invoice_payment = _intent(paying_tenant, pi_id="pi_invoice")
    invoice_payment["metadata"] = {}
    deliver(client, make_event("payment_intent.succeeded", invoice_payment))
    assert not _purchases(paying_tenant).exists()
    results = " | ".join(StripeEvent.objects.values_list("result", flat=True))
    assert "not a credit pack payment" in results and "but the pack costs" in results


# --- subscriptions -------------------------------------------------------------------------


@pytest.fixture
def pro_plan(db):
    ensure_builtin_plans(Plan)
    Plan.objects.filter(slug="pro").update(stripe_price_id="price_pro_monthly")
    return Plan.objects.get(slug="pro")


def _subscription(tenant, status="active", sub_id="sub_test_1", price="price_pro_monthly"):
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": tenant.stripe_customer_id,
        "status": status,
        "current_period_end": int(time.time()) + 30 * 86400,
        "cancel_at_period_end": False,
        "metadata": {"tenant_id": str(tenant.pk), "plan_slug": "pro"},
        "items": {"object": "list", "data": [{"price": {"id": price}}]},
    }


def test_subscription_events_out_of_order(client, paying_tenant, pro_plan):
    t0 = int(time.time()) - 100
    created = make_event("customer.subscription.created", _subscription(paying_tenant), created=t0)
    past_due = make_event(
        "customer.subscription.updated",
        _subscription(paying_tenant, status="past_due"),
        created=t0 + 10,
    )
    deleted = make_event(
        "customer.subscription.deleted",
        _subscription(paying_tenant, status="canceled"),
        created=t0 + 20,
    )
    deliver(client, created)
    paying_tenant.refresh_from_db()
    assert paying_tenant.plan_id == "pro"

    # Deleted arrives before the older update: the update must not resurrect the plan.
    deliver(client, deleted)
    deliver(client, past_due)
    paying_tenant.refresh_from_db()
    assert paying_tenant.plan_id == "free"
    local = StripeSubscription.objects.get()
    assert (local.status, local.last_event_created) == ("canceled", t0 + 20)
    stale = StripeEvent.objects.get(pk=past_due["id"])
    assert stale.status == "ignored" and "stale" in stale.result
    changes = AuditEvent.objects.filter(tenant=paying_tenant, action="billing.plan_changed")
    assert sorted((e.metadata["from"], e.metadata["to"]) for e in changes) == [
        ("free", "pro"),
        ("pro", "free"),
    ]


def test_invoice_paid_grants_monthly_credits_once_per_invoice(client, paying_tenant, pro_plan):
    deliver(client, make_event("customer.subscription.created", _subscription(paying_tenant)))
    before = Tenant.objects.get(pk=paying_tenant.pk).credit_balance
    invoice = {
        "id": "in_test_1",
        "object": "invoice",
        "status": "paid",
        "billing_reason": "subscription_create",
        "customer": paying_tenant.stripe_customer_id,
        "subscription": None,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": "sub_test_1",
                "metadata": {"tenant_id": str(paying_tenant.pk), "plan_slug": "pro"},
            },
        },
        "lines": {"data": [{"pricing": {"price_details": {"price": "price_pro_monthly"}}}]},
        "metadata": {},
    }
    deliver(client, make_event("invoice.paid", invoice))
    deliver(client, make_event("invoice.payment_succeeded", invoice))  # Stripe sends both
    renewal = {**invoice, "id": "in_test_2", "billing_reason": "subscription_cycle"}
    deliver(client, make_event("invoice.paid", renewal))  # next month
    paying_tenant.refresh_from_db()
    assert paying_tenant.credit_balance == before + 2 * pro_plan.monthly_credits
    plan_entries = CreditEntry.objects.filter(tenant=paying_tenant, kind="plan")
    assert sorted(plan_entries.values_list("reference", flat=True)) == ["in_test_1", "in_test_2"]


def test_invoice_for_someone_elses_subscription_is_ignored(client, paying_tenant, pro_plan):
    deliver(client, make_event("customer.subscription.created", _subscription(paying_tenant)))
    other = make_tenant("Globex")
    _customer(other, "cus_globex")
    before = other.credit_balance
    invoice = {
        "id": "in_forged",
        "object": "invoice",
        "status": "paid",
        "customer": "cus_globex",
        "subscription": "sub_test_1",  # paying_tenant's subscription
        "metadata": {"tenant_id": str(other.pk)},
        "lines": {"data": [{"price": {"id": "price_pro_monthly"}}]},
    }
    deliver(client, make_event("invoice.paid", invoice))
    other.refresh_from_db()
    assert other.credit_balance == before
    assert StripeEvent.objects.get(pk__startswith="evt", type="invoice.paid").status == "ignored"


def test_webhook_that_beats_the_payment_id_update_finds_the_purchase(client, paying_tenant, packs):
    purchase = CreditPurchase.objects.create(
        tenant=paying_tenant, pack=packs["pack-500"], credits=500, amount_cents=900, currency="usd"
    )
    intent = _intent(paying_tenant, pi_id="pi_early", purchase_id=str(purchase.pk))
    deliver(client, make_event("payment_intent.succeeded", intent))
    bogus = _intent(paying_tenant, pi_id="pi_bogus_ref", purchase_id="not-a-uuid")
    deliver(client, make_event("payment_intent.succeeded", bogus))
    purchase.refresh_from_db()
    assert (purchase.stripe_payment_id, purchase.status) == ("pi_early", "paid")
    assert CreditPurchase.objects.filter(tenant=paying_tenant).count() == 2
    assert _purchases(paying_tenant).count() == 2

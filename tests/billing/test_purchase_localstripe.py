"""Buying a credit pack end to end: our pages and services talk HTTP to localstripe, the
customer pays with a test card, and the signed webhook credits the tenant exactly once."""

from __future__ import annotations

import time

import pytest
import requests

from tenants import credits
from tenants.actors import Actor
from tenants.billing import services
from tenants.billing.models import CreditPurchase, StripeEvent
from tenants.models import AuditEvent, CreditEntry
from tests.billing.conftest import WEBHOOK_SECRET, deliver, localstripe_event, make_event
from tests.factories import make_tenant, owner_of

pytestmark = pytest.mark.slow


def _pay(stripe_api, payment_intent_id: str, payment_method: str = "pm_card_visa"):
    """What Stripe.js does in the customer's browser: attach a card and confirm."""
    stripe_api.v1.payment_intents.update(
        payment_intent_id, params={"payment_method": payment_method}
    )
    return stripe_api.v1.payment_intents.confirm(payment_intent_id)


def _buy(client, pack_slug: str) -> CreditPurchase:
    response = client.post("/billing/packs/buy/", {"pack": pack_slug})
    assert response.status_code == 302, response.content
    purchase = CreditPurchase.objects.get()
    assert response["Location"] == f"/billing/purchases/{purchase.pk}/"
    return purchase


@pytest.mark.django_db
def test_buy_pack_pay_and_webhook_grants_credits_once(client, stripe_settings, stripe_api, packs):
    tenant = make_tenant("Acme Bots")
    client.force_login(owner_of(tenant))
    before = tenant.credit_balance

    purchase = _buy(client, "pack-500")
    tenant.refresh_from_db()
    assert tenant.stripe_customer_id.startswith("cus_")
    customer = stripe_api.v1.customers.retrieve(tenant.stripe_customer_id)
    assert customer.metadata["tenant_id"] == str(tenant.pk)
    intent = stripe_api.v1.payment_intents.retrieve(purchase.stripe_payment_id)
    assert intent.amount == 900 and intent.customer == tenant.stripe_customer_id
    assert intent.metadata.to_dict() == {
        "tenant_id": str(tenant.pk),
        "pack_id": "pack-500",
        "credits": "500",
        "purchase_id": str(purchase.pk),
    }

    page = client.get(f"/billing/purchases/{purchase.pk}/")
    assert page.status_code == 200
    assert intent.client_secret in page.content.decode()
    assert "pm_card_visa" in page.content.decode()  # the local "simulate payment" note
    assert tenant.credit_balance == before  # starting a purchase grants nothing

    assert _pay(stripe_api, intent.id).status == "succeeded"
    event = localstripe_event(stripe_api, "payment_intent.succeeded", intent.id)

    for _ in range(3):  # Stripe redelivers; only the first delivery credits
        response = deliver(client, event)
        assert response.status_code == 200, response.content
    tenant.refresh_from_db()
    assert tenant.credit_balance == before + 500
    assert tenant.credit_balance == credits.ledger_sum(tenant)
    entry = CreditEntry.objects.get(tenant=tenant, kind=CreditEntry.Kind.PURCHASE)
    assert (entry.amount, entry.reference) == (500, intent.id)
    stored = StripeEvent.objects.get(pk=event["id"])
    assert stored.status == StripeEvent.Status.PROCESSED and stored.attempts == 1
    assert stored.tenant == tenant
    purchase.refresh_from_db()
    assert purchase.status == CreditPurchase.Status.PAID

    page = client.get(f"/billing/purchases/{purchase.pk}/")
    assert "500 credits were added" in page.content.decode()


@pytest.mark.django_db
def test_declined_card_grants_nothing(client, stripe_settings, stripe_api, packs):
    tenant = make_tenant()
    client.force_login(owner_of(tenant))
    before = tenant.credit_balance
    purchase = _buy(client, "pack-2000")
    declined = stripe_api.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4000000000000341", "exp_month": 12, "exp_year": 2040, "cvc": "123"},
        }
    )
    with pytest.raises(Exception, match="declined"):
        _pay(stripe_api, purchase.stripe_payment_id, declined.id)
    tenant.refresh_from_db()
    assert tenant.credit_balance == before
    assert CreditPurchase.objects.get().status == CreditPurchase.Status.PENDING


@pytest.mark.django_db
def test_refund_claws_back_unspent_credits_and_records_the_shortfall(
    client, stripe_settings, stripe_api, packs
):
    tenant = make_tenant()
    client.force_login(owner_of(tenant))
    purchase = _buy(client, "pack-500")
    _pay(stripe_api, purchase.stripe_payment_id)
    deliver(
        client,
        localstripe_event(stripe_api, "payment_intent.succeeded", purchase.stripe_payment_id),
    )
    tenant.refresh_from_db()
    purchase.refresh_from_db()
    balance = tenant.credit_balance

    # Half refunded at Stripe: half the pack's credits go back.
    services.refund_credit_purchase(purchase=purchase, actor=Actor.system(), amount_cents=450)
    latest = stripe_api.v1.payment_intents.retrieve(purchase.stripe_payment_id).latest_charge
    charge_id = latest if isinstance(latest, str) else latest.id  # localstripe expands it
    charge = stripe_api.v1.charges.retrieve(charge_id).to_dict(for_json=True)
    assert charge["amount_refunded"] == 450
    refunded_half = make_event("charge.refunded", charge)
    assert deliver(client, refunded_half).status_code == 200
    assert deliver(client, refunded_half).status_code == 200
    tenant.refresh_from_db()
    assert tenant.credit_balance == balance - 250

    # The tenant spends nearly everything, then the rest is refunded: take what is left,
    # never go below zero, and record the shortfall in the audit log.
    credits.reserve_credits(
        tenant=tenant, amount=tenant.credit_balance - 100, reference="job-x", actor=Actor.system()
    )
    services.refund_credit_purchase(purchase=purchase, actor=Actor.system(), amount_cents=450)
    charge = stripe_api.v1.charges.retrieve(charge_id).to_dict(for_json=True)
    assert charge["amount_refunded"] == 900
    assert deliver(client, make_event("charge.refunded", charge)).status_code == 200
    tenant.refresh_from_db()
    assert tenant.credit_balance == 0
    assert tenant.credit_balance == credits.ledger_sum(tenant)
    purchase.refresh_from_db()
    assert purchase.status == CreditPurchase.Status.REFUNDED
    assert (purchase.credits_clawed_back, purchase.credits_shortfall) == (350, 150)
    shortfall = AuditEvent.objects.get(tenant=tenant, action="billing.refund_shortfall")
    assert shortfall.metadata["shortfall"] == 150
    refunds = CreditEntry.objects.filter(tenant=tenant, kind=CreditEntry.Kind.REFUND)
    assert sorted(e.amount for e in refunds) == [-250, -100]
    assert {e.reference for e in refunds} == {charge_id}


def _configure_localstripe_webhook(stripe_settings, live_server, events):
    requests.post(
        f"{stripe_settings.STRIPE_API_BASE}/_config/webhooks/avatarsaas-live",
        json={
            "url": f"{live_server.url}/billing/stripe/webhook/",
            "secret": WEBHOOK_SECRET,
            "events": events,
        },
        timeout=5,
    ).raise_for_status()


@pytest.mark.django_db(transaction=True)
def test_localstripe_itself_delivers_a_verifiable_webhook(live_server, stripe_settings, stripe_api):
    """No test-side signing: localstripe POSTs the signed event to our running server."""
    from tenants.billing.catalog import ensure_builtin_packs
    from tenants.billing.models import CreditPack

    ensure_builtin_packs(CreditPack)
    tenant = make_tenant()
    before = tenant.credit_balance
    _configure_localstripe_webhook(stripe_settings, live_server, ["payment_intent.succeeded"])
    try:
        purchase = services.start_credit_pack_purchase(
            tenant=tenant, actor=Actor(user=owner_of(tenant)), pack_slug="pack-500"
        )
        _pay(stripe_api, purchase.stripe_payment_id)
        deadline = time.monotonic() + 15  # localstripe waits ~1 s before sending
        while time.monotonic() < deadline:
            tenant.refresh_from_db()
            if tenant.credit_balance != before:
                break
            time.sleep(0.2)
    finally:
        # The registration outlives this test (and live_server is session-wide): mute it so
        # later tests deliver their own events.
        _configure_localstripe_webhook(stripe_settings, live_server, ["avatarsaas.never"])
    assert tenant.credit_balance == before + 500
    # (Events of earlier tests that localstripe was still about to send may arrive too; they
    # name tenants this database no longer has and are stored as ignored.)
    stored = StripeEvent.objects.get(tenant=tenant)
    assert (stored.type, stored.status) == ("payment_intent.succeeded", "processed")

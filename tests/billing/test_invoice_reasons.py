"""Which paid invoices grant a plan's monthly credits: only a subscription's first invoice and
its renewals. A proration invoice (a mid-period upgrade) used to grant a full month's credits
for the price of a few days, again with every plan switch."""

import pytest

from tenants.billing.models import StripeEvent
from tenants.models import CreditEntry, Plan, Tenant
from tenants.plans import ensure_builtin_plans
from tests.billing.conftest import deliver, make_event
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def pro(db):
    ensure_builtin_plans(Plan)
    Plan.objects.filter(slug="pro").update(stripe_price_id="price_pro_monthly")
    return Plan.objects.get(slug="pro")


@pytest.fixture
def subscriber(db, webhook_secret, pro):
    tenant = make_tenant("Acme Bots")
    Tenant.objects.filter(pk=tenant.pk).update(stripe_customer_id="cus_acme")
    tenant.refresh_from_db()
    return tenant


def _invoice(tenant, invoice_id, reason, amount_paid):
    invoice = {
        "id": invoice_id,
        "object": "invoice",
        "status": "paid",
        "amount_paid": amount_paid,
        "customer": tenant.stripe_customer_id,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": "sub_acme",
                "metadata": {"tenant_id": str(tenant.pk), "plan_slug": "pro"},
            },
        },
        "lines": {"data": [{"pricing": {"price_details": {"price": "price_pro_monthly"}}}]},
        "metadata": {},
    }
    if reason is not None:
        invoice["billing_reason"] = reason
    return invoice


def _plan_credits(tenant):
    return list(
        CreditEntry.objects.filter(tenant=tenant, kind=CreditEntry.Kind.PLAN).values_list(
            "reference", "amount"
        )
    )


@pytest.mark.parametrize(
    "reason", ["subscription_update", "manual", "subscription_threshold", None]
)
def test_a_proration_or_other_invoice_grants_no_monthly_credits(client, subscriber, reason):
    before = subscriber.credit_balance
    # An upgrade mid-period: Stripe invoices the prorated difference, a few dollars.
    event = make_event("invoice.paid", _invoice(subscriber, "in_prorate", reason, 312))
    assert deliver(client, event).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.credit_balance == before
    assert _plan_credits(subscriber) == []
    stored = StripeEvent.objects.get(pk=event["id"])
    assert stored.status == "ignored" and "billing_reason" in stored.result


def test_the_first_invoice_and_each_renewal_grant_once(client, subscriber, pro):
    first = _invoice(subscriber, "in_first", "subscription_create", pro.monthly_price_cents)
    renewal = _invoice(subscriber, "in_renew", "subscription_cycle", pro.monthly_price_cents)
    for event in (
        make_event("invoice.paid", first),
        make_event("invoice.payment_succeeded", first),  # Stripe sends both for one invoice
        make_event("invoice.paid", renewal),
    ):
        assert deliver(client, event).status_code == 200
    # One replayed delivery of the same event changes nothing either.
    replay = make_event("invoice.paid", renewal, event_id="evt_replay")
    deliver(client, replay)
    deliver(client, replay)
    assert sorted(_plan_credits(subscriber)) == [
        ("in_first", pro.monthly_credits),
        ("in_renew", pro.monthly_credits),
    ]

"""The usage & billing pages: who may see them, what they show, and that nothing leaks across
tenants. Billing without Stripe configured keeps working and says so."""

from __future__ import annotations

import pytest

from tenants import credits
from tenants.actors import Actor
from tenants.billing.models import CreditPack, CreditPurchase
from tests.factories import make_member, make_tenant, owner_of

SYSTEM = Actor.system()


@pytest.fixture
def unconfigured(settings):
    settings.STRIPE_API_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "page", "action"), [("admin", 200, 302), ("member", 403, 403), ("viewer", 403, 403)]
)
def test_billing_page_needs_manage_billing(client, packs, unconfigured, role, page, action):
    tenant = make_tenant()
    client.force_login(make_member(tenant, role=role))
    assert client.get("/billing/").status_code == page
    assert client.post("/billing/packs/buy/", {"pack": "pack-500"}).status_code == action
    assert client.post("/billing/subscribe/", {"plan": "pro"}).status_code == action
    assert client.post("/billing/portal/").status_code == action
    if page == 403:
        assert 'href="/billing/"' not in client.get("/dashboard/").content.decode()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/billing/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_page_shows_balance_plan_packs_ledger_and_not_configured(client, packs, unconfigured):
    tenant = make_tenant("Acme Bots", credits_amount=250)
    credits.reserve_credits(tenant=tenant, amount=7, reference="job-abc", actor=SYSTEM)
    client.force_login(owner_of(tenant))
    response = client.get("/billing/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Billing is not configured" in html
    assert f'id="credit-balance">{tenant.credit_balance}<' in html
    assert "Free" in html
    for pack in CreditPack.objects.all():
        assert pack.name in html and pack.price_display in html
    assert "$9.00" in html
    assert "job-abc" in html and "-7" in html and "Reserved for a job" in html
    assert 'href="/billing/"' in html  # the nav link for billing managers


@pytest.mark.django_db
def test_buying_without_stripe_says_so_and_keeps_the_page_working(client, packs, unconfigured):
    tenant = make_tenant()
    client.force_login(owner_of(tenant))
    response = client.post("/billing/packs/buy/", {"pack": "pack-500"}, follow=True)
    assert response.status_code == 200
    assert "Billing is not configured: set STRIPE_API_KEY" in response.content.decode()
    assert not CreditPurchase.objects.exists()


@pytest.mark.django_db
def test_unknown_pack_names_the_field_and_the_choices(client, packs, stripe_settings):
    tenant = make_tenant()
    client.force_login(owner_of(tenant))
    response = client.post("/billing/packs/buy/", {"pack": "pack-1"}, follow=True)
    assert "pack: Unknown credit pack &#x27;pack-1&#x27;" in response.content.decode()
    assert "pack-2000" in response.content.decode()


@pytest.mark.django_db
def test_ledger_is_paginated(client, packs, unconfigured):
    tenant = make_tenant()
    for i in range(30):
        credits.grant_credits(tenant=tenant, amount=1, reason=f"gift {i}", actor=SYSTEM)
    client.force_login(owner_of(tenant))
    first = client.get("/billing/").content.decode()
    second = client.get("/billing/?page=2").content.decode()
    assert "Page 1 of 2" in first and "gift 29" in first and "gift 0" not in first
    assert "gift 0" in second


@pytest.mark.django_db
def test_ledger_and_purchases_are_scoped_to_the_tenant(client, packs, unconfigured):
    tenant_a = make_tenant("Tenant A")
    tenant_b = make_tenant("Tenant B")
    credits.grant_credits(
        tenant=tenant_b, amount=42, reason="B secret grant", reference="pi_B_only", actor=SYSTEM
    )
    purchase_b = CreditPurchase.objects.create(
        tenant=tenant_b,
        pack=packs["pack-500"],
        credits=500,
        amount_cents=900,
        currency="usd",
        stripe_payment_id="pi_B_purchase",
    )
    client.force_login(owner_of(tenant_a))
    html = client.get("/billing/").content.decode()
    assert "pi_B_only" not in html and "B secret grant" not in html
    assert str(purchase_b.pk) not in html
    assert client.get(f"/billing/purchases/{purchase_b.pk}/").status_code == 404


@pytest.mark.django_db
def test_purchase_page_without_stripe_still_renders(client, packs, unconfigured):
    tenant = make_tenant()
    purchase = CreditPurchase.objects.create(
        tenant=tenant,
        pack=packs["pack-500"],
        credits=500,
        amount_cents=900,
        currency="usd",
        stripe_payment_id="pi_offline",
    )
    client.force_login(owner_of(tenant))
    response = client.get(f"/billing/purchases/{purchase.pk}/")
    assert response.status_code == 200
    assert "Billing is not configured" in response.content.decode()

"""The ledger invariant under everything billing does: the balance always equals the sum of the
entries and never goes below zero, whatever the order of grants, reservations, releases,
purchases and refunds. Extends tests/tenants/test_credits.py with the billing movements."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection

from core.errors import InsufficientCredits
from tenants import credits
from tenants.actors import Actor
from tenants.billing import fulfilment
from tenants.billing.models import CreditPurchase
from tenants.models import CreditEntry, Tenant
from tests.factories import make_tenant

SYSTEM = Actor.system()


def _assert_invariant(tenant: Tenant) -> None:
    tenant.refresh_from_db()
    assert tenant.credit_balance == credits.ledger_sum(tenant)
    assert tenant.credit_balance >= 0
    latest = CreditEntry.objects.filter(tenant=tenant).order_by("-created_at").first()
    if latest is not None:
        assert latest.balance_after == tenant.credit_balance


def _paid_purchase(tenant, pack, n: int) -> CreditPurchase:
    payment_id = f"pi_rand_{n}"
    CreditPurchase.objects.create(
        tenant=tenant,
        pack=pack,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        currency=pack.currency,
        stripe_payment_id=payment_id,
    )
    fulfilment.fulfil_credit_purchase(
        tenant=tenant,
        payment_id=payment_id,
        pack_slug=pack.slug,
        amount_cents=pack.price_cents,
        currency=pack.currency,
    )
    return CreditPurchase.objects.get(stripe_payment_id=payment_id)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(5))
def test_balance_equals_ledger_after_random_sequences(packs, seed):
    rng = random.Random(seed)
    tenant = make_tenant(credits_amount=50)
    held: list[str] = []
    purchases: list[CreditPurchase] = []
    for step in range(120):
        action = rng.choice(["grant", "reserve", "release", "settle", "buy", "refund", "replay"])
        if action == "grant":
            credits.grant_credits(
                tenant=tenant,
                amount=rng.randint(1, 40),
                reason="random grant",
                idempotency_key=f"g{rng.randint(0, 15)}",  # repeats are no-ops
                actor=SYSTEM,
            )
        elif action == "reserve":
            ref = f"job-{step}"
            try:
                credits.reserve_credits(
                    tenant=tenant, amount=rng.randint(1, 120), reference=ref, actor=SYSTEM
                )
                held.append(ref)
            except InsufficientCredits as exc:
                assert exc.status_code == 402
        elif action in ("release", "settle") and held:
            ref = held.pop(rng.randrange(len(held)))
            close = credits.release_credits if action == "release" else credits.settle_credits
            assert close(tenant=tenant, reference=ref, actor=SYSTEM)
            assert not close(tenant=tenant, reference=ref, actor=SYSTEM)
        elif action == "buy":
            purchases.append(_paid_purchase(tenant, packs["pack-500"], step))
        elif action == "refund" and purchases:
            purchase = rng.choice(purchases)
            purchase.refresh_from_db()
            refunded = min(
                purchase.amount_cents, purchase.amount_refunded_cents + rng.randint(1, 900)
            )
            fulfilment.claw_back_refund(
                purchase=purchase, charge_id=f"ch_{purchase.pk.hex}", amount_refunded_cents=refunded
            )
        elif action == "replay" and purchases:
            purchase = rng.choice(purchases)
            purchase.refresh_from_db()
            fulfilment.fulfil_credit_purchase(
                tenant=tenant,
                payment_id=purchase.stripe_payment_id,
                pack_slug=purchase.pack_id,
                amount_cents=purchase.amount_cents,
                currency=purchase.currency,
            )
            fulfilment.claw_back_refund(
                purchase=purchase,
                charge_id=f"ch_{purchase.pk.hex}",
                amount_refunded_cents=purchase.amount_refunded_cents,
            )
        _assert_invariant(tenant)
    for purchase in CreditPurchase.objects.filter(tenant=tenant):
        refunded_credits = (
            purchase.credits * purchase.amount_refunded_cents // purchase.amount_cents
        )
        assert purchase.credits_clawed_back + purchase.credits_shortfall == refunded_credits


@pytest.mark.django_db(transaction=True)
def test_reservations_racing_a_refund_for_the_last_credits(packs):
    """Two jobs and a refund claw-back race for the same last credits (PostgreSQL row locks):
    the balance never goes negative, exactly one job gets 402, and the ledger adds up."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this on PostgreSQL")
    tenant = make_tenant()
    Tenant.objects.filter(pk=tenant.pk).update(credit_balance=0)
    CreditEntry.objects.filter(tenant=tenant).delete()
    purchase = _paid_purchase(tenant, packs["pack-500"], 1)  # balance 500
    credits.reserve_credits(tenant=tenant, amount=250, reference="job-old", actor=SYSTEM)
    results: list[str] = []
    barrier = threading.Barrier(3)

    def reserve(ref):
        try:
            barrier.wait()
            credits.reserve_credits(tenant=tenant, amount=150, reference=ref, actor=SYSTEM)
            results.append("ok")
        except InsufficientCredits:
            results.append("402")
        finally:
            connection.close()

    def refund():
        try:
            barrier.wait()
            fulfilment.claw_back_refund(
                purchase=purchase, charge_id="ch_race", amount_refunded_cents=180
            )  # 100 credits due
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(f"job-{i}",)) for i in range(2)]
    threads.append(threading.Thread(target=refund))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 250 left: 150 + 150 cannot both fit; the claw-back takes what it can and records the rest.
    assert sorted(results) == ["402", "ok"]
    _assert_invariant(tenant)
    purchase.refresh_from_db()
    assert purchase.credits_clawed_back + purchase.credits_shortfall == 100
    assert tenant.credit_balance == 250 - 150 - purchase.credits_clawed_back

"""Drill: Stripe delivers every payment event several times, concurrently, over HTTP.

Events are signed with the real `Stripe-Signature` scheme (stripe's own helper). For each of
N credit-pack payments the drill sends `payment_intent.succeeded` three times and
`checkout.session.completed` (same payment) twice, all at once, to a gunicorn server.
Each pack's credits must be granted exactly once.

    python -m bench.drills.stripe_duplicates [--payments 20]
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.drills.common import (
    DrillResult,
    credit_drift,
    free_port,
    fresh_database,
    gunicorn,
    make_tenant,
    run_drill,
    setup_django,
)

WEBHOOK_SECRET = "whsec_drill_" + uuid.uuid4().hex
PACK = "pack-500"


def _events(tenant, payment_id: str, pack) -> list[dict]:
    metadata = {"tenant_id": str(tenant.pk), "pack_id": PACK}
    intent = {
        "id": payment_id,
        "object": "payment_intent",
        "amount": pack.price_cents,
        "amount_received": pack.price_cents,
        "currency": pack.currency,
        "status": "succeeded",
        "customer": tenant.stripe_customer_id,
        "metadata": metadata,
    }
    session = {
        "id": f"cs_{payment_id[3:]}",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": payment_id,
        "amount_total": pack.price_cents,
        "currency": pack.currency,
        "customer": tenant.stripe_customer_id,
        "metadata": metadata,
    }
    now = int(time.time())

    def event(kind, obj):
        return {
            "id": f"evt_{uuid.uuid4().hex[:20]}",
            "object": "event",
            "type": kind,
            "created": now,
            "livemode": False,
            "api_version": "2025-01-27.acacia",
            "data": {"object": obj},
        }

    pi_event, cs_event = (
        event("payment_intent.succeeded", intent),
        event("checkout.session.completed", session),
    )
    return [pi_event] * 3 + [cs_event] * 2  # redeliveries carry the same event id


def drill(payments: int, redis_url: str) -> DrillResult:
    env = {
        "DATABASE_URL": fresh_database("stripe"),
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "drill-stripe",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    setup_django(env)
    import stripe
    from django.db.models import Count

    from tenants.billing.catalog import ensure_builtin_packs
    from tenants.billing.models import CreditPack, CreditPurchase, StripeEvent
    from tenants.models import CreditEntry, Tenant

    ensure_builtin_packs(CreditPack)
    pack = CreditPack.objects.get(slug=PACK)
    tenant, _ = make_tenant("Stripe drill")
    Tenant.objects.filter(pk=tenant.pk).update(stripe_customer_id=f"cus_{tenant.pk.hex[:14]}")
    tenant.refresh_from_db()
    start_balance = tenant.credit_balance
    deliveries = []
    for _ in range(payments):
        deliveries += _events(tenant, f"pi_{uuid.uuid4().hex[:20]}", pack)
    random.Random(3).shuffle(deliveries)

    port = free_port()
    server = gunicorn(env, port, log="stripe-gunicorn.log")
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def deliver(event: dict) -> None:
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
        for _attempt in range(5):  # Stripe retries anything but 2xx
            try:
                response = requests.post(
                    f"http://127.0.0.1:{port}/billing/stripe/webhook/",
                    data=payload,
                    headers={"Content-Type": "application/json", "Stripe-Signature": header},
                    timeout=30,
                )
                code = response.status_code
            except requests.RequestException:
                code = 599
            with lock:
                statuses[code] = statuses.get(code, 0) + 1
            if 200 <= code < 300:
                return
            time.sleep(0.2)

    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            list(pool.map(deliver, deliveries))
    finally:
        server.stop()

    purchases = CreditEntry.objects.filter(tenant=tenant, kind="purchase")
    per_payment = purchases.values("reference").annotate(c=Count("pk"))
    duplicated = sum(row["c"] - 1 for row in per_payment if row["c"] > 1)
    credited_payments = per_payment.count()
    drift = credit_drift(tenant, expected_balance=start_balance + payments * pack.credits)
    return DrillResult(
        name="duplicate Stripe webhooks",
        jobs_lost=payments - credited_payments,  # payments never credited
        jobs_duplicated=duplicated,
        credit_drift=drift["drift"],
        details={
            "payments": payments,
            "deliveries": len(deliveries),
            "http_statuses": statuses,
            "events_stored": StripeEvent.objects.count(),
            "purchases": CreditPurchase.objects.filter(tenant=tenant).count(),
            "credits": drift,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=20)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    run_drill("duplicate Stripe webhooks", lambda: drill(args.payments, args.redis_url))


if __name__ == "__main__":
    main()

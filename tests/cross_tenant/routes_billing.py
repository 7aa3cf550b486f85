"""Billing: a credit purchase addressed by id (the pages themselves take no ids)."""

from tenants.billing.catalog import ensure_builtin_packs
from tenants.billing.models import CreditPack, CreditPurchase
from tests.cross_tenant.registry import Route, register


def _purchase(tenant):
    ensure_builtin_packs(CreditPack)
    purchase = CreditPurchase.objects.create(
        tenant=tenant,
        pack=CreditPack.objects.get(slug="pack-500"),
        credits=500,
        amount_cents=900,
        currency="usd",
        stripe_payment_id=f"pi_{tenant.pk.hex}",
    )
    return {"purchase_id": purchase.pk}


register(Route("billing_purchase", _purchase, ok_statuses=(200,)))

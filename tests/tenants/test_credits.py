import threading

import pytest
from django.db import connection

from core.errors import InsufficientCredits
from tenants import credits
from tenants.actors import Actor
from tenants.models import CreditEntry, Tenant
from tests.factories import make_tenant

SYSTEM = Actor.system()


def _check(tenant):
    tenant.refresh_from_db()
    assert tenant.credit_balance == credits.ledger_sum(tenant)


@pytest.mark.django_db
def test_reserve_settle_release_are_exactly_once():
    tenant = make_tenant(credits_amount=10)
    balance0 = tenant.credit_balance
    credits.reserve_credits(tenant=tenant, amount=4, reference="job-1", actor=SYSTEM)
    credits.reserve_credits(tenant=tenant, amount=4, reference="job-1", actor=SYSTEM)  # repeat
    assert tenant.credit_balance == balance0 - 4
    assert credits.settle_credits(tenant=tenant, reference="job-1", actor=SYSTEM)
    assert not credits.release_credits(tenant=tenant, reference="job-1", actor=SYSTEM)
    credits.reserve_credits(tenant=tenant, amount=3, reference="job-2", actor=SYSTEM)
    assert credits.release_credits(tenant=tenant, reference="job-2", actor=SYSTEM)
    assert not credits.release_credits(tenant=tenant, reference="job-2", actor=SYSTEM)
    tenant.refresh_from_db()
    assert tenant.credit_balance == balance0 - 4
    _check(tenant)


@pytest.mark.django_db
def test_insufficient_credits_says_balance_and_cost():
    tenant = make_tenant()
    Tenant.objects.filter(pk=tenant.pk).update(credit_balance=0)
    CreditEntry.objects.filter(tenant=tenant).delete()
    with pytest.raises(InsufficientCredits) as info:
        credits.reserve_credits(tenant=tenant, amount=5, reference="j", actor=SYSTEM)
    assert info.value.extra == {"balance": 0, "cost": 5}


@pytest.mark.django_db
def test_grants_are_idempotent_by_key():
    tenant = make_tenant()
    before = tenant.credit_balance
    assert credits.grant_credits(
        tenant=tenant, amount=50, reason="pack", idempotency_key="pi_1", actor=SYSTEM
    )
    assert (
        credits.grant_credits(
            tenant=tenant, amount=50, reason="pack", idempotency_key="pi_1", actor=SYSTEM
        )
        is None
    )
    tenant.refresh_from_db()
    assert tenant.credit_balance == before + 50
    _check(tenant)


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_overdraw():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this on PostgreSQL")
    tenant = make_tenant()
    Tenant.objects.filter(pk=tenant.pk).update(credit_balance=0)
    CreditEntry.objects.filter(tenant=tenant).delete()
    credits.grant_credits(tenant=tenant, amount=5, reason="last credits", actor=SYSTEM)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def reserve(ref):
        try:
            barrier.wait()
            credits.reserve_credits(tenant=tenant, amount=5, reference=ref, actor=SYSTEM)
            results.append("ok")
        except InsufficientCredits:
            results.append("402")
        finally:
            connection.close()  # thread-local connection; leaks would block test DB teardown

    threads = [threading.Thread(target=reserve, args=(f"job-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["402", "ok"]
    _check(tenant)
    assert tenant.credit_balance == 0

"""Low-balance notices: email to owners/admins plus a `credits.low` webhook, once a day."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from generation.models import WebhookDelivery, WebhookEndpoint
from tenants import credits
from tenants.actors import Actor
from tenants.billing.notifications import (
    maybe_notify_low_balance,
    notice_cache_key,
    notify_if_low,
)
from tests.factories import make_member, make_tenant

SYSTEM = Actor.system()


@pytest.fixture
def low_tenant(db, settings):
    settings.AVATARSAAS_LOW_BALANCE_THRESHOLD = 20
    tenant = make_tenant("Acme Bots", credits_amount=30)
    cache.delete(notice_cache_key(tenant.pk))
    yield tenant
    cache.delete(notice_cache_key(tenant.pk))


def _reserve(tenant, amount, ref):
    credits.reserve_credits(tenant=tenant, amount=amount, reference=ref, actor=SYSTEM)


def test_notice_after_reservation_goes_to_owners_and_admins_once_a_day(
    low_tenant, mailoutbox, django_capture_on_commit_callbacks
):
    admin = make_member(low_tenant, role="admin")
    member = make_member(low_tenant, role="member")
    WebhookEndpoint.objects.create(
        tenant=low_tenant, url="https://example.com/hook", secret="whsec_x", events=["credits.low"]
    )
    balance = low_tenant.credit_balance
    _reserve(low_tenant, balance - 25, "job-1")  # 25 left: above the threshold
    with django_capture_on_commit_callbacks(execute=True):
        maybe_notify_low_balance(low_tenant)
    assert mailoutbox == []

    _reserve(low_tenant, 10, "job-2")  # 15 left
    with django_capture_on_commit_callbacks(execute=True):
        maybe_notify_low_balance(low_tenant)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert admin.email in message.to and member.email not in message.to
    assert len(message.to) == 2  # the owner and the admin
    assert "15 AvatarSaaS credits left" in message.subject
    assert "/billing/" in message.body
    delivery = WebhookDelivery.objects.get(tenant=low_tenant)
    assert delivery.event_type == "credits.low"
    assert delivery.payload["data"]["balance"] == 15
    assert delivery.payload["data"]["tenant_id"] == str(low_tenant.pk)

    _reserve(low_tenant, 5, "job-3")  # still low: no second notice today
    with django_capture_on_commit_callbacks(execute=True):
        maybe_notify_low_balance(low_tenant)
    assert len(mailoutbox) == 1
    assert WebhookDelivery.objects.filter(tenant=low_tenant).count() == 1


def test_the_once_a_day_key_is_per_tenant(low_tenant, mailoutbox):
    other = make_tenant("Globex")
    cache.delete(notice_cache_key(other.pk))
    _reserve(low_tenant, low_tenant.credit_balance - 1, "job-1")
    _reserve(other, other.credit_balance - 5, "job-1")
    assert notify_if_low(low_tenant.pk) is True
    assert notify_if_low(low_tenant.pk) is False
    assert notify_if_low(other.pk) is True
    assert len(mailoutbox) == 2
    assert str(low_tenant.pk) in notice_cache_key(low_tenant.pk)
    cache.delete(notice_cache_key(other.pk))


def test_rolled_back_reservation_sends_nothing(low_tenant, mailoutbox):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _reserve(low_tenant, low_tenant.credit_balance, "job-1")
        maybe_notify_low_balance(low_tenant)
        raise RuntimeError("job submit failed after the reservation")
    assert mailoutbox == []


def test_a_cache_outage_skips_the_notice_instead_of_failing_the_submit(
    low_tenant, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    from tests.factories import api_client_for

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    _reserve(low_tenant, low_tenant.credit_balance - 15, "job-1")  # low already
    monkeypatch.setattr(cache, "add", down)
    assert notify_if_low(low_tenant.pk) is False and mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_client_for(low_tenant).post(
            "/api/v1/jobs/", {"description": "a robot", "engine": "vector", "n": 1}, format="json"
        )
    assert response.status_code == 201, response.content
    assert callbacks  # the notice check did run after the commit

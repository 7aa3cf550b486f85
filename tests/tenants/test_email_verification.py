"""Welcome credits only for a verified address: sign-up emails a signed, expiring link; using
it grants the credits once; the dashboard says what to do and can send the link again."""

import re
import time

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client

from tenants import verification
from tenants.models import AuditEvent, CreditEntry, EmailVerification, Tenant
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks, mailoutbox):
    """`with sent():` runs the emails queued for after commit (the test wraps a transaction)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _sign_up(client, email="ana@example.com", name="Ana's Bots", sent=None, **extra):
    data = {"email": email, "password": PASSWORD, "tenant_name": name}
    if sent is None:
        return client.post("/signup/", data, **extra)
    with sent():
        return client.post("/signup/", data, **extra)


def _link_path(mail) -> str:
    return re.search(r"https?://[^/\s]+(/verify-email/[^\s]+/)", mail.body).group(1)


def test_signing_up_grants_no_credits_until_the_email_is_verified(client, mailoutbox):
    _sign_up(client, email="farm1@example.com", name="Farm")
    tenant = Tenant.objects.get(slug="farm")
    # An address nobody reads must be worth nothing: the attack was a script that signs up
    # with throwaway addresses for 100 free credits each.
    assert tenant.credit_balance == 0
    assert not CreditEntry.objects.filter(tenant=tenant).exists()


def test_the_emailed_link_grants_the_welcome_credits_once(client, mailoutbox, sent):
    _sign_up(client, sent=sent)
    tenant = Tenant.objects.get(slug="anas-bots")
    path = _link_path(mailoutbox[0])

    page = client.get(path)  # shows what will be confirmed; a GET changes nothing
    assert page.status_code == 200 and b"ana@example.com" in page.content
    assert Tenant.objects.get(pk=tenant.pk).credit_balance == 0

    confirmed = client.post(path)
    assert confirmed.status_code == 302 and confirmed["Location"] == "/dashboard/"
    tenant.refresh_from_db()
    assert tenant.credit_balance == tenant.plan.signup_credits > 0
    assert AuditEvent.objects.filter(tenant=tenant, action="user.email_verified").exists()
    dashboard = client.get("/dashboard/")
    assert b'id="verify-email"' not in dashboard.content
    assert b"free credits were added" in dashboard.content

    # Clicking again, from another browser, or after a resend: still one grant.
    assert Client().post(path).status_code == 302
    tenant.refresh_from_db()
    assert tenant.credit_balance == tenant.plan.signup_credits
    assert CreditEntry.objects.filter(tenant=tenant).count() == 1


def test_an_expired_link_grants_nothing(client, mailoutbox, sent, monkeypatch, settings):
    _sign_up(client, sent=sent)
    path = _link_path(mailoutbox[0])
    later = time.time() + settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(path)
    assert response.status_code == 400 and b"expired" in response.content
    assert Tenant.objects.get(slug="anas-bots").credit_balance == 0


def test_a_forged_or_foreign_link_grants_nothing(client, mailoutbox):
    _sign_up(client)
    pending = EmailVerification.objects.get()
    forged = signing.dumps({"u": pending.user_id, "e": pending.email}, salt="some-other-salt")
    assert client.post(f"/verify-email/{forged}/").status_code == 404
    # A correctly signed link for another address does not verify this user.
    other = signing.dumps({"u": pending.user_id, "e": "x@example.com"}, salt=verification.SALT)
    assert client.post(f"/verify-email/{other}/").status_code == 404
    assert EmailVerification.objects.get().verified_at is None
    assert Tenant.objects.get(slug="anas-bots").credit_balance == 0


def test_the_dashboard_explains_and_resends(client, mailoutbox, sent):
    _sign_up(client, sent=sent)
    dashboard = client.get("/dashboard/").content.decode()
    assert "Confirm your email address" in dashboard and "ana@example.com" in dashboard
    assert "free credits" in dashboard
    EmailVerification.objects.update(last_sent_at=None)
    with sent():
        response = client.post("/verify-email-again/", follow=True)
    assert "We sent a new confirmation link" in response.content.decode()
    assert len(mailoutbox) == 2 and _link_path(mailoutbox[1])
    # At most one email a minute.
    response = client.post("/verify-email-again/", follow=True)
    assert "less than a minute ago" in response.content.decode()
    assert len(mailoutbox) == 2


def test_sign_up_is_throttled_per_address(client, settings):
    cache.clear()
    settings.SIGNUP_THROTTLE_PER_IP = 3
    for i in range(3):
        assert _sign_up(Client(), email=f"bot{i}@example.com", name=f"Bot {i}").status_code == 302
    refused = _sign_up(Client(), email="bot9@example.com", name="Bot 9")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not Tenant.objects.filter(name="Bot 9").exists()
    # Another address is not affected.
    other = _sign_up(Client(), email="real@example.com", name="Real", REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 302
    cache.clear()


def test_the_seeded_demo_user_has_nothing_to_confirm(client):
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    tenant = Tenant.objects.get(slug="demo")
    assert tenant.credit_balance == tenant.plan.signup_credits > 0
    assert client.login(username="demo@avatarsaas.local", password="demo-avatars-2026")
    assert b'id="verify-email"' not in client.get("/dashboard/").content

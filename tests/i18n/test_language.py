"""Choosing the language: Accept-Language on the first visit, the header switcher (cookie and
profile), the profile winning in a fresh browser, emails in the recipient's language, and API
error messages in the asked-for language with their codes unchanged."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tenants.language import language_of, remember_language
from tenants.models import UserProfile
from tests.api.conftest import key_client
from tests.factories import PASSWORD, make_member, make_tenant, make_user, owner_of

pytestmark = pytest.mark.django_db


def _signed_in(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def test_first_visit_follows_accept_language():
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").get(reverse("login"))
    assert '<html lang="zh-hans">' in zh.content.decode()
    assert "忘记密码？" in zh.content.decode()
    assert zh["Content-Language"] == "zh-hans"
    en = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").get(reverse("login"))
    assert '<html lang="en">' in en.content.decode()
    assert "Forgot your password?" in en.content.decode() and "忘记密码" not in en.content.decode()
    # A language the product does not speak falls back to English.
    fr = Client(HTTP_ACCEPT_LANGUAGE="fr-FR").get(reverse("login"))
    assert '<html lang="en">' in fr.content.decode()


def test_the_switcher_sets_the_cookie_and_the_profile(tenant):
    owner = owner_of(tenant)
    client = _signed_in(owner)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'action="/i18n/setlang/"' in page and 'name="language"' in page  # in the header
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": reverse("dashboard")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert UserProfile.objects.get(user=owner).language == "zh-hans"
    assert "概览" in client.get(reverse("dashboard")).content.decode()

    # Another browser, which prefers English and has no cookie, still gets the saved choice.
    other = _signed_in(owner, HTTP_ACCEPT_LANGUAGE="en")
    html = other.get(reverse("dashboard")).content.decode()
    assert '<html lang="zh-hans">' in html and "概览" in html


def test_the_switcher_works_signed_out_and_refuses_unknown_languages():
    client = Client()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert "登录" in client.get(reverse("login")).content.decode()
    client.post(reverse("set_language"), {"language": "xx", "next": "/login/"})
    assert "登录" in client.get(reverse("login")).content.decode()  # unchanged
    assert client.get(reverse("set_language")).status_code == 405  # POST only (CSRF-protected)
    # `next` never leads off the site.
    away = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/phish"}
    )
    assert away.status_code == 302 and "evil.example" not in away["Location"]


def test_signing_in_remembers_the_language_in_use_once():
    user = make_user()
    credentials = {"username": user.username, "password": PASSWORD}
    assert not UserProfile.objects.filter(user=user).exists()
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").post(reverse("login"), credentials)
    assert response.status_code == 302
    assert language_of(user) == "zh-hans"
    # A later sign-in from an English browser does not overwrite an earlier choice.
    Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("login"), credentials)
    assert UserProfile.objects.get(user=user).language == "zh-hans"


def test_invitation_email_uses_the_invitee_language(tenant, django_capture_on_commit_callbacks):
    invitee = make_user("lin@example.com")
    remember_language(invitee, "zh-hans")
    owner = owner_of(tenant)
    client = _signed_in(owner, HTTP_ACCEPT_LANGUAGE="en")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("invite_member"), {"email": "lin@example.com", "role": "member"})
        client.post(reverse("invite_member"), {"email": "new@example.com", "role": "viewer"})
    to_lin, to_new = mail.outbox[-2], mail.outbox[-1]
    assert to_lin.to == ["lin@example.com"] and "您受邀加入" in to_lin.subject
    assert "成员" in to_lin.body
    # No account yet: the sender's language (English here).
    assert to_new.subject.startswith("You are invited to") and "Viewer" in to_new.body


def test_password_reset_email_in_the_account_language():
    user = make_user("reset@example.com")
    remember_language(user, "zh-hans")
    Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("password_reset"), {"email": user.email})
    assert len(mail.outbox) == 1
    assert "重置" in mail.outbox[0].subject + mail.outbox[0].body


def test_low_balance_notice_goes_out_once_per_language(settings):
    from tenants.billing.notifications import notify_if_low
    from tenants.models import Tenant

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    tenant = make_tenant()
    remember_language(owner_of(tenant), "zh-hans")
    make_member(tenant, role="admin", email="admin-en@example.com")
    Tenant.objects.filter(pk=tenant.pk).update(credit_balance=1)
    assert notify_if_low(tenant.pk) is True
    by_subject = {m.subject: m.to for m in mail.outbox}
    zh = [s for s in by_subject if "额度仅剩" in s]
    en = [s for s in by_subject if "credits left" in s]
    assert len(zh) == 1 and by_subject[zh[0]] == [owner_of(tenant).email]
    assert len(en) == 1 and by_subject[en[0]] == ["admin-en@example.com"]


def test_prices_and_dates_follow_the_locale():
    from django.utils import translation

    from tenants.billing.money import format_money

    with translation.override("en"):
        assert format_money(129000, "usd") == "$1,290.00"
    with translation.override("zh-hans"):
        assert format_money(2900, "usd") == "US$29.00"
        assert format_money(2900, "cny") == "¥29.00"
    assert format_money(500, "jpy", language="en") == "¥500"  # zero-decimal currency


def test_api_error_message_follows_accept_language_and_code_stays(db):
    from tenants.models import Tenant

    tenant = make_tenant()
    Tenant.objects.filter(pk=tenant.pk).update(credit_balance=0)  # the service's own 402
    client = key_client(tenant)
    body = {"description": "a robot", "engine": "vector"}
    response = client.post("/api/v1/jobs/", body, format="json")
    assert response.status_code == 402, response.content
    en = response.json()["error"]
    zh = client.post(
        "/api/v1/jobs/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"
    ).json()["error"]
    assert en["code"] == zh["code"] == "insufficient_credits"
    assert en["message"].startswith("Not enough credits")
    assert zh["message"].startswith("额度不足")

    # A serializer's field error (DRF's own catalog) and the field path stay the same.
    bad = {"description": "a robot", "n": 99}
    zh = client.post("/api/v1/jobs/", bad, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN").json()
    assert zh["error"]["code"] == "invalid" and zh["error"]["field"] == "n"
    assert zh["error"]["message"].startswith("n: ") and "Ensure" not in zh["error"]["message"]

    anonymous = APIClient().get("/api/v1/jobs/", HTTP_ACCEPT_LANGUAGE="zh-CN").json()["error"]
    assert anonymous["code"] == "not_authenticated"
    assert anonymous["message"] != "Authentication credentials were not provided."
    missing = APIClient().get("/api/v1/nope/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert missing.json()["error"]["code"] == "not_found"
    assert "没有对应的 API 接口" in missing.json()["error"]["message"]
    assert "Accept-Language" in missing["Vary"]

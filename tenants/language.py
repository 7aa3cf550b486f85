"""The language a person reads the product in.

A signed-in user's choice lives on their `UserProfile` (so it follows them to another browser and
decides the language of their emails) and in Django's language cookie. Before anyone chooses,
`LocaleMiddleware` follows the cookie, then `Accept-Language`.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from tenants.models import UserProfile


def supported(code: str | None) -> str | None:
    """The settings.LANGUAGES code for `code` (case-insensitive, zh-CN style variants resolved
    by Django's fallback rules), or None when the product does not speak it."""
    if not code:
        return None
    try:
        resolved = translation.get_supported_language_variant(code.lower())
    except LookupError:
        return None
    return resolved if resolved in dict(settings.LANGUAGES) else None


def language_of(user) -> str:
    """The user's chosen language; without one, the language active now (the request's, when a
    person's action sends the email), else the site default (workers)."""
    code = None
    if user is not None and getattr(user, "pk", None):
        code = UserProfile.objects.filter(user=user).values_list("language", flat=True).first()
    return supported(code) or supported(translation.get_language()) or settings.LANGUAGE_CODE


def language_for_email(address: str) -> str:
    """The language of whoever owns `address`, for mail to people who may have no account yet
    (an invitation): theirs if they have one, else the sender's."""
    user = get_user_model().objects.filter(email__iexact=address).first()
    return language_of(user)


def remember_language(user, code: str) -> None:
    code = supported(code)
    if code is None:
        return
    UserProfile.objects.update_or_create(user=user, defaults={"language": code})


def remember_first_language(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: someone who never picked a language keeps the one they signed
    in with, so emails reach them in the language they read the product in. Only a real request
    counts (LocaleMiddleware set its language); a sign-in made in code (tests, scripts) has
    none to remember."""
    code = supported(getattr(request, "LANGUAGE_CODE", None))
    if code and not UserProfile.objects.filter(user=user).exclude(language="").exists():
        remember_language(user, code)


def forget_request_language(sender, **kwargs) -> None:
    """request_finished receiver: LocaleMiddleware activates a language per request and never
    deactivates it; work this thread does next outside a request (an in-process job, a
    management command's service call) must not inherit the last visitor's language."""
    translation.deactivate()


@contextlib.contextmanager
def in_language_of(user):
    """Render emails (subjects and bodies) for `user` in their language."""
    with translation.override(language_of(user)):
        yield


def by_language(users) -> dict[str, list]:
    """Group recipients by language, so a notice goes out once per language."""
    groups: dict[str, list] = {}
    for user in users:
        groups.setdefault(language_of(user), []).append(user)
    return groups


class UserLanguageMiddleware:
    """After authentication: a signed-in user's saved language beats the cookie and the
    browser, so switching in one browser switches every browser they use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            code = supported(
                UserProfile.objects.filter(user=user).values_list("language", flat=True).first()
            )
            if code:
                translation.activate(code)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)

"""`Authorization: Bearer ask_<prefix>_<secret>`: look the key up by prefix, compare the secret's
hash in constant time, and attach the key and its tenant to the request."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from tenants import auth_cache
from tenants.models import ApiKey, hash_token

LAST_USED_RESOLUTION = timedelta(seconds=60)
_DUMMY_HASH = hash_token("no-such-key")


class ApiKeyUser:
    """The request.user of an API-key request: authenticated, but not a person or staff."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_active = True
    pk = None
    id = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"

    def has_perm(self, *args, **kwargs) -> bool:
        return False


def parse_key(raw: str) -> tuple[str, str] | None:
    marker = f"{settings.AVATARSAAS_API_KEY_PREFIX}_"
    if not raw.startswith(marker):
        return None
    rest = raw[len(marker) :]
    prefix, sep, secret = rest.partition("_")
    if not sep or len(prefix) != 8 or not secret:
        return None
    return prefix, secret


def find_valid_key(raw: str) -> ApiKey:
    parsed = parse_key(raw)
    if parsed is None:
        raise exceptions.AuthenticationFailed("Malformed API key: expected ask_<prefix>_<secret>.")
    prefix, secret = parsed
    key = auth_cache.get(prefix)
    if key is None:
        key = ApiKey.objects.select_related("tenant", "tenant__plan").filter(prefix=prefix).first()
        if key is not None:
            auth_cache.put(key)
    # Compare even when the prefix is unknown so timing does not reveal which prefixes exist.
    expected = key.secret_hash if key is not None else _DUMMY_HASH
    if not hmac.compare_digest(expected, hash_token(secret)) or key is None:
        raise exceptions.AuthenticationFailed("Invalid API key.")
    if key.revoked_at is not None:
        raise exceptions.AuthenticationFailed("This API key has been revoked.")
    if key.is_expired:
        raise exceptions.AuthenticationFailed("This API key has expired.")
    if not key.tenant.is_active:
        raise exceptions.AuthenticationFailed("This workspace is suspended.")
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword != self.keyword:
            return None
        key = find_valid_key(raw.strip())
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            # One write a minute per key at most: keeps hot keys from hammering one row.
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
            auth_cache.put(key)  # else a cached row would ask for this write on every request
        request._request.tenant = key.tenant
        request._request.api_key = key
        return ApiKeyUser(key), key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'

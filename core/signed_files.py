"""Signed URLs for stored files: the signature is the grant, and it carries its expiry.

`/files/<storage name>?e=<expiry>&s=<signature>` is served to whoever holds it until the expiry
(a CDN in front may cache it), without a session or key. The signature is an HMAC of the name
and the expiry under the server secret, so it grants exactly one file (the name holds the
workspace) until exactly that time; any change to either answers 403.

Expiries are rounded up to the end of the next TTL window, so every URL for one file is the
same for a whole window (a browser or CDN cache hit on the next page view) and stays valid for
between one and two TTLs. Files are immutable under their names, so the response may be cached
for a year by the client that fetched it; shared caches keep it only until the expiry.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

PREFIX = "/files/"


class BadSignature(Exception):
    """Missing, malformed, tampered or expired."""


def ttl_seconds() -> int:
    return max(60, int(getattr(settings, "AVATARSAAS_FILE_URL_TTL", 3600)))


def expiry_for(now: float | None = None) -> int:
    ttl = ttl_seconds()
    now = time.time() if now is None else now
    return (int(now) // ttl + 2) * ttl


def signature(name: str, expiry: int) -> str:
    return salted_hmac("avatarsaas.files.url", f"{name}\n{expiry}", algorithm="sha256").hexdigest()


def signed_path(name: str, *, now: float | None = None) -> str:
    expiry = expiry_for(now)
    query = urlencode({"e": expiry, "s": signature(name, expiry)})
    return f"{PREFIX}{quote(name)}?{query}"


def check(name: str, expiry: str | None, sig: str | None, *, now: float | None = None) -> int:
    """The expiry (unix seconds) of a valid signature for `name`; else BadSignature."""
    if not expiry or not sig or not expiry.isdigit() or len(expiry) > 12:
        raise BadSignature(gettext("missing or malformed signature"))
    exp = int(expiry)
    if not constant_time_compare(sig, signature(name, exp)):
        raise BadSignature(gettext("signature does not match this file"))
    if exp <= (time.time() if now is None else now):
        raise BadSignature(gettext("link expired"))
    return exp

"""Who is acting: a signed-in user or an API key, with the caller's IP for the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.client_ip import client_ip as resolve_client_ip
from tenants.models import ApiKey

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | None = None
    api_key: ApiKey | None = None
    ip: str | None = None

    @classmethod
    def from_request(cls, request) -> Actor:
        api_key = getattr(request, "api_key", None) or getattr(request, "auth", None)
        if not isinstance(api_key, ApiKey):
            api_key = None
        user = getattr(request, "user", None)
        if user is not None and not getattr(user, "is_authenticated", False):
            user = None
        if api_key is not None:
            user = None  # the key, not a person, is the actor
        return cls(user=user, api_key=api_key, ip=client_ip(request))

    @classmethod
    def system(cls) -> Actor:
        return cls()

    @property
    def label(self) -> str:
        if self.api_key is not None:
            return f"api_key:{self.api_key.prefix}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        return "system"


def client_ip(request) -> str | None:
    # core.client_ip applies the trusted-proxy settings (X-Forwarded-For, rightmost untrusted).
    return resolve_client_ip(request) or None

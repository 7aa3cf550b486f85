"""Sign-in and sign-up throttles, counted in the shared cache against the client address from
``core.client_ip`` (never the proxy's, which would make every limit one global counter).

Sign-in: three counters of *failed* attempts (a success clears its account's), so a user who
mistypes once is never shut out with an attacker.

* per account and address: ``LOGIN_THROTTLE_PER_USER`` per window, then 429 until the window
  ends. A hard limit, but only for the address that failed.
* per address: ``LOGIN_THROTTLE_PER_IP`` per window, any accounts (one address spraying many).
* per account, from any address: after ``LOGIN_THROTTLE_PER_ACCOUNT`` failures, a progressive
  delay and never a lock. One attempt goes through, the next only after 1 s, then 2 s, 4 s ...
  up to ``LOGIN_ACCOUNT_MAX_DELAY_SECONDS``; in between the answer is 429 with Retry-After. A
  browser that signed in to the account before carries a signed "known device" cookie and
  skips this delay, so a distributed campaign against a named account slows the guessers, not
  the owner (OWASP's device-cookie scheme). The failures are forgotten a day after the last.

Sign-up: ``SIGNUP_THROTTLE_PER_IP`` attempts per address per ``SIGNUP_THROTTLE_WINDOW_SECONDS``.

A cache outage fails open (logged), like the API rate limiter.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.crypto import salted_hmac

from core.client_ip import client_ip
from core.hybrid_middleware import HybridMiddleware

logger = logging.getLogger(__name__)

LOGIN_VIEWS = {"login", "admin:login"}
SIGNUP_VIEWS = {"signup"}
DEVICE_COOKIE = "avatarsaas_device"
DEVICE_COOKIE_MAX_AGE = 180 * 24 * 3600
ACCOUNT_MEMORY_SECONDS = 24 * 3600
_DEVICE_SALT = "avatarsaas.auth_throttle.device"


def _too_many(message: str, retry_after: int) -> HttpResponse:
    response = HttpResponse(message, status=429, content_type="text/plain")
    response["Retry-After"] = str(max(1, int(retry_after)))
    return response


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _window() -> tuple[int, int]:
    """(window length, seconds until it ends)."""
    window = int(settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    return window, window - int(time.time()) % window


def account_id(username: str) -> str:
    # A keyed hash: cache keys and cookies never carry the email address itself.
    return salted_hmac(_DEVICE_SALT, username.strip().lower()[:150]).hexdigest()[:32]


def device_cookie_value(username: str) -> str:
    return signing.dumps(account_id(username), salt=_DEVICE_SALT)


@dataclass
class LoginAttempt:
    ip: str
    account: str
    known_device: bool

    @classmethod
    def from_request(cls, request) -> LoginAttempt:
        account = account_id(request.POST.get("username") or "")
        try:
            seen = signing.loads(
                request.COOKIES.get(DEVICE_COOKIE, ""),
                salt=_DEVICE_SALT,
                max_age=DEVICE_COOKIE_MAX_AGE,
            )
        except signing.BadSignature:
            seen = None
        return cls(ip=client_ip(request), account=account, known_device=seen == account)

    def window_keys(self) -> list[tuple[str, int]]:
        window, _ = _window()
        number = int(time.time() // window)
        per_user = f"login-fail:user:{self.account}:{self.ip}:{number}"
        return [
            (per_user, settings.LOGIN_THROTTLE_PER_USER),
            (f"login-fail:ip:{self.ip}:{number}", settings.LOGIN_THROTTLE_PER_IP),
        ]

    @property
    def account_failures_key(self) -> str:
        return f"login-fail:account:{self.account}"

    @property
    def account_gate_key(self) -> str:
        return f"login-gate:account:{self.account}"

    def refusal(self) -> HttpResponse | None:
        """A 429 if this attempt must wait, else None (and the attempt takes its slot)."""
        if any((cache.get(key) or 0) >= limit for key, limit in self.window_keys()):
            return _too_many("Too many failed sign-in attempts. Try again later.", _window()[1])
        wait = self._account_wait()
        if wait:
            return _too_many(
                "This account has had many failed sign-in attempts; wait "
                f"{wait} s before the next try, or reset your password.",
                wait,
            )
        return None

    def _account_wait(self) -> int:
        limit = int(settings.LOGIN_THROTTLE_PER_ACCOUNT)
        failures = cache.get(self.account_failures_key) or 0
        if self.known_device or failures < limit:
            return 0
        delay = min(int(settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS), 2 ** min(failures - limit, 30))
        now = time.time()
        # add() is atomic: of concurrent attempts exactly one takes the slot, the rest wait.
        if cache.add(self.account_gate_key, now + delay, timeout=delay):
            return 0
        until = cache.get(self.account_gate_key) or now + 1
        return max(1, math.ceil(until - now))

    def failed(self) -> None:
        window, _ = _window()
        for key, _limit in self.window_keys():
            _incr(key, window + 5)
        _incr(self.account_failures_key, ACCOUNT_MEMORY_SECONDS)
        cache.touch(self.account_failures_key, ACCOUNT_MEMORY_SECONDS)

    def succeeded(self) -> None:
        cache.delete_many(
            [self.window_keys()[0][0], self.account_failures_key, self.account_gate_key]
        )


class LoginThrottleMiddleware(HybridMiddleware):
    blocking = True  # counts sign-in attempts in the cache

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name not in LOGIN_VIEWS:
            return None
        try:
            attempt = LoginAttempt.from_request(request)
            refusal = attempt.refusal()
        except Exception:  # noqa: BLE001 - a cache outage must not stop sign-ins
            logger.warning("cache unavailable: login throttle skipped")
            return None
        if refusal is not None:
            return refusal  # a refusal is not another failure
        request.login_attempt = attempt
        return None

    def after(self, request, response):
        attempt = getattr(request, "login_attempt", None)
        if attempt is None:
            return response
        try:
            if response.status_code == 200:  # the form came back with errors: a failure
                attempt.failed()
            elif response.status_code in (301, 302, 303):
                attempt.succeeded()
                self._remember_device(request, response)
        except Exception:  # noqa: BLE001 - never turn a sign-in into a 500 over the counter
            logger.warning("cache unavailable: sign-in attempt not counted")
        return response

    @staticmethod
    def _remember_device(request, response) -> None:
        response.set_cookie(
            DEVICE_COOKIE,
            device_cookie_value(request.POST.get("username") or ""),
            max_age=DEVICE_COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


class SignupThrottleMiddleware(HybridMiddleware):
    """Every sign-up POST counts (successful or not: failures probe which emails exist)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name not in SIGNUP_VIEWS:
            return None
        window = int(settings.SIGNUP_THROTTLE_WINDOW_SECONDS)
        number = int(time.time() // window)
        try:
            count = _incr(f"signup:ip:{client_ip(request)}:{number}", window + 5)
        except Exception:  # noqa: BLE001 - fail open, like the other limits
            logger.warning("cache unavailable: sign-up throttle skipped")
            return None
        if count > int(settings.SIGNUP_THROTTLE_PER_IP):
            return _too_many(
                "Too many sign-ups from your network. Try again later.",
                window - int(time.time()) % window,
            )
        return None

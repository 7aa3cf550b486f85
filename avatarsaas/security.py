"""Hardening middleware: Content-Security-Policy, admin IP allowlist, login throttling and a
request body cap. Django's SecurityMiddleware covers HSTS, nosniff, referrer and COOP.

CSP: scripts and styles come from our own origin only; an inline ``<script>`` runs only if it
carries this response's nonce (``nonce="{{ request.csp_nonce }}"``). In DEBUG the policy is sent
as ``Content-Security-Policy-Report-Only`` (browsers log violations, nothing breaks) unless
CSP_REPORT_ONLY says otherwise; production enforces it.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotFound
from django.urls import reverse

logger = logging.getLogger(__name__)


def _ip_in(remote_addr: str, networks: list[str]) -> bool:
    try:
        client = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(net, strict=False) for net in networks)


# The vendored Swagger UI / Redoc pages inject <style> elements at run time; inline styles
# cannot run code, so only these pages allow them. Scripts stay strict everywhere.
INLINE_STYLE_PATHS = ("/api/docs/", "/api/redoc/")


def content_security_policy(nonce: str, *, inline_styles: bool = False) -> str:
    extra_img = " ".join(getattr(settings, "CSP_IMG_SRC_EXTRA", []))
    extra_form = " ".join(getattr(settings, "CSP_FORM_ACTION_EXTRA", []))
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self' 'unsafe-inline'" if inline_styles else "'self'",
        "img-src": f"'self' data: blob: {extra_img}".strip(),
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": f"'self' {extra_form}".strip(),
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        header = (
            "Content-Security-Policy-Report-Only"
            if getattr(settings, "CSP_REPORT_ONLY", False)
            else "Content-Security-Policy"
        )
        if header not in response:
            response[header] = content_security_policy(
                request.csp_nonce, inline_styles=request.path.startswith(INLINE_STYLE_PATHS)
            )
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class AdminAllowlistMiddleware:
    """With ADMIN_IP_ALLOWLIST set, the admin answers 404 to every other client address
    (on top of Django's staff-only login), so it is not even discoverable from outside."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        allowlist = getattr(settings, "ADMIN_IP_ALLOWLIST", [])
        if allowlist:
            if self.prefix is None:
                self.prefix = reverse("admin:index")
            if request.path.startswith(self.prefix) and not _ip_in(
                request.META.get("REMOTE_ADDR", ""), allowlist
            ):
                return HttpResponseNotFound("Not found")
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse bodies over MAX_REQUEST_BODY_BYTES before anything reads them (413). Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE bounds form/JSON bodies but not multipart file parts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = int(getattr(settings, "MAX_REQUEST_BODY_BYTES", 0) or 0)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            return HttpResponse(
                f"Request body too large (limit {limit} bytes).",
                status=413,
                content_type="text/plain",
            )
        return self.get_response(request)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class SignedOutBodyLimitMiddleware:
    """Signed-out requests outside the API may send at most MAX_SIGNED_OUT_BODY_BYTES (413).

    Django's CSRF check reads a POST's body for its token field before any view checks
    sign-in, and a multipart body is parsed and spooled to disk as it is read: without this,
    anyone could make the server write MAX_REQUEST_BODY_BYTES per request to any form URL.
    Signed-out forms (sign-in, sign-up, invitations, billing webhooks) are far smaller. The API
    is not gated here: DRF authenticates a request before it parses the body. Sits after
    AuthenticationMiddleware (it needs request.user) and, like every __call__, runs before any
    view middleware (CSRF included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = int(getattr(settings, "MAX_SIGNED_OUT_BODY_BYTES", 0) or 0)
        if (
            limit
            and _content_length(request) > limit
            and not request.path.startswith("/api/")
            and not getattr(getattr(request, "user", None), "is_authenticated", False)
        ):
            return HttpResponse(
                f"Sign in first: signed-out requests may send at most {limit} bytes.",
                status=413,
                content_type="text/plain",
            )
        return self.get_response(request)


LOGIN_VIEWS = {"login", "admin:login"}


class LoginThrottleMiddleware:
    """Failed sign-ins are counted per (username, client address) and per client address in the
    shared cache, in fixed windows; over the limit the login answers 429 with Retry-After until
    the window ends. A successful sign-in clears that username's counter. Counting failures only
    (not attempts) keeps a user who mistypes once from being locked out with an attacker."""

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _keys(request) -> list[tuple[str, int]]:
        window = int(getattr(settings, "LOGIN_THROTTLE_WINDOW_SECONDS", 900))
        number = int(time.time() // window)
        ip = request.META.get("REMOTE_ADDR", "")
        username = (request.POST.get("username") or "").strip().lower()[:150]
        return [
            (f"login-fail:user:{username}:{ip}:{number}", settings.LOGIN_THROTTLE_PER_USER),
            (f"login-fail:ip:{ip}:{number}", settings.LOGIN_THROTTLE_PER_IP),
        ]

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name not in LOGIN_VIEWS:
            return None
        request.login_throttle_keys = self._keys(request)
        try:
            over = any((cache.get(k) or 0) >= limit for k, limit in request.login_throttle_keys)
        except Exception:  # noqa: BLE001 - like the API limiter: a cache outage fails open
            logger.warning("cache unavailable: login throttle skipped")
            request.login_throttle_keys = []
            return None
        if over:
            window = int(getattr(settings, "LOGIN_THROTTLE_WINDOW_SECONDS", 900))
            response = HttpResponse(
                "Too many failed sign-in attempts. Try again later.",
                status=429,
                content_type="text/plain",
            )
            response["Retry-After"] = str(window - int(time.time()) % window)
            request.login_throttle_keys = []  # a refusal is not another failure
            return response
        return None

    def __call__(self, request):
        response = self.get_response(request)
        keys = getattr(request, "login_throttle_keys", None)
        if not keys:
            return response
        try:
            self._count(keys, response.status_code)
        except Exception:  # noqa: BLE001 - never turn a sign-in into a 500 over the counter
            logger.warning("cache unavailable: failed sign-in not counted")
        return response

    @staticmethod
    def _count(keys, status_code: int) -> None:
        window = int(getattr(settings, "LOGIN_THROTTLE_WINDOW_SECONDS", 900))
        if status_code == 200:  # the form came back with errors: a failure
            for key, _ in keys:
                cache.add(key, 0, timeout=window + 5)
                try:
                    cache.incr(key)
                except ValueError:  # evicted between add and incr
                    cache.set(key, 1, timeout=window + 5)
        elif status_code in (301, 302, 303):
            cache.delete(keys[0][0])

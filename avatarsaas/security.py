"""Hardening middleware: Content-Security-Policy, admin IP allowlist and a request body cap
(sign-in and sign-up throttling live in ``avatarsaas.auth_throttle``). Django's
SecurityMiddleware covers HSTS, nosniff, referrer and COOP.

CSP: scripts and styles come from our own origin only; an inline ``<script>`` runs only if it
carries this response's nonce (``nonce="{{ request.csp_nonce }}"``). In DEBUG the policy is sent
as ``Content-Security-Policy-Report-Only`` (browsers log violations, nothing breaks) unless
CSP_REPORT_ONLY says otherwise; production enforces it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.urls import reverse

from core.client_ip import address_in, client_ip
from core.hybrid_middleware import HybridMiddleware

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


class ContentSecurityPolicyMiddleware(HybridMiddleware):
    def before(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)

    def after(self, request, response):
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


class AdminAllowlistMiddleware(HybridMiddleware):
    """With ADMIN_IP_ALLOWLIST set, the admin answers 404 to every other client address
    (on top of Django's staff-only login), so it is not even discoverable from outside.
    The address is the client's as ``core.client_ip`` derives it, never the proxy's."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.prefix = None

    def before(self, request):
        allowlist = getattr(settings, "ADMIN_IP_ALLOWLIST", [])
        if allowlist:
            if self.prefix is None:
                self.prefix = reverse("admin:index")
            if request.path.startswith(self.prefix) and not address_in(
                client_ip(request), allowlist
            ):
                return HttpResponseNotFound("Not found")
        return None


class RequestSizeLimitMiddleware(HybridMiddleware):
    """Refuse bodies over MAX_REQUEST_BODY_BYTES before anything reads them (413). Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE bounds form/JSON bodies but not multipart file parts."""

    def before(self, request):
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
        return None


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class SignedOutBodyLimitMiddleware(HybridMiddleware):
    """Signed-out requests outside the API may send at most MAX_SIGNED_OUT_BODY_BYTES (413).

    Django's CSRF check reads a POST's body for its token field before any view checks
    sign-in, and a multipart body is parsed and spooled to disk as it is read: without this,
    anyone could make the server write MAX_REQUEST_BODY_BYTES per request to any form URL.
    Signed-out forms (sign-in, sign-up, invitations, billing webhooks) are far smaller. The API
    is not gated here: DRF authenticates a request before it parses the body. Sits after
    AuthenticationMiddleware (it needs request.user) and, like every __call__, runs before any
    view middleware (CSRF included)."""

    blocking = True  # reading request.user may load the session

    def before(self, request):
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
        return None

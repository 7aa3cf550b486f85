"""Refuse a cross-site upload before its body is read.

Django's CSRF check reads the form body (the token is a form field), so a view that takes
large multipart uploads cannot run it first without spooling the whole body for anyone. Such
views check sign-in, role and the target object first (none of which reads the body), then
`cross_origin` (the part of Django's CSRF check that needs no body: browsers send Origin on
every cross-site POST), then parse the body, then run the full CSRF check.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware


def _no_response(request):  # pragma: no cover - the check never calls through
    return None


def cross_origin(request: HttpRequest) -> bool:
    """True when the request carries an Origin header that Django's CSRF check would refuse
    (same host, CSRF_TRUSTED_ORIGINS and their wildcards count as ours)."""
    if "HTTP_ORIGIN" not in request.META:
        return False  # no Origin (not a browser, or same-origin GET-like): the token decides
    # Django's own Origin check, so both agree on what is trusted.
    return not CsrfViewMiddleware(_no_response)._origin_verified(request)

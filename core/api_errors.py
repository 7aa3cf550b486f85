"""One error envelope for every API error:

    {"error": {"code": "...", "message": "...", "field": "...", "request_id": "...", ...}}

``field`` is present when one input field is at fault; ``fields`` lists every field error.
``message`` is for people, in the language the request asked for (Accept-Language, through
LocaleMiddleware); ``code`` is for machines and never translated.
"""

from __future__ import annotations

import logging
import math

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from core.request_id import current_request_id

logger = logging.getLogger(__name__)


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors by field (and index); flatten to dotted paths -> messages."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = key if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors" and not prefix:
                path = ""
            for k, v in _flatten(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out.setdefault(prefix, []).extend(str(item) for item in detail)
        else:
            for i, item in enumerate(detail):
                for k, v in _flatten(item, f"{prefix}.{i}" if prefix else str(i)).items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix, []).append(str(detail))
    return out


def error_body(code: str, message: str, *, field: str | None = None, **extra) -> dict:
    body = {"code": code, "message": message, "request_id": current_request_id()}
    if field:
        body["field"] = field
    body.update(extra)
    return {"error": body}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        response = Response(
            error_body(exc.code, exc.message, field=exc.field, **exc.extra),
            status=exc.status_code,
        )
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.error(
            "Unhandled API error on %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=exc,
        )
        return Response(
            error_body(
                "server_error", gettext("An unexpected error occurred; quote the request id.")
            ),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first_field = next((f for f in fields if f), None)
        first_messages = fields.get(first_field or "", []) or next(iter(fields.values()), [])
        message = first_messages[0] if first_messages else gettext("Invalid input.")
        if first_field:
            message = f"{first_field}: {message}"
        response.data = error_body(
            "invalid", message, field=first_field, fields={k or "_": v for k, v in fields.items()}
        )
    else:
        code = getattr(exc, "default_code", "error")
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else code
        if isinstance(codes, str):
            code = codes
        extra = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            extra["retry_after"] = math.ceil(exc.wait)
        response.data = error_body(code, str(detail), **extra)
    return response


@csrf_exempt  # answers every method the same way; nothing to protect
def api_not_found(request, unmatched: str = ""):
    """Unknown URLs under /api/ answer the JSON envelope, not the HTML 404 page."""
    message = gettext("No API endpoint at %(path)s.") % {"path": request.path}
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
        except Resolver404:
            pass
        else:
            message += " " + gettext("Did you mean %(path)s/ (with the trailing slash)?") % {
                "path": request.path
            }
    return JsonResponse(error_body("not_found", message), status=404)


def _skip_csrf_check(request) -> None:
    """Django's default error views run the CSRF check to hand their page a token, and the check
    reads a POST's body for the token field: a 404 (or 400/403/500) answering a 100 MB multipart
    post would parse and spool all of it, signed in or not. An error page changes nothing, so
    its check is marked done; the page's token still comes from the CSRF cookie."""
    request.csrf_processing_done = True


def page_not_found(request, exception=None):
    """handler404: a 404 raised anywhere under /api/ still answers the JSON envelope."""
    if request.path.startswith("/api/"):
        return api_not_found(request)
    _skip_csrf_check(request)
    return defaults.page_not_found(request, exception)


def server_error(request, *args, **kwargs):
    """handler500: JSON envelope (with the request id) under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(
                "server_error", gettext("An unexpected error occurred; quote the request id.")
            ),
            status=500,
        )
    _skip_csrf_check(request)
    return defaults.server_error(request, *args, **kwargs)


def bad_request(request, exception=None):
    """handler400: Django's page, without reading the body (see `_skip_csrf_check`)."""
    _skip_csrf_check(request)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    """handler403: Django's page, without reading the body (see `_skip_csrf_check`)."""
    _skip_csrf_check(request)
    return defaults.permission_denied(request, exception)

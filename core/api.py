"""Helpers every app's REST API shares: cursor pagination, list filters, their OpenAPI notes."""

from __future__ import annotations

import uuid
from datetime import UTC

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound as NotFoundError
from rest_framework.pagination import CursorPagination

from core.errors import InvalidInput


class NewestFirst(CursorPagination):
    ordering = "-created_at"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFoundError as exc:  # DRF answers 404; a bad parameter is a 400
            raise InvalidInput(
                gettext("Invalid cursor: pass the next/previous links back unchanged."),
                field="cursor",
            ) from exc


def parse_dt(value: str | None, field: str):
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is not None:
            # In UTC: PostgreSQL rejects odd offsets (e.g. -16:26) that ISO 8601 allows.
            parsed = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # impossible dates (month 13) or out of range
        parsed = None
    if parsed is None:
        raise InvalidInput(
            gettext("Use an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."), field=field
        )
    return parsed


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(
            gettext("%(field)s must be a UUID.") % {"field": field}, field=field
        ) from exc


def filter_created(qs, params):
    if after := parse_dt(params.get("created_after"), "created_after"):
        qs = qs.filter(created_at__gte=after)
    if before := parse_dt(params.get("created_before"), "created_before"):
        qs = qs.filter(created_at__lt=before)
    return qs


def choice(params, name: str, choices) -> str | None:
    value = params.get(name)
    if value and value not in choices:
        raise InvalidInput(
            gettext("%(name)s must be one of %(choices)s.")
            % {"name": name, "choices": ", ".join(choices)},
            field=name,
        )
    return value or None


CREATED_RANGE = [
    OpenApiParameter(
        "created_after", OpenApiTypes.DATETIME, description="Only items created at/after this."
    ),
    OpenApiParameter(
        "created_before", OpenApiTypes.DATETIME, description="Only items created before this."
    ),
]
LIST_NOTE = (
    " Newest first, cursor-paginated: follow `next`/`previous`; `page_size` up to 100 (default 20)."
)

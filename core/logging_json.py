"""Structured logs: one JSON object per line, carrying request, tenant and job ids.

The ids come from context variables, so they follow the code that runs for a request (set by
``LogContextMiddleware``) or for a job (``job_log_context``, entered by the job runner) without
being passed around. Context variables, unlike thread-locals, are also correct under ASGI.
The tenant of an API request is only known once DRF has authenticated the key, so the filter
reads it from the request object when the record is made, not when the request starts.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime

from core.hybrid_middleware import HybridMiddleware
from core.request_id import current_request_id

_current_request: contextvars.ContextVar = contextvars.ContextVar("log_request", default=None)
_job_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "log_job", default=None
)

# Attributes every LogRecord has; anything else was passed with `extra=` and is emitted too.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime", "request_id", "tenant_id", "job_id"}


@contextlib.contextmanager
def job_log_context(**ids: str) -> Iterator[None]:
    """Tag every record logged inside the block with these ids (job_id, tenant_id, ...)."""
    token = _job_context.set({**(_job_context.get() or {}), **{k: str(v) for k, v in ids.items()}})
    try:
        yield
    finally:
        _job_context.reset(token)


def _request_tenant_id() -> str:
    request = _current_request.get()
    tenant = getattr(request, "tenant", None) if request is not None else None
    return str(tenant.pk) if tenant is not None else ""


class LogContextMiddleware(HybridMiddleware):
    """Make the current request visible to the log filter (for its tenant id)."""

    def before(self, request):
        request._log_context_token = _current_request.set(request)

    def done(self, request):
        token = getattr(request, "_log_context_token", None)
        if token is not None:
            _current_request.reset(token)


class ContextFilter(logging.Filter):
    """Add request_id, tenant_id and job_id to every record ("-" / "" when not known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = _job_context.get() or {}
        # django.request logs a 5xx after the middleware has left; the record carries the request.
        request = getattr(record, "request", None)
        if not getattr(record, "request_id", None):
            record.request_id = getattr(request, "request_id", None) or current_request_id()
        if not getattr(record, "tenant_id", None):
            tenant = getattr(request, "tenant", None)
            record.tenant_id = (
                job.get("tenant_id") or (str(tenant.pk) if tenant else "") or _request_tenant_id()
            )
        if not getattr(record, "job_id", None):
            record.job_id = job.get("job_id", "")
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "tenant_id": getattr(record, "tenant_id", ""),
            "job_id": getattr(record, "job_id", ""),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(*, json_format: bool, level: str) -> dict:
    """The LOGGING dict: JSON lines in production (or LOG_FORMAT=json), text in dev."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "core.logging_json.ContextFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {"()": "core.logging_json.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_format else "plain",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # stripe logs every API request at INFO, with URLs that carry object ids.
            "stripe": {"level": "WARNING"},
        },
    }

"""Request ids: accepted from X-Request-ID (when sane) or generated, echoed back, and logged."""

import contextvars
import logging
import re
import uuid

from core.hybrid_middleware import HybridMiddleware

_current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _current_request_id.get()


class RequestIdMiddleware(HybridMiddleware):
    def before(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request._request_id_token = _current_request_id.set(request.request_id)

    def after(self, request, response):
        response["X-Request-ID"] = request.request_id
        return response

    def done(self, request):
        token = getattr(request, "_request_id_token", None)
        if token is not None:
            _current_request_id.reset(token)


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True

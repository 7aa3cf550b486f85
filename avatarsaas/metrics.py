"""/metrics in the Prometheus text format, and the request-latency histogram behind it.

Two kinds of metric, each measured where it can be measured correctly:

* HTTP latency is observed in the web process that served the request. Under gunicorn there
  are several such processes; with ``PROMETHEUS_MULTIPROC_DIR`` set (the web image sets it)
  prometheus-client writes every process's samples to that directory and the view merges
  them, so any worker answering the scrape reports the whole pod.
* Job, queue, fine-tune and webhook metrics are read from the database at scrape time
  (``observability.db_collector``), which is correct however many worker processes and hosts
  run jobs.

Access: a bearer token (``METRICS_TOKEN``) and/or a client IP allowlist
(``METRICS_ALLOWED_IPS``, addresses or CIDR networks, matched against ``core.client_ip``).
With neither configured the endpoint does not exist (404); a request that matches neither
gets 403.
"""

from __future__ import annotations

import hmac
import logging
import os
import time

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)

from avatarsaas.observability.db_collector import DatabaseCollector
from core.client_ip import address_in, client_ip
from core.hybrid_middleware import HybridMiddleware

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "avatarsaas_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
_database_collector = DatabaseCollector()
REGISTRY.register(_database_collector)  # rendered with the process's own metrics


def _route(request) -> str:
    # Route *names* keep label cardinality bounded; raw paths would carry ids.
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestMetricsMiddleware(HybridMiddleware):
    # For a streamed response (the job event stream) this is the time to its first byte.
    def before(self, request):
        request._metrics_started = time.perf_counter()

    def after(self, request, response):
        REQUEST_LATENCY.labels(_route(request), request.method, str(response.status_code)).observe(
            time.perf_counter() - request._metrics_started
        )
        return response


def _client_allowed(request) -> bool:
    allowed = getattr(settings, "METRICS_ALLOWED_IPS", [])
    return bool(allowed) and address_in(client_ip(request), allowed)


def _token_ok(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # every gunicorn worker's samples, merged
    registry.register(_database_collector)
    return registry


def metrics_view(request):
    if not (getattr(settings, "METRICS_TOKEN", "") or getattr(settings, "METRICS_ALLOWED_IPS", [])):
        return HttpResponseNotFound("Not found")
    if not (_token_ok(request) or _client_allowed(request)):
        return HttpResponseForbidden("Forbidden")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)

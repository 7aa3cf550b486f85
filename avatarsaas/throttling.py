"""Rate limits per API key and per workspace, by plan, in the shared cache.

Scheme: fixed one-minute windows counted with ``cache.add`` + ``cache.incr`` (atomic in Redis,
and in the local-memory cache of the embedded setup), under keys that carry the key or tenant
id and the window number. Two limits apply to every authenticated API request:

* the workspace: ``Plan.requests_per_minute``, shared by all its keys and signed-in members;
* the key: ``ApiKey.requests_per_minute`` when set (capped by the plan), else the plan's.

A refused request answers 429 ``throttled`` with ``Retry-After`` and ``retry_after``. Every
response of a throttled endpoint carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (epoch seconds at which the window resets) for the tighter of the two
limits; ``RateLimitHeadersMiddleware`` copies them from the request onto the response.
A fixed window lets a client spend up to twice its limit across a window boundary; that is
the usual price of an O(1), race-free counter. When the cache is unreachable the limits fail
open (logged): an outage of the counters must not take the API down with it.

Reading a job's own status (``GET /api/v1/jobs/{id}/``, whose view sets ``throttle_scope =
"job_status"``) is counted in buckets of its own, ``API_STATUS_READ_MULTIPLIER`` (default 4)
times the plan's and the key's limits: the docs tell clients to poll that endpoint, and a
client polling one job once a second used to spend the free plan's 30 requests/minute in
30 s and then have its submits refused. Polls no longer eat into the submit budget, and a
runaway poller is still stopped by its own bucket. The view only names a scope (a string), as
generation may not import this module (layers).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from core.hybrid_middleware import HybridMiddleware
from tenants.models import ApiKey

logger = logging.getLogger(__name__)


def _now() -> float:
    """The throttles' clock (tests patch it to simulate minutes of polling without sleeping)."""
    return time.time()


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    count: int  # requests counted in this window, this one included
    reset: int  # epoch seconds

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset - _now()))


def _window() -> int:
    return int(getattr(settings, "API_RATE_LIMIT_WINDOW_SECONDS", 60))


def _cache():
    return caches[getattr(settings, "API_RATE_LIMIT_CACHE", "default")]


def hit(bucket: str, limit: int, now: float | None = None) -> RateLimitState:
    """Count one request in ``bucket``'s current window; return the state after counting."""
    window = _window()
    now = _now() if now is None else now
    number = int(now // window)
    key = f"ratelimit:{bucket}:{number}"
    cache = _cache()
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start the window again
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return RateLimitState(limit=limit, count=count, reset=(number + 1) * window)


STATUS_READ_SCOPE = "job_status"


def status_read_multiplier() -> int:
    return max(1, int(getattr(settings, "API_STATUS_READ_MULTIPLIER", 4)))


def _record(request, state: RateLimitState) -> None:
    """Keep the tightest state seen for this request (for the response headers)."""
    django_request = getattr(request, "_request", request)
    current = getattr(django_request, "rate_limit", None)
    if current is None or state.remaining < current.remaining:
        django_request.rate_limit = state


class _PlanThrottle(BaseThrottle):
    scope = ""

    def bucket_and_limit(self, request) -> tuple[str, int] | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        target = self.bucket_and_limit(request)
        if target is None:
            return True
        bucket, limit = target
        if getattr(view, "throttle_scope", None) == STATUS_READ_SCOPE:
            bucket, limit = f"{STATUS_READ_SCOPE}:{bucket}", limit * status_read_multiplier()
        try:
            state = hit(bucket, limit)
        except Exception:
            # The counters live in the cache (Redis in production). If it is down, serve the
            # request unthrottled rather than failing the whole API: jobs are still paid for
            # and queued through PostgreSQL, and the sweeper re-sends lost queue nudges.
            logger.warning("Rate-limit cache unavailable; %s not throttled", bucket, exc_info=True)
            return True
        _record(request, state)
        if state.allowed:
            return True
        raise exceptions.Throttled(
            wait=state.retry_after,
            detail=(
                f"Rate limit of {limit} requests per minute for this {self.scope} exceeded; "
                f"retry in {state.retry_after} s."
            ),
        )


def plan_limit(tenant) -> int:
    return int(tenant.plan.requests_per_minute)


class TenantRateThrottle(_PlanThrottle):
    scope = "workspace"

    def bucket_and_limit(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return None
        return f"tenant:{tenant.pk}", plan_limit(tenant)


class ApiKeyRateThrottle(_PlanThrottle):
    scope = "API key"

    def bucket_and_limit(self, request):
        key = getattr(request, "api_key", None)
        if not isinstance(key, ApiKey):
            return None
        limit = plan_limit(key.tenant)
        if key.requests_per_minute is not None:
            limit = min(limit, key.requests_per_minute)
        return f"key:{key.pk}", limit


class RateLimitHeadersMiddleware(HybridMiddleware):
    """Copy the request's rate-limit state (set by the throttles) onto the response."""

    def after(self, request, response):
        state = getattr(request, "rate_limit", None)
        if state is not None:
            response["X-RateLimit-Limit"] = str(state.limit)
            response["X-RateLimit-Remaining"] = str(state.remaining)
            response["X-RateLimit-Reset"] = str(state.reset)
        return response

"""Per-minute counters in the shared cache for the dashboard's expensive renders (avatar packs,
live sketches), the same scheme as the API's rate limits: fixed windows counted with
``cache.add`` + ``cache.incr`` (atomic in Redis and in the local-memory cache), failing open
when the cache is down."""

from __future__ import annotations

import logging
import math
import time

from django.core.cache import cache

from core.errors import DomainError

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


class RateLimited(DomainError):
    status_code = 429
    code = "throttled"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, extra={"retry_after": retry_after})
        self.retry_after = retry_after


def retry_after_if_over(bucket: str, limit: int, *, window: int = WINDOW_SECONDS) -> int | None:
    """Count one hit in `bucket`'s current window; the seconds to wait when over `limit`.

    A limit of 0 disables counting. An outage of the counters must not break the page, so a
    cache error counts as allowed (logged)."""
    if not limit:
        return None
    now = time.time()
    number = int(now // window)
    key = f"{bucket}:{number}"
    try:
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable: %s not counted", bucket)
        return None
    if count > limit:
        return max(1, math.ceil((number + 1) * window - now))
    return None

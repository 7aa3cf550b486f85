"""The brand kit's "locked presets only" switch, cached per workspace.

Every key or member submit asks it, and it changes only through
``styles.services.presets.set_locked_presets_only``, which forgets the entry (now and after
its commit). The cache key carries the tenant id; a cache outage means a database read.
"""

from __future__ import annotations

import contextlib
import logging
from functools import partial

from django.core.cache import cache
from django.db import transaction

from styles.models import BrandKitSettings

logger = logging.getLogger(__name__)
TTL_SECONDS = 300


def _key(tenant_id) -> str:
    return f"brandkit:locked-only:v1:{tenant_id}"


def locked_presets_only(tenant_id) -> bool:
    try:
        cached = cache.get(_key(tenant_id))
    except Exception:  # noqa: BLE001 - an outage costs a SELECT
        logger.warning("cache unavailable; brand kit of %s read from the database", tenant_id)
        cached = None
    if cached is not None:
        return cached
    value = bool(
        BrandKitSettings.objects.filter(tenant_id=tenant_id)
        .values_list("locked_presets_only", flat=True)
        .first()
    )
    with contextlib.suppress(Exception):  # not cached this time; the next submit retries
        cache.set(_key(tenant_id), value, TTL_SECONDS)
    return value


def forget(tenant_id) -> None:
    _delete(tenant_id)
    transaction.on_commit(partial(_delete, tenant_id))


def _delete(tenant_id) -> None:
    try:
        cache.delete(_key(tenant_id))
    except Exception:  # noqa: BLE001 - the entry then expires within TTL_SECONDS
        logger.warning("cache unavailable; brand kit entry of %s expires on its own", tenant_id)

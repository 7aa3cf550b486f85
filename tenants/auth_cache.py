"""A short-lived cache of API-key lookups (the key row with its tenant and plan).

Every API request authenticates, so the key's row is the hottest read of the API: caching it
takes one SQL statement off every request, the submit path included (issue 20's budget).

Safety:
* The cached row still goes through the same checks as a fresh one (constant-time secret
  hash comparison, revoked, expired, workspace suspended): only the SELECT is skipped.
* Every change that can matter is invalidated at once: saving or deleting a key, saving a
  tenant (anything but its balance or scheduling fields, which authentication never reads),
  saving a plan, and the one queryset ``update`` that switches a plan (billing). The receivers
  are connected in ``TenantsConfig.ready()``.
* Entries live ``AUTH_CACHE_SECONDS`` (default 30) at most, a bound on anything written behind
  the ORM's back (a raw ``UPDATE`` by hand in a shell).
* Money never relies on the cached tenant: credits are taken with a conditional ``UPDATE`` of
  the row (``tenants.credits``), which also re-checks that the workspace is active.
* The cache being down means a database lookup, never a refused request.

Cache keys carry the key's public prefix; the tenant id travels in the value and in the
per-tenant index used to invalidate all of a workspace's keys at once.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from tenants.models import ApiKey

logger = logging.getLogger(__name__)

# Fields that change on every submit or claim and that authentication never reads: saving
# only these leaves the cached rows valid (the balance is re-read under lock where it counts).
VOLATILE_TENANT_FIELDS = frozenset(
    {"credit_balance", "last_served_at", "queued_jobs", "running_jobs", "job_cap"}
)


def ttl() -> int:
    return int(getattr(settings, "AUTH_CACHE_SECONDS", 30))


def _key(prefix: str) -> str:
    return f"auth:apikey:v1:{prefix}"


def get(prefix: str) -> ApiKey | None:
    if ttl() <= 0:
        return None
    try:
        return cache.get(_key(prefix))
    except Exception:  # noqa: BLE001 - a cache outage costs a SELECT, never a request
        logger.warning("auth cache unavailable; reading key %s from the database", prefix)
        return None


def put(key: ApiKey) -> None:
    if ttl() <= 0:
        return
    try:
        cache.set(_key(key.prefix), key, ttl())
    except Exception:  # noqa: BLE001
        logger.warning("auth cache unavailable; key %s not cached", key.prefix)


def forget_prefixes(prefixes) -> None:
    """Drop these keys' entries now and again after the current transaction commits (a
    request in between could otherwise cache the row as it was before the commit)."""
    keys = [_key(p) for p in prefixes if p]
    if not keys:
        return
    _delete(keys)
    transaction.on_commit(partial(_delete, keys))


def _delete(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except Exception:  # noqa: BLE001 - entries then expire within ttl()
        logger.warning("auth cache unavailable; %d key entries expire on their own", len(keys))


def forget_tenant(tenant_id) -> None:
    forget_prefixes(ApiKey.objects.filter(tenant_id=tenant_id).values_list("prefix", flat=True))


def forget_plan(plan_id) -> None:
    forget_prefixes(ApiKey.objects.filter(tenant__plan_id=plan_id).values_list("prefix", flat=True))


# Signal receivers (connected in TenantsConfig.ready()).


def on_key_changed(sender, instance: ApiKey, **kwargs) -> None:
    forget_prefixes([instance.prefix])


def on_tenant_saved(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= VOLATILE_TENANT_FIELDS:
        return
    forget_tenant(instance.pk)


def on_tenant_deleted(sender, instance, **kwargs) -> None:
    forget_tenant(instance.pk)


def on_plan_changed(sender, instance, **kwargs) -> None:
    forget_plan(instance.pk)

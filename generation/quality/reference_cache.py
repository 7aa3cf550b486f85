"""A preset's reference-image embeddings, computed once per reference set and CLIP model.

Before, every job re-read and re-embedded the preset's reference images. Now the embeddings
are kept under a key made of the CLIP checkpoint's hash and a hash of the preset's reference
set (the sorted storage names: each upload gets a fresh random name and stored files never
change in place, so the names identify the pixels):

1. an in-process LRU on the worker (`AVATARSAAS_REFERENCE_CACHE_SIZE` entries, default 64),
2. then the Django cache (Redis in production: shared by all GPU workers, one day),
3. then the scorer, and the result goes into both.

Adding or removing a reference changes the set, hence the key: the next job computes the new
embeddings and the old entry ages out. A new CLIP checkpoint changes the model hash likewise.
`stats()` counts hits and computations (for tests, the bench and the engine page).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

SHARED_TIMEOUT = 24 * 3600
_lock = threading.Lock()
_entries: OrderedDict[str, np.ndarray] = OrderedDict()
_stats = {"local_hits": 0, "shared_hits": 0, "computed": 0}


def max_entries() -> int:
    return int(getattr(settings, "AVATARSAAS_REFERENCE_CACHE_SIZE", 64))


def reference_set_hash(names: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()


def cache_key(model_hash: str, names: Sequence[str]) -> str:
    return f"avatarsaas:refemb:v1:{model_hash[:32]}:{reference_set_hash(names)[:32]}"


def _remember(key: str, value: np.ndarray) -> None:
    with _lock:
        _entries[key] = value
        _entries.move_to_end(key)
        while len(_entries) > max_entries():
            _entries.popitem(last=False)


def _shared_get(key: str) -> np.ndarray | None:
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache outage costs a recomputation, not the job
        logger.warning("reference cache: shared cache unavailable", exc_info=True)
        return None
    return value if isinstance(value, np.ndarray) and value.ndim == 2 and len(value) else None


def _shared_set(key: str, value: np.ndarray) -> None:
    try:
        cache.set(key, value, SHARED_TIMEOUT)
    except Exception:  # noqa: BLE001
        logger.warning("reference cache: could not store in the shared cache", exc_info=True)


def embeddings_for(
    *, model_hash: str, names: Sequence[str], compute: Callable[[], Any]
) -> np.ndarray | None:
    """The cached embeddings of reference set `names`, computing them once if needed.

    `compute()` returns a 2-d array (one row per reference image that still exists), or None
    when none could be read; None is returned and nothing is cached.
    """
    if not names:
        return None
    key = cache_key(model_hash, names)
    with _lock:
        local = _entries.get(key)
        if local is not None:
            _entries.move_to_end(key)
            _stats["local_hits"] += 1
            return local
    shared = _shared_get(key)
    if shared is not None:
        with _lock:
            _stats["shared_hits"] += 1
        _remember(key, shared)
        return shared
    value = compute()
    with _lock:
        _stats["computed"] += 1
    if value is None or len(value) == 0:
        return None
    value = np.asarray(value, dtype=np.float32)
    if len(value) == len(names):  # a set with a file missing mid-job is not worth keeping
        _remember(key, value)
        _shared_set(key, value)
    return value


def stats() -> dict[str, int]:
    with _lock:
        return {**_stats, "entries": len(_entries)}


def clear(*, shared: bool = False) -> None:
    """Forget the local entries (and reset the counters); `shared` also empties the Django cache
    entries this process knows about."""
    with _lock:
        keys = list(_entries)
        _entries.clear()
        for k in _stats:
            _stats[k] = 0
    if shared and keys:
        cache.delete_many(keys)

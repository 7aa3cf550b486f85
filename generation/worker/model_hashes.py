"""The diffusion model's content hash, for processes that cannot (or should not) read the weights.

The hash goes into a job's result-cache key at submit, in the web process. Web replicas
usually do not mount the model volume (docker/k8s: only GPU workers do), and hashing gigabytes
on a request would be slow anyway. So GPU workers publish the hash they computed to the shared
cache and the web side reads it there; where the files are readable here, the published value
is used only while the files' signature (names, sizes, mtimes) still matches.

With no hash known, a submission skips the result-cache lookup (it can only miss) and the
worker records the real hash on the job when it renders, so later submissions can hit.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from django.core.cache import cache

from generation.engines.loading import file_signature, model_hash

logger = logging.getLogger(__name__)


def _key(path: str) -> str:
    # The cache is shared by every tenant, but a model hash is not tenant data.
    return "model-hash:" + hashlib.sha256(str(path).encode()).hexdigest()[:32]


def _signature_digest(root: Path) -> str:
    return hashlib.sha256(repr(file_signature(root)).encode()).hexdigest()


def _read(path: str) -> dict:
    try:
        entry = cache.get(_key(path))
    except Exception:  # noqa: BLE001 - a cache outage must not fail a submission
        logger.warning("cache unavailable: could not read the published model hash")
        return {}
    return entry if isinstance(entry, dict) else {}


def published(path: str) -> str:
    """The hash workers last published for this model path ("" when none has)."""
    return _read(path).get("hash", "")


def publish(path: str, value: str, *, signature: str = "") -> None:
    try:
        cache.set(_key(path), {"hash": value, "signature": signature}, timeout=None)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable: could not publish the model hash")


def compute_and_publish(path: str) -> str:
    """In a process that holds the weights (a GPU worker): hash them (cached) and publish."""

    root = Path(path).expanduser()
    value = model_hash(root)
    publish(path, value, signature=_signature_digest(root))
    return value


def for_submit(path: str) -> str:
    """The hash to record on a new job, or "" when this process cannot know it cheaply."""
    root = Path(path).expanduser()
    entry = _read(path)
    if not root.exists():
        return entry.get("hash", "")
    if entry.get("hash") and entry.get("signature") == _signature_digest(root):
        return entry["hash"]
    return compute_and_publish(path)

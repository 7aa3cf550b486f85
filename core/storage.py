"""Where generated files live: `tenants/<tenant uuid>/<kind>/<uuid>.<ext>`, random names,
written through Django's default storage (local disk or S3)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

logger = logging.getLogger(__name__)


def tenant_path(tenant_id, kind: str, ext: str) -> str:
    return f"tenants/{tenant_id}/{kind}/{uuid.uuid4().hex}.{ext.lstrip('.')}"


def save_bytes(tenant_id, kind: str, ext: str, data: bytes) -> str:
    """Store bytes under a fresh random name; returns the storage name."""
    return default_storage.save(tenant_path(tenant_id, kind, ext), ContentFile(data))


def read_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def signed_url_or_none(name: str) -> str | None:
    """On S3 a short-lived pre-signed URL; on local disk None (serve through our view)."""
    from django.core.files.storage import FileSystemStorage

    if isinstance(default_storage, FileSystemStorage):
        return None
    return default_storage.url(name)


def delete_after_commit(names: Iterable[str]) -> None:
    """Delete stored files once the rows that pointed at them are gone for good.

    After commit, so a rolled-back deletion never loses a file; a file that cannot be deleted
    (storage outage) is logged and left as an orphan rather than failing the request."""
    names = [n for n in names if n]
    if not names:
        return

    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except Exception:  # noqa: BLE001
                logger.warning("could not delete stored file %s", name, exc_info=True)

    transaction.on_commit(delete)

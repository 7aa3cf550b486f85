"""Where generated files live: `tenants/<tenant uuid>/<kind>/<name>.<ext>`, written through
Django's default storage (local disk or S3). Uploads get random names; the worker's outputs are
content-addressed (`save_content_addressed`). Either way a stored name is never written twice
with other bytes, which is what lets files be served as immutable."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.crypto import salted_hmac

from core import signed_files

logger = logging.getLogger(__name__)


def tenant_path(tenant_id, kind: str, ext: str) -> str:
    return f"tenants/{tenant_id}/{kind}/{uuid.uuid4().hex}.{ext.lstrip('.')}"


def save_bytes(tenant_id, kind: str, ext: str, data: bytes) -> str:
    """Store bytes under a fresh random name; returns the storage name."""
    return default_storage.save(tenant_path(tenant_id, kind, ext), ContentFile(data))


def content_path(tenant_id, kind: str, ext: str, data: bytes) -> str:
    """`tenants/<tenant>/<kind>/<digest>.<ext>`, where the digest is an HMAC (server secret,
    tenant) of the bytes' SHA-256: identical bytes in one workspace share one name, any changed
    byte changes it, and nobody can derive it from the content or from another workspace's
    name for the same content."""
    content = hashlib.sha256(data).hexdigest()
    digest = salted_hmac(
        "avatarsaas.storage.content", f"{tenant_id}:{content}", algorithm="sha256"
    ).hexdigest()[:40]
    return f"tenants/{tenant_id}/{kind}/{digest}.{ext.lstrip('.')}"


def save_content_addressed(tenant_id, kind: str, ext: str, data: bytes) -> str:
    """Store bytes under their content name; bytes already stored are not written again.

    Only for files that are deleted with their workspace and never one by one (the worker's
    outputs): two rows may share one content-addressed file."""
    name = content_path(tenant_id, kind, ext, data)
    if default_storage.exists(name):
        return name
    # A concurrent writer of the same bytes may win the name; storage then picks another
    # (same content), which is as good.
    return default_storage.save(name, ContentFile(data))


def read_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def signed_url(name: str) -> str:
    """A URL that grants `name` until an expiry it carries: S3's pre-signed URL when files
    live there, else our own signed path (core.signed_files; relative to the site)."""
    return signed_url_or_none(name) or signed_files.signed_path(name)


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

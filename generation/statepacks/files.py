"""Serving a state pack's deliverables: bytes (or a short-lived signed URL on S3), with the
content type and download name of each kind."""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseRedirect

from core.errors import NotFound
from core.storage import signed_url_or_none
from generation.models import StatePack

logger = logging.getLogger(__name__)
CONTENT_TYPES = {
    "zip": "application/zip",
    "png": "image/png",
    "json": "application/json",
    "webp": "image/webp",
    "gif": "image/gif",
    "apng": "image/apng",
    "strip": "image/png",
}


def content_type(kind: str) -> str:
    return CONTENT_TYPES.get(kind.rsplit(".", 1)[-1], CONTENT_TYPES["png"])


def download_name(pack: StatePack, kind: str) -> str:
    short = str(pack.pk)[:8]
    if kind == "zip":
        return f"statepack-{short}.zip"
    if kind == "manifest":
        return f"statepack-{short}-manifest.json"
    if kind == "sprite":
        return f"statepack-{short}-sprite.png"
    name, _, ext = kind.partition(".")
    return f"statepack-{short}-{name}{'_strip.png' if ext == 'strip' else '.' + ext}"


def serve_pack_file(pack: StatePack, kind: str, name: str, *, attachment: bool = False):
    signed = signed_url_or_none(name)
    if signed:
        return HttpResponseRedirect(signed)
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        logger.error("Stored file %s of state pack %s is missing", name, pack.pk)
        raise NotFound("This file is no longer in storage.") from exc
    response = FileResponse(
        handle,
        content_type=content_type(kind),
        as_attachment=attachment or kind == "zip",
        filename=download_name(pack, kind),
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response

"""HTTP responses for stored avatar files, shared by the API, the dashboard, the staff admin
and the signed-URL route.

Stored names are never rewritten with other bytes (random or content-addressed names), so a
response is immutable: cached for a year, its ETag the name's digest, a matching If-None-Match
answered 304 without opening the file. Behind a permission check the cache is private; behind
a signature (which carries its expiry) shared caches may keep it until that expiry.
"""

import logging
import mimetypes
import time
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpResponseForbidden,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.utils.http import parse_etags, quote_etag
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from core import signed_files
from core.errors import NotFound
from core.storage import signed_url_or_none
from generation.models import ImageFile

logger = logging.getLogger(__name__)

YEAR = 31_536_000


def serve_file(f: ImageFile, request=None):
    """The file's bytes, or a redirect to a short-lived signed URL when files live on S3."""
    signed = signed_url_or_none(f.file.name)
    if signed:
        return HttpResponseRedirect(signed)
    return _immutable(
        request,
        f.file.name,
        f.content_type,
        filename=f"avatar-{f.size}-{f.shape}.{f.format}",
        missing=NotFound,
        log_missing=f"ImageFile {f.pk}",
    )


def serve_stored_png(name: str, request=None):
    """A stored PNG by storage name (control maps, masks): bytes or a signed-URL redirect."""
    signed = signed_url_or_none(name)
    if signed:
        return HttpResponseRedirect(signed)
    return _immutable(request, name, "image/png", missing=Http404)


@require_safe
def signed_file(request, name: str):
    """`core.signed_files` URLs: no session or key, the signature is the grant."""
    try:
        expiry = signed_files.check(name, request.GET.get("e"), request.GET.get("s"))
    except signed_files.BadSignature as exc:
        return HttpResponseForbidden(
            gettext("This file link is not valid: %(reason)s.") % {"reason": exc}
        )
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return _immutable(request, name, content_type, shared_until=expiry, missing=Http404)


def _immutable(
    request,
    name: str,
    content_type: str,
    *,
    filename: str | None = None,
    shared_until: int | None = None,
    missing=Http404,
    log_missing: str = "",
):
    etag = quote_etag(PurePosixPath(name).stem)
    if request is not None and etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        try:
            handle = default_storage.open(name, "rb")
        except FileNotFoundError as exc:
            logger.error("Stored file %s %s is missing", name, log_missing)
            raise missing(gettext("This file is no longer in storage.")) from exc
        response = FileResponse(
            handle, content_type=content_type, as_attachment=False, filename=filename or ""
        )
    response["ETag"] = etag
    response["Cache-Control"] = _cache_control(shared_until)
    return response


def _cache_control(shared_until: int | None) -> str:
    if shared_until is None:
        return f"private, max-age={YEAR}, immutable"
    # The fetching client may keep it (it held the grant); a shared cache (CDN) only while the
    # signature is valid, then it asks again and gets the 403.
    remaining = max(0, shared_until - int(time.time()))
    return f"public, max-age={YEAR}, s-maxage={remaining}, immutable"

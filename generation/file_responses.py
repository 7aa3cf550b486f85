"""HTTP responses for stored avatar files, shared by the API, the dashboard and the staff admin."""

import logging

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils.translation import gettext

from core.errors import NotFound
from core.storage import signed_url_or_none
from generation.models import ImageFile

logger = logging.getLogger(__name__)


def serve_file(f: ImageFile):
    """The file's bytes, or a redirect to a short-lived signed URL when files live on S3."""
    signed = signed_url_or_none(f.file.name)
    if signed:
        return HttpResponseRedirect(signed)
    try:
        handle = f.file.open("rb")
    except FileNotFoundError as exc:
        logger.error("Stored file %s of ImageFile %s is missing", f.file.name, f.pk)
        raise NotFound(gettext("This file is no longer in storage.")) from exc
    response = FileResponse(
        handle,
        content_type=f.content_type,
        as_attachment=False,
        filename=f"avatar-{f.size}-{f.shape}.{f.format}",
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


def serve_stored_png(name: str):
    """A stored PNG by storage name (control maps, masks): bytes or a signed-URL redirect."""
    signed = signed_url_or_none(name)
    if signed:
        return HttpResponseRedirect(signed)
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise Http404("This file is no longer in storage.") from exc
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response

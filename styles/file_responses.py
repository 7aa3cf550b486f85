"""HTTP responses for stored references, dataset images and validation grids (dashboard, staff)."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect

from core.storage import signed_url_or_none
from styles.models import AdapterImport, DatasetImage, FineTune


def serve_stored(name: str, content_type: str = "image/png", *, missing=Http404):
    try:
        handle = open_storage(name)
    except FileNotFoundError as exc:
        raise missing("This file is no longer in storage.") from exc
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def serve_signed_or_stored(name: str, *, missing=Http404):
    """A 302 to a short-lived signed URL when files live on S3, else the stored PNG."""
    signed = signed_url_or_none(name)
    if signed:
        return HttpResponseRedirect(signed)
    return serve_stored(name, missing=missing)


def open_storage(name: str):
    return default_storage.open(name, "rb")


def serve_dataset_image(image: DatasetImage | None):
    """A dataset image's stored copy; a rejected upload stored nothing. (Also the staff view.)"""
    if image is None or not image.file:
        raise Http404("No such image.")
    return serve_stored(image.file.name, "image/jpeg" if image.format == "jpeg" else "image/png")


def serve_validation_cell(ft: FineTune | AdapterImport, index: int):
    """One picture of a fine-tune's validation grid or an import's preview grid. (Also the
    staff views.)"""
    if not 0 <= index < len(ft.validation):
        raise Http404("No such validation image.")
    cell = ft.validation[index]
    return serve_stored(cell.get("image") or cell.get("grid"))

"""Staff-only pages beside the model admins: image files for review (otherwise served per
tenant) and the "Engine & models" status page."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from generation.admin import engine_status
from generation.file_responses import serve_file
from generation.models import ImageFile
from styles.file_responses import serve_dataset_image, serve_validation_cell
from styles.models import AdapterImport, DatasetImage, FineTune


@staff_member_required
def image_file(request, file_id):
    return serve_file(get_object_or_404(ImageFile, pk=file_id), request)


@staff_member_required
def dataset_image(request, image_id):
    return serve_dataset_image(get_object_or_404(DatasetImage, pk=image_id))


@staff_member_required
def finetune_validation(request, finetune_id, index):
    return serve_validation_cell(get_object_or_404(FineTune, pk=finetune_id), index)


@staff_member_required
def import_preview(request, import_id, index):
    return serve_validation_cell(get_object_or_404(AdapterImport, pk=import_id), index)


def engine_status_page(request):
    context = {
        **admin.site.each_context(request),
        "title": "Engine & models",
        "snap": engine_status.snapshot(),
    }
    return TemplateResponse(request, "admin/engine_status.html", context)


# admin_view: staff login, the admin's cache headers and CSRF, like every other admin page.
engine_status_view = admin.site.admin_view(engine_status_page)

"""Staff-only pages beside the model admins: image files (otherwise served per tenant) and the
"Engine & models" status page."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from generation import engine_status
from generation.api.views import serve_file
from generation.models import ImageFile


@staff_member_required
def image_file(request, file_id):
    return serve_file(get_object_or_404(ImageFile, pk=file_id))


def engine_status_page(request):
    context = {
        **admin.site.each_context(request),
        "title": "Engine & models",
        "snap": engine_status.snapshot(),
    }
    return TemplateResponse(request, "admin/engine_status.html", context)


# admin_view: staff login, the admin's cache headers and CSRF, like every other admin page.
engine_status_view = admin.site.admin_view(engine_status_page)

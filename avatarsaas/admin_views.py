"""Staff-only helpers for the admin (files are otherwise served per tenant)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404

from generation.api.views import serve_file
from generation.models import ImageFile


@staff_member_required
def image_file(request, file_id):
    return serve_file(get_object_or_404(ImageFile, pk=file_id))

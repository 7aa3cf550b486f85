"""Dashboard actions for a preset's brand reference images: add, view and remove."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from styles.file_responses import serve_stored
from styles.models import ReferenceImage
from styles.services import presets
from styles.web.errors import styles_view
from styles.web.forms import ReferenceImageForm
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import flash_domain_error


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def preset_reference_add(request, preset_id):
    presets.get_own_preset(tenant=request.tenant, preset_id=preset_id)
    form = ReferenceImageForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            presets.add_reference_image(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                preset_id=preset_id,
                upload=upload,
                original_name=upload.name,
            )
            messages.success(request, _("Reference image added."))
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            flash_domain_error(request, exc)
    else:
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect("preset_detail", preset_id=preset_id)


def _reference(request, reference_id) -> ReferenceImage:
    ref = ReferenceImage.objects.for_tenant(request.tenant).filter(pk=reference_id).first()
    if ref is None:
        raise Http404("No such reference image.")
    return ref


@styles_view(Perm.VIEW)
def reference_file(request, reference_id):
    return serve_stored(_reference(request, reference_id).file.name)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def reference_delete(request, reference_id):
    ref = _reference(request, reference_id)
    presets.remove_reference_image(
        tenant=request.tenant, actor=Actor.from_request(request), reference_id=ref.pk
    )
    return redirect("preset_detail", preset_id=ref.preset_id)

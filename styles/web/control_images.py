"""Dashboard actions for a preset's ControlNet control images: add, view and remove."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from styles.file_responses import serve_stored
from styles.models import PresetControlImage
from styles.services import control_images, presets
from styles.web.errors import styles_view
from styles.web.forms import ControlImageForm
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import flash_domain_error


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def preset_control_add(request, preset_id):
    presets.get_own_preset(tenant=request.tenant, preset_id=preset_id)
    form = ControlImageForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            control_images.add_control_image(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                preset_id=preset_id,
                upload=data["file"],
                control_type=data["control_type"],
                conditioning_scale=data["conditioning_scale"],
                preprocess=data["preprocess"],
                original_name=data["file"].name,
            )
            messages.success(request, _("Control image added: diffusion jobs now follow it."))
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            flash_domain_error(request, exc)
    else:
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect("preset_detail", preset_id=preset_id)


def _control(request, control_id) -> PresetControlImage:
    control = PresetControlImage.objects.for_tenant(request.tenant).filter(pk=control_id).first()
    if control is None:
        raise Http404("No such control image.")
    return control


@styles_view(Perm.VIEW)
def control_image_file(request, control_id):
    return serve_stored(_control(request, control_id).file.name)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def control_image_delete(request, control_id):
    control = _control(request, control_id)
    control_images.remove_control_image(
        tenant=request.tenant, actor=Actor.from_request(request), control_id=control.pk
    )
    return redirect("preset_detail", preset_id=control.preset_id)

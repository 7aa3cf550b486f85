"""Dashboard pages for style presets: the library, create, view, edit, copy and delete."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from styles import selectors
from styles.services import presets
from styles.web.errors import form_error, styles_view
from styles.web.forms import (
    AdapterChoiceForm,
    BrandKitForm,
    ControlImageForm,
    PresetForm,
    ReferenceImageForm,
)
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import flash_domain_error


@styles_view(Perm.VIEW)
def preset_list(request):
    all_presets = selectors.presets_for(request.tenant).order_by("tenant_id", "name")
    return render(
        request,
        "styles/preset_list.html",
        {
            "builtins": [p for p in all_presets if p.is_builtin],
            "own": [p for p in all_presets if not p.is_builtin],
            "brand_kit": BrandKitForm(
                initial={
                    "locked_presets_only": presets.brand_kit_of(request.tenant).locked_presets_only
                }
            ),
        },
    )


@styles_view(Perm.MANAGE_STYLES)
def preset_create(request):
    form = PresetForm(request.POST or None, initial=PresetForm.initial_for(presets.StylePreset()))
    if request.method == "POST" and form.is_valid():
        try:
            preset = presets.create_preset(
                tenant=request.tenant, actor=Actor.from_request(request), **form.cleaned_data
            )
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            return redirect("preset_detail", preset_id=preset.pk)
    return render(request, "styles/preset_form.html", {"form": form, "preset": None})


@styles_view(Perm.VIEW)
def preset_detail(request, preset_id):
    preset = presets.get_preset(tenant=request.tenant, preset_id=preset_id)
    ready = selectors.ready_adapters_for(request.tenant)
    return render(
        request,
        "styles/preset_detail.html",
        {
            "preset": preset,
            "references": preset.references.all() if not preset.is_builtin else [],
            "reference_form": ReferenceImageForm(),
            "control_images": preset.control_images.all() if not preset.is_builtin else [],
            "control_form": ControlImageForm(),
            "adapter_form": AdapterChoiceForm(
                adapters=ready, initial={"strength": preset.adapter_strength}
            ),
            "has_adapters": ready.exists(),
        },
    )


@styles_view(Perm.MANAGE_STYLES)
def preset_edit(request, preset_id):
    preset = presets.get_own_preset(tenant=request.tenant, preset_id=preset_id)
    form = PresetForm(request.POST or None, initial=PresetForm.initial_for(preset))
    if request.method == "POST" and form.is_valid():
        try:
            presets.update_preset(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                preset_id=preset.pk,
                **form.cleaned_data,
            )
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Preset saved."))
            return redirect("preset_detail", preset_id=preset.pk)
    return render(request, "styles/preset_form.html", {"form": form, "preset": preset})


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def preset_copy(request, preset_id):
    copy = presets.create_preset(
        tenant=request.tenant, actor=Actor.from_request(request), copy_of=preset_id
    )
    messages.success(request, _("Copied. Edit “%(name)s” to make it yours.") % {"name": copy.name})
    return redirect("preset_edit", preset_id=copy.pk)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def preset_delete(request, preset_id):
    try:
        presets.delete_preset(
            tenant=request.tenant, actor=Actor.from_request(request), preset_id=preset_id
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
        return redirect("preset_detail", preset_id=preset_id)
    messages.success(request, _("Preset deleted."))
    return redirect("preset_list")

"""Dashboard actions for LoRA adapters: activate a version on a preset, roll back, deprecate."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from styles import selectors
from styles.services import adapters, presets
from styles.web.errors import styles_view
from styles.web.forms import AdapterChoiceForm
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import flash_domain_error


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def preset_activate(request, preset_id):
    presets.get_own_preset(tenant=request.tenant, preset_id=preset_id)
    form = AdapterChoiceForm(request.POST, adapters=selectors.ready_adapters_for(request.tenant))
    if form.is_valid():
        try:
            adapters.activate_adapter(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                preset_id=preset_id,
                adapter_id=form.cleaned_data["adapter"],
                strength=form.cleaned_data["strength"],
            )
            messages.success(request, _("Adapter activated: new jobs through this preset use it."))
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            flash_domain_error(request, exc)
    else:
        messages.error(request, _("Pick a ready adapter version and a strength between 0 and 2."))
    return redirect("preset_detail", preset_id=preset_id)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def preset_rollback(request, preset_id):
    try:
        adapters.rollback_adapter(
            tenant=request.tenant, actor=Actor.from_request(request), preset_id=preset_id
        )
        messages.success(request, _("Rolled back to the previous adapter version."))
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    return redirect("preset_detail", preset_id=preset_id)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def adapter_deprecate(request, adapter_id):
    try:
        adapter = adapters.deprecate_adapter(
            tenant=request.tenant, actor=Actor.from_request(request), adapter_id=adapter_id
        )
        messages.success(request, _("%(adapter)s deprecated.") % {"adapter": adapter})
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    return redirect("finetune_list")

"""Dashboard actions for LoRA adapters: activate a version on a preset, roll back, deprecate,
import a LoRA file made elsewhere."""

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.upload_guard import cross_origin
from styles import selectors
from styles.services import adapter_imports, adapters, presets
from styles.web.errors import styles_view
from styles.web.forms import AdapterChoiceForm, AdapterImportForm
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


@csrf_exempt  # checked in _adapter_import, right after parsing (see dataset_upload)
@styles_view(Perm.MANAGE_STYLES)
@require_POST
def adapter_import(request):
    """Role and Origin are checked before the body is read; the file is spooled to disk."""
    if cross_origin(request):
        return render(request, "403.html", {"reason": _("Cross-site upload refused.")}, status=403)
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    try:
        request.FILES  # noqa: B018 - parse now, so an over-limit upload gets a message
    except (TooManyFilesSent, RequestDataTooBig):
        messages.error(request, _("Upload one LoRA file at a time."))
        return redirect("finetune_list")
    return _adapter_import(request)


@csrf_protect
def _adapter_import(request):
    form = AdapterImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a .safetensors LoRA file."))
        return redirect("finetune_list")
    try:
        item = adapter_imports.import_adapter(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            upload=form.cleaned_data["file"],
            name=form.cleaned_data["name"],
            trigger_word=form.cleaned_data["trigger_word"],
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(
            request,
            _(
                "%(name)s: uploaded. A worker checks it against the base model, then staff "
                "review it; it appears under adapter versions once approved."
            )
            % {"name": item.name},
        )
    return redirect("finetune_list")

"""Dashboard pages for presets (and the brand kit), LoRA datasets, fine-tunes and adapters.

Each view calls one service or selector; domain errors become form errors or flash messages.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.model_settings import weights_status
from styles import selectors
from styles.models import DatasetImage, FineTune, FineTuneState, ReferenceImage
from styles.services import adapters, datasets, finetunes, presets
from styles.web import loss_chart
from styles.web.forms import (
    AdapterChoiceForm,
    BrandKitForm,
    DatasetForm,
    FineTuneForm,
    PresetForm,
    ReferenceImageForm,
    UploadForm,
)
from tenants.actors import Actor
from tenants.roles import Perm, role_allows
from tenants.web import flash_domain_error, paginate, tenant_view


def styles_view(perm: str):
    """tenant_view, plus: a domain error nobody handled (e.g. editing a built-in) is shown
    on the 403 page with its reason instead of becoming a server error."""

    def decorator(view):
        @wraps(view)
        def inner(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except DomainError as exc:
                if exc.status_code == 404:
                    raise
                return render(request, "403.html", {"reason": exc.message}, status=403)

        return tenant_view(perm)(inner)

    return decorator


def _form_error(request, form, exc: DomainError) -> None:
    if exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        flash_domain_error(request, exc)


def serve_stored(name: str, content_type: str = "image/png"):
    try:
        handle = open_storage(name)
    except FileNotFoundError as exc:
        raise Http404("This file is no longer in storage.") from exc
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def open_storage(name: str):
    from django.core.files.storage import default_storage

    return default_storage.open(name, "rb")


# -- presets ------------------------------------------------------------------------------


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
@require_POST
def brand_kit(request):
    form = BrandKitForm(request.POST)
    if form.is_valid():
        presets.set_locked_presets_only(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            enabled=form.cleaned_data["locked_presets_only"],
        )
        messages.success(request, "Brand kit policy saved.")
    return redirect("preset_list")


@styles_view(Perm.MANAGE_STYLES)
def preset_create(request):
    form = PresetForm(request.POST or None, initial=PresetForm.initial_for(presets.StylePreset()))
    if request.method == "POST" and form.is_valid():
        try:
            preset = presets.create_preset(
                tenant=request.tenant, actor=Actor.from_request(request), **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(request, form, exc)
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
            _form_error(request, form, exc)
        else:
            messages.success(request, "Preset saved.")
            return redirect("preset_detail", preset_id=preset.pk)
    return render(request, "styles/preset_form.html", {"form": form, "preset": preset})


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def preset_copy(request, preset_id):
    copy = presets.create_preset(
        tenant=request.tenant, actor=Actor.from_request(request), copy_of=preset_id
    )
    messages.success(request, f"Copied. Edit “{copy.name}” to make it yours.")
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
    messages.success(request, "Preset deleted.")
    return redirect("preset_list")


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
            messages.success(request, "Reference image added.")
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
            messages.success(request, "Adapter activated: new jobs through this preset use it.")
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            flash_domain_error(request, exc)
    else:
        messages.error(request, "Pick a ready adapter version and a strength between 0 and 2.")
    return redirect("preset_detail", preset_id=preset_id)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def preset_rollback(request, preset_id):
    try:
        adapters.rollback_adapter(
            tenant=request.tenant, actor=Actor.from_request(request), preset_id=preset_id
        )
        messages.success(request, "Rolled back to the previous adapter version.")
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
        messages.success(request, f"{adapter} deprecated.")
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    return redirect("finetune_list")


# -- datasets -----------------------------------------------------------------------------


@styles_view(Perm.VIEW)
def dataset_list(request):
    form = DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = datasets.create_dataset(
                tenant=request.tenant, actor=Actor.from_request(request), **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(request, form, exc)
        else:
            return redirect("dataset_detail", dataset_id=dataset.pk)
    return render(
        request,
        "styles/dataset_list.html",
        {"datasets": paginate(request, selectors.datasets_for(request.tenant)), "form": form},
    )


@styles_view(Perm.VIEW)
def dataset_detail(request, dataset_id):
    dataset = datasets.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
    if request.method == "POST":
        captions = {
            k.removeprefix("caption_"): v
            for k, v in request.POST.items()
            if k.startswith("caption_")
        }
        try:
            changed = datasets.update_captions(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                dataset_id=dataset.pk,
                captions=captions,
            )
            messages.success(request, f"Saved {changed} caption(s).")
        except DomainError as exc:
            flash_domain_error(request, exc)
        return redirect("dataset_detail", dataset_id=dataset.pk)
    images = dataset.images.order_by("status", "created_at")
    uses = FineTune.objects.for_tenant(request.tenant).filter(dataset=dataset)
    in_use = uses.filter(state__in=datasets.IN_USE).first()
    return render(
        request,
        "styles/dataset_detail.html",
        {
            "dataset": dataset,
            "in_use": in_use,
            "can_remove": role_allows(request.membership.role, Perm.MANAGE_STYLES)
            and in_use is None,
            "draft_count": uses.filter(state=FineTuneState.DRAFT).count(),
            "images": paginate(request, images, per_page=100),
            "accepted": dataset.images.filter(status="accepted").count(),
            "rejected": dataset.images.filter(status="rejected").count(),
            "upload_form": UploadForm(),
            # The page's script splits big selections into requests within these limits.
            "batch_files": max(1, settings.DATA_UPLOAD_MAX_NUMBER_FILES - 10),
            "batch_bytes": int(getattr(settings, "MAX_REQUEST_BODY_BYTES", 0) or 2**31) * 9 // 10,
        },
    )


@csrf_exempt
def dataset_upload(request, dataset_id):
    # Spool uploads to temporary files before anything reads the body (the CSRF check
    # included), so a 1000-image upload never sits in memory; CSRF is checked right after.
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    try:
        request.FILES  # noqa: B018 - parse now, so over-limit uploads get a message, not a 400 page
    except (TooManyFilesSent, RequestDataTooBig):
        messages.error(request, datasets.too_many_files_message())
        return redirect("dataset_detail", dataset_id=dataset_id)
    return _dataset_upload(request, dataset_id)


@csrf_protect
@styles_view(Perm.MANAGE_STYLES)
@require_POST
def _dataset_upload(request, dataset_id):
    dataset = datasets.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose at least one file.")
        return redirect("dataset_detail", dataset_id=dataset.pk)
    try:
        report = datasets.ingest_uploads(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            dataset_id=dataset.pk,
            files=form.cleaned_data["files"],
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        level = messages.WARNING if report.rejected else messages.SUCCESS
        messages.add_message(
            request,
            level,
            f"{report.accepted} accepted, {report.rejected} rejected (reasons below).",
        )
    return redirect("dataset_detail", dataset_id=dataset.pk)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def dataset_delete(request, dataset_id):
    try:
        gone = datasets.delete_dataset(
            tenant=request.tenant, actor=Actor.from_request(request), dataset_id=dataset_id
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
        return redirect("dataset_detail", dataset_id=dataset_id)
    drafts = gone["draft_finetunes"]
    messages.success(
        request,
        f"Dataset deleted with its {gone['images']} image(s)"
        + (f" and {drafts} draft fine-tune(s)." if drafts else "."),
    )
    return redirect("dataset_list")


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def dataset_image_delete(request, image_id):
    image = datasets.get_dataset_image(tenant=request.tenant, image_id=image_id)
    try:
        datasets.delete_dataset_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image.pk
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    else:
        messages.success(request, f"Removed {image.original_name}.")
    return redirect("dataset_detail", dataset_id=image.dataset_id)


def serve_dataset_image(image: DatasetImage | None):
    """A dataset image's stored copy; a rejected upload stored nothing. (Also the staff view.)"""
    if image is None or not image.file:
        raise Http404("No such image.")
    return serve_stored(image.file.name, "image/jpeg" if image.format == "jpeg" else "image/png")


def serve_validation_cell(ft: FineTune, index: int):
    """One picture of a fine-tune's validation grid. (Also the staff view.)"""
    if not 0 <= index < len(ft.validation):
        raise Http404("No such validation image.")
    cell = ft.validation[index]
    return serve_stored(cell.get("image") or cell.get("grid"))


@styles_view(Perm.VIEW)
def dataset_image_file(request, image_id):
    return serve_dataset_image(
        DatasetImage.objects.for_tenant(request.tenant).filter(pk=image_id).first()
    )


# -- fine-tunes ---------------------------------------------------------------------------


@styles_view(Perm.VIEW)
def finetune_list(request):
    return render(
        request,
        "styles/finetune_list.html",
        {
            "finetunes": paginate(request, selectors.finetunes_for(request.tenant)),
            "adapters": selectors.adapters_for(request.tenant),
        },
    )


@styles_view(Perm.MANAGE_STYLES)
def finetune_create(request):
    form = FineTuneForm(
        request.POST or None,
        datasets=selectors.datasets_for(request.tenant),
        presets=selectors.presets_for(request.tenant).filter(tenant=request.tenant),
        initial={"dataset": request.GET.get("dataset")},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            ft = finetunes.create_finetune(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                dataset_id=data.pop("dataset"),
                preset_id=data.pop("preset") or None,
                **data,
            )
        except DomainError as exc:
            _form_error(request, form, exc)
        else:
            return redirect("finetune_detail", finetune_id=ft.pk)
    return render(request, "styles/finetune_form.html", {"form": form})


@styles_view(Perm.VIEW)
def finetune_detail(request, finetune_id):
    ft = finetunes.get_finetune(tenant=request.tenant, finetune_id=finetune_id)
    adapter = getattr(ft, "adapter", None) if ft.state == FineTuneState.READY else None
    cells = [c for c in ft.validation if "prompt" in c]
    own_presets = selectors.presets_for(request.tenant).filter(tenant=request.tenant)
    losses = [loss for _, loss in ft.loss_curve]
    return render(
        request,
        "styles/finetune_detail.html",
        {
            "ft": ft,
            "adapter": adapter,
            "cells": cells,
            "has_grid": any("grid" in c for c in ft.validation),
            "presets": own_presets,
            "loss_first": losses[0] if losses else None,
            "loss_last": losses[-1] if losses else None,
            "loss_points": ft.loss_curve[-20:],
            "chart": loss_chart.build(ft.loss_curve),
            "terminal": ft.state in finetunes.TERMINAL,
            "weights": weights_status(),
        },
    )


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def finetune_submit(request, finetune_id):
    try:
        finetunes.submit_finetune(
            tenant=request.tenant, actor=Actor.from_request(request), finetune_id=finetune_id
        )
        messages.success(request, "Submitted for review; the credits are reserved.")
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    return redirect("finetune_detail", finetune_id=finetune_id)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def finetune_cancel(request, finetune_id):
    try:
        finetunes.cancel_finetune(
            tenant=request.tenant, actor=Actor.from_request(request), finetune_id=finetune_id
        )
        messages.success(request, "Canceled; reserved credits were released.")
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    return redirect("finetune_detail", finetune_id=finetune_id)


@styles_view(Perm.VIEW)
def finetune_validation_image(request, finetune_id, index):
    ft = finetunes.get_finetune(tenant=request.tenant, finetune_id=finetune_id)
    return serve_validation_cell(ft, index)

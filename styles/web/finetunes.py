"""Dashboard pages for fine-tunes: list, create, detail with loss chart, submit, cancel."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.model_settings import weights_status
from styles import selectors
from styles.file_responses import serve_validation_cell
from styles.models import FineTuneState
from styles.services import adapter_imports, finetunes
from styles.web import loss_chart
from styles.web.errors import form_error, styles_view
from styles.web.forms import AdapterImportForm, FineTuneForm
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import flash_domain_error, paginate


@styles_view(Perm.VIEW)
def finetune_list(request):
    return render(
        request,
        "styles/finetune_list.html",
        {
            "finetunes": paginate(request, selectors.finetunes_for(request.tenant)),
            "adapters": selectors.adapters_for(request.tenant),
            "imports": selectors.adapter_imports_for(request.tenant)[:20],
            "import_form": AdapterImportForm(),
            "import_max_mb": adapter_imports.max_bytes() // (1024 * 1024),
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
            form_error(request, form, exc)
        else:
            return redirect("finetune_detail", finetune_id=ft.pk)
    return render(request, "styles/finetune_form.html", {"form": form})


@styles_view(Perm.VIEW)
def finetune_detail(request, finetune_id):
    ft = finetunes.get_finetune(tenant=request.tenant, finetune_id=finetune_id)
    adapter = getattr(ft, "adapter", None) if ft.state == FineTuneState.READY else None
    cells = [c for c in ft.validation if "prompt" in c]
    own_presets = selectors.presets_for(request.tenant).filter(tenant=request.tenant)
    losses = [loss for _step, loss in ft.loss_curve]
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
        messages.success(request, _("Submitted for review; the credits are reserved."))
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
        messages.success(request, _("Canceled; reserved credits were released."))
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    return redirect("finetune_detail", finetune_id=finetune_id)


@styles_view(Perm.VIEW)
def finetune_validation_image(request, finetune_id, index):
    ft = finetunes.get_finetune(tenant=request.tenant, finetune_id=finetune_id)
    return serve_validation_cell(ft, index)

"""Dashboard pages for controlled and edited renders: a job's control maps, image-to-image
variations ("Vary (subtle)" / "Vary (strong)") and region edits painted on a canvas."""

from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.vocabulary import VARIATION_STRENGTHS
from generation import selectors
from generation.file_responses import serve_stored_png
from generation.jobs.changes import get_image, get_job
from generation.jobs.edits import MAX_EDIT_PROMPT, edit_image
from generation.jobs.variations import vary_image
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import flash_domain_error, tenant_view


@tenant_view(Perm.VIEW)
def job_control_map(request, job_id, index: int):
    """The control map a job was conditioned on (as stored, at the job's size)."""
    try:
        job = get_job(tenant=request.tenant, job_id=job_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    if not 0 <= index < len(job.controls or []):
        raise Http404("No such control map.")
    return serve_stored_png(job.controls[index]["map"])


@tenant_view(Perm.GENERATE)
@require_POST
def image_vary(request, image_id):
    """'Vary (subtle)' / 'Vary (strong)' on a candidate: an image-to-image job from it."""
    kind = request.POST.get("variation", "subtle")
    strength = VARIATION_STRENGTHS.get(kind, VARIATION_STRENGTHS["subtle"])
    try:
        job = vary_image(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            image_id=image_id,
            strength=strength,
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from exc
        flash_domain_error(request, exc)
        image = get_image(tenant=request.tenant, image_id=image_id)
        return redirect("job_detail", job_id=image.job_id)
    if kind == "strong":
        messages.success(request, _("A strong variation of that avatar is rendering now."))
    else:
        messages.success(request, _("A subtle variation of that avatar is rendering now."))
    return redirect("job_detail", job_id=job.pk)


def _mask_bytes(data_url: str) -> bytes:
    """The canvas script posts the mask as a data: URL; anything else reads as no mask."""
    _header, _sep, payload = (data_url or "").partition("base64,")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return b""


@tenant_view(Perm.GENERATE)
def image_edit(request, image_id):
    """Paint over part of an avatar and say what should be there instead."""
    try:
        image = get_image(tenant=request.tenant, image_id=image_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    prompt, error = "", None
    if request.method == "POST":
        prompt = request.POST.get("prompt", "")
        try:
            job = edit_image(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                image_id=image.pk,
                mask=_mask_bytes(request.POST.get("mask_data", "")),
                prompt=prompt,
            )
        except DomainError as exc:
            if exc.status_code == 404:
                raise Http404(exc.message) from exc
            error = exc
        else:
            messages.success(request, _("Editing that region now; the rest stays as it was."))
            return redirect("job_detail", job_id=job.pk)
    return render(
        request,
        "generation/image_edit.html",
        {
            "image": image,
            "job": image.job,
            "preview": selectors.thumbnail_of(image, want=512),
            "prompt": prompt,
            "error": error,
            "max_prompt": MAX_EDIT_PROMPT,
        },
        status=400 if error else 200,
    )

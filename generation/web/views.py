"""Dashboard pages for generating avatars: submit, follow progress, pick, download, vary."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError, InvalidInput
from core.model_settings import fast_mode, weights_status
from generation import selectors
from generation.file_responses import serve_file
from generation.jobs import pricing
from generation.jobs.changes import (
    cancel_job,
    get_file,
    get_image,
    get_job,
    rerender_image,
    select_image,
)
from generation.jobs.controls import ControlUpload
from generation.jobs.submit import JobRequest, submit_job
from generation.jobs.variations import vary_job
from generation.models import GenerationJob, JobStatus
from generation.quality import feedback
from generation.web.attribute_history import AttributeHistory, history_from_post
from generation.web.downloads import (
    FORMATS,
    SHAPES,
    PackChoice,
    PackThrottled,
    count_download,
    pack_zip,
)
from generation.web.forms import GenerateForm
from generation.web.preset_thumbnails import preset_thumbnail_png
from generation.web.preview import preview_for
from generation.worker.claim import queue_position
from styles.models import StylePreset
from styles.services.control_images import MAX_CONTROL_BYTES
from tenants.actors import Actor
from tenants.roles import Perm, role_allows
from tenants.web import flash_domain_error, paginate, tenant_view

ADVANCED_FIELDS = ("n", "seed", "engine", "size", "steps", "speed")


def _presets(tenant):
    return list(StylePreset.objects.available_to(tenant).order_by("tenant_id", "name"))


@tenant_view(Perm.GENERATE)
def generate(request):
    """The form; "Preview", "Undo" and "Redo" re-render it (the no-JavaScript path) with what
    was understood and a sketch, "Generate" submits the edited attributes."""
    presets = _presets(request.tenant)
    weights = weights_status()
    form = GenerateForm(
        request.POST or None,
        request.FILES or None,
        presets=presets,
        diffusion_configured=weights.diffusion,
        fast_available=fast_mode() is not None,
    )
    history, action, status, preview = AttributeHistory(), "", 200, None  # a plain GET
    if request.method == "POST":
        try:
            history, action = history_from_post(request.POST)
        except InvalidInput as exc:
            # The edits or their history came back malformed: refuse them, keep the rest.
            form.add_error(None, f"{exc.field}: {exc.message}")
            status = 400
    if action == "generate" and form.is_valid():
        data = form.cleaned_data
        try:
            job, _created = submit_job(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                request=JobRequest(
                    description=data["description"],
                    preset_id=data["preset"] or None,
                    engine=data["engine"],
                    n=data["n"],
                    seed=data["seed"],
                    size=data["size"] or None,
                    steps=data["steps"],
                    speed=data.get("speed") or "standard",
                    circle=data["circle"],
                    attributes=history.current,
                    control=_control_upload(data),
                ),
            )
        except DomainError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                flash_domain_error(request, exc)
        else:
            return redirect("job_detail", job_id=job.pk)
    if action:
        preview = preview_for(request, history=history, action=action)
    return render(
        request,
        "generation/generate.html",
        {
            "form": form,
            "presets": presets,
            "selected_preset": form["preset"].value() or "",
            "advanced_fields": [form[n] for n in ADVANCED_FIELDS if n in form.fields],
            "control_fields": [form[n] for n in ("control_image", "control_type", "control_scale")],
            "weights": weights,
            "pricing": pricing.pricing_summary(),
            "history": history,
            "preview": preview,
        },
        status=status,
    )


def _control_upload(data) -> ControlUpload | None:
    upload = data.get("control_image")
    if not upload:
        return None
    scale = data.get("control_scale")
    return ControlUpload(
        data=upload.read(MAX_CONTROL_BYTES + 1),
        type=data.get("control_type") or "scribble",
        scale=1.0 if scale is None else scale,
    )


@tenant_view(Perm.VIEW)
def preset_thumbnail(request, preset_id):
    """The picture a preset card shows in the picker (reference image or vector drawing)."""
    preset = StylePreset.objects.available_to(request.tenant).filter(pk=preset_id).first()
    if preset is None:
        raise Http404("No such style preset in this workspace.")
    response = HttpResponse(preset_thumbnail_png(preset), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


@tenant_view(Perm.VIEW)
def job_list(request):
    qs = GenerationJob.objects.for_tenant(request.tenant).select_related("preset")
    status = request.GET.get("status", "")
    if status in JobStatus.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "generation/job_list.html",
        {
            "jobs": paginate(request, qs),
            "status": status,
            "statuses": JobStatus.choices,
            "query": urlencode({"status": status}) if status else "",
        },
    )


def _job_for(request, job_id):
    try:
        return get_job(tenant=request.tenant, job_id=job_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _label(reason: str | None) -> str:
    """A rejection reason as the job page shows it: near_uniform -> "near uniform"."""
    return (reason or "").replace("_", " ")


def _ranked(images: list) -> list:
    """The worker's order (stored ranks; older jobs: by final score), the pick first."""
    ranked = sorted(
        images,
        key=lambda i: (
            i.rank is None,
            i.rank or 0,
            i.final_score is None,
            -(i.final_score or 0),
            i.index,
        ),
    )
    for position, img in enumerate(ranked, 1):
        img.rank = img.rank or position
        img.ranked = img.final_score is not None
    return sorted(ranked, key=lambda i: not i.selected)


@tenant_view(Perm.VIEW)
def job_detail(request, job_id):
    job = _job_for(request, job_id)
    images = _ranked(list(job.images.prefetch_related("files")))
    mine = feedback.feedback_for(actor=Actor.from_request(request), images=images)
    for img in images:
        img.thumb = selectors.thumbnail_of(img)
        img.my_vote = mine[img.pk].vote if img.pk in mine else ""
        img.fallback = _label((img.quality or {}).get("fallback"))
    return render(
        request,
        "generation/job_detail.html",
        {
            "job": job,
            "images": images,
            "rejected": [
                {**r, "label": _label(r.get("reason"))}
                for r in (job.quality or {}).get("rejected", [])
            ],
            "queue_position": queue_position(job),
            "weights": weights_status(),
            "can_generate": role_allows(request.membership.role, Perm.GENERATE),
            "pack_sizes": selectors.pack_sizes_for(job),
            "pack_shapes": SHAPES,
            "pack_formats": FORMATS,
        },
    )


@tenant_view(Perm.VIEW)
def job_status(request, job_id):
    job = _job_for(request, job_id)
    return JsonResponse(
        {
            "status": job.status,
            "progress": job.progress,
            "step": job.progress_step,
            "total": job.progress_total,
            "queue_position": queue_position(job),
            "failure": job.failure_message if job.failure_code else None,
            "terminal": job.is_terminal,
        }
    )


@tenant_view(Perm.GENERATE)
@require_POST
def job_cancel(request, job_id):
    try:
        cancel_job(tenant=request.tenant, actor=Actor.from_request(request), job_id=job_id)
        messages.success(request, _("Job canceled; its credits were released."))
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from exc
        flash_domain_error(request, exc)
    return redirect("job_detail", job_id=job_id)


@tenant_view(Perm.GENERATE)
@require_POST
def job_vary(request, job_id):
    try:
        job = vary_job(tenant=request.tenant, actor=Actor.from_request(request), job_id=job_id)
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from exc
        flash_domain_error(request, exc)
        return redirect("job_detail", job_id=job_id)
    messages.success(request, _("Same description and settings, new seeds: rendering now."))
    return redirect("job_detail", job_id=job.pk)


@tenant_view(Perm.GENERATE)
@require_POST
def image_select(request, image_id):
    try:
        image = select_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
    except DomainError as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("Picked. Its avatar pack is ready to download."))
    return redirect("job_detail", job_id=image.job_id)


@tenant_view(Perm.GENERATE)
@require_POST
def image_rerender(request, image_id):
    try:
        job = rerender_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from exc
        flash_domain_error(request, exc)
        return redirect("job_list")
    return redirect("job_detail", job_id=job.pk)


@tenant_view(Perm.VIEW)
def file_download(request, file_id):
    try:
        f = get_file(tenant=request.tenant, file_id=file_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return serve_file(f, request)  # pages show candidates through here: not a download


@tenant_view(Perm.VIEW)
def image_pack(request, image_id):
    """The avatar pack as a zip: the chosen sizes, shapes and formats, plus the sidecar."""
    try:
        image = get_image(tenant=request.tenant, image_id=image_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    choice = PackChoice.from_query(request.GET, circle_default=image.job.circle)
    try:
        count_download(request.tenant.pk)
        body = pack_zip(image, choice)  # stored files, or cached in-memory renders: no writes
    except PackThrottled as exc:
        response = HttpResponse(str(exc), status=429, content_type="text/plain")
        response["Retry-After"] = str(exc.retry_after)
        return response
    response = HttpResponse(body, content_type="application/zip")
    feedback.record_download(tenant=request.tenant, actor=Actor.from_request(request), image=image)
    response["Content-Disposition"] = f'attachment; filename="avatar-{str(image.pk)[:8]}.zip"'
    return response

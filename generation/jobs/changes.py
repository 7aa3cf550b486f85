"""Changes to submitted jobs: look a job, image or file up; cancel, re-render, select."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from core.errors import Conflict, InvalidInput, NotFound
from generation.jobs import state as job_state
from generation.jobs.submit import JobRequest, require_access, submit_job
from generation.models import GeneratedImage, GenerationJob, ImageFile, JobMode, JobStatus
from generation.quality import feedback
from generation.webhooks import delivery as webhooks
from generation.worker import packs
from tenants import credits
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant
from tenants.roles import Perm


def get_job(*, tenant: Tenant, job_id) -> GenerationJob:
    try:
        return GenerationJob.objects.for_tenant(tenant).get(pk=job_id)
    except (GenerationJob.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("Job not found.")) from exc


def get_image(*, tenant: Tenant, image_id) -> GeneratedImage:
    try:
        return GeneratedImage.objects.for_tenant(tenant).select_related("job").get(pk=image_id)
    except (GeneratedImage.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("Image not found.")) from exc


def get_file(*, tenant: Tenant, file_id) -> ImageFile:
    try:
        return ImageFile.objects.for_tenant(tenant).get(pk=file_id)
    except (ImageFile.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("File not found.")) from exc


def cancel_job(*, tenant: Tenant, actor: Actor, job_id) -> GenerationJob:
    """Cancel a queued or running job and release its credits (once)."""
    require_access(actor, tenant, Perm.GENERATE, "jobs:write")
    with transaction.atomic():
        try:
            job = GenerationJob.objects.for_tenant(tenant).select_for_update().get(pk=job_id)
        except (GenerationJob.DoesNotExist, ValidationError, ValueError) as exc:
            raise NotFound(gettext("Job not found.")) from exc
        if job.is_terminal:
            raise Conflict(
                gettext("The job already %(status)s; nothing to cancel.") % {"status": job.status},
                code="invalid_state",
            )
        job_state.transition_job(
            job, JobStatus.CANCELED, failure_code="canceled", failure_message="Canceled by request."
        )
        credits.release_credits(tenant=tenant, reference=f"job:{job.pk}", actor=actor)
        record_event(tenant=tenant, actor=actor, action="job.canceled", target=job)
    webhooks.emit_job_event(job)
    return job


def rerender_image(*, tenant: Tenant, actor: Actor, image_id) -> GenerationJob:
    """Render an image again from its recorded settings, bypassing the cache.

    Diffusion kernels round differently by batch size, so a bit-identical re-render replays the
    image's whole batch (`batch_seeds` in its metadata); the replayed image is then selected.
    """
    image = get_image(tenant=tenant, image_id=image_id)
    job = image.job
    if job.mode == JobMode.STATEPACK:
        # A state is one image of a pack's job; its deliverables belong to the pack.
        raise InvalidInput(
            "A state pack's image is re-rendered with its pack: make a new state pack from "
            "the source avatar.",
            field="image",
            code="state_pack_image",
        )
    seeds = tuple(image.metadata.get("batch_seeds") or [image.seed])
    request = JobRequest.from_job(job, n=1, seed=image.seed, seeds=seeds, rerender_of=str(image.pk))
    new_job, _ = submit_job(tenant=tenant, actor=actor, request=request)
    return new_job


def select_image(*, tenant: Tenant, actor: Actor, image_id) -> GeneratedImage:
    """Pick the winner of a job: it becomes `selected` and gets its full avatar pack."""
    require_access(actor, tenant, Perm.GENERATE, "jobs:write")
    image = get_image(tenant=tenant, image_id=image_id)

    with transaction.atomic():
        GeneratedImage.objects.filter(job=image.job).exclude(pk=image.pk).update(selected=False)
        GeneratedImage.objects.filter(pk=image.pk).update(selected=True)
        image.selected = True
        feedback.record_pick(tenant=tenant, actor=actor, image=image)
    packs.ensure_pack(image, circle=image.job.circle)
    return image

"""The result cache: what identifies a job's pixels, and answering a job from an earlier one."""

from __future__ import annotations

import hashlib
import json

from django.utils import timezone

from generation.models import GenerationJob, JobStatus
from tenants.models import Tenant


def cache_key_for(job: GenerationJob, palette: tuple[str, ...]) -> str:
    """Everything that determines the pixels, scoped to the tenant."""
    if job.mode == "statepack":
        # A pack's deliverables live on its StatePack row, which a cache hit would not copy.
        return ""
    parts = {
        "tenant": str(job.tenant_id),
        "engine": job.engine,
        "model": job.model_hash,
        "adapter": job.adapter_version_id,
        "strength": job.adapter_strength,
        "prompt": job.prompt,
        "negative": job.negative_prompt,
        "attributes": job.attributes if job.engine == "vector" else None,
        "palette": list(palette) if job.engine == "vector" else None,
        "seeds": job.seeds,
        "size": job.size,
        "steps": job.steps,
        "cfg": job.guidance_scale,
        "scheduler": job.scheduler,
        "circle": job.circle,
        "preset": str(job.preset_id or ""),
    }
    # Added only when used, so the keys of plain jobs (and their cached results) stay the same.
    if job.speed != "standard":
        parts["speed"] = job.speed
    if job.controls:
        parts["controls"] = [(c["type"], c["scale"], c["map_hash"]) for c in job.controls]
    if job.mode != "generate":
        parts["edit"] = {
            "mode": job.mode,
            "parent": str(job.parent_image_id or ""),
            "strength": job.strength,
            "mask": job.mask_hash,
        }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def cached_sources(tenant: Tenant, cache_key: str):
    """This tenant's rendered (not themselves cached) jobs with the same pixels, latest first."""
    return (
        GenerationJob.objects.for_tenant(tenant)
        .filter(cache_key=cache_key, status=JobStatus.SUCCEEDED, cache_hit=False)
        .order_by("-finished_at")
    )


def fill_from_cache(job: GenerationJob, source: GenerationJob) -> None:
    """A cache hit: same pixels already exist, so copy rows pointing at the same files."""
    now = timezone.now()
    job.status = JobStatus.SUCCEEDED
    job.cache_hit = True
    job.cache_source = source
    job.cost_credits = 0
    job.progress = 100
    job.started_at = job.finished_at = now
    job.engine_seconds = 0.0
    job.save()
    for image in source.images.prefetch_related("files"):
        files = list(image.files.all())
        image.pk = None
        image.id = None
        image._state.adding = True
        image.job = job
        image.save()
        for f in files:
            f.pk = None
            f.id = None
            f._state.adding = True
            f.image = image
            f.save()

"""Variations: 'Vary seeds' (the same request, new seeds) and image-to-image variations of one
candidate ('Vary (subtle)' / 'Vary (strong)'). Both are normal, charged, quota-counted jobs."""

from __future__ import annotations

from core.errors import InvalidInput
from core.vocabulary import VARIATION_STRENGTHS
from generation.jobs.changes import get_image, get_job
from generation.jobs.submit import JobRequest, require_access, submit_job
from generation.models import GenerationJob, JobMode
from tenants.actors import Actor
from tenants.models import Tenant
from tenants.roles import Perm


def vary_job(*, tenant: Tenant, actor: Actor, job_id) -> GenerationJob:
    source = get_job(tenant=tenant, job_id=job_id)
    if source.mode == JobMode.STATEPACK:
        # New seeds would draw another character: a pack is made from a picked avatar.
        raise InvalidInput(
            "A state pack keeps its avatar's seed; make a new pack from the avatar instead.",
            field="job",
            code="state_pack_job",
        )
    # seed=None: submit_job draws new seeds, so the cache cannot answer.
    request = JobRequest.from_job(source, seed=None)
    job, _ = submit_job(tenant=tenant, actor=actor, request=request)
    return job


def vary_image(
    *,
    tenant: Tenant,
    actor: Actor,
    image_id,
    strength: float = VARIATION_STRENGTHS["subtle"],
    seed: int | None = None,
    idempotency_key: str | None = None,
) -> GenerationJob:
    """Image-to-image from one candidate: same prompt, engine, adapter and controls, its
    recorded seed (unless `seed` is given) and `strength` of the schedule re-drawn.

    Diffusion starts from the parent's stored latents (exact) or its pixels; the vector engine
    perturbs the parent's plan. The new job's `parent_image` links it to its parent.
    """
    require_access(actor, tenant, Perm.GENERATE, "jobs:write")
    image = get_image(tenant=tenant, image_id=image_id)
    chosen = image.seed if seed is None else seed
    request = JobRequest.from_job(
        image.job,
        n=1,
        seed=chosen,
        seeds=(chosen,),
        mode=JobMode.VARY,
        parent_image_id=str(image.pk),
        strength=strength,
        mask=None,
    )
    job, _ = submit_job(
        tenant=tenant, actor=actor, request=request, idempotency_key=idempotency_key
    )
    return job

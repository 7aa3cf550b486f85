"""'Vary': the same request as an earlier job, with fresh seeds (a normal, charged job)."""

from __future__ import annotations

from generation.jobs import services as jobs
from generation.models import GenerationJob
from tenants.actors import Actor
from tenants.models import Tenant


def vary_job(*, tenant: Tenant, actor: Actor, job_id) -> GenerationJob:
    source = jobs.get_job(tenant=tenant, job_id=job_id)
    request = jobs.JobRequest(
        description=source.description,
        preset_id=str(source.preset_id) if source.preset_id else None,
        attributes=source.attributes,
        engine=source.engine,
        n=source.n,
        seed=None,  # submit_job draws new seeds, so the cache cannot answer
        size=source.size,
        steps=source.steps,
        guidance_scale=source.guidance_scale,
        scheduler=source.scheduler,
        circle=source.circle,
        adapter_strength=source.adapter_strength,
    )
    job, _ = jobs.submit_job(tenant=tenant, actor=actor, request=request)
    return job

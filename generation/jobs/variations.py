"""'Vary': the same request as an earlier job, with fresh seeds (a normal, charged job)."""

from __future__ import annotations

from generation.jobs.changes import get_job
from generation.jobs.submit import JobRequest, submit_job
from generation.models import GenerationJob
from tenants.actors import Actor
from tenants.models import Tenant


def vary_job(*, tenant: Tenant, actor: Actor, job_id) -> GenerationJob:
    source = get_job(tenant=tenant, job_id=job_id)
    # seed=None: submit_job draws new seeds, so the cache cannot answer.
    request = JobRequest.from_job(source, seed=None)
    job, _ = submit_job(tenant=tenant, actor=actor, request=request)
    return job

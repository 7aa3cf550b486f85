"""Generation's answers to events announced by the layers below it (connected in apps.py)."""

from __future__ import annotations

from datetime import datetime

from generation.jobs.changes import cancel_job
from generation.models import GenerationJob, JobStatus
from generation.webhooks import delivery


def send_webhooks_for_event(sender, *, tenant, event_type: str, data: dict, **kwargs) -> None:
    delivery.emit_event(tenant=tenant, event_type=event_type, data=data)


def cancel_jobs_of_suspended_workspace(sender, *, tenant, actor, **kwargs) -> dict:
    job_ids = list(
        GenerationJob.objects.for_tenant(tenant)
        .filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
        .values_list("pk", flat=True)
    )
    for job_id in job_ids:
        cancel_job(tenant=tenant, actor=actor, job_id=job_id)
    return {"jobs_canceled": len(job_ids)}


def count_key_jobs_since(api_key, since: datetime) -> int:
    """Jobs an API key submitted since `since`, for its monthly quota."""
    return (
        GenerationJob.objects.filter(
            tenant_id=api_key.tenant_id, requested_by_key=api_key, created_at__gte=since
        )
        .exclude(status=JobStatus.FAILED)  # our failures do not spend the caller's quota
        .count()
    )

"""Telling the GPU cluster that a job waits. The row, not the message, is the truth."""

from __future__ import annotations

from django.utils import timezone

from core.queue import GPU_CLUSTER, nudge
from generation.models import GenerationJob


def enqueue_job(job_id) -> None:
    GenerationJob.objects.filter(pk=job_id).update(last_enqueued_at=timezone.now())
    nudge_new_job(job_id)


def nudge_new_job(job_id) -> None:
    """Nudge for a job whose row already carries `last_enqueued_at` (set at insert)."""
    nudge(
        "generation.tasks.run_generation",
        str(job_id),
        what=f"job {job_id}",
        cluster=GPU_CLUSTER,
        task_name=f"job-{job_id}",
    )

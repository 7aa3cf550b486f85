"""django-q2 entry points: a few lines each, ids only, safe to run twice."""

from __future__ import annotations

import logging

from django.utils import timezone

GPU_CLUSTER = "gpu"
logger = logging.getLogger(__name__)


def enqueue_job(job_id) -> None:
    """Nudge the GPU cluster that a job is waiting. The row, not the message, is the truth."""
    from django_q.tasks import async_task

    from generation.models import GenerationJob

    GenerationJob.objects.filter(pk=job_id).update(last_enqueued_at=timezone.now())
    try:
        async_task(
            "generation.tasks.run_generation",
            str(job_id),
            cluster=GPU_CLUSTER,
            task_name=f"job-{job_id}",
        )
    except Exception:  # noqa: BLE001 - broker down: the job is committed, the sweeper re-nudges
        # Raising here (after commit) would answer 500 for a job that exists and is paid for,
        # inviting a client without an Idempotency-Key to submit (and pay) twice.
        logger.warning(
            "Queue nudge for job %s failed; the sweeper will retry", job_id, exc_info=True
        )


def run_generation(job_id: str) -> str | None:
    """Claim the next job this worker may fairly take (not necessarily `job_id`) and run it."""
    from generation import runner

    job = runner.process_one()
    return str(job.pk) if job else None


def sweep_jobs() -> dict:
    from generation import runner

    return runner.sweep()


def deliver_webhook(delivery_id: str) -> str:
    from generation import webhooks

    return webhooks.deliver(delivery_id)


def retry_due_webhooks() -> int:
    from generation import webhooks

    return webhooks.retry_due()

"""django-q2 entry points: a few lines each, ids only, safe to run twice."""

from __future__ import annotations

import logging

from django.utils import timezone

GPU_CLUSTER = "gpu"
logger = logging.getLogger(__name__)


def nudge(func: str, *args, what: str, **kwargs) -> None:
    """Queue a task that only nudges work whose database row is the truth. Nudges run after
    commit (a submit, an approval, a job's end), so a broker outage must not raise here: that
    would turn a committed, paid change into a 500 (inviting a paid retry) or a finished job
    into a "crashed" one. The failure is logged; the sweepers re-send stale nudges."""
    from django_q.tasks import async_task

    try:
        async_task(func, *args, **kwargs)
    except Exception:  # noqa: BLE001 - any broker error: the row stays due, a sweeper retries
        logger.warning("Queue nudge for %s failed; a sweeper will retry", what, exc_info=True)


def enqueue_job(job_id) -> None:
    """Nudge the GPU cluster that a job is waiting. The row, not the message, is the truth."""
    from generation.models import GenerationJob

    GenerationJob.objects.filter(pk=job_id).update(last_enqueued_at=timezone.now())
    nudge(
        "generation.tasks.run_generation",
        str(job_id),
        what=f"job {job_id}",
        cluster=GPU_CLUSTER,
        task_name=f"job-{job_id}",
    )


def run_generation(job_id: str) -> str | None:
    """Claim the next job this worker may fairly take (not necessarily `job_id`) and run it."""
    from generation.worker import runner

    job = runner.process_one()
    return str(job.pk) if job else None


def sweep_jobs() -> dict:
    from generation.worker import runner

    return runner.sweep()


def deliver_webhook(delivery_id: str) -> str:
    from generation.webhooks import delivery as webhooks

    return webhooks.deliver(delivery_id)


def retry_due_webhooks() -> int:
    from generation.webhooks import delivery as webhooks

    return webhooks.retry_due()

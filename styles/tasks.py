"""django-q2 entry points: a few lines each, ids only, safe to run twice."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

GPU_CLUSTER = "gpu"


def enqueue_finetune(finetune_id) -> None:
    """Nudge the GPU cluster; the FineTune row (state queued), not the message, is the truth."""
    from django_q.tasks import async_task

    from styles.models import FineTune

    FineTune.objects.filter(pk=finetune_id).update(last_enqueued_at=timezone.now())
    try:
        async_task(
            "styles.tasks.run_finetune",
            str(finetune_id),
            cluster=GPU_CLUSTER,
            task_name=f"finetune-{finetune_id}",
            # Training outlives the cluster's default timeout; the lease, not this, detects death.
            timeout=int(getattr(settings, "AVATARSAAS_FINETUNE_TIMEOUT", 6 * 3600)),
        )
    except Exception:  # noqa: BLE001 - broker down: the approval is committed; the sweep re-nudges
        logger.warning(
            "Queue nudge for fine-tune %s failed; the sweep will retry", finetune_id, exc_info=True
        )


def run_finetune(finetune_id: str) -> str | None:
    from styles import training

    ft = training.process_finetune(finetune_id)
    return ft.state if ft else None


def sweep_finetunes() -> dict:
    from styles import training

    return training.sweep()

"""django-q2 entry points: a few lines each, ids only, safe to run twice."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

GPU_CLUSTER = "gpu"


def enqueue_finetune(finetune_id) -> None:
    """Nudge the GPU cluster; the FineTune row (state queued), not the message, is the truth."""
    from generation.tasks import nudge
    from styles.models import FineTune

    FineTune.objects.filter(pk=finetune_id).update(last_enqueued_at=timezone.now())
    nudge(
        "styles.tasks.run_finetune",
        str(finetune_id),
        what=f"fine-tune {finetune_id}",
        cluster=GPU_CLUSTER,
        task_name=f"finetune-{finetune_id}",
        # Training outlives the cluster's default timeout; the lease, not this, detects death.
        timeout=int(getattr(settings, "AVATARSAAS_FINETUNE_TIMEOUT", 6 * 3600)),
    )


def run_finetune(finetune_id: str) -> str | None:
    from generation.training import finetune_runner as training

    ft = training.process_finetune(finetune_id)
    return ft.state if ft else None


def sweep_finetunes() -> dict:
    from generation.training import finetune_runner as training

    return training.sweep()

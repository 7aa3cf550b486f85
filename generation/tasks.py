"""django-q2 entry points: a few lines each, ids only, safe to run twice.

The dotted paths are stored in queue messages and schedules, so they stay stable; the services
they call are imported inside each task (task -> service entry points, the one kind of
function-level import the layer rules allow besides the ML libraries).
"""

from __future__ import annotations


def run_generation(job_id: str) -> int:
    """Claim the jobs this worker may fairly take (not necessarily `job_id`) and run them;
    returns how many ran (see runner.process_queue)."""
    from generation.worker import runner

    return runner.process_queue()


def sweep_jobs() -> dict:
    from generation.worker import runner

    return runner.sweep_stale_jobs()


def deliver_webhook(delivery_id: str) -> str:
    from generation.webhooks import delivery

    return delivery.deliver(delivery_id)


def retry_due_webhooks() -> int:
    from generation.webhooks import delivery

    return delivery.retry_due()


def run_finetune(finetune_id: str) -> str | None:
    from generation.training import finetune_runner

    ft = finetune_runner.process_finetune(finetune_id)
    return ft.state if ft else None


def sweep_finetunes() -> dict:
    from generation.training import finetune_runner, import_runner

    # LoRA imports ride on this schedule: their validation is GPU work of the same kind.
    return {
        **finetune_runner.sweep_stale_finetunes(),
        "imports_nudged": import_runner.sweep_stale_imports(),
    }


def validate_adapter_import(import_id: str) -> str | None:
    from generation.training import import_runner

    return import_runner.validate_import(import_id)


def check_dataset_clip(dataset_id: str) -> dict:
    from generation.training import dataset_clip_runner

    return dataset_clip_runner.check_dataset(dataset_id)

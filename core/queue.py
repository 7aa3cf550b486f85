"""Queue nudges: the one way any app puts a django-q2 task on the broker.

The database row is the truth for every piece of queued work (a job, a fine-tune, a webhook
delivery); a message only wakes a worker. Tasks are named by their dotted path, so the code
that queues work never imports the code that runs it.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

GPU_CLUSTER = "gpu"  # generation and training; the default cluster does CPU work
WEBHOOKS_CLUSTER = "webhooks"  # deliveries to tenants' hosts, apart from sweeps and purges


def nudge(func: str, *args, what: str, **kwargs) -> None:
    """Queue a task that only nudges work whose database row is the truth. Nudges run after
    commit (a submit, an approval, a job's end), so a broker outage must not raise here: that
    would turn a committed, paid change into a 500 (inviting a paid retry) or a finished job
    into a "crashed" one. The failure is logged; the sweepers re-send stale nudges."""
    from django_q.tasks import async_task  # django-q loads its broker lazily; keep it so

    try:
        async_task(func, *args, **kwargs)
    except Exception:  # noqa: BLE001 - any broker error: the row stays due, a sweeper retries
        logger.warning("Queue nudge for %s failed; a sweeper will retry", what, exc_info=True)

"""Per-event log records for finished jobs and webhook attempts.

Prometheus reads job and webhook metrics from the database at scrape time
(``avatarsaas.observability``); these calls put one structured log event per job or attempt
next to them, for log-based analysis. Any layer may call them.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("avatarsaas.metrics")


def observe_job_finished(*, status: str, queue_wait_s: float, run_s: float, engine_s: float):
    """Called by the runner when a job ends. The numbers reach Prometheus through the database
    (see the module docstring); here they go to the structured log, one event per job, for
    log-based analysis. The job and tenant ids come from the runner's log context."""
    logger.info(
        "job finished: %s",
        status,
        extra={
            "event": "job.finished",
            "status": str(status),
            "queue_wait_s": round(queue_wait_s, 3),
            "run_s": round(run_s, 3),
            "engine_s": round(engine_s, 3),
        },
    )


def observe_webhook_delivery(*, ok: bool) -> None:
    """Called after each webhook delivery attempt. Failures reach Prometheus from the
    database (avatarsaas_webhook_delivery_failures); each attempt is one log event here."""
    logger.log(
        logging.INFO if ok else logging.WARNING,
        "webhook delivery %s",
        "succeeded" if ok else "failed",
        extra={"event": "webhook.delivery", "ok": ok},
    )

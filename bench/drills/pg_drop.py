"""Drill: PostgreSQL drops the GPU worker's connection in the middle of a render.

The worker connects with ``application_name=drill-gpu-worker``; while a job renders, the
drill calls ``pg_terminate_backend`` on every such connection (as a failover or an idle-kill
would). The job in hand must be retried or finished exactly once, later jobs must run on a
fresh connection, and credits must balance.

    python -m bench.drills.pg_drop [--jobs 4] [--drops 2]
"""

from __future__ import annotations

import argparse
import time

from bench.drills.common import (
    DrillResult,
    credit_drift,
    fresh_database,
    job_accounting,
    make_tenant,
    qcluster,
    run_drill,
    setup_django,
    wait_until,
)

APP_NAME = "drill-gpu-worker"


def drill(n_jobs: int, drops: int, redis_url: str) -> DrillResult:
    db_url = fresh_database("pg_drop")
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "drill-pg",
        "AVATARSAAS_JOB_LEASE_SECONDS": "20",
    }
    setup_django(env)
    from django.db import connection
    from django_q.brokers import get_broker

    from generation.jobs.submit import JobRequest, submit_job
    from generation.models import GenerationJob
    from generation.worker import runner

    get_broker("gpu").purge_queue()
    tenant, actor = make_tenant("PG drill")
    start_balance = tenant.credit_balance
    ids = []
    for i in range(n_jobs):
        request = JobRequest(
            description="a friendly robot", engine="vector", n=3, size=512, seed=500 + i
        )
        job, _ = submit_job(tenant=tenant, actor=actor, request=request)
        ids.append(str(job.pk))

    worker_env = {**env, "DATABASE_URL": f"{db_url}?application_name={APP_NAME}"}
    worker = qcluster(worker_env, workers=1, log="pg_drop-worker.log")
    terminated = []
    try:
        for _ in range(drops):

            def mid_render():
                return (
                    GenerationJob.objects.filter(pk__in=ids, status="running", progress_step__gte=1)
                    .exclude(pk__in=[t["job"] for t in terminated])  # cut a different job
                    .values_list("pk", flat=True)
                    .first()
                )

            job_id = wait_until(mid_render, 120, "a job mid-render", poll=0.05)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = %s",
                    [APP_NAME],
                )
                terminated.append({"job": str(job_id), "connections": cursor.fetchone()[0]})
            # The worker should re-queue the cut job itself, on a fresh connection, without
            # waiting for its lease to run out and the sweeper to notice.
            cut_at = time.monotonic()
            try:
                wait_until(
                    lambda job_id=job_id: (
                        not GenerationJob.objects.filter(
                            pk=job_id, status="running", progress_step__gte=1
                        ).exists()
                    ),
                    15,
                    "the cut job to be re-queued",
                    poll=0.1,
                )
                terminated[-1]["requeued_after_s"] = round(time.monotonic() - cut_at, 2)
            except TimeoutError:
                terminated[-1]["requeued_after_s"] = None  # left to the lease + sweeper
                runner.sweep_stale_jobs(stale_nudge_after=5)

        def all_done():
            runner.sweep_stale_jobs(stale_nudge_after=5)  # the 1-minute schedule, sooner
            return not GenerationJob.objects.filter(pk__in=ids, finished_at__isnull=True).exists()

        wait_until(all_done, 240, "every job to finish", poll=1)
        worker_alive = worker.alive()
    finally:
        worker.stop()

    accounting = job_accounting(ids)
    drift = credit_drift(tenant, expected_balance=start_balance - accounting["spent"])
    return DrillResult(
        name="PostgreSQL connection drop mid-job",
        jobs_lost=len(accounting["lost"]),
        jobs_duplicated=len(accounting["duplicated"]),
        credit_drift=drift["drift"],
        details={
            "jobs": n_jobs,
            "terminated": terminated,
            "worker_survived": worker_alive,
            "statuses": accounting["statuses"],
            "max_attempts_used": accounting["attempts_max"],
            "credits": drift,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--drops", type=int, default=2)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()
    run_drill(
        "PostgreSQL connection drop mid-job",
        lambda: drill(args.jobs, args.drops, args.redis_url),
    )


if __name__ == "__main__":
    main()

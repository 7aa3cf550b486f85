"""Drill: SIGKILL a GPU worker cluster while its 20 jobs are all mid-render.

A real `qcluster` (cluster "gpu", Redis broker, PostgreSQL) renders vector jobs; when all of
them are running (one per worker process), the whole process group gets SIGKILL. Once the
leases run out the sweeper re-queues the orphans and a fresh cluster finishes them. Every job
must succeed exactly once: one image set, one charge, and balance == ledger == grant - cost.

    python -m bench.drills.kill_worker [--jobs 20] [--workers 20]
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

LEASE_SECONDS = 4  # the killed cluster's: short, so the drill need not wait long


def drill(jobs: int, workers: int, redis_url: str, size: int, kill_at: int | None) -> DrillResult:
    env = {
        "DATABASE_URL": fresh_database("kill_worker"),
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "drill-kill",
        "AVATARSAAS_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    setup_django(env)
    from django_q.brokers import get_broker

    from generation.jobs.submit import JobRequest, submit_job
    from generation.models import GenerationJob
    from generation.worker import runner

    get_broker("gpu").purge_queue()
    tenant, actor = make_tenant("Kill drill")
    start_balance = tenant.credit_balance
    ids = []
    for i in range(jobs):
        request = JobRequest(
            description="a friendly blue robot", engine="vector", n=2, size=size, seed=1000 + i
        )
        job, _ = submit_job(tenant=tenant, actor=actor, request=request)
        ids.append(str(job.pk))

    def running():
        return GenerationJob.objects.filter(pk__in=ids, status="running").count()

    t0 = time.monotonic()
    phases = {}
    first = qcluster(env, workers=workers, log="kill_worker-1.log")
    try:
        # Kill when `kill_at` jobs are mid-render (default: one per worker process, i.e. all of
        # them when workers >= jobs); renders must outlast the claims for that to happen.
        target = kill_at or min(workers, jobs)
        in_flight = wait_until(lambda: running() >= target and running(), 240, "renders", poll=0.05)
        done_before_kill = GenerationJob.objects.filter(pk__in=ids, status="succeeded").count()
        first.kill9()
        phases["kill_at_s"] = round(time.monotonic() - t0, 1)
    finally:
        first.stop()
    killed_while_running = running()

    time.sleep(LEASE_SECONDS + 1)  # the dead cluster's leases run out
    swept = runner.sweep_stale_jobs(stale_nudge_after=5)
    # The survivors get a production-like lease: 20 renders sharing two cores renew it slowly,
    # and the sweeper below would otherwise take live jobs away from them.
    second = qcluster(
        {**env, "AVATARSAAS_JOB_LEASE_SECONDS": "60"}, workers=workers, log="kill_worker-2.log"
    )
    try:

        def all_done():
            runner.sweep_stale_jobs(stale_nudge_after=5)  # what the 1-minute schedule does, sooner
            pending = GenerationJob.objects.filter(pk__in=ids, finished_at__isnull=True)
            return not pending.exists()

        wait_until(all_done, 240, "every job to finish after the restart", poll=1)
        phases["all_done_at_s"] = round(time.monotonic() - t0, 1)
    finally:
        second.stop()

    accounting = job_accounting(ids)
    drift = credit_drift(tenant, expected_balance=start_balance - accounting["spent"])
    return DrillResult(
        name=f"kill -9 GPU worker ({in_flight}/{jobs} running)",
        jobs_lost=len(accounting["lost"]),
        jobs_duplicated=len(accounting["duplicated"]),
        credit_drift=drift["drift"],
        details={
            "jobs": jobs,
            "size": size,
            "workers": workers,
            "running_at_kill": in_flight,
            "succeeded_before_kill": done_before_kill,
            "orphaned_running": killed_while_running,
            "sweep_after_kill": swept,
            "statuses": accounting["statuses"],
            "max_attempts_used": accounting["attempts_max"],
            "credits": drift,
            "phases": phases,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=20, help="GPU cluster processes")
    parser.add_argument("--size", type=int, default=1024, help="avatar size (render time)")
    parser.add_argument(
        "--kill-at", type=int, default=None, help="running jobs at the kill (default: all)"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    run_drill(
        "kill -9 GPU worker",
        lambda: drill(args.jobs, args.workers, args.redis_url, args.size, args.kill_at),
    )


if __name__ == "__main__":
    main()

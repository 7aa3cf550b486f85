"""Drill: Redis (broker + cache) stops and comes back while clients submit jobs.

A PRIVATE redis-server on a free port (never the shared one on 6379) serves as the django-q
broker and the cache of a gunicorn + qcluster setup. Clients submit jobs with Idempotency-Keys
and retry failures with the same key, as the API docs tell them to. Redis is shut down a
moment into the run and restarted a few seconds later. Every acknowledged job must succeed
once; no key may produce two jobs; credits must balance.

    python -m bench.drills.redis_restart [--jobs 60] [--down-seconds 4]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.drills.common import (
    DrillResult,
    api_key_for,
    credit_drift,
    free_port,
    fresh_database,
    gunicorn,
    job_accounting,
    make_tenant,
    qcluster,
    run_drill,
    setup_django,
    wait_until,
)


class PrivateRedis:
    def __init__(self, port: int):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="drill-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def up():
            try:
                return client.ping()
            except redis.RedisError:
                return False

        wait_until(up, 15, f"redis-server on {self.port}", poll=0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # only the process this drill started, by its own handle
            self.proc.wait(10)


def drill(n_jobs: int, down_seconds: float) -> DrillResult:
    redis_server = PrivateRedis(free_port())
    redis_server.start()
    env = {
        "DATABASE_URL": fresh_database("redis_restart"),
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
        "CACHE_KEY_PREFIX": "drill-redis",
        "AVATARSAAS_JOB_LEASE_SECONDS": "10",
    }
    setup_django(env)
    from generation.models import GenerationJob
    from generation.worker import runner

    tenant, _ = make_tenant("Redis drill")
    start_balance = tenant.credit_balance
    key = api_key_for(tenant)
    port = free_port()
    server = gunicorn(env, port, log="redis_restart-gunicorn.log", workers=2)
    worker = qcluster(env, workers=2, log="redis_restart-worker.log")
    worker_restarts = 0
    answers: dict[str, str] = {}
    errors: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + 60 + down_seconds

    def submit(i: int) -> None:
        time.sleep(i * 0.1)  # submissions spread over the outage
        idem = f"redis-drill-{i}"
        while time.monotonic() < deadline:
            try:
                response = requests.post(
                    f"http://127.0.0.1:{port}/api/v1/jobs/",
                    json={
                        "description": "a robot",
                        "engine": "vector",
                        "n": 1,
                        "size": 64,
                        "seed": i,
                    },
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem},
                    timeout=20,
                )
                if response.status_code in (200, 201):
                    with lock:
                        answers[idem] = response.json()["id"]
                    return
                label = str(response.status_code)
            except requests.RequestException as exc:
                label = type(exc).__name__
            with lock:
                errors[label] = errors.get(label, 0) + 1
            time.sleep(0.5)

    outage = {}
    try:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(submit, i) for i in range(n_jobs)]
            time.sleep(1.5)
            outage["stopped_at_s"] = 1.5
            redis_server.stop()
            time.sleep(down_seconds)
            redis_server.start()
            outage["restarted_at_s"] = round(1.5 + down_seconds, 1)
            for future in futures:
                future.result()

        def all_done():
            nonlocal worker, worker_restarts
            if not worker.alive():  # what the orchestrator does for a crashed process
                worker = qcluster(env, workers=2, log="redis_restart-worker.log")
                worker_restarts += 1
            runner.sweep_stale_jobs(stale_nudge_after=5)  # the 1-minute schedule, sooner
            return not GenerationJob.objects.filter(
                tenant=tenant, finished_at__isnull=True
            ).exists()

        wait_until(all_done, 180, "every job to finish after Redis came back", poll=1)
    finally:
        worker.stop()
        server.stop()
        redis_server.stop()
        shutil.rmtree(redis_server.dir, ignore_errors=True)

    all_jobs = [
        str(pk) for pk in GenerationJob.objects.filter(tenant=tenant).values_list("pk", flat=True)
    ]
    accounting = job_accounting(all_jobs)
    keys_without_job = n_jobs - len(answers)
    extra_jobs = len(all_jobs) - n_jobs  # more jobs than keys = a duplicate
    drift = credit_drift(tenant, expected_balance=start_balance - accounting["spent"])
    return DrillResult(
        name="Redis stop/restart during submits",
        jobs_lost=len(accounting["lost"]) + keys_without_job,
        jobs_duplicated=len(accounting["duplicated"]) + max(0, extra_jobs),
        credit_drift=drift["drift"],
        details={
            "jobs": n_jobs,
            "redis_down_seconds": down_seconds,
            "outage": outage,
            "client_errors_retried": errors,
            "worker_restarts": worker_restarts,
            "statuses": accounting["statuses"],
            "credits": drift,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--down-seconds", type=float, default=4.0)
    args = parser.parse_args()
    run_drill("Redis stop/restart during submits", lambda: drill(args.jobs, args.down_seconds))


if __name__ == "__main__":
    main()

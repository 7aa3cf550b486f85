"""Drill: 500 concurrent job submissions over HTTP, 100 of which repeat an Idempotency-Key that
another in-flight request is using at the same moment.

gunicorn (3 processes x 8 threads) + PostgreSQL + Redis. Expected: one job per distinct key
(400), every response for one key names the same job, and exactly one charge per job.

    python -m bench.drills.idempotency_storm [--requests 500] [--repeats 100]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.drills.common import (
    DrillResult,
    api_key_for,
    credit_drift,
    free_port,
    fresh_database,
    gunicorn,
    make_tenant,
    run_drill,
    setup_django,
)


def drill(total: int, repeats: int, redis_url: str) -> DrillResult:
    env = {
        "DATABASE_URL": fresh_database("idempotency"),
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "drill-idem",
    }
    setup_django(env)
    from django.db.models import Count

    from generation.models import GenerationJob
    from tenants.models import CreditEntry

    tenant, _ = make_tenant("Idempotency drill")
    start_balance = tenant.credit_balance
    key = api_key_for(tenant)
    distinct = total - repeats
    # Request i uses key i; the last `repeats` requests reuse keys 0..repeats-1, shuffled so
    # that twins are in flight together.
    plan = [f"storm-{i}" for i in range(distinct)] + [f"storm-{i}" for i in range(repeats)]
    random.Random(7).shuffle(plan)
    port = free_port()
    server = gunicorn(env, port, log="idempotency-gunicorn.log")
    answers: dict[str, set[str]] = {}
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(min(100, total))

    def submit(idem_key: str) -> None:
        seed = int(idem_key.split("-")[1])
        body = {"description": "a friendly robot", "engine": "vector", "n": 1, "size": 64}
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)  # release the requests together
        for _attempt in range(3):  # a client retries transport errors with the same key
            try:
                response = requests.post(
                    f"http://127.0.0.1:{port}/api/v1/jobs/",
                    json={**body, "seed": seed},
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem_key},
                    timeout=60,
                )
            except requests.RequestException as exc:
                error = type(exc).__name__
                continue
            if response.status_code in (200, 201):
                with lock:
                    answers.setdefault(idem_key, set()).add(response.json()["id"])
                return
            error = f"{response.status_code} {response.text[:100]}"
        with lock:
            failures.append(f"{idem_key}: {error}")

    try:
        with ThreadPoolExecutor(max_workers=100) as pool:
            list(pool.map(submit, plan))
    finally:
        server.stop()

    jobs = GenerationJob.objects.filter(tenant=tenant)
    per_key = jobs.values("idempotency_key").annotate(c=Count("pk")).filter(c__gt=1).count()
    split_answers = sum(1 for ids in answers.values() if len(ids) > 1)
    answered_ids = {i for ids in answers.values() for i in ids}
    missing = sum(1 for i in answered_ids if not jobs.filter(pk=i).exists())
    unanswered = distinct - len(answers)
    double_charges = (
        CreditEntry.objects.filter(tenant=tenant, kind="reserve")
        .values("reference")
        .annotate(c=Count("pk"))
        .filter(c__gt=1)
        .count()
    )
    reserved = sum(jobs.values_list("cost_credits", flat=True))
    drift = credit_drift(tenant, expected_balance=start_balance - reserved)
    return DrillResult(
        name=f"{total} submits / {repeats} repeated keys",
        jobs_lost=missing + unanswered,
        jobs_duplicated=max(0, jobs.count() - distinct) + per_key + split_answers + double_charges,
        credit_drift=drift["drift"],
        details={
            "requests": total,
            "distinct_keys": distinct,
            "jobs_created": jobs.count(),
            "keys_answered": len(answers),
            "keys_with_two_different_answers": split_answers,
            "failed_requests": len(failures),
            "failure_samples": failures[:5],
            "credits": drift,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    run_drill(
        "500 submits / 100 repeated keys",
        lambda: drill(args.requests, args.repeats, args.redis_url),
    )


if __name__ == "__main__":
    main()

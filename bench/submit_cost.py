"""In-process cost of one API submit: SQL statements and milliseconds, through the whole stack
(middleware, key authentication, throttles, DRF validation, the submit service, the commit and
its nudges), with Django's test client and no network. Reports wall time and this process's
CPU time per submit (the database server's time is in the wall time only).

    .venv/bin/python bench/submit_cost.py --database-url sqlite:////tmp/x.sqlite3 --submits 200

``--root`` runs another checkout's code with this script (how ``api_bench.py --submit-cost``
measures main before a change and this tree after it). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    p.add_argument("--database-url", required=True)
    p.add_argument("--redis-url", default="")
    p.add_argument("--submits", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    return p.parse_args()


def main() -> int:
    args = parse_args()
    root = str(args.root.resolve())
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="avatarsaas.settings",
        DATABASE_URL=args.database_url,
        DEBUG="0",
        SECRET_KEY="bench-submit-cost",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="ERROR",
        AVATARSAAS_SD_MODEL="",
    )
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    else:
        os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    import logging

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from tenants import credits, services
    from tenants.actors import Actor
    from tenants.models import ALL_SCOPES, Plan, Tenant

    logging.disable(logging.WARNING)
    call_command("migrate", "--noinput", verbosity=0)
    from django.contrib.auth import get_user_model

    plan, _ = Plan.objects.update_or_create(
        slug="bench",
        defaults={"name": "Bench", "requests_per_minute": 10_000_000, "is_public": False},
    )
    user = get_user_model().objects.create_user(username=f"cost-{time.time_ns()}@example.com")
    tenant = services.create_tenant(name="Cost Bots", owner=user, actor=Actor(user=user))
    Tenant.objects.filter(pk=tenant.pk).update(plan=plan)
    credits.grant_credits(tenant=tenant, amount=10_000_000, reason="bench", actor=Actor.system())
    _, plaintext = services.create_api_key(
        tenant=tenant,
        actor=Actor.system(),
        name="cost",
        scopes=ALL_SCOPES,
        check_permission=False,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    run = time.time_ns()

    def submit(i: int):
        return client.post(
            "/api/v1/jobs/",
            {
                "description": "a friendly blue robot",
                "engine": "vector",
                "n": 1,
                "size": 256,
                "seed": i,
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"cost-{run}-{i}",
        )

    for i in range(args.warmup):
        assert submit(i).status_code == 201
    times, cpu, statements = [], [], []
    for i in range(args.warmup, args.warmup + args.submits):
        with CaptureQueriesContext(connection) as ctx:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = submit(i)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 201, response.content
        statements.append(len(ctx.captured_queries))
    ordered = sorted(times)
    print(
        json.dumps(
            {
                "submits": args.submits,
                "statements_max": max(statements),
                "statements_median": statistics.median(statements),
                "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
                "p90_ms": round(ordered[int(len(ordered) * 0.9)] * 1000, 2),
                "mean_ms": round(statistics.fmean(times) * 1000, 2),
                "min_ms": round(ordered[0] * 1000, 2),
                # CPU time of this process per submit: what a submit costs the web process,
                # robust to a machine shared with other load (wall time is not).
                "cpu_p50_ms": round(statistics.median(cpu) * 1000, 2),
                "cpu_mean_ms": round(statistics.fmean(cpu) * 1000, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Queue benchmark: submit->running latency (ORM and Redis brokers, real qcluster processes),
warm job wall time vs engine time, cache-hit latency, and fairness under a 100-job backlog.

    python bench/queue_bench.py [--quick] [--jobs N]
    python bench/queue_bench.py --scale [--history 0,100000,1000000] [--tenants 10,1000,10000]
    python bench/queue_bench.py --packing [--jobs N] [--rounds R]

`--packing` times one warm worker draining a backlog with packing overlap off and on
(alternating blocks in one process, so both see the same machine load): wall time per job
over engine time per job (results in bench/results/packing_bench.json).

`--scale` runs only the claim and /metrics cost curves of `bench/queue_scale.py` (its own
database; results in bench/results/queue_scale.json and .md).

Uses PostgreSQL at $BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
avatarsaas_bench, created if missing) and Redis at $BENCH_REDIS_URL (default db 14). Writes
bench/results/queue_bench.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/avatarsaas_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def ensure_database(url: str = DB_URL) -> None:
    name = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone()
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
    os.environ.setdefault("DEBUG", "1")  # local settings; DEBUG is off unless set
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 - closed when the process is reaped
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env={**os.environ, **env, "Q_CLUSTER_NAME": "gpu", "PYTHONUNBUFFERED": "1"},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_terminal(job_ids, timeout=300.0):
    from generation.models import GenerationJob

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = GenerationJob.objects.filter(pk__in=job_ids, finished_at__isnull=True).count()
        if not pending:
            return
        time.sleep(0.05)
    raise SystemExit("timed out waiting for jobs")


def make_tenant(name: str):
    from tenants import credits, services
    from tenants.actors import Actor
    from tenants.models import Plan
    from tests.factories import make_user

    Plan.objects.filter(pk="free").update(max_concurrent_jobs=100)
    import uuid

    owner = make_user(f"bench-{uuid.uuid4().hex[:10]}@example.com")
    tenant = services.create_tenant(name=name, owner=owner, actor=Actor(user=owner))
    credits.grant_credits(tenant=tenant, amount=100000, reason="bench", actor=Actor.system())
    return tenant, Actor(user=owner)


def submit(tenant, actor, **kw):
    from generation.jobs.submit import JobRequest, submit_job

    kw = {"engine": ENGINE, "size": SIZE, "steps": STEPS, **kw}
    request = JobRequest(description=kw.pop("description", "a friendly robot"), **kw)
    job, _ = submit_job(tenant=tenant, actor=actor, request=request)
    return job


def latency_run(broker: str, n_jobs: int, log: Path) -> dict:
    """Submit jobs one at a time to an idle warm worker; submit->started latency."""
    from generation.models import GenerationJob

    tenant, actor = make_tenant(f"latency-{broker}")
    worker = start_worker({}, log)
    try:
        # The first job pays imports and the pipeline load.
        warm = submit(tenant, actor, n=1, seed=0)
        wait_terminal([warm.pk])
        latencies, walls, engines = [], [], []
        for i in range(n_jobs):
            t0 = time.time()
            job = submit(tenant, actor, n=1, seed=1000 + i)
            wait_terminal([job.pk])
            job = GenerationJob.objects.get(pk=job.pk)
            latencies.append(job.started_at.timestamp() - t0)
            walls.append((job.finished_at - job.started_at).total_seconds())
            engines.append(job.engine_seconds or 0.0)
    finally:
        stop_worker(worker)
    return {
        "broker": broker,
        "jobs": n_jobs,
        "submit_to_running_p50_s": statistics.median(latencies),
        "submit_to_running_max_s": max(latencies),
        "warm_job_wall_p50_s": statistics.median(walls),
        "warm_job_engine_p50_s": statistics.median(engines),
        "wall_over_engine": statistics.median(walls) / max(1e-9, statistics.median(engines)),
    }


def cache_hit_latency(samples: int) -> dict:
    from generation.worker import runner

    tenant, actor = make_tenant("cache")
    submit(tenant, actor, n=2, seed=7)
    runner.process_one("bench")
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        job = submit(tenant, actor, n=2, seed=7)
        times.append(time.perf_counter() - t0)
        assert job.cache_hit
    miss = []
    for i in range(samples):
        t0 = time.perf_counter()
        submit(tenant, actor, n=2, seed=10_000 + i)
        miss.append(time.perf_counter() - t0)
    return {
        "cache_hit_submit_p50_ms": 1000 * statistics.median(times),
        "cache_miss_submit_p50_ms": 1000 * statistics.median(miss),
    }


def fairness(backlog: int) -> dict:
    """Tenant A queues `backlog` jobs, then tenant B one; one worker drains the queue."""
    from generation.models import GenerationJob
    from generation.worker import runner

    GenerationJob.objects.filter(status="queued").update(status="canceled")
    a, a_actor = make_tenant("fair-a")
    b, b_actor = make_tenant("fair-b")
    for i in range(backlog):
        submit(a, a_actor, n=1, seed=i)
    b_job = submit(b, b_actor, n=1, seed=1)
    t0 = time.perf_counter()
    order = 0
    while True:
        job = runner.process_one("bench")
        order += 1
        if job is None or job.pk == b_job.pk:
            break
    return {
        "backlog_of_a": backlog,
        "b_job_started_at_position": order,
        "b_wait_s": time.perf_counter() - t0,
        "fifo_position_would_be": backlog + 1,
    }


ENGINE, SIZE, STEPS = "vector", 512, 25


def main() -> None:
    global ENGINE, SIZE, STEPS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (CI-sized)")
    parser.add_argument("--jobs", type=int, default=None, help="latency samples per broker")
    parser.add_argument("--diffusers", action="store_true", help="time the tiny SD model")
    parser.add_argument("--scale", action="store_true", help="claim/scrape cost curves only")
    parser.add_argument("--history", default="0,100000,1000000", help="past jobs per point")
    parser.add_argument("--tenants", default="10,1000,10000", help="capped tenants per point")
    parser.add_argument("--samples", type=int, default=30, help="timings per point (--scale)")
    parser.add_argument("--packing", action="store_true", help="packing overlap off vs on")
    parser.add_argument("--rounds", type=int, default=3, help="off/on block pairs (--packing)")
    args = parser.parse_args()
    if args.scale:
        scale(args)
        return
    if args.packing:
        packing(args)
        return
    n = args.jobs or (5 if args.quick else 20)
    models = Path(tempfile.mkdtemp(prefix="bench-models-"))
    env = {"DATABASE_URL": DB_URL, "AVATARSAAS_VAR_DIR": str(models / "var"), "Q_POLL": "0.2"}
    if args.diffusers:
        ENGINE, SIZE, STEPS = "diffusers", 64, 4
        sys.path.insert(0, str(ROOT))
        from generation.engines.tiny_models import build_tiny_models

        env.update(build_tiny_models(models).env())
        env["AVATARSAAS_DEVICE"] = "cpu"
    ensure_database()
    results: dict = {"engine": ENGINE, "size": SIZE, "steps": STEPS, "runs": []}
    log = RESULTS / "queue_bench_worker.log"
    RESULTS.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    setup_django(env)
    results["runs"].append(latency_run("orm", n, log))
    # Same process, same DB, Redis broker: django-q reads Conf at import, so run a child.
    child = subprocess.run(
        [sys.executable, __file__, "--_redis-child", str(n), ENGINE, str(SIZE), str(STEPS)],
        env={**os.environ, **env, "REDIS_URL": REDIS_URL},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if child.returncode != 0:
        raise SystemExit(child.stderr[-3000:])
    results["runs"].append(json.loads(child.stdout.strip().splitlines()[-1]))
    results["cache"] = cache_hit_latency(10 if args.quick else 30)
    results["fairness"] = fairness(100)
    orm, redis_run = results["runs"]
    results["ratios"] = {
        "orm_over_redis_submit_latency": orm["submit_to_running_p50_s"]
        / max(1e-9, redis_run["submit_to_running_p50_s"]),
        "cache_hit_over_miss_submit": results["cache"]["cache_hit_submit_p50_ms"]
        / max(1e-9, results["cache"]["cache_miss_submit_p50_ms"]),
    }
    out = RESULTS / ("queue_bench_diffusers.json" if args.diffusers else "queue_bench.json")
    out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nwritten to {out.relative_to(ROOT)}")


def scale(args) -> None:
    sys.path.insert(0, str(ROOT))
    from bench import queue_scale

    ensure_database(queue_scale.DB_URL)
    var = Path(tempfile.mkdtemp(prefix="bench-scale-")) / "var"
    setup_django({"DATABASE_URL": queue_scale.DB_URL, "AVATARSAAS_VAR_DIR": str(var)})
    queue_scale.run(
        [int(x) for x in args.history.split(",")],
        [int(x) for x in args.tenants.split(",")],
        args.samples,
    )


def packing(args) -> None:
    """A backlog of `jobs` per block, drained by one in-process worker; blocks alternate
    overlap off / on. Per-job wall = block elapsed / jobs (what a busy worker delivers);
    latency = a job's own started -> finished (the next job's render shares the cores)."""
    sys.path.insert(0, str(ROOT))
    jobs = args.jobs or 6
    ensure_database(PACKING_DB_URL)
    var = Path(tempfile.mkdtemp(prefix="bench-packing-")) / "var"
    setup_django({"DATABASE_URL": PACKING_DB_URL, "AVATARSAAS_VAR_DIR": str(var)})
    from bench.packing_bench import run_packing

    result = run_packing(jobs=jobs, rounds=args.rounds, engine=ENGINE, size=SIZE, steps=STEPS)
    out = RESULTS / "packing_bench.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


PACKING_DB_URL = os.environ.get(
    "BENCH_PACKING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/avatarsaas_bench_packing"
)


def print_table(r: dict) -> None:
    print(f"engine={r['engine']} size={r['size']} steps={r['steps']}")
    print(f"{'broker':8} {'submit->running p50':>20} {'max':>8} {'wall p50':>9} {'engine p50':>11}")
    for run in r["runs"]:
        print(
            f"{run['broker']:8} {run['submit_to_running_p50_s']:>19.3f}s "
            f"{run['submit_to_running_max_s']:>7.3f}s {run['warm_job_wall_p50_s']:>8.3f}s "
            f"{run['warm_job_engine_p50_s']:>10.3f}s  wall/engine={run['wall_over_engine']:.2f}"
        )
    c = r["cache"]
    hit, miss = c["cache_hit_submit_p50_ms"], c["cache_miss_submit_p50_ms"]
    print(f"cache hit submit p50 {hit:.1f} ms vs miss {miss:.1f} ms")
    f = r["fairness"]
    print(
        f"fairness: B's job ran at position {f['b_job_started_at_position']} behind a backlog of "
        f"{f['backlog_of_a']} (FIFO would be {f['fifo_position_would_be']}), "
        f"waited {f['b_wait_s']:.2f}s"
    )
    print("ratios:", {k: round(v, 3) for k, v in r["ratios"].items()})


def redis_child(n: int, engine: str, size: int, steps: int) -> None:
    global ENGINE, SIZE, STEPS
    ENGINE, SIZE, STEPS = engine, size, steps
    setup_django({})
    log = RESULTS / "queue_bench_worker.log"
    print(json.dumps(latency_run("redis", n, log)))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_redis-child":
        redis_child(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()

"""API load bench: concurrent clients against gunicorn + PostgreSQL (+ Redis for the shared
rate-limit counters), loopback only, for a bounded time.

Half the clients submit jobs (POST /api/v1/jobs/, vector engine: jobs only queue, no worker
needed), the other half make an authenticated read (GET /api/v1/me/), in the same run. The
bench tenant's plan gets a very high rate limit and credits, so every request should succeed;
any non-2xx or transport error is counted and makes the exit status non-zero.

    .venv/bin/python bench/api_bench.py --duration 20 --clients 100

Writes bench/results/api_bench.json and prints a table.

Two more measurements (issue 20), each its own mode:

    .venv/bin/python bench/api_bench.py --submit-cost [--database-url ...] [--before-ref REF]

runs ``bench/submit_cost.py`` on this tree and on REF's code (default: the commit before the
submit-path work) against the same database: SQL statements and in-process milliseconds per
submit, before and after (bench/results/api_submit_cost.json).

    .venv/bin/python bench/api_bench.py --waiters 100 [--database-url sqlite:////tmp/w.db]

starts uvicorn (one worker process, the ASGI app), queues that many jobs (no GPU worker runs,
so they stay queued), opens one job event stream per job and holds them all open, and times
an ordinary ``GET /api/v1/me/`` while they wait against the same GET on the idle server
(bench/results/api_waiters.json). A ``Prefer: wait`` submit waits the same way (the same
watcher, no thread) once it has been submitted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "api_bench.json"
# The last commit before issue 20's submit-path work: the "before" of --submit-cost.
BEFORE_REF = "9c4c448"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/avatarsaas_apibench"
    )
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="'' = locmem")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    p.add_argument("--clients", type=int, default=100, help="concurrent clients (half POST)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    p.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--output", type=Path, default=None)
    p.add_argument("--submit-cost", action="store_true", help="statements/ms per submit")
    p.add_argument("--before-ref", default=BEFORE_REF, help="code to compare with")
    p.add_argument("--submits", type=int, default=200)
    p.add_argument("--waiters", type=int, default=0, help="waiting clients (uvicorn mode)")
    p.add_argument("--probes", type=int, default=60, help="GETs timed idle and while waiting")
    return p.parse_args()


def server_env(args) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + secrets.token_hex(16),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
        "CACHE_KEY_PREFIX": f"apibench-{secrets.token_hex(4)}",
    }
    if not args.redis_url:
        env.pop("REDIS_URL")
    return env


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


SETUP = """
from tenants import credits, services
from tenants.actors import Actor
from tenants.models import ALL_SCOPES, Plan, Tenant
from django.contrib.auth import get_user_model
import secrets
plan, _ = Plan.objects.update_or_create(slug="bench", defaults={
    "name": "Bench", "requests_per_minute": 10_000_000, "max_concurrent_jobs": 1000,
    "is_public": False})
user = get_user_model().objects.create_user(username=f"bench-{secrets.token_hex(4)}@example.com")
tenant = services.create_tenant(name="Bench Bots", owner=user, actor=Actor(user=user))
Tenant.objects.filter(pk=tenant.pk).update(plan=plan)
credits.grant_credits(tenant=tenant, amount=100_000_000, reason="bench", actor=Actor.system())
key, plaintext = services.create_api_key(tenant=tenant, actor=Actor.system(), name="bench",
    scopes=ALL_SCOPES, check_permission=False)
print("KEY=" + plaintext)
"""


def prepare(env) -> str:
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return next(line[4:] for line in out.splitlines() if line.startswith("KEY="))


def start_server(args, env) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [
            gunicorn,
            "avatarsaas.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            "gthread",
            "--backlog",
            "512",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{args.port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {"submit": [], "read": []}
        self.errors: dict[str, list[str]] = {"submit": [], "read": []}

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error:
                self.errors[kind].append(error)
            else:
                self.latencies[kind].append(seconds)


def client_loop(kind: str, base: str, key: str, stop_at: float, rec: Recorder, n: int) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    i = 0
    while time.monotonic() < stop_at:  # bounded by time; each request bounded by its timeout
        i += 1
        start = time.perf_counter()
        error = None
        try:
            if kind == "submit":
                response = session.post(
                    f"{base}/api/v1/jobs/",
                    json={
                        "description": "a friendly blue robot",
                        "engine": "vector",
                        "n": 1,
                        "size": 256,
                        "seed": (n * 100_000 + i) % 2**31,
                    },
                    headers={"Idempotency-Key": f"bench-{n}-{i}-{secrets.token_hex(4)}"},
                    timeout=30,
                )
                ok = response.status_code == 201
            else:
                response = session.get(f"{base}/api/v1/me/", timeout=30)
                ok = response.status_code == 200
            if not ok:
                error = f"{response.status_code} {response.text[:120]}"
        except requests.RequestException as exc:
            error = type(exc).__name__
        rec.add(kind, time.perf_counter() - start, error)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarize(rec: Recorder, elapsed: float) -> dict:
    out = {}
    for kind, values in rec.latencies.items():
        out[kind] = {
            "requests": len(values),
            "errors": len(rec.errors[kind]),
            "error_samples": rec.errors[kind][:5],
            "throughput_rps": round(len(values) / elapsed, 1),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p90_ms": round(percentile(values, 0.90) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1) if values else None,
            "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else None,
        }
    return out


def main() -> int:
    args = parse_args()
    if args.submit_cost:
        return submit_cost(args)
    if args.waiters:
        return asyncio.run(waiters(args))
    args.output = args.output or RESULTS
    env = server_env(args)
    ensure_database(args.database_url)
    key = prepare(env)
    proc = start_server(args, env)
    base = f"http://127.0.0.1:{args.port}"
    rec = Recorder()
    try:
        # Warm-up: every worker connects to the DB and imports everything once.
        warm = requests.Session()
        warm.headers["Authorization"] = f"Bearer {key}"
        for _ in range(args.workers * 4):
            warm.get(f"{base}/api/v1/me/", timeout=30)
        started = time.monotonic()
        stop_at = started + args.duration
        kinds = ["submit" if i % 2 == 0 else "read" for i in range(args.clients)]
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            futures = [
                pool.submit(client_loop, kind, base, key, stop_at, rec, n)
                for n, kind in enumerate(kinds)
            ]
            for f in futures:
                f.result()
        elapsed = time.monotonic() - started
    finally:
        stop_server(proc)

    result = {
        "bench": "api",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {
            "server": f"gunicorn gthread {args.workers} workers x {args.threads} threads",
            "database": "postgresql",
            "cache": "redis" if args.redis_url else "locmem",
            "clients": args.clients,
            "duration_s": round(elapsed, 1),
            "submit": "POST /api/v1/jobs/ (vector, n=1, size=256, Idempotency-Key)",
            "read": "GET /api/v1/me/",
        },
        "results": summarize(rec, elapsed),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'kind':<8}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, r in result["results"].items():
        print(
            f"{kind:<8}{r['requests']:>10}{r['errors']:>8}{r['throughput_rps']:>9}"
            f"{r['p50_ms']:>9}{r['p99_ms']:>9}"
        )
    print(f"wrote {args.output}")
    return 1 if any(r["errors"] for r in result["results"].values()) else 0


def _fresh_database(args, suffix: str) -> str:
    """A database of its own per run (SQLite file, or a PostgreSQL database made here)."""
    if args.database_url.startswith("postgres"):
        url = f"{args.database_url}_{suffix}"
        ensure_database(url)
        return url
    return f"sqlite:///{tempfile.mkdtemp(prefix='apibench-')}/{suffix}.sqlite3"


def submit_cost(args) -> int:
    before_root = Path(tempfile.mkdtemp(prefix="apibench-before-"))
    archive = subprocess.run(
        ["git", "archive", args.before_ref], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(before_root)], input=archive, check=True)
    script = ROOT / "bench" / "submit_cost.py"
    results = {}
    for label, root in (("before", before_root), ("after", ROOT)):
        out = subprocess.run(
            [
                sys.executable, str(script), "--root", str(root),
                "--database-url", _fresh_database(args, f"cost_{label}"),
                "--redis-url", args.redis_url, "--submits", str(args.submits),
            ],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        results[label] = json.loads(out.strip().splitlines()[-1])
    result = {
        "bench": "api_submit_cost",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {
            "database": args.database_url.split(":", 1)[0],
            "cache": "redis" if args.redis_url else "locmem",
            "submit": "POST /api/v1/jobs/ in-process (vector, n=1, Idempotency-Key)",
            "before": args.before_ref,
            "note": "statements include BEGIN/COMMIT and the after-commit work; the embedded"
            " ORM broker's queue INSERT counts too when there is no Redis",
        },
        "results": results,
    }
    output = args.output or ROOT / "bench" / "results" / "api_submit_cost.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    for label, r in results.items():
        print(
            f"{label:<7} statements median {r['statements_median']:>4} max {r['statements_max']:>3}"
            f"  wall p50 {r['p50_ms']:>7} ms  min {r['min_ms']:>7} ms"
            f"  cpu p50 {r['cpu_p50_ms']:>6} ms"
        )
    print(f"wrote {output}")
    return 0


async def _probe(client, base: str, key: str, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.get(
            f"{base}/api/v1/me/", headers={"Authorization": f"Bearer {key}"}
        )
        latencies.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text
        await asyncio.sleep(0.02)
    return latencies


async def waiters(args) -> int:
    import httpx

    env = server_env(args)
    env["DATABASE_URL"] = _fresh_database(args, "waiters")
    env["DB_CONN_MAX_AGE"] = "0"  # what avatarsaas/asgi.py sets: connections are per request
    key = prepare(env)
    uvicorn = [sys.executable, "-m", "uvicorn", "avatarsaas.asgi:application"]
    proc = subprocess.Popen(
        [*uvicorn, "--port", str(args.port), "--workers", "1", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    try:
        limits = httpx.Limits(max_connections=args.waiters + 20)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            await _until_up(client, base, proc)
            await _probe(client, base, key, 10)  # warm-up
            idle = await _probe(client, base, key, args.probes)
            job_ids = await _make_jobs(client, base, key, args.waiters)
            stop = asyncio.Event()
            opened: list[str] = []
            held = [
                asyncio.create_task(_hold_stream(client, base, key, job_id, opened, stop))
                for job_id in job_ids
            ]
            started = time.monotonic()
            while len(opened) < args.waiters and time.monotonic() - started < 120:
                await asyncio.sleep(0.2)
            opened_after = round(time.monotonic() - started, 1)
            busy = await _probe(client, base, key, args.probes)
            still_waiting = sum(not t.done() for t in held)
            stop.set()
            await asyncio.gather(*held, return_exceptions=True)
            prefer = await _prefer_wait_phase(client, base, key, args)
    finally:
        stop_server(proc)

    def stats(values):
        return {
            "requests": len(values),
            "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p90_ms": round(percentile(values, 0.9) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }

    result = {
        "bench": "api_waiters",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {
            "server": "uvicorn, 1 worker process (avatarsaas.asgi)",
            "database": args.database_url.split(":", 1)[0],
            "waiters": f"{args.waiters} x GET /api/v1/jobs/{{id}}/events/ (SSE) on queued jobs,"
            " each open (first event read) before the probes; no GPU worker",
            "prefer_wait": f"then {args.waiters} x POST /api/v1/jobs/ with 'Prefer: wait=20'"
            " held open at once (no worker, so each waits out its 20 s)",
            "probe": "GET /api/v1/me/, sequential",
        },
        "results": {
            "idle": stats(idle),
            "while_waiting": stats(busy),
            "waiters_still_waiting_after_probes": still_waiting,
            "streams_open": len(opened),
            "seconds_until_all_streams_open": opened_after,
            "while_prefer_waiting": stats(prefer["probes"]),
            "prefer_wait_submits_held": prefer["held"],
            "prefer_wait_submits_still_held_after_probes": prefer["still_held"],
            "prefer_wait_answers_after_timeout": prefer["answers"],
        },
    }
    output = args.output or ROOT / "bench" / "results" / "api_waiters.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    for label in ("idle", "while_waiting", "while_prefer_waiting"):
        r = result["results"][label]
        print(f"{label:<14} p50 {r['p50_ms']:>7} ms  p90 {r['p90_ms']:>7} ms  max {r['max_ms']} ms")
    print(f"{still_waiting}/{args.waiters} clients still waiting after the probes")
    print(f"wrote {output}")
    held = f"{prefer['still_held']}/{prefer['held']}"
    print(f"{held} Prefer: wait submits still held after the probes")
    ok = still_waiting == len(opened) == args.waiters
    return 0 if ok and prefer["still_held"] == prefer["held"] == args.waiters else 1


PREFER_WAIT_S = 20


async def _prefer_wait_phase(client, base: str, key: str, args) -> dict:
    """Hold `args.waiters` submits open with ``Prefer: wait``, probe /me meanwhile, then
    collect how each answered when its wait ran out (202 with the job queued)."""
    headers = {"Authorization": f"Bearer {key}", "Prefer": f"wait={PREFER_WAIT_S}"}
    description = "a patient green robot that waits"
    body = {"description": description, "engine": "vector", "n": 1}
    held = [
        asyncio.create_task(
            client.post(f"{base}/api/v1/jobs/", json={**body, "seed": 10_000 + i}, headers=headers)
        )
        for i in range(args.waiters)
    ]
    # A held submit has created its job: wait until all of them show in the job list.
    started = time.monotonic()
    while time.monotonic() - started < PREFER_WAIT_S / 2:
        listing = await client.get(
            f"{base}/api/v1/jobs/?page_size=100&status=queued",
            headers={"Authorization": f"Bearer {key}"},
        )
        queued = [j for j in listing.json()["results"] if j["description"] == description]
        if len(queued) >= args.waiters or any(t.done() for t in held):
            break
        await asyncio.sleep(0.2)
    probes = await _probe(client, base, key, args.probes)
    still_held = sum(not t.done() for t in held)
    answers: dict[str, int] = {}
    for response in await asyncio.gather(*held, return_exceptions=True):
        code = getattr(response, "status_code", type(response).__name__)
        answers[str(code)] = answers.get(str(code), 0) + 1
    return {"probes": probes, "held": len(held), "still_held": still_held, "answers": answers}


async def _make_jobs(client, base: str, key: str, n: int) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"}
    body = {"description": "a friendly blue robot", "engine": "vector", "n": 1}
    ids = []
    for i in range(n):
        response = await client.post(
            f"{base}/api/v1/jobs/", json={**body, "seed": i}, headers=headers
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def _hold_stream(client, base, key, job_id, opened: list, stop: asyncio.Event) -> None:
    """Follow a job's events: count the stream as open at its first event, then hold it."""
    url = f"{base}/api/v1/jobs/{job_id}/events/"
    async with client.stream("GET", url, headers={"Authorization": f"Bearer {key}"}) as r:
        assert r.status_code == 200, r.status_code
        async for chunk in r.aiter_text():
            if "event: progress" in chunk:
                opened.append(job_id)
                break
        await stop.wait()


async def _until_up(client, base: str, proc) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if (await client.get(f"{base}/healthz", timeout=2)).status_code == 200:
                return
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        if proc.poll() is not None:
            raise SystemExit("uvicorn exited during start-up")
        await asyncio.sleep(0.2)
    raise SystemExit("uvicorn did not answer /healthz within 60 s")


if __name__ == "__main__":
    sys.exit(main())

"""API load bench: concurrent clients against gunicorn + PostgreSQL (+ Redis for the shared
rate-limit counters), loopback only, for a bounded time.

Half the clients submit jobs (POST /api/v1/jobs/, vector engine: jobs only queue, no worker
needed), the other half make an authenticated read (GET /api/v1/me/), in the same run. The
bench tenant's plan gets a very high rate limit and credits, so every request should succeed;
any non-2xx or transport error is counted and makes the exit status non-zero.

    .venv/bin/python bench/api_bench.py --duration 20 --clients 100

Writes bench/results/api_bench.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "api_bench.json"


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
    p.add_argument("--output", type=Path, default=RESULTS)
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


if __name__ == "__main__":
    sys.exit(main())

"""What every drill shares: a fresh PostgreSQL database, Django set up against it, tenants
with credits, real qcluster/gunicorn processes on loopback, and the three numbers every drill
reports (jobs lost, jobs duplicated, credit drift), all of which must be 0.

Each drill runs in its own process (Django reads its settings once), so `bench/run.py`
starts them as ``python -m bench.drills.<name>``; the last stdout line is the JSON result.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_BASE = os.environ.get("DRILL_PG_URL", "postgres://postgres@127.0.0.1:5432")
TEMPLATE_DB = "avatarsaas_drill_template"
LOGS = ROOT / "var" / "drill_logs"  # git-ignored; a failing drill points here


@dataclass
class DrillResult:
    name: str
    jobs_lost: int = 0
    jobs_duplicated: int = 0
    credit_drift: int = 0
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.jobs_lost == 0 and self.jobs_duplicated == 0 and self.credit_drift == 0

    def emit(self) -> None:
        print(json.dumps({**asdict(self), "ok": self.ok}, default=str))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin(sql: str, *params) -> list:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql, params or None)
        return cursor.fetchall() if cursor.description else []


def prepare_template() -> None:
    """Migrate a template database once per run; drills clone it in a second."""
    _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{TEMPLATE_DB}"')
    env = {**os.environ, "DATABASE_URL": f"{PG_BASE}/{TEMPLATE_DB}", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def fresh_database(name: str) -> str:
    if not os.environ.get("DRILL_TEMPLATE_READY"):
        prepare_template()
    db = f"avatarsaas_drill_{name}"
    _admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{db}" TEMPLATE "{TEMPLATE_DB}"')
    return f"{PG_BASE}/{db}"


def setup_django(env: dict[str, str]) -> None:
    """Point this process at the drill's database/broker before Django reads its settings."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
    os.environ.setdefault("DEBUG", "1")  # local settings; DEBUG is off unless set
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def make_tenant(name: str, credits: int = 100_000):
    """A tenant on a plan with room for the drill (concurrency, rate limit)."""
    from django.contrib.auth import get_user_model

    from tenants import credits as ledger
    from tenants import services
    from tenants.actors import Actor
    from tenants.models import Plan, Tenant

    plan, _ = Plan.objects.update_or_create(
        slug="drill",
        defaults={
            "name": "Drill",
            "requests_per_minute": 10_000_000,
            "max_concurrent_jobs": 1000,
            "is_public": False,
        },
    )
    user = get_user_model().objects.create_user(
        username=f"drill-{secrets.token_hex(4)}@example.com"
    )
    tenant = services.create_tenant(name=name, owner=user, actor=Actor(user=user))
    Tenant.objects.filter(pk=tenant.pk).update(plan=plan)
    ledger.grant_credits(
        tenant=tenant, amount=credits, reason="drill", actor=Actor.system(), idempotency_key="drill"
    )
    tenant.refresh_from_db()
    return tenant, Actor(user=user)


def api_key_for(tenant) -> str:
    from tenants import services
    from tenants.actors import Actor
    from tenants.models import ALL_SCOPES

    _, plaintext = services.create_api_key(
        tenant=tenant, actor=Actor.system(), name="drill", scopes=ALL_SCOPES, check_permission=False
    )
    return plaintext


def credit_drift(tenant, *, expected_balance: int) -> dict:
    """|balance - ledger sum| + |balance - expected|, with the parts for the report."""
    from tenants.credits import ledger_sum
    from tenants.models import Tenant

    balance = Tenant.objects.get(pk=tenant.pk).credit_balance
    ledger = ledger_sum(tenant)
    return {
        "balance": balance,
        "ledger_sum": ledger,
        "expected": expected_balance,
        "drift": abs(balance - ledger) + abs(balance - expected_balance),
    }


def job_accounting(job_ids) -> dict:
    """Lost = not succeeded; duplicated = extra image sets or a second charge for one job."""
    from django.db.models import Count

    from generation.models import GenerationJob
    from tenants.models import CreditEntry

    jobs = {str(j.pk): j for j in GenerationJob.objects.filter(pk__in=list(job_ids))}
    lost = [jid for jid in job_ids if jid not in jobs or jobs[jid].status != "succeeded"]
    image_counts = dict(
        GenerationJob.objects.filter(pk__in=list(jobs))
        .annotate(c=Count("images"))
        .values_list("pk", "c")
    )
    duplicated = [str(pk) for pk, c in image_counts.items() if c > jobs[str(pk)].n]
    charges = (
        CreditEntry.objects.filter(reference__in=[f"job:{j}" for j in jobs], kind="reserve")
        .values("reference")
        .annotate(c=Count("pk"))
        .filter(c__gt=1)
    )
    duplicated += [row["reference"][4:] for row in charges]
    statuses: dict[str, int] = {}
    for job in jobs.values():
        statuses[job.status] = statuses.get(job.status, 0) + 1
    return {
        "lost": lost,
        "duplicated": sorted(set(duplicated)),
        "statuses": statuses,
        "attempts_max": max((j.attempts for j in jobs.values()), default=0),
        "spent": sum(j.cost_credits for j in jobs.values() if j.status == "succeeded"),
    }


def wait_until(predicate: Callable[[], object], timeout: float, what: str, poll: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


class Process:
    """A child process in its own session, so a kill reaches all its children."""

    def __init__(self, args: list[str], env: dict[str, str], log_name: str):
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = LOGS / log_name
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(8)
            except subprocess.TimeoutExpired:
                self.kill9()


def qcluster(env: dict[str, str], *, gpu: bool = True, workers: int = 2, log: str) -> Process:
    extra = {"Q_CLUSTER_NAME": "gpu", "Q_GPU_WORKERS": str(workers)} if gpu else {}
    return Process([sys.executable, "manage.py", "qcluster"], {**env, **extra}, log)


def gunicorn(env: dict[str, str], port: int, *, log: str, workers: int = 3) -> Process:
    import requests

    server = Process(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "avatarsaas.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "8",
            "--worker-class",
            "gthread",
            "--backlog",
            "1024",
            "--timeout",
            "60",
        ],
        {**env, "DEBUG": "0", "SECRET_KEY": "drill-" + "k" * 50, "ALLOWED_HOSTS": "127.0.0.1"},
        log,
    )

    def healthy():
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
        except requests.RequestException:
            if not server.alive():
                raise RuntimeError(f"gunicorn exited; see {server.log}") from None
            return None

    wait_until(healthy, 60, "gunicorn to answer /healthz")
    return server


def run_drill(name: str, body: Callable[[], DrillResult]) -> None:
    """Entry point helper: time the drill, print its JSON line, exit non-zero on failure."""
    started = time.monotonic()
    try:
        result = body()
    except Exception as exc:  # noqa: BLE001 - a crashed drill is reported, not hidden
        result = DrillResult(
            name=name, jobs_lost=-1, details={"error": f"{type(exc).__name__}: {exc}"}
        )
    result.seconds = round(time.monotonic() - started, 1)
    result.emit()
    sys.exit(0 if result.ok else 1)

"""Real django-q2 `qcluster` processes (Redis broker in CI, else the ORM broker) against the
test database: a job submitted through the API comes back succeeded and CLIP-scored; a worker
killed with SIGKILL mid-render loses nothing and charges nothing twice."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from generation.models import GenerationJob
from generation.worker import runner
from tenants.models import CreditEntry, CreditReservation
from tests.factories import api_client_for, make_tenant

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server_db():
    if connection.vendor != "postgresql":
        pytest.skip("worker processes share the test database only on PostgreSQL (CI uses it)")
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextmanager
def qcluster(db_url: str, tiny_models, log: Path, **env_extra):
    from django.conf import settings

    env = {
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # the worker writes where this test reads
        **os.environ,
        **tiny_models.env(),
        "DATABASE_URL": db_url,
        "Q_CLUSTER_NAME": "gpu",
        "AVATARSAAS_DEVICE": "cpu",
        "PYTHONUNBUFFERED": "1",
        **env_extra,
    }
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n--- worker log ---\n{tail}")


def _job(job_id):
    return GenerationJob.objects.get(pk=job_id)


def test_api_job_runs_on_a_real_worker(server_db, tiny_models, use_tiny_models, tmp_path):
    tenant = make_tenant(credits_amount=100)
    client = api_client_for(tenant)
    log = tmp_path / "worker.log"
    with qcluster(server_db, tiny_models, log):
        response = client.post(
            "/api/v1/jobs/",
            {
                "description": "a cheerful green robot mascot",
                "engine": "diffusers",
                "n": 2,
                "size": 64,
                "steps": 3,
                "seed": 5,
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        job_id = response.json()["id"]
        wait_for(lambda: _job(job_id).is_terminal, 120, "the job to finish", log)
    job = _job(job_id)
    assert job.status == "succeeded", (job.failure_code, job.failure_message)
    detail = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert len(detail["images"]) == 2
    assert all(img["clip_score"] is not None for img in detail["images"])
    winner = next(img for img in detail["images"] if img["selected"])
    assert winner["metadata"]["engine"] == "diffusers"
    png = next(f for f in winner["files"] if f["format"] == "png")
    assert client.get(png["url"]).status_code == 200


def test_sigkilled_worker_job_is_rerun_once_and_charged_once(
    server_db, tiny_models, use_tiny_models, tmp_path
):
    tenant = make_tenant(credits_amount=100)
    tenant.refresh_from_db()
    before = tenant.credit_balance
    client = api_client_for(tenant)
    log = tmp_path / "worker.log"
    lease = {"AVATARSAAS_JOB_LEASE_SECONDS": "3"}
    with qcluster(server_db, tiny_models, log, **lease) as first:
        response = client.post(
            "/api/v1/jobs/",
            {
                "description": "a slow robot",
                "engine": "diffusers",
                "n": 4,
                "size": 64,
                "steps": 80,
                "seed": 9,
            },
            format="json",
        )
        job_id = response.json()["id"]
        wait_for(
            lambda: (j := _job(job_id)).status == "running" and j.progress_step > 0,
            120,
            "the job to be mid-render",
            log,
        )
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    assert _job(job_id).status == "running"  # the dead worker still "holds" it
    time.sleep(3.5)  # let the lease run out
    assert runner.sweep_stale_jobs()["requeued"] == 1
    with qcluster(server_db, tiny_models, log, **lease):
        wait_for(lambda: _job(job_id).is_terminal, 180, "the retried job to finish", log)

    job = _job(job_id)
    assert job.status == "succeeded", (job.failure_code, job.failure_message)
    assert job.attempts == 2
    assert job.images.count() == 4
    reference = f"job:{job_id}"
    entries = list(CreditEntry.objects.filter(tenant=tenant, reference=reference))
    assert [(e.kind, e.amount) for e in entries] == [("reserve", -job.cost_credits)]
    assert CreditReservation.objects.get(tenant=tenant, reference=reference).state == "settled"
    tenant.refresh_from_db()
    assert tenant.credit_balance == before - job.cost_credits

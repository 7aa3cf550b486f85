"""The runner survives its database connection being cut mid-render (failover, idle kill):
the job goes straight back to the queue on a fresh connection, then runs once."""

import psycopg
import pytest
from django.db import connection

from generation.models import GenerationJob
from generation.worker import runner
from tenants.models import CreditEntry
from tests.factories import api_client_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL (CI runs this on it)")


def _terminate_own_backend():
    pid = connection.connection.info.backend_pid
    s = connection.settings_dict
    dsn = f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']}"
    with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_connection_cut_mid_render_requeues_at_once(postgres_only, no_models, tenant, monkeypatch):
    response = api_client_for(tenant).post(
        "/api/v1/jobs/", {"description": "a robot", "n": 2, "seed": 8}, format="json"
    )
    job_id = response.json()["id"]
    original = runner._Progress.__call__
    cut = []

    def cutting_progress(self, step, total):
        if not cut:
            cut.append(step)
            _terminate_own_backend()
        return original(self, step, total)

    monkeypatch.setattr(runner._Progress, "__call__", cutting_progress)
    runner.process_one("worker-a")
    job = GenerationJob.objects.get(pk=job_id)
    assert cut and job.status == "queued" and job.attempts == 1  # no wait for the lease
    assert "OperationalError" in job.failure_message

    monkeypatch.setattr(runner._Progress, "__call__", original)
    runner.process_one("worker-b")
    job = GenerationJob.objects.get(pk=job_id)
    assert job.status == "succeeded" and job.attempts == 2 and job.images.count() == 2
    charges = CreditEntry.objects.filter(reference=f"job:{job_id}", kind="reserve")
    assert charges.count() == 1

"""Claiming, leases, the sweeper, fairness and per-tenant concurrency caps."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation.models import GenerationJob
from generation.worker import claim, runner
from tenants.models import Plan, Tenant
from tests.factories import api_client_for, make_tenant

pytestmark = pytest.mark.django_db


def _submit(tenant, seed=1):
    response = api_client_for(tenant).post(
        "/api/v1/jobs/", {"description": "a robot", "n": 1, "seed": seed}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_expired_lease_is_requeued_and_only_the_new_owner_can_finish(no_models, tenant):
    job_id = _submit(tenant)
    stale = claim.claim_next_job("worker-a")
    assert str(stale.pk) == job_id and stale.attempts == 1
    GenerationJob.objects.filter(pk=job_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert runner.sweep_stale_jobs() == {"requeued": 1, "failed": 0, "nudged": 0, "recounted": 0}
    fresh = runner.process_one("worker-b")
    assert str(fresh.pk) == job_id
    job = GenerationJob.objects.get(pk=job_id)
    assert job.status == "succeeded" and job.attempts == 2 and job.images.count() == 1
    # The presumed-dead worker wakes up and tries to finish: its results are discarded.
    with pytest.raises(claim.LeaseLost):
        runner._finalize(job.pk, "worker-a", [], 0.1)
    assert job.images.count() == 1


def test_lease_expiring_past_max_attempts_fails_and_releases(no_models, tenant):
    job_id = _submit(tenant)
    balance = Tenant.objects.get(pk=tenant.pk).credit_balance
    GenerationJob.objects.filter(pk=job_id).update(max_attempts=1)
    claim.claim_next_job("w")
    GenerationJob.objects.filter(pk=job_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert runner.sweep_stale_jobs()["failed"] == 1
    job = GenerationJob.objects.get(pk=job_id)
    assert job.status == "failed" and job.failure_code == "worker_lost"
    assert Tenant.objects.get(pk=tenant.pk).credit_balance == balance + job.cost_credits


def test_sweeper_renudges_queued_jobs_without_a_live_message(no_models, tenant):
    job_id = _submit(tenant)
    GenerationJob.objects.filter(pk=job_id).update(
        last_enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    assert runner.sweep_stale_jobs()["nudged"] == 1
    job = GenerationJob.objects.get(pk=job_id)
    assert job.last_enqueued_at > timezone.now() - timedelta(minutes=1)


def test_fair_round_robin_between_tenants(no_models):
    busy = make_tenant("Busy", credits_amount=1000)
    quiet = make_tenant("Quiet", credits_amount=1000)
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=10)
    for i in range(5):
        _submit(busy, seed=i)
    quiet_job = _submit(quiet)
    order = []
    for _ in range(3):
        job = runner.process_one("w")
        order.append(job.tenant_id)
    # The quiet tenant's single job runs second, not after the busy tenant's whole backlog.
    assert order[0] == busy.pk and order[1] == quiet.pk
    assert GenerationJob.objects.get(pk=quiet_job).status == "succeeded"


def test_per_tenant_concurrency_cap(no_models, tenant, other_tenant):
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=1)
    _submit(tenant, seed=1)
    _submit(tenant, seed=2)
    other = _submit(other_tenant)
    first = claim.claim_next_job("w1")
    assert first.tenant_id == tenant.pk
    second = claim.claim_next_job("w2")
    assert str(second.pk) == other  # the capped tenant's second job waits
    assert claim.claim_next_job("w3") is None


def test_cancel_while_running_discards_results(no_models, tenant):
    job_id = _submit(tenant)
    job = claim.claim_next_job("w")
    api_client_for(tenant).post(f"/api/v1/jobs/{job_id}/cancel/")
    runner.run_claimed_job(job, "w")
    job.refresh_from_db()
    assert job.status == "canceled" and job.images.count() == 0


def test_state_machine_rejects_illegal_moves(no_models, tenant):
    from core.errors import Conflict
    from generation.jobs import state as job_state

    job = GenerationJob.objects.get(pk=_submit(tenant))
    with pytest.raises(Conflict):
        job_state.transition_job(job, "succeeded")
    assert job_state.can_transition("running", "queued")
    assert not job_state.can_transition("succeeded", "running")


def test_a_suspended_workspace_queue_waits_for_reactivation(no_models, tenant, other_tenant):
    held = _submit(tenant)
    other = _submit(other_tenant)
    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)  # staff suspended it
    assert str(claim.claim_next_job("w1").pk) == other
    assert claim.claim_next_job("w2") is None
    Tenant.objects.filter(pk=tenant.pk).update(is_active=True)
    assert str(claim.claim_next_job("w3").pk) == held

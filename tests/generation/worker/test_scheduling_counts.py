"""Issue 20: the scheduling columns on the tenant row (`queued_jobs`, `running_jobs`, `job_cap`),
kept by triggers, are what the claim reads; they must follow every write path and survive the
ways they could be clobbered."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from generation.jobs import state as job_state
from generation.models import GenerationJob, JobStatus
from generation.worker import claim, job_counts, runner
from tenants import job_cap
from tenants.models import Plan, Tenant
from tests.factories import make_tenant


def _jobs(tenant, n, status=JobStatus.QUEUED, **fields):
    return GenerationJob.objects.bulk_create(
        GenerationJob(
            tenant=tenant, description="a robot", engine="vector", status=status, **fields
        )
        for _ in range(n)
    )


def _count(tenant) -> int:
    return Tenant.objects.values_list("running_jobs", flat=True).get(pk=tenant.pk)


def _counts(tenant) -> tuple[int, int]:
    return Tenant.objects.values_list("queued_jobs", "running_jobs").get(pk=tenant.pk)


def _cap(tenant) -> int:
    return Tenant.objects.values_list("job_cap", flat=True).get(pk=tenant.pk)


@pytest.mark.django_db
def test_counter_follows_every_way_a_job_enters_or_leaves_running(tenant, other_tenant):
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=10)
    _jobs(tenant, 2, JobStatus.RUNNING)  # bulk insert
    _jobs(tenant, 3)
    _jobs(tenant, 4, JobStatus.SUCCEEDED)  # history is not counted
    assert _counts(tenant) == (3, 2)
    job = claim.claim_next_job("w")
    assert _counts(tenant) == (2, 3) and job.status == JobStatus.RUNNING
    job_state.transition_job(job, JobStatus.SUCCEEDED)
    assert _counts(tenant) == (2, 2)
    # A bulk status update and a save that rewrites the same status.
    GenerationJob.objects.filter(tenant=tenant, status=JobStatus.RUNNING).update(
        status=JobStatus.QUEUED
    )
    assert _counts(tenant) == (4, 0)
    running = claim.claim_next_job("w")
    running.progress = 50
    running.save()  # status written again, unchanged: no double count
    assert _count(tenant) == 1
    # Moving a running job to another tenant moves its count; deleting it removes it.
    GenerationJob.objects.filter(pk=running.pk).update(tenant=other_tenant)
    assert (_count(tenant), _count(other_tenant)) == (0, 1)
    GenerationJob.objects.filter(pk=running.pk).delete()
    assert _count(other_tenant) == 0
    # Jobs that never run leave the counter alone.
    # Leaving the queue without running counts too.
    queued = GenerationJob.objects.filter(tenant=tenant, status=JobStatus.QUEUED).first()
    job_state.transition_job(queued, JobStatus.CANCELED)
    assert _counts(tenant) == (2, 0)
    GenerationJob.objects.filter(tenant=tenant, status=JobStatus.QUEUED).delete()
    assert _counts(tenant) == (0, 0)


@pytest.mark.django_db
def test_job_cap_follows_the_plan_and_plan_changes(tenant):
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=3)
    assert _cap(tenant) == 3
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=0)  # below 1 means 1
    assert _cap(tenant) == 1
    Plan.objects.update_or_create(slug="big", defaults={"name": "Big", "max_concurrent_jobs": 7})
    Tenant.objects.filter(pk=tenant.pk).update(plan_id="big")
    assert _cap(tenant) == 7
    newcomer = make_tenant()  # a new tenant starts with its plan's cap, not the field default
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=4)
    assert _cap(newcomer) == 4 and _cap(tenant) == 7


@pytest.mark.django_db
def test_a_full_tenant_save_does_not_write_back_a_stale_count(tenant):
    stale = Tenant.objects.get(pk=tenant.pk)
    _jobs(tenant, 2)
    claim.claim_next_job("w")
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=6)
    stale.name = "Renamed by an admin form"
    stale.save()
    fresh = Tenant.objects.get(pk=tenant.pk)
    assert fresh.name == "Renamed by an admin form"
    assert (fresh.queued_jobs, fresh.running_jobs, fresh.job_cap) == (1, 1, 6)


@pytest.mark.django_db
def test_the_sweeper_recounts_a_drifted_counter(tenant, other_tenant):
    _jobs(tenant, 2, JobStatus.RUNNING, lease_expires_at=timezone.now() + timedelta(hours=1))
    _jobs(tenant, 1)
    Tenant.objects.filter(pk=tenant.pk).update(running_jobs=0)  # lost, e.g. by a manual fix
    Tenant.objects.filter(pk=other_tenant.pk).update(queued_jobs=5, job_cap=9)  # phantoms
    assert runner.sweep_stale_jobs()["recounted"] == 3
    assert _counts(tenant) == (1, 2)
    assert _counts(other_tenant) == (0, 0) and _cap(other_tenant) == _cap(tenant)
    assert runner.sweep_stale_jobs()["recounted"] == 0


@pytest.mark.django_db
def test_a_capped_tenant_is_not_claimed_even_with_a_phantom_free_slot_elsewhere(tenant):
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=1)
    _jobs(tenant, 1, JobStatus.RUNNING)
    _jobs(tenant, 1)
    assert claim.claim_next_job("w") is None
    Tenant.objects.filter(pk=tenant.pk).update(running_jobs=0)  # the counter is what decides
    assert claim.claim_next_job("w").tenant_id == tenant.pk


@pytest.mark.django_db
def test_triggers_come_back_after_they_are_dropped(tenant):
    job_counts.uninstall()
    job_cap.uninstall(connection)
    job_cap.drop_claimable_index(connection)
    assert job_counts.installed_triggers() == set()
    _jobs(tenant, 1, JobStatus.RUNNING)
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=5)
    assert _count(tenant) == 0 and _cap(tenant) == 1  # nothing counts without them
    # What a SQLite table rebuild in a later migration does; post_migrate puts them back.
    if connection.vendor == "postgresql":  # no CREATE INDEX on a table with pending FK checks
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("migrate", verbosity=0)
    assert job_counts.installed_triggers()
    # ... and what happened meanwhile is counted.
    assert _count(tenant) == 1 and _cap(tenant) == 5
    assert job_counts.install() is False and job_cap.install(connection) is False
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "tenants_tenant")
    assert "tenant_claimable" in indexes


@pytest.mark.django_db
def test_the_claimable_index_holds_only_tenants_that_can_start_a_job():
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's; CI runs this on PostgreSQL")
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=1)
    for _ in range(40):  # at their caps
        capped = make_tenant()
        _jobs(capped, 1, JobStatus.RUNNING)
        _jobs(capped, 1)
    ready = make_tenant()
    _jobs(ready, 1)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be seq-scanned
        sql, params = claim.claim_statement("w")
        cursor.execute(f"EXPLAIN (ANALYZE) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tenant_claimable" in plan, plan
    # The tenant scan read one row (the ready tenant), not the 40 capped ones.
    scan = next(line for line in plan.splitlines() if "tenant_claimable" in line)
    assert "rows=1 " in scan, plan


@pytest.mark.django_db
def test_a_claim_on_postgresql_is_one_statement(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement claim is PostgreSQL's; CI runs this on PostgreSQL")
    _jobs(tenant, 1)
    with CaptureQueriesContext(connection) as queries:
        job = claim.claim_next_job("w-one")
    assert len(queries) == 1, [q["sql"] for q in queries]
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.attempts) == (JobStatus.RUNNING, "w-one", 1)
    assert job.started_at is not None and job.lease_expires_at > timezone.now()
    assert Tenant.objects.get(pk=tenant.pk).last_served_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_claim_waits_for_a_tenant_another_worker_holds_instead_of_giving_up():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this on PostgreSQL")
    tenant = make_tenant("Held")
    _jobs(tenant, 1)
    locked, release = threading.Event(), threading.Event()

    def hold_the_tenant_row():
        try:
            with transaction.atomic():
                Tenant.objects.select_for_update().get(pk=tenant.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_tenant_row)
    holder.start()
    assert locked.wait(10)
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    job = claim.claim_next_job("w")
    holder.join()
    # The one-statement claim skipped the locked tenant, saw it was eligible, and waited.
    assert job is not None and job.tenant_id == tenant.pk
    assert time.monotonic() - started >= 0.4

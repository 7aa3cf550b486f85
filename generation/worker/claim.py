"""Claiming jobs fairly with a lease: round-robin across tenants, per-tenant concurrency caps.

A worker claims a job by moving it queued -> running with `lease_owner` = itself and a lease
expiry it keeps renewing (see `runner`); the queue's read side (position, running per tenant)
lives here too.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from generation.jobs import state as job_state
from generation.models import GenerationJob, JobStatus
from tenants.models import Plan, Tenant


def lease_seconds() -> int:
    return int(getattr(settings, "AVATARSAAS_JOB_LEASE_SECONDS", 60))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LeaseLost(Exception):
    """This worker no longer owns the job or fine-tune run (canceled, or re-queued after its
    lease ran out)."""


def _skip_locked() -> dict:
    return {"skip_locked": True} if connection.features.has_select_for_update_skip_locked else {}


# How many eligible tenants one claim considers. Concurrent workers compute the same order and
# fan out over it by skipping each other's locked tenant rows, so this only needs to exceed
# the number of workers that claim at the same instant.
CANDIDATES = 64

# One statement, reading only live rows through the partial indexes `job_queued_by_tenant`
# and `job_running_by_tenant` (never the history): tenants with queued work that are active
# and under their plan's cap, least recently served first (round-robin); ties (never served)
# go to whoever has waited longest. Raw SQL because it is a join of two grouped subqueries,
# which the ORM can only write as one correlated subquery per tenant.
_ELIGIBLE_SQL = """
WITH queued AS (
    SELECT tenant_id, MIN(queued_at) AS oldest FROM {job} WHERE status = %s GROUP BY tenant_id
), running AS (
    SELECT tenant_id, COUNT(*) AS n FROM {job} WHERE status = %s GROUP BY tenant_id
)
SELECT t.id FROM queued q
JOIN {tenant} t ON t.id = q.tenant_id
JOIN {plan} p ON p.slug = t.plan_id
LEFT JOIN running r ON r.tenant_id = q.tenant_id
WHERE t.is_active
  AND COALESCE(r.n, 0) < CASE WHEN p.max_concurrent_jobs < 1 THEN 1 ELSE p.max_concurrent_jobs END
ORDER BY t.last_served_at NULLS FIRST, q.oldest, t.id
LIMIT %s
"""


def _fair_tenant_order(limit: int = CANDIDATES) -> list:
    """Tenants that may start a job now, in round-robin order (see `_ELIGIBLE_SQL`).

    A snapshot without locks: `_claim_for_tenant` re-checks the cap under the tenant lock."""
    sql = _ELIGIBLE_SQL.format(
        job=GenerationJob._meta.db_table, tenant=Tenant._meta.db_table, plan=Plan._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [JobStatus.QUEUED, JobStatus.RUNNING, limit])
        # SQLite hands back the UUID as hex text, PostgreSQL as a UUID.
        return [Tenant._meta.pk.to_python(row[0]) for row in cursor.fetchall()]


_LOCKED = object()  # another worker holds this tenant's claim lock right now


def _lock(*, wait: bool) -> dict:
    kwargs = {} if wait else _skip_locked()
    if connection.features.has_select_for_update_of:
        # Lock the tenant row only: the joined plan row is shared by every tenant on the plan,
        # and locking it made concurrent claims for *different* tenants skip each other.
        kwargs["of"] = ("self",)
    return kwargs


def claim_next_job(owner: str) -> GenerationJob | None:
    """Claim the next job fairly: per-tenant concurrency caps, round-robin across tenants."""
    contended = []
    for tenant_id in _fair_tenant_order():
        job = _claim_for_tenant(tenant_id, owner, wait=False)
        if job is _LOCKED:
            contended.append(tenant_id)
        elif job is not None:
            return job
    # Other workers were claiming for these tenants at this instant. Wait for their short
    # transactions rather than give up: a nudge that claims nothing leaves a job queued until
    # the sweeper's next pass, minutes later (found by the kill -9 drill with 20 workers).
    for tenant_id in contended:
        job = _claim_for_tenant(tenant_id, owner, wait=True)
        if job is not None and job is not _LOCKED:
            return job
    return None


def _claim_for_tenant(tenant_id, owner: str, *, wait: bool):
    with transaction.atomic():
        # The cap stays exact under concurrent claims because each tenant's claims are
        # serialised on its row lock, and the running count below is read after the lock is
        # held (READ COMMITTED: a claim that committed before we got the lock is counted).
        # A row lock rather than an advisory lock: it is the lock credit reservations already
        # take, it is released with the transaction whatever happens, and it carries
        # `last_served_at`, which this claim writes anyway. A conditional UPDATE cannot express
        # "count of running rows < cap" without the same lock.
        tenant = (
            Tenant.objects.select_for_update(**_lock(wait=wait))
            .select_related("plan")
            .filter(pk=tenant_id)
            .first()
        )
        if tenant is None:
            return None if wait else _LOCKED
        if not tenant.is_active:  # suspended by staff: its queue waits for reactivation
            return None
        running = GenerationJob.objects.filter(
            tenant_id=tenant_id, status=JobStatus.RUNNING
        ).count()
        if running >= max(1, tenant.plan.max_concurrent_jobs):
            return None
        # One SELECT ... FOR UPDATE SKIP LOCKED over `job_queued_by_tenant`, which holds this
        # tenant's queued jobs in claim order: the first live entry, whatever the history.
        job = (
            GenerationJob.objects.select_for_update(**_skip_locked())
            .filter(tenant_id=tenant_id, status=JobStatus.QUEUED)
            .order_by("queued_at")
            .first()
        )
        if job is None:
            return None
        now = timezone.now()
        job_state.transition_job(
            job,
            JobStatus.RUNNING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            attempts=job.attempts + 1,
            started_at=job.started_at or now,
            progress=0,
            progress_step=0,
        )
        Tenant.objects.filter(pk=tenant_id).update(last_served_at=now)
        return job


def queue_position(job: GenerationJob) -> int | None:
    if job.status != JobStatus.QUEUED:
        return None
    if getattr(job, "queued_ahead", None) is not None:  # counted by the submit's one read
        return job.queued_ahead + 1
    ahead = GenerationJob.objects.filter(status=JobStatus.QUEUED, queued_at__lt=job.queued_at)
    return ahead.count() + 1


def running_by_tenant() -> dict:
    return dict(
        GenerationJob.objects.filter(status=JobStatus.RUNNING)
        .values("tenant_id")
        .annotate(c=Count("id"))
        .values_list("tenant_id", "c")
    )

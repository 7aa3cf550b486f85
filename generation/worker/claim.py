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
from tenants.models import Tenant


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

# Tenants that may start a job now: active, with queued work and under their cap, by the
# trigger-kept counts on their own row, least recently served first (round-robin), ties (never
# served) to whoever has waited longest. The WHERE clause is the predicate of the partial index
# `tenant_claimable` (tenants migration 0014), which holds exactly these tenants in this order:
# the claim reads its first entries, however many tenants sit at their caps and however long
# the job history. The tie-break probes `job_queued_by_tenant` for never-served tenants only.
_ELIGIBLE = """
SELECT t.id FROM {tenant} t
WHERE t.is_active AND t.queued_jobs > 0 AND t.running_jobs < t.job_cap
ORDER BY t.last_served_at NULLS FIRST,
  (SELECT MIN(q.queued_at) FROM {job} q WHERE q.tenant_id = t.id AND q.status = %(queued)s),
  t.id
"""

# The whole claim in one statement and one round trip (PostgreSQL): lock the first eligible
# tenant that no other worker is claiming for (SKIP LOCKED), take its oldest queued job, mark
# the tenant served and the job running. The cap stays exact: `running_jobs` lives on the
# locked row, and READ COMMITTED re-checks a locked row's conditions against its newest
# committed version, so a claim that committed just before ours is counted. The job table's
# trigger moves this job from `queued_jobs` to `running_jobs` at the end of the statement,
# still under the lock.
# When it claims nothing, the last column says whether eligible tenants exist that other
# workers had locked: then `claim_next_job` waits for them instead of giving up.
_CLAIM = """
WITH tenant AS (
    {eligible} LIMIT 1 FOR UPDATE OF t SKIP LOCKED
), next_job AS (
    SELECT j.id FROM {job} j JOIN tenant ON j.tenant_id = tenant.id
    WHERE j.status = %(queued)s ORDER BY j.queued_at LIMIT 1 FOR UPDATE OF j SKIP LOCKED
), served AS (
    UPDATE {tenant} SET last_served_at = %(now)s
    FROM next_job, tenant WHERE {tenant}.id = tenant.id
), claimed AS (
    UPDATE {job} j SET status = %(running)s, lease_owner = %(owner)s,
        lease_expires_at = %(expires)s, attempts = j.attempts + 1,
        started_at = COALESCE(j.started_at, %(now)s), progress = 0, progress_step = 0
    FROM next_job WHERE j.id = next_job.id
    RETURNING {returning}
)
SELECT {columns}, FALSE AS contended FROM claimed
UNION ALL
SELECT {nulls}, EXISTS ({eligible} LIMIT 1) WHERE NOT EXISTS (SELECT 1 FROM claimed)
"""


def _sql(template: str, **extra) -> str:
    tables = {"job": GenerationJob._meta.db_table, "tenant": Tenant._meta.db_table}
    eligible = _ELIGIBLE.format(**tables).strip()
    return template.format(eligible=eligible, **tables, **extra)


def _fair_tenant_order(limit: int = CANDIDATES) -> list:
    """Tenants that may start a job now, in round-robin order (see `_ELIGIBLE`).

    A snapshot without locks: `_claim_for_tenant` re-checks the cap under the tenant lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            _sql("{eligible} LIMIT %(limit)s"), {"queued": JobStatus.QUEUED, "limit": limit}
        )
        # SQLite hands back the UUID as hex text, PostgreSQL as a UUID.
        return [Tenant._meta.pk.to_python(row[0]) for row in cursor.fetchall()]


def claim_statement(owner: str) -> tuple[str, dict]:
    """The one-statement claim (`_CLAIM`) and its parameters; benches EXPLAIN it."""
    columns = [connection.ops.quote_name(f.column) for f in GenerationJob._meta.concrete_fields]
    sql = _sql(
        _CLAIM,
        columns=", ".join(columns),
        returning=", ".join(f"j.{c}" for c in columns),
        nulls=", ".join(f"NULL AS {c}" for c in columns),
    )
    now = timezone.now()
    params = {
        "queued": JobStatus.QUEUED,
        "running": JobStatus.RUNNING,
        "owner": owner,
        "now": now,
        "expires": now + timedelta(seconds=lease_seconds()),
    }
    return sql, params


def _claim_in_one_statement(owner: str) -> tuple[GenerationJob | None, bool]:
    """(the claimed job, or None and whether other workers held the eligible tenants)."""
    row = next(iter(GenerationJob.objects.raw(*claim_statement(owner))))
    if row.pk is None:
        return None, bool(row.contended)
    del row.contended
    return row, False


_LOCKED = object()  # another worker holds this tenant's claim lock right now


def claim_next_job(owner: str) -> GenerationJob | None:
    """Claim the next job fairly: per-tenant concurrency caps, round-robin across tenants."""
    if connection.vendor == "postgresql":
        job, contended = _claim_in_one_statement(owner)
        if job is not None or not contended:
            return job
    return _claim_tenant_by_tenant(owner)


def _claim_tenant_by_tenant(owner: str) -> GenerationJob | None:
    """The claim as one short transaction per candidate tenant: SQLite's way, and PostgreSQL's
    when every eligible tenant was locked by another worker at that instant."""
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
        # Each tenant's claims are serialised on its row lock, and `running_jobs` and `job_cap`
        # are read from the locked row (kept by triggers), so the cap stays exact.
        lock = Tenant.objects.select_for_update(**({} if wait else _skip_locked()))
        tenant = lock.filter(pk=tenant_id).first()
        if tenant is None:
            return None if wait else _LOCKED
        if not tenant.is_active:  # suspended by staff: its queue waits for reactivation
            return None
        if tenant.running_jobs >= tenant.job_cap:
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

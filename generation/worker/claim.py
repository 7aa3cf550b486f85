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
from django.db.models import Count, Max, Min
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


def _fair_tenant_order() -> list:
    """Tenants with queued work, least recently served first (round-robin across tenants);
    ties (tenants never served) go to whoever has waited longest."""
    oldest_queued = dict(
        GenerationJob.objects.filter(status=JobStatus.QUEUED)
        .values("tenant_id")
        .annotate(m=Min("queued_at"))
        .order_by("m")
        .values_list("tenant_id", "m")[:1000]
    )
    if not oldest_queued:
        return []
    last_start = dict(
        GenerationJob.objects.filter(tenant_id__in=list(oldest_queued), started_at__isnull=False)
        .values("tenant_id")
        .annotate(m=Max("started_at"))
        .values_list("tenant_id", "m")
    )
    floor = timezone.now() - timedelta(days=36500)
    return sorted(oldest_queued, key=lambda t: (last_start.get(t) or floor, oldest_queued[t]))


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
        # Locking the tenant row serialises claims per tenant so the cap is exact.
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
        return job


def queue_position(job: GenerationJob) -> int | None:
    if job.status != JobStatus.QUEUED:
        return None
    ahead = GenerationJob.objects.filter(status=JobStatus.QUEUED, queued_at__lt=job.queued_at)
    return ahead.count() + 1


def running_by_tenant() -> dict:
    return dict(
        GenerationJob.objects.filter(status=JobStatus.RUNNING)
        .values("tenant_id")
        .annotate(c=Count("id"))
        .values_list("tenant_id", "c")
    )

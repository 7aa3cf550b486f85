"""Running jobs on a worker: fair claim with a lease, render, score, store, settle exactly once.

A worker claims a job by moving it queued -> running with `lease_owner` = itself and a lease
expiry it keeps renewing. Results are committed only if the worker still owns the lease, so a
job whose worker was presumed dead and whose retry already finished is never succeeded twice.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from core import observe
from core.logging_json import job_log_context
from generation.engines import registry as engine_registry
from generation.engines.base import EngineError, RenderRequest
from generation.jobs import state as job_state
from generation.jobs.dispatch import enqueue_job
from generation.jobs.render_config import render_config_for
from generation.jobs.services import cache_key_for
from generation.models import GenerationJob, JobStatus
from generation.webhooks import delivery as webhooks
from generation.worker import model_hashes, packs
from tenants import credits
from tenants.actors import Actor
from tenants.models import Tenant

logger = logging.getLogger(__name__)
SYSTEM = Actor.system()


def lease_seconds() -> int:
    return int(getattr(settings, "AVATARSAAS_JOB_LEASE_SECONDS", 60))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LeaseLost(Exception):
    """This worker no longer owns the job (canceled, or re-queued after its lease ran out)."""


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
        job_state.transition(
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


def process_one(owner: str | None = None) -> GenerationJob | None:
    """Claim and run one job if there is one this worker may take."""
    owner = owner or worker_id()
    job = claim_next_job(owner)
    if job is None:
        return None
    run_claimed_job(job, owner)
    _nudge_if_work_remains()
    return job


def _nudge_if_work_remains() -> None:
    """One message claims one job, and a claim can find nothing (a tenant at its concurrency
    cap, a lost race): a worker that finishes leaves a nudge behind while jobs still wait, so
    they do not wait for the sweeper."""
    waiting = (
        GenerationJob.objects.filter(status=JobStatus.QUEUED)
        .order_by("queued_at")
        .values_list("pk", flat=True)
        .first()
    )
    if waiting is not None:
        enqueue_job(waiting)


class _Progress:
    """Engine progress -> job row (throttled), lease renewal, and cancellation checks."""

    def __init__(self, job: GenerationJob, owner: str, total: int):
        self.job, self.owner, self.total = job, owner, max(1, total)
        self.last = 0.0

    def __call__(self, step: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and step < total:
            return
        self.last = now
        updated = GenerationJob.objects.filter(
            pk=self.job.pk, status=JobStatus.RUNNING, lease_owner=self.owner
        ).update(
            progress=min(95, int(90 * step / max(1, total))),
            progress_step=step,
            progress_total=total,
            lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds()),
        )
        if not updated:
            raise LeaseLost(f"job {self.job.pk} is no longer ours")


def _log_context(**ids):
    return job_log_context(**ids)


def run_claimed_job(job: GenerationJob, owner: str) -> None:
    with _log_context(job_id=str(job.pk), tenant_id=str(job.tenant_id)):
        try:
            _run(job, owner)
        except LeaseLost:
            logger.info("Job %s: lease lost (canceled or re-queued); discarding results", job.pk)
        except EngineError as exc:
            fail_job(job.pk, code=exc.code, message=str(exc), owner=owner)
        except Exception as exc:  # noqa: BLE001 - unexpected: log with id, retry or fail
            logger.exception("Job %s crashed on attempt %s", job.pk, job.attempts)
            if isinstance(exc, DatabaseError):
                _reconnect_if_broken()
            _retry_or_fail(job.pk, owner, f"{type(exc).__name__}: {exc}")


def _reconnect_if_broken() -> None:
    """A dropped connection (failover, idle kill, pg_terminate_backend) would also fail the
    retry bookkeeping, leaving the job "running" until its lease ran out and the sweeper came
    by; drop it so the retry below opens a fresh one and re-queues the job at once."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _run(job: GenerationJob, owner: str) -> None:
    config = render_config_for(job.preset)
    adapter = None
    if job.adapter_version_id:
        adapter = config.adapter
        if adapter is None or adapter.version_id != job.adapter_version_id:
            raise EngineError(
                "The LoRA adapter this job was submitted with is no longer active or ready.",
                code="adapter_unavailable",
            )
        if job.adapter_strength is not None:
            adapter = replace(adapter, strength=job.adapter_strength)
    request = RenderRequest(
        prompt=job.prompt,
        negative_prompt=job.negative_prompt,
        attributes=job.attributes,
        seeds=tuple(job.seeds),
        width=job.size,
        height=job.size,
        steps=job.steps,
        guidance_scale=job.guidance_scale,
        scheduler=job.scheduler,
        adapter=adapter,
        palette=config.palette,
    )
    engine = engine_registry.get_engine(job.engine)
    progress = _Progress(job, owner, job.steps)
    started = time.monotonic()
    candidates = engine.generate(request, progress=progress)
    engine_seconds = time.monotonic() - started
    progress(job.steps, job.steps)  # lease check before scoring/storing

    scored = packs.score_candidates(
        candidates,
        text=job.prompt,
        reference_names=config.reference_images,
        brand_weight=config.brand_weight,
    )
    stored = packs.store_candidates(job, scored)
    _finalize(job.pk, owner, stored, engine_seconds, model_hash=_rendered_with(job))


def _rendered_with(job: GenerationJob) -> str | None:
    """The hash of the weights that actually rendered `job` (published for web processes)."""
    if job.engine != "diffusers":
        return None
    return model_hashes.compute_and_publish(settings.AVATARSAAS_SD_MODEL)


def _finalize(
    job_id,
    owner: str,
    stored: list[packs.StoredCandidate],
    engine_seconds: float,
    *,
    model_hash: str | None = None,
) -> None:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.RUNNING or job.lease_owner != owner:
            raise LeaseLost(f"job {job_id} was taken over before it finished")
        if model_hash is not None and model_hash != job.model_hash:
            # Submitted without a known hash, or the model changed since: key the result cache
            # by the weights that really made these pixels.
            job.model_hash = model_hash
            job.cache_key = cache_key_for(job, ())
            job.save(update_fields=["model_hash", "cache_key"])
        images = packs.create_image_rows(job, stored)
        best = next((img for img in images if img.selected), None)
        if best is not None:
            # Before "succeeded": a client that sees the job done must find the winner's pack.
            packs.ensure_pack(best, circle=job.circle)
        job_state.transition(job, JobStatus.SUCCEEDED, progress=100, engine_seconds=engine_seconds)
        credits.settle_credits(tenant=job.tenant, reference=f"job:{job.pk}", actor=SYSTEM)
    _after_terminal(job)


def fail_job(job_id, *, code: str, message: str, owner: str | None = None) -> GenerationJob | None:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().get(pk=job_id)
        if job.is_terminal or (owner is not None and job.lease_owner != owner):
            return None
        job_state.transition(
            job, JobStatus.FAILED, failure_code=code, failure_message=message[:2000]
        )
        credits.release_credits(tenant=job.tenant, reference=f"job:{job.pk}", actor=SYSTEM)
    _after_terminal(job)
    return job


def _retry_or_fail(job_id, owner: str, message: str) -> None:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.RUNNING or job.lease_owner != owner:
            return
        if job.attempts < job.max_attempts:
            job_state.transition(
                job,
                JobStatus.QUEUED,
                lease_owner="",
                lease_expires_at=None,
                failure_message=message[:2000],
            )
            transaction.on_commit(lambda: enqueue_job(job.pk))
            return
    fail_job(
        job_id,
        code="internal_error",
        message="Rendering failed repeatedly; support has the details.",
        owner=owner,
    )


def _after_terminal(job: GenerationJob) -> None:
    webhooks.emit_job_event(job)
    queue_wait = (job.started_at - job.queued_at).total_seconds() if job.started_at else 0.0
    run_s = (job.finished_at - job.started_at).total_seconds() if job.started_at else 0.0
    observe.observe_job_finished(
        status=job.status, queue_wait_s=queue_wait, run_s=run_s, engine_s=job.engine_seconds or 0.0
    )


def sweep(now: datetime | None = None, *, stale_nudge_after: int = 120) -> dict[str, int]:
    """Repair what dead workers and lost messages leave behind. Safe to run anywhere, often.

    - running jobs whose lease expired: re-queued (attempt < max) or failed, credits released;
    - queued jobs with no recent nudge: nudged again (the broker may have lost the message).
    """
    now = now or timezone.now()
    requeued = failed = nudged = 0
    expired = list(
        GenerationJob.objects.filter(
            status=JobStatus.RUNNING, lease_expires_at__lt=now
        ).values_list("pk", flat=True)[:500]
    )
    for job_id in expired:
        outcome = _expire_lease(job_id, now)
        requeued += outcome == "requeued"
        failed += outcome == "failed"
    stale = GenerationJob.objects.filter(
        status=JobStatus.QUEUED, last_enqueued_at__lt=now - timedelta(seconds=stale_nudge_after)
    ) | GenerationJob.objects.filter(
        status=JobStatus.QUEUED,
        last_enqueued_at__isnull=True,
        queued_at__lt=now - timedelta(seconds=stale_nudge_after),
    )
    for job_id in stale.values_list("pk", flat=True)[:500]:
        enqueue_job(job_id)
        nudged += 1
    return {"requeued": requeued, "failed": failed, "nudged": nudged}


def _expire_lease(job_id, now: datetime) -> str:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().get(pk=job_id)
        if (
            job.status != JobStatus.RUNNING
            or not job.lease_expires_at
            or job.lease_expires_at >= now
        ):
            return "skipped"
        if job.attempts < job.max_attempts:
            job_state.transition(
                job,
                JobStatus.QUEUED,
                lease_owner="",
                lease_expires_at=None,
                failure_message=f"Worker lost on attempt {job.attempts}; retrying.",
            )
            transaction.on_commit(lambda: enqueue_job(job.pk))
            return "requeued"
    fail_job(
        job_id,
        code="worker_lost",
        message=f"The worker stopped responding {job.attempts} times; credits were released.",
    )
    return "failed"


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

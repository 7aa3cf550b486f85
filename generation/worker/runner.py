"""Running claimed jobs on a worker: render, score, store, settle exactly once; retry, sweep.

A worker claims a job in `claim` (queued -> running with a lease) and keeps renewing the lease
while it renders. Results are committed only if the worker still owns the lease, so a job
whose worker was presumed dead and whose retry already finished is never succeeded twice.

A job runs in two stages: render (engine, re-rolls) on the render loop, then pack (CLIP scoring,
encoding, uploads; `packing`) and finalize (rows, "succeeded", credits settled; webhooks after
commit). With packing overlap on, a queue message renders jobs back to back and the second
stage runs in `pipeline.PackingStage` meanwhile; a job is "succeeded" only once its pack is
stored, and its lease is renewed between packing steps.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core import observe
from core.logging_json import job_log_context
from generation.engines import registry as engine_registry
from generation.engines.base import EngineError
from generation.jobs import state as job_state
from generation.jobs.cache import cache_key_for
from generation.jobs.dispatch import enqueue_job
from generation.jobs.render_config import render_config_for
from generation.models import GenerationJob, JobMode, JobStatus
from generation.quality import rerolls
from generation.statepacks import render_job as statepack_job
from generation.webhooks import delivery as webhooks
from generation.worker import job_counts, model_hashes, packing, packs, pipeline, ranking
from generation.worker.claim import LeaseLost, claim_next_job, lease_seconds, worker_id
from generation.worker.render_inputs import render_request_for
from generation.worker.warmup import warm_up
from tenants import credits, job_cap
from tenants.actors import Actor

logger = logging.getLogger(__name__)
SYSTEM = Actor.system()


def process_one(owner: str | None = None) -> GenerationJob | None:
    """Claim and run one job if there is one this worker may take; packed inline, so the job
    is terminal when this returns."""
    owner = owner or worker_id()
    # Load and warm the pipeline before holding a lease: a first job must not pay minutes of
    # loading (or compiling) inside its lease, and a broken model fails the job it then claims.
    warm_up()
    job = claim_next_job(owner)
    if job is None:
        return None
    run_claimed_job(job, owner)
    _nudge_if_work_remains()
    return job


def process_queue(owner: str | None = None) -> int:
    """What one queue message does: with packing overlap on (AVATARSAAS_PACKING_OVERLAP), run
    jobs until none is claimable or AVATARSAAS_WORKER_BATCH_SECONDS have passed, each packed
    while the next renders; with it off, one job, packed inline. Returns the jobs run."""
    if not packing_overlap():
        return int(process_one(owner) is not None)
    return process_available(owner)


def packing_overlap() -> bool:
    return bool(getattr(settings, "AVATARSAAS_PACKING_OVERLAP", True))


def process_available(owner: str | None = None, *, budget_s: float | None = None) -> int:
    """Claim and render jobs one after another, handing each to a bounded packing stage
    (scoring, encoding, uploads, settling) that runs while the next job renders. Claims keep
    their fairness and caps: a job still packing is `running` and counts against its tenant."""
    owner = owner or worker_id()
    if budget_s is None:
        budget_s = float(getattr(settings, "AVATARSAAS_WORKER_BATCH_SECONDS", 300))
    deadline = time.monotonic() + budget_s
    depth = int(getattr(settings, "AVATARSAAS_PACKING_QUEUE", 1))
    count = 0
    with pipeline.PackingStage(depth=depth) as stage:
        while True:
            job = claim_next_job(owner)
            if job is None:
                break
            count += 1
            run_claimed_job(job, owner, stage=stage)
            if time.monotonic() >= deadline:
                break
    _nudge_if_work_remains()
    return count


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


def run_claimed_job(
    job: GenerationJob, owner: str, *, stage: pipeline.PackingStage | None = None
) -> None:
    """Render `job`, then pack and settle it: inline, or in `stage` while the caller goes on."""
    with _log_context(job_id=str(job.pk), tenant_id=str(job.tenant_id)):
        rendered = _guarded(job.pk, owner, lambda: _render(job, owner), stage="render")
    if rendered is None:
        return
    if stage is None:
        _pack_and_finalize(rendered)
    else:
        stage.submit(_pack_and_finalize, rendered)


def _guarded(job_id, owner: str, work, *, stage: str):
    """Run one stage of a job; its failure settles the job (and returns None)."""
    try:
        return work()
    except LeaseLost:
        logger.info("Job %s: lease lost (canceled or re-queued); discarding results", job_id)
    except EngineError as exc:
        fail_job(job_id, code=exc.code, message=str(exc), owner=owner)
    except DatabaseError as exc:
        logger.exception("Job %s: database error while %s", job_id, _STAGE_VERBS[stage])
        _reconnect_if_broken()
        _retry_or_fail(job_id, owner, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - unexpected: log with id, retry or fail
        logger.exception("Job %s crashed while %s", job_id, _STAGE_VERBS[stage])
        if stage == "pack":
            # Encoding or storing failed: re-rendering would not help, and the render was
            # sound. The job fails on its own; credits are released; the stage goes on.
            fail_job(
                job_id,
                code="packing_failed",
                message=f"Storing the results failed ({type(exc).__name__}); nothing was "
                "charged. Submitting the job again is safe.",
                owner=owner,
            )
        else:
            _retry_or_fail(job_id, owner, f"{type(exc).__name__}: {exc}")
    return None


_STAGE_VERBS = {"render": "rendering", "pack": "packing", "finalize": "finalizing"}


def _pack_and_finalize(rendered: packing.RenderedJob) -> None:
    job, owner = rendered.job, rendered.owner
    with _log_context(job_id=str(job.pk), tenant_id=str(job.tenant_id)):
        packed = _guarded(
            job.pk,
            owner,
            lambda: packing.pack_rendered(rendered, renew=lambda: renew_lease(job.pk, owner)),
            stage="pack",
        )
        if packed is None:
            return
        _guarded(
            job.pk,
            owner,
            lambda: _finalize(
                job.pk,
                owner,
                packed.stored,
                rendered.engine_seconds,
                model_hash=_rendered_with(job),
                quality=packed.quality,
                best=packed.best,
                pack=packed.pack,
            ),
            stage="finalize",
        )


def renew_lease(job_id, owner: str) -> None:
    updated = GenerationJob.objects.filter(
        pk=job_id, status=JobStatus.RUNNING, lease_owner=owner
    ).update(lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds()))
    if not updated:
        raise LeaseLost(f"job {job_id} is no longer ours")


def _reconnect_if_broken() -> None:
    """A dropped connection (failover, idle kill, pg_terminate_backend) would also fail the
    retry bookkeeping, leaving the job "running" until its lease ran out and the sweeper came
    by; drop it so the retry below opens a fresh one and re-queues the job at once."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _render(job: GenerationJob, owner: str) -> packing.RenderedJob | None:
    """The rendered job for the packing stage; None for a state pack, which stores and settles
    its own files here."""
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
    request = render_request_for(job, config, adapter)
    engine = engine_registry.get_engine(job.engine)
    progress = _Progress(job, owner, job.steps)
    if job.mode == JobMode.STATEPACK:
        # One image per expression plus the pack's files: generation.statepacks.render_job.
        pack = statepack_job.render(job, engine, request, config, progress)
        progress(job.steps, job.steps)  # lease check before the results are committed
        _finalize(
            job.pk,
            owner,
            pack.stored,
            pack.engine_seconds,
            model_hash=_rendered_with(job),
            quality=pack.report,
        )
        return
    started = time.monotonic()
    # Technical rejects are re-rolled within the job's budget (a re-render replays as is).
    checked = rerolls.render_checked(
        engine, request, progress=progress, checks=not job.rerender_of_id
    )
    engine_seconds = time.monotonic() - started
    progress(job.steps, job.steps)  # lease check before scoring/storing
    checked.raise_if_empty()
    return packing.RenderedJob(
        job=job,
        owner=owner,
        checked=checked,
        engine_seconds=engine_seconds,
        plan=ranking.plan_ranking(job, config),
        rerender_index=packs.rerender_index(job),
    )


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
    quality: dict | None = None,
    best: int | None = None,
    pack: list[dict] | None = None,
) -> None:
    """Write the stored results and settle, only if this worker still holds the lease: rows,
    "succeeded", credits settled in one transaction; webhooks and metrics after it."""
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
        images = packs.create_image_rows(job, stored, quality=quality, best=best)
        winner = next((img for img in images if img.selected), None)
        if winner is not None:
            # Before "succeeded": a client that sees the job done must find the winner's pack
            # (encoded and stored by the packing stage; re-encoded here only when not given).
            if pack is None:
                packs.ensure_pack(winner, circle=job.circle)
            else:
                packs.create_file_rows(winner, pack)
        job_state.transition_job(
            job, JobStatus.SUCCEEDED, progress=100, engine_seconds=engine_seconds
        )
        credits.settle_credits(tenant=job.tenant, reference=f"job:{job.pk}", actor=SYSTEM)
    _after_terminal(job)


def fail_job(job_id, *, code: str, message: str, owner: str | None = None) -> GenerationJob | None:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().get(pk=job_id)
        if job.is_terminal or (owner is not None and job.lease_owner != owner):
            return None
        job_state.transition_job(
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
            job_state.transition_job(
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


def sweep_stale_jobs(
    now: datetime | None = None, *, stale_nudge_after: int = 120
) -> dict[str, int]:
    """Repair what dead workers and lost messages leave behind. Safe to run anywhere, often.

    - running jobs whose lease expired: re-queued (attempt < max) or failed, credits released;
    - queued jobs with no recent nudge: nudged again (the broker may have lost the message);
    - tenants whose scheduling counts drifted from their jobs or plan: recounted.
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
    repaired = job_counts.reconcile() + job_cap.repair(connection)
    return {"requeued": requeued, "failed": failed, "nudged": nudged, "recounted": repaired}


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
            job_state.transition_job(
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

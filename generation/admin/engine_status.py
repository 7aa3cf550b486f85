"""What the operator's "Engine & models" admin page shows: configured models, whether they are
real weights, the queue, recent throughput per engine and the brand adapters' base models.

Read from settings, the files this process can see, the shared cache (the model hash GPU
workers publish) and the database. Web pods usually do not mount the model volume, so "not on
this host" is reported as such and is not an error. Nothing here imports torch.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from core.model_settings import diffusion_configured
from generation.models import GenerationJob, JobStatus
from generation.selectors import jobs_finished_since
from generation.worker import model_hashes
from styles.models import FineTune, FineTuneState, LoraAdapter

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
# Percentiles come from the newest rows only, so the page stays fast on a busy fleet.
SAMPLE_LIMIT = 5000


@dataclass
class ModelFiles:
    path: str
    configured: bool
    on_this_host: bool = False
    file_count: int = 0
    size_bytes: int = 0


@dataclass
class EngineWindow:
    engine: str
    succeeded: int = 0
    failed: int = 0
    canceled: int = 0
    cache_hits: int = 0
    engine_p50_s: float | None = None
    engine_p95_s: float | None = None


@dataclass
class Snapshot:
    diffusion: ModelFiles
    clip: ModelFiles
    clip_arch: str
    device: str
    safety_checker: str
    weights_are_real: bool
    published_model_hash: str
    queued: int
    running: int
    oldest_queued_age_s: float | None
    workers_with_leases: list[str]
    broker_depth: dict[str, int | None]
    engines: list[EngineWindow]
    failure_codes: list[tuple[str, int]]
    finetunes_by_state: dict[str, int]
    adapters_ready: int
    adapters_on_other_base: int
    notes: list[str] = field(default_factory=list)

    @property
    def demo_mode(self) -> bool:
        return not self.weights_are_real


def _files(path: str) -> ModelFiles:
    if not path:
        return ModelFiles(path="", configured=False)
    root = Path(path).expanduser()
    info = ModelFiles(path=path, configured=True, on_this_host=root.exists())
    if root.is_file():
        info.file_count, info.size_bytes = 1, root.stat().st_size
    elif root.is_dir():
        for item in root.rglob("*"):
            if item.is_file():
                info.file_count += 1
                info.size_bytes += item.stat().st_size
    return info


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _engine_windows(since: datetime) -> list[EngineWindow]:
    finished = jobs_finished_since(since)
    rows = finished.values("engine").annotate(
        succeeded=Count("pk", filter=Q(status=JobStatus.SUCCEEDED)),
        failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
        canceled=Count("pk", filter=Q(status=JobStatus.CANCELED)),
        cache_hits=Count("pk", filter=Q(cache_hit=True)),
    )
    windows = []
    for row in rows.order_by("engine"):
        times = list(
            finished.filter(
                engine=row["engine"],
                status=JobStatus.SUCCEEDED,
                cache_hit=False,
                engine_seconds__isnull=False,
            )
            .order_by("-finished_at")
            .values_list("engine_seconds", flat=True)[:SAMPLE_LIMIT]
        )
        windows.append(
            EngineWindow(
                engine=row["engine"],
                succeeded=row["succeeded"],
                failed=row["failed"],
                canceled=row["canceled"],
                cache_hits=row["cache_hits"],
                engine_p50_s=_percentile(times, 50),
                engine_p95_s=_percentile(times, 95),
            )
        )
    return windows


def _broker_depth() -> dict[str, int | None]:
    from django_q.brokers import get_broker

    depth: dict[str, int | None] = {}
    for queue in ("default", "gpu"):
        try:
            depth[queue] = get_broker(queue).queue_size()
        except Exception:  # noqa: BLE001 - a broker outage is shown, not raised
            logger.warning("engine status: broker %s unavailable", queue)
            depth[queue] = None
    return depth


def _adapters(model_hash: str) -> tuple[int, int]:
    ready = LoraAdapter.objects.filter(status=LoraAdapter.Status.READY)
    other = (
        ready.exclude(base_model_hash="").exclude(base_model_hash=model_hash).count()
        if model_hash
        else 0
    )
    return ready.count(), other


def _finetunes_by_state() -> dict[str, int]:
    counts = dict.fromkeys(FineTuneState.values, 0)
    for row in FineTune.objects.values("state").annotate(n=Count("pk")).order_by():
        counts[row["state"]] = row["n"]
    return counts


def snapshot(now: datetime | None = None) -> Snapshot:
    now = now or timezone.now()
    since = now - WINDOW
    diffusion = _files(settings.AVATARSAAS_SD_MODEL)
    clip = _files(settings.AVATARSAAS_CLIP_CHECKPOINT)
    published = model_hashes.published(settings.AVATARSAAS_SD_MODEL) if diffusion.configured else ""
    active = GenerationJob.objects.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
    counts = {row["status"]: row["n"] for row in active.values("status").annotate(n=Count("pk"))}
    oldest = (
        active.filter(status=JobStatus.QUEUED)
        .order_by("queued_at")
        .values_list("queued_at", flat=True)
        .first()
    )
    leases = sorted(
        set(
            GenerationJob.objects.filter(status=JobStatus.RUNNING, lease_expires_at__gt=now)
            .exclude(lease_owner="")
            .values_list("lease_owner", flat=True)
        )
    )
    failures = list(
        jobs_finished_since(since)
        .filter(status=JobStatus.FAILED)
        .values("failure_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "failure_code")
        .values_list("failure_code", "n")[:10]
    )
    ready, other_base = _adapters(published)
    snap = Snapshot(
        diffusion=diffusion,
        clip=clip,
        clip_arch=settings.AVATARSAAS_CLIP_ARCH,
        device=settings.AVATARSAAS_DEVICE,
        safety_checker=settings.AVATARSAAS_SAFETY_CHECKER,
        weights_are_real=bool(settings.AVATARSAAS_WEIGHTS_ARE_REAL),
        published_model_hash=published,
        queued=counts.get(JobStatus.QUEUED, 0),
        running=counts.get(JobStatus.RUNNING, 0),
        oldest_queued_age_s=(now - oldest).total_seconds() if oldest else None,
        workers_with_leases=leases,
        broker_depth=_broker_depth(),
        engines=_engine_windows(since),
        failure_codes=[(code or "(none)", n) for code, n in failures],
        finetunes_by_state=_finetunes_by_state(),
        adapters_ready=ready,
        adapters_on_other_base=other_base,
    )
    snap.notes = _notes(snap)
    return snap


def _notes(snap: Snapshot) -> list[str]:
    notes = []
    if not snap.diffusion.configured:
        notes.append(
            "No diffusion model is configured (AVATARSAAS_SD_MODEL): every job uses the "
            "weight-free vector engine."
        )
    elif not snap.published_model_hash:
        notes.append(
            "No GPU worker has published the diffusion model's hash yet (they do when they "
            "first load it); until then submissions skip the result cache."
        )
    if not snap.clip.configured:
        notes.append("No CLIP checkpoint is configured: candidates are not scored.")
    if snap.adapters_on_other_base:
        notes.append(
            f"{snap.adapters_on_other_base} ready brand adapter(s) were trained on a different "
            "base model than the one workers run now; retrain them."
        )
    if diffusion_configured() and not snap.diffusion.on_this_host:
        notes.append(
            "The diffusion model is not on this host: normal for web pods, where only GPU "
            "workers mount the model volume."
        )
    return notes

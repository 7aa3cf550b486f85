"""Reused reads for the dashboard: recent jobs, the gallery with its filters, an image's lineage,
and whether the configured weights make scores meaningful."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from generation.models import GeneratedImage, GenerationJob, ImageFile, JobStatus
from generation.worker.packs import PACK_SIZES
from tenants.models import Tenant


def _thumbnails() -> Prefetch:
    return Prefetch("files", queryset=ImageFile.objects.order_by("size", "shape", "format"))


def recent_jobs(tenant: Tenant, limit: int = 6) -> list[GenerationJob]:
    winners = Prefetch(
        "images",
        queryset=GeneratedImage.objects.filter(selected=True).prefetch_related(_thumbnails()),
        to_attr="winners",
    )
    jobs = list(
        GenerationJob.objects.for_tenant(tenant)
        .select_related("requested_by_user", "preset")
        .prefetch_related(winners)
        .order_by("-created_at")[:limit]
    )
    for job in jobs:
        job.thumb = thumbnail_of(job.winners[0], want=128) if job.winners else None
    return jobs


@dataclass(frozen=True)
class UsageSummary:
    jobs_30d: int
    images_total: int
    credits_spent_30d: int
    active_jobs: int


def usage_summary(tenant: Tenant) -> UsageSummary:
    since = timezone.now() - timedelta(days=30)
    jobs = GenerationJob.objects.for_tenant(tenant)
    recent = jobs.filter(created_at__gte=since)
    spent = recent.filter(status=JobStatus.SUCCEEDED).aggregate(s=Sum("cost_credits"))["s"]
    return UsageSummary(
        jobs_30d=recent.count(),
        images_total=GeneratedImage.objects.for_tenant(tenant).count(),
        credits_spent_30d=spent or 0,
        active_jobs=jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count(),
    )


@dataclass(frozen=True)
class GalleryFilters:
    preset: str = ""
    adapter: str = ""
    since: date | None = None
    until: date | None = None
    min_score: float | None = None
    picked_only: bool = False


def gallery_images(tenant: Tenant, filters: GalleryFilters) -> QuerySet[GeneratedImage]:
    qs = (
        GeneratedImage.objects.for_tenant(tenant)
        .select_related("job", "job__preset")
        .prefetch_related(_thumbnails())
        .order_by("-created_at", "index")
    )
    if filters.preset == "none":
        qs = qs.filter(job__preset__isnull=True)
    elif filters.preset:
        qs = qs.filter(job__preset_id=filters.preset)
    if filters.adapter == "none":
        qs = qs.filter(adapter_version_id="")
    elif filters.adapter:
        qs = qs.filter(adapter_version_id=filters.adapter)
    if filters.since:
        qs = qs.filter(created_at__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__date__lte=filters.until)
    if filters.min_score is not None:
        qs = qs.filter(final_score__gte=filters.min_score)
    if filters.picked_only:
        qs = qs.filter(selected=True)
    return qs


def adapter_versions_in_use(tenant: Tenant) -> list[str]:
    return list(
        GeneratedImage.objects.for_tenant(tenant)
        .exclude(adapter_version_id="")
        .order_by("adapter_version_id")
        .values_list("adapter_version_id", flat=True)
        .distinct()
    )


def image_with_lineage(tenant: Tenant, image_id) -> GeneratedImage:
    """The image plus everything its lineage panel shows (raises DoesNotExist/ValueError)."""
    return (
        GeneratedImage.objects.for_tenant(tenant)
        .select_related("job", "job__preset", "job__requested_by_user", "job__requested_by_key")
        .prefetch_related(_thumbnails())
        .get(pk=image_id)
    )


def made_by(job: GenerationJob) -> str:
    if job.requested_by_user_id:
        return job.requested_by_user.email or job.requested_by_user.get_username()
    if job.requested_by_key_id:
        return f"API key “{job.requested_by_key.name}”"
    return "system"


def thumbnail_of(image: GeneratedImage, want: int = 256) -> ImageFile | None:
    """The square rendition closest to `want` px (small jobs have no 256 px file)."""
    files = [f for f in image.files.all() if f.shape == "square"] or list(image.files.all())
    if not files:
        return None
    return min(files, key=lambda f: (abs(f.size - want), f.format != "webp"))


def pack_sizes_for(job: GenerationJob) -> list[int]:
    return [s for s in PACK_SIZES if s <= job.size] or [job.size]


def jobs_finished_since(since) -> QuerySet[GenerationJob]:
    """Every job (all tenants) that ended at or after `since`: for operators' views only.

    Read through the `job_finished_at` index, so the cost follows the window, not the history.
    (No bound on queued_at: a job can wait in a backlog, or be retried, for longer than any
    job timeout before it finishes, and it still finished in the window.)"""
    return GenerationJob.objects.filter(
        status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED),
        finished_at__gte=since,
    )

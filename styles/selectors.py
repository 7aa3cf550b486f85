"""Reused reads: scoped lists for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from core.model_settings import weights_status
from styles.models import (
    AdapterImport,
    DatasetImage,
    DuplicatePair,
    FineTune,
    LoraAdapter,
    LoraDataset,
    StylePreset,
)
from tenants.models import Tenant


def presets_for(tenant: Tenant) -> QuerySet[StylePreset]:
    return StylePreset.objects.available_to(tenant).select_related("active_adapter")


def datasets_for(tenant: Tenant) -> QuerySet[LoraDataset]:
    return (
        LoraDataset.objects.for_tenant(tenant)
        .annotate(
            accepted_count=Count("images", filter=Q(images__status="accepted")),
            rejected_count=Count("images", filter=Q(images__status="rejected")),
        )
        .order_by("-created_at", "-pk")
    )  # aggregates drop Meta.ordering; pages need an order


def open_duplicates(tenant: Tenant, dataset: LoraDataset) -> QuerySet[DuplicatePair]:
    """Near-duplicate warnings nobody has resolved yet, oldest first, with both images."""
    return (
        DuplicatePair.objects.for_tenant(tenant)
        .filter(dataset=dataset, kept_at__isnull=True)
        .select_related("image", "other")
        .defer(
            "image__thumbnail", "other__thumbnail", "image__clip_embedding", "other__clip_embedding"
        )
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class ClipCheck:
    status: str  # "not_run", "pending" or "done"
    checked: int
    pending: int
    message: str


def clip_check(dataset: LoraDataset) -> ClipCheck:
    """Whether the CLIP pass of the near-duplicate check ran on `dataset`, for the page and
    the API. Random-weight CLIP counts as not run: its cosines mean nothing."""
    if not weights_status().scores_meaningful:
        message = gettext(
            "The CLIP check was not run: no real CLIP weights are configured on this "
            "server, so image hashes alone found these near-duplicates."
        )
        return ClipCheck("not_run", 0, 0, message)
    counts = DatasetImage.objects.filter(
        dataset=dataset, status=DatasetImage.Status.ACCEPTED
    ).aggregate(checked=Count("pk", filter=~Q(clip_model="")), total=Count("pk"))
    checked, pending = counts["checked"], counts["total"] - counts["checked"]
    if pending:
        message = gettext(
            "CLIP check: %(checked)d images compared, %(pending)d waiting for a worker."
        ) % {"checked": checked, "pending": pending}
        return ClipCheck("pending", checked, pending, message)
    message = gettext(
        "CLIP check: all %(checked)d images compared by image hashes and CLIP embeddings."
    ) % {"checked": checked}
    return ClipCheck("done", checked, 0, message)


def finetunes_for(tenant: Tenant) -> QuerySet[FineTune]:
    return FineTune.objects.for_tenant(tenant).select_related("dataset")


def adapters_for(tenant: Tenant) -> QuerySet[LoraAdapter]:
    return LoraAdapter.objects.for_tenant(tenant).select_related("finetune")


def adapter_imports_for(tenant: Tenant) -> QuerySet[AdapterImport]:
    return AdapterImport.objects.for_tenant(tenant).select_related("adapter")


def ready_adapters_for(tenant: Tenant) -> QuerySet[LoraAdapter]:
    return adapters_for(tenant).filter(status=LoraAdapter.Status.READY)

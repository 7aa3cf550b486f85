"""Reused reads: scoped lists for pages and the API."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from styles.models import (
    AdapterImport,
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
        .defer("image__thumbnail", "other__thumbnail")
        .order_by("created_at", "pk")
    )


def finetunes_for(tenant: Tenant) -> QuerySet[FineTune]:
    return FineTune.objects.for_tenant(tenant).select_related("dataset")


def adapters_for(tenant: Tenant) -> QuerySet[LoraAdapter]:
    return LoraAdapter.objects.for_tenant(tenant).select_related("finetune")


def adapter_imports_for(tenant: Tenant) -> QuerySet[AdapterImport]:
    return AdapterImport.objects.for_tenant(tenant).select_related("adapter")


def ready_adapters_for(tenant: Tenant) -> QuerySet[LoraAdapter]:
    return adapters_for(tenant).filter(status=LoraAdapter.Status.READY)

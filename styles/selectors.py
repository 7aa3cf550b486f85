"""Reused reads: scoped lists for pages and the API."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from styles.models import AdapterImport, FineTune, LoraAdapter, LoraDataset, StylePreset
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


def finetunes_for(tenant: Tenant) -> QuerySet[FineTune]:
    return FineTune.objects.for_tenant(tenant).select_related("dataset")


def adapters_for(tenant: Tenant) -> QuerySet[LoraAdapter]:
    return LoraAdapter.objects.for_tenant(tenant).select_related("finetune")


def adapter_imports_for(tenant: Tenant) -> QuerySet[AdapterImport]:
    return AdapterImport.objects.for_tenant(tenant).select_related("adapter")


def ready_adapters_for(tenant: Tenant) -> QuerySet[LoraAdapter]:
    return adapters_for(tenant).filter(status=LoraAdapter.Status.READY)

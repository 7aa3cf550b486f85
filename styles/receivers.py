"""Styles' answers to events announced by the tenants app (connected in apps.py)."""

from __future__ import annotations

from styles.models import FineTune, FineTuneState, StylePreset
from styles.services import brand_kit_cache, finetunes


def cancel_finetunes_of_suspended_workspace(sender, *, tenant, actor, **kwargs) -> dict:
    finetune_ids = list(
        FineTune.objects.for_tenant(tenant)
        .exclude(state__in=[*finetunes.TERMINAL, FineTuneState.DRAFT])
        .values_list("pk", flat=True)
    )
    for finetune_id in finetune_ids:
        finetunes.cancel_finetune(tenant=tenant, actor=actor, finetune_id=finetune_id)
    return {"finetunes_canceled": len(finetune_ids)}


def release_protected_adapters(sender, *, tenant, **kwargs) -> None:
    # A preset's active adapter is protected from deletion on its own; the purge deletes both.
    StylePreset.objects.filter(tenant=tenant).update(active_adapter=None)


def forget_brand_kit(sender, instance, **kwargs) -> None:
    brand_kit_cache.forget(instance.tenant_id)

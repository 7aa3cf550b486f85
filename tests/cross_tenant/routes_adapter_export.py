"""Adapter downloads (diffusers / kohya safetensors): an adapter whose exports are stored."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from styles.models import LoraAdapter
from tests.cross_tenant.registry import Route, register


def _exported_adapter(tenant):
    name = default_storage.save(
        f"tenants/{tenant.pk}/adapters/export.safetensors", ContentFile(b"weights")
    )
    adapter = LoraAdapter.objects.create(
        tenant=tenant,
        name=f"E{LoraAdapter.objects.count()}",
        version=1,
        sha256="0" * 64,
        weights=name,
        exports={"diffusers": name, "kohya": name},
    )
    return adapter


def adapter_api(tenant):
    return {"adapter_id": _exported_adapter(tenant).pk}


def adapter_web(tenant):
    return {"adapter_id": _exported_adapter(tenant).pk, "fmt": "kohya"}


register(Route("api_adapter_export", adapter_api, kind="api", ok_statuses=(200,)))
register(Route("adapter_export", adapter_web, ok_statuses=(200,)))

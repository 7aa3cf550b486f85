"""LoRA imports: an uploaded file's row, and the staff-only preview images."""

from styles.models import AdapterImport
from tests.cross_tenant.registry import Route, exempt, register


def _import(tenant):
    item = AdapterImport.objects.create(
        tenant=tenant, name="Imported", file="x.safetensors", sha256="0" * 64
    )
    return {"import_id": item.pk}


register(Route("api_adapter_import_detail", _import, kind="api", ok_statuses=(200,)))
exempt(
    "admin_import_preview",
    "staff-only admin view; see test_import_preview_images_are_staff_only",
)

"""Dashboard download of an adapter's weights (diffusers or kohya safetensors)."""

from django.shortcuts import redirect

from core.errors import DomainError
from generation.api.adapter_export import export_response
from generation.training.adapter_exports import get_export
from tenants.roles import Perm
from tenants.web import flash_domain_error, tenant_view


@tenant_view(Perm.MANAGE_STYLES)
def adapter_export(request, adapter_id, fmt):
    try:
        export = get_export(tenant=request.tenant, adapter_id=adapter_id, fmt=fmt)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
        return redirect("finetune_list")
    return export_response(export)

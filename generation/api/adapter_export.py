"""GET /api/v1/adapters/{id}/export/?format=diffusers|kohya: an adapter's weights to take away."""

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseRedirect
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.views import APIView

from core.api_schema import domain_errors
from core.errors import NotFound
from core.storage import signed_url_or_none
from generation.training.adapter_exports import CONTENT_TYPE, AdapterExport, get_export
from generation.training.export import FORMATS
from tenants.permissions import HasScope


def export_response(export: AdapterExport):
    """The stored file as an attachment, or a redirect to a short-lived signed URL on S3."""
    signed = signed_url_or_none(export.name)
    if signed:
        return HttpResponseRedirect(signed)
    try:
        handle = default_storage.open(export.name, "rb")
    except FileNotFoundError as exc:
        raise NotFound(gettext("This export is no longer in storage.")) from exc
    response = FileResponse(
        handle, content_type=CONTENT_TYPE, as_attachment=True, filename=export.filename
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


class FileFormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the file format here; DRF would read it as a renderer name and answer
    404. Success is a file; errors use the first (JSON) renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AdapterExportView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "styles:read"}
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        summary="Download an adapter",
        description="The LoRA weights as safetensors: `diffusers` (load with diffusers' "
        "`load_lora_weights`) or `kohya` (AUTOMATIC1111, ComfyUI, kohya tools). The header "
        "holds the trigger word, base model hash and training settings (`avatarsaas.*`). "
        "409 `export_unavailable` for adapters published before exports existed.",
        parameters=[
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=list(FORMATS), description="Default diffusers."
            )
        ],
        responses={(200, CONTENT_TYPE): OpenApiTypes.BINARY, 302: None},
        extensions=domain_errors(404, 409),
    )
    def get(self, request, adapter_id):
        export = get_export(
            tenant=request.tenant, adapter_id=adapter_id, fmt=request.query_params.get("format")
        )
        return export_response(export)

"""API views for a preset's brand reference images: list, add, get, download, remove."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import domain_errors
from styles.api import examples as ex
from styles.api.scopes import READ, WRITE
from styles.api.serializers import ReferenceImageSerializer, ReferenceUploadSerializer
from styles.file_responses import serve_signed_or_stored
from styles.services import presets
from tenants.actors import Actor
from tenants.permissions import HasScope


class PresetReferencesView(APIView):
    """A preset's brand reference images: candidates get a brand score against them."""

    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "POST": WRITE}
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="List a preset's reference images",
        description="At most a handful per preset, so not paginated. Built-ins have none.",
        responses=ReferenceImageSerializer(many=True),
        examples=[ex.REFERENCE_LIST],
    )
    def get(self, request, preset_id):
        refs = presets.references_of(tenant=request.tenant, preset_id=preset_id)
        context = {"request": request}
        return Response(ReferenceImageSerializer(refs, many=True, context=context).data)

    @extend_schema(
        summary="Add a reference image to a preset",
        description="Multipart field `file`. Candidates rendered through this preset then get "
        f"a brand-consistency score (CLIP image-image similarity to the references), used in "
        f"best-of-N. At most {presets.MAX_REFERENCES} per preset; built-ins are read-only. API "
        "keys cannot change the references of a locked preset (403 `brand_lock`) or of a "
        "preset they are restricted to (403 `key_restricted`).",
        request={"multipart/form-data": ReferenceUploadSerializer},
        responses={201: ReferenceImageSerializer},
        examples=[ex.REFERENCE_RESPONSE],
        extensions=domain_errors(403),
    )
    def post(self, request, preset_id):
        presets.get_own_preset(tenant=request.tenant, preset_id=preset_id)  # 404/403 first
        serializer = ReferenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        ref = presets.add_reference_image(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            preset_id=preset_id,
            upload=upload,
            original_name=upload.name or "",
        )
        body = ReferenceImageSerializer(ref, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ReferenceDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "DELETE": WRITE}

    @extend_schema(
        summary="Get a reference image",
        responses=ReferenceImageSerializer,
        examples=[ex.REFERENCE_RESPONSE],
    )
    def get(self, request, reference_id):
        ref = presets.get_reference(tenant=request.tenant, reference_id=reference_id)
        return Response(ReferenceImageSerializer(ref, context={"request": request}).data)

    @extend_schema(summary="Remove a reference image", responses={204: None})
    def delete(self, request, reference_id):
        presets.remove_reference_image(
            tenant=request.tenant, actor=Actor.from_request(request), reference_id=reference_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReferenceFileView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        summary="Download a reference image",
        description="The stored PNG, or a 302 to a short-lived signed URL when files live on S3.",
        responses={(200, "image/png"): OpenApiTypes.BINARY, 302: None},
    )
    def get(self, request, reference_id):
        ref = presets.get_reference(tenant=request.tenant, reference_id=reference_id)
        return serve_signed_or_stored(ref.file.name, missing=NotFound)

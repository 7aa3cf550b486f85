"""API views for a preset's ControlNet control images: list, add, get, edit, download, remove."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import domain_errors
from styles.api import examples as ex
from styles.api.scopes import READ, WRITE
from styles.api.serializers import (
    ControlImageSerializer,
    ControlImageUpdateSerializer,
    ControlImageUploadSerializer,
)
from styles.file_responses import serve_signed_or_stored
from styles.services import control_images, presets
from tenants.actors import Actor
from tenants.permissions import HasScope


class PresetControlImagesView(APIView):
    """A preset's control images: each steers its diffusion jobs through a ControlNet."""

    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "POST": WRITE}
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="List a preset's control images",
        description="At most a handful per preset, so not paginated. Built-ins have none.",
        responses=ControlImageSerializer(many=True),
        examples=[ex.CONTROL_IMAGE_LIST],
    )
    def get(self, request, preset_id):
        items = control_images.control_images_of(tenant=request.tenant, preset_id=preset_id)
        context = {"request": request}
        return Response(ControlImageSerializer(items, many=True, context=context).data)

    @extend_schema(
        summary="Add a control image to a preset",
        description="Multipart fields `file`, `control_type` (canny, lineart, scribble, "
        "silhouette or pose), `conditioning_scale` (0-2) and `preprocess`. Every diffusion job "
        "through the preset is then conditioned on the map derived from it at the job's size "
        "(needs the server's ControlNet for that type). At most "
        f"{control_images.MAX_CONTROL_IMAGES} per preset; built-ins are read-only.",
        request={"multipart/form-data": ControlImageUploadSerializer},
        responses={201: ControlImageSerializer},
        examples=[ex.CONTROL_IMAGE_RESPONSE],
        extensions=domain_errors(403),
    )
    def post(self, request, preset_id):
        presets.get_own_preset(tenant=request.tenant, preset_id=preset_id)  # 404/403 first
        serializer = ControlImageUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        control = control_images.add_control_image(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            preset_id=preset_id,
            upload=data["file"],
            control_type=data["control_type"],
            conditioning_scale=data["conditioning_scale"],
            preprocess=data["preprocess"],
            original_name=data["file"].name or "",
        )
        body = ControlImageSerializer(control, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ControlImageDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "PATCH": WRITE, "DELETE": WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Get a control image",
        responses=ControlImageSerializer,
        examples=[ex.CONTROL_IMAGE_RESPONSE],
    )
    def get(self, request, control_id):
        control = control_images.get_control_image(tenant=request.tenant, control_id=control_id)
        return Response(ControlImageSerializer(control, context={"request": request}).data)

    @extend_schema(
        summary="Edit a control image",
        description="Change how strongly it steers (`conditioning_scale`) or `preprocess`.",
        request=ControlImageUpdateSerializer,
        responses=ControlImageSerializer,
        examples=[ex.CONTROL_IMAGE_UPDATE, ex.CONTROL_IMAGE_RESPONSE],
    )
    def patch(self, request, control_id):
        serializer = ControlImageUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        control = control_images.update_control_image(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            control_id=control_id,
            **serializer.validated_data,
        )
        return Response(ControlImageSerializer(control, context={"request": request}).data)

    @extend_schema(summary="Remove a control image", responses={204: None})
    def delete(self, request, control_id):
        control_images.remove_control_image(
            tenant=request.tenant, actor=Actor.from_request(request), control_id=control_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ControlImageFileView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        summary="Download a control image",
        description="The stored PNG, or a 302 to a short-lived signed URL when files live on S3.",
        responses={(200, "image/png"): OpenApiTypes.BINARY, 302: None},
    )
    def get(self, request, control_id):
        control = control_images.get_control_image(tenant=request.tenant, control_id=control_id)
        return serve_signed_or_stored(control.file.name, missing=NotFound)

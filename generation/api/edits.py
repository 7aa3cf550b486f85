"""API views for image-to-image variations and region edits of one image."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import domain_errors
from core.vocabulary import VARIATION_STRENGTHS
from generation.api import schema_examples as ex
from generation.api.serializers import JobSerializer
from generation.api.uploads import ImageBytesField
from generation.jobs.changes import get_image
from generation.jobs.edits import MAX_EDIT_PROMPT, MAX_MASK_BYTES, edit_image
from generation.jobs.submit import MIN_STRENGTH
from generation.jobs.variations import vary_image
from tenants.actors import Actor
from tenants.permissions import HasScope

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Makes retries safe: the same key returns the same job (max 200).",
)


class VarySerializer(serializers.Serializer):
    strength = serializers.FloatField(
        min_value=MIN_STRENGTH,
        max_value=1.0,
        default=VARIATION_STRENGTHS["subtle"],
        help_text=f"Share of the schedule re-drawn: {VARIATION_STRENGTHS['subtle']} is a subtle "
        f"variation, {VARIATION_STRENGTHS['strong']} a strong one.",
    )
    seed = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        help_text="Defaults to the image's recorded seed.",
    )


class ImageVaryView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(
        summary="Vary an image (image-to-image)",
        description="Queue a one-image job that starts from this image with its recorded seed,"
        " prompt, engine, adapter and control images, re-drawing `strength` of the schedule"
        " (diffusion starts from the image's own latents; the vector engine perturbs its"
        " drawing around the parent's attributes). The new job's `parent_image` is this"
        " image. Priced by strength (at least 1 credit); counts toward quotas.",
        request=VarySerializer,
        responses={201: JobSerializer, 200: JobSerializer},
        parameters=[IDEMPOTENCY],
        examples=[ex.VARY_REQUEST, ex.JOB_VARIATION],
        extensions=domain_errors(402, 404, 409),
    )
    def post(self, request, image_id):
        get_image(tenant=request.tenant, image_id=image_id)  # another workspace's: 404 first
        serializer = VarySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = vary_image(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            image_id=image_id,
            strength=serializer.validated_data["strength"],
            seed=serializer.validated_data.get("seed"),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return Response(
            JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class EditSerializer(serializers.Serializer):
    mask = ImageBytesField(
        max_bytes=MAX_MASK_BYTES,
        help_text="A PNG the size of the image: white (or any bright colour) where it should "
        "change, black or transparent where it must stay. Base64 (or a data: URL) in JSON, or "
        "a file in multipart.",
    )
    prompt = serializers.CharField(
        max_length=MAX_EDIT_PROMPT, help_text="What should be there, e.g. 'a red bow tie'."
    )
    strength = serializers.FloatField(
        min_value=MIN_STRENGTH,
        max_value=1.0,
        required=False,
        allow_null=True,
        help_text="How much of the masked region is re-drawn (default 1).",
    )


class ImageEditView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Edit a region of an image (inpainting)",
        description="Queue a one-image job that repaints the masked region with what `prompt`"
        " asks for, keeping the image's seed, engine, preset, adapter and control images."
        " Runs the dedicated inpainting model when the server has one, else the base model"
        " through diffusers' inpainting path; the vector engine redraws with the edited"
        " attributes. The result is composited over the parent through the feathered mask,"
        " so every pixel outside it is unchanged. 400 (field `mask`) for a mask that is not an"
        " image, is not the image's size or marks nothing.",
        request=EditSerializer,
        responses={201: JobSerializer},
        parameters=[IDEMPOTENCY],
        examples=[ex.EDIT_REQUEST, ex.JOB_EDIT],
        extensions=domain_errors(402, 404, 409),
    )
    def post(self, request, image_id):
        get_image(tenant=request.tenant, image_id=image_id)  # another workspace's: 404 first
        serializer = EditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = edit_image(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            image_id=image_id,
            mask=data["mask"],
            prompt=data["prompt"],
            strength=data.get("strength"),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return Response(
            JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

"""API views for image-to-image variations and region edits of one image."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import domain_errors
from core.vocabulary import VARIATION_STRENGTHS
from generation.api import schema_examples as ex
from generation.api.serializers import JobSerializer
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
        extensions=domain_errors(402, 404),
    )
    def post(self, request, image_id):
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

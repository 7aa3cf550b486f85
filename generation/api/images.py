"""API views for images and their files: re-render, select, download."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import domain_errors
from generation.api import schema_examples as ex
from generation.api.serializers import ImageSerializer, JobSerializer
from generation.file_responses import serve_file
from generation.jobs.changes import get_file, rerender_image, select_image
from generation.quality.feedback import record_file_download
from tenants.actors import Actor
from tenants.permissions import HasScope


class ImageRerenderView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(
        summary="Re-render an image",
        description="Queue a new job that renders this image again from its recorded settings"
        " (bypassing the cache).",
        request=None,
        responses={201: JobSerializer},
        examples=[ex.JOB_RERENDERED],
        extensions=domain_errors(402),
    )
    def post(self, request, image_id):
        job = rerender_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
        return Response(
            JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class ImageSelectView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(
        summary="Select an image",
        description="Make this image the job's winner; its full avatar pack is built.",
        request=None,
        responses=ImageSerializer,
        examples=[ex.IMAGE_SELECTED],
    )
    def post(self, request, image_id):
        image = select_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
        return Response(ImageSerializer(image, context={"request": request}).data)


class FileDownloadView(APIView):
    """The bytes of one avatar file (or a redirect to a short-lived signed URL on S3)."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}

    @extend_schema(
        summary="Download a file",
        description="The image bytes (PNG or WebP), or a 302 to a short-lived signed URL when"
        " files live on S3. Use the `url` of a file in a job's `images[].files[]`.",
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
            302: None,
        },
    )
    def get(self, request, file_id):
        f = get_file(tenant=request.tenant, file_id=file_id)
        record_file_download(tenant=request.tenant, actor=Actor.from_request(request), file=f)
        return serve_file(f)

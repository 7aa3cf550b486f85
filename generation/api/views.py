"""Jobs, images, files, parse preview and webhooks. Each view calls one service or selector."""

import logging

from django.http import FileResponse, HttpResponseRedirect
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from avatarsaas.errors import InvalidInput, NotFound
from generation import jobs, webhooks
from generation.api.serializers import (
    ImageSerializer,
    JobCreateSerializer,
    JobSerializer,
    ParseSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
)
from generation.models import GeneratedImage, GenerationJob, JobStatus, WebhookDelivery
from generation.models.webhooks import WebhookEndpoint
from generation.storage import signed_url_or_none
from tenants.actors import Actor
from tenants.permissions import HasScope

logger = logging.getLogger(__name__)


class NewestFirst(CursorPagination):
    ordering = "-created_at"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _job_request(data) -> jobs.JobRequest:
    return jobs.JobRequest(
        description=data["description"],
        preset_id=str(data["preset"]) if data.get("preset") else None,
        attributes=data.get("attributes") or {},
        engine=data.get("engine"),
        n=data.get("n", 4),
        seed=data.get("seed"),
        size=data.get("size"),
        steps=data.get("steps"),
        guidance_scale=data.get("guidance_scale"),
        scheduler=data.get("scheduler"),
        circle=data.get("circle", False),
        adapter_strength=data.get("adapter_strength"),
    )


def _parse_dt(value: str | None, field: str):
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise InvalidInput("Use an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z.", field=field)
    return parsed


class JobListCreateView(generics.ListAPIView):
    """Submit a job (`POST`, send `Idempotency-Key` to make retries safe) or list jobs."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read", "POST": "jobs:write"}
    serializer_class = JobSerializer
    pagination_class = NewestFirst

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=[s.value for s in JobStatus]),
            OpenApiParameter("preset", str),
            OpenApiParameter("created_after", str),
            OpenApiParameter("created_before", str),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = GenerationJob.objects.for_tenant(self.request.tenant).prefetch_related("images__files")
        params = self.request.query_params
        if params.get("status"):
            if params["status"] not in JobStatus.values:
                raise InvalidInput(
                    f"status must be one of {', '.join(JobStatus.values)}.", field="status"
                )
            qs = qs.filter(status=params["status"])
        if params.get("preset"):
            qs = qs.filter(preset_id=params["preset"])
        if after := _parse_dt(params.get("created_after"), "created_after"):
            qs = qs.filter(created_at__gte=after)
        if before := _parse_dt(params.get("created_before"), "created_before"):
            qs = qs.filter(created_at__lt=before)
        return qs

    @extend_schema(
        request=JobCreateSerializer,
        responses={201: JobSerializer, 200: JobSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request):
        serializer = JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job, created = jobs.submit_job(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            request=_job_request(serializer.validated_data),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        body = JobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class JobDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}

    @extend_schema(responses=JobSerializer)
    def get(self, request, job_id):
        job = jobs.get_job(tenant=request.tenant, job_id=job_id)
        return Response(JobSerializer(job, context={"request": request}).data)


class JobCancelView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(request=None, responses=JobSerializer)
    def post(self, request, job_id):
        job = jobs.cancel_job(
            tenant=request.tenant, actor=Actor.from_request(request), job_id=job_id
        )
        return Response(JobSerializer(job, context={"request": request}).data)


class JobImagesView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}

    @extend_schema(responses=ImageSerializer(many=True))
    def get(self, request, job_id):
        job = jobs.get_job(tenant=request.tenant, job_id=job_id)
        images = GeneratedImage.objects.for_tenant(request.tenant).filter(job=job)
        data = ImageSerializer(
            images.prefetch_related("files"), many=True, context={"request": request}
        ).data
        return Response(data)


class ImageRerenderView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(request=None, responses={201: JobSerializer})
    def post(self, request, image_id):
        job = jobs.rerender_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
        return Response(
            JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class ImageSelectView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(request=None, responses=ImageSerializer)
    def post(self, request, image_id):
        image = jobs.select_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
        return Response(ImageSerializer(image, context={"request": request}).data)


class FileDownloadView(APIView):
    """The bytes of one avatar file (or a redirect to a short-lived signed URL on S3)."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}

    @extend_schema(responses={(200, "image/png"): bytes, (200, "image/webp"): bytes})
    def get(self, request, file_id):
        f = jobs.get_file(tenant=request.tenant, file_id=file_id)
        return serve_file(f)


def serve_file(f):
    signed = signed_url_or_none(f.file.name)
    if signed:
        return HttpResponseRedirect(signed)
    try:
        handle = f.file.open("rb")
    except FileNotFoundError as exc:
        logger.error("Stored file %s of ImageFile %s is missing", f.file.name, f.pk)
        raise NotFound("This file is no longer in storage.") from exc
    response = FileResponse(
        handle,
        content_type=f.content_type,
        as_attachment=False,
        filename=f"avatar-{f.size}-{f.shape}.{f.format}",
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


class ParseView(APIView):
    """Preview: description -> attributes (with trigger words and what was not understood),
    the composed prompt, and the cost quote. Creates nothing."""

    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:read"}

    @extend_schema(request=ParseSerializer)
    def post(self, request):
        serializer = ParseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote = jobs.quote_job(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            request=jobs.JobRequest(
                description=data["description"],
                preset_id=str(data["preset"]) if data.get("preset") else None,
                attributes=data.get("attributes") or {},
                engine=data.get("engine"),
                n=data.get("n", 4),
                size=data.get("size"),
                steps=data.get("steps"),
            ),
        )
        d = quote.described
        return Response(
            {
                "attributes": d.attributes,
                "parsed_attributes": d.parsed_attributes,
                "matches": d.matches,
                "unknown_words": d.unknown_words,
                "prompt": d.prompt,
                "negative_prompt": d.negative_prompt,
                "engine": quote.engine,
                "cost_credits": quote.cost,
                "balance": request.tenant.credit_balance,
            }
        )


class WebhookListCreateView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "webhooks:write", "POST": "webhooks:write"}
    serializer_class = WebhookEndpointSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return WebhookEndpoint.objects.for_tenant(self.request.tenant)

    @extend_schema(request=WebhookEndpointSerializer, responses={201: WebhookEndpointSerializer})
    def post(self, request):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.create_endpoint(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            url=serializer.validated_data["url"],
            events=serializer.validated_data.get("events"),
            description=serializer.validated_data.get("description", ""),
        )
        return Response(WebhookEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"*": "webhooks:write"}

    @extend_schema(responses=WebhookEndpointSerializer)
    def get(self, request, endpoint_id):
        endpoint = webhooks.get_endpoint(tenant=request.tenant, endpoint_id=endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=WebhookEndpointSerializer, responses=WebhookEndpointSerializer)
    def patch(self, request, endpoint_id):
        serializer = WebhookEndpointSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.update_endpoint(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            endpoint_id=endpoint_id,
            **serializer.validated_data,
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request, endpoint_id):
        webhooks.delete_endpoint(
            tenant=request.tenant, actor=Actor.from_request(request), endpoint_id=endpoint_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "webhooks:write"}
    serializer_class = WebhookDeliverySerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        endpoint = webhooks.get_endpoint(
            tenant=self.request.tenant, endpoint_id=self.kwargs["endpoint_id"]
        )
        return WebhookDelivery.objects.for_tenant(self.request.tenant).filter(endpoint=endpoint)


class WebhookRedeliverView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "webhooks:write"}

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    def post(self, request, delivery_id):
        delivery = webhooks.redeliver(
            tenant=request.tenant, actor=Actor.from_request(request), delivery_id=delivery_id
        )
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

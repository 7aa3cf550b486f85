"""Jobs, images, files, parse preview and webhooks. Each view calls one service or selector."""

import logging

from django.http import FileResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import (
    CREATED_RANGE,
    LIST_NOTE,
    NewestFirst,
    choice,
    filter_created,
    parse_uuid,
)
from core.api_schema import domain_errors
from core.errors import NotFound
from core.storage import signed_url_or_none
from generation.api import schema_examples as ex
from generation.api.serializers import (
    ImageSerializer,
    JobCreateSerializer,
    JobSerializer,
    ParseResultSerializer,
    ParseSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
)
from generation.jobs import services as jobs
from generation.models import GeneratedImage, GenerationJob, JobStatus, WebhookDelivery
from generation.models.webhooks import WEBHOOK_EVENTS, WebhookEndpoint
from generation.webhooks import delivery as webhooks
from tenants.actors import Actor
from tenants.permissions import HasScope

logger = logging.getLogger(__name__)


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


class JobListCreateView(generics.ListAPIView):
    """Submit a job (`POST`, send `Idempotency-Key` to make retries safe) or list jobs."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read", "POST": "jobs:write"}
    serializer_class = JobSerializer
    pagination_class = NewestFirst

    @extend_schema(
        summary="List jobs",
        description="This workspace's jobs, filtered by status, preset and creation time."
        + LIST_NOTE,
        parameters=[
            OpenApiParameter("status", enum=[s.value for s in JobStatus]),
            OpenApiParameter("preset", OpenApiTypes.UUID, description="Style preset id."),
            *CREATED_RANGE,
        ],
        examples=[ex.JOB_SUCCEEDED],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = GenerationJob.objects.for_tenant(self.request.tenant).prefetch_related("images__files")
        params = self.request.query_params
        if job_status := choice(params, "status", JobStatus.values):
            qs = qs.filter(status=job_status)
        if params.get("preset"):
            qs = qs.filter(preset_id=parse_uuid(params["preset"], "preset"))
        return filter_created(qs, params)

    @extend_schema(
        summary="Submit a job",
        description=(
            "Parse the description, reserve credits and queue the render. 201 with the new job;"
            " 200 with the original job when the same `Idempotency-Key` is replayed."
            " 402 when credits run out, 403 when the key's restrictions forbid the parameters,"
            " 429 `quota_exceeded` when the key's monthly quota is spent."
        ),
        request=JobCreateSerializer,
        responses={201: JobSerializer, 200: JobSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Makes retries safe: the same key returns the same job (max 200).",
            )
        ],
        examples=[ex.JOB_CREATE_REQUEST, ex.JOB_CREATE_WITH_PRESET, ex.JOB_QUEUED],
        extensions=domain_errors(402, 404, 409),
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

    @extend_schema(
        summary="Get a job",
        description="Poll this until `status` is `succeeded`, `failed` or `canceled`.",
        responses=JobSerializer,
        examples=[ex.JOB_SUCCEEDED],
    )
    def get(self, request, job_id):
        job = jobs.get_job(tenant=request.tenant, job_id=job_id)
        return Response(JobSerializer(job, context={"request": request}).data)


class JobCancelView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(
        summary="Cancel a job",
        description="Cancel a queued or running job; its reserved credits are released."
        " 409 when the job already finished.",
        request=None,
        responses=JobSerializer,
        examples=[ex.JOB_CANCELED],
        extensions=domain_errors(409),
    )
    def post(self, request, job_id):
        job = jobs.cancel_job(
            tenant=request.tenant, actor=Actor.from_request(request), job_id=job_id
        )
        return Response(JobSerializer(job, context={"request": request}).data)


class JobImagesView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}

    @extend_schema(
        summary="List a job's images",
        description="Every candidate with its scores and files (not paginated: at most 8).",
        responses=ImageSerializer(many=True),
        examples=[ex.IMAGES],
    )
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
        job = jobs.rerender_image(
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
        image = jobs.select_image(
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

    @extend_schema(
        summary="Preview a description",
        description="Parse a description (English or Chinese) into attributes, compose the"
        " prompt and quote the cost. Creates nothing and spends nothing.",
        request=ParseSerializer,
        responses=ParseResultSerializer,
        examples=[ex.PARSE_REQUEST, ex.PARSE_RESPONSE],
        extensions=domain_errors(404),
    )
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
                "not_understood": d.not_understood,
                "prompt": d.prompt,
                "prompt_parts": d.prompt_parts,
                "prompt_cut": d.cut,
                "refiner": d.refiner,
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

    @extend_schema(
        summary="List webhook endpoints",
        description="Endpoints that receive signed (Standard Webhooks) event POSTs." + LIST_NOTE,
        parameters=[OpenApiParameter("is_active", bool), *CREATED_RANGE],
        examples=[ex.WEBHOOK_ENDPOINT],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = WebhookEndpoint.objects.for_tenant(self.request.tenant)
        params = self.request.query_params
        if active := choice(params, "is_active", ["true", "false"]):
            qs = qs.filter(is_active=active == "true")
        return filter_created(qs, params)

    @extend_schema(
        summary="Create a webhook endpoint",
        description="`events` empty means every event. The response includes the signing"
        " `secret` (verify `webhook-signature` with it).",
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointSerializer},
        examples=[ex.WEBHOOK_CREATE_REQUEST, ex.WEBHOOK_ENDPOINT],
    )
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

    @extend_schema(
        summary="Get a webhook endpoint",
        responses=WebhookEndpointSerializer,
        examples=[ex.WEBHOOK_ENDPOINT],
    )
    def get(self, request, endpoint_id):
        endpoint = webhooks.get_endpoint(tenant=request.tenant, endpoint_id=endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Update a webhook endpoint",
        request=WebhookEndpointSerializer,
        responses=WebhookEndpointSerializer,
        examples=[ex.WEBHOOK_UPDATE_REQUEST, ex.WEBHOOK_ENDPOINT],
    )
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

    @extend_schema(summary="Delete a webhook endpoint", responses={204: None})
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

    @extend_schema(
        summary="List an endpoint's deliveries",
        description="Every attempt to deliver an event to this endpoint." + LIST_NOTE,
        parameters=[
            OpenApiParameter("status", enum=WebhookDelivery.Status.values),
            OpenApiParameter("event_type", enum=WEBHOOK_EVENTS),
            *CREATED_RANGE,
        ],
        examples=[ex.WEBHOOK_DELIVERY],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        endpoint = webhooks.get_endpoint(
            tenant=self.request.tenant, endpoint_id=self.kwargs["endpoint_id"]
        )
        qs = WebhookDelivery.objects.for_tenant(self.request.tenant).filter(endpoint=endpoint)
        params = self.request.query_params
        if delivery_status := choice(params, "status", WebhookDelivery.Status.values):
            qs = qs.filter(status=delivery_status)
        if event_type := choice(params, "event_type", WEBHOOK_EVENTS):
            qs = qs.filter(event_type=event_type)
        return filter_created(qs, params)


class WebhookRedeliverView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "webhooks:write"}

    @extend_schema(
        summary="Redeliver an event",
        description="Queue the same message (same `webhook-id`) to be sent again.",
        request=None,
        responses={202: WebhookDeliverySerializer},
        examples=[ex.WEBHOOK_REDELIVERY],
    )
    def post(self, request, delivery_id):
        delivery = webhooks.redeliver(
            tenant=request.tenant, actor=Actor.from_request(request), delivery_id=delivery_id
        )
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

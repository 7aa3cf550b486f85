"""API views for jobs: submit and list, get, cancel, list a job's images."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import CREATED_RANGE, LIST_NOTE, NewestFirst, choice, filter_created, parse_uuid
from core.api_schema import domain_errors
from generation.api import schema_examples as ex
from generation.api.prefer import MAX_WAIT_SECONDS, WaitPlan, requested_wait
from generation.api.serializers import ImageSerializer, JobCreateSerializer, JobSerializer
from generation.jobs.changes import cancel_job, get_job
from generation.jobs.controls import ControlUpload
from generation.jobs.submit import JobRequest, submit_job
from generation.models import GeneratedImage, GenerationJob, JobStatus
from generation.models.jobs import TERMINAL_STATUSES
from tenants.actors import Actor
from tenants.permissions import HasScope


def _job_request(data) -> JobRequest:
    return JobRequest(
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
        speed=data.get("speed") or "standard",
        circle=data.get("circle", False),
        adapter_strength=data.get("adapter_strength"),
        control=(
            ControlUpload(
                data=data["control_image"],
                type=data.get("control_type", "canny"),
                scale=data.get("control_scale", 1.0),
                preprocess=data.get("control_preprocess", True),
            )
            if data.get("control_image")
            else None
        ),
        use_preset_controls=data.get("use_preset_controls", True),
    )


class JobListCreateView(generics.ListAPIView):
    """Submit a job (`POST`, send `Idempotency-Key` to make retries safe) or list jobs."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read", "POST": "jobs:write"}
    serializer_class = JobSerializer
    pagination_class = NewestFirst
    parser_classes = [JSONParser, MultiPartParser]  # multipart: control_image as a file

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
            " With `control_image` (base64 in JSON, or a multipart file) a ControlNet steers the"
            " render; the preset's own control images apply too unless `use_preset_controls`"
            " is false."
            " With `Prefer: wait=N` (RFC 7240; N at most 60 seconds, larger values are clamped)"
            " the request is held until the job finishes or N seconds pass: the finished job"
            " comes back with 201 (200 for a replay), a job still queued or running after N"
            " seconds with 202 and its current state; `Preference-Applied: wait=N` says the"
            " wait was honoured."
        ),
        request=JobCreateSerializer,
        responses={201: JobSerializer, 200: JobSerializer, 202: JobSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Makes retries safe: the same key returns the same job (max 200).",
            ),
            OpenApiParameter(
                "Prefer",
                str,
                OpenApiParameter.HEADER,
                description=f"`wait=N`: hold the request until the job finishes or N seconds"
                f" pass (at most {MAX_WAIT_SECONDS}; larger values are clamped).",
            ),
        ],
        examples=[
            ex.JOB_CREATE_REQUEST,
            ex.JOB_CREATE_WITH_PRESET,
            ex.JOB_CREATE_WITH_CONTROL,
            ex.JOB_QUEUED,
        ],
        extensions=domain_errors(402, 404, 409),
    )
    def post(self, request):
        wait = requested_wait(request.headers.get("Prefer"))
        serializer = JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job, created = submit_job(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            request=_job_request(serializer.validated_data),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        if created and job.status == JobStatus.QUEUED:
            # A job that was just queued has no images yet: no query to find that out.
            job._prefetched_objects_cache = {"images": GeneratedImage.objects.none()}
        body = JobSerializer(job, context={"request": request}).data
        response = Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        if wait:
            response["Preference-Applied"] = f"wait={wait}"
            if job.status not in TERMINAL_STATUSES:
                # generation.api.waiting awaits the job on the event loop, then re-answers.
                response.wait_plan = WaitPlan(job_id=job.pk, seconds=wait, created=created)
        return response


class JobDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}
    # Polling a job is what the docs ask for: its reads are counted in their own, larger
    # buckets (avatarsaas.throttling, STATUS_READ_SCOPE) so they never use up the submits'.
    throttle_scope = "job_status"

    @extend_schema(
        summary="Get a job",
        description="Poll this until `status` is `succeeded`, `failed` or `canceled`.",
        responses=JobSerializer,
        examples=[ex.JOB_SUCCEEDED],
    )
    def get(self, request, job_id):
        job = get_job(tenant=request.tenant, job_id=job_id)
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
        job = cancel_job(tenant=request.tenant, actor=Actor.from_request(request), job_id=job_id)
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
        job = get_job(tenant=request.tenant, job_id=job_id)
        images = GeneratedImage.objects.for_tenant(request.tenant).filter(job=job)
        data = ImageSerializer(
            images.prefetch_related("files"), many=True, context={"request": request}
        ).data
        return Response(data)

"""API views for LoRA datasets: list, create, get, delete, upload images, edit captions."""

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils.translation import gettext
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LIST_NOTE, NewestFirst
from core.api_schema import domain_errors
from core.errors import InvalidInput
from core.upload_guard import cross_origin
from styles import selectors
from styles.api import examples as ex
from styles.api.scopes import READ, WRITE
from styles.api.serializers import (
    CaptionsSerializer,
    DatasetDetailSerializer,
    DatasetSerializer,
    DuplicatePairSerializer,
    IngestReportSerializer,
    ResolveDuplicateSerializer,
    UploadSerializer,
)
from styles.services import dataset_duplicates, dataset_ingest, datasets
from tenants.actors import Actor
from tenants.authentication import ApiKeyAuthentication
from tenants.permissions import HasScope


class DatasetListCreateView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "POST": WRITE}
    serializer_class = DatasetSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.datasets_for(self.request.tenant)

    @extend_schema(
        summary="List LoRA datasets",
        description="Newest first." + LIST_NOTE,
        examples=[ex.DATASET_RESPONSE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a dataset",
        description="A workspace keeps at most its plan's `max_datasets` datasets: past that, "
        "409 `limit_reached` (field `max_datasets`, with `limit`).",
        request=DatasetSerializer,
        responses={201: DatasetSerializer},
        examples=[ex.DATASET_CREATE, ex.DATASET_RESPONSE],
        extensions=domain_errors(409),
    )
    def post(self, request):
        serializer = DatasetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dataset = datasets.create_dataset(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            name=serializer.validated_data["name"],
            trigger_word=serializer.validated_data.get("trigger_word", ""),
        )
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class DatasetDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "DELETE": WRITE}

    @extend_schema(
        summary="Get a dataset with its validation report",
        responses=DatasetDetailSerializer,
        examples=[ex.DATASET_RESPONSE],
    )
    def get(self, request, dataset_id):
        dataset = datasets.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        return Response(DatasetDetailSerializer(dataset).data)

    @extend_schema(
        summary="Delete a dataset, its images and their files",
        description="Draft fine-tunes of the dataset are deleted with it; finished ones keep "
        "their adapter and lineage (`dataset_hash`) and show `dataset: null`. 409 "
        "`dataset_in_use` while a fine-tune of it is in review or training.",
        responses={204: None},
        extensions=domain_errors(404, 409),
    )
    def delete(self, request, dataset_id):
        datasets.delete_dataset(
            tenant=request.tenant, actor=Actor.from_request(request), dataset_id=dataset_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetImageDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"DELETE": WRITE}

    @extend_schema(
        summary="Remove one image from a dataset",
        description="Deletes the image's row and stored file (accepted or rejected). 409 "
        "`dataset_in_use` while a fine-tune of the dataset is in review or training.",
        responses={204: None},
        extensions=domain_errors(404, 409),
    )
    def delete(self, request, dataset_id, image_id):
        image = datasets.get_dataset_image(tenant=request.tenant, image_id=image_id)
        if image.dataset_id != dataset_id:
            raise NotFound(gettext("No such image in this dataset."))
        datasets.delete_dataset_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionAuthenticationCsrfInView(SessionAuthentication):
    """Session sign-in without DRF's CSRF check, which reads the multipart body (the token may
    be a form field) and so would spool a whole upload for any signed-in user before the role
    and the dataset were checked. The upload view runs the check itself, after those."""

    def authenticate(self, request):
        user = getattr(request._request, "user", None)
        if not user or not user.is_active:
            return None
        return (user, None)


class SessionCsrfInViewScheme(SessionScheme):
    """OpenAPI: the same session cookie (a scheme name of its own: drf-spectacular keys schemes
    by authenticator class)."""

    target_class = SessionAuthenticationCsrfInView
    name = "sessionCookieUpload"


class DatasetUploadView(APIView):
    """Multipart upload of images, caption sidecars and zips; streamed through temp files.

    Nothing reads the body before the caller is authenticated, holds the scope (keys) or role
    (members), and the dataset is found in its workspace; a session's cross-site Origin is
    refused before too, and its CSRF token is checked right after parsing."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthenticationCsrfInView]
    permission_classes = [HasScope]
    required_scopes = {"POST": WRITE}
    parser_classes = [MultiPartParser]

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body: spool every upload to disk, never to memory.
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        summary="Upload images to a dataset",
        description="Send `files` (repeat the field): PNG/JPEG/WebP images, `.txt` caption "
        "sidecars with the same name, or zips of both. Each file is accepted or rejected "
        "with a reason; one bad file never costs the others. Uploads add to the dataset "
        "(duplicates are caught across uploads: an exact copy is rejected, a near-duplicate "
        "is accepted with a warning), so send large sets in several requests "
        "within the server's per-request file count and body size limits. The key, its "
        "scope and the dataset are checked before the body is read.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: IngestReportSerializer},
        examples=[ex.REPORT],
    )
    def post(self, request, dataset_id):
        datasets.get_dataset(tenant=request.tenant, dataset_id=dataset_id)  # 404 before parsing
        session = isinstance(request.successful_authenticator, SessionAuthenticationCsrfInView)
        if session and cross_origin(request._request):
            raise PermissionDenied("CSRF Failed: cross-site upload refused.")
        try:
            files = request.FILES.getlist("files")
        except (TooManyFilesSent, RequestDataTooBig) as exc:
            raise InvalidInput(dataset_ingest.too_many_files_message(), field="files") from exc
        if session:
            SessionAuthentication().enforce_csrf(request)  # the token is in the parsed body
        report = dataset_ingest.ingest_uploads(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            dataset_id=dataset_id,
            files=files,
        )
        body = {
            "accepted": report.accepted,
            "rejected": report.rejected,
            "errors": [{"name": n, "code": c, "message": m} for n, c, m in report.errors],
            "warnings": [{"name": n, "code": c, "message": m} for n, c, m in report.warnings],
        }
        return Response(body, status=status.HTTP_201_CREATED)


class DatasetCaptionsView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"PATCH": WRITE}

    @extend_schema(
        summary="Edit captions",
        request=CaptionsSerializer,
        responses=DatasetDetailSerializer,
        examples=[ex.CAPTIONS, ex.DATASET_RESPONSE],
    )
    def patch(self, request, dataset_id):
        serializer = CaptionsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        datasets.update_captions(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            dataset_id=dataset_id,
            captions=serializer.validated_data["captions"],
        )
        dataset = datasets.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        return Response(DatasetDetailSerializer(dataset).data)


class DatasetDuplicateResolveView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": WRITE}

    @extend_schema(
        summary="Resolve a near-duplicate warning",
        description="`keep_both` dismisses the warning and returns it with `kept: true`; "
        "`drop` deletes `image` (one of the pair's two images) and the warning with it, and "
        "answers 204. 409 `dataset_in_use` while a fine-tune of the dataset is in review or "
        "training.",
        request=ResolveDuplicateSerializer,
        responses={200: DuplicatePairSerializer, 204: None},
        examples=[ex.RESOLVE_KEEP, ex.RESOLVE_DROP],
        extensions=domain_errors(404, 409),
    )
    def post(self, request, dataset_id, pair_id):
        serializer = ResolveDuplicateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = dataset_duplicates.resolve_duplicate(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            dataset_id=dataset_id,
            pair_id=pair_id,
            action=serializer.validated_data["action"],
            drop=serializer.validated_data.get("image"),
        )
        if pair is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(DuplicatePairSerializer(pair).data)

"""Presets, datasets, fine-tunes and adapters. Each view calls one service or selector."""

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import FileResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LIST_NOTE, NewestFirst
from core.api_schema import domain_errors
from core.errors import InvalidInput
from styles import selectors
from styles.api import examples as ex
from styles.api.serializers import (
    ActivateAdapterSerializer,
    AdapterSerializer,
    BrandKitSerializer,
    CaptionsSerializer,
    DatasetDetailSerializer,
    DatasetSerializer,
    FineTuneCreateSerializer,
    FineTuneSerializer,
    IngestReportSerializer,
    PresetSerializer,
    PresetWriteSerializer,
    ReferenceImageSerializer,
    ReferenceUploadSerializer,
    UploadSerializer,
)
from styles.services import adapters, datasets, finetunes, presets
from tenants.actors import Actor
from tenants.permissions import HasScope

READ, WRITE, TRAIN = "styles:read", "styles:write", "finetunes:write"


class PresetListCreateView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "POST": WRITE}
    serializer_class = PresetSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.presets_for(self.request.tenant).prefetch_related("references")

    @extend_schema(
        summary="List style presets",
        description="The built-in library and this workspace's presets." + LIST_NOTE,
        examples=[ex.PRESET_RESPONSE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a preset",
        description="Blank, or a copy of a built-in (`copy_of`) with your edits applied.",
        request=PresetWriteSerializer,
        responses={201: PresetSerializer},
        examples=[ex.PRESET_CREATE, ex.PRESET_RESPONSE],
        extensions=domain_errors(404, 409),
    )
    def post(self, request):
        serializer = PresetWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        preset = presets.create_preset(
            tenant=request.tenant, actor=Actor.from_request(request), **data
        )
        return Response(PresetSerializer(preset).data, status=status.HTTP_201_CREATED)


class PresetDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "PATCH": WRITE, "DELETE": WRITE}

    @extend_schema(
        summary="Get a preset", responses=PresetSerializer, examples=[ex.PRESET_RESPONSE]
    )
    def get(self, request, preset_id):
        preset = presets.get_preset(tenant=request.tenant, preset_id=preset_id)
        return Response(PresetSerializer(preset).data)

    @extend_schema(
        summary="Edit a preset",
        description="Built-ins are read-only (403): copy one first.",
        request=PresetWriteSerializer,
        responses=PresetSerializer,
        examples=[ex.PRESET_LOCK, ex.PRESET_RESPONSE],
    )
    def patch(self, request, preset_id):
        serializer = PresetWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "copy_of"}
        preset = presets.update_preset(
            tenant=request.tenant, actor=Actor.from_request(request), preset_id=preset_id, **data
        )
        return Response(PresetSerializer(preset).data)

    @extend_schema(summary="Delete a preset", responses={204: None})
    def delete(self, request, preset_id):
        presets.delete_preset(
            tenant=request.tenant, actor=Actor.from_request(request), preset_id=preset_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PresetActivateAdapterView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": WRITE}

    @extend_schema(
        summary="Activate a LoRA version on a preset",
        description="Jobs through this preset then render with it. Only `ready` adapters.",
        request=ActivateAdapterSerializer,
        responses=PresetSerializer,
        examples=[ex.ACTIVATE, ex.PRESET_RESPONSE],
        extensions=domain_errors(409),
    )
    def post(self, request, preset_id):
        presets.get_own_preset(tenant=request.tenant, preset_id=preset_id)
        serializer = ActivateAdapterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preset = adapters.activate_adapter(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            preset_id=preset_id,
            adapter_id=serializer.validated_data["adapter"],
            strength=serializer.validated_data.get("strength"),
        )
        return Response(PresetSerializer(preset).data)


class PresetRollbackAdapterView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": WRITE}

    @extend_schema(
        summary="Roll back to the previous LoRA version",
        request=None,
        responses=PresetSerializer,
        examples=[ex.PRESET_RESPONSE],
        extensions=domain_errors(409),
    )
    def post(self, request, preset_id):
        preset = adapters.rollback_adapter(
            tenant=request.tenant, actor=Actor.from_request(request), preset_id=preset_id
        )
        return Response(PresetSerializer(preset).data)


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
        f"best-of-N. At most {presets.MAX_REFERENCES} per preset; built-ins are read-only.",
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
        from core.storage import signed_url_or_none

        ref = presets.get_reference(tenant=request.tenant, reference_id=reference_id)
        signed = signed_url_or_none(ref.file.name)
        if signed:
            return HttpResponseRedirect(signed)
        try:
            handle = ref.file.open("rb")
        except FileNotFoundError as exc:
            raise NotFound("This file is no longer in storage.") from exc
        response = FileResponse(handle, content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class BrandKitView(APIView):
    """The workspace's brand-kit policy, read-only here: it restrains API keys, so a key must not
    be able to lift it; owners and admins change it in the dashboard."""

    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        summary="Get the brand-kit policy",
        description="With `locked_presets_only: true`, API keys (and members) may only generate "
        "through locked presets; other submissions answer 403 `brand_lock` on `preset`. Owners "
        "and admins change this in the dashboard (Presets → Brand kit).",
        responses=BrandKitSerializer,
        examples=[ex.BRAND_KIT],
    )
    def get(self, request):
        return Response(BrandKitSerializer(presets.brand_kit_of(request.tenant)).data)


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
        request=DatasetSerializer,
        responses={201: DatasetSerializer},
        examples=[ex.DATASET_CREATE, ex.DATASET_RESPONSE],
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
            raise NotFound("No such image in this dataset.")
        datasets.delete_dataset_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetUploadView(APIView):
    """Multipart upload of images, caption sidecars and zips; streamed through temp files."""

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
        "(duplicates are caught across uploads), so send large sets in several requests "
        "within the server's per-request file count and body size limits.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: IngestReportSerializer},
        examples=[ex.REPORT],
    )
    def post(self, request, dataset_id):
        datasets.get_dataset(tenant=request.tenant, dataset_id=dataset_id)  # 404 before parsing
        try:
            files = request.FILES.getlist("files")
        except (TooManyFilesSent, RequestDataTooBig) as exc:
            raise InvalidInput(datasets.too_many_files_message(), field="files") from exc
        report = datasets.ingest_uploads(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            dataset_id=dataset_id,
            files=files,
        )
        body = {
            "accepted": report.accepted,
            "rejected": report.rejected,
            "errors": [{"name": n, "code": c, "message": m} for n, c, m in report.errors],
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


class FineTuneListCreateView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "POST": TRAIN}
    serializer_class = FineTuneSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.finetunes_for(self.request.tenant)

    @extend_schema(
        summary="List fine-tunes",
        description="Newest first." + LIST_NOTE,
        examples=[ex.FINETUNE_RESPONSE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a fine-tune draft",
        description="Validates hyperparameters and quotes `cost_credits`; submit it to reserve"
        " the credits and ask for staff review.",
        request=FineTuneCreateSerializer,
        responses={201: FineTuneSerializer},
        examples=[ex.FINETUNE_CREATE, ex.FINETUNE_RESPONSE],
        extensions=domain_errors(404),
    )
    def post(self, request):
        serializer = FineTuneCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ft = finetunes.create_finetune(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            dataset_id=data.pop("dataset"),
            preset_id=data.pop("preset", None),
            **data,
        )
        return Response(FineTuneSerializer(ft).data, status=status.HTTP_201_CREATED)


class FineTuneDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        summary="Get a fine-tune",
        description="State, progress, loss curve, ETA, validation grid and the adapter.",
        responses=FineTuneSerializer,
        examples=[ex.FINETUNE_RESPONSE],
    )
    def get(self, request, finetune_id):
        ft = finetunes.get_finetune(tenant=request.tenant, finetune_id=finetune_id)
        return Response(FineTuneSerializer(ft).data)


class FineTuneSubmitView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": TRAIN}

    @extend_schema(
        summary="Submit a fine-tune for review",
        description="Reserves the quoted credits (released on reject/cancel/failure).",
        request=None,
        responses=FineTuneSerializer,
        examples=[ex.FINETUNE_RESPONSE],
        extensions=domain_errors(402, 409),
    )
    def post(self, request, finetune_id):
        ft = finetunes.submit_finetune(
            tenant=request.tenant, actor=Actor.from_request(request), finetune_id=finetune_id
        )
        return Response(FineTuneSerializer(ft).data)


class FineTuneCancelView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": TRAIN}

    @extend_schema(
        summary="Cancel a fine-tune",
        request=None,
        responses=FineTuneSerializer,
        examples=[ex.FINETUNE_RESPONSE],
        extensions=domain_errors(409),
    )
    def post(self, request, finetune_id):
        ft = finetunes.cancel_finetune(
            tenant=request.tenant, actor=Actor.from_request(request), finetune_id=finetune_id
        )
        return Response(FineTuneSerializer(ft).data)


class AdapterListView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ}
    serializer_class = AdapterSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.adapters_for(self.request.tenant)

    @extend_schema(
        summary="List LoRA adapter versions",
        description="Newest first." + LIST_NOTE,
        examples=[ex.ADAPTER_RESPONSE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AdapterDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        summary="Get an adapter version",
        responses=AdapterSerializer,
        examples=[ex.ADAPTER_RESPONSE],
    )
    def get(self, request, adapter_id):
        adapter = adapters.get_adapter(tenant=request.tenant, adapter_id=adapter_id)
        return Response(AdapterSerializer(adapter).data)


class AdapterDeprecateView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": WRITE}

    @extend_schema(
        summary="Deprecate an adapter version",
        description="409 while a preset still renders with it: roll back first.",
        request=None,
        responses=AdapterSerializer,
        examples=[ex.ADAPTER_RESPONSE],
        extensions=domain_errors(409),
    )
    def post(self, request, adapter_id):
        adapter = adapters.deprecate_adapter(
            tenant=request.tenant, actor=Actor.from_request(request), adapter_id=adapter_id
        )
        return Response(AdapterSerializer(adapter).data)

"""API views for LoRA adapter versions: list, get, deprecate, activate on a preset, roll back;
and LoRA files made elsewhere: import, list, get."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LIST_NOTE, NewestFirst
from core.api_schema import domain_errors
from styles import selectors
from styles.api import examples as ex
from styles.api.scopes import READ, TRAIN, WRITE
from styles.api.serializers import (
    ActivateAdapterSerializer,
    AdapterImportSerializer,
    AdapterImportUploadSerializer,
    AdapterSerializer,
    PresetSerializer,
)
from styles.services import adapter_imports, adapters, presets
from tenants.actors import Actor
from tenants.permissions import HasScope


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


class AdapterImportCreateView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": TRAIN}
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Import a LoRA made elsewhere",
        description="Multipart field `file`: a LoRA `.safetensors` in kohya/A1111 or "
        "diffusers/peft format for the configured base model. The header is checked at once "
        "(400 naming the problem: a pickle, a truncated file, not safetensors, over the size "
        "cap); a worker then checks every module and shape against the base model and renders "
        "a preview (`state` becomes `invalid` with `error_message`, or `pending_review`). Staff "
        "approve it into a new adapter version with lineage `imported`.",
        request={"multipart/form-data": AdapterImportUploadSerializer},
        responses={202: AdapterImportSerializer},
        examples=[ex.ADAPTER_IMPORT_RESPONSE],
        extensions=domain_errors(403),
    )
    def post(self, request):
        serializer = AdapterImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = adapter_imports.import_adapter(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            upload=data["file"],
            name=data.get("name", ""),
            trigger_word=data.get("trigger_word", ""),
        )
        return Response(AdapterImportSerializer(item).data, status=status.HTTP_202_ACCEPTED)


class AdapterImportListView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ}
    serializer_class = AdapterImportSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.adapter_imports_for(self.request.tenant)

    @extend_schema(
        summary="List LoRA imports",
        description="Newest first." + LIST_NOTE,
        examples=[ex.ADAPTER_IMPORT_RESPONSE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AdapterImportDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        summary="Get a LoRA import",
        responses=AdapterImportSerializer,
        examples=[ex.ADAPTER_IMPORT_RESPONSE],
    )
    def get(self, request, import_id):
        item = adapter_imports.get_import(tenant=request.tenant, import_id=import_id)
        return Response(AdapterImportSerializer(item).data)

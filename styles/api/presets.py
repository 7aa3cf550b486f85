"""API views for style presets: list, create, get, edit, delete."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LIST_NOTE, NewestFirst
from core.api_schema import domain_errors
from styles import selectors
from styles.api import examples as ex
from styles.api.scopes import READ, WRITE
from styles.api.serializers import PresetSerializer, PresetWriteSerializer
from styles.services import presets
from tenants.actors import Actor
from tenants.permissions import HasScope

LOCK_NOTE = (
    "\n\n**Brand-kit lock.** `is_locked`, `lock_rules` and every field of a locked preset are "
    "changed only by owners and admins signed in (the dashboard, or this API with their "
    "session); API keys get 403 `brand_lock` (field `is_locked`, `lock_rules` or `preset`). "
    "Sending a lock field's current value back is not a change. An API key restricted to "
    "presets (`allowed_presets`) cannot modify those presets: 403 `key_restricted`."
)


class PresetListCreateView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "POST": WRITE}
    serializer_class = PresetSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.presets_for(self.request.tenant).prefetch_related(
            "references", "control_images"
        )

    @extend_schema(
        summary="List style presets",
        description="The built-in library and this workspace's presets." + LIST_NOTE,
        examples=[ex.PRESET_RESPONSE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a preset",
        description="Blank, or a copy of a built-in (`copy_of`) with your edits applied. A copy "
        "made with an API key starts unlocked (it keeps the source's `lock_rules`, inert until "
        "an owner or admin locks it). A workspace keeps at most its plan's `max_presets` "
        "presets: past that, 409 `limit_reached` (field `max_presets`, with `limit`)." + LOCK_NOTE,
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
        description="Built-ins are read-only (403): copy one first." + LOCK_NOTE,
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

    @extend_schema(
        summary="Delete a preset",
        description="A locked preset, or one an API key is restricted to, is deleted only by an "
        "owner or admin signed in; API keys get 403 (`brand_lock` or `key_restricted`).",
        responses={204: None},
    )
    def delete(self, request, preset_id):
        presets.delete_preset(
            tenant=request.tenant, actor=Actor.from_request(request), preset_id=preset_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

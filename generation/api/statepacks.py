"""API views for state packs: make one from an image, read it, download its files."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core.api_schema import domain_errors
from generation.api.schema_examples import BASE, IMAGE_ID, JOB_ID
from generation.jobs.changes import get_image
from generation.models import StatePack
from generation.statepacks.files import serve_pack_file
from generation.statepacks.render_job import identity_meaningful
from generation.statepacks.services import get_state_pack, make_state_pack, pack_file
from tenants.actors import Actor
from tenants.permissions import HasScope

PACK_ID = "6f1d0c2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f"
_STATES = ["neutral", "happy", "thinking", "surprised", "sorry", "talking", "sleeping"]
_PACK = {
    "id": PACK_ID,
    "job": JOB_ID,
    "source_image": IMAGE_ID,
    "engine": "vector",
    "cost_credits": 7,
    "states": _STATES,
    "animation": "facial_actions",
    "identity_meaningful": False,
    "created_at": "2026-11-30T09:00:00Z",
}
PACK_QUEUED = OpenApiExample(
    "State pack queued",
    value={
        **_PACK,
        "status": "queued",
        "states_detail": [{"state": s, "image": None} for s in _STATES],
        "matting": "",
        "matting_note": "",
        "ready": False,
        "files": {},
        "manifest": {},
    },
    response_only=True,
    status_codes=["201"],
)
PACK_READY = OpenApiExample(
    "State pack ready",
    value={
        **_PACK,
        "status": "succeeded",
        "states_detail": [
            {"state": "neutral", "image": IMAGE_ID, "seed": 1234567, "identity_score": None,
             "palette_delta_e": 4.2, "rerolls": 0},
        ],
        "matting": "vector_alpha",
        "matting_note": "Drawn on a transparent canvas (exact alpha).",
        "ready": True,
        "files": {
            kind: f"{BASE}/state-packs/{PACK_ID}/files/{kind}/"
            for kind in ("zip", "sprite", "manifest", "blink.webp", "talk.webp")
        },
        "manifest": {"format": "avatarsaas.statepack/1", "states": ["..."]},
    },
    response_only=True,
)  # fmt: skip

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Makes retries safe: the same key returns the same pack (max 200).",
)


class StatePackSerializer(serializers.ModelSerializer):
    job = serializers.UUIDField(source="job_id")
    source_image = serializers.UUIDField(source="source_image_id", allow_null=True)
    status = serializers.CharField(source="job.status")
    engine = serializers.CharField(source="job.engine")
    cost_credits = serializers.IntegerField(source="job.cost_credits")
    ready = serializers.BooleanField(source="is_ready")
    identity_meaningful = serializers.SerializerMethodField(
        help_text="False while CLIP weights are not marked real: the identity scores mean nothing."
    )
    files = serializers.SerializerMethodField(help_text="Deliverable kind -> download URL.")
    states_detail = serializers.SerializerMethodField(
        help_text="Per state: image id, seed, identity score, palette ΔE2000, re-rolls."
    )

    class Meta:
        model = StatePack
        fields = [
            "id",
            "job",
            "source_image",
            "status",
            "engine",
            "cost_credits",
            "states",
            "states_detail",
            "animation",
            "matting",
            "matting_note",
            "identity_meaningful",
            "ready",
            "files",
            "manifest",
            "created_at",
        ]

    def get_identity_meaningful(self, obj) -> bool:
        return identity_meaningful()

    def get_files(self, obj) -> dict[str, str]:
        request = self.context.get("request")
        return {
            kind: reverse(
                "api_state_pack_file", kwargs={"pack_id": obj.pk, "kind": kind}, request=request
            )
            for kind in sorted(obj.files or {})
        }

    def get_states_detail(self, obj) -> list[dict]:
        images = {i.index: i for i in obj.job.images.all()}
        out = []
        for index, state in enumerate(obj.states):
            result = (obj.results or [])[index] if index < len(obj.results or []) else {}
            image = images.get(index)
            out.append({"state": state, "image": str(image.pk) if image else None, **result})
        return out


class ImageStatePackView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(
        summary="Make a state pack from an image",
        description="Queue one priced job that redraws this avatar in each state of its preset"
        " (default: neutral, happy, thinking, surprised, sorry, talking, sleeping) with the"
        " image's seed. The vector engine changes only the expression (identity exact); the"
        " diffusion engine runs image-to-image from the image at a moderate strength, steered"
        " by its line art (or silhouette) when that ControlNet is configured, with a prompt that"
        " changes only the expression. Each diffusion state is scored by CLIP image-image"
        " similarity to this image and re-rolled within the pack's budget when it falls below"
        " the threshold. When the job succeeds the pack has a zip (every state in every avatar"
        " size, transparent), a sprite sheet, a JSON manifest and blink/talk animations (WebP,"
        " GIF, APNG, frame strips); a diffusion pack's loop cycles its states instead.",
        request=None,
        responses={201: StatePackSerializer},
        parameters=[IDEMPOTENCY],
        examples=[PACK_QUEUED],
        extensions=domain_errors(402, 404, 409),
    )
    def post(self, request, image_id):
        get_image(tenant=request.tenant, image_id=image_id)  # another workspace's: 404 first
        pack = make_state_pack(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            image_id=image_id,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return Response(
            StatePackSerializer(pack, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class StatePackDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}

    @extend_schema(
        summary="Get a state pack",
        description="Its job's status, per-state scores and, once ready, the file URLs and the"
        " manifest (validated by generation/statepacks/manifest.schema.json).",
        responses=StatePackSerializer,
        examples=[PACK_READY],
    )
    def get(self, request, pack_id):
        pack = get_state_pack(tenant=request.tenant, pack_id=pack_id)
        return Response(StatePackSerializer(pack, context={"request": request}).data)


class StatePackFileView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}

    @extend_schema(
        summary="Download a state pack file",
        description="`kind` is one of the pack's `files` keys: zip, sprite, manifest,"
        " <loop>.webp|gif|apng and <loop>.strip (loops: blink and talk, or states).",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 302: None},
    )
    def get(self, request, pack_id, kind):
        pack, name = pack_file(tenant=request.tenant, pack_id=pack_id, kind=kind)
        return serve_pack_file(pack, kind, name)

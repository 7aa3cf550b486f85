"""Shapes of the jobs API. Validation of shape only; rules live in the services."""

from django.conf import settings
from rest_framework import serializers

from core.storage import signed_url
from core.vocabulary import (
    ALLOWED_SIZES,
    CONTROL_TYPES,
    ENGINE_CHOICES,
    MAX_N,
    SCHEDULER_NAMES,
    SPEEDS,
)
from generation.api.uploads import ImageBytesField
from generation.jobs.controls import public_controls
from generation.models import (
    GeneratedImage,
    GenerationJob,
    ImageFeedback,
    ImageFile,
    WebhookDelivery,
)
from generation.models.webhooks import WEBHOOK_EVENTS, WebhookEndpoint
from generation.worker.claim import queue_position


class JobCreateSerializer(serializers.Serializer):
    description = serializers.CharField(
        max_length=1000, help_text="The bot in plain English or Chinese."
    )
    preset = serializers.UUIDField(required=False, allow_null=True, help_text="Style preset id.")
    attributes = serializers.DictField(
        required=False, default=dict, help_text="Overrides for parsed attributes."
    )
    engine = serializers.ChoiceField(ENGINE_CHOICES, required=False, allow_null=True)
    n = serializers.IntegerField(min_value=1, max_value=MAX_N, default=4)
    seed = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )
    size = serializers.ChoiceField(ALLOWED_SIZES, required=False, allow_null=True)
    steps = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    guidance_scale = serializers.FloatField(
        min_value=0, max_value=30, required=False, allow_null=True
    )
    scheduler = serializers.ChoiceField(
        SCHEDULER_NAMES,
        required=False,
        allow_null=True,
        help_text="Sampler. 'lcm' is accepted only where the model is LCM-distilled.",
    )
    speed = serializers.ChoiceField(
        SPEEDS,
        default="standard",
        help_text="'fast' renders in a few steps with the server's few-step model (LCM-LoRA, "
        "Turbo or Lightning), priced lower; 400 where none is configured.",
    )
    circle = serializers.BooleanField(default=False, help_text="Also make circle-masked avatars.")
    adapter_strength = serializers.FloatField(
        min_value=0, max_value=2, required=False, allow_null=True
    )
    control_image = ImageBytesField(
        required=False,
        allow_null=True,
        help_text="Your own ControlNet control picture: base64 (or a data: URL) in JSON, or a "
        "file in multipart. PNG, JPEG or WebP, at most 8 MB and 4096x4096 px.",
    )
    control_type = serializers.ChoiceField(
        CONTROL_TYPES, default="canny", help_text="What the control picture shows."
    )
    control_scale = serializers.FloatField(
        min_value=0, max_value=2, default=1.0, help_text="ControlNet conditioning scale."
    )
    control_preprocess = serializers.BooleanField(
        default=True,
        help_text="Derive the control map (edges, line art, scribble, silhouette) from the "
        "picture; false when it already is a map. Pose pictures are always used as given.",
    )
    use_preset_controls = serializers.BooleanField(
        default=True, help_text="Apply the preset's own control images (diffusion engine)."
    )


class ParseSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=1000)
    preset = serializers.UUIDField(required=False, allow_null=True)
    attributes = serializers.DictField(required=False, default=dict)
    engine = serializers.ChoiceField(ENGINE_CHOICES, required=False, allow_null=True)
    n = serializers.IntegerField(min_value=1, max_value=MAX_N, default=4)
    size = serializers.ChoiceField(ALLOWED_SIZES, required=False, allow_null=True)
    steps = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    speed = serializers.ChoiceField(SPEEDS, default="standard")


class ParseResultSerializer(serializers.Serializer):
    """Response of the parse preview (documentation only)."""

    attributes = serializers.DictField(help_text="Attributes after your overrides.")
    parsed_attributes = serializers.DictField(help_text="What the parser understood.")
    matches = serializers.DictField(help_text="Which words produced each attribute.")
    unknown_words = serializers.ListField(child=serializers.CharField())
    not_understood = serializers.ListField(
        child=serializers.DictField(), help_text="[{text, reason}] for words no dictionary knew."
    )
    prompt = serializers.CharField()
    prompt_parts = serializers.ListField(
        child=serializers.DictField(),
        help_text="Where each part of the prompt came from: [{text, source, origin}], origin one"
        " of 'your words', 'lexicon', 'wordnet', 'cc-cedict', 'number', 'refiner', 'preset'.",
    )
    prompt_cut = serializers.ListField(
        child=serializers.CharField(), help_text="Prompt terms dropped to fit the text encoder."
    )
    refiner = serializers.CharField(help_text="State of the optional semantic refiner.")
    negative_prompt = serializers.CharField(allow_blank=True)
    engine = serializers.CharField()
    cost_credits = serializers.IntegerField()
    balance = serializers.IntegerField()


def file_url(request, f: ImageFile) -> str:
    """A signed URL that carries its expiry (S3's, or ours on local disk): cacheable by a CDN,
    usable without the API key until it expires."""
    return request.build_absolute_uri(signed_url(f.file.name))


class ImageFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ImageFile
        fields = ["id", "size", "shape", "format", "content_type", "bytes", "url"]

    def get_url(self, obj) -> str:
        return file_url(self.context["request"], obj)


class ImageSerializer(serializers.ModelSerializer):
    files = ImageFileSerializer(many=True, read_only=True)

    class Meta:
        model = GeneratedImage
        fields = [
            "id",
            "index",
            "seed",
            "engine",
            "clip_score",
            "brand_score",
            "final_score",
            "rank",
            "selected",
            "adapter_version_id",
            "review_status",
            "files",
            "metadata",
        ]


class FeedbackSerializer(serializers.Serializer):
    vote = serializers.ChoiceField(
        ["up", "down"],
        allow_null=True,
        help_text='"up", "down", or null to withdraw your vote. One vote per member or key.',
    )


class FeedbackResultSerializer(serializers.ModelSerializer):
    image = serializers.UUIDField(source="image_id", read_only=True)
    vote = serializers.CharField(allow_null=True, source="vote_or_none")

    class Meta:
        model = ImageFeedback
        fields = ["image", "vote", "voted_at", "picked_at", "downloads"]


class JobSerializer(serializers.ModelSerializer):
    preset = serializers.UUIDField(source="preset_id", allow_null=True)
    parent_image = serializers.UUIDField(source="parent_image_id", allow_null=True)
    controls = serializers.SerializerMethodField()
    failure = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField()
    scores_meaningful = serializers.SerializerMethodField()
    images = ImageSerializer(many=True, read_only=True)

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "status",
            "progress",
            "progress_step",
            "progress_total",
            "queue_position",
            "description",
            "attributes",
            "unknown_words",
            "prompt",
            "negative_prompt",
            "preset",
            "engine",
            "n",
            "seeds",
            "size",
            "steps",
            "guidance_scale",
            "scheduler",
            "speed",
            "circle",
            "adapter_version_id",
            "adapter_strength",
            "mode",
            "parent_image",
            "strength",
            "controls",
            "mask_hash",
            "model_hash",
            "cost_credits",
            "cache_hit",
            "attempts",
            "failure",
            "scores_meaningful",
            "quality",
            "created_at",
            "started_at",
            "finished_at",
            "images",
        ]

    def get_controls(self, obj) -> list[dict]:
        return public_controls(obj.controls)

    def get_failure(self, obj) -> dict | None:
        if not obj.failure_code:
            return None
        return {"code": obj.failure_code, "message": obj.failure_message}

    def get_queue_position(self, obj) -> int | None:
        return queue_position(obj)

    def get_scores_meaningful(self, obj) -> bool:
        # Scores from random or tiny CLIP weights rank nothing real; say so in the payload.
        return bool(settings.AVATARSAAS_CLIP_CHECKPOINT) and settings.AVATARSAAS_WEIGHTS_ARE_REAL


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(WEBHOOK_EVENTS), required=False, default=list
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "is_active", "secret", "created_at"]
        read_only_fields = ["id", "secret", "created_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    # Kept so existing clients still find the key; response bodies are never stored (a
    # receiver's answer could be an internal service's), so it is always "".
    response_excerpt = serializers.SerializerMethodField(
        help_text="Always empty: response bodies are not stored. See `error` and `response_code`."
    )
    error = serializers.CharField(
        read_only=True,
        help_text="Short generic outcome of the last attempt, e.g. 'timed out', 'HTTP 500', "
        "'blocked address', 'redirect not followed', 'response too large'; empty on success.",
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "message_id",
            "status",
            "attempts",
            "response_code",
            "response_excerpt",
            "error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
        ]

    def get_response_excerpt(self, obj) -> str:
        return ""

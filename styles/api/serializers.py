"""Shapes of the styles API. Validation of shape only; rules live in the services."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.storage import signed_url_or_none
from core.vocabulary import (
    CONTROL_TYPES,
    DEFAULT_STATE_PACK_STATES,
    ENGINE_CHOICES,
    MAX_STATE_PACK_STATES,
    SCHEDULER_NAMES,
    STATE_PACK_STATES,
)
from styles.models import (
    AdapterImport,
    BrandKitSettings,
    DatasetImage,
    DuplicatePair,
    FineTune,
    LoraAdapter,
    LoraDataset,
    PresetControlImage,
    ReferenceImage,
    StylePreset,
)
from styles.selectors import clip_check

SIZES = [64, 128, 256, 512, 768, 1024]


class PresetSerializer(serializers.ModelSerializer):
    is_builtin = serializers.BooleanField(read_only=True)
    engine = serializers.ChoiceField(ENGINE_CHOICES, read_only=True)
    active_adapter = serializers.UUIDField(
        source="active_adapter_id", read_only=True, allow_null=True
    )
    reference_images = serializers.SerializerMethodField()
    control_images = serializers.SerializerMethodField()

    class Meta:
        model = StylePreset
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "is_builtin",
            "base_style",
            "prompt_template",
            "negative_prompt",
            "trigger_word",
            "palette",
            "default_attributes",
            "engine",
            "scheduler",
            "steps",
            "guidance_scale",
            "size",
            "is_locked",
            "lock_rules",
            "active_adapter",
            "adapter_strength",
            "brand_weight",
            "state_pack_states",
            "palette_weight",
            "palette_recolor",
            "reference_images",
            "control_images",
            "created_at",
            "updated_at",
        ]

    def get_reference_images(self, obj) -> list[str]:
        if obj.is_builtin:
            return []
        return [str(r.pk) for r in obj.references.all()]

    def get_control_images(self, obj) -> list[str]:
        if obj.is_builtin:
            return []
        return [str(c.pk) for c in obj.control_images.all()]


class ControlImageSerializer(serializers.ModelSerializer):
    preset = serializers.UUIDField(source="preset_id", read_only=True)
    url = serializers.SerializerMethodField(help_text="Download the stored PNG copy.")

    class Meta:
        model = PresetControlImage
        fields = [
            "id",
            "preset",
            "control_type",
            "conditioning_scale",
            "preprocess",
            "original_name",
            "url",
            "created_at",
        ]

    def get_url(self, obj) -> str:
        signed = signed_url_or_none(obj.file.name)
        if signed:
            return signed
        return self.context["request"].build_absolute_uri(
            reverse("api_control_image_file", args=[obj.pk])
        )


class ControlImageUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A silhouette, line art, sketch, pose or edge picture (PNG, JPEG or WebP, "
        "at most 8 MB and 4096x4096 px). Stored as a metadata-free PNG copy."
    )
    control_type = serializers.ChoiceField(CONTROL_TYPES, help_text="What the picture shows.")
    conditioning_scale = serializers.FloatField(min_value=0, max_value=2, default=1.0)
    preprocess = serializers.BooleanField(
        default=True, help_text="Derive the control map from it; false if it already is one."
    )


class ControlImageUpdateSerializer(serializers.Serializer):
    conditioning_scale = serializers.FloatField(min_value=0, max_value=2, required=False)
    preprocess = serializers.BooleanField(required=False)


class ReferenceImageSerializer(serializers.ModelSerializer):
    preset = serializers.UUIDField(source="preset_id", read_only=True)
    url = serializers.SerializerMethodField(help_text="Download the stored PNG copy.")

    class Meta:
        model = ReferenceImage
        fields = ["id", "preset", "original_name", "url", "created_at"]

    def get_url(self, obj) -> str:
        signed = signed_url_or_none(obj.file.name)
        if signed:
            return signed
        return self.context["request"].build_absolute_uri(
            reverse("api_reference_file", args=[obj.pk])
        )


class ReferenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A PNG, JPEG or WebP picture of the brand's look (at least 64 px a side). "
        "Stored as a metadata-free PNG copy."
    )


class BrandKitSerializer(serializers.ModelSerializer):
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null until an admin first saves the policy."
    )

    class Meta:
        model = BrandKitSettings
        fields = ["locked_presets_only", "updated_at"]
        read_only_fields = ["locked_presets_only"]


class PresetWriteSerializer(serializers.Serializer):
    copy_of = serializers.UUIDField(
        required=False, help_text="Built-in (or own) preset to start from."
    )
    name = serializers.CharField(max_length=80, required=False)
    description = serializers.CharField(max_length=240, required=False, allow_blank=True)
    prompt_template = serializers.CharField(max_length=500, required=False)
    negative_prompt = serializers.CharField(max_length=500, required=False, allow_blank=True)
    trigger_word = serializers.CharField(max_length=40, required=False, allow_blank=True)
    palette = serializers.ListField(
        child=serializers.RegexField(r"^#[0-9a-fA-F]{6}$"), required=False, max_length=8
    )
    default_attributes = serializers.DictField(required=False)
    engine = serializers.ChoiceField(ENGINE_CHOICES, required=False)
    scheduler = serializers.ChoiceField(list(SCHEDULER_NAMES), required=False)
    steps = serializers.IntegerField(min_value=1, max_value=100, required=False)
    guidance_scale = serializers.FloatField(min_value=0, max_value=30, required=False)
    size = serializers.ChoiceField(SIZES, required=False)
    is_locked = serializers.BooleanField(
        required=False,
        help_text="Brand-kit lock. Owners and admins (signed in) only: API keys get 403 "
        "`brand_lock`.",
    )
    lock_rules = serializers.DictField(
        required=False,
        help_text="Ranges a locked preset allows. Owners and admins (signed in) only: API keys "
        "get 403 `brand_lock`.",
    )
    adapter_strength = serializers.FloatField(min_value=0, max_value=2, required=False)
    brand_weight = serializers.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        allow_null=True,
        help_text="Share of the brand (reference image) score in the ranking; the text score "
        "gets the rest. Both are normalised within each batch first. Null: server default.",
    )
    state_pack_states = serializers.ListField(
        child=serializers.ChoiceField(list(STATE_PACK_STATES)),
        required=False,
        max_length=MAX_STATE_PACK_STATES,
        help_text="The states a state pack renders, in order. Empty: "
        + ", ".join(DEFAULT_STATE_PACK_STATES)
        + ".",
    )
    palette_weight = serializers.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        allow_null=True,
        help_text="Share of palette adherence (CIEDE2000 between dominant colours and the "
        "palette) in ranking. Null: reported, not ranked on.",
    )
    palette_recolor = serializers.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        help_text="Soft recolour of state pack images toward the palette (0 = off).",
    )


class ActivateAdapterSerializer(serializers.Serializer):
    adapter = serializers.UUIDField()
    strength = serializers.FloatField(min_value=0, max_value=2, required=False)


class DatasetImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = DatasetImage
        fields = [
            "id",
            "original_name",
            "status",
            "error_code",
            "error_message",
            "format",
            "width",
            "height",
            "bytes",
            "phash",
            "colorhash",
            "duplicate_of",
            "caption",
        ]


class DuplicatePairSerializer(serializers.ModelSerializer):
    kept = serializers.SerializerMethodField()

    class Meta:
        model = DuplicatePair
        fields = [
            "id",
            "image",
            "other",
            "phash_distance",
            "color_distance",
            "difference",
            "found_by",
            "clip_similarity",
            "kept",
            "created_at",
        ]
        extra_kwargs = {
            "image": {"help_text": "The later upload, which looks like an edited copy of `other`."},
            "found_by": {
                "help_text": "`hashes` (perceptual hashes and an aligned comparison) or `clip` "
                "(CLIP image embeddings alone; only with real CLIP weights)."
            },
        }

    def get_kept(self, obj) -> bool:
        return obj.kept_at is not None


class ResolveDuplicateSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        ["keep_both", "drop"],
        help_text="`keep_both` dismisses the warning; `drop` deletes `image` from the dataset.",
    )
    image = serializers.UUIDField(
        required=False, help_text="With `drop`: which of the pair's two images to delete."
    )


class ClipCheckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        ["not_run", "pending", "done"],
        help_text="`not_run`: no real CLIP weights are configured, image hashes alone decide; "
        "`pending`: some accepted images wait for a worker's CLIP pass; `done`: all compared.",
    )
    checked = serializers.IntegerField(help_text="Accepted images with a CLIP embedding.")
    pending = serializers.IntegerField(help_text="Accepted images still waiting for one.")
    message = serializers.CharField(help_text="The same, in the request's language.")


class DatasetSerializer(serializers.ModelSerializer):
    accepted = serializers.SerializerMethodField()
    rejected = serializers.SerializerMethodField()
    near_duplicates = serializers.SerializerMethodField(
        help_text="Open near-duplicate warnings (pairs nobody kept or dropped yet)."
    )
    clip_check = serializers.SerializerMethodField(
        help_text="Whether the CLIP image-embedding pass of the near-duplicate check ran."
    )

    class Meta:
        model = LoraDataset
        fields = [
            "id",
            "name",
            "trigger_word",
            "accepted",
            "rejected",
            "near_duplicates",
            "clip_check",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def get_near_duplicates(self, obj) -> int:
        return obj.duplicates.filter(kept_at__isnull=True).count()

    @extend_schema_field(ClipCheckSerializer)
    def get_clip_check(self, obj):
        return ClipCheckSerializer(clip_check(obj)).data

    def get_accepted(self, obj) -> int:
        return obj.images.filter(status="accepted").count()

    def get_rejected(self, obj) -> int:
        return obj.images.filter(status="rejected").count()


class DatasetDetailSerializer(DatasetSerializer):
    images = serializers.SerializerMethodField()
    duplicate_warnings = serializers.SerializerMethodField(
        help_text="Open near-duplicate pairs: both images are accepted; resolve each with "
        "POST .../duplicates/{pair_id}/resolve/."
    )

    class Meta(DatasetSerializer.Meta):
        fields = [*DatasetSerializer.Meta.fields, "images", "duplicate_warnings"]

    @extend_schema_field(DatasetImageSerializer(many=True))
    def get_images(self, obj):
        return DatasetImageSerializer(
            obj.images.defer("thumbnail", "clip_embedding"), many=True
        ).data

    @extend_schema_field(DuplicatePairSerializer(many=True))
    def get_duplicate_warnings(self, obj):
        open_pairs = obj.duplicates.filter(kept_at__isnull=True).order_by("created_at", "pk")
        return DuplicatePairSerializer(open_pairs, many=True).data


class UploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), help_text="Images, .txt caption sidecars, or zips of both."
    )


class IngestReportSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(
        child=serializers.DictField(),
        help_text="Accepted files that look like an edited copy of another image "
        "(code `near_duplicate`); see the dataset's `duplicate_warnings`.",
    )


class CaptionsSerializer(serializers.Serializer):
    captions = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        help_text="Image id -> new caption.",
    )


class FineTuneCreateSerializer(serializers.Serializer):
    dataset = serializers.UUIDField()
    name = serializers.CharField(max_length=100)
    trigger_word = serializers.CharField(max_length=40, required=False, allow_blank=True)
    preset = serializers.UUIDField(required=False, allow_null=True)
    rank = serializers.IntegerField(required=False, help_text="1-128, default 16.")
    alpha = serializers.IntegerField(required=False, help_text="1-256, default 16.")
    steps = serializers.IntegerField(
        required=False,
        help_text="10-10000; default: derived from the dataset size (the recipe's epochs).",
    )
    learning_rate = serializers.FloatField(required=False, help_text="1e-6 to 1e-2, default 1e-4.")
    resolution = serializers.IntegerField(required=False, help_text="32-1024, default 512.")
    batch_size = serializers.IntegerField(required=False, help_text="1-16, default 4.")
    train_text_encoder = serializers.BooleanField(required=False, default=False)
    gradient_checkpointing = serializers.BooleanField(required=False, default=False)
    recipe = serializers.DictField(
        required=False,
        help_text="Training recipe overrides: epochs, min_snr_gamma, noise_offset, "
        "caption_dropout, random_flip, bucketing, lr_schedule (cosine|constant), warmup_ratio, "
        "gradient_accumulation, ema_decay. Omitted ones keep the defaults.",
    )


class FineTuneSerializer(serializers.ModelSerializer):
    dataset = serializers.UUIDField(
        source="dataset_id",
        read_only=True,
        allow_null=True,
        help_text="null once the dataset was deleted (the adapter keeps `dataset_hash`).",
    )
    preset = serializers.UUIDField(source="preset_id", read_only=True, allow_null=True)
    adapter = serializers.SerializerMethodField()

    class Meta:
        model = FineTune
        fields = [
            "id",
            "name",
            "dataset",
            "preset",
            "trigger_word",
            "rank",
            "alpha",
            "steps",
            "steps_derived",
            "recipe",
            "learning_rate",
            "resolution",
            "batch_size",
            "train_text_encoder",
            "gradient_checkpointing",
            "state",
            "review_note",
            "cost_credits",
            "progress",
            "progress_step",
            "loss_curve",
            "eta_seconds",
            "failure_code",
            "failure_message",
            "validation",
            "validation_curve",
            "chosen_step",
            "adapter",
            "created_at",
            "finished_at",
        ]

    def get_adapter(self, obj) -> str | None:
        adapter = LoraAdapter.objects.filter(finetune=obj).first()
        return str(adapter.pk) if adapter else None


class AdapterSerializer(serializers.ModelSerializer):
    finetune = serializers.UUIDField(source="finetune_id", read_only=True, allow_null=True)
    source_import = serializers.UUIDField(
        source="source_import_id",
        read_only=True,
        allow_null=True,
        help_text="The LoRA import it came from (lineage `imported`).",
    )
    export_formats = serializers.SerializerMethodField(
        help_text="Formats downloadable from /adapters/{id}/export/?format=..."
    )

    class Meta:
        model = LoraAdapter
        fields = [
            "id",
            "name",
            "version",
            "status",
            "lineage",
            "finetune",
            "source_import",
            "size_bytes",
            "sha256",
            "base_model_hash",
            "dataset_hash",
            "trigger_word",
            "export_formats",
            "created_at",
        ]

    def get_export_formats(self, obj) -> list[str]:
        return sorted(obj.exports or {})


class AdapterImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A LoRA .safetensors file (kohya/A1111 or diffusers/peft names) for the "
        "configured base model. Pickles (.ckpt/.pt/.bin) are refused."
    )
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Default: the file name."
    )
    trigger_word = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="Default: the file's `modelspec.trigger_phrase`, when it has one.",
    )


class AdapterImportSerializer(serializers.ModelSerializer):
    adapter = serializers.SerializerMethodField(
        help_text="The adapter version published on approval; null until then."
    )

    class Meta:
        model = AdapterImport
        fields = [
            "id",
            "name",
            "trigger_word",
            "original_name",
            "format",
            "size_bytes",
            "sha256",
            "state",
            "error_code",
            "error_message",
            "report",
            "base_model_hash",
            "review_note",
            "adapter",
            "created_at",
        ]

    def get_adapter(self, obj) -> str | None:
        adapter = getattr(obj, "adapter", None)
        return str(adapter.pk) if adapter else None

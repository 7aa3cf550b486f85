from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.vocabulary import SPEEDS
from tenants.scoping import TenantOwnedModel


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")


class JobMode(models.TextChoices):
    GENERATE = "generate", _("Generate")
    VARY = "vary", _("Variation (image-to-image)")
    EDIT = "edit", _("Region edit (inpainting)")
    STATEPACK = "statepack", _("State pack (one image per expression)")


TERMINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED})


class GenerationJob(TenantOwnedModel):
    """One "describe a bot -> ranked avatar pack" request. The row is the source of truth; the
    queue message only nudges a worker to claim it."""

    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by_key = models.ForeignKey(
        "tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    preset = models.ForeignKey(
        "styles.StylePreset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    description = models.TextField()
    parsed_attributes = models.JSONField(default=dict, blank=True)
    attributes = models.JSONField(default=dict, blank=True, help_text="Parsed + user edits.")
    unknown_words = models.JSONField(default=list, blank=True)
    prompt = models.TextField(blank=True)
    negative_prompt = models.TextField(blank=True)

    engine = models.CharField(max_length=16)
    n = models.PositiveSmallIntegerField(default=4)
    seeds = models.JSONField(default=list)
    size = models.PositiveSmallIntegerField(default=512)
    steps = models.PositiveSmallIntegerField(default=25)
    guidance_scale = models.FloatField(default=7.0)
    scheduler = models.CharField(max_length=32, blank=True)
    # "fast" = few-step mode: the engine picks the sampler, steps and guidance of the configured
    # few-step kind (generation.engines.few_step); steps/guidance_scale above record them.
    speed = models.CharField(max_length=16, choices=[(s, s) for s in SPEEDS], default="standard")
    adapter_version_id = models.CharField(max_length=64, blank=True)
    adapter_strength = models.FloatField(null=True, blank=True)
    circle = models.BooleanField(default=False)
    model_hash = models.CharField(max_length=64, blank=True)

    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0-100.")
    progress_step = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)

    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    engine_seconds = models.FloatField(null=True, blank=True, help_text="Time inside the engine.")

    cost_credits = models.PositiveIntegerField(default=0)
    cache_key = models.CharField(max_length=64, blank=True, db_index=True)
    cache_hit = models.BooleanField(default=False)
    cache_source = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rerender_of = models.ForeignKey(
        "generation.GeneratedImage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set when this job replays an earlier image's batch to reproduce it.",
    )
    quality = models.JSONField(
        default=dict,
        blank=True,
        help_text="Meaning text scored against, candidates rejected (and why), ranker used.",
    )
    rejected_candidates = models.PositiveSmallIntegerField(default=0)
    # The candidate the workspace chose (latest pick, else download, else thumbs up) and the
    # rank the worker had given it: the satisfaction measure and the ranker's training data.
    chosen_image = models.ForeignKey(
        "generation.GeneratedImage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    chosen_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    chosen_at = models.DateTimeField(null=True, blank=True)
    mode = models.CharField(max_length=16, choices=JobMode.choices, default=JobMode.GENERATE)
    parent_image = models.ForeignKey(
        "generation.GeneratedImage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The image a variation or a region edit starts from (lineage).",
    )
    strength = models.FloatField(
        null=True, blank=True, help_text="How much of the parent is re-drawn (0-1)."
    )
    controls = models.JSONField(
        default=list,
        blank=True,
        help_text="ControlNet conditions: type, scale, source, stored map and its sha256.",
    )
    mask = models.FileField(max_length=300, blank=True, help_text="Region edit: white = change.")
    mask_hash = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="uniq_job_idempotency_key"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"]),
            models.Index(fields=["status", "queued_at"]),
            # The claim reads only live rows, so its cost never grows with the job history:
            # queued jobs per tenant in claim order, and running jobs per tenant (cap counts).
            models.Index(
                fields=["tenant", "queued_at"],
                condition=models.Q(status="queued"),
                name="job_queued_by_tenant",
            ),
            models.Index(
                fields=["tenant"],
                condition=models.Q(status="running"),
                name="job_running_by_tenant",
            ),
            # /metrics reads the jobs finished in its sliding window.
            models.Index(fields=["finished_at"], name="job_finished_at"),
            models.Index(fields=["chosen_at"], name="job_chosen_at"),
            models.Index(fields=["tenant", "chosen_at"], name="job_tenant_chosen_at"),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.training_recipe import TrainingRecipe
from tenants.scoping import TenantOwnedModel


class FineTuneState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    QUEUED = "queued", _("Queued")
    TRAINING = "training", _("Training")
    VALIDATING = "validating", _("Validating")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")


class FineTune(TenantOwnedModel):
    """A reviewable LoRA training request and, once approved, its run.

    States move only through `styles.services.finetunes.transition_finetune`. The row is the
    source of truth for the run: a worker holds it with a lease, checkpoints to storage, and a
    sweep re-queues a run whose worker died so the next one resumes from `checkpoint_name`.
    """

    name = models.CharField(max_length=100)
    # SET_NULL: deleting a dataset keeps finished fine-tunes and their adapters' lineage
    # (dataset_hash); services refuse the deletion while a fine-tune is in review or training.
    dataset = models.ForeignKey(
        "styles.LoraDataset", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    preset = models.ForeignKey(
        "styles.StylePreset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Optional preset to activate the adapter on when it is ready.",
    )
    base_model = models.CharField(max_length=40, default="default")
    base_model_hash = models.CharField(max_length=64, blank=True)
    dataset_hash = models.CharField(max_length=64, blank=True)
    trigger_word = models.CharField(max_length=40)
    rank = models.PositiveSmallIntegerField(default=16)
    alpha = models.PositiveSmallIntegerField(default=16)
    steps = models.PositiveIntegerField(default=1000)
    steps_derived = models.BooleanField(
        default=False, help_text="Steps follow the dataset size (derived again at submit)."
    )
    learning_rate = models.FloatField(default=1e-4)
    resolution = models.PositiveSmallIntegerField(default=512)
    batch_size = models.PositiveSmallIntegerField(default=4)
    train_text_encoder = models.BooleanField(default=False)
    gradient_checkpointing = models.BooleanField(default=False)
    checkpoint_every = models.PositiveIntegerField(default=100)
    seed = models.PositiveIntegerField(default=0)
    recipe = models.JSONField(
        default=dict,
        blank=True,
        help_text="Training recipe switches (core.training_recipe.TrainingRecipe); "
        "empty means the defaults.",
    )

    state = models.CharField(
        max_length=16, choices=FineTuneState.choices, default=FineTuneState.DRAFT, db_index=True
    )
    review_note = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cost_credits = models.PositiveIntegerField(default=0)

    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0-100.")
    progress_step = models.PositiveIntegerField(default=0)
    loss_curve = models.JSONField(default=list, blank=True, help_text="[step, loss] pairs.")
    eta_seconds = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)

    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="Last queue nudge; the sweeper re-sends stale ones."
    )
    checkpoint_name = models.CharField(max_length=300, blank=True)
    checkpoint_step = models.PositiveIntegerField(default=0)
    validation = models.JSONField(
        default=list, blank=True, help_text="Grid cells: prompt, seed, clip_score, image."
    )
    validation_curve = models.JSONField(
        default=list,
        blank=True,
        help_text="Validation during training: [{step, clip, brand, score}].",
    )
    chosen_step = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The step whose weights the adapter holds (best validation score); "
        "empty when no validation ran (the last or EMA weights ship).",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "fine-tune"
        # Approving starts GPU training paid with the tenant's credits: not for view-only staff.
        permissions = [("review_finetune", "Can approve or reject fine-tunes")]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    @property
    def credit_reference(self) -> str:
        return f"finetune:{self.pk}"

    @property
    def training_recipe(self) -> TrainingRecipe:
        return TrainingRecipe.from_stored(self.recipe)

    @property
    def recipe_in_words(self) -> list[str]:
        return self.training_recipe.describe()


class LoraAdapter(TenantOwnedModel):
    """A versioned LoRA weights file (safetensors) produced by a fine-tune or imported."""

    class Status(models.TextChoices):
        READY = "ready", _("Ready")
        DEPRECATED = "deprecated", _("Deprecated")

    class Lineage(models.TextChoices):
        TRAINED = "trained", "Trained here"
        IMPORTED = "imported", "Imported"

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    finetune = models.OneToOneField(
        FineTune, on_delete=models.SET_NULL, null=True, blank=True, related_name="adapter"
    )
    source_import = models.OneToOneField(
        "styles.AdapterImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="adapter",
    )
    lineage = models.CharField(max_length=16, choices=Lineage.choices, default=Lineage.TRAINED)
    weights = models.FileField(max_length=300)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    base_model_hash = models.CharField(max_length=64, blank=True)
    dataset_hash = models.CharField(max_length=64, blank=True)
    trigger_word = models.CharField(max_length=40, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    exports = models.JSONField(
        default=dict,
        blank=True,
        help_text="Downloadable files by format (diffusers, kohya): storage names.",
    )

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = "LoRA adapter"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name", "version"], name="uniq_adapter_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.READY

    @property
    def export_formats(self) -> list[str]:
        return sorted(self.exports or {})

from django.conf import settings
from django.db import models

from tenants.scoping import TenantOwnedModel


class AdapterImportState(models.TextChoices):
    VALIDATING = "validating", "Validating"
    INVALID = "invalid", "Invalid"
    PENDING_REVIEW = "pending_review", "Awaiting staff review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class AdapterImport(TenantOwnedModel):
    """A LoRA file made elsewhere (kohya/A1111 or diffusers/peft safetensors) that a workspace
    uploaded. The web process checks its header; a worker checks its keys and shapes against
    the configured base model and renders a preview grid; staff then approve it into a
    `LoraAdapter` (lineage "imported") or reject it, like a fine-tune."""

    name = models.CharField(max_length=100)
    trigger_word = models.CharField(max_length=40, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    file = models.FileField(max_length=300)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=16, blank=True, help_text="kohya or diffusers.")
    state = models.CharField(
        max_length=16,
        choices=AdapterImportState.choices,
        default=AdapterImportState.VALIDATING,
        db_index=True,
    )
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    report = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the worker found: format, ranks, alphas, module counts, base model hash.",
    )
    validation = models.JSONField(
        default=list, blank=True, help_text="Preview grid cells: prompt, seed, clip_score, image."
    )
    base_model_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "LoRA import"
        permissions = [("review_adapterimport", "Can approve or reject LoRA imports")]

    def __str__(self) -> str:
        return f"{self.name} (import, {self.state})"

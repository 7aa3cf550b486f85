from django.db import models

from tenants.scoping import TenantOwnedModel


class StatePack(TenantOwnedModel):
    """One picked avatar redrawn in a set of expressions. Its job renders one image per state
    (image index = state index); the worker stores the deliverables here before the job
    succeeds, so a client that sees the job done finds the pack's files."""

    job = models.OneToOneField(
        "generation.GenerationJob", on_delete=models.CASCADE, related_name="state_pack"
    )
    source_image = models.ForeignKey(
        "generation.GeneratedImage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    states = models.JSONField(default=list, help_text="State names, in image index order.")
    animation = models.CharField(
        max_length=20, blank=True, help_text="facial_actions (vector) or state_cycle (diffusion)."
    )
    matting = models.CharField(
        max_length=40, blank=True, help_text="How the background was removed, or 'refused'."
    )
    matting_note = models.TextField(blank=True)
    results = models.JSONField(
        default=list,
        blank=True,
        help_text="Per state: seed, identity score, palette ΔE2000, re-rolls spent.",
    )
    files = models.JSONField(
        default=dict, blank=True, help_text="Deliverable kind -> storage name (zip, sprite, ...)."
    )
    manifest = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"state pack {self.pk}"

    @property
    def is_ready(self) -> bool:
        return bool(self.files.get("zip"))

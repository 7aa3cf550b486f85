from django.db import models

from core.vocabulary import CONTROL_TYPES
from tenants.scoping import TenantOwnedModel


class PresetControlImage(TenantOwnedModel):
    """A brand control picture (silhouette, line art, sketch, pose or edge map) that steers
    every diffusion job through its preset with a ControlNet of its type."""

    preset = models.ForeignKey(
        "styles.StylePreset", on_delete=models.CASCADE, related_name="control_images"
    )
    file = models.FileField(max_length=300, help_text="The uploaded picture (clean PNG copy).")
    original_name = models.CharField(max_length=200, blank=True)
    control_type = models.CharField(max_length=16, choices=[(t, t) for t in CONTROL_TYPES])
    conditioning_scale = models.FloatField(default=1.0)
    preprocess = models.BooleanField(
        default=True, help_text="Derive the map from the picture; off when it already is one."
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.control_type} control of {self.preset_id}"
